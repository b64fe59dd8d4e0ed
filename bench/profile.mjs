// Development aid: where one EM iteration spends its time, kernel by kernel.
//   node bench/profile.mjs [type=full] [d=2] [k=8] [n=100000] [repeats=15]
// Builds nothing: run `npm run build:wasm` first. Prints the minimum over
// repeats (the least disturbed run on a shared machine) in ms per kernel.

import { readFileSync } from "node:fs";
import { GaussianMixture, init } from "../dist/index.js";
import { makeProblem } from "./data.mjs";
import { loadRaw } from "./kernels.mjs";

const [type = "full", d = 2, k = 8, n = 1e5, repeats = 15] = process.argv
  .slice(2)
  .map((v, i) => (i === 0 ? v : Number(v)));
await init(readFileSync(new URL("../build/gmm.wasm", import.meta.url)));
const raw = await loadRaw(new URL("../build/gmm.wasm", import.meta.url));
const p = makeProblem({ n, d, k, covarianceType: type });
const gmm = new GaussianMixture({
  nComponents: k,
  covarianceType: type,
  tol: 0,
  maxIter: 3,
  initParams: "random_from_data",
  weightsInit: p.start.weights,
  meansInit: p.start.means,
  precisionsInit: p.start.precisions,
  randomState: 0,
}).fit({ data: p.X, rows: n, cols: d });

const { w, alloc, f64 } = raw;
const full = type === "full" || type === "tied";
const tied = type === "tied";
const blocks = tied ? 1 : k;
const x = alloc(n * d);
f64(x, n * d).set(p.X);
const means = alloc(k * d),
  logDet = alloc(k),
  logW = alloc(k),
  resp = alloc(n * k),
  lpn = alloc(n),
  nk = alloc(k);
const facSize = full ? blocks * d * d : type === "diag" ? k * d : k;
const fac = alloc(Math.max(facSize, k * d)),
  cov = alloc(Math.max(facSize, k * d));
const scratch = alloc(d * d + 2 * d); // the kernels' contract: d values (d·d + 2d for the factorisation)
let factor;
if (full) {
  const u = gmm.precisionsCholesky; // scikit-learn's upper factors; ours are their transposes
  const us = tied ? [u] : u;
  factor = new Float64Array(blocks * d * d);
  for (let c = 0; c < blocks; c++)
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) factor[c * d * d + i * d + j] = us[c][j][i];
} else factor = Float64Array.from(gmm.precisionsCholesky.flat());
const load = () => {
  f64(means, k * d).set(gmm.means.flat());
  f64(fac, factor.length).set(factor);
  const lw = f64(logW, k);
  gmm.weights.forEach((v, c) => (lw[c] = Math.log(v)));
  if (full) {
    w.factorLogDet(fac, blocks, d, d * d, d + 1, 1, logDet);
    if (tied) f64(logDet, k).fill(f64(logDet, 1)[0]);
  } else w.factorLogDet(fac, k, type === "diag" ? d : 1, type === "diag" ? d : 1, 1, type === "diag" ? 1 : d, logDet);
};
const best = {};
const note = (name, t) => (best[name] = Math.min(best[name] ?? Infinity, t));
// componentSums gives raw Σ r·x; the means are Σ r·x / (N_k + 10ε), as src/statistics.ts computes them
const toMeans = () => {
  const counts = f64(nk, k),
    m = f64(means, k * d);
  for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) m[c * d + j] /= counts[c] + 10 * Number.EPSILON;
};
for (let r = 0; r < repeats; r++) {
  load();
  let t = performance.now();
  if (full) w.logProbFull(x, n, d, means, fac, tied ? 0 : d * d, logDet, logW, k, resp, scratch);
  else if (type === "diag") w.logProbDiag(x, n, d, means, fac, logDet, logW, k, resp);
  else w.logProbSpherical(x, n, d, means, fac, logDet, logW, k, resp);
  note("logProb", performance.now() - t);
  t = performance.now();
  w.normalizeLogProb(resp, n, k, lpn, true);
  note("normalize", performance.now() - t);
  if (full) {
    t = performance.now();
    w.eStepFull(x, n, d, means, fac, tied ? 0 : d * d, logDet, logW, k, resp, scratch, lpn, true);
    note("(fused eStep)", performance.now() - t);
  }
  t = performance.now();
  w.componentSums(x, resp, n, d, k, nk, means);
  note("componentSums", performance.now() - t);
  toMeans();
  t = performance.now();
  if (full) {
    w.scatterFull(x, resp, means, n, d, k, nk, lpn, logDet, cov, tied ? 0 : d * d, scratch);
    note("scatter", performance.now() - t);
    t = performance.now();
    w.finishScatter(cov, d, nk, k, 1e-6, tied);
    w.precisionCholeskyFull(cov, fac, logDet, blocks, d, scratch);
  } else {
    w.scatterDiag(x, resp, means, n, d, k, cov);
    note("scatter", performance.now() - t);
    t = performance.now();
  }
  note("finish+factor", performance.now() - t);
}
// the same kernels on the rows stored as float32 (dtype "float32")
const x32 = alloc((n * d) / 2 + 1);
new Float32Array(w.memory.buffer, x32, n * d).set(p.X);
const params32 = alloc(k * d + facSize + k);
const code = full ? 0 : type === "diag" ? 1 : 2;
for (let r = 0; r < repeats; r++) {
  load();
  let t = performance.now();
  w.eStepF32(code, x32, n, d, means, fac, tied ? 0 : d * d, logDet, logW, k, resp, lpn, true, params32);
  note("(f32 eStep)", performance.now() - t);
  t = performance.now();
  w.componentSumsF32(x32, resp, n, d, k, nk, means);
  note("(f32 componentSums)", performance.now() - t);
  toMeans();
  t = performance.now();
  if (full) w.scatterFullF32(x32, resp, means, n, d, k, nk, lpn, logDet, cov, tied ? 0 : d * d, scratch);
  else w.scatterDiagF32(x32, resp, means, n, d, k, cov);
  note("(f32 scatter)", performance.now() - t);
}

const r = f64(resp, n * k);
let nz = 0;
for (let i = 0; i < n * k; i++) if (r[i] !== 0) nz++;
const total = Object.entries(best)
  .filter(([a]) => !a.startsWith("("))
  .reduce((a, [, b]) => a + b, 0);
console.log(
  `${type} d=${d} K=${k} N=${n}: ` +
    Object.entries(best)
      .map(([a, b]) => `${a} ${b.toFixed(2)}`)
      .join(", ") +
    ` | sum ${total.toFixed(2)} ms; nonzero resp ${(nz / (n * k)).toFixed(3)}`,
);
