// K-means: Lloyd's algorithm with k-means++ seeding. Public (users compare it
// with the mixture) and the default initialisation of GaussianMixture.
import { alloc, dataView, f64, i32, scoped } from "./memory.js";
import { dataKernels, kernels, type DataKernels } from "./wasm.js";
import { shapeOf, toRows, flatten, type MatrixLike } from "./matrix.js";
import { checkFitValues, loadMatrix } from "./workspace.js";
import { Random } from "./random.js";
import { checkInteger, checkNonNegative, checkSeed } from "./options.js";

export type KMeansInit = "k-means++" | "random" | MatrixLike;

export interface KMeansOptions {
  /** Number of clusters (default 8, as scikit-learn). */
  nClusters?: number;
  /** Seeding: "k-means++" (default), "random" (distinct rows), or given centres (k × d). */
  init?: KMeansInit;
  /** Restarts; the lowest inertia wins (default 1). */
  nInit?: number;
  /** Lloyd iterations per restart (default 300). */
  maxIter?: number;
  /** Convergence when the centres move less than tol × mean feature variance (default 1e-4). */
  tol?: number;
  /** Seed for reproducible results. */
  randomState?: number;
}

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
 * variant scikit-learn uses). Writes k centres at `centers`; returns the rows.
 */
export function kmeansPlusPlus(x: number, n: number, d: number, k: number, rng: Random, centers: number, w: DataKernels = dataKernels("float64")): number[] {
  const minDist = alloc(n, 8, "k-means++ distances");
  const cumulative = new Float64Array(n);
  const trials = 2 + Math.floor(Math.log(k));
  const X = () => dataView(x, n * d, w.bytes);
  const setCenter = (c: number, row: number) => f64(centers + c * d * 8, d).set(X().subarray(row * d, row * d + d));

  const first = rng.int(n);
  const chosen = [first];
  setCenter(0, first);
  f64(minDist, n).fill(Infinity);
  let potential = w.seedPotential(x, n, d, x + first * d * w.bytes, minDist, true);
  for (let c = 1; c < k; c++) {
    const md = f64(minDist, n);
    let s = 0;
    for (let i = 0; i < n; i++) cumulative[i] = s += md[i];
    let best = -1;
    let bestPotential = Infinity;
    for (let t = 0; t < trials; t++) {
      const target = rng.float() * potential;
      // First index whose cumulative sum reaches the target.
      let lo = 0;
      let hi = n - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (cumulative[mid] < target) lo = mid + 1;
        else hi = mid;
      }
      const p = w.seedPotential(x, n, d, x + lo * d * w.bytes, minDist, false);
      if (p < bestPotential) {
        bestPotential = p;
        best = lo;
      }
    }
    chosen.push(best);
    setCenter(c, best);
    potential = w.seedPotential(x, n, d, x + best * d * w.bytes, minDist, true);
  }
  return chosen;
}

/** Mean of the per-feature variances: scikit-learn scales k-means' tol by it. */
function meanVariance(x: Float64Array | Float32Array, n: number, d: number): number {
  let total = 0;
  for (let j = 0; j < d; j++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += x[i * d + j];
    m /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j] - m) ** 2;
    total += v / n;
  }
  return total / d;
}

/**
 * Lloyd's algorithm from the centres at `centers` (k × d, updated in place).
 * Stops when no label changes or the centres move less than `tolScaled`
 * (sum of squared shifts). Empty clusters are moved to the rows farthest from
 * their centres, as scikit-learn does.
 */
export function lloyd(x: number, n: number, d: number, k: number, centers: number, maxIter: number, tolScaled: number, w: DataKernels = dataKernels("float64")): LloydResult {
  const labels = alloc(n, 4, "k-means labels");
  const minDist = alloc(n, 8, "k-means distances");
  const counts = alloc(k, 8, "k-means counts");
  // Buffers reused across iterations: the previous labels and centres.
  const previous = new Int32Array(n).fill(-1);
  const old = new Float64Array(k * d);
  let nIter = 0;
  for (let it = 1; it <= Math.max(maxIter, 1); it++) {
    nIter = it;
    w.assignNearest(x, n, d, centers, k, labels, minDist);
    const current = i32(labels, n);
    let changed = false;
    for (let i = 0; i < n && !changed; i++) changed = current[i] !== previous[i];
    if (!changed) break;
    previous.set(current);
    old.set(f64(centers, k * d));
    w.updateCenters(x, n, d, labels, k, centers, counts);
    relocateEmpty(dataView(x, n * d, w.bytes), n, d, k, centers, counts, minDist);
    const now = f64(centers, k * d);
    let shift = 0;
    for (let t = 0; t < k * d; t++) shift += (now[t] - old[t]) ** 2;
    if (shift <= tolScaled) break;
  }
  const inertia = w.assignNearest(x, n, d, centers, k, labels, minDist);
  return { centers: f64(centers, k * d).slice(), labels: i32(labels, n).slice(), inertia, nIter };
}

function relocateEmpty(X: Float64Array | Float32Array, n: number, d: number, k: number, centers: number, counts: number, minDist: number): void {
  const cnt = f64(counts, k);
  const empty: number[] = [];
  for (let c = 0; c < k; c++) if (cnt[c] === 0) empty.push(c);
  if (empty.length === 0) return;
  const md = f64(minDist, n);
  const order = Array.from({ length: n }, (_, i) => i).sort((a, b) => md[b] - md[a] || a - b);
  const C = f64(centers, k * d);
  empty.forEach((c, e) => {
    const row = order[Math.min(e, n - 1)];
    C.set(X.subarray(row * d, row * d + d), c * d);
  });
}

/** Runs seeding + Lloyd nInit times on data in WASM memory; best inertia wins. */
export function kmeansOnLoaded(
  x: number, n: number, d: number, k: number,
  opts: { init: "k-means++" | "random" | Float64Array; nInit: number; maxIter: number; tol: number },
  rng: Random,
  w: DataKernels = dataKernels("float64"),
): LloydResult {
  const tolScaled = opts.tol * meanVariance(dataView(x, n * d, w.bytes), n, d);
  let best: LloydResult | undefined;
  const restarts = opts.init instanceof Float64Array ? 1 : opts.nInit;
  for (let r = 0; r < restarts; r++) {
    const result = scoped(() => {
      const centers = alloc(k * d, 8, "k-means centres");
      if (opts.init instanceof Float64Array) {
        f64(centers, k * d).set(opts.init);
      } else if (opts.init === "random") {
        const rows = rng.choose(n, k);
        const X = dataView(x, n * d, w.bytes);
        const C = f64(centers, k * d);
        rows.forEach((row, c) => C.set(X.subarray(row * d, row * d + d), c * d));
      } else {
        kmeansPlusPlus(x, n, d, k, rng, centers, w);
      }
      return lloyd(x, n, d, k, centers, opts.maxIter, tolScaled, w);
    });
    if (!best || result.inertia < best.inertia) best = result;
  }
  return best!;
}

/**
 * K-means clustering (Lloyd's algorithm, k-means++ seeding), with
 * scikit-learn's option names and semantics.
 *
 * @example
 * const km = new KMeans({ nClusters: 3, randomState: 0 }).fit(X);
 * km.labels; km.clusterCenters; km.inertia;
 */
export class KMeans {
  readonly nClusters: number;
  readonly init: KMeansInit;
  readonly nInit: number;
  readonly maxIter: number;
  readonly tol: number;
  readonly randomState: number | undefined;

  private centers?: Float64Array;
  private nFeatures = 0;
  private fitted?: { labels: Int32Array; inertia: number; nIter: number };

  constructor(options: KMeansOptions = {}) {
    this.nClusters = checkInteger(options.nClusters ?? 8, "nClusters", 1);
    this.init = options.init ?? "k-means++";
    if (typeof this.init === "string" && this.init !== "k-means++" && this.init !== "random") {
      throw new RangeError(`init must be "k-means++", "random" or a k × d matrix of centres; got "${this.init}"`);
    }
    this.nInit = checkInteger(options.nInit ?? 1, "nInit", 1);
    this.maxIter = checkInteger(options.maxIter ?? 300, "maxIter", 1);
    this.tol = checkNonNegative(options.tol ?? 1e-4, "tol");
    this.randomState = checkSeed(options.randomState);
  }

  fit(X: MatrixLike): this {
    const k = this.nClusters;
    const result = scoped(() => {
      // X is read once, here; its shape is the copy's.
      const x = loadMatrix(X);
      const { rows: n, cols: d } = x;
      if (n < k) throw new RangeError(`X has ${n} rows but nClusters is ${k}: k-means needs at least as many rows as clusters`);
      checkFitValues(x);
      let init: "k-means++" | "random" | Float64Array;
      if (typeof this.init === "string") init = this.init;
      else {
        const given = shapeOf(this.init, "init");
        if (given.rows !== k || given.cols !== d) {
          throw new RangeError(`init has shape [${given.rows}, ${given.cols}]; expected [nClusters, features] = [${k}, ${d}]`);
        }
        init = Array.isArray(this.init) ? flatten(this.init, [k, d], "init") : Float64Array.from((this.init as { data: ArrayLike<number> }).data);
      }
      return { d, ...kmeansOnLoaded(x.ptr, n, d, k, { init, nInit: this.nInit, maxIter: this.maxIter, tol: this.tol }, new Random(this.randomState)) };
    });
    this.centers = result.centers;
    this.nFeatures = result.d;
    this.fitted = { labels: result.labels, inertia: result.inertia, nIter: result.nIter };
    return this;
  }

  fitPredict(X: MatrixLike): Int32Array {
    return this.fit(X).labels;
  }

  /** Index of the nearest centre for each row. */
  predict(X: MatrixLike): Int32Array {
    const centers = this.requireFitted();
    return scoped(() => {
      const x = loadMatrix(X);
      const { rows: n, cols: d } = x;
      if (d !== this.nFeatures) throw new RangeError(`X has ${d} features but this KMeans was fitted with ${this.nFeatures}`);
      const c = alloc(centers.length, 8, "centres");
      f64(c, centers.length).set(centers);
      const labels = alloc(n, 4, "labels");
      const dist = alloc(n, 8, "distances");
      kernels().assignNearest(x.ptr, n, d, c, this.nClusters, labels, dist);
      return i32(labels, n).slice();
    });
  }

  /** Cluster centres, k × d (nested arrays). */
  get clusterCenters(): number[][] {
    return toRows(this.requireFitted(), this.nClusters, this.nFeatures);
  }

  /** Labels of the rows seen by `fit`. */
  get labels(): Int32Array {
    this.requireFitted();
    return this.fitted!.labels.slice();
  }

  /** Sum of squared distances of the fitted rows to their nearest centre. */
  get inertia(): number {
    this.requireFitted();
    return this.fitted!.inertia;
  }

  get nIter(): number {
    this.requireFitted();
    return this.fitted!.nIter;
  }

  private requireFitted(): Float64Array {
    if (!this.centers) throw new Error("This KMeans is not fitted yet: call fit(X) first");
    return this.centers;
  }
}
