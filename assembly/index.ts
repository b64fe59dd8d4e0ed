// The module's whole ABI. Kernels take byte pointers into memory that the
// host allocated above `heapBase()`; nothing here allocates.
export { cholesky, invertLower, precisionCholeskyFull, precisionFactorFromPrecision, precisionCholeskyDiag, choleskyMany, factorLogDet, logOf } from "./linalg";
export { logProbFull, eStepFull, eStepFullStats, logProbDiag, logProbSpherical, eStepDiag, eStepSpherical, eStepDiagonalStats, eStepTiedStats } from "./logprob";
export { normalizeLogProb, argmaxRows, rowSums, firstBeyond } from "./estep";
export { eStepF32, eStepF32Stats } from "./estep32";
export { componentSums, scatterFull, finishScatter, scatterDiag, weighRows } from "./mstep";
export { assignNearest, assignBounded, boundedSumsValues, seedPotential, seedTrials } from "./kmeans";
export { componentSumsF32, scatterFullF32, scatterDiagF32 } from "./mstep";
export { assignNearestF32, assignBoundedF32, seedPotentialF32, seedTrialsF32 } from "./kmeans";
export { sampleDiagonal, sampleGaussian } from "./sample";
export { hcAgglomerate } from "./hc";
export { digamma, lgamma, ln } from "./special";

/** First byte the host may use: everything below belongs to static data. */
export function heapBase(): usize {
  return __heap_base;
}
