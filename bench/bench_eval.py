#!/usr/bin/python3
"""Evaluation and tuning benchmark: mloop's cross-validation and halving
search against scikit-learn's, in the same run, sides alternated.

    MLOOP_BUILD=build bench/bench_eval.py

1. Cross-validation (issue 5's target: >= 5x faster).  5-fold CV of the
   default gbdt workflow (one-hot categoricals, 100 rounds, 31 leaves) on the
   stratified 80 % training part of ../shared/data/telco_churn.csv (seed 42),
   against cross_val_score over OneHotEncoder + HistGradientBoostingClassifier
   (the same defaults) on the same share.  mloop's time is the summary's
   cv_s (every fold fits the whole pipeline); scikit-learn's the
   cross_val_score call.  Loading is timed on neither side.
2. Halving search (target: faster than HalvingRandomSearchCV at an equal or
   better best score).  40 candidates, factor 3, 3-fold CV, ROC AUC,
   learning_rate log-uniform in [0.01, 0.3] and leaves in [15, 255], 100
   rounds without early stopping, rungs of 40/14/5/2 candidates on 1/27,
   1/9, 1/3 and all of the training part (scikit-learn's min_resources=
   "exhaust"), the best refitted; on the 80 % training part of
   bench/data/clf/train.csv (1,000,000 rows x 28, generated when absent).
   mloop's time is tune_s + train_s (the refit); scikit-learn's the
   search's fit, which includes its refit.  The scores compared are the test
   AUC of the refitted best model on the held-out 20 % and the best CV score.

Both sides get 2 threads.  Ratios are the median of the per-pair ratios.
Markdown to stdout and bench/out/eval.md; exit 2 when it cannot run.
Environment: MLOOP_BUILD, MLOOP_BENCH_CV_PAIRS (default 5),
MLOOP_BENCH_TUNE_PAIRS (default 2), MLOOP_BENCH_PARTS (default "cv,halving"),
MLOOP_SHARED_DATA (default ../shared/data).
"""
import json
import os
import statistics
import subprocess
import sys

from bench_csv import BenchError, HERE, ROOT, build_binary, machine_facts, sklearn_version

THREADS = 2


def run_json(cmd, env):
    p = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if p.returncode != 0:
        raise BenchError(f"{' '.join(cmd)} exited with {p.returncode}:\n{p.stderr.strip()[-2000:]}")
    lines = [l for l in p.stdout.splitlines() if l.startswith("{")]
    text = "\n".join(p.stdout.splitlines()) if not lines or not lines[-1].endswith("}") else None
    try:
        return json.loads(text if text else p.stdout[p.stdout.index("{"):])
    except (ValueError, json.JSONDecodeError) as e:
        raise BenchError(f"{' '.join(cmd)}: no JSON ({e})")


def write_yaml(path, text):
    with open(path, "w") as f:
        f.write(text)
    return path


def cv_part(mloop, env, pairs, telco):
    out = os.path.join(HERE, "out")
    wf = write_yaml(os.path.join(out, "telco_cv.yaml"), f"""name: telco_cv
data: {{source: {telco}}}
target: Churn
split: {{method: stratified, test: 0.2, seed: 42}}
features: {{id: customerID}}
cv: 5
""")
    rows = []
    for i in range(pairs):
        m = run_json([mloop, "train", wf, "--out", os.path.join(out, "telco_cv.mloop"), "--json"],
                     env)
        s = run_json([sys.executable, os.path.join(HERE, "sklearn_eval.py"), "cv", telco], env)
        rows.append((m["timings"]["cv_s"], m["cv"]["mean_std"]["auc"]["mean"], s["seconds"],
                     s["auc_mean"], m["split"]["train_rows"], s["rows"]))
        print(f"cv pair {i + 1}/{pairs}: mloop {rows[-1][0]:.2f}s, scikit-learn "
              f"{rows[-1][2]:.2f}s", file=sys.stderr)
    return rows


def halving_part(mloop, env, pairs):
    data = os.path.join(HERE, "data", "clf")
    train = os.path.join(data, "train.csv")
    if not os.path.exists(train):
        print(f"generating {data}…", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_classification.py"), data],
                       check=True)
    out = os.path.join(HERE, "out")
    wf = write_yaml(os.path.join(out, "clf_halving.yaml"), f"""name: clf_halving
data: {{source: {train}}}
target: y
task: binary
split: {{method: stratified, test: 0.2, seed: 42}}
model: {{type: gbdt, params: {{n_estimators: 100}}}}
tune:
  method: halving
  trials: 40
  cv: 3
  metric: auc
  space: {{learning_rate: [0.01, 0.3, log], num_leaves: [15, 255, int]}}
""")
    rows = []
    for i in range(pairs):
        m = run_json([mloop, "train", wf, "--out", os.path.join(out, "clf_halving.mloop"),
                      "--json"], env)
        s = run_json([sys.executable, os.path.join(HERE, "sklearn_eval.py"), "halving", train],
                     env)
        t = m["tune"]
        rows.append({"m_s": m["timings"]["tune_s"] + m["timings"]["train_s"],
                     "m_auc": m["test_metrics"]["auc"], "m_cv": t["best_score"],
                     "m_params": t["best_params"], "m_rungs": t["rungs"],
                     "m_fits": len(t["trials"]),
                     "s_s": s["seconds"], "s_auc": s["test_auc"], "s_cv": s["best_cv"],
                     "s_params": s["best_params"], "s_rungs": s["rungs"], "s_fits": s["fits"]})
        r = rows[-1]
        print(f"halving pair {i + 1}/{pairs}: mloop {r['m_s']:.1f}s AUC {r['m_auc']:.4f}, "
              f"scikit-learn {r['s_s']:.1f}s AUC {r['s_auc']:.4f}", file=sys.stderr)
    return rows


def render(machine, cv_rows, tune_rows):
    med = statistics.median
    out = ["## Evaluation and tuning: mloop vs scikit-learn 1.2\n"]
    out.append(f"- harness: `bench/bench_eval.py` (`bench/sklearn_eval.py` for the Python "
               f"side); scikit-learn {machine['sklearn']}, Python {machine['python']}")
    out.append(f"- machine: {machine['nproc']} CPUs, {machine['cpu']}; date: {machine['date']}; "
               f"{THREADS} threads on both sides")
    if cv_rows:
        ratio = [s / m for m, _, s, _, _, _ in cv_rows]
        ok = med(ratio) >= 5
        out.append("\n### 5-fold cross-validation, telco_churn.csv\n")
        out.append(f"Default gbdt workflow (one-hot, 100 rounds, 31 leaves) against "
                   f"`cross_val_score(OneHotEncoder + HistGradientBoostingClassifier)`, "
                   f"{cv_rows[0][4]:,} training rows, {len(cv_rows)} pairs alternated.\n")
        out.append("| measure | mloop | scikit-learn | ratio (median of pairs) | target | result |")
        out.append("|---|---:|---:|---:|---:|:---:|")
        out.append(f"| 5-fold CV (s) | {med(r[0] for r in cv_rows):.2f} | "
                   f"{med(r[2] for r in cv_rows):.2f} | {med(ratio):.2f}x faster | ≥ 5x | "
                   f"{'PASS' if ok else 'FAIL'} |")
        out.append(f"| mean ROC AUC over the folds | {med(r[1] for r in cv_rows):.4f} | "
                   f"{med(r[3] for r in cv_rows):.4f} | | | |")
        out.append("\nPer pair (s): " + ", ".join(f"{m:.2f} / {s:.2f}" for m, _, s, _, _, _ in
                                                  cv_rows) + "\n")
    if tune_rows:
        ratio = [r["s_s"] / r["m_s"] for r in tune_rows]
        auc = [r["m_auc"] - r["s_auc"] for r in tune_rows]
        cvd = [r["m_cv"] - r["s_cv"] for r in tune_rows]
        faster, score_ok = med(ratio) > 1, med(auc) >= -0.0005
        out.append("\n### 40-candidate successive halving, 1,000,000 rows\n")
        r0 = tune_rows[0]
        out.append(f"`HalvingRandomSearchCV` (factor 3, 3-fold, ROC AUC; {r0['s_rungs']} rungs, "
                   f"{r0['s_fits']} candidates scored) against `tune: {{method: halving, "
                   f"trials: 40, cv: 3}}` ({r0['m_rungs']} rungs, {r0['m_fits']} trials "
                   f"scored); both search 800,000 training rows and refit the best; "
                   f"{len(tune_rows)} pairs alternated.\n")
        out.append("| measure | mloop | scikit-learn | ratio / difference (median of pairs) | "
                   "target | result |")
        out.append("|---|---:|---:|---:|---:|:---:|")
        out.append(f"| search + refit (s) | {med(r['m_s'] for r in tune_rows):.1f} | "
                   f"{med(r['s_s'] for r in tune_rows):.1f} | {med(ratio):.2f}x faster | > 1x | "
                   f"{'PASS' if faster else 'FAIL'} |")
        out.append(f"| test ROC AUC of the refitted best | "
                   f"{med(r['m_auc'] for r in tune_rows):.4f} | "
                   f"{med(r['s_auc'] for r in tune_rows):.4f} | {med(auc):+.4f} | "
                   f"≥ −0.0005 | {'PASS' if score_ok else 'FAIL'} |")
        out.append(f"| best CV score | {med(r['m_cv'] for r in tune_rows):.4f} | "
                   f"{med(r['s_cv'] for r in tune_rows):.4f} | {med(cvd):+.4f} | | |")
        out.append("\nBest parameters, last pair: mloop " + json.dumps(tune_rows[-1]["m_params"])
                   + ", scikit-learn " + json.dumps(tune_rows[-1]["s_params"]) + "\n")
    return "\n".join(out)


def main():
    shared = os.environ.get("MLOOP_SHARED_DATA", os.path.join(ROOT, "..", "shared", "data"))
    telco = os.path.abspath(os.path.join(shared, "telco_churn.csv"))
    parts = os.environ.get("MLOOP_BENCH_PARTS", "cv,halving").split(",")
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    try:
        mloop = build_binary("mloop")
        machine = machine_facts(sklearn=sklearn_version())
        cv_rows = tune_rows = None
        if "cv" in parts:
            if os.path.exists(telco):
                cv_rows = cv_part(mloop, env, int(os.environ.get("MLOOP_BENCH_CV_PAIRS", "5")),
                                  telco)
            else:
                print(f"bench_eval: skipping the CV part: {telco} is absent", file=sys.stderr)
        if "halving" in parts:
            tune_rows = halving_part(mloop, env,
                                     int(os.environ.get("MLOOP_BENCH_TUNE_PAIRS", "2")))
    except BenchError as e:
        print(f"bench_eval: {e}", file=sys.stderr)
        print("## Evaluation and tuning: mloop vs scikit-learn 1.2\n\nnot run: "
              + str(e).splitlines()[0] + "\n")
        return 2
    text = render(machine, cv_rows, tune_rows)
    with open(os.path.join(HERE, "out", "eval.md"), "w") as f:
        f.write(text + "\n")
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
