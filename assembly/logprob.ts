// Weighted log-densities log(π_k) + log N(x_i | μ_k, Σ_k) for every row and
// component, one kernel per covariance family. Each writes the n×K matrix
// `out` (row-major), which the E-step then normalises.
//
// The density is evaluated through the precision factor W_k (Σ_k⁻¹ = W_kᵀW_k):
//   log N = −½ (d log 2π + ‖W_k (x − μ_k)‖²) + log det W_k,
// a triangular matrix–vector product and a squared norm, never an inverse.
import { LOG_2PI, addr, dot, ld, scaledSqDist, sqDist, st, sub } from "./util";

// Rows are processed in blocks so one component's factor stays in cache
// while it is applied to many rows.
const ROW_BLOCK: i32 = 64;

/**
 * Full and tied covariances. `w` holds K lower-triangular d×d factors with a
 * stride of `wStride` values between components (d·d for full, 0 for tied,
 * where every component shares one factor). `diff` is scratch for d values.
 */
export function logProbFull(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, diff: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const i1 = min(i0 + ROW_BLOCK, n);
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      const wc = addr(w, c * wStride);
      const offset = constant + ld(logDet, c) + ld(logWeights, c);
      for (let i = i0; i < i1; i++) {
        sub(diff, addr(x, i * d), mu, d);
        // y_j = Σ_{l≤j} W[j][l]·diff[l]: row j of W against the first j+1 entries.
        let m = 0.0;
        for (let j = 0; j < d; j++) {
          const y = dot(addr(wc, j * d), diff, j + 1);
          m += y * y;
        }
        st(out, i * k + c, offset - 0.5 * m);
      }
    }
  }
}

/** Diagonal covariances: `prec` is K×d with p = 1/σ. */
export function logProbDiag(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const i1 = min(i0 + ROW_BLOCK, n);
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      const pc = addr(prec, c * d);
      const offset = constant + ld(logDet, c) + ld(logWeights, c);
      for (let i = i0; i < i1; i++) {
        st(out, i * k + c, offset - 0.5 * scaledSqDist(addr(x, i * d), mu, pc, d));
      }
    }
  }
}

/** Spherical covariances: `prec` holds one p = 1/σ per component. */
export function logProbSpherical(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const i1 = min(i0 + ROW_BLOCK, n);
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      const p = ld(prec, c);
      const p2 = p * p;
      const offset = constant + ld(logDet, c) + ld(logWeights, c);
      for (let i = i0; i < i1; i++) {
        st(out, i * k + c, offset - 0.5 * p2 * sqDist(addr(x, i * d), mu, d));
      }
    }
  }
}
