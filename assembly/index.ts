// The module's whole ABI. Kernels take byte pointers into memory that the
// host allocated above `heapBase()`; nothing here allocates.
export { cholesky, invertLower, precisionCholeskyFull, precisionFactorFromPrecision, precisionCholeskyDiag, choleskyMany, factorLogDet, logOf } from "./linalg";
export { logProbFull, eStepFull, logProbDiag, logProbSpherical } from "./logprob";
export { normalizeLogProb, argmaxRows } from "./estep";
export { componentSums, scatterFull, finishScatter, scatterDiag } from "./mstep";
export { assignNearest, updateCenters, seedPotential } from "./kmeans";
export { sampleGaussian } from "./sample";
export { peakMultiplyAdd } from "./peak";

/** First byte the host may use: everything below belongs to static data. */
export function heapBase(): usize {
  return __heap_base;
}
