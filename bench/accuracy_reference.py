#!/usr/bin/python3
"""Reference accuracy of XGBoost (hist) and scikit-learn's logistic
regression on ../shared/data, for tests/unit/models/test_accuracy.c.

    bench/accuracy_reference.py [--data DIR] [--out tests/fixtures/accuracy/reference.json]

Split (shared with the C test): lgb_binary and lgb_multiclass use their
.train/.test files; for the others data row i (0-based, header excluded)
is a test row when i % 5 == 0.  XGBoost gets the same parameters as mloop
(recorded in the fixture as "mloop_params"); string columns become pandas
categories (enable_categorical).  Logistic regression: mean-imputed,
standardized numeric columns plus one-hot string columns, C=1, lbfgs run to
convergence.
"""
import argparse
import json
import os

import numpy as np
import pandas as pd
import xgboost as xgb
from sklearn.compose import ColumnTransformer
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, log_loss, mean_squared_error, roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import OneHotEncoder, StandardScaler

ROUNDS = 200
MLOOP_PARAMS = {"n_estimators": ROUNDS, "learning_rate": 0.1, "num_leaves": 31, "max_bin": 255,
                "min_data_in_leaf": 1, "min_sum_hessian_in_leaf": 1e-3, "lambda_l2": 1.0}
XGB_PARAMS = {"tree_method": "hist", "grow_policy": "lossguide", "max_leaves": 31,
              "max_depth": 0, "max_bin": 256, "eta": 0.1, "min_child_weight": 1e-3,
              "reg_lambda": 1.0, "reg_alpha": 0.0, "seed": 0, "nthread": 2,
              "max_cat_to_onehot": 4}
DATASETS = [
    # name, file(s), target, task, drop, no_header
    ("lgb_binary", ("lgb_binary.train", "lgb_binary.test"), "c0", "binary", [], True),
    ("lgb_multiclass", ("lgb_multiclass.train", "lgb_multiclass.test"), "c0", "multiclass", [],
     True),
    ("telco_churn", "telco_churn.csv", "Churn", "binary", ["customerID"], False),
    ("breast_cancer", "breast_cancer.csv", "target", "binary", [], False),
    ("diabetes", "diabetes.csv", "target", "regression", [], False),
    ("mlbench_BostonHousing2", "mlbench_BostonHousing2.csv", "cmedv", "regression", ["medv"],
     False),
]


def load(path, no_header):
    if no_header:
        df = pd.read_csv(path, sep="\t", header=None)
        df.columns = [f"c{i}" for i in range(df.shape[1])]
        return df
    return pd.read_csv(path, na_values=[" ", "NA", "N/A", "NaN", "null", "NULL"],
                       keep_default_na=True, skipinitialspace=False)


def split(args, files, no_header):
    if isinstance(files, tuple):
        return (load(os.path.join(args.data, files[0]), no_header),
                load(os.path.join(args.data, files[1]), no_header))
    df = load(os.path.join(args.data, files), no_header)
    test = np.arange(len(df)) % 5 == 0
    return df[~test].reset_index(drop=True), df[test].reset_index(drop=True)


def encode_target(train, test, target, task):
    if task == "regression":
        return train[target].astype(float).values, test[target].astype(float).values, None
    classes = sorted(pd.concat([train[target], test[target]]).unique())
    index = {c: i for i, c in enumerate(classes)}
    return (train[target].map(index).values, test[target].map(index).values,
            [str(c) for c in classes])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    here = os.path.dirname(os.path.abspath(__file__))
    ap.add_argument("--data", default=os.path.join(here, "..", "..", "shared", "data"))
    ap.add_argument("--out", default=os.path.join(here, "..", "tests", "fixtures", "accuracy",
                                                  "reference.json"))
    args = ap.parse_args()
    out = {"rounds": ROUNDS, "mloop_params": MLOOP_PARAMS, "xgboost_params": XGB_PARAMS,
           "xgboost_version": xgb.__version__, "datasets": {}}
    for name, files, target, task, drop, no_header in DATASETS:
        train, test = split(args, files, no_header)
        ytr, yte, classes = encode_target(train, test, target, task)
        Xtr = train.drop(columns=[target] + drop)
        Xte = test.drop(columns=[target] + drop)
        cats = [c for c in Xtr.columns if Xtr[c].dtype == object]
        for c in cats:
            levels = pd.concat([Xtr[c], Xte[c]]).dropna().unique()
            Xtr[c] = pd.Categorical(Xtr[c], categories=levels)
            Xte[c] = pd.Categorical(Xte[c], categories=levels)
        params = dict(XGB_PARAMS)
        if task == "binary":
            params["objective"] = "binary:logistic"
        elif task == "multiclass":
            params["objective"] = "multi:softprob"
            params["num_class"] = len(classes)
        else:
            params["objective"] = "reg:squarederror"
        dtr = xgb.DMatrix(Xtr, label=ytr, enable_categorical=True)
        dte = xgb.DMatrix(Xte, enable_categorical=True)
        booster = xgb.train(params, dtr, ROUNDS)
        p = booster.predict(dte)
        entry = {"task": task, "target": target, "drop": drop, "no_header": no_header,
                 "train_rows": len(train), "test_rows": len(test)}
        if task == "binary":
            entry["xgboost"] = {"auc": roc_auc_score(yte, p), "logloss": log_loss(yte, p)}
            num = [c for c in Xtr.columns if c not in cats]
            pre = ColumnTransformer(
                [("num", make_pipeline(SimpleImputer(strategy="mean"), StandardScaler()), num)] +
                ([("cat", OneHotEncoder(handle_unknown="ignore"), cats)] if cats else []))
            Xtr_lr = Xtr.copy()
            Xte_lr = Xte.copy()
            for c in cats:
                Xtr_lr[c] = Xtr_lr[c].astype(object).fillna("__missing__")
                Xte_lr[c] = Xte_lr[c].astype(object).fillna("__missing__")
            lr = make_pipeline(pre, LogisticRegression(C=1.0, solver="lbfgs", max_iter=10000,
                                                       tol=1e-10))
            lr.fit(Xtr_lr, ytr)
            entry["logreg"] = {"auc": roc_auc_score(yte, lr.predict_proba(Xte_lr)[:, 1])}
        elif task == "multiclass":
            entry["xgboost"] = {"multi_logloss": log_loss(yte, p, labels=range(len(classes))),
                                "accuracy": accuracy_score(yte, p.argmax(axis=1))}
        else:
            entry["xgboost"] = {"rmse": float(np.sqrt(mean_squared_error(yte, p)))}
        out["datasets"][name] = entry
        print(name, entry["xgboost"], entry.get("logreg", ""))
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
