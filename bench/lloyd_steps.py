# The Lloyd-step timing of bench/sklearn_photo.py and bench/sklearn_kmeans.py,
# the scikit-learn side of bench/lloyd-steps.mjs: KMeans from given centres,
# tol 0, stopped after LLOYD[0] and after LLOYD[1] iterations, 2 * rounds + 1
# rounds of both (the first warms up). Returns the times (seconds) and the
# iterations run, keyed by max_iter as a string.
import time

from sklearn.cluster import KMeans

LLOYD = (4, 16)


def time_lloyd_steps(X, centres, rounds):
    seconds = {str(m): [] for m in LLOYD}
    iterations = {}
    for r in range(2 * rounds + 1):
        for m in LLOYD:
            t = time.perf_counter()
            km = KMeans(n_clusters=len(centres), init=centres, n_init=1, max_iter=m, tol=0).fit(X)
            if r:
                seconds[str(m)].append(time.perf_counter() - t)
            iterations[str(m)] = int(km.n_iter_)
    return seconds, iterations
