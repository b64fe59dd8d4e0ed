// The E-step's normalisation: log-sum-exp over components per row.
import { addr, ld, st } from "./util";

/**
 * `logp` is the n×K matrix of weighted log-densities. For each row writes
 * logProbNorm[i] = log Σ_k exp(logp[i][k]) (the row's log-likelihood) and,
 * when `writeResp` is set, overwrites logp in place with the responsibilities
 * exp(logp − logProbNorm). Returns Σ_i logProbNorm[i].
 *
 * The row maximum m is subtracted before exponentiating, so no term
 * overflows and at least one term is exactly 1. Responsibilities are formed
 * as exp(l_k − m) / Σ exp(l_j − m) rather than exp(l_k − lse): l_k − m is
 * exact for nearby terms, whereas lse carries an absolute rounding error of
 * ulp(|lse|), which for far-away rows (log-densities of −10⁴) would leave
 * row sums off 1 by ~1e-12.
 */
export function normalizeLogProb(logp: usize, n: i32, k: i32, logProbNorm: usize, writeResp: bool): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const row = addr(logp, i * k);
    let mx = -Infinity;
    for (let c = 0; c < k; c++) mx = max(mx, ld(row, c));
    let lse: f64;
    if (mx == -Infinity) {
      lse = -Infinity;
      if (writeResp) for (let c = 0; c < k; c++) st(row, c, 0.0);
    } else {
      let s = 0.0;
      if (writeResp) {
        for (let c = 0; c < k; c++) {
          const e = Math.exp(ld(row, c) - mx);
          st(row, c, e);
          s += e;
        }
        const inv = 1.0 / s;
        for (let c = 0; c < k; c++) st(row, c, ld(row, c) * inv);
      } else {
        for (let c = 0; c < k; c++) s += Math.exp(ld(row, c) - mx);
      }
      lse = mx + Math.log(s);
    }
    st(logProbNorm, i, lse);
    total += lse;
  }
  return total;
}

/** labels[i] = argmax_k m[i][k] (first maximum wins, as numpy's argmax). */
export function argmaxRows(m: usize, n: i32, k: i32, labels: usize): void {
  for (let i = 0; i < n; i++) {
    const row = addr(m, i * k);
    let best = 0;
    let bv = ld(row, 0);
    for (let c = 1; c < k; c++) {
      const v = ld(row, c);
      if (v > bv) { bv = v; best = c; }
    }
    store<i32>(labels + (<usize>i << 2), best);
  }
}
