// Lloyd's algorithm and k-means++ seeding on rows already in WebAssembly
// memory: the engine behind the public KMeans and the k-means starts of
// GaussianMixture (init.ts).
import { MAX_FIT_MAGNITUDE, type MatrixLike, readWeights } from "./matrix.js";
import { alloc, allocFrom, dataView, f64, i32, scoped } from "./memory.js";
import type { Random } from "./random.js";
import { type DataKernels, dataKernels, kernels } from "./wasm.js";
import { distinctRowsAtLeast, loadMatrix } from "./workspace.js";

/** Result of Lloyd's algorithm on data already in WASM memory. */
export interface LloydResult {
  centers: Float64Array;
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

/**
 * k-means++ seeding (Arthur & Vassilvitskii, 2007) with greedy local trials:
 * each new centre is the best of 2 + ⌊ln k⌋ candidates drawn with probability
 * proportional to the squared distance to the nearest centre so far (the
 * variant scikit-learn uses). With sample weights, rows are drawn in
 * proportion to weight × squared distance (the first in proportion to weight)
 * and the trials compare weighted potentials (`weights`: n values in the
 * module's memory, or 0 for none). Writes k centres at `centers`; returns the
 * rows.
 */
export function kmeansPlusPlus(
  x: number,
  n: number,
  d: number,
  k: number,
  rng: Random,
  centers: number,
  rowKernels: DataKernels = dataKernels("float64"),
  weights = 0,
): number[] {
  const minDist = alloc(n, 8, "k-means++ distances");
  // the potential's partial sums, written by each committing pass
  const cumulative = alloc(n, 8, "k-means++ partial sums");
  const trials = 2 + Math.floor(Math.log(k));
  // the trials' rows and potentials, up to SEED_TRIALS_PER_PASS per pass over the rows
  const trialRows = alloc(trials, 4, "k-means++ trials");
  const trialPotentials = alloc(trials, 8, "k-means++ trials");
  const X = () => dataView(x, n * d, rowKernels.bytes);
  const setCenter = (c: number, row: number) => f64(centers + c * d * 8, d).set(X().subarray(row * d, row * d + d));
  // a chosen centre: minDist updated, the new potential and its partial sums
  const commitCentre = (row: number) =>
    rowKernels.seedPotential(x, n, d, x + row * d * rowKernels.bytes, minDist, true, cumulative, weights);

  const first = weights ? firstWeighted(f64(weights, n), f64(cumulative, n), rng) : rng.int(n);
  const chosen = [first];
  setCenter(0, first);
  f64(minDist, n).fill(Infinity);
  let potential = commitCentre(first);
  for (let c = 1; c < k; c++) {
    const sums = f64(cumulative, n);
    const rows = i32(trialRows, trials);
    // every draw first (none depends on a potential), then the potentials
    for (let t = 0; t < trials; t++) rows[t] = firstReaching(sums, rng.float() * potential);
    for (let t = 0; t < trials; t += SEED_TRIALS_PER_PASS) {
      const count = Math.min(SEED_TRIALS_PER_PASS, trials - t);
      rowKernels.seedTrials(x, n, d, trialRows + 4 * t, count, minDist, trialPotentials + 8 * t, weights);
    }
    const p = f64(trialPotentials, trials);
    let best = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      if (p[t] < bestPotential) {
        bestPotential = p[t];
        best = rows[t];
      }
    }
    chosen.push(best);
    setCenter(c, best);
    // (after the last centre, nothing reads the distances)
    if (c < k - 1) potential = commitCentre(best);
  }
  return chosen;
}

/** What one seedTrials call evaluates at most (assembly/kmeans.ts). */
const SEED_TRIALS_PER_PASS = 4;

/** A row drawn in proportion to its weight (`cumulative`: scratch for the weights' partial sums). */
function firstWeighted(weights: Float64Array, cumulative: Float64Array, rng: Random): number {
  let total = 0;
  for (let i = 0; i < weights.length; i++) cumulative[i] = total += weights[i];
  return firstReaching(cumulative, rng.float() * total);
}

/** Index of the first cumulative sum that reaches target (binary search). */
function firstReaching(cumulative: Float64Array, target: number): number {
  let lo = 0;
  let hi = cumulative.length - 1;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (cumulative[mid] < target) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Mean of the per-feature variances, every row weighing 1 (scikit-learn
 * scales k-means' tol by it, without the sample weights): two passes in the
 * module, the column sums and then the squares about their means, each row
 * weighing 1 as a one-component responsibility. A JavaScript loop over the
 * columns took 2.4 ms of a 37 ms KMeans fit on the 273,280-pixel photo.
 */
export function meanVariance(x: number, n: number, d: number, rowKernels: DataKernels): number {
  return scoped(() => {
    const ones = alloc(n, 8, "row weights");
    const at = alloc(2 * d + 1, 8, "column moments"); // the count, d means, d sums of squares
    const means = at + 8;
    f64(ones, n).fill(1);
    rowKernels.componentSums(x, ones, n, d, 1, at, means);
    const m = f64(means, d);
    for (let j = 0; j < d; j++) m[j] /= n;
    rowKernels.scatterDiag(x, ones, means, n, d, 1, means + 8 * d);
    return f64(means + 8 * d, d).reduce((a, v) => a + v, 0) / n / d;
  });
}

/**
 * Lloyd's algorithm from the centres at `centers` (k × d, updated in place).
 * Stops when no label changes or the centres move less than `tolScaled`
 * (sum of squared shifts). Empty clusters are moved to the rows farthest from
 * their centres, as scikit-learn does. `weights`: n sample weights in the
 * module's memory (0: none), read in place by the kernels.
 */
export function lloyd(
  x: number,
  n: number,
  d: number,
  k: number,
  centers: number,
  maxIter: number,
  tolScaled: number,
  rowKernels: DataKernels = dataKernels("float64"),
  weights = 0,
): LloydResult {
  // Two label buffers, the assignment and the one before it, swapped each
  // step instead of copied; -1 before the first, so that every label changes.
  let labels = alloc(n, 4, "k-means labels");
  let previous = alloc(n, 4, "k-means labels");
  i32(previous, n).fill(-1);
  const minDist = alloc(n, 8, "k-means distances");
  const counts = alloc(k, 8, "k-means counts");
  // The assignment also computes the new centres (in `means`; weighted with
  // weights), and Hamerly's bounds skip the rows whose label cannot change
  // (most, after a few steps); `moved` holds how far each centre moved (not
  // passed at the first step: every row is scanned).
  const means = alloc(k * d, 8, "k-means means");
  const upper = alloc(n + 1, 8, "k-means upper bounds");
  const lower = alloc(n + 1, 8, "k-means lower bounds");
  const moved = alloc(k + 1, 8, "k-means shifts");
  // the step's sums per block of rows, kept for the blocks whose labels do not change
  const sums = alloc(kernels().boundedSumsValues(n, k, d), 8, "k-means block sums");
  const old = new Float64Array(k * d);
  let nIter = 0;
  for (let it = 1; it <= Math.max(maxIter, 1); it++) {
    nIter = it;
    const shifts = it > 1 ? moved : 0;
    rowKernels.assignBounded(x, n, d, centers, k, labels, previous, upper, lower, shifts, sums, means, counts, weights);
    const current = i32(labels, n);
    const before = i32(previous, n);
    let changed = false;
    for (let i = 0; i < n && !changed; i++) changed = current[i] !== before[i];
    if (!changed) break;
    [labels, previous] = [previous, labels];
    // relocateEmpty needs the distances, which the bounded step leaves out
    if (f64(counts, k).includes(0)) rowKernels.assignNearest(x, n, d, centers, k, labels, minDist);
    old.set(f64(centers, k * d));
    f64(centers, k * d).set(f64(means, k * d));
    relocateEmpty(
      dataView(x, n * d, rowKernels.bytes),
      n,
      d,
      k,
      centers,
      counts,
      minDist,
      weights ? f64(weights, n) : undefined,
    );
    const now = f64(centers, k * d);
    let shift = 0;
    for (let t = 0; t < k * d; t++) shift += (now[t] - old[t]) ** 2;
    if (shift <= tolScaled) break;
    // each centre's move, rounded up (the bounds must hold), and the largest
    const m = f64(moved, k + 1);
    m[k] = 0;
    for (let c = 0; c < k; c++) {
      let s2 = 0;
      for (let j = 0; j < d; j++) s2 += (now[c * d + j] - old[c * d + j]) ** 2;
      m[c] = Math.sqrt(s2) * (1 + 1e-12);
      m[k] = Math.max(m[k], m[c]);
    }
  }
  let inertia = rowKernels.assignNearest(x, n, d, centers, k, labels, minDist);
  if (weights) {
    inertia = 0;
    const [w, md] = [f64(weights, n), f64(minDist, n)];
    for (let i = 0; i < n; i++) inertia += w[i] * md[i];
  }
  return { centers: f64(centers, k * d).slice(), labels: i32(labels, n).slice(), inertia, nIter };
}

/**
 * Empty clusters (count, or Σ weights, 0) moved onto the rows farthest from
 * their centres, as scikit-learn does; with weights, only rows of positive
 * weight are candidates (a centre on a row of weight 0 would stay empty, and
 * no start picks such rows either).
 */
function relocateEmpty(
  X: Float64Array | Float32Array,
  n: number,
  d: number,
  k: number,
  centers: number,
  counts: number,
  minDist: number,
  weights?: Float64Array,
): void {
  const cnt = f64(counts, k);
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (cnt[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  const md = f64(minDist, n);
  const candidates: number[] = [];
  for (let i = 0; i < n; i++) if (!weights || weights[i] > 0) candidates.push(i);
  const order = candidates.sort((a, b) => md[b] - md[a] || a - b);
  const C = f64(centers, k * d);
  empty.forEach((c, e) => {
    const row = order[Math.min(e, order.length - 1)];
    C.set(X.subarray(row * d, row * d + d), c * d);
  });
}

/** k distinct rows, uniformly among those of positive weight (all rows without weights). */
export function chooseRows(n: number, k: number, rng: Random, weights?: Float64Array): number[] {
  if (!weights) return rng.choose(n, k);
  const positive: number[] = [];
  for (let i = 0; i < n; i++) if (weights[i] > 0) positive.push(i);
  return rng.choose(positive.length, k).map((t) => positive[t]);
}

/** Runs seeding + Lloyd nInit times on data in WASM memory; best inertia wins. */
export function kmeansOnLoaded(
  x: number,
  n: number,
  d: number,
  k: number,
  opts: { init: "k-means++" | "random" | Float64Array; nInit: number; maxIter: number; tol: number },
  rng: Random,
  rowKernels: DataKernels = dataKernels("float64"),
  weights = 0,
): LloydResult {
  const tolScaled = opts.tol > 0 ? opts.tol * meanVariance(x, n, d, rowKernels) : 0;
  let best: LloydResult | undefined;
  const restarts = opts.init instanceof Float64Array ? 1 : opts.nInit;
  for (let r = 0; r < restarts; r++) {
    const result = scoped(() => {
      const centers = alloc(k * d, 8, "k-means centres");
      if (opts.init instanceof Float64Array) {
        f64(centers, k * d).set(opts.init);
      } else if (opts.init === "random") {
        const rows = chooseRows(n, k, rng, weights ? f64(weights, n) : undefined);
        const X = dataView(x, n * d, rowKernels.bytes);
        const C = f64(centers, k * d);
        rows.forEach((row, c) => C.set(X.subarray(row * d, row * d + d), c * d));
      } else {
        kmeansPlusPlus(x, n, d, k, rng, centers, rowKernels, weights);
      }
      return lloyd(x, n, d, k, centers, opts.maxIter, tolScaled, rowKernels, weights);
    });
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/**
 * The public KMeans's fit: reads X once into the arena, asks `seeding` for the
 * start given X's shape (a method, or k × d centres), runs Lloyd nInit times.
 */
export function kmeansRows(
  X: MatrixLike,
  k: number,
  seeding: (n: number, d: number) => "k-means++" | "random" | Float64Array,
  opts: { nInit: number; maxIter: number; tol: number },
  rng: Random,
  sampleWeight?: unknown,
): LloydResult & { d: number } {
  return scoped(() => {
    const x = loadMatrix(X, "X", "float64", MAX_FIT_MAGNITUDE);
    const { rows: n, cols: d } = x;
    const weights = sampleWeight === undefined ? undefined : readWeights(sampleWeight, n);
    const init = seeding(n, d);
    if (weights && !distinctRowsAtLeast(x, k, weights)) {
      throw new RangeError(`X has fewer than nClusters = ${k} distinct rows of positive weight; use fewer clusters`);
    }
    const w = weights ? allocFrom(weights, "sample weights") : 0;
    return { d, ...kmeansOnLoaded(x.ptr, n, d, k, { init, ...opts }, rng, dataKernels("float64"), w) };
  });
}

/** Index of the nearest of the k centres (k × d) for each row of X. */
export function nearestCenters(X: MatrixLike, centers: Float64Array, k: number, nFeatures: number): Int32Array {
  return scoped(() => {
    const x = loadMatrix(X);
    const { rows: n, cols: d } = x;
    if (d !== nFeatures) throw new RangeError(`X has ${d} features but this KMeans was fitted with ${nFeatures}`);
    const c = alloc(centers.length, 8, "centres");
    f64(c, centers.length).set(centers);
    const labels = alloc(n, 4, "labels");
    const dist = alloc(n, 8, "distances");
    kernels().assignNearest(x.ptr, n, d, c, k, labels, dist);
    return i32(labels, n).slice();
  });
}
