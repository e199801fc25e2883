#!/usr/bin/env bash
# `mloop train` and `mloop predict` end to end on the demo's customer data:
# every model kind trains and writes an artifact; predictions land in CSV
# and SQLite with the id column, the predicted class and one probability per
# class; streaming in small batches gives the same output as one batch; the
# embedding example (examples/embed) predicts the same probability as the
# CLI; validation and early stopping report through --json; no progress
# line leaks into a pipe.
set -euo pipefail
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
example=${MLOOP_EMBED_EXAMPLE:?MLOOP_EMBED_EXAMPLE is not set}
py=/usr/bin/python3
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

"$bin" demo --rows 4000 --dir "$work/demo" >"$work/demo.out" 2>&1 || { cat "$work/demo.out"; fail "demo"; }
grep -q "validation metrics" "$work/demo.out" || fail "demo did not train"
grep -q "^auc " "$work/demo.out" || fail "demo did not evaluate"
grep -q 'data-chart="roc"' "$work/demo/report.html" || fail "demo wrote no report"
grep -q "scored 4000 rows" "$work/demo.out" || fail "demo did not score"
data="$work/demo/customers.csv"

for model in gbdt linear forest; do
  seed=(--param seed=1)
  [ "$model" = linear ] && seed=()
  "$bin" train --data "$data" --target churned --drop customer_id --model "$model" \
    --valid-fraction 0.25 --out "$work/$model.mloop" --json "${seed[@]}" >"$work/$model.json" \
    2>"$work/$model.err" || { cat "$work/$model.err"; fail "train $model"; }
  [ -s "$work/$model.mloop" ] || fail "$model artifact missing"
  [ ! -s "$work/$model.err" ] || { cat "$work/$model.err"; fail "train $model wrote to stderr in a pipe"; }
  $py - "$work/$model.json" "$model" <<'PY'
import json, sys
s = json.load(open(sys.argv[1]))
assert s["model"] == sys.argv[2] and s["task"] == "binary", s
auc = s["valid_metrics"]["auc"]
assert auc > 0.7, f"{sys.argv[2]}: validation auc {auc}"
assert len(s["sha256"]) == 64
PY
done

# Early stopping keeps the best round.
"$bin" train --data "$data" --target churned --drop customer_id --valid-fraction 0.25 \
  --param n_estimators=2000 --param learning_rate=0.3 --param early_stopping=5 \
  --out "$work/es.mloop" --json >"$work/es.json"
$py -c 'import json,sys; s=json.load(open(sys.argv[1])); assert s["rounds"] < 2000 and s["rounds"] == s["best_round"] + 5, s' "$work/es.json"

# Predict to CSV, in one batch and in batches of 333 rows: same bytes.
"$bin" predict "$work/gbdt.mloop" --data "$data" --out "$work/p1.csv" --id customer_id 2>/dev/null
"$bin" predict "$work/gbdt.mloop" --data "$data" --out "$work/p2.csv" --id customer_id \
  --batch-rows 333 2>/dev/null
cmp -s "$work/p1.csv" "$work/p2.csv" || fail "batching changed the predictions"
head -1 "$work/p1.csv" | grep -qx "customer_id,prediction,p_no,p_yes" || fail "header: $(head -1 "$work/p1.csv")"
[ "$(wc -l <"$work/p1.csv")" = 4001 ] || fail "row count"

# Into SQLite, then the predictions read back through mloop itself.
"$bin" predict "$work/forest.mloop" --data "$data" --out "sqlite:$work/scores.db" \
  --to-table scores --id customer_id 2>/dev/null
"$bin" data profile "sqlite:$work/scores.db" --table scores --json | $py -c '
import json, sys
p = json.load(sys.stdin)
assert p["rows"] == 4000, p["rows"]
names = [c["name"] for c in p["columns"]]
assert names == ["customer_id", "prediction", "p_no", "p_yes"], names'

# The embedding example gives the CLI's probability for the first customer
# (dates, timestamps and bools left missing: the example parses plain
# numbers and categories only).
$py - "$data" "$work/one.csv" >"$work/args.txt" <<'PY'
import csv, sys
reader = csv.DictReader(open(sys.argv[1]))
r = next(reader)
for k in ("signup_date", "last_login", "has_partner"):
    r[k] = ""
w = csv.DictWriter(open(sys.argv[2], "w", newline=""), fieldnames=reader.fieldnames)
w.writeheader()
w.writerow(r)
print(" ".join(f"{k}={v}" for k, v in r.items() if v != "" and k not in ("customer_id", "churned")))
PY
"$bin" predict "$work/gbdt.mloop" --data "$work/one.csv" --out "$work/one_pred.csv" 2>/dev/null
# shellcheck disable=SC2046
got=$("$example" "$work/gbdt.mloop" $(cat "$work/args.txt") | sed -n 's/^p_yes=//p')
want=$(sed -n 2p "$work/one_pred.csv" | cut -d, -f3)
$py -c 'import sys; a, b = float(sys.argv[1]), float(sys.argv[2]); assert abs(a - b) < 1e-6, (a, b)' "$got" "$want" \
  || fail "embed example p_yes $got, CLI $want"

# The output is never half-written: a failing predict leaves no file.
if "$bin" predict "$work/gbdt.mloop" --data "$work/demo/missing.csv" --out "$work/none.csv" 2>/dev/null; then
  fail "predict on a missing file succeeded"
fi
[ ! -e "$work/none.csv" ] || fail "a failed predict left a file"
echo "train/predict: ok"
