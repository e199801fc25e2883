#!/usr/bin/python3
"""The scikit-learn side of bench_eval.py: one timed run, one JSON line.

    sklearn_eval.py cv TELCO.csv        5-fold cross_val_score of OneHotEncoder +
                                        HistGradientBoostingClassifier on the
                                        stratified 80 % training part (seed 42)
    sklearn_eval.py halving TRAIN.csv   HalvingRandomSearchCV (40 candidates,
                                        factor 3, 3-fold, ROC AUC) over the
                                        training part, refit, test ROC AUC

Loading the CSV is not timed; seconds covers cross_val_score, or the search's
fit (which includes the refit), as mloop's cv_s and tune_s + train_s do.
"""
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.stats import loguniform, randint
from sklearn.compose import ColumnTransformer
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.experimental import enable_halving_search_cv  # noqa: F401
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import (HalvingRandomSearchCV, StratifiedKFold, cross_val_score,
                                     train_test_split)
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder


def cv(path):
    df = pd.read_csv(path)
    df["TotalCharges"] = pd.to_numeric(df["TotalCharges"], errors="coerce")
    y = (df.pop("Churn") == "Yes").astype(int)
    X = df.drop(columns=["customerID"])
    X_train, _, y_train, _ = train_test_split(X, y, test_size=0.2, stratify=y, random_state=42)
    text = [c for c in X.columns if X[c].dtype == object]
    model = make_pipeline(
        ColumnTransformer([("cat", OneHotEncoder(handle_unknown="ignore", max_categories=50,
                                          sparse_output=False),
                            text)], remainder="passthrough"),
        HistGradientBoostingClassifier(random_state=0))
    t0 = time.monotonic()
    scores = cross_val_score(model, X_train, y_train, cv=StratifiedKFold(5), scoring="roc_auc")
    seconds = time.monotonic() - t0
    return {"seconds": seconds, "rows": int(len(y_train)), "auc_mean": float(np.mean(scores)),
            "auc_std": float(np.std(scores))}


def halving(path):
    df = pd.read_csv(path)
    y = df.pop("y").astype(int)
    X_train, X_test, y_train, y_test = train_test_split(df, y, test_size=0.2, stratify=y,
                                                        random_state=42)
    search = HalvingRandomSearchCV(
        HistGradientBoostingClassifier(max_iter=100, early_stopping=False, random_state=0),
        {"learning_rate": loguniform(0.01, 0.3), "max_leaf_nodes": randint(15, 256)},
        # min_resources="exhaust": the last rung uses every row, as mloop's
        # does (the default "smallest" would stop at a few hundred rows)
        n_candidates=40, factor=3, resource="n_samples", min_resources="exhaust", cv=3,
        scoring="roc_auc", random_state=0, refit=True)
    t0 = time.monotonic()
    search.fit(X_train, y_train)
    seconds = time.monotonic() - t0
    test_auc = roc_auc_score(y_test, search.predict_proba(X_test)[:, 1])
    return {"seconds": seconds, "rows": int(len(y_train)), "best_cv": float(search.best_score_),
            "test_auc": float(test_auc), "best_params": {k: float(v) for k, v in
                                                          search.best_params_.items()},
            "rungs": int(search.n_iterations_), "fits": int(len(search.cv_results_["params"]))}


def main():
    if len(sys.argv) != 3 or sys.argv[1] not in ("cv", "halving"):
        print(__doc__, file=sys.stderr)
        return 2
    r = cv(sys.argv[2]) if sys.argv[1] == "cv" else halving(sys.argv[2])
    print(json.dumps(r, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
