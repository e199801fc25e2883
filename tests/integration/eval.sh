#!/usr/bin/env bash
# `mloop eval` and the decision threshold end to end on the churn example:
# a workflow chooses a threshold (max F1 on out-of-fold predictions), the
# artifact carries it, predict labels with it, and eval scores labelled
# data with every metric of the task, the confusion matrix agreeing with
# predict's labels, and writes a self-contained HTML report.  Multiclass
# and regression models are evaluated too; errors name what is wrong.
set -euo pipefail
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
src=${MLOOP_SOURCE_DIR:?MLOOP_SOURCE_DIR is not set}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$work/churn/data"
cp "$src/examples/churn/workflow.yaml" "$work/churn/"
$py "$src/examples/churn/generate.py" 3000 "$work/churn/data/customers.csv" >/dev/null
cd "$work"
data=churn/data/customers.csv

"$bin" train churn/workflow.yaml --set 'threshold={method: f1}' --out b.mloop --json \
  >train.json 2>/dev/null || fail "train with a threshold"
"$bin" eval b.mloop --data "$data" --json --report report.html >eval.json 2>eval.err ||
  { cat eval.err; fail "eval"; }
"$bin" predict b.mloop --data "$data" --out p.csv 2>/dev/null || fail "predict"
$py - train.json eval.json p.csv <<'PY'
import csv, json, sys
train, ev = (json.load(open(p)) for p in sys.argv[1:3])
preds = list(csv.DictReader(open(sys.argv[3])))
t = train["decision_threshold"]
assert train["threshold"]["method"] == "f1" and 0 < t < 1, train["threshold"]
assert "cv" in train, "a chosen threshold needs out-of-fold predictions"
assert ev["decision_threshold"] == t, (ev["decision_threshold"], t)
m = ev["metrics"]
for k in ["auc", "average_precision", "logloss", "brier", "ece", "accuracy", "balanced_accuracy",
          "precision", "recall", "f1", "mcc", "kappa"]:
    assert isinstance(m[k], float), (k, m)
assert m["auc"] > 0.75, m
cm = ev["confusion_matrix"]
assert cm["labels"] == ["no", "yes"], cm
assert sum(map(sum, cm["counts"])) == ev["rows"] == 3000
# predict's labels are eval's labels: the threshold travels in the artifact
yes = sum(1 for r in preds if r["prediction"] == "yes")
assert yes == cm["counts"][0][1] + cm["counts"][1][1], (yes, cm)
assert yes == sum(1 for r in preds if float(r["p_yes"]) >= t)
assert [c["class"] for c in ev["per_class"]] == ["no", "yes"]
PY
for chart in roc pr threshold calibration confusion importance; do
  grep -q "data-chart=\"$chart\"" report.html || fail "report lacks the $chart chart"
done
grep -q "data-table=\"cv\"" report.html || fail "report lacks the training's cv folds"
if grep -q "<script" report.html; then fail "report has a script"; fi

# Multiclass and regression.
"$bin" train churn/workflow.yaml --set target=contract --set task=multiclass \
  --set 'features.derived=[]' --out mc.mloop >/dev/null 2>&1 || fail "train multiclass"
"$bin" eval mc.mloop --data "$data" --json --report mc.html >mc.json 2>/dev/null || fail "eval mc"
"$bin" train churn/workflow.yaml --set target=monthly_fee --set task=regression \
  --set split.method=random --out reg.mloop >/dev/null 2>&1 || fail "train regression"
"$bin" eval reg.mloop --data "$data" --json --report reg.html >reg.json 2>/dev/null ||
  fail "eval regression"
"$bin" eval reg.mloop --data "$data" >reg.txt 2>/dev/null || fail "eval regression (table)"
grep -q "^rmse " reg.txt || { cat reg.txt; fail "table"; }
$py - mc.json reg.json <<'PY'
import json, sys
mc, reg = (json.load(open(p)) for p in sys.argv[1:])
assert len(mc["confusion_matrix"]["labels"]) == 3, mc["confusion_matrix"]
for k in ["multi_logloss", "roc_auc_ovr", "roc_auc_ovr_weighted", "accuracy", "f1_macro",
          "f1_weighted", "mcc", "kappa"]:
    assert isinstance(mc["metrics"][k], float), (k, mc["metrics"])
for k in ["rmse", "mae", "r2", "explained_variance", "mape", "median_ae"]:
    assert isinstance(reg["metrics"][k], float), (k, reg["metrics"])
q = reg["residual_quantiles"]
assert q["p5"] <= q["p25"] <= q["p50"] <= q["p75"] <= q["p95"], q
PY
grep -q 'data-chart="confusion"' mc.html || fail "multiclass report"
grep -q 'data-chart="residuals"' reg.html || fail "regression report residuals"
grep -q 'data-chart="pred_actual"' reg.html || fail "regression report predicted vs actual"

# Weights: a weight column changes the metrics; a bad one is refused by name.
$py - "$data" <<'PY'
import csv, sys
rows = list(csv.DictReader(open(sys.argv[1])))
with open("weighted.csv", "w", newline="") as f:
    w = csv.DictWriter(f, fieldnames=list(rows[0]) + ["w"])
    w.writeheader()
    for i, r in enumerate(rows):
        r["w"] = 1 + i % 3
        w.writerow(r)
PY
"$bin" eval b.mloop --data weighted.csv --weight w --json >w.json 2>/dev/null || fail "weights"
$py - eval.json w.json <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:])
assert a["metrics"]["auc"] != b["metrics"]["auc"]
assert sum(map(sum, b["confusion_matrix"]["counts"])) == sum(1 + i % 3 for i in range(3000))
PY
if "$bin" eval b.mloop --data weighted.csv --weight plan 2>err.txt; then fail "text weights"; fi
grep -q "column 'plan' is string, not a number" err.txt || { cat err.txt; fail "weight message"; }
cut -d, -f1-13 "$data" >nolabel.csv
if "$bin" eval b.mloop --data nolabel.csv 2>err.txt; then fail "no target accepted"; fi
grep -q "eval needs the true values: target column 'churned' not found in the data" err.txt ||
  { cat err.txt; fail "target message"; }
echo "eval: ok"
