// GaussianMixture: scikit-learn's estimator API over the WASM EM core.
import { FAMILIES, transposeBlocks, type CovarianceFamily, type CovarianceType, type Workspace } from "./covariance.js";
import { abortError, allocWorkspace, argmaxLabels, eStep, fitEm, fitEmWith, loadParams, type FitControl, type FitOutcome, type GivenStart, type MixtureParams, type StopReason } from "./em.js";
import { ShardPool } from "./parallel.js";
import { searchFit, type SearchReport } from "./search.js";
import { availableCores, threadsAvailable } from "./threads.js";
import { findDegenerate, type DegenerateComponent } from "./degenerate.js";
import { alloc, f64, mark, release, scoped } from "./memory.js";
import { asymmetry, describe, flatten, nest, readMatrix, shapeOf, toRows, type Matrix, type MatrixLike } from "./matrix.js";
import { checkFitValues, distinctRowsAtLeast, loadMatrix, type LoadedMatrix } from "./workspace.js";
import { ASYNC_FIT_OPTIONS, FIT_OPTIONS, MAX_THREADS, resolveOptions, checkFitOptions, checkInteger, checkSeed, type Dtype, type GaussianMixtureOptions, type ResolvedOptions } from "./options.js";
import { Random } from "./random.js";
import { kernels } from "./wasm.js";
import { fromModelJSON, precisionsFromFactor, toModelJSON, type GaussianMixtureJSON } from "./model-json.js";
import { defaultWorkerUrl } from "./wasm-source.js";
import type { FitWarning } from "./options.js";

const warned = new Set<FitWarning["kind"]>();
/** The default onWarning: console.warn, once per kind per process (a selectModel grid would repeat them). */
function warnOnce(w: FitWarning): void {
  if (warned.has(w.kind)) return;
  warned.add(w.kind);
  console.warn(`${w.message} (Further "${w.kind}" warnings are not printed; pass onWarning to receive every one.)`);
}

function workerUrl(given: URL | string | undefined): URL {
  if (given === undefined) return defaultWorkerUrl();
  if (given instanceof URL) return given;
  if (typeof given !== "string") throw new TypeError(`workerUrl must be a URL or a string; got ${describe(given)}`);
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(given, base);
  } catch {
    throw new TypeError(`workerUrl ${describe(given)} is not a URL${base ? "" : " (outside a page it must be absolute, e.g. a file: URL)"}`);
  }
}

/**
 * Per-call fit controls: `onIteration(info)` after every EM step, an
 * `AbortSignal` checked between iterations, and a `timeBudgetMs` after which
 * the fit stops early with the best parameters so far (`converged: false`,
 * `stopReason: "timeBudget"`).
 */
export type FitOptions = FitControl & {
  /** Names of the d columns (kept in the model and its JSON as scikit-learn's `feature_names_in_`). */
  featureNames?: readonly string[];
};

/** fitAsync's options: fit's, plus the threads and where their script is. */
export type AsyncFitOptions = FitOptions & {
  /** Worker threads (default: the cores when n·K·d² ≥ 5e7, else 1; capped at the cores, at most 256). */
  nThreads?: number;
  /**
   * Where the worker script (the package's `gmm-wasm/em-worker.js`) is served,
   * for builds that do not emit it beside the bundle. Default: the file beside
   * this module, or inlined in the bundler entry (`gmm-wasm/inline`).
   */
  workerUrl?: URL | string;
};

/**
 * Covariances, precisions or their Cholesky factors in scikit-learn's shape
 * for the covariance type: full k×d×d, tied d×d, diag k×d, spherical k. For a
 * model whose type is not known statically (`CovarianceType`) it is the union.
 */
export type CovarianceArray<T extends CovarianceType = CovarianceType> = T extends "full" ? number[][][] : T extends "tied" | "diag" ? number[][] : number[];

/** What a fit leaves behind. */
export interface FittedState {
  params: MixtureParams;
  nFeatures: number;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  stopReason: StopReason;
  /** Rows the model was fitted on (0 when loaded from JSON without it). */
  nSamples: number;
  featureNames?: string[];
}

function checkFeatureNames(names: unknown, d: number): string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.length !== d || names.some((v) => typeof v !== "string")) {
    throw new RangeError(`featureNames must be ${d} strings, one per column of X; got ${describe(names)}`);
  }
  return names.slice();
}

function checkDistinct(x: LoadedMatrix, k: number): void {
  if (!distinctRowsAtLeast(x, k)) {
    throw new RangeError(`X has fewer than nComponents = ${k} distinct rows: a mixture needs at least one distinct row per component (use fewer components, or check for duplicated data)`);
  }
}

// Async fits keep their workspace in the shared arena across awaits, so they
// run one at a time (synchronous calls in between are safe: they allocate
// above and release back to their own mark).
let asyncTail: Promise<unknown> = Promise.resolve();
function exclusive<T>(task: () => Promise<T>): Promise<T> {
  const run = asyncTail.then(task, task);
  asyncTail = run.catch(() => undefined);
  return run;
}

/**
 * A Gaussian mixture model fitted by expectation–maximisation, with
 * scikit-learn's `GaussianMixture` options, defaults and semantics.
 *
 * The covariance type given to the constructor types the parameter arrays:
 * `new GaussianMixture({ covarianceType: "diag" }).fit(X).covariances` is a
 * `number[][]` (k × d).
 *
 * @example
 * await init();
 * const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "full", randomState: 0 }).fit(X);
 * gmm.predict(X);       // Int32Array of component indices
 * gmm.scoreSamples(X);  // Float64Array of log-densities
 * gmm.covariances;      // number[][][] (k × d × d)
 */
export class GaussianMixture<T extends CovarianceType = CovarianceType> {
  private readonly opts: ResolvedOptions;
  private state?: FittedState;
  private report?: SearchReport;

  /** Options as scikit-learn's, in camelCase; see {@link GaussianMixtureOptions} for each one and its default. */
  constructor(options: GaussianMixtureOptions & { covarianceType?: T } = {}) {
    this.opts = resolveOptions(options);
  }

  /** Number of mixture components k. */
  get nComponents(): number { return this.opts.nComponents; }
  /** The covariance type: "full", "tied", "diag" or "spherical". */
  get covarianceType(): T { return this.opts.covarianceType as T; }
  /** Convergence threshold on the change of the per-sample lower bound. */
  get tol(): number { return this.opts.tol; }
  /** Added to the diagonal of every covariance. */
  get regCovar(): number { return this.opts.regCovar; }
  /** EM iterations per initialisation. */
  get maxIter(): number { return this.opts.maxIter; }
  /** Initialisations (the best lower bound is kept). */
  get nInit(): number { return this.opts.nInit; }
  /** The start method. */
  get initParams(): ResolvedOptions["initParams"] { return this.opts.initParams; }
  /** The seed, if one was given. */
  get randomState(): number | undefined { return this.opts.randomState; }
  /** Whether the next fit continues from the current parameters. */
  get warmStart(): boolean { return this.opts.warmStart; }
  /** How X is held while fitting and scoring: "float64" or "float32". */
  get dtype(): Dtype { return this.opts.dtype; }

  private get family(): CovarianceFamily {
    return FAMILIES[this.opts.covarianceType];
  }

  /** Estimates the parameters by EM (nInit restarts, best lower bound kept). */
  fit(X: MatrixLike, fitOptions: FitOptions = {}): this {
    this.fitInternal(X, fitOptions, false);
    return this;
  }

  /** Fits, then labels the same rows (after a final E-step, so it equals fit(X).predict(X)). */
  fitPredict(X: MatrixLike, fitOptions: FitOptions = {}): Int32Array {
    return this.fitInternal(X, fitOptions, true)!;
  }

  /** Checks X's shape (as copied) against the options and the model. */
  private prepareFit(n: number, d: number): { k: number; given: GivenStart; start?: { params: MixtureParams; lowerBound: number } } {
    const k = this.opts.nComponents;
    if (n < k) {
      throw new RangeError(`X has ${n} rows but nComponents is ${k}: a mixture needs at least one row per component (use fewer components or more data)`);
    }
    const warm = this.opts.warmStart && this.state !== undefined;
    if (warm && this.state!.nFeatures !== d) {
      throw new RangeError(`warmStart: X has ${d} features but the model was fitted with ${this.state!.nFeatures}`);
    }
    return {
      k,
      given: warm ? {} : this.givenStart(d),
      start: warm ? { params: this.state!.params, lowerBound: this.state!.lowerBound } : undefined,
    };
  }

  private fitInternal(X: MatrixLike, fitOptions: FitOptions, wantLabels: boolean): Int32Array | undefined {
    checkFitOptions(fitOptions, FIT_OPTIONS);
    const family = this.family;
    const result = scoped(() => {
      // X is read once, here; every shape below is the shape of this copy.
      const x = loadMatrix(X, "X", this.opts.dtype);
      const { rows: n, cols: d } = x;
      checkFitValues(x);
      const { k, given, start } = this.prepareFit(n, d);
      checkDistinct(x, k);
      const featureNames = checkFeatureNames(fitOptions.featureNames, d);
      const ws = allocWorkspace(family, x.ptr, n, d, k, x);
      let outcome: FitOutcome;
      let report: SearchReport | undefined;
      if (this.opts.initParams === "auto" && !start) ({ outcome, report } = searchFit(ws, this.opts, fitOptions));
      else outcome = fitEm(ws, this.opts, given, start, fitOptions);
      let labels: Int32Array | undefined;
      if (wantLabels) {
        loadParams(kernels(), family, ws, outcome.params);
        eStep(kernels(), family, ws, false);
        labels = argmaxLabels(kernels(), ws);
      }
      return { outcome, labels, n, d, featureNames, report };
    });
    // Only a completed fit replaces the model: a failed one leaves it as it was.
    const { outcome, n, d, featureNames, report } = result;
    this.state = { ...outcome, nFeatures: d, nSamples: n, featureNames };
    this.report = report;
    this.warnAfterFit();
    return result.labels;
  }

  /**
   * Fits like `fit`, with the rows split over `nThreads` worker threads
   * (worker_threads in Node, Web Workers in browsers, Deno and Bun). Each
   * thread runs its own WebAssembly instance on its shard; results equal the
   * single-thread fit up to the order of floating-point sums (≈1e-12).
   * Defaults to the machine's cores when an iteration is long enough to
   * gain (n·K·d² ≥ 5e7), else 1; more threads than cores are capped at the
   * cores (they would only take turns); where there are no threads
   * (Cloudflare Workers) it runs in the calling thread. X is copied when
   * the call is made: changing it afterwards does not change the fit.
   *
   * @example
   * await gmm.fitAsync(X, { nThreads: 4 });
   */
  async fitAsync(X: MatrixLike, options: AsyncFitOptions = {}): Promise<this> {
    checkFitOptions(options, ASYNC_FIT_OPTIONS);
    if (options.nThreads !== undefined) checkInteger(options.nThreads, "nThreads", 1, MAX_THREADS);
    if (options.workerUrl !== undefined) workerUrl(options.workerUrl);
    if (options.signal?.aborted) throw abortError(options.signal);
    // Read X once, now: the fit may wait behind another one, and the caller
    // may change X meanwhile.
    let snapshot: Matrix | undefined = readMatrix(X, "X");
    const { rows: n, cols: d } = snapshot;
    // Threads pay off when the fit is long next to starting the workers and
    // copying the shards (bench/threads.mjs, 2 cores: ~100 ms, against
    // 1.7–1.9× per iteration; whole fits gain from d = 8, K = 8, N = 1e5 and
    // lose at d = 2), so by default they start from n·K·d² ≥ 5e7.
    const cores = availableCores();
    let threads = Math.min(options.nThreads ?? (n * this.opts.nComponents * d * d >= 5e7 ? cores : 1), cores);
    // the search (initParams "auto") runs its many short fits in this thread
    if (!threadsAvailable() || this.opts.initParams === "auto") threads = 1;
    threads = Math.min(threads, Math.max(1, Math.floor(n / this.opts.nComponents)));
    if (threads === 1) {
      // fit() takes only the per-fit controls
      const { nThreads: _threads, workerUrl: _url, ...control } = options;
      return this.fit(snapshot, control);
    }
    return exclusive(async () => {
      if (options.signal?.aborted) throw abortError(options.signal);
      const family = this.family;
      const top = mark();
      let pool: ShardPool | undefined;
      try {
        const x = loadMatrix(snapshot!, "X", this.opts.dtype);
        snapshot = undefined; // the arena holds the rows now
        checkFitValues(x);
        const { k, given, start } = this.prepareFit(n, d);
        checkDistinct(x, k);
        const featureNames = checkFeatureNames(options.featureNames, d);
        const ws = allocWorkspace(family, x.ptr, n, d, k, x);
        pool = await ShardPool.start(ws, this.opts.covarianceType, threads, workerUrl(options.workerUrl));
        const shards = pool;
        const outcome = await fitEmWith(ws, this.opts, given, start, options, (when) => shards.iterate(ws, this.opts.regCovar, when));
        this.state = { ...outcome, nFeatures: d, nSamples: n, featureNames };
        this.report = undefined;
        this.warnAfterFit();
        return this;
      } finally {
        pool?.close();
        release(top);
      }
    });
  }

  /** Tells onWarning (or the console, once per kind) about a fit scikit-learn would warn about. */
  private warnAfterFit(): void {
    const s = this.state!;
    const warnings: FitWarning[] = [];
    if (!s.converged && s.stopReason === "maxIter" && this.opts.maxIter > 0 && this.opts.tol > 0) {
      warnings.push({ kind: "convergence", message: `GaussianMixture: the best of ${this.opts.nInit} initialisation(s) did not converge in maxIter = ${this.opts.maxIter} iterations (tol = ${this.opts.tol}). Increase maxIter or tol, try other starts, or check the data for degenerate columns.` });
    }
    const collapsed = this.degenerate;
    if (collapsed.length > 0) {
      warnings.push({ kind: "degenerate", message: `GaussianMixture: ${collapsed.length} component(s) collapsed (${collapsed[0].reason}${collapsed.length > 1 ? "; …" : ""}). Use fewer components, a larger regCovar, or initParams "auto"; gmm.degenerate lists them.` });
    }
    for (const w of warnings) (this.opts.onWarning ?? warnOnce)(w);
  }

  /** Flattens and checks weightsInit / meansInit / precisionsInit against (k, d). */
  private givenStart(d: number): GivenStart {
    const { nComponents: k, weightsInit, meansInit, precisionsInit } = this.opts;
    if (this.opts.initParams === "auto" && (weightsInit ?? meansInit ?? precisionsInit) !== undefined) {
      throw new RangeError(`initParams "auto" searches over its own starts, so weightsInit, meansInit and precisionsInit cannot be given with it; drop them, or use initParams "kmeans" to start from them`);
    }
    const given: GivenStart = {};
    if (weightsInit !== undefined) {
      const w = flatten(Array.isArray(weightsInit) ? weightsInit : Array.from(weightsInit), [k], "weightsInit");
      let s = 0;
      w.forEach((v, c) => {
        if (v < 0 || v > 1) throw new RangeError(`weightsInit[${c}] is ${v}; weights must lie in [0, 1]`);
        s += v;
      });
      if (Math.abs(s - 1) > 1e-8) throw new RangeError(`weightsInit sums to ${s}; weights must sum to 1`);
      given.weights = w;
    }
    if (meansInit !== undefined) {
      const shape = shapeOf(meansInit, "meansInit");
      if (shape.rows !== k || shape.cols !== d) {
        throw new RangeError(`meansInit has shape [${shape.rows}, ${shape.cols}]; expected [nComponents, features] = [${k}, ${d}]`);
      }
      given.means = Array.isArray(meansInit) ? flatten(meansInit, [k, d], "meansInit") : flatten((meansInit as Matrix).data, [k, d], "meansInit");
    }
    if (precisionsInit !== undefined) {
      const family = this.family;
      const shape = family.shape(k, d);
      const p = flatten(precisionsInit, shape, "precisionsInit");
      if (family.transposed) {
        const asymmetric = asymmetry(p, family.shared ? 1 : k, d, "precisionsInit", 1e-10);
        if (asymmetric) throw new RangeError(asymmetric);
      } else p.forEach((v, t) => { if (!(v > 0)) throw new RangeError(`precisionsInit value ${t} is ${v}; precisions must be > 0`); });
      given.precisions = p;
    }
    return given;
  }

  private requireFitted(): FittedState {
    if (!this.state) throw new Error("This GaussianMixture is not fitted yet: call fit(X) first (or load a model with GaussianMixture.fromJSON)");
    return this.state;
  }

  /**
   * Runs an E-step for X against the fitted parameters inside an arena scope
   * and hands the workspace to `body`.
   */
  private withScores<T>(X: MatrixLike, writeResp: boolean, body: (ws: Workspace) => T): T {
    const state = this.requireFitted();
    return scoped(() => {
      const x = loadMatrix(X, "X", this.opts.dtype);
      const { rows: n, cols: d } = x;
      if (d !== state.nFeatures) {
        throw new RangeError(`X has ${d} features but the model was fitted with ${state.nFeatures}; pass rows with the same columns, in the same order`);
      }
      const ws = allocWorkspace(this.family, x.ptr, n, d, this.opts.nComponents, x);
      loadParams(kernels(), this.family, ws, state.params);
      eStep(kernels(), this.family, ws, writeResp);
      return body(ws);
    });
  }

  /** Most likely component of each row. */
  predict(X: MatrixLike): Int32Array {
    return this.withScores(X, false, (ws) => argmaxLabels(kernels(), ws));
  }

  /** Posterior probability of each component for each row (n × k, rows sum to 1). */
  predictProba(X: MatrixLike): Matrix {
    return this.withScores(X, true, (ws) => ({ data: f64(ws.resp, ws.n * ws.k).slice(), rows: ws.n, cols: ws.k }));
  }

  /** Log-density log p(x) of each row under the mixture. */
  scoreSamples(X: MatrixLike): Float64Array {
    return this.withScores(X, false, (ws) => f64(ws.logProbNorm, ws.n).slice());
  }

  /** Mean log-density per row. */
  score(X: MatrixLike): number {
    const { logL, n } = this.logLikelihood(X);
    return logL / n;
  }

  /** Number of free parameters: covariances + means + (k − 1) weights. */
  get nParameters(): number {
    const d = this.requireFitted().nFeatures;
    const k = this.opts.nComponents;
    return this.family.nCovParameters(k, d) + k * d + k - 1;
  }

  /** Total log-likelihood of X and its row count, from one read of X. */
  private logLikelihood(X: MatrixLike): { logL: number; n: number } {
    const s = this.scoreSamples(X);
    let t = 0;
    for (let i = 0; i < s.length; i++) t += s[i];
    return { logL: t, n: s.length };
  }

  /** Bayesian information criterion −2 log L + p log n (lower is better; mclust's BIC is the negative). */
  bic(X: MatrixLike): number {
    const { logL, n } = this.logLikelihood(X);
    return -2 * logL + this.nParameters * Math.log(n);
  }

  /** Akaike information criterion −2 log L + 2p (lower is better). */
  aic(X: MatrixLike): number {
    return -2 * this.logLikelihood(X).logL + 2 * this.nParameters;
  }

  /**
   * Draws n rows from the fitted mixture. As scikit-learn, component counts
   * are multinomial and rows come grouped by component (labels ascending).
   * With randomState set (here or in the options) the draw is reproducible.
   */
  sample(n = 1, options: { /** Seed for this draw (default: the model's randomState). */ randomState?: number } = {}): {
    /** The rows, n × d. */
    X: Matrix;
    /** The component each row was drawn from. */
    labels: Int32Array;
  } {
    const state = this.requireFitted();
    checkInteger(n, "n", 1);
    const rng = new Random(checkSeed(options.randomState) ?? this.opts.randomState);
    const { params, nFeatures: d } = state;
    const k = this.opts.nComponents;
    const counts = new Array<number>(k).fill(0);
    const cumulative: number[] = [];
    let s = 0;
    for (let c = 0; c < k; c++) cumulative.push((s += params.weights[c]));
    for (let i = 0; i < n; i++) {
      const u = rng.float() * s;
      let c = 0;
      while (c < k - 1 && cumulative[c] <= u) c++;
      counts[c]++;
    }
    const family = this.family;
    const dPadded = d + (d % 2);
    const w = kernels();
    return scoped(() => {
      const ws = allocWorkspace(family, 0, 0, d, k);
      loadParams(w, family, ws, params);
      const { ptr: factors, bad } = family.samplingFactors(w, ws);
      if (bad >= 0) throw new RangeError(`Cannot sample: component ${family.component(bad, d)}'s covariance is not positive definite`);
      const out = alloc(n * d, 8, "samples");
      const maxCount = Math.max(...counts);
      const u = alloc(maxCount * dPadded, 8, "uniforms");
      const labels = new Int32Array(n);
      let row = 0;
      for (let c = 0; c < k; c++) {
        const m = counts[c];
        if (m === 0) continue;
        const uv = f64(u, m * dPadded);
        for (let t = 0; t < uv.length; t++) uv[t] = rng.floatOpen();
        family.sampleRows(w, ws, factors, c, u, m, dPadded, out + row * d * 8);
        labels.fill(c, row, row + m);
        row += m;
      }
      return { X: { data: f64(out, n * d).slice(), rows: n, cols: d }, labels };
    });
  }

  /** Mixing weights, length k. */
  get weights(): number[] {
    return Array.from(this.requireFitted().params.weights);
  }

  /** Component means, k × d. */
  get means(): number[][] {
    const s = this.requireFitted();
    return toRows(s.params.means, this.opts.nComponents, s.nFeatures);
  }

  /** Covariances in scikit-learn's shape: full k×d×d, tied d×d, diag k×d, spherical k. */
  get covariances(): CovarianceArray<T> {
    const s = this.requireFitted();
    return nest(s.params.covariances, this.family.shape(this.opts.nComponents, s.nFeatures)) as CovarianceArray<T>;
  }

  /**
   * Cholesky factors of the precisions, as scikit-learn's `precisions_cholesky_`:
   * full/tied upper triangular U with Σ⁻¹ = U Uᵀ; diag/spherical 1/σ.
   */
  get precisionsCholesky(): CovarianceArray<T> {
    const s = this.requireFitted();
    return nest(this.sklearnFactor(s), this.family.shape(this.opts.nComponents, s.nFeatures)) as CovarianceArray<T>;
  }

  /** Precision matrices Σ⁻¹ in scikit-learn's shape. */
  get precisions(): CovarianceArray<T> {
    const s = this.requireFitted();
    return nest(precisionsFromFactor(this.family, s.params.factor, this.opts.nComponents, s.nFeatures), this.family.shape(this.opts.nComponents, s.nFeatures)) as CovarianceArray<T>;
  }

  private sklearnFactor(s: FittedState): Float64Array {
    const family = this.family;
    return family.transposed
      ? transposeBlocks(s.params.factor, family.shared ? 1 : this.opts.nComponents, s.nFeatures)
      : s.params.factor.slice();
  }

  /**
   * What the last fit's search did (initParams "auto"): every start with its
   * lower bounds, the winning start method and the split-and-merge moves
   * tried and kept; undefined for other start methods.
   */
  get searchReport(): SearchReport | undefined {
    this.requireFitted();
    return this.report && structuredClone(this.report);
  }

  /** Why the last fit stopped: "converged", "maxIter" or "timeBudget". */
  get stopReason(): StopReason { return this.requireFitted().stopReason; }

  /**
   * Components that look like a spurious, collapsed solution: a covariance
   * eigenvalue within a small factor of regCovar (the component sits on a few
   * identical values), or fewer effective points than the covariance needs.
   * Empty for a healthy fit.
   */
  get degenerate(): DegenerateComponent[] {
    const s = this.requireFitted();
    return findDegenerate(this.family, s.params, this.opts.nComponents, s.nFeatures, s.nSamples, this.opts.regCovar);
  }

  /** True when `degenerate` lists any component. */
  get isDegenerate(): boolean {
    return this.degenerate.length > 0;
  }

  /**
   * The log-density below which a fraction `contamination` of X's rows fall
   * (linear-interpolated quantile of scoreSamples(X)): a threshold for
   * `isAnomaly`. Fit on clean data, pick the threshold on representative data.
   */
  anomalyThreshold(X: MatrixLike, options: { contamination?: number } = {}): number {
    const contamination = options.contamination ?? 0.01;
    if (typeof contamination !== "number" || !(contamination >= 0 && contamination <= 1)) {
      throw new RangeError(`contamination must be a number in [0, 1] (the expected fraction of anomalies); got ${contamination}`);
    }
    const scores = this.scoreSamples(X).sort();
    const position = contamination * (scores.length - 1);
    const lo = Math.floor(position);
    const hi = Math.min(lo + 1, scores.length - 1);
    const fraction = position - lo;
    // −∞ scores (rows ≳ 1e154 from every component) would make the interpolation NaN
    if (fraction === 0 || scores[lo] === scores[hi] || scores[lo] === -Infinity) return scores[lo];
    return scores[lo] + fraction * (scores[hi] - scores[lo]);
  }

  /** For each row, whether its log-density is below `threshold`. */
  isAnomaly(X: MatrixLike, threshold: number): boolean[] {
    if (typeof threshold !== "number" || Number.isNaN(threshold)) {
      throw new RangeError(`threshold must be a number (a log-density, e.g. from anomalyThreshold); got ${threshold}`);
    }
    return Array.from(this.scoreSamples(X), (s) => s < threshold);
  }

  /** Whether the best initialisation converged within maxIter. */
  get converged(): boolean { return this.requireFitted().converged; }
  /** EM iterations of the best initialisation. */
  get nIter(): number { return this.requireFitted().nIter; }
  /** Per-sample lower bound (mean log-likelihood) of the best initialisation. */
  get lowerBound(): number { return this.requireFitted().lowerBound; }
  /** Column names given at fit (or in the model JSON), if any. */
  get featureNames(): string[] | undefined {
    return this.requireFitted().featureNames?.slice();
  }

  /** Number of features seen in fit. */
  get nFeatures(): number { return this.requireFitted().nFeatures; }
  /** True once fitted (or loaded). */
  get isFitted(): boolean { return this.state !== undefined; }

  /** Plain JSON with scikit-learn's attribute names and shapes. */
  toJSON(): GaussianMixtureJSON {
    const s = this.requireFitted();
    return toModelJSON(this.opts, s, this.sklearnFactor(s));
  }

  /** Restores a model from `toJSON()` output (or a scikit-learn model exported with the same names). */
  static fromJSON(json: unknown): GaussianMixture {
    const { options, state } = fromModelJSON(json);
    const gmm = new GaussianMixture(options);
    gmm.state = state;
    return gmm;
  }
}
