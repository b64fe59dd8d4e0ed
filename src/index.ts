// Public API. Everything a user imports comes from here.

export { BayesianGaussianMixture } from "./bayesian-mixture.js";
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
export { type Dtype, type FitWarning, type GaussianMixtureOptions, INIT_PARAMS, type InitParams } from "./options.js";
export {
  type Criterion,
  type SelectionResult,
  type SelectionRow,
  type SelectModelOptions,
  selectModel,
} from "./selection.js";
export { releaseWorkers } from "./thread-shards.js";
export type { SearchReport } from "./types.js";
export { init, simdSupported, type WasmModule, type WasmSource } from "./wasm.js";
export type { ChunkSource } from "./workspace.js";
