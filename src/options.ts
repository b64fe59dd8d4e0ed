// Options with their defaults (scikit-learn's), validated once when a model
// is constructed. An explicit `undefined` means "use the default".
import { COVARIANCE_TYPES, type CovarianceType } from "./covariance.js";
import type { MatrixLike } from "./matrix.js";

export type InitParams = "kmeans" | "k-means++" | "random" | "random_from_data";
export const INIT_PARAMS: readonly InitParams[] = ["kmeans", "k-means++", "random", "random_from_data"];

/** How X is held in WebAssembly memory while fitting and scoring. */
export type Dtype = "float64" | "float32";
export const DTYPES: readonly Dtype[] = ["float64", "float32"];

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
  /** How responsibilities are initialised (default "kmeans"). */
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
   * full [k, d, d], tied [d, d], diag [k, d], spherical [k].
   */
  precisionsInit?: unknown;
  /**
   * "float64" (default) or "float32": hold X as 32-bit floats (half the
   * memory) and compute the E-step four rows per SIMD vector. Parameters,
   * sums and results stay float64; log-densities are good to about 1e-6
   * relative (README: "float32").
   */
  dtype?: Dtype;
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
  precisionsInit: unknown;
  dtype: Dtype;
}

export function checkInteger(v: unknown, name: string, least: number): number {
  if (typeof v !== "number" || !Number.isInteger(v) || v < least) {
    throw new RangeError(`${name} must be an integer ≥ ${least}; got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v;
}

export function checkNonNegative(v: unknown, name: string): number {
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
    throw new RangeError(`${name} must be a finite number ≥ 0; got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v;
}

export function checkSeed(v: unknown): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== "number" || !Number.isSafeInteger(v) || v < 0) {
    throw new RangeError(`randomState must be a non-negative integer (or omitted); got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v;
}

function checkChoice<T extends string>(v: unknown, name: string, choices: readonly T[]): T {
  if (!choices.includes(v as T)) {
    throw new RangeError(`${name} must be one of ${choices.map((c) => `"${c}"`).join(", ")}; got ${JSON.stringify(v) ?? String(v)}`);
  }
  return v as T;
}

const KNOWN = new Set([
  "nComponents", "covarianceType", "tol", "regCovar", "maxIter", "nInit", "initParams",
  "randomState", "warmStart", "weightsInit", "meansInit", "precisionsInit", "dtype",
]);

export function resolveOptions(o: GaussianMixtureOptions): ResolvedOptions {
  if (o === null || typeof o !== "object") throw new TypeError("GaussianMixture options must be an object");
  for (const key of Object.keys(o)) {
    if (!KNOWN.has(key)) {
      throw new RangeError(`Unknown GaussianMixture option "${key}"; known options: ${[...KNOWN].join(", ")}`);
    }
  }
  return {
    nComponents: checkInteger(o.nComponents ?? 1, "nComponents", 1),
    covarianceType: checkChoice(o.covarianceType ?? "full", "covarianceType", COVARIANCE_TYPES),
    tol: checkNonNegative(o.tol ?? 1e-3, "tol"),
    regCovar: checkNonNegative(o.regCovar ?? 1e-6, "regCovar"),
    maxIter: checkInteger(o.maxIter ?? 100, "maxIter", 0),
    nInit: checkInteger(o.nInit ?? 1, "nInit", 1),
    initParams: checkChoice(o.initParams ?? "kmeans", "initParams", INIT_PARAMS),
    randomState: checkSeed(o.randomState),
    warmStart: Boolean(o.warmStart ?? false),
    weightsInit: o.weightsInit,
    meansInit: o.meansInit,
    precisionsInit: o.precisionsInit,
    dtype: checkChoice(o.dtype ?? "float64", "dtype", DTYPES),
  };
}
