// Public API. Everything a user imports comes from here.

/**
 * Gaussian mixture models for JavaScript runtimes, with scikit-learn's
 * `GaussianMixture` options, defaults and results, over a SIMD WebAssembly
 * core. Call {@link init} once; every call after it is synchronous except
 * {@link GaussianMixture.fitAsync}.
 *
 * The bundler entry `gmm-wasm/inline` exports the same API with the
 * WebAssembly bytes and the worker inlined; `gmm-wasm/csv` reads tables and
 * `gmm-wasm/svg` draws fitted models.
 *
 * @example
 * import { GaussianMixture, init } from "gmm-wasm";
 * await init();
 * const X = [[1, 2], [1.1, 2.1], [8, 9], [8.2, 9.1]];
 * const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
 * gmm.predict(X);             // Int32Array [0, 0, 1, 1]
 * gmm.scoreSamples([[5, 5]]); // Float64Array: the log-density of a new row
 * JSON.stringify(gmm);        // scikit-learn's attribute names; GaussianMixture.fromJSON reads it back
 *
 * @module gmm-wasm
 */

export {
  type BayesianAsyncFitOptions,
  type BayesianFitOptions,
  BayesianGaussianMixture,
  type BayesianGaussianMixtureJSON,
  type BayesianGaussianMixtureOptions,
  type WeightConcentrationPriorType,
} from "./bayesian-mixture.js";
export type { CovarianceType } from "./covariance.js";
export type { DegenerateComponent } from "./degenerate.js";
export type { FitControl, IterationInfo, StopReason } from "./em.js";
export { CovarianceError, NotFittedError } from "./errors.js";
export {
  type AsyncFitOptions,
  type CovarianceArray,
  type FitOptions,
  GaussianMixture,
  type WeightOptions,
} from "./gaussian-mixture.js";
export { KMeans, type KMeansInit, type KMeansOptions } from "./kmeans.js";
export type { KMeansJSON } from "./kmeans-json.js";
export { type Matrix, type MatrixLike, toRows } from "./matrix.js";
export type { GaussianMixtureJSON, StatisticsJSON } from "./model-json.js";
export {
  type Dtype,
  type FitWarning,
  type GaussianMixtureOptions,
  INIT_PARAMS,
  type InitParams,
  type PrecisionsInit,
} from "./options.js";
export { releaseWorkers } from "./parallel.js";
export {
  type Criterion,
  type ModelKind,
  type SelectionResult,
  type SelectionRow,
  type SelectModelOptions,
  type SelectModelsOptions,
  selectModel,
} from "./selection.js";
export type { SearchReport, StartName } from "./types.js";
export { init, simdSupported, type WasmModule, type WasmSource } from "./wasm.js";
export type { Chunk, ChunkSource, WeightedChunk } from "./workspace.js";
