// BayesianGaussianMixture: scikit-learn's variational estimator API over the
// same EM driver, statistics and kernels as GaussianMixture (bayesian.ts
// holds the maths; this file checks options, owns the fitted state and JSON).

import {
  evidenceConstant,
  expectedLogWeightsOf,
  type Priors,
  posteriorWeights,
  type VariationalParams,
  type VariationalPlan,
  WEIGHT_PRIOR_TYPES,
  type WeightConcentrationPriorType,
} from "./bayesian.js";
import { type CovarianceFamily, type CovarianceType, FAMILIES } from "./covariance.js";
import type { FitControl, StopReason } from "./em.js";
import { abortError, NotFittedError } from "./errors.js";
import { type AsyncFitOptions, exclusive } from "./gaussian-mixture.js";
import { describe, flatten, type Matrix, type MatrixLike, nest, toRows } from "./matrix.js";
import { fromModelJSON } from "./model-json.js";
import {
  BAYESIAN_FORMAT,
  BAYESIAN_INIT_PARAMS,
  checkFitOptions,
  checkInteger,
  checkOptionNames,
  checkResponsibilities,
  checkSeed,
  type Dtype,
  FIT_OPTIONS,
  type InitParams,
  type ResolvedOptions,
  resolveOptions,
} from "./options.js";
import { shardCount } from "./parallel.js";
import { Random } from "./random.js";
import type { CovarianceArray } from "./types.js";
import {
  asyncFitInput,
  type ChunkSource,
  drawRows,
  fitVariationalRows,
  fitVariationalRowsThreaded,
  fitVariationalStream,
  resolveWorkerUrl,
  scoreRows,
} from "./workspace.js";

export type { WeightConcentrationPriorType } from "./bayesian.js";
export { BAYESIAN_FORMAT, BAYESIAN_INIT_PARAMS } from "./options.js";

/**
 * Components whose weight exceeds this count as effective
 * (`effectiveComponents`): scikit-learn's examples and users read a
 * Dirichlet-process fit's weights this way (a component switched off keeps a
 * weight of about its prior share, far below 1 %).
 */
export const EFFECTIVE_WEIGHT = 0.01;

/**
 * BayesianGaussianMixture's options: scikit-learn's names in camelCase, with
 * scikit-learn's defaults; every one is optional. The priors left out are
 * set from the data at fit, as scikit-learn sets them (see `priors`).
 */
export interface BayesianGaussianMixtureOptions {
  /** Upper bound on the number of components (default 1); the prior switches unneeded ones off. */
  nComponents?: number;
  /** "full" (default), "tied", "diag" or "spherical". */
  covarianceType?: CovarianceType;
  /** "dirichlet_process" (default: stick-breaking, an infinite mixture truncated at nComponents) or "dirichlet_distribution". */
  weightConcentrationPriorType?: WeightConcentrationPriorType;
  /** γ₀ > 0 (default 1/nComponents): smaller values favour fewer active components. */
  weightConcentrationPrior?: number;
  /** β₀ > 0 (default 1): how strongly the means are pulled to meanPrior. */
  meanPrecisionPrior?: number;
  /** m₀, d values (default: the mean of X). */
  meanPrior?: ArrayLike<number>;
  /** ν₀ > d − 1 (default d). */
  degreesOfFreedomPrior?: number;
  /**
   * Ψ₀ (default: from X's covariance, n − 1): full and tied a d×d symmetric
   * positive definite matrix, diag d positive variances, spherical one positive number.
   */
  covariancePrior?: unknown;
  /** Stop when the lower bound changes by less than this (default 1e-3); 0 runs exactly maxIter iterations. */
  tol?: number;
  /** Added to the diagonal of every data covariance S_k (default 1e-6). */
  regCovar?: number;
  /** Iterations per initialisation (default 100). */
  maxIter?: number;
  /** Initialisations; the highest lower bound wins (default 1). */
  nInit?: number;
  /** "kmeans" (default), "k-means++", "random", "random_from_data" or "hc". */
  initParams?: Exclude<InitParams, "auto">;
  /** Seed: the same seed gives bit-identical results. */
  randomState?: number;
  /** Start the next fit from the current posterior (default false). */
  warmStart?: boolean;
  /**
   * The start as responsibilities: n × nComponents (rows of X by components),
   * entries ≥ 0, each row summing to 1 (within 1e-6); the first M-step makes
   * the starting posterior from them (scikit-learn's `_initialize(X, resp)`).
   */
  responsibilitiesInit?: MatrixLike;
  /**
   * "float64" (default) or "float32": hold X as 32-bit floats (half the
   * memory; GaussianMixture's option). The posterior, the priors and every
   * sum stay float64; a float32 fit's parameters and lower bound agree with
   * float64's from the same start to about 1e-5 relative (tested).
   */
  dtype?: Dtype;
}

const KNOWN = new Set([
  "nComponents",
  "covarianceType",
  "weightConcentrationPriorType",
  "weightConcentrationPrior",
  "meanPrecisionPrior",
  "meanPrior",
  "degreesOfFreedomPrior",
  "covariancePrior",
  "tol",
  "regCovar",
  "maxIter",
  "nInit",
  "initParams",
  "randomState",
  "warmStart",
  "responsibilitiesInit",
  "dtype",
]);

interface BayesianOptions {
  base: ResolvedOptions;
  type: WeightConcentrationPriorType;
  weightConcentrationPrior?: number;
  meanPrecisionPrior?: number;
  meanPrior?: Float64Array;
  degreesOfFreedomPrior?: number;
  covariancePrior?: unknown;
  responsibilitiesInit?: MatrixLike;
}

function positive(v: unknown, name: string): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isFinite(v) || !(v > 0))
    throw new RangeError(`${name} must be a finite number > 0; got ${describe(v)}`);
  return v;
}

function resolveBayesian(o: BayesianGaussianMixtureOptions): BayesianOptions {
  checkOptionNames(o, KNOWN, "BayesianGaussianMixture");
  const initParams = o.initParams ?? "kmeans";
  if (!BAYESIAN_INIT_PARAMS.includes(initParams)) {
    throw new RangeError(
      `initParams must be one of ${BAYESIAN_INIT_PARAMS.map((c) => `"${c}"`).join(", ")}; got ${describe(initParams)}`,
    );
  }
  const base = resolveOptions({
    nComponents: o.nComponents,
    covarianceType: o.covarianceType,
    tol: o.tol,
    regCovar: o.regCovar,
    maxIter: o.maxIter,
    nInit: o.nInit,
    initParams,
    randomState: o.randomState,
    warmStart: o.warmStart,
    dtype: o.dtype,
  });
  const type = o.weightConcentrationPriorType ?? "dirichlet_process";
  if (!WEIGHT_PRIOR_TYPES.includes(type)) {
    throw new RangeError(
      `weightConcentrationPriorType must be "dirichlet_process" or "dirichlet_distribution"; got ${describe(type)}`,
    );
  }
  let meanPrior: Float64Array | undefined;
  if (o.meanPrior !== undefined && o.meanPrior !== null) {
    if (typeof o.meanPrior !== "object" || typeof (o.meanPrior as ArrayLike<number>).length !== "number")
      throw new RangeError(`meanPrior must be an array of d numbers (one per feature); got ${describe(o.meanPrior)}`);
    meanPrior = flatten(
      Array.from(o.meanPrior as ArrayLike<number>),
      [(o.meanPrior as ArrayLike<number>).length],
      "meanPrior",
    );
  }
  const dof = o.degreesOfFreedomPrior ?? undefined;
  if (dof !== undefined && (typeof dof !== "number" || !Number.isFinite(dof)))
    throw new RangeError(`degreesOfFreedomPrior must be a finite number > d − 1; got ${describe(dof)}`);
  return {
    base,
    type,
    weightConcentrationPrior: positive(o.weightConcentrationPrior, "weightConcentrationPrior"),
    meanPrecisionPrior: positive(o.meanPrecisionPrior, "meanPrecisionPrior"),
    meanPrior,
    degreesOfFreedomPrior: dof,
    covariancePrior: o.covariancePrior ?? undefined,
    responsibilitiesInit: o.responsibilitiesInit ?? undefined,
  };
}

/** Checks the priors that depend on d; returns Ψ₀ flattened (or undefined: from the data). */
function checkShapedPriors(o: BayesianOptions, family: CovarianceFamily, d: number): Float64Array | undefined {
  if (o.meanPrior && o.meanPrior.length !== d)
    throw new RangeError(`meanPrior has ${o.meanPrior.length} values; expected one per feature of X (${d})`);
  if (o.degreesOfFreedomPrior !== undefined && !(o.degreesOfFreedomPrior > d - 1)) {
    throw new RangeError(
      `degreesOfFreedomPrior must be greater than d − 1 = ${d - 1} (the Wishart prior needs it); got ${o.degreesOfFreedomPrior}`,
    );
  }
  const given = o.covariancePrior;
  if (given === undefined) return undefined;
  return family.precisionPrior.check(given, d);
}

interface BayesianState {
  params: VariationalParams;
  priors: Priors;
  nFeatures: number;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  stopReason: StopReason;
  nSamples: number;
  /** Σ of the fit's sample weights (its rows, unweighted). */
  sumWeights: number;
}

/** The fit controls alone (what the EM driver sees). */
function controlOf(o: FitControl): FitControl {
  return { onIteration: o.onIteration, signal: o.signal, timeBudgetMs: o.timeBudgetMs };
}

/** fitAsync's options: fit's, plus GaussianMixture's thread options. */
export type BayesianAsyncFitOptions = BayesianFitOptions & Pick<AsyncFitOptions, "nThreads" | "workerUrl">;

/** Per-call fit controls and data: those of {@link FitOptions}. */
export type BayesianFitOptions = FitControl & {
  /** One weight ≥ 0 per row: every sum is weighted (an integer weight acts as that many copies of the row), the data priors too. */
  sampleWeight?: ArrayLike<number>;
  /** Names of the d columns (kept in the model and its JSON as scikit-learn's `feature_names_in_`). */
  featureNames?: readonly string[];
};

/**
 * A Gaussian mixture fitted by variational inference, with scikit-learn
 * 1.2.1's `BayesianGaussianMixture` options, defaults, priors and lower
 * bound. With the Dirichlet-process prior (default) nComponents is an upper
 * bound: components the data do not need get weights near zero.
 *
 * @example
 * await init();
 * const bgmm = new BayesianGaussianMixture({ nComponents: 10, randomState: 0 }).fit(X);
 * bgmm.effectiveComponents; // components with weight > 0.01
 * bgmm.predict(X);
 */
export class BayesianGaussianMixture {
  private readonly o: BayesianOptions;
  private state?: BayesianState;
  private names?: string[];

  /**
   * Checks the options (a wrong one throws a RangeError naming it); see
   * {@link BayesianGaussianMixtureOptions} for each one and its default.
   *
   * @param options scikit-learn's options in camelCase
   */
  constructor(options: BayesianGaussianMixtureOptions = {}) {
    this.o = resolveBayesian(options);
  }

  /** The upper bound on the number of components, k. */
  get nComponents(): number {
    return this.o.base.nComponents;
  }
  /** The covariance type: "full", "tied", "diag" or "spherical". */
  get covarianceType(): CovarianceType {
    return this.o.base.covarianceType;
  }
  /** The weights' prior: "dirichlet_process" (stick-breaking) or "dirichlet_distribution". */
  get weightConcentrationPriorType(): WeightConcentrationPriorType {
    return this.o.type;
  }
  /** How rows are held while fitting and scoring: "float64" or "float32". */
  get dtype(): Dtype {
    return this.o.base.dtype;
  }

  private get family(): CovarianceFamily {
    return FAMILIES[this.o.base.covarianceType];
  }

  /** Fits the variational posterior (nInit restarts, the best lower bound kept). */
  fit(X: MatrixLike, options: BayesianFitOptions = {}): this {
    this.fitInternal(X, options, false);
    return this;
  }

  /** Fits, then labels the same rows after a final E-step (equals fit(X).predict(X)). */
  fitPredict(X: MatrixLike, options: BayesianFitOptions = {}): Int32Array {
    return this.fitInternal(X, options, true)!;
  }

  private fitInternal(X: MatrixLike, options: BayesianFitOptions, wantLabels: boolean): Int32Array | undefined {
    checkFitOptions(options, FIT_OPTIONS);
    const { outcome, priors, labels, n, d, sumWeights } = fitVariationalRows(
      X,
      this.o.base,
      (n, d) => this.plan(n, d, options),
      controlOf(options),
      wantLabels,
      options.sampleWeight,
    );
    this.state = { ...outcome, priors, nFeatures: d, nSamples: n, sumWeights };
    this.names = options.featureNames?.slice();
    return labels;
  }

  /**
   * Fits like `fit`, with the rows split over `nThreads` worker threads, as
   * GaussianMixture's fitAsync (same defaults, caps and worker script): each
   * E-step's statistics come from the shards and are merged here, where the
   * variational M-step and the lower bound run. Equal to `fit` up to the
   * order of sums (tested to 1e-10).
   *
   * X may also be a streamed source, as GaussianMixture.fitAsync takes: a
   * function starting a new pass over the same rows each call, yielding
   * chunks (matrices, or `{ rows, sampleWeight }`). The data priors
   * (meanPrior = the data mean, covariancePrior from the data covariance)
   * need every row before the first iteration, so the source is read
   * maxIter + 1 times: a first pass counts the rows, sums the priors'
   * moments and keeps a seeded sample of 10,000 rows, on which the start
   * method (and each of nInit restarts) runs; then one pass per iteration.
   * Memory is bounded by the largest chunk and the sample. When the rows
   * fit in the sample (and none has weight 0) the start is fit()'s, and the
   * fit equals fit(X) to 1e-10 (tested). responsibilitiesInit cannot start
   * a stream.
   *
   * @example
   * await bgmm.fitAsync(X, { nThreads: 2 });
   * await bgmm.fitAsync(() => readCsvChunks("big.csv")); // from gmm-wasm/csv
   */
  async fitAsync(X: MatrixLike | ChunkSource, options: BayesianAsyncFitOptions = {}): Promise<this> {
    const input = asyncFitInput(X, options);
    if ("source" in input) return this.fitSource(input.source, options);
    const { snapshot, sampleWeight } = input;
    const { rows: n, cols: d } = snapshot;
    const k = this.nComponents;
    const threads = shardCount(options.nThreads, n, k, d);
    const { nThreads: _threads, workerUrl: _url, ...fitOptions } = options;
    if (threads === 1) return this.fit(snapshot, { ...fitOptions, sampleWeight });
    return exclusive(async () => {
      if (options.signal?.aborted) throw abortError(options.signal);
      const { outcome, priors, sumWeights } = await fitVariationalRowsThreaded(
        snapshot,
        this.o.base,
        (n, d) => this.plan(n, d, fitOptions),
        controlOf(options),
        threads,
        resolveWorkerUrl(options.workerUrl),
        sampleWeight,
      );
      this.state = { ...outcome, priors, nFeatures: d, nSamples: n, sumWeights };
      this.names = options.featureNames?.slice();
      return this;
    });
  }

  /** fitAsync over a streamed source (see fitAsync). */
  private async fitSource(source: ChunkSource, options: BayesianAsyncFitOptions): Promise<this> {
    if (this.o.responsibilitiesInit !== undefined && !(this.o.base.warmStart && this.state)) {
      throw new RangeError(
        "responsibilitiesInit cannot start a streamed fit (its start runs on a sample of the rows, not on every row); fit in memory, or start from a start method (initParams)",
      );
    }
    const { nThreads: _threads, workerUrl: _url, ...fitOptions } = options;
    return exclusive(async () => {
      if (options.signal?.aborted) throw abortError(options.signal);
      const { outcome, priors, n, d, sumWeights } = await fitVariationalStream(
        source,
        this.o.base,
        (n, d) => this.plan(n, d, fitOptions),
        controlOf(options),
      );
      this.state = { ...outcome, priors, nFeatures: d, nSamples: n, sumWeights };
      this.names = options.featureNames?.slice();
      return this;
    });
  }

  /** Checks X's shape (n rows, d columns) against the options and the model: what the fit needs (workspace.ts runs it). */
  private plan(n: number, d: number, options: BayesianFitOptions): VariationalPlan {
    const opts = this.o.base;
    const k = opts.nComponents;
    if (n < 2)
      throw new RangeError(
        `X has ${n} row; a Bayesian mixture needs at least 2 (its data priors use the covariance of X)`,
      );
    if (n < k)
      throw new RangeError(
        `X has ${n} rows but nComponents is ${k}: a mixture needs at least one row per component (use fewer components or more data)`,
      );
    const warm = opts.warmStart && this.state !== undefined;
    if (warm && this.state!.nFeatures !== d)
      throw new RangeError(`warmStart: X has ${d} features but the model was fitted with ${this.state!.nFeatures}`);
    if (options.featureNames !== undefined) {
      const names = options.featureNames;
      if (!Array.isArray(names) || names.length !== d || names.some((v) => typeof v !== "string"))
        throw new RangeError(`featureNames must be ${d} strings, one per column of X; got ${describe(names)}`);
    }
    const covariancePrior = checkShapedPriors(this.o, this.family, d);
    const responsibilities =
      this.o.responsibilitiesInit === undefined || warm
        ? undefined
        : checkResponsibilities(this.o.responsibilitiesInit, n, k);
    return {
      k,
      priors: {
        type: this.o.type,
        weightConcentration: this.o.weightConcentrationPrior,
        meanPrecision: this.o.meanPrecisionPrior,
        mean: this.o.meanPrior,
        degreesOfFreedom: this.o.degreesOfFreedomPrior,
        covariance: covariancePrior,
      },
      regCovar: opts.regCovar,
      initParams: opts.initParams as Exclude<InitParams, "auto">,
      responsibilities,
      start: warm ? { params: this.scoringParams(), lowerBound: this.state!.lowerBound } : undefined,
    };
  }

  private requireFitted(): BayesianState {
    if (!this.state) throw new NotFittedError("BayesianGaussianMixture");
    return this.state;
  }

  /** The parameters with the E-step's log weights (computed in the module when loaded from JSON). */
  private scoringParams(): VariationalParams {
    const s = this.requireFitted();
    const p = s.params;
    if (p.logWeights.length !== this.nComponents) {
      p.logWeights = expectedLogWeightsOf(
        this.o.type,
        this.nComponents,
        s.nFeatures,
        p.weightConcentration,
        p.meanPrecision,
        p.degreesOfFreedom,
      );
    }
    return p;
  }

  /** Most probable component of each row (under the expected log weights and densities, as scikit-learn). */
  predict(X: MatrixLike): Int32Array {
    return scoreRows(X, this.o.base, this.scoringParams(), this.requireFitted().nFeatures, "labels");
  }

  /** Responsibilities of each component for each row (n × k, rows sum to 1). */
  predictProba(X: MatrixLike): Matrix {
    return scoreRows(X, this.o.base, this.scoringParams(), this.requireFitted().nFeatures, "proba");
  }

  /**
   * scikit-learn's score_samples: log Σ_k exp(E[log π_k] + E[log N(x | μ_k, Λ_k)])
   * per row, the variational approximation of log p(x) (not a normalised density).
   */
  scoreSamples(X: MatrixLike): Float64Array {
    return scoreRows(X, this.o.base, this.scoringParams(), this.requireFitted().nFeatures, "density");
  }

  /** Mean of scoreSamples. */
  score(X: MatrixLike): number {
    const s = this.scoreSamples(X);
    let t = 0;
    for (let i = 0; i < s.length; i++) t += s[i];
    return t / s.length;
  }

  /** n rows drawn from the mixture of the posterior weights, means and covariances (grouped by component, as scikit-learn). */
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
    const rng = new Random(checkSeed(options.randomState) ?? this.o.base.randomState);
    const k = this.nComponents;
    const counts = new Array<number>(k).fill(0);
    const cumulative: number[] = [];
    let s = 0;
    for (let c = 0; c < k; c++) cumulative.push((s += state.params.weights[c]));
    for (let i = 0; i < n; i++) {
      const u = rng.float() * s;
      let c = 0;
      while (c < k - 1 && cumulative[c] <= u) c++;
      counts[c]++;
    }
    return drawRows(this.o.base, state.params, state.nFeatures, counts, rng);
  }

  /** Posterior mean weights, length k. */
  get weights(): number[] {
    return Array.from(this.requireFitted().params.weights);
  }
  /** Posterior means m_k, k × d. */
  get means(): number[][] {
    const s = this.requireFitted();
    return toRows(s.params.means, this.nComponents, s.nFeatures);
  }
  /** W_k⁻¹/ν_k in scikit-learn's shape (full k×d×d, tied d×d, diag k×d, spherical k). */
  get covariances(): CovarianceArray {
    const s = this.requireFitted();
    return nest(s.params.covariances, this.family.shape(this.nComponents, s.nFeatures)) as CovarianceArray;
  }
  /** scikit-learn's precisions_cholesky_ (full/tied upper triangular U with ν_k W_k = U Uᵀ; diag/spherical square roots). */
  get precisionsCholesky(): CovarianceArray {
    const s = this.requireFitted();
    return nest(
      this.family.sklearnFactor(s.params.factor, this.nComponents, s.nFeatures),
      this.family.shape(this.nComponents, s.nFeatures),
    ) as CovarianceArray;
  }
  /** ν_k W_k in scikit-learn's shape. */
  get precisions(): CovarianceArray {
    const s = this.requireFitted();
    return nest(
      this.family.precisions(s.params.factor, this.nComponents, s.nFeatures),
      this.family.shape(this.nComponents, s.nFeatures),
    ) as CovarianceArray;
  }
  /** Dirichlet process: [α, β], the sticks' Beta parameters (two arrays of k); distribution: the k Dirichlet parameters. */
  get weightConcentration(): number[] | [number[], number[]] {
    const c = this.requireFitted().params.weightConcentration;
    const k = this.nComponents;
    return this.o.type === "dirichlet_process"
      ? [Array.from(c.subarray(0, k)), Array.from(c.subarray(k, 2 * k))]
      : Array.from(c);
  }
  /** β_k, length k. */
  get meanPrecision(): number[] {
    return Array.from(this.requireFitted().params.meanPrecision);
  }
  /** ν_k, length k (tied: one number, as scikit-learn). */
  get degreesOfFreedom(): number[] | number {
    const v = this.requireFitted().params.degreesOfFreedom;
    return this.family.shared ? v[0] : Array.from(v);
  }
  /** The priors as resolved against the fitted data (scikit-learn's `*_prior_` attributes). */
  get priors(): {
    /** γ₀, the weights' concentration prior. */
    weightConcentrationPrior: number;
    /** β₀, the means' precision prior. */
    meanPrecisionPrior: number;
    /** m₀, length d. */
    meanPrior: number[];
    /** ν₀. */
    degreesOfFreedomPrior: number;
    /** Ψ₀: full and tied d×d, diag d variances, spherical one number. */
    covariancePrior: number[][] | number[] | number | null;
  } {
    const p = this.requireFitted().priors;
    return {
      weightConcentrationPrior: p.weightConcentration,
      meanPrecisionPrior: p.meanPrecision,
      meanPrior: Array.from(p.mean),
      degreesOfFreedomPrior: p.degreesOfFreedom,
      covariancePrior: priorNested(this.family, p.covariance, this.requireFitted().nFeatures),
    };
  }
  /** Components with weight above EFFECTIVE_WEIGHT (0.01). */
  get effectiveComponents(): number {
    return this.requireFitted().params.weights.filter((v) => v > EFFECTIVE_WEIGHT).length;
  }
  /** Whether the best initialisation converged within maxIter. */
  get converged(): boolean {
    return this.requireFitted().converged;
  }
  /** Iterations of the best initialisation. */
  get nIter(): number {
    return this.requireFitted().nIter;
  }
  /** scikit-learn's lower_bound_: the evidence lower bound of the best initialisation, up to its constant (a total, not per row). */
  get lowerBound(): number {
    return this.requireFitted().lowerBound;
  }
  /**
   * The evidence lower bound on ln p(X) of the best initialisation: `lowerBound`
   * (scikit-learn's, which drops terms that depend on the priors, K and n)
   * plus those terms, so fits of different K compare; higher is better
   * (selectModel's "elbo"). For full, tied and diag covariances it is the
   * exact variational bound (with one component and the Dirichlet
   * distribution, the model's closed-form evidence, tested; diag's with the
   * Gamma normalisers of its independent precisions); spherical completes
   * scikit-learn's bound in the Wishart form scikit-learn uses for it. A model loaded from JSON takes
   * n_samples_fit for the weights' sum (its JSON does not keep Σw); NaN when
   * its JSON has no covariance_prior_.
   */
  get evidenceLowerBound(): number {
    const s = this.requireFitted();
    return (
      s.lowerBound +
      evidenceConstant(this.family, s.priors, this.nComponents, s.nFeatures, s.sumWeights, s.params.degreesOfFreedom)
    );
  }
  /** Why the last fit stopped: "converged", "maxIter" or "timeBudget". */
  get stopReason(): StopReason {
    return this.requireFitted().stopReason;
  }
  /** Number of features seen in fit. */
  get nFeatures(): number {
    return this.requireFitted().nFeatures;
  }
  /** Column names given at fit (or in the model JSON), if any. */
  get featureNames(): string[] | undefined {
    this.requireFitted();
    return this.names?.slice();
  }
  /** True once fitted (or loaded). */
  get isFitted(): boolean {
    return this.state !== undefined;
  }

  /** Plain JSON with scikit-learn's attribute names and shapes. */
  toJSON(): BayesianGaussianMixtureJSON {
    const s = this.requireFitted();
    const k = this.nComponents;
    const d = s.nFeatures;
    const shape = this.family.shape(k, d);
    const o = this.o.base;
    return {
      format: BAYESIAN_FORMAT,
      version: 1,
      covariance_type: o.covarianceType,
      weight_concentration_prior_type: this.o.type,
      n_components: k,
      n_features_in_: d,
      weights_: Array.from(s.params.weights),
      means_: toRows(s.params.means, k, d),
      covariances_: nest(s.params.covariances, shape) as CovarianceArray,
      precisions_cholesky_: nest(this.family.sklearnFactor(s.params.factor, k, d), shape) as CovarianceArray,
      weight_concentration_: this.weightConcentration,
      mean_precision_: this.meanPrecision,
      degrees_of_freedom_: this.degreesOfFreedom,
      weight_concentration_prior_: s.priors.weightConcentration,
      mean_precision_prior_: s.priors.meanPrecision,
      mean_prior_: Array.from(s.priors.mean),
      degrees_of_freedom_prior_: s.priors.degreesOfFreedom,
      covariance_prior_: priorNested(this.family, s.priors.covariance, d),
      converged_: s.converged,
      n_iter_: s.nIter,
      lower_bound_: Number.isFinite(s.lowerBound) ? s.lowerBound : null,
      n_samples_fit: s.nSamples,
      ...(this.names ? { feature_names_in_: this.names.slice() } : {}),
      params: {
        tol: o.tol,
        reg_covar: o.regCovar,
        max_iter: o.maxIter,
        n_init: o.nInit,
        init_params: o.initParams,
        random_state: o.randomState ?? null,
        ...(o.dtype === "float64" ? {} : { dtype: o.dtype }),
      },
    };
  }

  /** Restores a model from toJSON() output (or a scikit-learn model exported with the same names); every field is checked. */
  static fromJSON(input: unknown): BayesianGaussianMixture {
    const json = typeof input === "string" ? parseJSON(input) : input;
    if (json === null || typeof json !== "object" || Array.isArray(json)) bad("expected a model object");
    const o = json as Record<string, unknown>;
    for (const key of Object.keys(o))
      if (!JSON_FIELDS.has(key))
        bad(`unknown field ${describe(key)}; a BayesianGaussianMixture model has ${[...JSON_FIELDS].join(", ")}`);
    if (o.format !== undefined && o.format !== BAYESIAN_FORMAT)
      bad(`format is ${describe(o.format)}; expected "${BAYESIAN_FORMAT}"`);
    if (o.version !== undefined && o.version !== 1)
      bad(`version ${describe(o.version)} is not supported (this library reads version 1)`);
    const type = (o.weight_concentration_prior_type ?? "dirichlet_process") as WeightConcentrationPriorType;
    if (!WEIGHT_PRIOR_TYPES.includes(type))
      bad(
        `weight_concentration_prior_type is ${describe(type)}; expected "dirichlet_process" or "dirichlet_distribution"`,
      );
    const params = (o.params ?? {}) as Record<string, unknown>;
    if (params === null || typeof params !== "object" || Array.isArray(params)) bad("params must be an object");
    // the mixture part is GaussianMixture's model JSON: its checks apply as they are
    const gmmFields = [
      "covariance_type",
      "n_components",
      "n_features_in_",
      "weights_",
      "means_",
      "covariances_",
      "precisions_cholesky_",
      "converged_",
      "n_iter_",
      "lower_bound_",
      "n_samples_fit",
      "feature_names_in_",
    ];
    const mixture: Record<string, unknown> = {};
    for (const f of gmmFields) if (o[f] !== undefined) mixture[f] = o[f];
    mixture.params = Object.fromEntries(
      Object.entries(params).filter(([key]) =>
        ["tol", "reg_covar", "max_iter", "n_init", "init_params", "random_state", "dtype"].includes(key),
      ),
    );
    for (const key of Object.keys(params))
      if (!["tol", "reg_covar", "max_iter", "n_init", "init_params", "random_state", "dtype"].includes(key))
        bad(`unknown field params.${key}`);
    let parsed: ReturnType<typeof fromModelJSON>;
    try {
      parsed = fromModelJSON(mixture);
    } catch (e) {
      throw new TypeError(
        (e as Error).message
          .replace(/^fromJSON: /, "fromJSON: ")
          .replace("a GaussianMixture model", "a BayesianGaussianMixture model"),
      );
    }
    const { options, state } = parsed;
    if (options.initParams === "auto")
      bad(
        `params.init_params "auto" is GaussianMixture's search; a BayesianGaussianMixture starts from ${BAYESIAN_INIT_PARAMS.join(", ")}`,
      );
    const k = options.nComponents!;
    const d = state.nFeatures;
    const family = FAMILIES[options.covarianceType!];
    const positives = (v: unknown, length: number, name: string, least = 0): Float64Array => {
      const out = flatten(v, [length], name);
      out.forEach((x, t) => {
        if (!(x > least) || !Number.isFinite(x))
          bad(`${name}${length > 1 ? `[${t}]` : ""} is ${x}; expected a finite number > ${least}`);
      });
      return out;
    };
    const rawConcentration = o.weight_concentration_;
    if (rawConcentration === undefined) bad("weight_concentration_ is missing");
    const concentration =
      type === "dirichlet_process"
        ? positives(
            Array.isArray(rawConcentration) ? (rawConcentration as unknown[]).flat() : rawConcentration,
            2 * k,
            "weight_concentration_ (two arrays of n_components: the sticks' α and β)",
          )
        : positives(rawConcentration, k, "weight_concentration_");
    if (o.mean_precision_ === undefined) bad("mean_precision_ is missing");
    const meanPrecision = positives(o.mean_precision_, k, "mean_precision_");
    if (o.degrees_of_freedom_ === undefined) bad("degrees_of_freedom_ is missing");
    const dof = family.shared
      ? new Float64Array(k).fill(
          positives(
            typeof o.degrees_of_freedom_ === "number" ? [o.degrees_of_freedom_] : o.degrees_of_freedom_,
            1,
            "degrees_of_freedom_",
            d - 1,
          )[0],
        )
      : positives(o.degrees_of_freedom_, k, "degrees_of_freedom_", d - 1);
    // the weights follow from the concentrations: a model whose two disagree contradicts itself
    const implied = posteriorWeights(type, k, concentration);
    implied.forEach((v, c) => {
      if (!(Math.abs(v - state.params.weights[c]) <= 1e-6 * Math.max(v, 1e-300) + 1e-12))
        bad(`weights_[${c}] is ${state.params.weights[c]} but weight_concentration_ gives ${v}`);
    });
    const number = (v: unknown, name: string, fallback: number, least: number): number => {
      if (v === undefined || v === null) return fallback;
      if (typeof v !== "number" || !Number.isFinite(v) || !(v > least))
        bad(`${name} is ${describe(v)}; expected a finite number > ${least}`);
      return v as number;
    };
    const priorShape = family.precisionPrior.shape(d);
    const priorCovariance =
      o.covariance_prior_ === undefined || o.covariance_prior_ === null
        ? new Float64Array(0)
        : flatten(
            priorShape.length === 0 && typeof o.covariance_prior_ === "number"
              ? [o.covariance_prior_]
              : o.covariance_prior_,
            priorShape.length === 0 ? [1] : priorShape,
            "covariance_prior_",
          );
    const priors: Priors = {
      type,
      weightConcentration: number(o.weight_concentration_prior_, "weight_concentration_prior_", 1 / k, 0),
      meanPrecision: number(o.mean_precision_prior_, "mean_precision_prior_", 1, 0),
      mean:
        o.mean_prior_ === undefined || o.mean_prior_ === null
          ? new Float64Array(0)
          : flatten(o.mean_prior_, [d], "mean_prior_"),
      degreesOfFreedom: number(o.degrees_of_freedom_prior_, "degrees_of_freedom_prior_", d, d - 1),
      covariance: priorCovariance,
    };
    const model = new BayesianGaussianMixture({
      nComponents: k,
      covarianceType: options.covarianceType,
      weightConcentrationPriorType: type,
      tol: options.tol,
      regCovar: options.regCovar,
      maxIter: options.maxIter,
      nInit: options.nInit,
      initParams: options.initParams as Exclude<InitParams, "auto"> | undefined,
      randomState: options.randomState,
      dtype: options.dtype,
    });
    model.state = {
      params: {
        ...state.params,
        logWeights: new Float64Array(0),
        weightConcentration: concentration,
        meanPrecision,
        degreesOfFreedom: dof,
      },
      priors,
      nFeatures: d,
      converged: state.converged,
      nIter: state.nIter,
      lowerBound: state.lowerBound,
      stopReason: state.stopReason,
      nSamples: state.nSamples,
      sumWeights: state.nSamples,
    };
    model.names = state.featureNames;
    return model;
  }
}

const JSON_FIELDS = new Set([
  "format",
  "version",
  "covariance_type",
  "weight_concentration_prior_type",
  "n_components",
  "n_features_in_",
  "weights_",
  "means_",
  "covariances_",
  "precisions_cholesky_",
  "weight_concentration_",
  "mean_precision_",
  "degrees_of_freedom_",
  "weight_concentration_prior_",
  "mean_precision_prior_",
  "mean_prior_",
  "degrees_of_freedom_prior_",
  "covariance_prior_",
  "converged_",
  "n_iter_",
  "lower_bound_",
  "n_samples_fit",
  "feature_names_in_",
  "params",
]);

/**
 * What BayesianGaussianMixture's toJSON() writes and fromJSON() reads:
 * scikit-learn's attribute names and shapes, plus a format tag and version.
 */
export interface BayesianGaussianMixtureJSON {
  /** Always "gmm-wasm/BayesianGaussianMixture" (optional when reading, as in a scikit-learn dump). */
  format: typeof BAYESIAN_FORMAT;
  /** Format version (1). */
  version: number;
  /** The covariance type. */
  covariance_type: CovarianceType;
  /** The weights' prior. */
  weight_concentration_prior_type: WeightConcentrationPriorType;
  /** Components k (an upper bound). */
  n_components: number;
  /** Features d. */
  n_features_in_: number;
  /** Posterior mean weights, length k. */
  weights_: number[];
  /** Posterior means, k × d. */
  means_: number[][];
  /** W_k⁻¹/ν_k in scikit-learn's shape: full k×d×d, tied d×d, diag k×d, spherical k. */
  covariances_: CovarianceArray;
  /** scikit-learn's precisions_cholesky_, in the same shape. */
  precisions_cholesky_: CovarianceArray;
  /** Dirichlet process: [α, β]; distribution: α. */
  weight_concentration_: number[] | [number[], number[]];
  /** β_k, length k. */
  mean_precision_: number[];
  /** ν_k, length k; tied: one number. */
  degrees_of_freedom_: number[] | number;
  /** γ₀. */
  weight_concentration_prior_: number;
  /** β₀. */
  mean_precision_prior_: number;
  /** m₀, length d. */
  mean_prior_: number[];
  /** ν₀. */
  degrees_of_freedom_prior_: number;
  /** Ψ₀: full, tied: d×d; diag: d; spherical: one number. */
  covariance_prior_: number[][] | number[] | number | null;
  /** Whether the best initialisation converged. */
  converged_: boolean;
  /** Iterations of the best initialisation. */
  n_iter_: number;
  /** The evidence lower bound (null before any iteration). */
  lower_bound_: number | null;
  /** Rows seen in fit; not a scikit-learn field. */
  n_samples_fit: number;
  /** Column names, when they were given. */
  feature_names_in_?: string[];
  /** The options that are not fitted attributes. */
  params: {
    /** Convergence tolerance. */
    tol: number;
    /** Diagonal regularisation. */
    reg_covar: number;
    /** Iterations per initialisation. */
    max_iter: number;
    /** Initialisations. */
    n_init: number;
    /** The start method. */
    init_params: string;
    /** The seed, or null. */
    random_state: number | null;
    /** "float32" when the model holds rows as 32-bit floats (absent: float64). */
    dtype?: Dtype;
  };
}

/** Ψ₀ in its shape (PrecisionPrior.shape: a d×d matrix, d variances or one number), or null when not known. */
function priorNested(
  family: CovarianceFamily,
  covariance: Float64Array,
  d: number,
): number[][] | number[] | number | null {
  if (covariance.length === 0) return null;
  const shape = family.precisionPrior.shape(d);
  return shape.length === 0 ? covariance[0] : (nest(covariance, shape) as number[][] | number[]);
}

function bad(message: string): never {
  throw new TypeError(`fromJSON: ${message}`);
}

function parseJSON(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    return bad(`the string is not valid JSON (${(e as Error).message})`);
  }
}
