// The Lloyd-step timing bench/photo.mjs (d = 3) and bench/kmeans.mjs (beyond)
// share, as bench/lloyd_steps.py does for their scikit-learn sides: KMeans
// from given centres, tol 0, stopped after LLOYD[0] and after LLOYD[1]
// iterations, 2·rounds + 1 rounds of both (the first warms up); the
// difference of the median times over the iterations between drops the fixed
// costs a whole fit spreads over its iterations.
export const LLOYD = [4, 16];

export const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];

/** Seconds per Lloyd iteration from times[m] (seconds) and counts[m] (iterations run), m in LLOYD. */
export const perLloyd = (times, counts) =>
  (median(times[LLOYD[1]]) - median(times[LLOYD[0]])) / (counts[LLOYD[1]] - counts[LLOYD[0]]);

/** gmm-wasm's side: { seconds, iterations, perIteration_s }, the first two keyed by maxIter. */
export function timeLloydSteps(KMeans, X, nClusters, init, rounds) {
  const seconds = Object.fromEntries(LLOYD.map((m) => [m, []]));
  const iterations = {};
  for (let r = 0; r < 2 * rounds + 1; r++) {
    for (const m of LLOYD) {
      const t = performance.now();
      const km = new KMeans({ nClusters, init, nInit: 1, maxIter: m, tol: 0 }).fit(X);
      if (r) seconds[m].push((performance.now() - t) / 1000);
      iterations[m] = km.nIter;
    }
  }
  return { seconds, iterations, perIteration_s: perLloyd(seconds, iterations) };
}
