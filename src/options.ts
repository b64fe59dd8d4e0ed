// Options with their defaults (scikit-learn's), validated once when a model
// is constructed. An explicit `undefined` means "use the default".
import { COVARIANCE_TYPES, type CovarianceType } from "./covariance.js";
import { describe, type MatrixLike, readMatrix } from "./matrix.js";
import type { WeightConcentrationPriorType } from "./types.js";

/**
 * Precisions as GaussianMixtureOptions.precisionsInit takes them: scikit-learn's
 * nested shapes (a CovarianceArray of the type, typed arrays allowed at any
 * level) or one flat array in row-major order.
 */
export type PrecisionsInit = ArrayLike<number> | ArrayLike<ArrayLike<number>> | ArrayLike<ArrayLike<ArrayLike<number>>>;

/** How EM starts; see GaussianMixtureOptions.initParams. */
export type InitParams = "kmeans" | "k-means++" | "random" | "random_from_data" | "hc" | "auto";
/** Every initParams value, for validation and for user interfaces. */
export const INIT_PARAMS: readonly InitParams[] = ["kmeans", "k-means++", "random", "random_from_data", "hc", "auto"];

/** How X is held in WebAssembly memory while fitting and scoring. */
export type Dtype = "float64" | "float32";
export const DTYPES: readonly Dtype[] = ["float64", "float32"];

/** GaussianMixture's options, scikit-learn's names in camelCase, with scikit-learn's defaults; every one is optional. */
export interface GaussianMixtureOptions {
  /** Number of mixture components (default 1). */
  nComponents?: number;
  /** "full" (default), "tied", "diag" or "spherical". */
  covarianceType?: CovarianceType;
  /** Stop when the per-sample lower bound changes by less than this (default 1e-3). 0 runs exactly maxIter iterations. */
  tol?: number;
  /** Added to the diagonal of every covariance, keeping it positive definite (default 1e-6). */
  regCovar?: number;
  /** EM iterations per initialisation (default 100). */
  maxIter?: number;
  /** Initialisations; the one with the highest lower bound is kept (default 1). */
  nInit?: number;
  /**
   * How responsibilities are initialised (default "kmeans", scikit-learn's):
   * "kmeans", "k-means++", "random", "random_from_data", "hc" (model-based
   * hierarchical agglomeration, mclust's start), or "auto": a search over
   * all of these with split-and-merge moves, keeping the best fit (nInit
   * scales its effort; `searchReport` says what it did).
   */
  initParams?: InitParams;
  /** Seed: the same seed gives bit-identical results. */
  randomState?: number;
  /** Start the next fit from the current parameters (default false). */
  warmStart?: boolean;
  /** Initial weights, shape [k], summing to 1. */
  weightsInit?: ArrayLike<number>;
  /** Initial means, shape [k, d]. */
  meansInit?: MatrixLike;
  /**
   * Initial precisions (inverse covariances) in scikit-learn's shapes:
   * full [k, d, d], tied [d, d], diag [k, d], spherical [k], as nested
   * arrays (typed arrays at any level) or one flat array of those values.
   */
  precisionsInit?: PrecisionsInit;
  /**
   * The start as responsibilities, mclust's me() z: n × nComponents (rows of
   * X by components), entries ≥ 0, each row summing to 1 (within 1e-6). EM
   * starts with an M-step on them (scikit-learn's `_initialize(X, resp)`);
   * weightsInit, meansInit and precisionsInit, if given too, then replace
   * what it made. Not with initParams "auto" or a streamed source.
   */
  responsibilitiesInit?: MatrixLike;
  /**
   * "float64" (default) or "float32": hold X as 32-bit floats (half the
   * memory) and compute the E-step four rows per SIMD vector. Parameters,
   * sums and results stay float64; log-densities are good to about 1e-6
   * relative (README: "float32").
   */
  dtype?: Dtype;
  /**
   * Called when a fit ends in a state scikit-learn would warn about: the best
   * initialisation did not converge within maxIter, or a component collapsed
   * (see `degenerate`). Default: `console.warn`, once per kind of warning per
   * process. Pass `() => {}` to silence it.
   */
  onWarning?: (warning: FitWarning) => void;
}

/** What `onWarning` receives. */
export interface FitWarning {
  /** "convergence": stopped at maxIter before the lower bound settled; "degenerate": a component collapsed. */
  kind: "convergence" | "degenerate";
  /** A sentence saying what happened and what to try. */
  message: string;
}

export interface ResolvedOptions {
  nComponents: number;
  covarianceType: CovarianceType;
  tol: number;
  regCovar: number;
  maxIter: number;
  nInit: number;
  initParams: InitParams;
  randomState: number | undefined;
  warmStart: boolean;
  weightsInit: ArrayLike<number> | undefined;
  meansInit: MatrixLike | undefined;
  precisionsInit: PrecisionsInit | undefined;
  responsibilitiesInit: MatrixLike | undefined;
  dtype: Dtype;
  onWarning: ((warning: FitWarning) => void) | undefined;
}

export function checkInteger(v: unknown, name: string, least: number, most = Number.MAX_SAFE_INTEGER): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < least || v > most) {
    const range = most === Number.MAX_SAFE_INTEGER ? `≥ ${least}` : `from ${least} to ${most}`;
    throw new RangeError(`${name} must be an integer ${range}; got ${describe(v)}`);
  }
  return v;
}

export function checkNonNegative(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0; got ${describe(v)}`);
  }
  return v;
}

/** Largest randomState: seeds are 32-bit, as numpy's RandomState requires. */
export const MAX_SEED = 2 ** 32 - 1;

/** The `format` a BayesianGaussianMixture's JSON carries. */
export const BAYESIAN_FORMAT = "gmm-wasm/BayesianGaussianMixture";

/** BayesianGaussianMixture's start methods: scikit-learn's, and mclust's hc. */
export const BAYESIAN_INIT_PARAMS: readonly Exclude<InitParams, "auto">[] = [
  "kmeans",
  "k-means++",
  "random",
  "random_from_data",
  "hc",
];

/** BayesianGaussianMixture's weight priors (weightConcentrationPriorType). */
export const WEIGHT_PRIOR_TYPES: readonly WeightConcentrationPriorType[] = [
  "dirichlet_process",
  "dirichlet_distribution",
];

/**
 * How far mixing weights (`weightsInit`, a model's `weights_`) may sum from 1:
 * scikit-learn's check (numpy's allclose, absolute 1e-8). Weights this library
 * or scikit-learn writes sum to 1 within 1e-15.
 */
export const WEIGHTS_SUM_TOLERANCE = 1e-8;

/** How far a row of responsibilitiesInit may sum from 1 (responsibilities written as text or float32 lose digits). */
export const RESPONSIBILITIES_SUM_TOLERANCE = 1e-6;

/** responsibilitiesInit checked against the fit: n × k, entries ≥ 0, rows summing to 1; flattened. */
export function checkResponsibilities(given: MatrixLike, n: number, k: number): Float64Array {
  const r = readMatrix(given, "responsibilitiesInit");
  if (r.rows !== n || r.cols !== k)
    throw new RangeError(
      `responsibilitiesInit has shape [${r.rows}, ${r.cols}]; expected [rows of X, nComponents] = [${n}, ${k}]`,
    );
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) {
      const v = r.data[i * k + c];
      if (!(v >= 0)) throw new RangeError(`responsibilitiesInit[${i}][${c}] is ${v}; responsibilities must be ≥ 0`);
      s += v;
    }
    if (!(Math.abs(s - 1) <= RESPONSIBILITIES_SUM_TOLERANCE))
      throw new RangeError(
        `responsibilitiesInit row ${i} sums to ${s}; each row must sum to 1 (within ${RESPONSIBILITIES_SUM_TOLERANCE})`,
      );
  }
  return r.data;
}

export function checkSeed(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isInteger(v) || v < 0 || v > MAX_SEED) {
    throw new RangeError(
      `randomState must be a non-negative integer up to 2³² − 1 = ${MAX_SEED} (or omitted); got ${describe(v)}`,
    );
  }
  return v;
}

function checkCallback<F>(v: F | undefined, name: string): F | undefined {
  if (v !== undefined && typeof v !== "function") throw new TypeError(`${name} must be a function; got ${describe(v)}`);
  return v;
}

export function checkBoolean(v: unknown, name: string): boolean {
  if (typeof v !== "boolean") throw new TypeError(`${name} must be true or false; got ${describe(v)}`);
  return v;
}

function checkChoice<T extends string>(v: unknown, name: string, choices: readonly T[]): T {
  if (!choices.includes(v as T)) {
    throw new RangeError(`${name} must be one of ${choices.map((c) => `"${c}"`).join(", ")}; got ${describe(v)}`);
  }
  return v as T;
}

/** Options of fit() / fitPredict(). */
export const FIT_OPTIONS: readonly string[] = ["onIteration", "signal", "timeBudgetMs", "featureNames", "sampleWeight"];
/** Options of fitAsync(). */
export const ASYNC_FIT_OPTIONS: readonly string[] = [...FIT_OPTIONS, "nThreads", "workerUrl"];
/** More worker threads than this is a mistake, not a request (they would only take turns on the cores). */
export const MAX_THREADS = 256;

/** Refuses unknown per-call options and checks the controls' types. */
export function checkFitOptions(o: unknown, known: readonly string[], what = "fit"): void {
  if (o === null || typeof o !== "object") throw new TypeError(`${what} options must be an object; got ${describe(o)}`);
  for (const key of Object.keys(o)) {
    if (!known.includes(key))
      throw new RangeError(`Unknown ${what} option "${key}"; known options: ${known.join(", ")}`);
  }
  const c = o as Record<string, unknown>;
  if (c.onIteration !== undefined && typeof c.onIteration !== "function")
    throw new TypeError(`onIteration must be a function; got ${describe(c.onIteration)}`);
  if (c.timeBudgetMs !== undefined) checkNonNegative(c.timeBudgetMs, "timeBudgetMs");
  if (c.signal !== undefined && (c.signal === null || typeof (c.signal as AbortSignal).aborted !== "boolean")) {
    throw new TypeError(`signal must be an AbortSignal; got ${describe(c.signal)}`);
  }
}

const KNOWN = new Set([
  "nComponents",
  "covarianceType",
  "tol",
  "regCovar",
  "maxIter",
  "nInit",
  "initParams",
  "randomState",
  "warmStart",
  "weightsInit",
  "meansInit",
  "precisionsInit",
  "responsibilitiesInit",
  "dtype",
  "onWarning",
]);

/**
 * An estimator's options: an object whose every key is one of `known` (a
 * misspelt name would otherwise leave its default in place unnoticed).
 */
export function checkOptionNames(o: unknown, known: ReadonlySet<string>, estimator: string): void {
  if (o === null || typeof o !== "object")
    throw new TypeError(`${estimator} options must be an object; got ${describe(o)}`);
  for (const key of Object.keys(o)) {
    if (!known.has(key))
      throw new RangeError(`Unknown ${estimator} option ${describe(key)}; known options: ${[...known].join(", ")}`);
  }
}

export function resolveOptions(o: GaussianMixtureOptions): ResolvedOptions {
  checkOptionNames(o, KNOWN, "GaussianMixture");
  return {
    nComponents: checkInteger(o.nComponents ?? 1, "nComponents", 1),
    covarianceType: checkChoice(o.covarianceType ?? "full", "covarianceType", COVARIANCE_TYPES),
    tol: checkNonNegative(o.tol ?? 1e-3, "tol"),
    regCovar: checkNonNegative(o.regCovar ?? 1e-6, "regCovar"),
    maxIter: checkInteger(o.maxIter ?? 100, "maxIter", 0),
    nInit: checkInteger(o.nInit ?? 1, "nInit", 1),
    initParams: checkChoice(o.initParams ?? "kmeans", "initParams", INIT_PARAMS),
    randomState: checkSeed(o.randomState),
    warmStart: checkBoolean(o.warmStart ?? false, "warmStart"),
    // null is Python's None: not given
    weightsInit: o.weightsInit ?? undefined,
    meansInit: o.meansInit ?? undefined,
    precisionsInit: o.precisionsInit ?? undefined,
    responsibilitiesInit: o.responsibilitiesInit ?? undefined,
    dtype: checkChoice(o.dtype ?? "float64", "dtype", DTYPES),
    onWarning: checkCallback(o.onWarning, "onWarning"),
  };
}
