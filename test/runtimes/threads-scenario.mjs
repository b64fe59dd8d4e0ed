// Multi-threaded fit in whichever runtime runs this (node, deno, bun, or a
// browser page that imports it): fitAsync over 2 worker threads must equal
// the single-thread fit to 1e-10. Plain JS, no imports but the package.
export async function threadedAgreement({ GaussianMixture }) {
  const n = 24000,
    d = 2;
  const data = new Float64Array(n * d);
  let s = 5;
  for (let i = 0; i < n * d; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (Math.floor(i / d) % 3) * 4 + (i % d) + s / 2 ** 32;
  }
  const X = { data, rows: n, cols: d };
  const out = {};
  for (const covarianceType of ["full", "diag"]) {
    const options = { nComponents: 3, covarianceType, tol: 0, maxIter: 8, randomState: 2 };
    const one = new GaussianMixture(options).fit(X);
    const two = await new GaussianMixture(options).fitAsync(X, { nThreads: 2 });
    const a = [one.weights, one.means, one.covariances].flat(3);
    const b = [two.weights, two.means, two.covariances].flat(3);
    let worst = 0;
    for (let t = 0; t < a.length; t++) worst = Math.max(worst, Math.abs(a[t] - b[t]) / Math.max(Math.abs(a[t]), 1e-6));
    out[covarianceType] = { worst, lowerBound: [one.lowerBound, two.lowerBound] };
  }
  return out;
}
