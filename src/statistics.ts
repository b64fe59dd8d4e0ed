// The sufficient statistics: the spine every fit path shares. An EM
// iteration is a sum over rows, so any block of rows (the whole data in one
// thread, a worker's shard, a chunk of a stream) yields the same raw sums
// under the current parameters; blocks merge exactly, and one M-step per
// covariance family (covariance.ts) turns merged sums into parameters.
// Plain TypeScript: computing a block's statistics in the module, and the
// M-step into a workspace, live in em.ts.
import type { CovarianceFamily } from "./covariance.js";

/**
 * scikit-learn adds 10ε to every N_k so that an empty component divides by
 * a tiny number rather than zero; we follow it in the weights, and in the
 * means below one effective row (meanScale), so fits agree to rounding.
 */
export const NK_FLOOR = 10 * Number.EPSILON;

/** Raw sums over a block of rows under fixed parameters. */
export interface Statistics {
  /** Rows in the block. */
  rows: number;
  /** Σ of the rows' sample weights (= rows without weights). */
  sumWeights: number;
  /** Σ_i w_i log p(x_i) under the parameters the E-step used (NaN when no E-step ran). */
  logLikelihood: number;
  /** N_c = Σ_i w_i r_ic, k values. */
  nk: Float64Array;
  /** Σ_i w_i r_ic x_i, k × d, in the workspace's coordinates (float32 rows: centred). */
  sums: Float64Array;
  /**
   * Σ_i r_ic (x_i − m_c)(x_i − m_c)ᵀ about the block's own means
   * m_c = sums_c / (N_c + 10ε), in the family's scatter layout
   * (family.scatterSize): lower triangles per component (full), one pooled
   * lower triangle (tied), diagonals per component (diag, spherical).
   */
  scatter: Float64Array;
}

/**
 * 1 / N_k for a mean: scikit-learn's 1 / (N_k + 10ε) below one effective
 * row, where the floor keeps an empty component's mean finite (0), and the
 * plain reciprocal from one row up, where the floor only moves the mean by
 * 10ε relative. That move matters far out: the mean of a component holding
 * one row at 1e20 sat 2e5 off the row, and the outer product of that offset
 * (5e10 in every entry) swamped regCovar, so a full covariance of a healthy
 * lone row could not be factored. At N_k ≥ 1 the two agree to 10 ulps.
 */
export function meanScale(nk: number): number {
  return nk >= 1 ? 1 / nk : 1 / (nk + NK_FLOOR);
}

/** m_c = sums_c · meanScale(N_c) (a reciprocal, then products, as scikit-learn's means). */
export function meansFromSums(
  nk: ArrayLike<number>,
  sums: ArrayLike<number>,
  k: number,
  d: number,
  out: Float64Array,
): void {
  for (let c = 0; c < k; c++) {
    const inv = meanScale(nk[c]);
    for (let j = 0; j < d; j++) out[c * d + j] = sums[c * d + j] * inv;
  }
}

/**
 * Merges the statistics of disjoint blocks of rows: counts and sums add; each
 * block's scatter moves from its own means m_s to the pooled means μ by
 * S = Σ_s S_s + N_s (m_s − μ)(m_s − μ)ᵀ (the parallel form of the centred
 * two-pass sums; Chan, Golub & LeVeque 1979), so the result equals one
 * block of all the rows to rounding, whatever the split.
 */
export function mergeStatistics(
  family: CovarianceFamily,
  k: number,
  d: number,
  parts: readonly Statistics[],
): Statistics {
  if (parts.length === 1) return parts[0];
  const nk = new Float64Array(k);
  const sums = new Float64Array(k * d);
  const scatter = new Float64Array(family.scatterSize(k, d));
  let rows = 0;
  let sumWeights = 0;
  let logLikelihood = 0;
  for (const p of parts) {
    rows += p.rows;
    sumWeights += p.sumWeights;
    logLikelihood += p.logLikelihood;
    for (let c = 0; c < k; c++) nk[c] += p.nk[c];
    for (let t = 0; t < k * d; t++) sums[t] += p.sums[t];
    for (let t = 0; t < scatter.length; t++) scatter[t] += p.scatter[t];
  }
  const pooled = new Float64Array(k * d);
  meansFromSums(nk, sums, k, d, pooled);
  const own = new Float64Array(k * d);
  const delta = new Float64Array(d);
  for (const p of parts) {
    meansFromSums(p.nk, p.sums, k, d, own);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) delta[j] = own[c * d + j] - pooled[c * d + j];
      family.addOuter(scatter, d, c, p.nk[c], delta);
    }
  }
  return { rows, sumWeights, logLikelihood, nk, sums, scatter };
}
