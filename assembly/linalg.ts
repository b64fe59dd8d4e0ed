// Dense linear algebra on small row-major d×d matrices: the Cholesky
// factorisation and the triangular inverse behind every precision factor.
import { addr, axpy, dot, ld, st } from "./vector-math";

/**
 * In-place Cholesky factorisation A = L·Lᵀ of the symmetric matrix at `a`
 * (only the lower triangle is read). On success the lower triangle holds L,
 * the strict upper triangle is zeroed, and −1 is returned. If A is not
 * numerically positive definite the index of the failing pivot is returned
 * instead of trapping, so the host can name the component and the remedy.
 *
 * Row-oriented (Cholesky–Banachiewicz) so that every inner product runs over
 * contiguous memory; backward stable for positive definite A (Higham, ch. 10).
 */
export function cholesky(a: usize, d: i32): i32 {
  for (let j = 0; j < d; j++) {
    const rowJ = addr(a, j * d);
    const s = ld(rowJ, j) - dot(rowJ, rowJ, j);
    // `!(s > 0)` also catches NaN.
    if (!(s > 0.0)) return j;
    const ljj = Math.sqrt(s);
    st(rowJ, j, ljj);
    const inv = 1.0 / ljj;
    for (let i = j + 1; i < d; i++) {
      const rowI = addr(a, i * d);
      st(rowI, j, (ld(rowI, j) - dot(rowI, rowJ, j)) * inv);
    }
  }
  for (let i = 0; i < d; i++) {
    for (let j = i + 1; j < d; j++) st(a, i * d + j, 0.0);
  }
  return -1;
}

/**
 * W = L⁻¹ for lower-triangular L (both row-major d×d; W lower, strict upper
 * zeroed). Row i of W solves Σ_k L[i][k]·W[k][·] = e_i by forward
 * substitution, written as axpy updates over contiguous rows.
 */
export function invertLower(l: usize, w: usize, d: i32): void {
  for (let i = 0; i < d * d; i++) st(w, i, 0.0);
  for (let i = 0; i < d; i++) {
    const rowW = addr(w, i * d);
    const lii = ld(l, i * d + i);
    for (let k = 0; k < i; k++) {
      // W[i][0..k] -= L[i][k] · W[k][0..k]
      axpy(rowW, -ld(l, i * d + k), addr(w, k * d), k + 1);
    }
    st(rowW, i, ld(rowW, i) + 1.0);
    for (let j = 0; j <= i; j++) st(rowW, j, ld(rowW, j) / lii);
  }
}

/**
 * For each of `count` covariance matrices Σ_k (stride d·d) write the lower
 * triangular W_k = chol(Σ_k)⁻¹, so that (x−μ)ᵀ Σ_k⁻¹ (x−μ) = ‖W_k (x−μ)‖²,
 * and log det W_k = −½ log det Σ_k. W_kᵀ is scikit-learn's
 * `precisions_cholesky_[k]` (upper triangular).
 *
 * Returns −1 on success, else k·d + pivot of the first factorisation that
 * failed. `scratch` holds d·d values.
 */
export function precisionCholeskyFull(cov: usize, w: usize, logDet: usize, count: i32, d: i32, scratch: usize): i32 {
  const dd = d * d;
  for (let k = 0; k < count; k++) {
    memory.copy(scratch, addr(cov, k * dd), <usize>dd << 3);
    const pivot = cholesky(scratch, d);
    if (pivot >= 0) return k * d + pivot;
    const wk = addr(w, k * dd);
    invertLower(scratch, wk, d);
    let s = 0.0;
    for (let j = 0; j < d; j++) s += Math.log(ld(wk, j * d + j));
    st(logDet, k, s);
  }
  return -1;
}

/**
 * From precision matrices P_k (as scikit-learn's `precisions_init` gives
 * them) write the lower-triangular W_k with P_k = W_kᵀ W_k. With J the
 * exchange (row-reversal) matrix, chol(J P J) = G gives P = (J G J)(J G J)ᵀ
 * where J G J is upper triangular, so W = (J G J)ᵀ: W[i][j] = G[d−1−j][d−1−i].
 * Returns −1, or k·d + pivot if some P_k is not positive definite.
 */
export function precisionFactorFromPrecision(prec: usize, w: usize, logDet: usize, count: i32, d: i32, scratch: usize): i32 {
  const dd = d * d;
  for (let k = 0; k < count; k++) {
    const pk = addr(prec, k * dd);
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) st(scratch, i * d + j, ld(pk, (d - 1 - i) * d + (d - 1 - j)));
    }
    const pivot = cholesky(scratch, d);
    if (pivot >= 0) return k * d + (d - 1 - pivot);
    const wk = addr(w, k * dd);
    let s = 0.0;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < d; j++) st(wk, i * d + j, ld(scratch, (d - 1 - j) * d + (d - 1 - i)));
      s += Math.log(ld(wk, i * d + i));
    }
    st(logDet, k, s);
  }
  return -1;
}

/**
 * Diagonal and spherical precisions: p = 1/√σ² for each of count·m
 * variances, log det of component k = scale · Σ log p over its m entries
 * (diag: m = d, scale = 1; spherical: m = 1, scale = d).
 * Returns −1, or the flat index of the first variance that is not > 0.
 */
export function precisionCholeskyDiag(variances: usize, prec: usize, logDet: usize, count: i32, m: i32, scale: f64): i32 {
  for (let k = 0; k < count; k++) {
    let s = 0.0;
    for (let j = 0; j < m; j++) {
      const v = ld(variances, k * m + j);
      if (!(v > 0.0)) return k * m + j;
      const p = 1.0 / Math.sqrt(v);
      st(prec, k * m + j, p);
      s += Math.log(p);
    }
    st(logDet, k, scale * s);
  }
  return -1;
}

/** Lower Cholesky factors C_k of covariances (for sampling x = μ + C z). */
export function choleskyMany(cov: usize, out: usize, count: i32, d: i32): i32 {
  const dd = d * d;
  for (let k = 0; k < count; k++) {
    const ck = addr(out, k * dd);
    memory.copy(ck, addr(cov, k * dd), <usize>dd << 3);
    const pivot = cholesky(ck, d);
    if (pivot >= 0) return k * d + pivot;
  }
  return -1;
}

/**
 * out[c] = scale · Σ_{j<m} log p[c·compStride + j·elemStride]: the log
 * determinant of each precision factor (full: its diagonal, elemStride d+1;
 * diag: all d entries; spherical: m = 1, scale d).
 */
export function factorLogDet(p: usize, count: i32, m: i32, compStride: i32, elemStride: i32, scale: f64, out: usize): void {
  for (let c = 0; c < count; c++) {
    let s = 0.0;
    for (let j = 0; j < m; j++) s += Math.log(ld(p, c * compStride + j * elemStride));
    st(out, c, scale * s);
  }
}

/** dst[i] = log src[i]: log-weights for the E-step (log 0 = −∞ is allowed). */
export function logOf(src: usize, dst: usize, n: i32): void {
  for (let i = 0; i < n; i++) st(dst, i, Math.log(ld(src, i)));
}
