# scikit-learn side of bench/kmeans.mjs: KMeans (scikit-learn 1.2.1, its
# default "lloyd" algorithm and threads) on the rows bench/kmeans.mjs wrote
# (float64, argv[1], n x d), from the centres it wrote (argv[2], k x d), the
# Lloyd steps as bench/lloyd_steps.py times them, and a default fit
# (k-means++, n_init 1) per seed. Prints the timings as JSON.
import json
import sys
import time
import warnings

import numpy as np
from sklearn.cluster import KMeans

from lloyd_steps import time_lloyd_steps

d, k, rounds = int(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
X = np.fromfile(sys.argv[1], dtype=np.float64).reshape(-1, d)
centres = np.fromfile(sys.argv[2], dtype=np.float64).reshape(k, d)
warnings.simplefilter("ignore")
lloyd, lloyd_iters = time_lloyd_steps(X, centres, rounds)
fit, fit_iters = [], []
for r in range(rounds):
    t = time.perf_counter()
    km = KMeans(n_clusters=k, n_init=1, random_state=r).fit(X)
    fit.append(time.perf_counter() - t)
    fit_iters.append(int(km.n_iter_))
print(json.dumps({"lloyd_s": lloyd, "lloyd_iter": lloyd_iters, "fit_s": fit, "fit_iter": fit_iters}))
