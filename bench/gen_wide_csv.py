#!/usr/bin/python3
"""Writes the wide CSV the load benchmark reads: deterministic, fast.

    gen_wide_csv.py [--rows N] [--seed S] [--out PATH]

N rows (default 1,000,000) of 28 float columns and 4 string columns, like
an export from a warehouse table:

  * floats with 9-12 significant digits in mixed magnitudes — unit-interval
    scores (0.4173929221), amounts (1234.56789012), large counts
    (4821337.1234), small rates (0.000123456789) — about a third negative in
    the signed columns, and ~1% empty cells in four of them;
  * strings from small category sets (5, 20 and 50 values) and one with a
    few hundred (a city-like column).

Formatting is vectorised: every field is rendered as digits into a uint8
matrix (one row per CSV row) with 0 bytes as padding, the matrices are
concatenated with the separators, and the padding is dropped with one
boolean mask, so a million rows take seconds rather than the minutes
per-value string formatting would.  The same seed gives the same bytes.
"""
import argparse
import os
import sys

import numpy as np

CHUNK = 100_000

# (name, int digits low, int digits high, fraction digits, signed, share of empty cells)
# int digits 0 means a leading "0." (the value is below 1).
FLOAT_SPECS = []
for i in range(8):  # scores in (-1, 1) or [0, 1)
    FLOAT_SPECS.append((f"score_{i}", 0, 0, 10, i % 2 == 1, 0.01 if i == 3 else 0.0))
for i in range(8):  # amounts 1..9999 with 7-8 decimals
    FLOAT_SPECS.append((f"amount_{i}", 1, 4, 7 + i % 2, i % 3 == 0, 0.01 if i == 5 else 0.0))
for i in range(6):  # large values with 4-5 decimals
    FLOAT_SPECS.append((f"total_{i}", 4, 7, 4 + i % 2, i % 2 == 0, 0.01 if i == 2 else 0.0))
for i in range(6):  # small rates: leading zeros in the fraction
    FLOAT_SPECS.append((f"rate_{i}", 0, 0, 12 + i % 3, i == 4, 0.01 if i == 1 else 0.0))
assert len(FLOAT_SPECS) == 28


def word(rng, n_letters):
    consonants = np.frombuffer(b"bcdfghklmnprstvwz", dtype=np.uint8)
    vowels = np.frombuffer(b"aeiou", dtype=np.uint8)
    out = bytearray()
    for k in range(n_letters):
        pool = consonants if k % 2 == 0 else vowels
        out.append(int(pool[rng.integers(len(pool))]))
    out[0] = out[0] - 32  # capitalised
    return bytes(out)


def make_categories(rng, n, prefix=b""):
    seen, values = set(), []
    while len(values) < n:
        w = prefix + word(rng, int(rng.integers(4, 10)))
        if w not in seen:
            seen.add(w)
            values.append(w)
    return values


def category_matrix(values):
    """uint8 matrix [len(values), maxlen], 0-padded on the right."""
    width = max(len(v) for v in values)
    m = np.zeros((len(values), width), dtype=np.uint8)
    for i, v in enumerate(values):
        m[i, : len(v)] = np.frombuffer(v, dtype=np.uint8)
    return m


POW10 = 10 ** np.arange(20, dtype=np.uint64)


def digits_matrix(values, width, keep_leading_zeros):
    """ASCII digits of non-negative uint64 values, right-aligned in width
    columns; leading zeros become padding unless kept (the last digit is
    always kept, so 0 prints as "0")."""
    exps = POW10[width - 1 :: -1][:width]  # 10^(width-1) … 10^0
    d = (values[:, None] // exps[None, :]) % 10
    out = (d + ord("0")).astype(np.uint8)
    if not keep_leading_zeros:
        significant = np.cumsum(d != 0, axis=1) > 0
        significant[:, -1] = True
        out[~significant] = 0
    return out


def float_field(rng, n, spec):
    _, lo, hi, frac, signed, empty = spec
    if hi == 0:
        int_part = np.zeros(n, dtype=np.uint64)
        int_width = 1
    else:
        ndig = rng.integers(lo, hi + 1, size=n)
        # uniform within each digit count: 10^(d-1) .. 10^d - 1
        low = POW10[ndig - 1]
        int_part = low + (rng.random(n) * (9 * low)).astype(np.uint64)
        int_width = hi
    frac_part = rng.integers(0, 10**frac, size=n, dtype=np.uint64)
    if hi == 0 and frac >= 12:  # small rates: 3-4 leading zeros in the fraction
        frac_part //= POW10[rng.integers(3, 5, size=n)]
    sign = np.zeros((n, 1), dtype=np.uint8)
    if signed:
        sign[rng.random(n) < 0.35, 0] = ord("-")
    parts = [
        sign,
        digits_matrix(int_part, int_width, keep_leading_zeros=False),
        np.full((n, 1), ord("."), dtype=np.uint8),
        digits_matrix(frac_part, frac, keep_leading_zeros=True),
    ]
    field = np.concatenate(parts, axis=1)
    if empty:
        field[rng.random(n) < empty] = 0
    return field


def string_field(rng, n, matrix, skew):
    k = matrix.shape[0]
    if skew:  # a few big cities, a long tail
        p = 1.0 / np.arange(1, k + 1)
        codes = rng.choice(k, size=n, p=p / p.sum())
    else:
        codes = rng.integers(0, k, size=n)
    return matrix[codes]


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--seed", type=int, default=20240601)
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--out", default=os.path.join(here, "data", "wide.csv"))
    args = ap.parse_args()
    if args.rows < 1:
        ap.error("--rows must be at least 1")

    rng = np.random.default_rng(args.seed)
    strings = [
        ("region", category_matrix(make_categories(rng, 5)), False),
        ("segment", category_matrix(make_categories(rng, 20)), False),
        ("channel", category_matrix(make_categories(rng, 50, b"ch_")), False),
        ("city", category_matrix(make_categories(rng, 300)), True),
    ]
    # Column order: strings spread among the floats.
    order = []
    fi = iter(range(28))
    for pos in range(32):
        if pos in (2, 9, 17, 26):
            order.append(("s", [2, 9, 17, 26].index(pos)))
        else:
            order.append(("f", next(fi)))
    header = ",".join(FLOAT_SPECS[i][0] if kind == "f" else strings[i][0] for kind, i in order)

    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    tmp = args.out + ".tmp"
    comma = None
    with open(tmp, "wb") as f:
        f.write(header.encode() + b"\n")
        done = 0
        while done < args.rows:
            n = min(CHUNK, args.rows - done)
            if comma is None or comma.shape[0] != n:
                comma = np.full((n, 1), ord(","), dtype=np.uint8)
                newline = np.full((n, 1), ord("\n"), dtype=np.uint8)
            parts = []
            for pos, (kind, i) in enumerate(order):
                if pos:
                    parts.append(comma)
                if kind == "f":
                    parts.append(float_field(rng, n, FLOAT_SPECS[i]))
                else:
                    _, m, skew = strings[i]
                    parts.append(string_field(rng, n, m, skew))
            parts.append(newline)
            block = np.concatenate(parts, axis=1).ravel()
            f.write(block[block != 0].tobytes())
            done += n
    os.replace(tmp, args.out)
    print(f"wrote {args.out}: {args.rows} rows x 32 columns "
          f"({os.path.getsize(args.out) / 1e6:.0f} MB)", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
