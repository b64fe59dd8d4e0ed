// GaussianMixture: scikit-learn's estimator API over the WASM EM core.

import {
  checkFeatures,
  checkValues,
  conditionalArrays,
  conditioner,
  derivedJSON,
  marginalArrays,
  mixtureArrays,
  regressionMeans,
  splitFeatures,
} from "./conditional.js";
import { type CovarianceFamily, type CovarianceType, FAMILIES } from "./covariance.js";
import { type DegenerateComponent, findDegenerate } from "./degenerate.js";
import type { FitControl, GivenStart, StopReason } from "./em.js";
import { abortError, NotFittedError } from "./errors.js";
import {
  describe,
  flatten,
  type Matrix,
  type MatrixLike,
  nest,
  readMatrix,
  readWeights,
  shapeOf,
  toRows,
} from "./matrix.js";
import {
  type FittedModel,
  fromModelJSON,
  fromStatisticsJSON,
  type GaussianMixtureJSON,
  type StatisticsJSON,
  toModelJSON,
  toStatisticsJSON,
} from "./model-json.js";
import type { FitWarning } from "./options.js";
import {
  checkFitOptions,
  checkInteger,
  checkResponsibilities,
  checkSeed,
  type Dtype,
  FIT_OPTIONS,
  type GaussianMixtureOptions,
  type ResolvedOptions,
  resolveOptions,
  WEIGHTS_SUM_TOLERANCE,
} from "./options.js";
import { shardCount } from "./parallel.js";
import { Random } from "./random.js";
import { mergeStatistics, type Statistics } from "./statistics.js";
import type { CovarianceArray, SearchReport } from "./types.js";
import {
  asyncFitInput,
  type ChunkSource,
  drawRows,
  type FitPlan,
  fitRows,
  fitRowsThreaded,
  fitStream,
  parametersFromStatistics,
  resolveWorkerUrl,
  scoreRows,
  statisticsOfRows,
} from "./workspace.js";

const warned = new Set<FitWarning["kind"]>();
/** The default onWarning: console.warn, once per kind per process (a selectModel grid would repeat them). */
function warnOnce(w: FitWarning): void {
  if (warned.has(w.kind)) return;
  warned.add(w.kind);
  console.warn(`${w.message} (Further "${w.kind}" warnings are not printed; pass onWarning to receive every one.)`);
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
  /**
   * One weight ≥ 0 per row: every sum of the fit is weighted (the E-step's
   * statistics, the k-means starts, the lower bound), so an integer weight
   * acts as that many copies of the row.
   */
  sampleWeight?: ArrayLike<number>;
};

/** Statistics scaled by c (default: per unit weight); the row count is kept. */
function scaled(s: Statistics, c = 1 / s.sumWeights): Statistics {
  const by = (a: Float64Array) => a.map((v) => v * c);
  return {
    rows: s.rows,
    sumWeights: s.sumWeights * c,
    logLikelihood: s.logLikelihood * c,
    nk: by(s.nk),
    sums: by(s.sums),
    scatter: by(s.scatter),
  };
}

/** Per-row weights for scoring calls (score, bic, aic, statistics). */
export interface WeightOptions {
  /** One weight ≥ 0 per row of X. */
  sampleWeight?: ArrayLike<number>;
}

/** The fit controls alone (what the EM driver sees). */
function controlOf(o: FitOptions): FitControl {
  return { onIteration: o.onIteration, signal: o.signal, timeBudgetMs: o.timeBudgetMs };
}

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

function checkFeatureNames(names: unknown, d: number): string[] | undefined {
  if (names === undefined) return undefined;
  if (!Array.isArray(names) || names.length !== d || names.some((v) => typeof v !== "string")) {
    throw new RangeError(`featureNames must be ${d} strings, one per column of X; got ${describe(names)}`);
  }
  return names.slice();
}

// Async fits keep their workspace in the shared arena across awaits, so they
// run one at a time, BayesianGaussianMixture's too (synchronous calls in
// between are safe: they allocate above and release back to their own mark).
let asyncTail: Promise<unknown> = Promise.resolve();

export type { CovarianceArray } from "./types.js";

export function exclusive<T>(task: () => Promise<T>): Promise<T> {
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
  private state?: FittedModel;
  private report?: SearchReport;
  /** partialFit's running statistics (per unit weight) and its step count. */
  private online?: { stats: Statistics; steps: number };

  /**
   * Options as scikit-learn's, in camelCase; see {@link GaussianMixtureOptions} for each one and its default.
   * A wrong option throws a RangeError naming it.
   *
   * @param options every one optional; `covarianceType` also types the parameter arrays
   */
  constructor(options: GaussianMixtureOptions & { covarianceType?: T } = {}) {
    this.opts = resolveOptions(options);
  }

  /** Number of mixture components k. */
  get nComponents(): number {
    return this.opts.nComponents;
  }
  /** The covariance type: "full", "tied", "diag" or "spherical". */
  get covarianceType(): T {
    return this.opts.covarianceType as T;
  }
  /** Convergence threshold on the change of the per-sample lower bound. */
  get tol(): number {
    return this.opts.tol;
  }
  /** Added to the diagonal of every covariance. */
  get regCovar(): number {
    return this.opts.regCovar;
  }
  /** EM iterations per initialisation. */
  get maxIter(): number {
    return this.opts.maxIter;
  }
  /** Initialisations (the best lower bound is kept). */
  get nInit(): number {
    return this.opts.nInit;
  }
  /** The start method. */
  get initParams(): ResolvedOptions["initParams"] {
    return this.opts.initParams;
  }
  /** The seed, if one was given. */
  get randomState(): number | undefined {
    return this.opts.randomState;
  }
  /** Whether the next fit continues from the current parameters. */
  get warmStart(): boolean {
    return this.opts.warmStart;
  }
  /** How X is held while fitting and scoring: "float64" or "float32". */
  get dtype(): Dtype {
    return this.opts.dtype;
  }

  private get family(): CovarianceFamily {
    return FAMILIES[this.opts.covarianceType];
  }

  /**
   * Estimates the parameters by EM (nInit restarts, best lower bound kept).
   * A failed fit throws and leaves the model as it was.
   *
   * @param X the rows, n × d (`number[][]` or a row-major {@link Matrix})
   * @param fitOptions per-call controls (`onIteration`, `signal`, `timeBudgetMs`), `sampleWeight`, `featureNames`
   * @returns this, fitted
   * @example
   * const gmm = new GaussianMixture({ nComponents: 2, covarianceType: "diag", randomState: 0 }).fit(X);
   * gmm.converged; gmm.nIter; gmm.lowerBound;
   * gmm.fit(X, { sampleWeight: weights, featureNames: ["eruptions", "waiting"] });
   */
  fit(X: MatrixLike, fitOptions: FitOptions = {}): this {
    this.fitInternal(X, fitOptions, false);
    return this;
  }

  /**
   * Fits, then labels the same rows (after a final E-step, so it equals fit(X).predict(X)).
   *
   * @param X the rows, n × d
   * @param fitOptions as for {@link fit}
   * @returns the most probable component of each row
   */
  fitPredict(X: MatrixLike, fitOptions: FitOptions = {}): Int32Array {
    return this.fitInternal(X, fitOptions, true)!;
  }

  /** The fit's plan, from X's shape as copied: checks it against the options and the model. */
  private planFor(fitOptions: FitOptions): (n: number, d: number) => FitPlan & { featureNames?: string[] } {
    return (n, d) => {
      const k = this.opts.nComponents;
      if (n < k) {
        throw new RangeError(
          `X has ${n} rows but nComponents is ${k}: a mixture needs at least one row per component (use fewer components or more data)`,
        );
      }
      const warm = this.opts.warmStart && this.state !== undefined;
      if (warm && this.state!.nFeatures !== d) {
        throw new RangeError(`warmStart: X has ${d} features but the model was fitted with ${this.state!.nFeatures}`);
      }
      checkFeatureNames(fitOptions.featureNames, d);
      return {
        k,
        given: warm ? {} : this.givenStart(n, d),
        start: warm ? { params: this.state!.params, lowerBound: this.state!.lowerBound } : undefined,
      };
    };
  }

  private fitInternal(X: MatrixLike, fitOptions: FitOptions, wantLabels: boolean): Int32Array | undefined {
    checkFitOptions(fitOptions, FIT_OPTIONS);
    // X is read once, in fitRows; every shape is the shape of that copy.
    const { outcome, report, labels, n, d } = fitRows(
      X,
      this.opts,
      this.planFor(fitOptions),
      controlOf(fitOptions),
      wantLabels,
      fitOptions.sampleWeight,
    );
    // Only a completed fit replaces the model: a failed one leaves it as it was.
    this.state = { ...outcome, nFeatures: d, nSamples: n, featureNames: checkFeatureNames(fitOptions.featureNames, d) };
    this.report = report;
    this.online = undefined;
    this.warnAfterFit();
    return labels;
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
   * With a function instead of rows it is the out-of-core fit: `X()` is
   * called once per pass and yields chunks (matrices or `number[][]`), so
   * memory is bounded by the largest chunk.
   *
   * @param X the rows, or a {@link ChunkSource} for data larger than memory
   * @param options fit's options, plus `nThreads` and `workerUrl`
   * @returns this, fitted
   * @example
   * await gmm.fitAsync(X, { nThreads: 4 });
   * await gmm.fitAsync(() => readCsvChunks("big.csv")); // from gmm-wasm/csv
   */
  async fitAsync(X: MatrixLike | ChunkSource, options: AsyncFitOptions = {}): Promise<this> {
    const input = asyncFitInput(X, options);
    if ("source" in input) return this.fitSource(input.source, options);
    const { snapshot, sampleWeight } = input;
    const { rows: n, cols: d } = snapshot;
    // the search (initParams "auto") runs its many short fits in this thread
    const threads = this.opts.initParams === "auto" ? 1 : shardCount(options.nThreads, n, this.opts.nComponents, d);
    if (threads === 1) {
      // fit() takes only the per-fit controls
      const { nThreads: _threads, workerUrl: _url, ...control } = options;
      return this.fit(snapshot, { ...control, sampleWeight });
    }
    return exclusive(async () => {
      if (options.signal?.aborted) throw abortError(options.signal);
      const { outcome } = await fitRowsThreaded(
        snapshot,
        this.opts,
        this.planFor(options),
        controlOf(options),
        threads,
        resolveWorkerUrl(options.workerUrl),
        sampleWeight,
      );
      this.state = { ...outcome, nFeatures: d, nSamples: n, featureNames: checkFeatureNames(options.featureNames, d) };
      this.report = undefined;
      this.warnAfterFit();
      return this;
    });
  }

  /** Tells onWarning (or the console, once per kind) about a fit scikit-learn would warn about. */
  private warnAfterFit(): void {
    const s = this.state!;
    const warnings: FitWarning[] = [];
    if (!s.converged && s.stopReason === "maxIter" && this.opts.maxIter > 0 && this.opts.tol > 0) {
      warnings.push({
        kind: "convergence",
        message: `GaussianMixture: the best of ${this.opts.nInit} initialisation(s) did not converge in maxIter = ${this.opts.maxIter} iterations (tol = ${this.opts.tol}). Increase maxIter or tol, try other starts, or check the data for degenerate columns.`,
      });
    }
    const collapsed = this.degenerate;
    if (collapsed.length > 0) {
      warnings.push({
        kind: "degenerate",
        message: `GaussianMixture: ${collapsed.length} component(s) collapsed (${collapsed[0].reason}${collapsed.length > 1 ? "; …" : ""}). Use fewer components, a larger regCovar, or initParams "auto"; gmm.degenerate lists them.`,
      });
    }
    for (const w of warnings) (this.opts.onWarning ?? warnOnce)(w);
  }

  /**
   * Out-of-core EM (fitAsync with a function): `source()` is called once per
   * pass and yields the rows in chunks (each a matrix or number[][], or
   * `{ rows, sampleWeight }` for weighted rows; e.g. `() => readCsvChunks("big.csv")`
   * from gmm-wasm/csv, with `{ weightColumn: "count" }` for weights). Memory is
   * bounded by the largest chunk; from the same given start the fit equals
   * fit(X, { sampleWeight }) on all the rows to rounding. Without a given start,
   * the start method runs on a seeded uniform sample of 10,000 rows of positive
   * weight from the first pass, weighted.
   */
  private async fitSource(source: ChunkSource, options: AsyncFitOptions): Promise<this> {
    if (this.opts.responsibilitiesInit !== undefined && !(this.opts.warmStart && this.state)) {
      throw new RangeError(
        "responsibilitiesInit cannot start a streamed fit (its start runs on a sample of the rows, not on every row); fit in memory, or give weightsInit, meansInit and precisionsInit",
      );
    }
    return exclusive(async () => {
      const { outcome, n, d } = await fitStream(source, this.opts, this.planFor(options), controlOf(options));
      this.state = { ...outcome, nFeatures: d, nSamples: n, featureNames: checkFeatureNames(options.featureNames, d) };
      this.report = undefined;
      this.warnAfterFit();
      return this;
    });
  }

  /**
   * One-pass (online) EM for data seen once, chunk by chunk: stepwise EM
   * (Liang & Klein 2009; Cappé & Moulines 2009). Running statistics, per
   * unit weight, are moved towards each chunk's: s ← (1 − η)·s + η·ŝ(chunk)
   * with η_t = (t + 2)^−0.6 at step t ≥ 1, and the parameters are the M-step
   * of s. The first call starts from the model's parameters when it has
   * them (a fit, fromJSON, warm start) or from weightsInit / meansInit /
   * precisionsInit when all three are given; otherwise from fit() on the
   * first chunk. The running statistics live in this object only (not in
   * toJSON); fit() forgets them. `lowerBound` is the running mean
   * log-likelihood of the chunks under the parameters each met.
   *
   * @param chunk this step's rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row of the chunk
   * @returns this, updated
   * @example
   * for await (const chunk of readCsvChunks("events.csv")) gmm.partialFit(chunk);
   */
  partialFit(chunk: MatrixLike, options: WeightOptions = {}): this {
    checkFitOptions(options, ["sampleWeight"], "partialFit");
    const { weightsInit, meansInit, precisionsInit } = this.opts;
    if (!this.state) {
      const given = weightsInit !== undefined && meansInit !== undefined && precisionsInit !== undefined;
      // from the given start (no EM yet), or a fit of the first chunk
      const start = new GaussianMixture({
        ...this.opts,
        ...(given ? { maxIter: 0 } : {}),
        initParams: this.opts.initParams,
      }).fit(chunk, options);
      this.state = start.state;
      this.online = undefined;
      if (!given) {
        this.online = {
          stats: scaled(fromStatisticsJSON(this.statistics(chunk, options), "partialFit").stats),
          steps: 1,
        };
        return this;
      }
    }
    const s = this.state!;
    const block = scaled(fromStatisticsJSON(this.statistics(chunk, options), "partialFit").stats);
    const family = this.family;
    const k = this.opts.nComponents;
    let running: Statistics;
    if (!this.online) running = block;
    else {
      const eta = (this.online.steps + 2) ** -0.6;
      running = mergeStatistics(family, k, s.nFeatures, [scaled(this.online.stats, 1 - eta), scaled(block, eta)]);
      running.rows = this.online.stats.rows + block.rows;
    }
    const params = parametersFromStatistics(this.opts, running, s.nFeatures);
    this.online = { stats: running, steps: (this.online?.steps ?? 0) + 1 };
    this.state = {
      ...s,
      params,
      nIter: s.nIter + 1,
      converged: false,
      stopReason: "maxIter",
      lowerBound: running.logLikelihood / running.sumWeights,
      nSamples: running.rows,
    };
    this.report = undefined;
    return this;
  }

  /** Flattens and checks weightsInit / meansInit / precisionsInit / responsibilitiesInit against (n, k, d). */
  private givenStart(n: number, d: number): GivenStart {
    const { nComponents: k, weightsInit, meansInit, precisionsInit, responsibilitiesInit } = this.opts;
    if (
      this.opts.initParams === "auto" &&
      (weightsInit ?? meansInit ?? precisionsInit ?? responsibilitiesInit) !== undefined
    ) {
      throw new RangeError(
        `initParams "auto" searches over its own starts, so weightsInit, meansInit, precisionsInit and responsibilitiesInit cannot be given with it; drop them, or use initParams "kmeans" to start from them`,
      );
    }
    const given: GivenStart = {};
    if (responsibilitiesInit !== undefined) given.responsibilities = checkResponsibilities(responsibilitiesInit, n, k);
    if (weightsInit !== undefined) {
      const w = flatten(Array.isArray(weightsInit) ? weightsInit : Array.from(weightsInit), [k], "weightsInit");
      let s = 0;
      w.forEach((v, c) => {
        if (v < 0 || v > 1) throw new RangeError(`weightsInit[${c}] is ${v}; weights must lie in [0, 1]`);
        s += v;
      });
      if (Math.abs(s - 1) > WEIGHTS_SUM_TOLERANCE)
        throw new RangeError(`weightsInit sums to ${s}; weights must sum to 1`);
      given.weights = w;
    }
    if (meansInit !== undefined) {
      const shape = shapeOf(meansInit, "meansInit");
      if (shape.rows !== k || shape.cols !== d) {
        throw new RangeError(
          `meansInit has shape [${shape.rows}, ${shape.cols}]; expected [nComponents, features] = [${k}, ${d}]`,
        );
      }
      given.means = Array.isArray(meansInit)
        ? flatten(meansInit, [k, d], "meansInit")
        : flatten((meansInit as Matrix).data, [k, d], "meansInit");
    }
    if (precisionsInit !== undefined) {
      const p = flatten(precisionsInit, this.family.shape(k, d), "precisionsInit");
      const problem = this.family.checkSymmetric(p, k, d, "precisionsInit", 1e-10);
      if (problem) throw new RangeError(problem);
      given.precisions = p;
    }
    return given;
  }

  private requireFitted(): FittedModel {
    if (!this.state) throw new NotFittedError("GaussianMixture");
    return this.state;
  }

  /**
   * Most likely component of each row.
   *
   * @param X the rows, n × d (d as in fit)
   * @returns component indices 0 … k − 1
   * @example
   * gmm.predict([[1.8, 54], [4.5, 80]]); // Int32Array [0, 1]
   */
  predict(X: MatrixLike): Int32Array {
    const s = this.requireFitted();
    return scoreRows(X, this.opts, s.params, s.nFeatures, "labels");
  }

  /**
   * Posterior probability of each component for each row (n × k, rows sum to 1).
   *
   * @param X the rows, n × d
   * @example
   * const proba = gmm.predictProba(X);
   * proba.data[i * proba.cols + c]; // p(component c | row i); toRows(proba) nests it
   */
  predictProba(X: MatrixLike): Matrix {
    const s = this.requireFitted();
    return scoreRows(X, this.opts, s.params, s.nFeatures, "proba");
  }

  /**
   * Log-density log p(x) of each row under the mixture.
   *
   * @param X the rows, n × d
   * @example
   * const logDensity = gmm.scoreSamples(X); // Float64Array, one per row
   * const unusual = logDensity.map((v) => (v < gmm.anomalyThreshold(X) ? 1 : 0));
   */
  scoreSamples(X: MatrixLike): Float64Array {
    const s = this.requireFitted();
    return scoreRows(X, this.opts, s.params, s.nFeatures, "density");
  }

  /**
   * Mean log-density per row (weighted mean with sample weights).
   *
   * @param X the rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   */
  score(X: MatrixLike, options: WeightOptions = {}): number {
    const { logL, n } = this.logLikelihood(X, options);
    return logL / n;
  }

  /** Number of free parameters: covariances + means + (k − 1) weights. */
  get nParameters(): number {
    const d = this.requireFitted().nFeatures;
    const k = this.opts.nComponents;
    return this.family.nCovParameters(k, d) + k * d + k - 1;
  }

  /** Total (weighted) log-likelihood of X and its row count (Σ weights), from one read of X. */
  private logLikelihood(X: MatrixLike, options: WeightOptions): { logL: number; n: number } {
    checkFitOptions(options, ["sampleWeight"], "score");
    const s = this.scoreSamples(X);
    const w = options.sampleWeight === undefined ? undefined : readWeights(options.sampleWeight, s.length);
    let t = 0;
    let n = 0;
    for (let i = 0; i < s.length; i++) {
      if (w && w[i] === 0) continue; // a row of weight 0 adds nothing, even at −∞
      t += w ? w[i] * s[i] : s[i];
      n += w ? w[i] : 1;
    }
    return { logL: t, n };
  }

  /**
   * Bayesian information criterion −2 log L + p log n (lower is better;
   * mclust's BIC is the negative). With sample weights, log L is weighted
   * and n = Σ weights.
   *
   * @param X the rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   */
  bic(X: MatrixLike, options: WeightOptions = {}): number {
    const { logL, n } = this.logLikelihood(X, options);
    return -2 * logL + this.nParameters * Math.log(n);
  }

  /**
   * Akaike information criterion −2 log L + 2p (lower is better; weighted log L with sample weights).
   *
   * @param X the rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   */
  aic(X: MatrixLike, options: WeightOptions = {}): number {
    return -2 * this.logLikelihood(X, options).logL + 2 * this.nParameters;
  }

  /**
   * The sufficient statistics of X's rows under this model's parameters
   * (an E-step: Σ w·r, Σ w·r·x, the scatter, the log-likelihood), as plain
   * JSON that survives JSON.stringify exactly. Blocks of rows computed
   * anywhere merge with GaussianMixture.mergeStatistics, and mStep turns the
   * merged statistics into the next parameters: one EM iteration over data
   * that never sits in one place.
   *
   * @param X this block's rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   * @example
   * const stats = shards.map((rows) => gmm.statistics(rows));
   * gmm.mStep(GaussianMixture.mergeStatistics(...stats));
   */
  statistics(X: MatrixLike, options: WeightOptions = {}): StatisticsJSON {
    checkFitOptions(options, ["sampleWeight"], "statistics");
    const s = this.requireFitted();
    const stats = statisticsOfRows(X, this.opts, s.params, s.nFeatures, options.sampleWeight);
    return toStatisticsJSON(stats, this.opts.covarianceType, this.opts.nComponents, s.nFeatures);
  }

  /**
   * Merges the statistics of disjoint blocks of rows (of one model shape:
   * covariance type, K and d) into the statistics of all of them, exactly
   * (the pooled form of the centred scatter), in any grouping and order.
   * Statistics of another shape or format version are refused.
   *
   * @param parts one or more blocks' statistics, from {@link statistics} (or JSON.parse of them)
   * @example
   * // each worker: JSON.stringify(gmm.statistics(myRows)); the coordinator:
   * const all = GaussianMixture.mergeStatistics(...replies.map((text) => JSON.parse(text)));
   * all.rows; all.logLikelihood;
   */
  static mergeStatistics(...parts: StatisticsJSON[]): StatisticsJSON {
    if (parts.length === 0) throw new RangeError("mergeStatistics needs at least one set of statistics");
    const first = fromStatisticsJSON(parts[0], "mergeStatistics: argument 0");
    const expected = { covarianceType: first.covarianceType, nComponents: first.k, nFeatures: first.d };
    const all = parts.map(
      (p, i) => (i === 0 ? first : fromStatisticsJSON(p, `mergeStatistics: argument ${i}`, expected)).stats,
    );
    return toStatisticsJSON(
      mergeStatistics(FAMILIES[first.covarianceType], first.k, first.d, all),
      first.covarianceType,
      first.k,
      first.d,
    );
  }

  /**
   * One M-step from statistics (with regCovar): replaces the parameters and
   * returns this. The lower bound becomes the statistics' log-likelihood per
   * unit weight (that of the parameters they were computed with, as in fit),
   * nIter grows by one and converged is false (convergence is the caller's
   * test across calls). A covariance that cannot be factored is a
   * CovarianceError and the model stays as it was.
   *
   * @param statistics statistics of this model's shape (merged or not)
   * @returns this, with the new parameters
   * @example
   * let previous = -Infinity;
   * for (let i = 0; i < 100; i++) {
   *   gmm.mStep(GaussianMixture.mergeStatistics(...shards.map((rows) => gmm.statistics(rows))));
   *   if (Math.abs(gmm.lowerBound - previous) < 1e-3) break;
   *   previous = gmm.lowerBound;
   * }
   */
  mStep(statistics: StatisticsJSON): this {
    const s = this.requireFitted();
    const { stats } = fromStatisticsJSON(statistics, "mStep", {
      covarianceType: this.opts.covarianceType,
      nComponents: this.opts.nComponents,
      nFeatures: s.nFeatures,
    });
    if (!(stats.sumWeights > 0)) throw new RangeError("mStep: these statistics hold no rows (sumWeights is 0)");
    const params = parametersFromStatistics(this.opts, stats, s.nFeatures);
    this.state = {
      ...s,
      params,
      nIter: s.nIter + 1,
      converged: false,
      stopReason: "maxIter",
      lowerBound: stats.logLikelihood / stats.sumWeights,
      nSamples: stats.rows,
    };
    this.report = undefined;
    return this;
  }

  /**
   * Draws n rows from the fitted mixture. As scikit-learn, component counts
   * are multinomial and rows come grouped by component (labels ascending).
   * With randomState set (here or in the options) the draw is reproducible.
   *
   * @param n rows to draw (default 1)
   * @param options `randomState` for this draw
   * @example
   * const { X: drawn, labels } = gmm.sample(500, { randomState: 1 });
   * toRows(drawn); // number[][], 500 × d
   */
  sample(
    n = 1,
    options: { /** Seed for this draw (default: the model's randomState). */ randomState?: number } = {},
  ): {
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
    return drawRows(this.opts, params, d, counts, rng);
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
    const { nComponents: k } = this.opts;
    return nest(
      this.family.precisions(s.params.factor, k, s.nFeatures),
      this.family.shape(k, s.nFeatures),
    ) as CovarianceArray<T>;
  }

  private sklearnFactor(s: FittedModel): Float64Array {
    return this.family.sklearnFactor(s.params.factor, this.opts.nComponents, s.nFeatures);
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
  get stopReason(): StopReason {
    return this.requireFitted().stopReason;
  }

  /**
   * Components that look like a spurious, collapsed solution: along some
   * direction the component keeps less than 1e-5 of the components' pooled
   * variance there, regCovar taken out of both (it sits on a few identical
   * values; the rule does not depend on the features' units), or fewer
   * effective points than the covariance needs. Empty for a healthy fit.
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
   *
   * @param X representative rows
   * @param options `contamination`, the fraction of rows to fall below (default 0.01)
   * @example
   * const threshold = gmm.anomalyThreshold(X, { contamination: 0.02 });
   * gmm.isAnomaly(newRows, threshold); // boolean[]
   */
  anomalyThreshold(X: MatrixLike, options: { contamination?: number } = {}): number {
    const contamination = options.contamination ?? 0.01;
    if (typeof contamination !== "number" || !(contamination >= 0 && contamination <= 1)) {
      throw new RangeError(
        `contamination must be a number in [0, 1] (the expected fraction of anomalies); got ${contamination}`,
      );
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

  /**
   * For each row, whether its log-density is below `threshold`.
   *
   * @param X the rows, n × d
   * @param threshold a log-density, e.g. from {@link anomalyThreshold}
   */
  isAnomaly(X: MatrixLike, threshold: number): boolean[] {
    if (typeof threshold !== "number" || Number.isNaN(threshold)) {
      throw new RangeError(`threshold must be a number (a log-density, e.g. from anomalyThreshold); got ${threshold}`);
    }
    return Array.from(this.scoreSamples(X), (s) => s < threshold);
  }

  /** Whether the best initialisation converged within maxIter. */
  get converged(): boolean {
    return this.requireFitted().converged;
  }
  /** EM iterations of the best initialisation. */
  get nIter(): number {
    return this.requireFitted().nIter;
  }
  /** Per-sample lower bound (mean log-likelihood) of the best initialisation. */
  get lowerBound(): number {
    return this.requireFitted().lowerBound;
  }
  /** Column names given at fit (or in the model JSON), if any. */
  get featureNames(): string[] | undefined {
    return this.requireFitted().featureNames?.slice();
  }

  /** Number of features seen in fit. */
  get nFeatures(): number {
    return this.requireFitted().nFeatures;
  }
  /** True once fitted (or loaded). */
  get isFitted(): boolean {
    return this.state !== undefined;
  }

  /**
   * Plain JSON with scikit-learn's attribute names and shapes, so
   * `JSON.stringify(gmm)` saves the model exactly.
   */
  toJSON(): GaussianMixtureJSON {
    const s = this.requireFitted();
    return toModelJSON(this.opts, s, this.sklearnFactor(s));
  }

  /**
   * Restores a model from `toJSON()` output (or a scikit-learn model dumped
   * as `get_params()` plus its fitted attributes); every field is checked
   * and a malformed one is refused with a message naming it.
   *
   * @param json a parsed {@link GaussianMixtureJSON}, or a scikit-learn dump
   * @example
   * localStorage.setItem("model", JSON.stringify(gmm));
   * const again = GaussianMixture.fromJSON(JSON.parse(localStorage.getItem("model")!));
   */
  static fromJSON(json: unknown): GaussianMixture {
    const { options, state } = fromModelJSON(json);
    const gmm = new GaussianMixture(options);
    gmm.state = state;
    return gmm;
  }

  // ---- Marginals and conditionals (issue #20). The maths is in conditional.ts;
  // these methods check the arguments, supply the weights given the values
  // (the marginal model's E-step, in WebAssembly) and build ordinary models
  // through fromJSON.

  /**
   * The mixture over `features` (indices into the model's columns, in the
   * order given): exact, with the weights unchanged and the means and
   * covariances sliced. The covariance type is kept.
   *
   * @example
   * gmm.marginal([1, 0]).scoreSamples([[79, 3.6]]); // log p(waiting, eruptions)
   */
  marginal(features: readonly number[]): GaussianMixture {
    const json = this.toJSON();
    const picked = checkFeatures(features, json.n_features_in_);
    return derivedModel(
      derivedJSON(json, marginalArrays(mixtureArrays(json), picked), picked, { nSamples: json.n_samples_fit }),
      "marginal",
    );
  }

  /**
   * The mixture of the other features (in increasing index order) given
   * `features` = `values`: each component's weight re-weighted by its density
   * of the values, its mean and covariance conditioned (Schur complement via
   * Cholesky factors). full stays full, tied stays tied; for diag and
   * spherical the components make the features independent, so the result
   * is the marginal of the other features with the new weights, in family.
   *
   * @example
   * const given = gmm.condition([0], [3.6]); // waiting time given eruptions = 3.6
   * given.means; given.weights;
   */
  condition(features: readonly number[], values: ArrayLike<number>): GaussianMixture {
    const json = this.toJSON();
    const { given, rest } = splitFeatures(features, json.n_features_in_);
    const x = checkValues(values, given.length);
    const arrays = mixtureArrays(json);
    const cond = conditioner(arrays, given, rest);
    const weights = this.weightsGiven(json, given, { data: x, rows: 1, cols: given.length }, "condition");
    // n_samples_fit 0: the new weights are not shares of the fitted rows
    return derivedModel(
      derivedJSON(json, conditionalArrays(arrays, cond, x, weights), rest, { nSamples: 0 }),
      "condition",
    );
  }

  /**
   * GMM regression: for each row of X (the values of `features`, in that
   * order), the conditional mean Σ_c w_c(x) μ_c|x of the other features (in
   * increasing index order), as the Python package gmr predicts.
   *
   * @example
   * gmm.predictConditional([0], [[2.0], [4.5]]); // expected waiting for two eruption times
   */
  predictConditional(features: readonly number[], X: MatrixLike): Matrix {
    const json = this.toJSON();
    const { given, rest } = splitFeatures(features, json.n_features_in_);
    const x = readMatrix(X, "X");
    if (x.cols !== given.length) {
      throw new RangeError(
        `X has ${x.cols} columns but features lists ${given.length}: each row of X holds the values of features, in that order`,
      );
    }
    const arrays = mixtureArrays(json);
    const cond = conditioner(arrays, given, rest);
    const weights = this.weightsGiven(json, given, x, "predictConditional");
    return { data: regressionMeans(arrays, cond, x.data, x.rows, weights), rows: x.rows, cols: rest.length };
  }

  /**
   * n rows drawn from the model given `features` = `values`: whole rows of
   * the model's d columns, the given features fixed at their values and the
   * others drawn from `condition(features, values)`; labels are the
   * components drawn (rows grouped by component, as `sample`). The seed
   * defaults to the model's randomState.
   *
   * @param features indices of the given features
   * @param values their values, in the order of `features`
   * @param n rows to draw
   * @param options `randomState` for this draw
   *
   * @example
   * const { X } = gmm.sampleConditional([5], [139.5], 1000, { randomState: 0 });
   */
  sampleConditional(
    features: readonly number[],
    values: ArrayLike<number>,
    n: number,
    options: { /** Seed for this draw (default: the model's randomState). */ randomState?: number } = {},
  ): {
    /** The rows, n × d. */
    X: Matrix;
    /** The component each row was drawn from. */
    labels: Int32Array;
  } {
    checkFitOptions(options, ["randomState"], "sampleConditional");
    checkInteger(n, "n", 1);
    const seed = checkSeed(options.randomState) ?? this.opts.randomState;
    const d = this.requireFitted().nFeatures;
    const given = checkFeatures(features, d);
    const x = checkValues(values, given.length);
    const conditional = this.condition(given, x);
    const { X: drawn, labels } = conditional.sample(n, { randomState: seed });
    const { rest } = splitFeatures(given, d);
    const out = new Float64Array(n * d);
    for (let i = 0; i < n; i++) {
      for (let t = 0; t < given.length; t++) out[i * d + given[t]] = x[t];
      for (let t = 0; t < rest.length; t++) out[i * d + rest[t]] = drawn.data[i * rest.length + t];
    }
    return { X: { data: out, rows: n, cols: d }, labels };
  }

  /** p(component | the given features' values) for each row of X (n×k), by the marginal model's E-step, held in float64 whatever this model's dtype. */
  private weightsGiven(json: GaussianMixtureJSON, given: number[], X: Matrix, call: string): Float64Array {
    const marginal = derivedModel(
      derivedJSON(json, marginalArrays(mixtureArrays(json), given), given, { nSamples: 0, dtype: "float64" }),
      call,
    );
    return marginal.predictProba(X).data as Float64Array;
  }
}

/** fromJSON for a model derived from a fitted one; a refusal (a backstop: conditional.ts checks what it can first) names the call. */
function derivedModel(json: Record<string, unknown>, call: string): GaussianMixture {
  try {
    return GaussianMixture.fromJSON(json);
  } catch (e) {
    throw new RangeError(`${call}: the resulting model cannot be built (${(e as Error).message})`);
  }
}
