// The fixed workload every runtime test runs: the same calls with the same
// seeds, in Node, Deno, Bun, a Chromium page, a Chromium module worker and
// workerd. Plain JavaScript with no imports, so every runtime loads it as is;
// the caller hands over the library it imported.
//
// Results travel as the hex of each value's IEEE-754 bits, so the comparison
// in Node sees exactly what the other runtime computed (JSON would lose −0
// and cannot carry NaN).

export const COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"];

/**
 * Fits, scores, predicts and samples on X (number[][]), for every covariance
 * type, plus k-means and a JSON round trip. Returns named flat number arrays.
 */
export function runScenario(lib, X) {
  const out = {};
  const put = (name, values) => {
    out[name] = Array.from(values, Number);
  };
  for (const covarianceType of COVARIANCE_TYPES) {
    const gmm = new lib.GaussianMixture({ nComponents: 3, covarianceType, nInit: 2, randomState: 7 }).fit(X);
    const p = `${covarianceType}.`;
    put(p + "weights", gmm.weights);
    put(p + "means", gmm.means.flat());
    put(p + "covariances", [gmm.covariances].flat(3));
    put(p + "precisionsCholesky", [gmm.precisionsCholesky].flat(3));
    put(p + "fit", [gmm.lowerBound, gmm.nIter, gmm.converged ? 1 : 0, gmm.bic(X), gmm.aic(X), gmm.score(X)]);
    put(p + "scoreSamples", gmm.scoreSamples(X));
    put(p + "predictProba", gmm.predictProba(X).data);
    put(p + "predict", gmm.predict(X));
    const drawn = gmm.sample(40, { randomState: 11 });
    put(p + "sample.X", drawn.X.data);
    put(p + "sample.labels", drawn.labels);
    const again = lib.GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gmm)));
    put(p + "fromJSON.scoreSamples", again.scoreSamples(X));
  }
  // dtype "float32": f32x4 arithmetic and its exp must give the same bits everywhere too.
  for (const covarianceType of ["full", "diag"]) {
    const gmm = new lib.GaussianMixture({ nComponents: 3, covarianceType, randomState: 7, dtype: "float32" }).fit(X);
    const p = `float32.${covarianceType}.`;
    put(p + "means", gmm.means.flat());
    put(p + "covariances", [gmm.covariances].flat(3));
    put(p + "fit", [gmm.lowerBound, gmm.nIter]);
    put(p + "scoreSamples", gmm.scoreSamples(X));
    put(p + "predictProba", gmm.predictProba(X).data);
  }
  // The best-fit search (hc tree, every start method, split-and-merge moves) and the hc start alone.
  for (const covarianceType of ["full", "spherical"]) {
    const gmm = new lib.GaussianMixture({
      nComponents: 4,
      covarianceType,
      initParams: "auto",
      nInit: 2,
      randomState: 7,
    }).fit(X);
    const p = `auto.${covarianceType}.`;
    put(p + "means", gmm.means.flat());
    put(p + "covariances", [gmm.covariances].flat(3));
    const r = gmm.searchReport;
    put(p + "fit", [gmm.lowerBound, gmm.nIter, r.moves.tried, r.moves.accepted, r.emIterations]);
    put(
      p + "starts",
      r.starts.flatMap((s) => [s.shortLowerBound, s.lowerBound ?? 0]),
    );
  }
  const hc = new lib.GaussianMixture({ nComponents: 3, initParams: "hc" }).fit(X);
  put("hc.means", hc.means.flat());
  put("hc.fit", [hc.lowerBound, hc.nIter]);
  // A start drawn by the library's own generator, not by k-means.
  const random = new lib.GaussianMixture({ nComponents: 2, initParams: "random", maxIter: 30, randomState: 3 }).fit(X);
  put("random.means", random.means.flat());
  put("random.fit", [random.lowerBound, random.nIter]);
  const km = new lib.KMeans({ nClusters: 3, randomState: 5 }).fit(X);
  put("kmeans.centers", km.clusterCenters.flat());
  put("kmeans.labels", km.labels);
  put("kmeans.fit", [km.inertia, km.nIter]);
  return out;
}

/**
 * A fit long enough to watch (at least 300 milliseconds): 20 000 rows drawn
 * from a model of X, six components, a fixed 100 EM iterations. Returns the
 * lower bound and the time the fit itself took.
 */
export function heavyFit(lib, X) {
  const base = new lib.GaussianMixture({ nComponents: 3, randomState: 1 }).fit(X);
  const rows = base.sample(20000, { randomState: 2 }).X;
  const start = performance.now();
  // Repeated until it has run 300 ms, so the page's timers have time to tick
  // however fast the machine is (every repetition gives the same fit).
  let gmm;
  do gmm = new lib.GaussianMixture({ nComponents: 6, tol: 0, maxIter: 100, randomState: 3 }).fit(rows);
  while (performance.now() - start < 300);
  return { lowerBound: gmm.lowerBound, nIter: gmm.nIter, fitMs: performance.now() - start };
}

/** Bits of every value, as little-endian IEEE-754 float64 in hex. */
export function toBits(result) {
  const bits = {};
  for (const [name, values] of Object.entries(result)) {
    const view = new DataView(new ArrayBuffer(values.length * 8));
    values.forEach((v, i) => view.setFloat64(i * 8, v, true));
    let hex = "";
    for (let i = 0; i < view.byteLength; i++) hex += view.getUint8(i).toString(16).padStart(2, "0");
    bits[name] = hex;
  }
  return bits;
}

/** The inverse of toBits. */
export function fromBits(bits) {
  const result = {};
  for (const [name, hex] of Object.entries(bits)) {
    const view = new DataView(new ArrayBuffer(hex.length / 2));
    for (let i = 0; i < view.byteLength; i++) view.setUint8(i, parseInt(hex.slice(2 * i, 2 * i + 2), 16));
    result[name] = Array.from({ length: view.byteLength / 8 }, (_, i) => view.getFloat64(i * 8, true));
  }
  return result;
}

/** Parses a numeric CSV with a header row. */
export function parseCsv(text) {
  return text
    .trim()
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map(Number));
}
