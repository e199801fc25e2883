#!/usr/bin/python3
"""Feature-pipeline benchmark: mloop's fp_fit / fp_transform against
scikit-learn's ColumnTransformer doing the same preparation.

    MLOOP_BUILD=build bench/bench_pipeline.py

Data: bench/data/wide.csv (1,000,000 rows x 28 float + 4 string columns,
the CSV load benchmark's file, generated when absent) with a binary target
derived from two columns.  Preparation on both sides: numeric median
imputation + standard scaling, categorical most-frequent imputation +
one-hot encoding (at most 50 categories per column).  Loading is not timed.

Fresh processes alternate mloop / scikit-learn for PAIRS pairs; per pair
the ratio scikit-learn seconds / mloop seconds is taken for fit and for
transform, and the MEDIAN of the pairwise ratios is quoted.  The target
(issue 4) is absolute: transform throughput ≥ 20 M input cells/s with
2 threads (input cells = rows x 32 raw columns); its median over the mloop
runs is quoted beside it.  Markdown goes to stdout and
bench/out/pipeline.md; exit status 2 when the benchmark cannot run.

Environment: MLOOP_BUILD (default "build"), MLOOP_BENCH_ROWS (default
1000000), MLOOP_BENCH_PAIRS (default 5).
"""
import json
import os
import statistics
import subprocess
import sys

from bench_csv import (BenchError, HERE, ROOT, build_binary, ensure_data, machine_facts,
                       sklearn_version, warm_page_cache)

THREADS = 2
TARGET_CELLS = 20e6
KEYS = ("rows", "input_cols", "output_cols", "fit_seconds", "transform_seconds",
        "input_cells_per_second")


def run_json(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited with {p.returncode}:\n{p.stderr.strip()}")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    if not lines:
        raise BenchError(f"{' '.join(cmd)} printed no JSON:\n{p.stdout}{p.stderr}")
    r = json.loads(lines[-1])
    missing = [k for k in KEYS if k not in r]
    if missing:
        raise BenchError(f"{' '.join(cmd)}: JSON lacks {missing}: {lines[-1]}")
    return r


def render(machine, path, pairs, mloop_runs, sk_runs):
    med = statistics.median
    fit = [s["fit_seconds"] / m["fit_seconds"] for m, s in zip(mloop_runs, sk_runs)]
    tr = [s["transform_seconds"] / m["transform_seconds"] for m, s in zip(mloop_runs, sk_runs)]
    cells = med(m["input_cells_per_second"] for m in mloop_runs)
    sk_cells = med(s["input_cells_per_second"] for s in sk_runs)
    ok = cells >= TARGET_CELLS
    m0, s0 = mloop_runs[0], sk_runs[0]
    out = ["## Feature pipeline: mloop vs scikit-learn ColumnTransformer\n"]
    out.append(f"- harness: `bench/bench_pipeline.py` (`bench_pipeline` from `bench/pipeline.c`, "
               f"`bench/sklearn_pipeline.py`); scikit-learn {machine['sklearn']}, "
               f"Python {machine['python']}")
    out.append(f"- machine: {machine['nproc']} CPUs, {machine['cpu']}; date: {machine['date']}")
    out.append(f"- data: `{os.path.relpath(path, ROOT)}`, {m0['rows']:,} rows x "
               f"{m0['input_cols']} input columns (28 float with ~1% missing in four, 4 string)"
               f" → {m0['output_cols']} features for mloop, {s0['output_cols']} for "
               "scikit-learn")
    out.append("- preparation: numeric median impute + standard scale; categorical most-frequent "
               "impute + one-hot, ≤ 50 categories a column")
    out.append(f"- {pairs} pairs of fresh processes, mloop / scikit-learn alternated; "
               f"{THREADS} threads (scikit-learn's transformers are single-threaded); "
               "transform is the best of 3 in each process; ratios are medians of the "
               "per-pair ratios\n")
    out.append("| measure | mloop | scikit-learn | ratio (median of pairs) | target | result |")
    out.append("|---|---:|---:|---:|---:|:---:|")
    out.append(f"| fit (s) | {med(m['fit_seconds'] for m in mloop_runs):.3f} "
               f"| {med(s['fit_seconds'] for s in sk_runs):.3f} | {med(fit):.1f}x faster | | |")
    out.append(f"| transform (s) | {med(m['transform_seconds'] for m in mloop_runs):.3f} "
               f"| {med(s['transform_seconds'] for s in sk_runs):.3f} | {med(tr):.1f}x faster "
               "| | |")
    out.append(f"| transform throughput (M input cells/s) | {cells / 1e6:.0f} "
               f"| {sk_cells / 1e6:.1f} | | ≥ {TARGET_CELLS / 1e6:.0f} | "
               f"{'PASS' if ok else 'FAIL'} |")
    out.append(f"| table → input frame, `frame_build` (s) "
               f"| {med(m.get('build_seconds', 0) for m in mloop_runs):.3f} | | | | |")
    out.append("")
    out.append("<details><summary>per pair</summary>\n")
    out.append("| pair | mloop fit s | sklearn fit s | mloop transform s | sklearn transform s |")
    out.append("|---:|---:|---:|---:|---:|")
    for i, (m, s) in enumerate(zip(mloop_runs, sk_runs)):
        out.append(f"| {i + 1} | {m['fit_seconds']:.3f} | {s['fit_seconds']:.3f} "
                   f"| {m['transform_seconds']:.3f} | {s['transform_seconds']:.3f} |")
    out.append("\n</details>\n")
    return "\n".join(out)


def main():
    rows = int(os.environ.get("MLOOP_BENCH_ROWS", "1000000"))
    pairs = int(os.environ.get("MLOOP_BENCH_PAIRS", "5"))
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    try:
        binary = build_binary("bench_pipeline")
        machine = machine_facts(sklearn=sklearn_version(env))
        path = ensure_data(rows)
        warm_page_cache(path)
        mloop_runs, sk_runs = [], []
        for i in range(pairs):
            mloop_runs.append(run_json([binary, path, str(THREADS)], env))
            sk_runs.append(run_json([sys.executable, os.path.join(HERE, "sklearn_pipeline.py"),
                                     path], env))
            m, s = mloop_runs[-1], sk_runs[-1]
            print(f"pair {i + 1}/{pairs}: mloop fit {m['fit_seconds']:.3f}s transform "
                  f"{m['transform_seconds']:.3f}s, sklearn fit {s['fit_seconds']:.3f}s "
                  f"transform {s['transform_seconds']:.3f}s", file=sys.stderr)
            if m["rows"] != s["rows"] or m["input_cols"] != s["input_cols"]:
                raise BenchError(f"the two sides disagree on the shape: mloop "
                                 f"{m['rows']}x{m['input_cols']}, sklearn "
                                 f"{s['rows']}x{s['input_cols']}")
    except BenchError as e:
        print(f"bench_pipeline: {e}", file=sys.stderr)
        print("## Feature pipeline: mloop vs scikit-learn ColumnTransformer\n\nnot run: "
              + str(e).splitlines()[0] + "\n")
        return 2
    text = render(machine, path, pairs, mloop_runs, sk_runs)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    with open(os.path.join(HERE, "out", "pipeline.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
