#!/usr/bin/python3
"""One timed scikit-learn preprocessing fit and transform, measured like
bench/pipeline.c (the mloop side of bench_pipeline.py).

    sklearn_pipeline.py PATH [REPEATS]

Reads PATH with pandas (not timed), adds the same binary target as
bench/pipeline.c, and fits the equivalent ColumnTransformer:
  numeric:     SimpleImputer(median) → StandardScaler
  categorical: SimpleImputer(most_frequent) → OneHotEncoder(max_categories=50)
Times fit_transform on every row (the counterpart of fp_fit, which also
returns the training features) and transform (best of REPEATS), and prints
one JSON line with the keys bench/pipeline.c prints.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler


def main():
    if len(sys.argv) not in (2, 3):
        print("usage: sklearn_pipeline.py PATH [REPEATS]", file=sys.stderr)
        return 2
    repeats = int(sys.argv[2]) if len(sys.argv) == 3 else 3
    df = pd.read_csv(sys.argv[1])
    y = (df["score_0"] + df["score_2"] > 0.9).astype(np.int8)  # unused by the transforms
    numeric = [c for c in df.columns if df[c].dtype.kind == "f"]
    text = [c for c in df.columns if df[c].dtype == object]
    ct = ColumnTransformer([
        ("num", make_pipeline(SimpleImputer(strategy="median"), StandardScaler()), numeric),
        ("cat", make_pipeline(SimpleImputer(strategy="most_frequent"),
                              OneHotEncoder(max_categories=50, handle_unknown="ignore",
                                            sparse_output=False)), text),
    ])
    t0 = time.monotonic()
    ct.fit_transform(df, y)
    fit_seconds = time.monotonic() - t0
    best = None
    for _ in range(repeats):
        t0 = time.monotonic()
        out = ct.transform(df)
        s = time.monotonic() - t0
        best = s if best is None else min(best, s)
    rows, ncols = df.shape[0], len(numeric) + len(text)
    print(json.dumps({"rows": rows, "input_cols": ncols, "output_cols": int(out.shape[1]),
                      "fit_seconds": round(fit_seconds, 6), "build_seconds": 0.0,
                      "transform_seconds": round(best, 6),
                      "input_cells_per_second": round(rows * ncols / best),
                      "output_cells_per_second": round(rows * out.shape[1] / best)},
                     separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
