// The M-step's sufficient statistics: N_k, the weighted means and the
// weighted scatter about each mean. Scatter is accumulated centred (two
// passes: means first, then Σ r (x−μ)(x−μ)ᵀ) rather than as E[xxᵀ] − μμᵀ,
// which cancels catastrophically for data far from the origin.
import { addr, axpy, fill, ld, scale, st, sub } from "./util";

const ROW_BLOCK: i32 = 64;

// scikit-learn adds 10·ε to every N_k so that an empty component divides by
// a tiny number rather than zero; we follow it so fits agree to rounding.
const NK_FLOOR: f64 = 10.0 * f64.EPSILON;

/** nk[c] = Σ_i r_ic + 10ε and means[c] = Σ_i r_ic x_i / nk[c]. */
export function componentSums(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, means: usize): void {
  fill(nk, 0.0, k);
  fill(means, 0.0, k * d);
  for (let i = 0; i < n; i++) {
    const xi = addr(x, i * d);
    const ri = addr(resp, i * k);
    for (let c = 0; c < k; c++) {
      const r = ld(ri, c);
      if (r == 0.0) continue;
      st(nk, c, ld(nk, c) + r);
      axpy(addr(means, c * d), r, xi, d);
    }
  }
  for (let c = 0; c < k; c++) {
    const v = ld(nk, c) + NK_FLOOR;
    st(nk, c, v);
    scale(addr(means, c * d), 1.0 / v, d);
  }
}

/**
 * Lower triangles of S_c = Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ, accumulated into
 * `out` with a stride of `outStride` values between components: d·d gives one
 * matrix per component (full), 0 pools them all into one (tied).
 * `diff` is scratch for d values.
 */
export function scatterFull(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  out: usize, outStride: i32, diff: usize,
): void {
  const dd = d * d;
  fill(out, 0.0, outStride == 0 ? dd : k * dd);
  for (let i0 = 0; i0 < n; i0 += ROW_BLOCK) {
    const i1 = min(i0 + ROW_BLOCK, n);
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      const sc = addr(out, c * outStride);
      for (let i = i0; i < i1; i++) {
        const r = ld(resp, i * k + c);
        if (r == 0.0) continue;
        sub(diff, addr(x, i * d), mu, d);
        for (let a = 0; a < d; a++) {
          axpy(addr(sc, a * d), r * ld(diff, a), diff, a + 1);
        }
      }
    }
  }
}

/**
 * Turns scatter matrices into covariances: divides by N_c (or, `pooled`, one
 * matrix by Σ_c N_c), mirrors the lower triangle and adds `reg` to the
 * diagonal (scikit-learn's reg_covar).
 */
export function finishScatter(s: usize, d: i32, nk: usize, k: i32, reg: f64, pooled: bool): void {
  let total = 0.0;
  for (let c = 0; c < k; c++) total += ld(nk, c);
  const count = pooled ? 1 : k;
  for (let c = 0; c < count; c++) {
    const sc = addr(s, c * d * d);
    const inv = 1.0 / (pooled ? total : ld(nk, c));
    for (let a = 0; a < d; a++) {
      for (let b = 0; b <= a; b++) {
        const v = ld(sc, a * d + b) * inv;
        st(sc, a * d + b, v);
        st(sc, b * d + a, v);
      }
      st(sc, a * d + a, ld(sc, a * d + a) + reg);
    }
  }
}

/** Diagonal covariances: out[c][j] = Σ_i r_ic (x_ij − μ_cj)² / N_c + reg. */
export function scatterDiag(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  nk: usize, reg: f64, out: usize, diff: usize,
): void {
  fill(out, 0.0, k * d);
  for (let i = 0; i < n; i++) {
    const xi = addr(x, i * d);
    for (let c = 0; c < k; c++) {
      const r = ld(resp, i * k + c);
      if (r == 0.0) continue;
      sub(diff, xi, addr(means, c * d), d);
      const oc = addr(out, c * d);
      // oc += r · diff²
      for (let j = 0; j < d; j++) {
        const t = ld(diff, j);
        st(oc, j, ld(oc, j) + r * t * t);
      }
    }
  }
  for (let c = 0; c < k; c++) {
    const inv = 1.0 / ld(nk, c);
    const oc = addr(out, c * d);
    for (let j = 0; j < d; j++) st(oc, j, ld(oc, j) * inv + reg);
  }
}
