#!/usr/bin/env bash
# Reads every dataset in ../shared/data through `mloop data profile --json`
# and checks rows, columns, inferred types and null counts against facts
# established independently (Python's csv module and a reading of each
# file).  Skips (exit 77) when the datasets are absent.
set -euo pipefail
bin=${MLOOP_BIN:?MLOOP_BIN is not set}
data=${MLOOP_SHARED_DATA:-}
if [ -z "$data" ] || [ ! -f "$data/README.md" ]; then
  echo "skipping: the shared datasets (../shared/data) are absent"
  exit 77
fi
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
for f in "$data"/*; do
  name=$(basename "$f")
  case "$name" in
    README.md) continue ;;
    lgb_*) "$bin" data profile "$f" --no-header --json >"$out/$name.json" ;;
    *) "$bin" data profile "$f" --json >"$out/$name.json" ;;
  esac
done
/usr/bin/python3 - "$out" "$data" <<'PY'
import json, os, sys
out, data = sys.argv[1], sys.argv[2]
# file: (rows, columns, {type: count}, {column: nulls}, {column: type})
facts = {
 "telco_churn.csv": (7043, 26, {"string": 19, "int": 3, "float": 4}, {"TotalCharges": 11},
                     {"customerID": "string", "TotalCharges": "float", "ZipCode": "int",
                      "SeniorCitizen": "int", "Churn": "string"}),
 "breast_cancer.csv": (569, 31, {"float": 30, "int": 1}, {}, {"target": "int"}),
 "iris.csv": (150, 5, {"float": 4, "int": 1}, {}, {"target": "int"}),
 "wine.csv": (178, 14, {"float": 13, "int": 1}, {}, {}),
 "diabetes.csv": (442, 11, {"float": 11}, {}, {"target": "float"}),
 "mlbench_BreastCancer.csv": (699, 11, {"int": 10, "string": 1}, {"Bare.nuclei": 16},
                              {"Bare.nuclei": "int", "Class": "string", "Id": "int"}),
 "mlbench_PimaIndiansDiabetes2.csv": (768, 9, {"int": 6, "float": 2, "string": 1},
     {"glucose": 5, "pressure": 35, "triceps": 227, "insulin": 374, "mass": 11}, {"diabetes": "string"}),
 "mlbench_BostonHousing2.csv": (506, 19, {"string": 1, "int": 4, "float": 14}, {},
                                {"town": "string", "chas": "int", "cmedv": "float"}),
 "mlbench_HouseVotes84.csv": (435, 17, {"string": 17}, {"V1": 12, "V2": 48, "V3": 11, "V4": 11, "V5": 15, "V6": 11, "V7": 14, "V8": 15, "V9": 22,
      "V10": 7, "V11": 21, "V12": 31, "V13": 25, "V14": 17, "V15": 28, "V16": 104}, {}),
 "mlbench_Glass.csv": (214, 10, {"float": 9, "int": 1}, {}, {}),
 "mlbench_Ionosphere.csv": (351, 35, {"int": 2, "float": 32, "string": 1}, {}, {"V2": "int"}),
 "mlbench_Sonar.csv": (208, 61, {"float": 60, "string": 1}, {}, {}),
 "mlbench_Vehicle.csv": (846, 19, {"int": 18, "string": 1}, {}, {}),
 "lgb_binary.train": (7000, 29, {"int": 1, "float": 28}, {}, {"c0": "int"}),
 "lgb_binary.test": (500, 29, {"int": 1, "float": 28}, {}, {}),
 "lgb_multiclass.train": (7000, 29, {"int": 1, "float": 28}, {}, {}),
 "lgb_multiclass.test": (500, 29, {"int": 1, "float": 28}, {}, {}),
}
def libsvm_facts(path):
    rows, lo, hi = 0, None, None
    for line in open(path):
        parts = line.split("#")[0].split()
        if not parts:
            continue
        rows += 1
        for p in parts[1:]:
            k = p.split(":")[0]
            if k == "qid":
                continue
            i = int(k)
            lo = i if lo is None else min(lo, i)
            hi = i if hi is None else max(hi, i)
    return rows, hi - lo + 2  # features plus the label
failures = []
seen = 0
for name in sorted(os.listdir(out)):
    p = json.load(open(os.path.join(out, name)))
    src = name[:-5]
    cols = {c["name"]: c for c in p["columns"]}
    if src.endswith(".libsvm"):
        rows, ncols = libsvm_facts(os.path.join(data, src))
        want = (rows, ncols, None, {}, {"label": "float"})
    elif src in facts:
        want = facts[src]
    else:
        failures.append(f"{src}: no facts recorded for this dataset; add them")
        continue
    seen += 1
    rows, ncols, types, nulls, named = want
    if p["rows"] != rows: failures.append(f"{src}: {p['rows']} rows, expected {rows}")
    if len(cols) != ncols: failures.append(f"{src}: {len(cols)} columns, expected {ncols}")
    if types is not None:
        got = {}
        for c in p["columns"]:
            got[c["type"]] = got.get(c["type"], 0) + 1
        if got != types: failures.append(f"{src}: types {got}, expected {types}")
    for c in p["columns"]:
        want_nulls = nulls.get(c["name"], 0)
        if c["nulls"] != want_nulls:
            failures.append(f"{src}: column {c['name']} has {c['nulls']} nulls, expected {want_nulls}")
    for n, t in named.items():
        if n not in cols: failures.append(f"{src}: no column {n}")
        elif cols[n]["type"] != t: failures.append(f"{src}: {n} is {cols[n]['type']}, expected {t}")
for f in failures:
    print("FAIL", f)
print(f"shared data: {seen} files checked, {len(failures)} failures")
sys.exit(1 if failures else 0)
PY
