// Model serialisation: plain JSON with scikit-learn's attribute names and
// shapes, so a model fitted in Python scores here and the other way round.
// fromJSON treats its input as untrusted: every field is checked, and sizes
// are checked against the data actually present before anything is allocated.
// Plain TypeScript: loading a model needs no WebAssembly module (the family
// table's layout checks run in dense.ts).
import { COVARIANCE_TYPES, type CovarianceType, FAMILIES } from "./covariance.js";
import type { MixtureParams } from "./em.js";
import { describe, flatten, MAX_FIT_MAGNITUDE, nest } from "./matrix.js";
import {
  DTYPES,
  type Dtype,
  type GaussianMixtureOptions,
  INIT_PARAMS,
  type InitParams,
  type PrecisionsInit,
  type ResolvedOptions,
  WEIGHTS_SUM_TOLERANCE,
} from "./options.js";
import type { Statistics } from "./statistics.js";
import type { CovarianceArray } from "./types.js";

export const MODEL_FORMAT = "gmm-wasm/GaussianMixture";
export const MODEL_VERSION = 1;

/** What toJSON() writes and fromJSON() reads: scikit-learn's attribute names and shapes, plus a format tag and version. */
export interface GaussianMixtureJSON {
  /** Always "gmm-wasm/GaussianMixture" (optional when reading, as in a scikit-learn dump). */
  format: typeof MODEL_FORMAT;
  /** Format version (1); a later release reads every earlier one. */
  version: number;
  /** The covariance type. */
  covariance_type: CovarianceType;
  /** Components k. */
  n_components: number;
  /** Features d. */
  n_features_in_: number;
  /** Mixing weights, length k. */
  weights_: number[];
  /** Means, k × d. */
  means_: number[][];
  /** Covariances in scikit-learn's shape: full k×d×d, tied d×d, diag k×d, spherical k. */
  covariances_: CovarianceArray;
  /** scikit-learn's precisions_cholesky_ (upper triangular U with Σ⁻¹ = U Uᵀ; 1/σ for diag and spherical). */
  precisions_cholesky_: CovarianceArray;
  /** Whether the best initialisation converged. */
  converged_: boolean;
  /** EM iterations of the best initialisation. */
  n_iter_: number;
  /** Per-sample lower bound (null before any EM iteration). */
  lower_bound_: number | null;
  /** Rows seen in fit (used by the degeneracy check); not a scikit-learn field. */
  n_samples_fit: number;
  /** Column names, when they were given. */
  feature_names_in_?: string[];
  /** The options that are not fitted attributes. */
  params: {
    /** Convergence tolerance. */
    tol: number;
    /** Diagonal regularisation. */
    reg_covar: number;
    /** EM iterations per initialisation. */
    max_iter: number;
    /** Initialisations. */
    n_init: number;
    /** The start method. */
    init_params: InitParams;
    /** The seed, or null. */
    random_state: number | null;
    /** How rows are held while fitting and scoring (gmm-wasm's dtype option). */
    dtype?: Dtype;
  };
}

export interface FittedModel {
  params: MixtureParams;
  nFeatures: number;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  stopReason: "converged" | "maxIter" | "timeBudget";
  nSamples: number;
  featureNames?: string[];
}

export function toModelJSON(opts: ResolvedOptions, s: FittedModel, sklearnFactor: Float64Array): GaussianMixtureJSON {
  const k = opts.nComponents;
  const d = s.nFeatures;
  const shape = FAMILIES[opts.covarianceType].shape(k, d);
  return {
    format: MODEL_FORMAT,
    version: MODEL_VERSION,
    covariance_type: opts.covarianceType,
    n_components: k,
    n_features_in_: d,
    weights_: Array.from(s.params.weights),
    means_: nest(s.params.means, [k, d]) as number[][],
    covariances_: nest(s.params.covariances, shape) as CovarianceArray,
    precisions_cholesky_: nest(sklearnFactor, shape) as CovarianceArray,
    converged_: s.converged,
    n_iter_: s.nIter,
    // JSON has no −Infinity (a model loaded with maxIter 0 has no bound yet).
    lower_bound_: Number.isFinite(s.lowerBound) ? s.lowerBound : null,
    n_samples_fit: s.nSamples,
    ...(s.featureNames ? { feature_names_in_: s.featureNames.slice() } : {}),
    params: {
      tol: opts.tol,
      reg_covar: opts.regCovar,
      max_iter: opts.maxIter,
      n_init: opts.nInit,
      init_params: opts.initParams,
      random_state: opts.randomState ?? null,
      dtype: opts.dtype,
    },
  };
}

/**
 * scikit-learn's GaussianMixture parameters (`get_params()`, ≥ 0.24). A Python
 * dump has them at the top level beside the fitted attributes; this library's
 * own JSON nests its few under `params`. Both places are read.
 */
const SKLEARN_PARAMS = [
  "covariance_type",
  "init_params",
  "max_iter",
  "means_init",
  "n_components",
  "n_init",
  "precisions_init",
  "random_state",
  "reg_covar",
  "tol",
  "verbose",
  "verbose_interval",
  "warm_start",
  "weights_init",
] as const;

/**
 * Parameters and fitted attributes only BayesianGaussianMixture has. Its
 * score_samples is not the plain mixture density of weights_, means_ and
 * covariances_ (digamma log-weights, expected precisions), so loading one as
 * a GaussianMixture would score differently: refused, with the reason.
 */
const BAYESIAN_ONLY = [
  "weight_concentration_prior_type",
  "weight_concentration_prior",
  "mean_precision_prior",
  "mean_prior",
  "degrees_of_freedom_prior",
  "covariance_prior",
  "weight_concentration_",
  "mean_precision_",
  "degrees_of_freedom_",
  "weight_concentration_prior_",
  "mean_precision_prior_",
  "mean_prior_",
  "degrees_of_freedom_prior_",
  "covariance_prior_",
];

const KNOWN_PARAMS = new Set<string>([
  "tol",
  "reg_covar",
  "max_iter",
  "n_init",
  "init_params",
  "random_state",
  "dtype",
  ...SKLEARN_PARAMS,
]);

function bad(message: string): never {
  throw new TypeError(`fromJSON: ${message}`);
}

const MAX_COMPONENTS = 1 << 16;
const MAX_FEATURES = 1 << 14;

const KNOWN_FIELDS = new Set<string>([
  "format",
  "version",
  "covariance_type",
  "n_components",
  "n_features_in_",
  "weights_",
  "means_",
  "covariances_",
  "precisions_cholesky_",
  "precisions_",
  "converged_",
  "n_iter_",
  "lower_bound_",
  "n_samples_fit",
  "feature_names_in_",
  "params",
  ...SKLEARN_PARAMS,
]);

function refuseBayesian(keys: string[], where: string): void {
  const found = keys.filter((key) => BAYESIAN_ONLY.includes(key));
  if (found.length === 0) return;
  bad(
    `${where}${found.slice(0, 3).join(", ")}${found.length > 3 ? ", …" : ""} belong to scikit-learn's BayesianGaussianMixture, which this library does not load: its score_samples uses the variational posterior (digamma log-weights, expected precisions), not the mixture density of weights_, means_ and covariances_, so the scores would differ. Fit a GaussianMixture, or drop those fields to load the posterior means as a plain mixture (its scores will then differ from BayesianGaussianMixture's)`,
  );
}

/**
 * Parses and validates model JSON (an object or a string). Returns the
 * options and fitted state for GaussianMixture.fromJSON.
 */
export function fromModelJSON(input: unknown): { options: GaussianMixtureOptions; state: FittedModel } {
  let json = input;
  if (typeof json === "string") {
    try {
      json = JSON.parse(json);
    } catch (e) {
      bad(`the string is not valid JSON (${(e as Error).message})`);
    }
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) bad("expected a model object");
  const o = json as Record<string, unknown>;
  refuseBayesian(Object.keys(o), "");
  if (o.params !== null && typeof o.params === "object" && !Array.isArray(o.params))
    refuseBayesian(Object.keys(o.params), "params.");
  for (const key of Object.keys(o)) {
    if (!KNOWN_FIELDS.has(key))
      bad(`unknown field ${describe(key)}; a GaussianMixture model has ${[...KNOWN_FIELDS].join(", ")}`);
  }
  if (o.format !== undefined && o.format !== MODEL_FORMAT)
    bad(`format is ${describe(o.format)}; expected "${MODEL_FORMAT}"`);
  if (
    o.version !== undefined &&
    (typeof o.version !== "number" || !Number.isInteger(o.version) || o.version > MODEL_VERSION || o.version < 1)
  ) {
    bad(`version ${describe(o.version)} is not supported (this library reads version ${MODEL_VERSION})`);
  }
  const type = o.covariance_type as CovarianceType;
  if (!COVARIANCE_TYPES.includes(type)) {
    bad(`covariance_type is ${describe(o.covariance_type)}; expected one of ${COVARIANCE_TYPES.join(", ")}`);
  }
  if (!Array.isArray(o.weights_)) bad("weights_ must be an array with one weight per component");
  const k = o.weights_.length;
  if (k < 1 || k > MAX_COMPONENTS) bad(`weights_ has ${k} entries; expected 1 to ${MAX_COMPONENTS} components`);
  if (o.n_components !== undefined && o.n_components !== k)
    bad(`n_components is ${describe(o.n_components)} but weights_ has ${k} entries`);
  if (!Array.isArray(o.means_) || !Array.isArray(o.means_[0]))
    bad("means_ must be an array of rows, one per component");
  const d = (o.means_[0] as unknown[]).length;
  if (d < 1 || d > MAX_FEATURES) bad(`means_[0] has ${d} entries; expected 1 to ${MAX_FEATURES} features`);
  if (o.n_features_in_ !== undefined && o.n_features_in_ !== d)
    bad(`n_features_in_ is ${describe(o.n_features_in_)} but means_ rows have ${d} entries`);

  let featureNames: string[] | undefined;
  if (o.feature_names_in_ !== undefined) {
    const names = o.feature_names_in_;
    if (!Array.isArray(names) || names.length !== d || names.some((v) => typeof v !== "string")) {
      bad(`feature_names_in_ must be ${d} strings, one per feature`);
    }
    featureNames = (names as string[]).slice();
  }
  const family = FAMILIES[type];
  const shape = family.shape(k, d);
  const weights = flatten(o.weights_, [k], "weights_");
  let total = 0;
  weights.forEach((v, c) => {
    if (v < 0) bad(`weights_[${c}] is ${v}; weights must be ≥ 0`);
    total += v;
  });
  if (Math.abs(total - 1) > WEIGHTS_SUM_TOLERANCE) bad(`weights_ sums to ${total}; weights must sum to 1`);
  const means = flatten(o.means_, [k, d], "means_");
  means.forEach((v, t) => {
    if (Math.abs(v) > MAX_FIT_MAGNITUDE)
      bad(
        `means_[${Math.floor(t / d)}][${t % d}] is ${v}; a fitted mean lies within ±${MAX_FIT_MAGNITUDE} (fit refuses larger values: their distances overflow)`,
      );
  });
  if (o.covariances_ === undefined) bad("covariances_ is missing");
  const covariances = flatten(o.covariances_, shape, "covariances_");

  // Symmetric, and positive definite (it must have a Cholesky factor).
  const asymmetric = family.checkSymmetric(covariances, k, d, "covariances_", 1e-8);
  if (asymmetric) bad(asymmetric);
  const fromCov = family.factorFromCovariances(covariances, k, d);
  if (fromCov.bad >= 0) bad(`covariances_ of component ${family.component(fromCov.bad, d)} is not positive definite`);
  let factor = fromCov.factor;
  if (o.precisions_cholesky_ !== undefined) {
    const given = family.factorFromSklearn(
      flatten(o.precisions_cholesky_, shape, "precisions_cholesky_"),
      k,
      d,
      "precisions_cholesky_",
    );
    if (typeof given === "string") bad(given);
    // The two must describe the same Gaussians, or scoring would silently use one and sampling the other.
    const t = family.factorsDisagree(given, fromCov.factor, 1e-6);
    if (t >= 0)
      bad(
        `precisions_cholesky_ and covariances_ describe different Gaussians (value ${t}: ${given[t]} given, ${fromCov.factor[t]} from covariances_)`,
      );
    factor = given;
  }
  if (o.precisions_ !== undefined) {
    // scikit-learn's precisions_ must be the inverse of covariances_, or the model contradicts itself
    const given = flatten(o.precisions_, shape, "precisions_");
    const ours = family.precisions(factor, k, d);
    const t = family.factorsDisagree(given, ours, 1e-6);
    if (t >= 0)
      bad(
        `precisions_ and covariances_ describe different Gaussians (value ${t}: ${given[t]} given, ${ours[t]} from covariances_)`,
      );
  }
  if (o.params !== undefined && (o.params === null || typeof o.params !== "object" || Array.isArray(o.params)))
    bad(`params must be an object; got ${describe(o.params)}`);
  const nested = (o.params ?? {}) as Record<string, unknown>;
  for (const key of Object.keys(nested)) {
    if (!KNOWN_PARAMS.has(key)) bad(`unknown field params.${key}; known: ${[...KNOWN_PARAMS].join(", ")}`);
  }
  // A parameter may sit at the top level (a scikit-learn dump) or under params (ours), not both with different values.
  const params: Record<string, unknown> = { ...nested };
  for (const key of SKLEARN_PARAMS) {
    if (o[key] === undefined) continue;
    if (nested[key] !== undefined && JSON.stringify(nested[key]) !== JSON.stringify(o[key])) {
      bad(`${key} is ${describe(o[key])} but params.${key} is ${describe(nested[key])}; give it once`);
    }
    params[key] = o[key];
  }
  if (params.covariance_type !== undefined && params.covariance_type !== type)
    bad(`params.covariance_type is ${describe(params.covariance_type)} but covariance_type is ${describe(type)}`);
  if (params.n_components !== undefined && params.n_components !== k)
    bad(`params.n_components is ${describe(params.n_components)} but weights_ has ${k} entries`);
  if (params.warm_start !== undefined && typeof params.warm_start !== "boolean")
    bad(`warm_start is ${describe(params.warm_start)}; expected true or false`);
  // verbose and verbose_interval only steer scikit-learn's printing: checked, then ignored
  if (
    params.verbose !== undefined &&
    !(typeof params.verbose === "number" && Number.isInteger(params.verbose) && params.verbose >= 0)
  )
    bad(`verbose is ${describe(params.verbose)}; expected an integer ≥ 0`);
  if (
    params.verbose_interval !== undefined &&
    !(
      typeof params.verbose_interval === "number" &&
      Number.isInteger(params.verbose_interval) &&
      params.verbose_interval >= 1
    )
  )
    bad(`verbose_interval is ${describe(params.verbose_interval)}; expected an integer ≥ 1`);
  for (const key of ["weights_init", "means_init", "precisions_init"]) {
    const v = params[key];
    // spherical precisions_init is a list of numbers; the others nest deeper. null is Python's None.
    if (v !== undefined && v !== null && !Array.isArray(v))
      bad(`${key} is ${describe(v)}; expected an array in scikit-learn's shape, or null`);
  }
  const initParams = params.init_params;
  if (initParams !== undefined && !INIT_PARAMS.includes(initParams as never))
    bad(`params.init_params is ${describe(initParams)}; expected one of ${INIT_PARAMS.join(", ")}`);
  if (params.dtype !== undefined && !DTYPES.includes(params.dtype as never))
    bad(`params.dtype is ${describe(params.dtype)}; expected one of ${DTYPES.join(", ")}`);
  for (const key of ["tol", "reg_covar", "max_iter", "n_init"]) {
    if (params[key] !== undefined && typeof params[key] !== "number")
      bad(`params.${key} is ${describe(params[key])}; expected a number`);
  }
  if (params.random_state !== undefined && params.random_state !== null && typeof params.random_state !== "number") {
    bad(`params.random_state is ${describe(params.random_state)}; expected an integer or null`);
  }
  if (
    o.lower_bound_ !== undefined &&
    o.lower_bound_ !== null &&
    !(typeof o.lower_bound_ === "number" && Number.isFinite(o.lower_bound_))
  ) {
    bad(`lower_bound_ is ${describe(o.lower_bound_)}; expected a finite number (or null before any EM iteration)`);
  }
  if (o.n_iter_ !== undefined && !(typeof o.n_iter_ === "number" && Number.isInteger(o.n_iter_) && o.n_iter_ >= 0)) {
    bad(`n_iter_ is ${describe(o.n_iter_)}; expected an integer ≥ 0`);
  }
  if (o.converged_ !== undefined && typeof o.converged_ !== "boolean")
    bad(`converged_ is ${describe(o.converged_)}; expected true or false`);
  if (
    o.n_samples_fit !== undefined &&
    !(typeof o.n_samples_fit === "number" && Number.isSafeInteger(o.n_samples_fit) && o.n_samples_fit >= 0)
  ) {
    bad(`n_samples_fit is ${describe(o.n_samples_fit)}; expected an integer ≥ 0`);
  }
  const options: GaussianMixtureOptions = {
    nComponents: k,
    covarianceType: type,
    tol: typeof params.tol === "number" ? params.tol : undefined,
    regCovar: typeof params.reg_covar === "number" ? params.reg_covar : undefined,
    maxIter: typeof params.max_iter === "number" ? params.max_iter : undefined,
    nInit: typeof params.n_init === "number" ? params.n_init : undefined,
    initParams: initParams as ResolvedOptions["initParams"] | undefined,
    randomState: typeof params.random_state === "number" ? params.random_state : undefined,
    warmStart: typeof params.warm_start === "boolean" ? params.warm_start : undefined,
    weightsInit: (params.weights_init ?? undefined) as number[] | undefined,
    meansInit: (params.means_init ?? undefined) as number[][] | undefined,
    precisionsInit: (params.precisions_init ?? undefined) as PrecisionsInit | undefined,
    dtype: params.dtype as Dtype | undefined,
  };
  const lowerBound = typeof o.lower_bound_ === "number" ? o.lower_bound_ : -Infinity;
  return {
    options,
    state: {
      params: { weights, means, covariances, factor },
      nFeatures: d,
      converged: o.converged_ === true,
      nIter: typeof o.n_iter_ === "number" ? o.n_iter_ : 0,
      lowerBound,
      stopReason: o.converged_ === true ? "converged" : "maxIter",
      featureNames,
      nSamples:
        typeof o.n_samples_fit === "number" && Number.isSafeInteger(o.n_samples_fit) && o.n_samples_fit >= 0
          ? o.n_samples_fit
          : 0,
    },
  };
}

export const STATISTICS_FORMAT = "gmm-wasm/statistics";
export const STATISTICS_VERSION = 1;

/**
 * Sufficient statistics of a block of rows as plain JSON (gmm.statistics):
 * raw weighted sums under one model's parameters, mergeable with any other
 * block's of the same model shape (GaussianMixture.mergeStatistics).
 */
export interface StatisticsJSON {
  /** Always "gmm-wasm/statistics". */
  format: typeof STATISTICS_FORMAT;
  /** Format version; merging or an M-step refuses another. */
  version: number;
  /** The covariance type of the model the statistics were computed under. */
  covarianceType: CovarianceType;
  /** Components k of that model. */
  nComponents: number;
  /** Features d. */
  nFeatures: number;
  /** Rows in the block. */
  rows: number;
  /** Σ of the rows' sample weights (= rows without weights). */
  sumWeights: number;
  /** Σ_i w_i log p(x_i) under the parameters the statistics were computed with. */
  logLikelihood: number;
  /** N_k = Σ_i w_i r_ik. */
  nk: number[];
  /** Σ_i w_i r_ik x_i, k × d, flattened row-major. */
  sums: number[];
  /**
   * Σ_i w_i r_ik (x_i − m_k)(x_i − m_k)ᵀ about the block's means m_k = sums_k / (N_k + 10ε):
   * full k × d × d lower triangles, tied one pooled d × d lower triangle, diag and spherical k × d diagonals.
   */
  scatter: number[];
}

export function toStatisticsJSON(s: Statistics, type: CovarianceType, k: number, d: number): StatisticsJSON {
  return {
    format: STATISTICS_FORMAT,
    version: STATISTICS_VERSION,
    covarianceType: type,
    nComponents: k,
    nFeatures: d,
    rows: s.rows,
    sumWeights: s.sumWeights,
    logLikelihood: s.logLikelihood,
    nk: Array.from(s.nk),
    sums: Array.from(s.sums),
    scatter: Array.from(s.scatter),
  };
}

/**
 * Checks statistics JSON (untrusted: every field), and that it belongs to
 * `expected` when given (covariance type, K, d); returns the statistics.
 */
export function fromStatisticsJSON(
  input: unknown,
  where: string,
  expected?: { covarianceType: CovarianceType; nComponents: number; nFeatures: number },
): { stats: Statistics; covarianceType: CovarianceType; k: number; d: number } {
  const fail = (message: string): never => {
    throw new TypeError(`${where}: ${message}`);
  };
  if (input === null || typeof input !== "object" || Array.isArray(input))
    fail(`expected statistics from gmm.statistics(); got ${describe(input)}`);
  const o = input as Record<string, unknown>;
  if (o.format !== STATISTICS_FORMAT)
    fail(`format is ${describe(o.format)}; expected "${STATISTICS_FORMAT}" (statistics from gmm.statistics())`);
  if (o.version !== STATISTICS_VERSION)
    fail(
      `version ${describe(o.version)} is not supported (this library reads statistics version ${STATISTICS_VERSION})`,
    );
  const type = o.covarianceType as CovarianceType;
  if (!COVARIANCE_TYPES.includes(type)) fail(`covarianceType is ${describe(o.covarianceType)}`);
  const count = (v: unknown, name: string, least: number) => {
    if (typeof v !== "number" || !Number.isInteger(v) || v < least)
      fail(`${name} is ${describe(v)}; expected an integer ≥ ${least}`);
    return v as number;
  };
  const k = count(o.nComponents, "nComponents", 1);
  const d = count(o.nFeatures, "nFeatures", 1);
  if (expected) {
    if (type !== expected.covarianceType)
      fail(`these statistics are of a ${type} model; this model is ${expected.covarianceType}`);
    if (k !== expected.nComponents)
      fail(`these statistics have ${k} components; this model has ${expected.nComponents}`);
    if (d !== expected.nFeatures) fail(`these statistics have ${d} features; this model has ${expected.nFeatures}`);
  }
  const rows = count(o.rows, "rows", 0);
  const number = (v: unknown, name: string) => {
    if (typeof v !== "number" || !Number.isFinite(v)) fail(`${name} is ${describe(v)}; expected a finite number`);
    return v as number;
  };
  const sumWeights = number(o.sumWeights, "sumWeights");
  if (sumWeights < 0) fail(`sumWeights is ${sumWeights}; it cannot be negative`);
  const logLikelihood = number(o.logLikelihood, "logLikelihood");
  const family = FAMILIES[type];
  const array = (v: unknown, name: string, length: number) => {
    if (!Array.isArray(v) || v.length !== length)
      fail(`${name} must be an array of ${length} numbers; got ${describe(v)}`);
    const out = new Float64Array(length);
    (v as unknown[]).forEach((x, t) => (out[t] = number(x, `${name}[${t}]`)));
    return out;
  };
  const nk = array(o.nk, "nk", k);
  nk.forEach((v, c) => {
    if (v < 0) fail(`nk[${c}] is ${v}; counts cannot be negative`);
  });
  const stats: Statistics = {
    rows,
    sumWeights,
    logLikelihood,
    nk,
    sums: array(o.sums, "sums", k * d),
    scatter: array(o.scatter, "scatter", family.scatterSize(k, d)),
  };
  return { stats, covarianceType: type, k, d };
}
