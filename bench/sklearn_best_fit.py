"""Times scikit-learn's best-of-n_init fits over the best-fit grid (issue #12).

    python3 bench/sklearn_best_fit.py [job.json]

Fits GaussianMixture(n_components=K, covariance_type=t, n_init=10,
random_state=0) for every covariance type and K = 1..6 on each data set, in
one process, and prints one JSON object on stdout: seconds per data set (the
sum of its cells' fit() times; best of `repeats` when that is above 1) and the
total log-likelihood of each cell, so a JavaScript bench can run its own search
over the same grid side by side (as bench/run.mjs calls bench/sklearn_bench.py).

The optional job file (JSON) overrides any of:
    {"datasets": [{"name": "faithful", "path": "data/faithful.csv"}, ...],
     "types": ["full", "tied", "diag", "spherical"], "ks": [1, 2, 3, 4, 5, 6],
     "n_init": 10, "random_state": 0, "tol": 1e-3, "max_iter": 100, "repeats": 1}
Relative paths are taken from the repository root. Without a job file: the six
data sets of test/fixtures/best-fit.json with scikit-learn's defaults.
Timed with time.perf_counter() around fit() only, after imports and one warm-up
fit per data set, so start-up is excluded. Threads: scikit-learn's defaults
(set OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 for one).
"""
import json
import os
import sys
import time
import warnings

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import GaussianMixture

try:
    from threadpoolctl import threadpool_info
except ImportError:  # pragma: no cover
    threadpool_info = None

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
NAMES = ["faithful", "iris", "wine", "breast_cancer", "quakes", "banknote"]
DEFAULT_JOB = {
    "datasets": [{"name": n, "path": os.path.join("data", n + ".csv")} for n in NAMES],
    "types": ["full", "tied", "diag", "spherical"],
    "ks": [1, 2, 3, 4, 5, 6],
    "n_init": 10,
    "random_state": 0,
    "tol": 1e-3,
    "max_iter": 100,
    "repeats": 1,
}


def main():
    job = dict(DEFAULT_JOB)
    if len(sys.argv) > 1:
        with open(sys.argv[1]) as f:
            job.update(json.load(f))
    warnings.simplefilter("ignore", ConvergenceWarning)
    out = {
        "version": sklearn_version,
        "numpy": np.__version__,
        "call": f"GaussianMixture(n_components=K, covariance_type=t, n_init={job['n_init']}, "
                f"random_state={job['random_state']}, tol={job['tol']}, max_iter={job['max_iter']}).fit(X)",
        "loadavg_before": list(os.getloadavg()),
    }
    if threadpool_info is not None:
        out["threads"] = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}

    def make(k, t):
        return GaussianMixture(n_components=k, covariance_type=t, n_init=job["n_init"], random_state=job["random_state"],
                               tol=job["tol"], max_iter=job["max_iter"])

    results = {}
    total = 0.0
    for ds in job["datasets"]:
        path = ds["path"] if os.path.isabs(ds["path"]) else os.path.join(ROOT, ds["path"])
        X = np.loadtxt(path, delimiter=",", skiprows=1)
        make(2, "full").fit(X)  # warm-up: pages in the data, starts the thread pools
        rounds = []
        cells = []
        for r in range(job["repeats"]):
            seconds = 0.0
            cells = []
            for t in job["types"]:
                for k in job["ks"]:
                    g = make(k, t)
                    t0 = time.perf_counter()
                    try:
                        g.fit(X)
                        ok = True
                    except ValueError as e:  # ill-defined covariance
                        ok, err = False, str(e)
                    dt = time.perf_counter() - t0
                    seconds += dt
                    cell = {"covarianceType": t, "k": k, "seconds": dt}
                    if ok:
                        cell.update(logLik=float(g.score(X) * len(X)), converged=bool(g.converged_), nIter=int(g.n_iter_))
                    else:
                        cell.update(logLik=None, error=err)
                    cells.append(cell)
            rounds.append(seconds)
        best = min(rounds)
        total += best
        results[ds["name"]] = {"n": int(X.shape[0]), "d": int(X.shape[1]), "seconds": best, "rounds": rounds, "cells": cells}
    out["datasets"] = results
    out["totalSeconds"] = total
    out["loadavg_after"] = list(os.getloadavg())
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
