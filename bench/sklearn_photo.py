# scikit-learn side of bench/photo.mjs: scikit-learn's sample photo (china.jpg,
# 427 x 640 pixels, RGB / 255) fitted with GaussianMixture's defaults at K = 8,
# full, and the start alone (KMeans(n_clusters=8, n_init=1), which is what
# GaussianMixture's init_params="kmeans" runs). Writes the pixels as float64
# to argv[1] and prints the timings as JSON. scikit-learn 1.2.1, /usr/bin/python3.
import json
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans
from sklearn.datasets import load_sample_image
from sklearn.mixture import GaussianMixture

from lloyd_steps import time_lloyd_steps

X = (load_sample_image("china.jpg").reshape(-1, 3) / 255.0).astype(np.float64)
X.tofile(sys.argv[1])
rounds = int(sys.argv[2]) if len(sys.argv) > 2 else 3
warnings.simplefilter("ignore")
GaussianMixture(8, random_state=0, max_iter=2).fit(X[:20000])  # warm-up
fit, start, iters, start_iters = [], [], [], []
for r in range(rounds):
    t = time.perf_counter()
    km = KMeans(n_clusters=8, n_init=1, random_state=r).fit(X)
    start.append(time.perf_counter() - t)
    start_iters.append(int(km.n_iter_))
    t = time.perf_counter()
    g = GaussianMixture(8, covariance_type="full", random_state=r).fit(X)
    fit.append(time.perf_counter() - t)
    iters.append(int(g.n_iter_))
# Lloyd iterations alone (bench/lloyd_steps.py), from the same given centres
# (rows spread evenly through the image)
centres = X[np.linspace(0, X.shape[0] - 1, 8).astype(int)]
lloyd, lloyd_iters = time_lloyd_steps(X, centres, rounds)
print(
    json.dumps(
        {
            "n": int(X.shape[0]),
            "fit_s": fit,
            "start_s": start,
            "n_iter": iters,
            "start_iter": start_iters,
            "lloyd_s": lloyd,
            "lloyd_iter": lloyd_iters,
            "lloyd_centres": centres.tolist(),
        }
    )
)
