"""Times scikit-learn's BayesianGaussianMixture on one benchmark problem.

Called by bench/bgmm.mjs as

    python3 bench/sklearn_bgmm.py <job.json>

where the job file names raw little-endian float64 files with the n x d data
and the n x k starting responsibilities, and gives the iteration count and
the repetitions. Prints one JSON object on stdout.

scikit-learn has no option for a given start, so the subclass replaces
`_initialize_parameters` by `_initialize(X, resp)` with the given
responsibilities (as test/fixtures/make_bayesian.py does). Timed inside
Python after imports and one warm-up fit; per-iteration time is the median
interval between the ends of consecutive M-steps (a wrapper of _m_step), the
interval gmm-wasm's onIteration callback measures.
"""
import json
import sys
import time
import warnings

import numpy as np
from sklearn import __version__ as sklearn_version
from sklearn.exceptions import ConvergenceWarning
from sklearn.mixture import BayesianGaussianMixture

try:
    from threadpoolctl import threadpool_info
except ImportError:  # pragma: no cover
    threadpool_info = None


class TimedBayesianGaussianMixture(BayesianGaussianMixture):
    """Starts from given responsibilities; records time.perf_counter() after every M-step."""

    def _initialize_parameters(self, X, random_state):
        self._initialize(X, self.bench_resp)

    def _m_step(self, X, log_resp):
        super()._m_step(X, log_resp)
        self.bench_marks_.append(time.perf_counter())


def make(job, resp, max_iter):
    g = TimedBayesianGaussianMixture(
        n_components=job["k"],
        covariance_type=job["covariance_type"],
        weight_concentration_prior_type=job["prior_type"],
        tol=0.0,
        reg_covar=1e-6,
        max_iter=max_iter,
        n_init=1,
        random_state=0,
    )
    g.bench_resp = resp
    g.bench_marks_ = []
    return g


def main():
    job = json.load(open(sys.argv[1]))
    n, d, k = job["n"], job["d"], job["k"]
    X = np.fromfile(job["data"], dtype="<f8").reshape(n, d)
    resp = np.fromfile(job["resp"], dtype="<f8").reshape(n, k)
    warnings.simplefilter("ignore", ConvergenceWarning)
    out = {"version": sklearn_version, "numpy": np.__version__}
    if threadpool_info is not None:
        out["threads"] = {i["internal_api"]: i["num_threads"] for i in threadpool_info()}
    make(job, resp, 2).fit(X)  # warm-up
    per_iter = []
    g = None
    for _ in range(job.get("repeats", 1)):
        g = make(job, resp, job["iterations"])
        g.fit(X)
        per_iter.extend(np.diff(g.bench_marks_).tolist())
    out["iteration_s"] = float(np.median(per_iter))
    out["iterations"] = int(g.n_iter_)
    out["lower_bound"] = float(g.lower_bound_)
    out["weights"] = g.weights_.tolist()
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
