#!/usr/bin/python3
"""Model benchmark: mloop's gbdt and linear models against XGBoost 1.7,
scikit-learn's HistGradientBoostingClassifier and LogisticRegression.

    MLOOP_BUILD=build bench/bench_models.py

Data: 1,000,000 training + 200,000 test rows of make_classification
(bench/gen_classification.py; generated into bench/data/clf when absent).
Parameters: 500 rounds, learning rate 0.1, 31 leaves, 255 bins, no early
stopping, 2 threads on every side.  Sides run alternately in fresh
processes (mloop, XGBoost, scikit-learn, then again) for MLOOP_BENCH_REPS
repetitions (default 3); ratios are computed per repetition and the median
is quoted.

Figures:
  training time ratio   mloop train_s / XGBoost train_s (both include binning;
                        neither includes reading the data)
  peak memory ratio     whole-process peak RSS (/usr/bin/time), mloop reading
                        the CSV against XGBoost reading .npy
  batch prediction      rows/s through the C API (bench_predict_api) against
                        XGBoost inplace_predict, 2 threads, best of 5 / 3
  single-row latency    p50 / p99 of 20,000 one-row mloop_predict calls
  logistic regression   mloop --model linear train_s against StandardScaler +
                        LogisticRegression(lbfgs) fit, with both AUCs
Markdown goes to stdout and bench/out/models.md.
"""
import json
import os
import statistics
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)
THREADS = 2


def build_dir():
    b = os.environ.get("MLOOP_BUILD", "build")
    return b if os.path.isabs(b) else os.path.join(ROOT, b)


def ensure_data(rows):
    d = os.path.join(HERE, "data", "clf" if rows == 1_000_000 else f"clf-{rows}")
    if not os.path.exists(os.path.join(d, "test.csv")):
        print(f"generating {d}…", file=sys.stderr)
        subprocess.run([sys.executable, os.path.join(HERE, "gen_classification.py"), d,
                        "--rows", str(rows), "--test-rows", str(max(rows // 5, 10))], check=True)
    return d


def timed(cmd, env=None):
    """Runs cmd under /usr/bin/time; returns (stdout, peak RSS in MiB)."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as tf:
        full = ["/usr/bin/time", "-f", "%M", "-o", tf.name] + cmd
        p = subprocess.run(full, capture_output=True, text=True, env=env)
        if p.returncode != 0:
            raise RuntimeError(f"{' '.join(cmd)} failed: {p.stderr[-2000:]}")
        rss_kib = int(tf.read().strip().splitlines()[-1])
    return p.stdout, rss_kib / 1024.0


def mloop_train(data, model, out, rounds):
    params = [] if model == "linear" else [
        "n_estimators=%d" % rounds, "learning_rate=0.1", "num_leaves=31", "max_bin=255",
        "min_data_in_leaf=1", "min_sum_hessian_in_leaf=1e-3", "lambda_l2=0"]
    cmd = [os.path.join(build_dir(), "mloop"), "train", "--data", os.path.join(data, "train.csv"),
           "--target", "y", "--task", "binary", "--model", model, "--threads", str(THREADS),
           "--out", out, "--json"]
    for p in params:
        cmd += ["--param", p]
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    stdout, rss = timed(cmd, env)
    return json.loads(stdout), rss


def competitor(lib, data, rounds):
    env = dict(os.environ, OMP_NUM_THREADS=str(THREADS))
    stdout, rss = timed([sys.executable, os.path.join(HERE, "competitor_models.py"), lib, data,
                         str(rounds), str(THREADS)], env)
    return json.loads(stdout), rss


def predict_api(model, data):
    p = subprocess.run([os.path.join(build_dir(), "bench_predict_api"), model,
                        os.path.join(data, "test.csv"), str(THREADS)],
                       capture_output=True, text=True,
                       env=dict(os.environ, OMP_NUM_THREADS=str(THREADS)))
    if p.returncode != 0:
        raise RuntimeError("bench_predict_api failed: " + p.stderr[-2000:])
    return json.loads(p.stdout)


def med(xs):
    return statistics.median(xs)


def main():
    rows = int(os.environ.get("MLOOP_BENCH_MODEL_ROWS", "1000000"))
    rounds = int(os.environ.get("MLOOP_BENCH_ROUNDS", "500"))
    reps = int(os.environ.get("MLOOP_BENCH_REPS", "3"))
    data = ensure_data(rows)
    os.makedirs(os.path.join(HERE, "out"), exist_ok=True)
    model_path = os.path.join(HERE, "out", "bench_gbdt.mloop")
    linear_path = os.path.join(HERE, "out", "bench_linear.mloop")
    r = {k: [] for k in ("train_ratio", "mem_ratio", "predict_ratio", "auc_diff", "p50", "p99",
                         "lr_ratio", "lr_auc_diff", "hgb_ratio")}
    raw = []
    for rep in range(reps):
        print(f"repetition {rep + 1}/{reps}", file=sys.stderr)
        ours, ours_rss = mloop_train(data, "gbdt", model_path, rounds)
        api = predict_api(model_path, data)
        xgb, xgb_rss = competitor("xgboost", data, rounds)
        hgb, hgb_rss = competitor("sklearn", data, rounds)
        lin, _ = mloop_train(data, "linear", linear_path, rounds)
        lin_api = predict_api(linear_path, data)
        lr, _ = competitor("logreg", data, rounds)
        raw.append({"mloop": ours["timings"], "mloop_rss_mib": ours_rss, "api": api,
                    "xgboost": xgb, "xgboost_rss_mib": xgb_rss, "sklearn": hgb,
                    "sklearn_rss_mib": hgb_rss, "mloop_linear": lin["timings"],
                    "linear_api": lin_api, "logreg": lr})
        r["train_ratio"].append(ours["timings"]["train_s"] / xgb["train_s"])
        r["hgb_ratio"].append(ours["timings"]["train_s"] / hgb["train_s"])
        r["mem_ratio"].append(ours_rss / xgb_rss)
        r["predict_ratio"].append(api["predict_rows_per_s"] / xgb["predict_rows_per_s"])
        r["auc_diff"].append(api["auc"] - xgb["auc"])
        r["p50"].append(api["single_p50_us"])
        r["p99"].append(api["single_p99_us"])
        r["lr_ratio"].append(lr["train_s"] / lin["timings"]["train_s"])
        r["lr_auc_diff"].append(lin_api["auc"] - lr["auc"])
    last = raw[-1]

    def verdict(ok):
        return "**met**" if ok else "**not met**"

    lines = [
        "## Models: gbdt and logistic regression vs XGBoost 1.7 / scikit-learn 1.2",
        "",
        f"{rows:,} training rows × 28 features, {rows // 5:,} test rows "
        f"(make_classification, seed 7); {rounds} rounds, learning rate 0.1, 31 leaves, "
        f"255 bins, {THREADS} threads; {reps} alternating repetitions, medians of the "
        "per-repetition ratios.",
        "",
        "| figure | median | target | result |",
        "|---|---|---|---|",
        f"| training time, mloop / XGBoost | {med(r['train_ratio']):.2f}× | ≤ 0.5× | "
        f"{verdict(med(r['train_ratio']) <= 0.5)} |",
        f"| training time, mloop / sklearn HistGB | {med(r['hgb_ratio']):.2f}× | — | — |",
        f"| test AUC, mloop − XGBoost | {med(r['auc_diff']):+.4f} | ≥ −0.002 | "
        f"{verdict(med(r['auc_diff']) >= -0.002)} |",
        f"| peak memory, mloop / XGBoost | {med(r['mem_ratio']):.2f}× | ≤ 0.75× | "
        f"{verdict(med(r['mem_ratio']) <= 0.75)} |",
        f"| batch prediction rows/s, mloop / XGBoost | {med(r['predict_ratio']):.2f}× | ≥ 4× | "
        f"{verdict(med(r['predict_ratio']) >= 4)} |",
        f"| single-row latency p50 (C API, {rounds} trees) | {med(r['p50']):.2f} µs | ≤ 5 µs | "
        f"{verdict(med(r['p50']) <= 5)} |",
        f"| single-row latency p99 | {med(r['p99']):.2f} µs | ≤ 20 µs | "
        f"{verdict(med(r['p99']) <= 20)} |",
        f"| logistic regression speed, sklearn / mloop | {med(r['lr_ratio']):.2f}× | ≥ 3× | "
        f"{verdict(med(r['lr_ratio']) >= 3)} |",
        f"| logistic regression AUC, mloop − sklearn | {med(r['lr_auc_diff']):+.5f} | ±0.001 | "
        f"{verdict(abs(med(r['lr_auc_diff'])) <= 0.001)} |",
        "",
        "Last repetition, absolute figures (context only; the machine drifts):",
        "",
        "```",
        json.dumps(last, indent=1),
        "```",
    ]
    text = "\n".join(lines)
    with open(os.path.join(HERE, "out", "models.md"), "w") as f:
        f.write(text + "\n")
    print(text)


if __name__ == "__main__":
    main()
