"""Times scikit-learn's GaussianMixture on one benchmark problem.

Called by bench/run.mjs as

    python3 bench/sklearn_bench.py <job.json>

where the job file names a raw little-endian float64 file with the n x d data
and gives the start (weights, means, precisions in scikit-learn's shapes), the
iteration count and the repetitions. Prints one JSON object on stdout.

Everything is timed inside Python, after imports and after one warm-up fit,
so interpreter and library start-up are excluded. Per-iteration time is the
median interval between the ends of consecutive M-steps (recorded by a
subclass that wraps _m_step), the same interval gmm-wasm's onIteration
callback measures.
"""
import json
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


class TimedGaussianMixture(GaussianMixture):
    """Records time.perf_counter() at the end of every M-step."""

    def _m_step(self, X, log_resp):
        super()._m_step(X, log_resp)
        self.bench_marks_.append(time.perf_counter())


def make(job, max_iter):
    s = job["start"]
    gm = TimedGaussianMixture(
        n_components=job["k"],
        covariance_type=job["covariance_type"],
        tol=0.0,
        reg_covar=1e-6,
        max_iter=max_iter,
        n_init=1,
        # The given start replaces the initial responsibilities' parameters;
        # random_from_data is the cheapest way to produce those (no k-means).
        init_params="random_from_data",
        weights_init=np.asarray(s["weights"]),
        means_init=np.asarray(s["means"]),
        precisions_init=np.asarray(s["precisions"]),
        random_state=0,
    )
    gm.bench_marks_ = []
    return gm


def main():
    job = json.load(open(sys.argv[1]))
    n, d = job["n"], job["d"]
    X = np.fromfile(job["data"], dtype="<f8").reshape(n, d)
    warnings.simplefilter("ignore", ConvergenceWarning)
    out = {"version": sklearn_version, "numpy": np.__version__}
    if threadpool_info is not None:
        out["threads"] = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}

    # warm-up (also pages in the data)
    make(job, job.get("warmup_iter", 2)).fit(X)

    fits, per_iter = [], []
    gm = None
    for _ in range(job.get("repeats", 1)):
        gm = make(job, job["iterations"])
        t0 = time.perf_counter()
        gm.fit(X)
        t1 = time.perf_counter()
        fits.append(t1 - t0)
        marks = gm.bench_marks_
        per_iter.extend(np.diff(marks).tolist())
    out["fit_s"] = float(np.median(fits))
    out["fits_s"] = fits
    out["iteration_s"] = float(np.median(per_iter)) if per_iter else None
    out["intervals_s"] = per_iter
    out["iterations"] = int(gm.n_iter_)
    out["lower_bound"] = float(gm.lower_bound_)
    out["means"] = gm.means_.tolist()

    score = job.get("score")
    if score:
        Y = np.fromfile(score["data"], dtype="<f8").reshape(score["n"], d)
        gm.score_samples(Y[:1000])
        times = []
        for _ in range(score.get("repeats", 3)):
            t0 = time.perf_counter()
            s = gm.score_samples(Y)
            times.append(time.perf_counter() - t0)
        out["score_s"] = float(np.median(times))
        out["score_sum"] = float(np.sum(s))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
