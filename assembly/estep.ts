// The E-step's normalisation: log-sum-exp over components per row.
import { addr, expNonPositive, expsInPlace, ld, loadedMinusInfinity, loadedOne, logPositive, st } from "./vector-math";

/**
 * `logp` is the n×K matrix of weighted log-densities. For each row writes
 * logProbNorm[i] = log Σ_k exp(logp[i][k]) (the row's log-likelihood) and,
 * when `writeResp` is set, overwrites logp in place with the responsibilities
 * exp(logp − logProbNorm). Returns Σ_i logProbNorm[i].
 *
 * The row maximum m is subtracted before exponentiating, so no term
 * overflows and one term is exactly 1: with e_k = exp(l_k − m) and
 * s = Σ e_k ∈ [1, K], log-sum-exp = m + log s, and responsibilities are
 * e_k / s rather than exp(l_k − lse): l_k − m is exact for nearby terms,
 * whereas lse carries an absolute rounding error of ulp(|lse|), which for
 * far-away rows (log-densities of −10⁴) would leave row sums off 1 by ~1e-12.
 * One exp per entry, two entries per f64x2 exp (vector-math.ts); rows two at a
 * time for the log and the reciprocal. Rows holding −∞, +∞ or NaN take a
 * scalar path: −∞ rows (no component possible) get lse = −∞ and zero
 * responsibilities, NaN propagates, never silently finite.
 */
export function normalizeLogProb(logp: usize, n: i32, k: i32, logProbNorm: usize, writeResp: bool): f64 {
  return normalizeRows(logp, 0, n, k, logProbNorm, writeResp);
}

/** normalizeLogProb on rows i0 … i1 − 1 (the fused E-step calls it per block). */
export function normalizeRows(logp: usize, i0: i32, i1: i32, k: i32, logProbNorm: usize, writeResp: bool): f64 {
  let total = 0.0;
  let i = i0;
  if (k <= PAIR_MAX_K) {
    // Two rows at a time, transposed: lane 0 holds row i, lane 1 row i + 1,
    // so the maxima, sums, logs and reciprocals of both rows are single
    // vector operations with no horizontal steps.
    for (; i + 2 <= i1; i += 2) {
      const r0 = addr(logp, i * k);
      const r1 = r0 + (<usize>k << 3);
      // transpose into PAIR_BUF, with the maxima and a finiteness probe: a
      // NaN or ±∞ entry makes the sum of all entries non-finite (so can an
      // overflow of finite ones, which merely takes the slower path)
      let mx = loadedMinusInfinity();
      let probe = f64x2.splat(0);
      let c = 0;
      for (; c + 2 <= k; c += 2) {
        const o = <usize>c << 3;
        const a = v128.load(r0 + o);
        const b = v128.load(r1 + o);
        const u = i64x2.shuffle(a, b, 0, 2);
        const v = i64x2.shuffle(a, b, 1, 3);
        v128.store(PAIR_BUF + (o << 1), u);
        v128.store(PAIR_BUF + (o << 1), v, 16);
        mx = f64x2.pmax(f64x2.pmax(mx, u), v);
        probe = f64x2.add(probe, f64x2.add(u, v));
      }
      if (c < k) {
        const o = <usize>c << 3;
        const u = i64x2.shuffle(v128.load64_splat(r0 + o), v128.load64_splat(r1 + o), 0, 2);
        v128.store(PAIR_BUF + (o << 1), u);
        mx = f64x2.pmax(mx, u);
        probe = f64x2.add(probe, u);
      }
      total += finishPair(r0, r1, true, k, mx, probe, logProbNorm, i, writeResp, true, PAIR_BUF, 16);
    }
  }
  for (; i + 2 <= i1; i += 2) {
    const r0 = addr(logp, i * k);
    const r1 = addr(logp, (i + 1) * k);
    const m0 = rowMax(r0, k);
    const m1 = rowMax(r1, k);
    if (!usable(m0) || !usable(m1)) {
      total += normalizeRowScalar(r0, k, logProbNorm, i, writeResp);
      total += normalizeRowScalar(r1, k, logProbNorm, i + 1, writeResp);
      continue;
    }
    const a0 = rowExpSum(r0, k, m0, writeResp);
    const a1 = rowExpSum(r1, k, m1, writeResp);
    // (Σ lanes of a0, Σ lanes of a1)
    const s = f64x2.add(i64x2.shuffle(a0, a1, 0, 2), i64x2.shuffle(a0, a1, 1, 3));
    const lse = f64x2.add(i64x2.shuffle(m0, m1, 0, 2), logPositive(s));
    v128.store(addr(logProbNorm, i), lse);
    total += f64x2.extract_lane(lse, 0);
    total += f64x2.extract_lane(lse, 1);
    if (writeResp) {
      const inv = f64x2.div(loadedOne(), s);
      scaleRow(r0, k, i64x2.shuffle(inv, inv, 0, 0));
      scaleRow(r1, k, i64x2.shuffle(inv, inv, 1, 1));
    }
  }
  if (i < i1) {
    const r0 = addr(logp, i * k);
    const m0 = rowMax(r0, k);
    if (!usable(m0)) {
      total += normalizeRowScalar(r0, k, logProbNorm, i, writeResp);
    } else {
      const a0 = rowExpSum(r0, k, m0, writeResp);
      const s = f64x2.add(a0, i64x2.shuffle(a0, a0, 1, 0));
      const lse = f64x2.extract_lane(f64x2.add(m0, logPositive(s)), 0);
      st(logProbNorm, i, lse);
      total += lse;
      if (writeResp) scaleRow(r0, k, f64x2.div(loadedOne(), s));
    }
  }
  return total;
}

/**
 * The second half of normalising two rows held transposed in `buf` (value c
 * of row i in lane 0 of the f64x2 at buf + c·stride, of row i + 1 in lane
 * 1; PAIR_BUF with stride 16, or a fused E-step's block), with `mx` their
 * maxima and `probe` the sum of all their values: exps, sums, log-sum-exp
 * into logProbNorm[i], [i + 1] and, with `writeResp`, the responsibilities
 * into rows r0, r1 (r1 only if `two`). When `stored` is false the rows do
 * not hold the values yet (the fused E-steps), which only matters for the
 * scalar fallback. Returns the sum of the written lse.
 */
@inline export function finishPair(
  r0: usize, r1: usize, two: bool, k: i32, mx: v128, probe: v128,
  logProbNorm: usize, i: i32, writeResp: bool, stored: bool, buf: usize, stride: usize,
): f64 {
  // (a lane bitmask, not all_true: V8 lowers i64x2 all_true to seven instructions)
  if (i64x2.bitmask(f64x2.eq(f64x2.sub(probe, probe), f64x2.splat(0))) != 3) {
    // a NaN or infinite value: the scalar path, row by row
    if (!stored) storePair(r0, r1, two, k, f64x2.splat(1.0), buf, stride);
    let t = normalizeRowScalar(r0, k, logProbNorm, i, writeResp);
    if (two) t += normalizeRowScalar(r1, k, logProbNorm, i + 1, writeResp);
    return t;
  }
  const s = pairExps(buf, stride, k, mx);
  const total = storeLogLikelihood(f64x2.add(mx, logPositive(s)), logProbNorm, i, two);
  // e / s, transposed back into the rows
  if (writeResp) storePair(r0, r1, two, k, f64x2.div(loadedOne(), s), buf, stride);
  return total;
}

/** e = exp(value − max) for a pair's k values in buf, in place; returns their sums. */
@inline export function pairExps(buf: usize, stride: usize, k: i32, mx: v128): v128 {
  return expsInPlace(buf, stride, k, mx);
}

/** A pair's log-likelihoods into logProbNorm (the second lane if `two`); returns their sum. */
@inline export function storeLogLikelihood(lse: v128, logProbNorm: usize, i: i32, two: bool): f64 {
  let total = f64x2.extract_lane(lse, 0);
  if (two) {
    v128.store(addr(logProbNorm, i), lse);
    total += f64x2.extract_lane(lse, 1);
  } else {
    v128.store64_lane(addr(logProbNorm, i), lse, 0);
  }
  return total;
}

/**
 * finishPair for a pair whose maxima and probe are not yet known: one pass
 * over buf (stride bytes apart) for them first.
 */
@inline export function finishPairFrom(
  r0: usize, r1: usize, two: bool, k: i32,
  logProbNorm: usize, i: i32, writeResp: bool, buf: usize, stride: usize,
): f64 {
  let mx = loadedMinusInfinity();
  let probe = f64x2.splat(0);
  const end = buf + <usize>k * stride;
  for (let t = buf; t < end; t += stride) {
    const v = v128.load(t);
    mx = f64x2.pmax(mx, v);
    probe = f64x2.add(probe, v);
  }
  // without responsibilities, the rows keep the log-densities (predict reads them)
  if (!writeResp) storePair(r0, r1, two, k, f64x2.splat(1.0), buf, stride);
  return finishPair(r0, r1, two, k, mx, probe, logProbNorm, i, writeResp, !writeResp, buf, stride);
}

/**
 * rows r0[c], r1[c] = lanes of the f64x2 at buf + c·stride, times scale (r1
 * only if `two`); with `kept`, each product also at kept + c·keptStride,
 * masked by `keep` (the fused E-steps' copy for their sums).
 */
@inline export function storePair(
  r0: usize, r1: usize, two: bool, k: i32, scale: v128, buf: usize, stride: usize,
  kept: usize = 0, keep: v128 = i64x2.splat(-1), keptStride: usize = 16,
): void {
  let c = 0;
  let p = buf;
  let q = kept;
  if (two) {
    for (; c + 2 <= k; c += 2) {
      const o = <usize>c << 3;
      const u = f64x2.mul(v128.load(p), scale);
      const v = f64x2.mul(v128.load(p + stride), scale);
      v128.store(r0 + o, i64x2.shuffle(u, v, 0, 2));
      v128.store(r1 + o, i64x2.shuffle(u, v, 1, 3));
      if (kept) {
        v128.store(q, v128.and(u, keep));
        v128.store(q + keptStride, v128.and(v, keep));
        q += keptStride << 1;
      }
      p += 2 * stride;
    }
    if (c < k) {
      const o = <usize>c << 3;
      const u = f64x2.mul(v128.load(p), scale);
      v128.store64_lane(r0 + o, u, 0);
      v128.store64_lane(r1 + o, u, 1);
      if (kept) v128.store(q, v128.and(u, keep));
    }
  } else {
    for (; c < k; c++) {
      const u = f64x2.mul(v128.load(p), scale);
      v128.store64_lane(r0 + (<usize>c << 3), u, 0);
      if (kept) {
        v128.store(q, v128.and(u, keep));
        q += keptStride;
      }
      p += stride;
    }
  }
}

// Row pairs with up to PAIR_MAX_K components are normalised transposed,
// through this static buffer (the module is single-threaded; nothing else
// uses these bytes). Larger K takes the row-at-a-time path.
export const PAIR_MAX_K: i32 = 256;
export const PAIR_BUF = memory.data(16 * PAIR_MAX_K, 16);

// Lane 0 of a v128 is a row's maximum; lane 1 is NaN when the row holds a
// NaN (pmax, unlike max, skips NaN, so NaN is tracked separately).
@inline function rowMax(row: usize, k: i32): v128 {
  let mv: v128;
  let bad: v128;
  let c = 0;
  if (k >= 2) {
    mv = v128.load(row);
    bad = f64x2.ne(mv, mv);
    for (c = 2; c + 2 <= k; c += 2) {
      const v = v128.load(addr(row, c));
      mv = f64x2.pmax(mv, v);
      bad = v128.or(bad, f64x2.ne(v, v));
    }
  } else {
    mv = v128.load64_splat(row);
    bad = f64x2.ne(mv, mv);
    c = 1;
  }
  if (c < k) {
    const v = v128.load64_splat(addr(row, c));
    mv = f64x2.pmax(mv, v);
    bad = v128.or(bad, f64x2.ne(v, v));
  }
  // both lanes = the maximum (branch-free: data-dependent branches mispredict)
  mv = f64x2.pmax(mv, i64x2.shuffle(mv, mv, 1, 0));
  return v128.bitselect(f64x2.splat(NaN), mv, bad);
}

/** The row's maximum is finite and it holds no NaN. */
@inline function usable(m: v128): bool {
  const a = f64x2.extract_lane(m, 0);
  const b = f64x2.extract_lane(m, 1);
  return a > -Infinity && a < Infinity && b == b;
}

/**
 * Lane-wise partial sums of exp(row[c] − m); with `keep`, row[c] is
 * replaced by exp(row[c] − m). `m` holds the maximum in both lanes.
 */
@inline function rowExpSum(row: usize, k: i32, m: v128, keep: bool): v128 {
  let acc = f64x2.splat(0);
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const p = addr(row, c);
    const e = expNonPositive(f64x2.sub(v128.load(p), m));
    if (keep) v128.store(p, e);
    acc = f64x2.add(acc, e);
  }
  if (c < k) {
    const p = addr(row, c);
    const e = expNonPositive(f64x2.sub(v128.load64_splat(p), m));
    if (keep) v128.store64_lane(p, e, 0);
    acc = f64x2.add(acc, f64x2.replace_lane(e, 1, 0.0));
  }
  return acc;
}

@inline function scaleRow(row: usize, k: i32, inv: v128): void {
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const p = addr(row, c);
    v128.store(p, f64x2.mul(v128.load(p), inv));
  }
  if (c < k) st(row, c, ld(row, c) * f64x2.extract_lane(inv, 0));
}

/**
 * A row holding −∞, +∞ or NaN, one value at a time with AssemblyScript's
 * Math.exp/log: a row whose maximum is −∞ (no component can have produced
 * it) gets lse = −∞ and zero responsibilities; NaN propagates.
 */
export function normalizeRowScalar(row: usize, k: i32, logProbNorm: usize, i: i32, writeResp: bool): f64 {
  let m = -Infinity;
  for (let c = 0; c < k; c++) m = max(m, ld(row, c));
  let lse: f64;
  if (m == -Infinity) {
    lse = -Infinity;
    if (writeResp) for (let c = 0; c < k; c++) st(row, c, 0.0);
  } else {
    let s = 0.0;
    if (writeResp) {
      for (let c = 0; c < k; c++) {
        const e = Math.exp(ld(row, c) - m);
        st(row, c, e);
        s += e;
      }
      const inv = 1.0 / s;
      for (let c = 0; c < k; c++) st(row, c, ld(row, c) * inv);
    } else {
      for (let c = 0; c < k; c++) s += Math.exp(ld(row, c) - m);
    }
    lse = m + Math.log(s);
  }
  st(logProbNorm, i, lse);
  return lse;
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

/**
 * out[i] = Σ_k m[i][k]: each row's total responsibility (its sample weight,
 * or 1, once normalised; 0 for a row no component can explain), summed
 * two components per f64x2 and then the two lanes.
 */
export function rowSums(m: usize, n: i32, k: i32, out: usize): void {
  for (let i = 0; i < n; i++) {
    const row = addr(m, i * k);
    let s = f64x2.splat(0);
    let c = 0;
    for (; c + 2 <= k; c += 2) s = f64x2.add(s, v128.load(row + (<usize>c << 3)));
    let t = f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
    if (c < k) t += ld(row, c);
    st(out, i, t);
  }
}

/**
 * The index of the first of the n values at p (float64) that is not within
 * ±limit, NaN and ±∞ included (they fail the `<=`), or −1 when all are: the
 * check of dense input (to fit or to score) after its bulk copy into memory. Eight values per
 * trip (four f64x2 compares, one branch); the scalar loop then finds the
 * exact index from the first failing trip, or takes the last n mod 8.
 * In the module rather than a JavaScript loop, because V8 runs a large
 * input's first check unoptimised until its loop is replaced on the stack
 * (15 ms against 3 warm at 2·10⁶ values; this is under 2 either way).
 */
export function firstBeyond(p: usize, n: i32, limit: f64): i32 {
  const bound = f64x2.splat(limit);
  let i = 0;
  for (; i + 8 <= n; i += 8) {
    const q = p + (<usize>i << 3);
    const a = v128.and(f64x2.le(f64x2.abs(v128.load(q)), bound), f64x2.le(f64x2.abs(v128.load(q, 16)), bound));
    const b = v128.and(f64x2.le(f64x2.abs(v128.load(q, 32)), bound), f64x2.le(f64x2.abs(v128.load(q, 48)), bound));
    if (!i64x2.all_true(v128.and(a, b))) break;
  }
  for (; i < n; i++) if (!(Math.abs(load<f64>(p + (<usize>i << 3))) <= limit)) return i;
  return -1;
}

/**
 * dst[i] = e^src[i] by the E-step's vector exp (vector-math.ts's expNonPositive),
 * for src[i] ≤ 0: the hook its ULP test measures through.
 */
export function expRows(src: usize, dst: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) v128.store(addr(dst, i), expNonPositive(v128.load(addr(src, i))));
  if (i < n) v128.store64_lane(addr(dst, i), expNonPositive(v128.load64_splat(addr(src, i))), 0);
}
