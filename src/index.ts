// Public API. Everything a user imports comes from here.
export { init, simdSupported, type WasmSource, type WasmModule } from "./wasm.js";
export { GaussianMixture, type FitOptions, type AsyncFitOptions, type CovarianceArray, type WeightOptions } from "./gaussian-mixture.js";
export { KMeans, type KMeansOptions, type KMeansInit } from "./kmeans.js";
export type { KMeansJSON } from "./kmeans-json.js";
export type { IterationInfo } from "./em.js";
export { CovarianceError, NotFittedError } from "./errors.js";
export { INIT_PARAMS, type GaussianMixtureOptions, type InitParams, type Dtype, type FitWarning } from "./options.js";
export type { SearchReport } from "./types.js";
export type { ChunkSource } from "./workspace.js";
export type { CovarianceType } from "./covariance.js";
export { toRows, type Matrix, type MatrixLike } from "./matrix.js";
export type { GaussianMixtureJSON, StatisticsJSON } from "./model-json.js";
export { selectModel, type SelectModelOptions, type SelectionRow, type SelectionResult, type Criterion } from "./selection.js";
export type { DegenerateComponent } from "./degenerate.js";
export type { StopReason, FitControl } from "./em.js";
export { BayesianGaussianMixture } from "./bayesian-mixture.js";
