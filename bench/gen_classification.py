#!/usr/bin/python3
"""Generates the model benchmark data (never committed).

    bench/gen_classification.py OUTDIR [--rows 1000000] [--test-rows 200000]

sklearn.datasets.make_classification(n_features=28, n_informative=20,
n_redundant=4, flip_y=0.05, class_sep=0.8, random_state=7): the first
--rows rows are the training set, the rest the test set.  Writes
train.csv / test.csv (header f0..f27,y; floats in round-trip '%.17g' text)
for mloop and train.npy / test.npy (float64, y as the last column) so the
Python competitors load without a CSV parser in their timings.
"""
import argparse
import os
import sys

import numpy as np
from sklearn.datasets import make_classification


def write_csv(path, X, y):
    tmp = path + ".tmp"
    header = ",".join([f"f{i}" for i in range(X.shape[1])] + ["y"])
    with open(tmp, "w") as f:
        f.write(header + "\n")
        chunk = 100_000
        for start in range(0, X.shape[0], chunk):
            block = np.column_stack([X[start:start + chunk], y[start:start + chunk]])
            np.savetxt(f, block, fmt=["%.17g"] * X.shape[1] + ["%d"], delimiter=",")
    os.replace(tmp, path)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("outdir")
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--test-rows", type=int, default=200_000)
    args = ap.parse_args()
    if args.rows < 10 or args.test_rows < 10:
        sys.exit("gen_classification.py: --rows and --test-rows must be at least 10")
    os.makedirs(args.outdir, exist_ok=True)
    X, y = make_classification(n_samples=args.rows + args.test_rows, n_features=28,
                               n_informative=20, n_redundant=4, flip_y=0.05, class_sep=0.8,
                               random_state=7)
    for name, sl in (("train", slice(0, args.rows)), ("test", slice(args.rows, None))):
        Xs, ys = X[sl], y[sl]
        np.save(os.path.join(args.outdir, name + ".npy"),
                np.column_stack([Xs, ys]).astype(np.float64))
        write_csv(os.path.join(args.outdir, name + ".csv"), Xs, ys)


if __name__ == "__main__":
    main()
