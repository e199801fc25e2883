#!/usr/bin/python3
"""One timed pandas.read_csv, measured like bench/load_csv.c.

    pandas_load.py PATH

Imports pandas first (its own memory is part of the baseline, as the mloop
binary's code is part of its own), records VmRSS (and ru_maxrss, for
reference), times pd.read_csv(PATH)
with pandas' defaults (the C engine) and prints one JSON line:

    {"rows":…,"cols":…,"seconds":…,"peak_rss_kb":…,"baseline_rss_kb":…,
     "baseline_maxrss_kb":…}

peak_rss_kb is ru_maxrss (kB on Linux) after the load.
"""
import json
import resource
import sys
import time

import pandas as pd


def vm_rss_kb():
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    return -1


def main():
    if len(sys.argv) != 2:
        print("usage: pandas_load.py PATH", file=sys.stderr)
        return 2
    path = sys.argv[1]
    baseline = vm_rss_kb()
    baseline_max = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    t0 = time.monotonic()
    df = pd.read_csv(path)
    seconds = time.monotonic() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"rows": int(df.shape[0]), "cols": int(df.shape[1]),
                      "seconds": round(seconds, 6), "peak_rss_kb": int(peak),
                      "baseline_rss_kb": int(baseline),
                      "baseline_maxrss_kb": int(baseline_max)}, separators=(",", ":")))
    return 0


if __name__ == "__main__":
    sys.exit(main())
