#!/usr/bin/env bash
# `mloop train WORKFLOW.yaml` end to end on the churn example: the workflow
# resolves its data path against its own folder, fits the pipeline on the
# training rows, evaluates on the held-out rows and writes one artifact that
# `mloop predict` and the C API use on raw columns (the pipeline travels
# with the model).  Variants through --set: native categoricals, a linear
# model with scaling, selection by importance; a predict input that lacks a
# column the pipeline needs is refused by name.
set -euo pipefail
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
example=${MLOOP_EMBED_EXAMPLE:?MLOOP_EMBED_EXAMPLE is not set}
src=${MLOOP_SOURCE_DIR:?MLOOP_SOURCE_DIR is not set}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

mkdir -p "$work/churn/data"
cp "$src/examples/churn/workflow.yaml" "$work/churn/"
$py "$src/examples/churn/generate.py" 6000 "$work/churn/data/customers.csv" >/dev/null

cd "$work"  # relative paths must resolve against the workflow, not here
"$bin" train churn/workflow.yaml --out m.mloop --json >train.json 2>train.err ||
  { cat train.err; fail "train"; }
[ ! -s train.err ] || { cat train.err; fail "train wrote to stderr in a pipe"; }
$py - train.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["name"] == "churn" and s["task"] == "binary", s
assert s["split"]["method"] == "stratified" and s["split"]["test_rows"] == 1200, s["split"]
auc = s["test_metrics"]["auc"]
assert auc > 0.75, f"test auc {auc}"
names = {f["name"] for f in s["pipeline"]["features"]}
for want in ["calls_per_year", "new_monthly", "contract=month-to-month", "signup_date_epoch_days",
             "city", "signup_date_year", "age_missing"]:
    assert want in names, (want, sorted(names))
# spend_per_month is fee times noise: selection drops it as a near-copy of monthly_fee.
why = {d["name"]: d["why"] for d in s["pipeline"]["dropped"]}
assert why.get("spend_per_month", "").startswith("correlated with 'monthly_fee'"), why
assert "customer_id" not in s["pipeline"]["inputs"]
assert s["outliers_dropped"] > 0
PY

# The artifact predicts from raw columns: CSV in, CSV out, ids kept.
"$bin" predict m.mloop --data churn/data/customers.csv --id customer_id --out p.csv 2>/dev/null ||
  fail "predict"
[ "$(head -1 p.csv)" = "customer_id,prediction,p_no,p_yes" ] || fail "predict header: $(head -1 p.csv)"
[ "$(wc -l <p.csv)" = 6001 ] || fail "predict rows"

# The C API (examples/embed) agrees with the CLI on the first customer
# (signup date left missing: the example passes numbers and categories).
$py - churn/data/customers.csv <<'PY' >one.args
import csv, sys
row = next(csv.DictReader(open(sys.argv[1])))
skip = {"customer_id", "signup_date", "churned"}
print(" ".join(f"{k}={v}" for k, v in row.items() if k not in skip and v != ""))
with open("one.csv", "w") as f:
    w = csv.writer(f)
    w.writerow(row.keys())
    w.writerow(["" if k == "signup_date" else v for k, v in row.items()])
PY
# shellcheck disable=SC2046
"$example" m.mloop $(cat one.args) >embed.out 2>&1 || { cat embed.out; fail "embed example"; }
"$bin" predict m.mloop --data one.csv --out one_pred.csv 2>/dev/null || fail "predict one"
$py - embed.out one_pred.csv <<'PY'
import csv, sys
embed = dict(line.strip().split("=") for line in open(sys.argv[1]))
cli = next(csv.DictReader(open(sys.argv[2])))
assert abs(float(embed["p_yes"]) - float(cli["p_yes"])) < 1e-5, (embed, cli)
PY

# A column the pipeline needs is missing: refused by name, nothing written.
cut -d, -f1-9,11- churn/data/customers.csv >no_total.csv
if "$bin" predict m.mloop --data no_total.csv --out q.csv 2>err.txt; then fail "missing column accepted"; fi
grep -q "input column 'total_spend' that the model needs is missing" err.txt || { cat err.txt; fail "message"; }
[ ! -e q.csv ] || fail "partial output left behind"

# Variants through --set.
"$bin" train churn/workflow.yaml --set features.categorical.encode=native \
  --set features.columns.city.encode=native --out native.mloop --json >native.json 2>/dev/null ||
  fail "native"
"$bin" train churn/workflow.yaml --set model.type=linear --set 'model.params={}' \
  --set features.numeric.scale=standard --out linear.mloop --json >linear.json 2>/dev/null ||
  fail "linear"
"$bin" train churn/workflow.yaml --set features.select.method=importance \
  --set features.select.top_k=8 --out top.mloop --json >top.json 2>/dev/null || fail "importance"
$py - native.json linear.json top.json <<'PY'
import json, sys
native, linear, top = (json.load(open(p)) for p in sys.argv[1:])
assert native["test_metrics"]["auc"] > 0.75, native["test_metrics"]
assert "contract" in {f["name"] for f in native["pipeline"]["features"]}
assert linear["model"] == "linear" and linear["test_metrics"]["auc"] > 0.75, linear["test_metrics"]
assert top["features"] == 8, top["features"]
assert any("importance" in d["why"] for d in top["pipeline"]["dropped"])
PY
"$bin" predict top.mloop --data churn/data/customers.csv --out top.csv 2>/dev/null || fail "predict top"
# Cross-validation on the training part: the whole pipeline is fitted inside
# each fold.  A random ID shared by two rows, target-encoded with no
# smoothing, carries a row's own label whenever the encoder saw that row:
# were the pipeline fitted on all training rows, each fold's held-out rows
# would be scored half from their own labels (AUC far above 0.5).
"$bin" train churn/workflow.yaml --set cv=4 --out cv.mloop --json >cv.json 2>/dev/null || fail "cv"
$py - churn/data/customers.csv <<'PY'
import csv, random, sys
random.seed(1)
rows = list(csv.DictReader(open(sys.argv[1])))
ids = [f"R{i // 2}" for i in range(len(rows))]
random.shuffle(ids)
with open("ids.csv", "w", newline="") as f:
    w = csv.writer(f)
    w.writerow(["row_id", "churned"])
    for i, r in zip(ids, rows):
        w.writerow([i, r["churned"]])
PY
cat >ids.yaml <<'YAML'
name: leak
data: {source: ids.csv}
target: churned
features:
  columns: {row_id: {encode: target, smoothing: 0}}
model: {type: gbdt, params: {n_estimators: 50}}
cv: 5
YAML
"$bin" train ids.yaml --out ids.mloop --json >ids.json 2>/dev/null || fail "cv leak run"
$py - cv.json ids.json <<'PY'
import json, sys
cv, ids = (json.load(open(p)) for p in sys.argv[1:])
c = cv["cv"]
assert c["folds"] == 4 and len(c["per_fold"]) == 4, c
assert sum(f["test_rows"] for f in c["per_fold"]) == cv["split"]["train_rows"], c
assert 0.7 < c["mean_std"]["auc"]["mean"] < 0.95 and c["mean_std"]["auc"]["std"] > 0, c
leak = ids["cv"]["mean_std"]["auc"]["mean"]
assert leak < 0.6, f"a random ID looks predictive under cross-validation: AUC {leak}"
assert ids["test_metrics"]["auc"] < 0.6, ids["test_metrics"]
PY
# Tuning: successive halving by cross-validation, the best refitted.
cp churn/workflow.yaml churn/tuned.yaml
cat >>churn/tuned.yaml <<'YAML'
tune: {method: halving, trials: 9, cv: 3, metric: auc,
       space: {learning_rate: [0.02, 0.3, log], num_leaves: [7, 63, int]}}
YAML
"$bin" tune churn/tuned.yaml --out tuned.mloop --json >tuned.json 2>/dev/null || fail "tune"
"$bin" tune churn/tuned.yaml --out tuned2.mloop --report tuned.html >tuned.txt 2>/dev/null ||
  fail "tune (table)"
[ "$(grep -c 'data-chart="trials"' tuned.html)" = 2 ] || fail "report: a trials chart per parameter"
grep -q 'data-table="trials"' tuned.html || fail "report: the trials table"
grep -q "tuning: halving search, 13 trials, auc by 3-fold cv" tuned.txt || { cat tuned.txt; fail "table"; }
$py - tuned.json <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
t = s["tune"]
assert t["rungs"] == 3 and len(t["trials"]) == 9 + 3 + 1, t
best = t["trials"][t["best"]]
assert best["rung"] == 2 and best["budget"] == 1, best
for k, v in t["best_params"].items():  # the refit used the best values
    assert float(s["params"][k]) == float(v), (k, v, s["params"])
assert 7 <= int(s["params"]["num_leaves"]) <= 63
assert s["test_metrics"]["auc"] > 0.75
PY
# Halving with boosting rounds as the budget: every trial sees every row.
"$bin" tune churn/tuned.yaml --set tune.budget=rounds --set tune.trials=4 --out rounds.mloop \
  --json >rounds.json 2>/dev/null || fail "tune by rounds"
$py - rounds.json <<'PY'
import json, sys
t = json.load(open(sys.argv[1]))["tune"]
budgets = sorted({x["budget"] for x in t["trials"]})
assert budgets[-1] == 1 and budgets[0] < 1, budgets
PY
echo "workflow: ok"
