#!/usr/bin/python3
"""One competitor run for bench_models.py, in a fresh process.

    bench/competitor_models.py xgboost|sklearn|logreg DATADIR ROUNDS THREADS

Prints one JSON object: train_s (for XGBoost including DMatrix
construction, which is where it bins), predict_s (best of 3, the 200,000
test rows in memory), predict_rows_per_s and test auc.  Data comes from the
.npy files so no CSV parsing is timed.  Parameters match mloop's
(see bench_models.py): 31 leaves, learning rate 0.1, 255 bins, no early
stopping, no L2 on leaves.
"""
import json
import os
import sys
import time

import numpy as np


def main():
    lib, datadir, rounds, threads = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    os.environ["OMP_NUM_THREADS"] = str(threads)
    train = np.load(os.path.join(datadir, "train.npy"))
    test = np.load(os.path.join(datadir, "test.npy"))
    X, y = np.ascontiguousarray(train[:, :-1]), train[:, -1]
    Xt, yt = np.ascontiguousarray(test[:, :-1]), test[:, -1]
    del train, test
    from sklearn.metrics import roc_auc_score
    out = {}
    if lib == "xgboost":
        import xgboost as xgb
        params = {"tree_method": "hist", "grow_policy": "lossguide", "max_leaves": 31,
                  "max_depth": 0, "max_bin": 255, "eta": 0.1, "objective": "binary:logistic",
                  "nthread": threads, "min_child_weight": 1e-3, "reg_lambda": 0.0}
        t0 = time.perf_counter()
        d = xgb.DMatrix(X, label=y, nthread=threads)
        booster = xgb.train(params, d, rounds)
        out["train_s"] = time.perf_counter() - t0

        def predict():
            return booster.inplace_predict(Xt)
    elif lib == "sklearn":
        from sklearn.ensemble import HistGradientBoostingClassifier
        model = HistGradientBoostingClassifier(max_iter=rounds, learning_rate=0.1,
                                               max_leaf_nodes=31, max_bins=255,
                                               early_stopping=False, l2_regularization=0.0,
                                               min_samples_leaf=20)
        t0 = time.perf_counter()
        model.fit(X, y)
        out["train_s"] = time.perf_counter() - t0

        def predict():
            return model.predict_proba(Xt)[:, 1]
    elif lib == "logreg":
        from sklearn.linear_model import LogisticRegression
        from sklearn.preprocessing import StandardScaler
        t0 = time.perf_counter()
        scaler = StandardScaler().fit(X)
        model = LogisticRegression(solver="lbfgs", C=1.0, max_iter=100, tol=1e-4)
        model.fit(scaler.transform(X), y)
        out["train_s"] = time.perf_counter() - t0

        def predict():
            return model.predict_proba(scaler.transform(Xt))[:, 1]
    else:
        sys.exit(f"competitor_models.py: unknown competitor '{lib}'")
    best = float("inf")
    for _ in range(3):
        t0 = time.perf_counter()
        p = predict()
        best = min(best, time.perf_counter() - t0)
    out["predict_s"] = best
    out["predict_rows_per_s"] = len(yt) / best
    out["auc"] = float(roc_auc_score(yt, p))
    print(json.dumps(out))


if __name__ == "__main__":
    main()
