// The M-step's sufficient statistics: N_k, the weighted means and the
// weighted scatter about each mean. Scatter is accumulated centred (two
// passes: means first, then Σ r (x−μ)(x−μ)ᵀ) rather than as E[xxᵀ] − μμᵀ,
// which cancels catastrophically for data far from the origin.
//
// The kernels that read X are generic over T, X's element type (f64, or f32
// for dtype "float32"); each is exported twice, as itself (T = f64) and with
// an F32 suffix. Only the loads of X differ (see addrOf in vector-math.ts).
import {
  KERNEL_SCRATCH, KERNEL_SCRATCH_VALUES, LOG_2PI, addr, addrOf, axpy, axpyOf, fill, ld, ldOf, pairOf, scale, splatOf, st, subOf,
} from "./vector-math";

// Rows per block in the sums below: a block of X and of the
// responsibilities stays in cache while every component pair passes over it.
const SUM_BLOCK: i32 = 128;

/**
 * nk[c] = Σ_i r_ic and sums[c] = Σ_i r_ic x_i: raw sums, so that blocks of rows
 * (threads, chunks, shards) add up exactly; src/statistics.ts turns them
 * into means (with scikit-learn's 10ε floor on N_k).
 *
 * Two orders: Rᵀ·X as a blocked matrix product (denseSums: two components
 * share an f64x2, their responsibilities being adjacent in a row of R,
 * every feature is splatted, four features are accumulated at a time in
 * registers over a block of rows), or row by row skipping zero
 * responsibilities (sparseSums), which wins at d ≥ 16 when most of R is
 * exactly zero (measured crossover: 30–50 % non-zero at d = 32 … 64).
 */
export function componentSums(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, sums: usize): void {
  componentSumsOf<f64>(x, resp, n, d, k, nk, sums);
}

/** componentSums with X stored as f32. */
export function componentSumsF32(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, sums: usize): void {
  componentSumsOf<f32>(x, resp, n, d, k, nk, sums);
}

function componentSumsOf<T>(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, sums: usize): void {
  fill(nk, 0.0, k);
  fill(sums, 0.0, k * d);
  if (d >= 16 && nonZeroFraction(resp, n * k) < 0.4) {
    sparseSums<T>(x, resp, n, d, k, nk, sums);
  } else if (d == 5) {
    sums5<T>(x, resp, n, k, nk, sums);
  } else if (d == 6) {
    sums6<T>(x, resp, n, k, nk, sums);
  } else if (d == 7) {
    sums7<T>(x, resp, n, k, nk, sums);
  } else {
    denseSums<T>(x, resp, n, d, k, nk, sums);
  }
}

/** Share of non-zero entries among the first m of r. */
function nonZeroFraction(r: usize, m: i32): f64 {
  let zeros = i64x2.splat(0);
  let j = 0;
  for (; j + 2 <= m; j += 2) zeros = i64x2.sub(zeros, f64x2.eq(v128.load(addr(r, j)), f64x2.splat(0)));
  let z = i64x2.extract_lane(zeros, 0) + i64x2.extract_lane(zeros, 1);
  if (j < m && ld(r, j) == 0.0) z++;
  return 1.0 - <f64>z / <f64>max(m, 1);
}

/**
 * Sums by rows, skipping r = 0 (a component adds nothing for a row it does
 * not explain): the better order at larger d when most responsibilities are
 * exactly zero, as with well-separated clusters.
 */
function sparseSums<T>(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, means: usize): void {
  for (let i = 0; i < n; i++) {
    const xi = addrOf<T>(x, i * d);
    const ri = addr(resp, i * k);
    for (let c = 0; c < k; c++) {
      const r = ld(ri, c);
      if (r == 0.0) continue;
      st(nk, c, ld(nk, c) + r);
      axpyOf<T>(addr(means, c * d), r, xi, d);
    }
  }
}

/** Rᵀ·X blocked as described above (every entry of R, zero or not). */
function denseSums<T>(x: usize, resp: usize, n: i32, d: i32, k: i32, nk: usize, means: usize): void {
  for (let i0 = 0; i0 < n; i0 += SUM_BLOCK) {
    const i1 = min(i0 + SUM_BLOCK, n);
    for (let c = 0; c < k; c += 2) {
      const pair = c + 1 < k;
      // N_k and the first d mod 4 features together (independent chains);
      // with d a multiple of 4, N_k rides along with the first four features
      const head = d & 3;
      if (head > 0) sumsHead<T>(x, resp, i0, i1, d, k, c, pair, nk, means);
      const rStep = <usize>k << 3;
      const xStep = <usize>d << alignof<T>();
      for (let f = head; f < d; f += 4) {
        const withN = f == 0;
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        let an = f64x2.splat(0);
        let pr = addr(resp, i0 * k + c);
        let px = addrOf<T>(x, i0 * d + f);
        for (let i = i0; i < i1; i++) {
          const r = pair ? v128.load(pr) : v128.load64_splat(pr);
          if (withN) an = f64x2.add(an, r);
          a0 = f64x2.add(a0, f64x2.mul(r, splatOf<T>(px, 0)));
          a1 = f64x2.add(a1, f64x2.mul(r, splatOf<T>(px, 1)));
          a2 = f64x2.add(a2, f64x2.mul(r, splatOf<T>(px, 2)));
          a3 = f64x2.add(a3, f64x2.mul(r, splatOf<T>(px, 3)));
          pr += rStep;
          px += xStep;
        }
        if (withN) addPair(nk, c, 1, an, pair);
        addPair(means, c * d + f, d, a0, pair);
        addPair(means, c * d + f + 1, d, a1, pair);
        addPair(means, c * d + f + 2, d, a2, pair);
        addPair(means, c * d + f + 3, d, a3, pair);
      }
    }
  }
}

// d = 5, 6, 7: denseSums' order in one pass over the block rather than two
// (N_k with the first d mod 4 features, then four more), all D + 1 sums in
// registers, so each row's pair of responsibilities is loaded once. Every
// sum is still one accumulator over the block's rows in order, added to
// memory once per block: the same sums, bit for bit. (d = 8 gains little
// this way: V8 spills two of its nine accumulators.)
function sums5<T>(x: usize, resp: usize, n: i32, k: i32, nk: usize, means: usize): void {
  sumsOnePass<T>(x, resp, n, k, nk, means, 5);
}
function sums6<T>(x: usize, resp: usize, n: i32, k: i32, nk: usize, means: usize): void {
  sumsOnePass<T>(x, resp, n, k, nk, means, 6);
}
function sums7<T>(x: usize, resp: usize, n: i32, k: i32, nk: usize, means: usize): void {
  sumsOnePass<T>(x, resp, n, k, nk, means, 7);
}

/** N_k and Σ r·x for d = D (5 … 7, a constant at every call) in one pass per block and component pair. */
@inline function sumsOnePass<T>(x: usize, resp: usize, n: i32, k: i32, nk: usize, means: usize, D: i32): void {
  const z = f64x2.splat(0);
  const rStep = <usize>k << 3;
  const xStep = <usize>D << alignof<T>();
  for (let i0 = 0; i0 < n; i0 += SUM_BLOCK) {
    const i1 = min(i0 + SUM_BLOCK, n);
    for (let c = 0; c < k; c += 2) {
      const pair = c + 1 < k;
      let an = z, a0 = z, a1 = z, a2 = z, a3 = z, a4 = z, a5 = z, a6 = z;
      let pr = addr(resp, i0 * k + c);
      let px = addrOf<T>(x, i0 * D);
      for (let i = i0; i < i1; i++) {
        const r = pair ? v128.load(pr) : v128.load64_splat(pr);
        an = f64x2.add(an, r);
        a0 = f64x2.add(a0, f64x2.mul(r, splatOf<T>(px, 0)));
        a1 = f64x2.add(a1, f64x2.mul(r, splatOf<T>(px, 1)));
        a2 = f64x2.add(a2, f64x2.mul(r, splatOf<T>(px, 2)));
        a3 = f64x2.add(a3, f64x2.mul(r, splatOf<T>(px, 3)));
        a4 = f64x2.add(a4, f64x2.mul(r, splatOf<T>(px, 4)));
        if (D > 5) a5 = f64x2.add(a5, f64x2.mul(r, splatOf<T>(px, 5)));
        if (D > 6) a6 = f64x2.add(a6, f64x2.mul(r, splatOf<T>(px, 6)));
        pr += rStep;
        px += xStep;
      }
      const o = c * D;
      addPair(nk, c, 1, an, pair);
      addPair(means, o, D, a0, pair);
      addPair(means, o + 1, D, a1, pair);
      addPair(means, o + 2, D, a2, pair);
      addPair(means, o + 3, D, a3, pair);
      addPair(means, o + 4, D, a4, pair);
      if (D > 5) addPair(means, o + 5, D, a5, pair);
      if (D > 6) addPair(means, o + 6, D, a6, pair);
    }
  }
}

/** N_k and the first d mod 4 (> 0) features of means for components c, c + 1. */
@inline function sumsHead<T>(x: usize, resp: usize, i0: i32, i1: i32, d: i32, k: i32, c: i32, pair: bool, nk: usize, means: usize): void {
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  const head = d & 3;
  if (head == 1) {
    for (let i = i0; i < i1; i++) {
      const r = loadPair(resp, i * k + c, pair);
      const xi = addrOf<T>(x, i * d);
      a0 = f64x2.add(a0, r);
      a1 = f64x2.add(a1, f64x2.mul(r, splatOf<T>(xi, 0)));
    }
  } else if (head == 2) {
    for (let i = i0; i < i1; i++) {
      const r = loadPair(resp, i * k + c, pair);
      const xi = addrOf<T>(x, i * d);
      a0 = f64x2.add(a0, r);
      a1 = f64x2.add(a1, f64x2.mul(r, splatOf<T>(xi, 0)));
      a2 = f64x2.add(a2, f64x2.mul(r, splatOf<T>(xi, 1)));
    }
  } else {
    for (let i = i0; i < i1; i++) {
      const r = loadPair(resp, i * k + c, pair);
      const xi = addrOf<T>(x, i * d);
      a0 = f64x2.add(a0, r);
      a1 = f64x2.add(a1, f64x2.mul(r, splatOf<T>(xi, 0)));
      a2 = f64x2.add(a2, f64x2.mul(r, splatOf<T>(xi, 1)));
      a3 = f64x2.add(a3, f64x2.mul(r, splatOf<T>(xi, 2)));
    }
  }
  addPair(nk, c, 1, a0, pair);
  addPair(means, c * d, d, a1, pair);
  if (head > 1) addPair(means, c * d + 1, d, a2, pair);
  if (head > 2) addPair(means, c * d + 2, d, a3, pair);
}

/** (r[i], r[i+1]), or (r[i], r[i]) for the odd last component. */
@inline function loadPair(r: usize, i: i32, pair: bool): v128 {
  return pair ? v128.load(addr(r, i)) : v128.load64_splat(addr(r, i));
}

/** out[j] += lane 0 and, for a pair, out[j + stride] += lane 1. */
@inline function addPair(out: usize, j: i32, stride: i32, v: v128, pair: bool): void {
  st(out, j, ld(out, j) + f64x2.extract_lane(v, 0));
  if (pair) st(out, j + stride, ld(out, j + stride) + f64x2.extract_lane(v, 1));
}

// The scatter walks rows in blocks of SCATTER_BLOCK (kept in cache while
// every component passes over it) and per component gathers the rows with a
// non-zero responsibility in groups of up to SCATTER_ROWS (fewer when d is
// so large that SCATTER_ROWS centred rows would not fit in KERNEL_SCRATCH).
const SCATTER_BLOCK: i32 = 256;
const SCATTER_ROWS: i32 = 32;

/**
 * Lower triangles of S_c = Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ, accumulated into
 * `out` with a stride of `outStride` values between components: d·d gives one
 * matrix per component (full), 0 pools them all into one (tied).
 * `diff` is scratch for d values (used only by the simple path).
 *
 * Negligible rows are skipped, and far more rows are negligible than have
 * r = 0 (the E-step keeps responsibilities down to e⁻⁷⁰⁷: at d = 8, K = 8 in
 * the benchmark 96 % of pairs have r > 0). What a row adds to S_c, in the
 * metric of the Σ_c the E-step used, is r·q with q = (x − μ)ᵀΣ_c⁻¹(x − μ)
 * (μ moves little in one M-step), and small r alone does not make r·q small
 * (a row far from every component). The E-step that made r
 * bounds q without storing it: r = exp(l − lse) with l = off − q/2 and
 * off ≤ log det W_c − (d/2)·log 2π =: C_c, so q = 2(off − lse) + 2·log(1/r)
 * ≤ 2·max(0, C_c − lse) + 1440 =: u (log(1/r) < 720 for any r the exp
 * produces). A row is skipped when r·u ≤ NEGLIGIBLE·N_c: then even 10⁷ of
 * them move S_c by under 1e-17 of itself, below its rounding. `nk` (N_c),
 * `logProbNorm` (lse per row) and `logDet` (log det W_c) are the E-step's;
 * logProbNorm of −∞ with a finite logDet (no E-step yet: em.ts's
 * markUnscored sets both) keeps every row with r > 0.
 *
 * A blocked symmetric rank update. Per block of rows and component, the rows
 * that are not negligible are gathered (with well-separated clusters a
 * component does not explain most rows) as
 * E = √r·(x − μ), so that S = Σ_rows E Eᵀ needs one gathered matrix, not two
 * (√r·d_a·√r·d_b equals r·d_a·d_b to a couple of ulp). S[a][b] += Σ E[a]·E[b]
 * is computed on tiles of the lower triangle (4×4, narrower for the last
 * d mod 4 rows; see rankUpdate), whose accumulators' lanes are distinct
 * entries of S, so they are added to S directly (no horizontal sums).
 * d ≤ 4 has its own loop with the sums in registers (scatterSmall).
 */
export function scatterFull(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  nk: usize, logProbNorm: usize, logDet: usize,
  out: usize, outStride: i32, diff: usize,
): void {
  scatterFullOf<f64>(x, resp, means, n, d, k, nk, logProbNorm, logDet, out, outStride, diff);
}

/** scatterFull with X stored as f32. */
export function scatterFullF32(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  nk: usize, logProbNorm: usize, logDet: usize,
  out: usize, outStride: i32, diff: usize,
): void {
  scatterFullOf<f32>(x, resp, means, n, d, k, nk, logProbNorm, logDet, out, outStride, diff);
}

/** See scatterFull: rows with r·u ≤ NEGLIGIBLE·N_c are left out of S_c. */
const NEGLIGIBLE: f64 = 1e-24;
/** 2·log(1/r) for the smallest r the E-step's exp produces (e⁻⁷⁰⁷ / K, K ≤ 2¹⁶), rounded up. */
const LOG_TINY_R: f64 = 1440.0;

/** Whether row i adds more than NEGLIGIBLE·N_c to S_c; `top` = 2·C_c, `cut` = NEGLIGIBLE·N_c. */
@inline function notNegligible(resp: usize, logProbNorm: usize, i: i32, k: i32, c: i32, top: f64, cut: f64): bool {
  // with lse = −∞, u = ∞: r > 0 gives ∞ > cut, r = 0 gives NaN > cut, false
  const u = max(0.0, top - 2.0 * ld(logProbNorm, i)) + LOG_TINY_R;
  return ld(resp, i * k + c) * u > cut;
}

function scatterFullOf<T>(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  nk: usize, logProbNorm: usize, logDet: usize,
  out: usize, outStride: i32, diff: usize,
): void {
  const dd = d * d;
  fill(out, 0.0, outStride == 0 ? dd : k * dd);
  if (d <= 4) {
    if (d == 1) scatter1<T>(x, resp, means, n, k, out, outStride);
    else if (d == 2) scatter2<T>(x, resp, means, n, k, out, outStride);
    else if (d == 3) scatter3<T>(x, resp, means, n, k, out, outStride);
    else scatter4<T>(x, resp, means, n, k, out, outStride);
    return;
  }
  const dp = (d + 3) & ~3; // tiles read four columns: pad rows with zeros
  // rows per group: as many as fit (≤ SCATTER_ROWS) after the indices
  const group = min(SCATTER_ROWS, (KERNEL_SCRATCH_VALUES - SCATTER_ROWS / 2) / dp);
  if (group < 4) {
    scatterFullSimple<T>(x, resp, means, n, d, k, nk, logProbNorm, logDet, out, outStride, diff);
    return;
  }
  const rowBytes = <usize>dp << 3;
  const idx = KERNEL_SCRATCH; // SCATTER_ROWS i32
  const em = idx + (<usize>SCATTER_ROWS << 2);
  // padding columns: gatherCentred never writes them, so zero them once
  // (gatherCentred8 may leave a value there at d = 5, 7; no stored sum reads it)
  memory.fill(em, 0, <usize>group * rowBytes);
  const zero = f64x2.splat(0), two = f64x2.splat(2.0), tiny = f64x2.splat(LOG_TINY_R);
  for (let i0 = 0; i0 < n; i0 += SCATTER_BLOCK) {
    const i1 = min(i0 + SCATTER_BLOCK, n);
    for (let c = 0; c < k; c++) {
      const top = 2.0 * ld(logDet, c) - <f64>d * LOG_2PI;
      const cut = NEGLIGIBLE * ld(nk, c);
      const rStep = <usize>k << 3;
      const top2 = f64x2.splat(top), cut2 = f64x2.splat(cut);
      let i = i0;
      while (i < i1) {
        // gather up to `group` rows that are not negligible, branch-free
        // (the pattern is data-dependent and would defeat branch prediction)
        // but for the group's end: notNegligible's test, walked by pointers,
        // four rows at a time (two f64x2, their lse adjacent) while all fit
        // in the group, then row by row until it is full, so groups end where they
        // did row by row. max(0, t) as pmax (one instruction, where max and
        // select compile to a branch that t's sign, varying from row to row,
        // defeats): they differ only for t = NaN (lse = NaN), whose r is NaN too, and
        // NaN·u > cut is false either way.
        let cnt = 0;
        let pr = addr(resp, i * k + c);
        let pl = addr(logProbNorm, i);
        while (i + 4 <= i1 && cnt + 4 <= group) {
          const t = f64x2.sub(top2, f64x2.mul(two, v128.load(pl)));
          const u = f64x2.add(f64x2.pmax(zero, t), tiny);
          const r = v128.load64_lane(pr + rStep, v128.load64_splat(pr), 1);
          const keep = i64x2.bitmask(f64x2.gt(f64x2.mul(r, u), cut2));
          const t1 = f64x2.sub(top2, f64x2.mul(two, v128.load(pl, 16)));
          const u1 = f64x2.add(f64x2.pmax(zero, t1), tiny);
          const q = pr + (rStep << 1);
          const r1 = v128.load64_lane(q + rStep, v128.load64_splat(q), 1);
          const keep1 = i64x2.bitmask(f64x2.gt(f64x2.mul(r1, u1), cut2));
          store<i32>(idx + (<usize>cnt << 2), i);
          cnt += keep & 1;
          store<i32>(idx + (<usize>cnt << 2), i + 1);
          cnt += keep >> 1;
          store<i32>(idx + (<usize>cnt << 2), i + 2);
          cnt += keep1 & 1;
          store<i32>(idx + (<usize>cnt << 2), i + 3);
          cnt += keep1 >> 1;
          i += 4;
          pr += rStep << 2;
          pl += 32;
        }
        while (i < i1 && cnt < group) {
          store<i32>(idx + (<usize>cnt << 2), i);
          const t = top - 2.0 * load<f64>(pl);
          const u = f64x2.extract_lane(f64x2.pmax(zero, f64x2.splat(t)), 0) + LOG_TINY_R;
          cnt += <i32>(load<f64>(pr) * u > cut);
          i++;
          pr += rStep;
          pl += 8;
        }
        if (cnt == 0) continue;
        if (d <= 8) gatherCentred8<T>(x, resp, addr(means, c * d), idx, cnt, d, k, c, rowBytes, em);
        else gatherCentred<T>(x, resp, addr(means, c * d), idx, cnt, d, k, c, rowBytes, em);
        rankUpdate(em, cnt, d, rowBytes, addr(out, c * outStride));
      }
    }
  }
}

/** One row at a time, skipping negligible rows (d > 1020, too large for the blocked path). */
function scatterFullSimple<T>(
  x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32,
  nk: usize, logProbNorm: usize, logDet: usize,
  out: usize, outStride: i32, diff: usize,
): void {
  for (let c = 0; c < k; c++) {
    const mu = addr(means, c * d);
    const sc = addr(out, c * outStride);
    const top = 2.0 * ld(logDet, c) - <f64>d * LOG_2PI;
    const cut = NEGLIGIBLE * ld(nk, c);
    for (let i = 0; i < n; i++) {
      if (!notNegligible(resp, logProbNorm, i, k, c, top, cut)) continue;
      const r = ld(resp, i * k + c);
      subOf<T>(diff, addrOf<T>(x, i * d), mu, d);
      for (let a = 0; a < d; a++) axpy(addr(sc, a * d), r * ld(diff, a), diff, a + 1);
    }
  }
}

/** em[q] = √r·(x_{idx[q]} − μ) for the `cnt` gathered rows. */
@inline function gatherCentred<T>(
  x: usize, resp: usize, mu: usize, idx: usize, cnt: i32, d: i32, k: i32, c: i32,
  rowBytes: usize, em: usize,
): void {
  let pe = em;
  for (let q = 0; q < cnt; q++) {
    const i = load<i32>(idx + (<usize>q << 2));
    const r = f64x2.sqrt(v128.load64_splat(addr(resp, i * k + c)));
    const xi = addrOf<T>(x, i * d);
    let l = 0;
    for (; l + 2 <= d; l += 2) {
      const o = <usize>l << 3;
      v128.store(pe + o, f64x2.mul(r, f64x2.sub(pairOf<T>(addrOf<T>(xi, l), 0), v128.load(mu + o))));
    }
    if (l < d) {
      const o = <usize>l << 3;
      store<f64>(pe + o, f64x2.extract_lane(r, 0) * (ldOf<T>(xi, l) - load<f64>(mu + o)));
    }
    pe += rowBytes;
  }
}

/**
 * gatherCentred for 4 < d ≤ 8: the row as two to four f64x2 in straight-line
 * code, μ in registers (the column loop's overhead was most of the gather's
 * cost). Each value is the same product as gatherCentred's; an odd d's last
 * pair has lane 1 in the padding, which rankUpdate reads and never stores.
 */
@inline function gatherCentred8<T>(
  x: usize, resp: usize, mu: usize, idx: usize, cnt: i32, d: i32, k: i32, c: i32,
  rowBytes: usize, em: usize,
): void {
  const m01 = v128.load(mu);
  const m23 = v128.load(mu, 16);
  // no loads past μ's d values (the last component's μ ends the array)
  const m45 = d >= 6 ? v128.load(mu, 32) : v128.load64_zero(mu, 32);
  const m67 = d == 8 ? v128.load(mu, 48) : d == 7 ? v128.load64_zero(mu, 48) : f64x2.splat(0);
  let pe = em;
  for (let q = 0; q < cnt; q++) {
    const i = load<i32>(idx + (<usize>q << 2));
    const r = f64x2.sqrt(v128.load64_splat(addr(resp, i * k + c)));
    const xi = addrOf<T>(x, i * d);
    v128.store(pe, f64x2.mul(r, f64x2.sub(pairOf<T>(xi, 0), m01)));
    v128.store(pe, f64x2.mul(r, f64x2.sub(pairOf<T>(xi, 2), m23)), 16);
    const x45 = d >= 6 ? pairOf<T>(xi, 4) : splatOf<T>(xi, 4);
    v128.store(pe, f64x2.mul(r, f64x2.sub(x45, m45)), 32);
    if (d >= 7) {
      const x67 = d == 8 ? pairOf<T>(xi, 6) : splatOf<T>(xi, 6);
      v128.store(pe, f64x2.mul(r, f64x2.sub(x67, m67)), 48);
    }
    pe += rowBytes;
  }
}

/**
 * s[a][b] += Σ_q em[q][a]·em[q][b] for b ≤ a: 4×4 tiles over the first
 * d − d mod 4 rows, then the last d mod 4 rows as 1-, 2- or 3-row tiles, so
 * the work grows with d rather than with d rounded up to a multiple of 4.
 * Each entry is one accumulator summed over q in order, whatever tile holds
 * it.
 *
 * Deliberately not inlined (two callers, too large for Binaryen to inline):
 * V8 runs a call's first execution in its baseline compiler (Liftoff) and
 * cannot switch a running call to the optimised code, so a first fit's
 * scatter, one call over every row, would run unoptimised to its end; as a
 * function called per group of rows it is optimised within the call.
 */
function rankUpdate(em: usize, cnt: i32, d: i32, rowBytes: usize, s: usize): void {
  if (d == 5) {
    rankUpdate5(em, cnt, rowBytes, s);
    return;
  }
  const sRow = <usize>d << 3;
  const body = d & ~3;
  for (let a = 0; a < body; a += 4) {
    for (let b = 0; b < a; b += 4) tile(em, cnt, rowBytes, a, b, 4, false, s, sRow, d);
    tile(em, cnt, rowBytes, a, a, 4, true, s, sRow, d);
  }
  const rest = d - body;
  if (rest == 1) {
    for (let b = 0; b < body; b += 4) tile(em, cnt, rowBytes, body, b, 1, false, s, sRow, d);
    tile(em, cnt, rowBytes, body, body, 1, true, s, sRow, d);
  } else if (rest == 2) {
    for (let b = 0; b < body; b += 4) tile(em, cnt, rowBytes, body, b, 2, false, s, sRow, d);
    tile(em, cnt, rowBytes, body, body, 2, true, s, sRow, d);
  } else if (rest == 3) {
    for (let b = 0; b < body; b += 4) tile(em, cnt, rowBytes, body, b, 3, false, s, sRow, d);
    tile(em, cnt, rowBytes, body, body, 3, true, s, sRow, d);
  }
}

/**
 * d = 5: rankUpdate's three tiles (4×4 diagonal, 1×4, 1×1 diagonal) in one
 * pass over the gathered rows, their nine accumulators in registers, so each
 * row is loaded once rather than three times. The same products summed in
 * the same order: the same S, bit for bit. (d = 6 and 7 would need 12 and 16
 * accumulators, more than V8 keeps in registers.)
 */
@inline function rankUpdate5(em: usize, cnt: i32, rowBytes: usize, s: usize): void {
  const z = f64x2.splat(0);
  // lanes: (S[a][b], S[a][b+1]) in s_ab
  let s00 = z, s10 = z, s20 = z, s22 = z, s30 = z, s32 = z, s40 = z, s42 = z, s44 = z;
  let pe = em;
  for (let q = 0; q < cnt; q++) {
    const u = v128.load(pe);
    const v = v128.load(pe, 16);
    const w = v128.load(pe, 32); // (e4, padding)
    s00 = f64x2.add(s00, f64x2.mul(v128.load64_splat(pe), u));
    s10 = f64x2.add(s10, f64x2.mul(v128.load64_splat(pe, 8), u));
    let t = v128.load64_splat(pe, 16);
    s20 = f64x2.add(s20, f64x2.mul(t, u));
    s22 = f64x2.add(s22, f64x2.mul(t, v));
    t = v128.load64_splat(pe, 24);
    s30 = f64x2.add(s30, f64x2.mul(t, u));
    s32 = f64x2.add(s32, f64x2.mul(t, v));
    t = v128.load64_splat(pe, 32);
    s40 = f64x2.add(s40, f64x2.mul(t, u));
    s42 = f64x2.add(s42, f64x2.mul(t, v));
    s44 = f64x2.add(s44, f64x2.mul(t, w));
    pe += rowBytes;
  }
  const sRow: usize = 5 << 3;
  addTileRow(s, s00, z, 0, 5);
  addTileRow(s + sRow, s10, z, 1, 5);
  addTileRow(s + 2 * sRow, s20, s22, 2, 5);
  addTileRow(s + 3 * sRow, s30, s32, 3, 5);
  addTileRow(s + 4 * sRow, s40, s42, 4, 5);
  store<f64>(s + 4 * sRow, load<f64>(s + 4 * sRow, 32) + f64x2.extract_lane(s44, 0), 32);
}

/**
 * The tile of rows a … a + rows − 1 (rows ≤ 4) and columns b … b + 3: per
 * gathered row, `rows` splatted entries times two f64x2, accumulators whose
 * lanes are distinct entries of S, added to S directly (no horizontal sums).
 * On the diagonal (`diag`, a = b) rows a and a + 1 have no entries in
 * columns b + 2, b + 3, so those products are not formed. Columns past d
 * read the padding and are not stored. `rows` and `diag` are constants
 * at every call, so the branches on them fold away.
 */
@inline function tile(
  em: usize, cnt: i32, rowBytes: usize, a: i32, b: i32, rows: i32, diag: bool,
  s: usize, sRow: usize, d: i32,
): void {
  // lanes: (S[a+t][b], S[a+t][b+1]) in a_t, (S[a+t][b+2], S[a+t][b+3]) in b_t
  let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
  let b0 = f64x2.splat(0), b1 = f64x2.splat(0), b2 = f64x2.splat(0), b3 = f64x2.splat(0);
  let pr = em + (<usize>a << 3);
  let pd = em + (<usize>b << 3);
  for (let q = 0; q < cnt; q++) {
    const u = v128.load(pd);
    const v = v128.load(pd, 16);
    let t = v128.load64_splat(pr);
    a0 = f64x2.add(a0, f64x2.mul(t, u));
    if (!diag) b0 = f64x2.add(b0, f64x2.mul(t, v));
    if (rows > 1) {
      t = v128.load64_splat(pr, 8);
      a1 = f64x2.add(a1, f64x2.mul(t, u));
      if (!diag) b1 = f64x2.add(b1, f64x2.mul(t, v));
    }
    if (rows > 2) {
      t = v128.load64_splat(pr, 16);
      a2 = f64x2.add(a2, f64x2.mul(t, u));
      b2 = f64x2.add(b2, f64x2.mul(t, v));
    }
    if (rows > 3) {
      t = v128.load64_splat(pr, 24);
      a3 = f64x2.add(a3, f64x2.mul(t, u));
      b3 = f64x2.add(b3, f64x2.mul(t, v));
    }
    pr += rowBytes;
    pd += rowBytes;
  }
  // add the tile's lower-triangle entries that exist (b + j ≤ a + t < d)
  const ps = s + <usize>a * sRow + (<usize>b << 3);
  addTileRow(ps, a0, b0, a - b, d - b);
  if (rows > 1) addTileRow(ps + sRow, a1, b1, a + 1 - b, d - b);
  if (rows > 2) addTileRow(ps + 2 * sRow, a2, b2, a + 2 - b, d - b);
  if (rows > 3) addTileRow(ps + 3 * sRow, a3, b3, a + 3 - b, d - b);
}

/** p[j] += (lo, hi)[j] for j ≤ last and j < limit (j = 0 … 3). */
@inline function addTileRow(p: usize, lo: v128, hi: v128, last: i32, limit: i32): void {
  const m = min(last + 1, limit);
  if (m >= 4) {
    v128.store(p, f64x2.add(v128.load(p), lo));
    v128.store(p, f64x2.add(v128.load(p, 16), hi), 16);
  } else {
    if (m >= 2) v128.store(p, f64x2.add(v128.load(p), lo));
    else store<f64>(p, load<f64>(p) + f64x2.extract_lane(lo, 0));
    if (m == 3) store<f64>(p, load<f64>(p, 16) + f64x2.extract_lane(hi, 0), 16);
  }
}

@inline function addLane(p: usize, j: i32, v: v128): void {
  st(p, j, ld(p, j) + (f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1)));
}

// d ≤ 4: the D(D+1)/2 scatter sums of two components at a time in
// registers, one pass over the rows (no gather): every row counts, the
// negligible ones included, which at this d costs less than testing them.
function scatter1<T>(x: usize, resp: usize, means: usize, n: i32, k: i32, out: usize, outStride: i32): void {
  scatterSmall<T>(x, resp, means, n, k, out, outStride, 1);
}
function scatter2<T>(x: usize, resp: usize, means: usize, n: i32, k: i32, out: usize, outStride: i32): void {
  scatterSmall<T>(x, resp, means, n, k, out, outStride, 2);
}
function scatter3<T>(x: usize, resp: usize, means: usize, n: i32, k: i32, out: usize, outStride: i32): void {
  scatterSmall<T>(x, resp, means, n, k, out, outStride, 3);
}
function scatter4<T>(x: usize, resp: usize, means: usize, n: i32, k: i32, out: usize, outStride: i32): void {
  scatterSmall<T>(x, resp, means, n, k, out, outStride, 4);
}

/**
 * d = D ≤ 4 (a constant at every call, so the branches on it fold away):
 * two components share an f64x2 (their responsibilities are adjacent in a
 * row), each of the row's D features is splatted, and the lower triangle's
 * sums S[a][b] (b ≤ a) stay in registers over a block of rows.
 */
@inline function scatterSmall<T>(x: usize, resp: usize, means: usize, n: i32, k: i32, out: usize, outStride: i32, D: i32): void {
  const z = f64x2.splat(0);
  for (let i0 = 0; i0 < n; i0 += SUM_BLOCK) {
    const i1 = min(i0 + SUM_BLOCK, n);
    for (let c = 0; c < k; c += 2) {
      const pair = c + 1 < k;
      // (μ_c[f], μ_c+1[f]) (means are c-major: μ_c = means[D·c …])
      const mc = addr(means, D * c);
      const mn = pair ? mc + (<usize>D << 3) : mc;
      const m0 = v128.load64_lane(mn, v128.load64_splat(mc), 1);
      const m1 = D > 1 ? v128.load64_lane(mn + 8, v128.load64_splat(mc + 8), 1) : z;
      const m2 = D > 2 ? v128.load64_lane(mn + 16, v128.load64_splat(mc + 16), 1) : z;
      const m3 = D > 3 ? v128.load64_lane(mn + 24, v128.load64_splat(mc + 24), 1) : z;
      let s00 = z, s10 = z, s11 = z, s20 = z, s21 = z, s22 = z, s30 = z, s31 = z, s32 = z, s33 = z;
      for (let i = i0; i < i1; i++) {
        const r = loadPair(resp, i * k + c, pair);
        const xi = addrOf<T>(x, D * i);
        const d0 = f64x2.sub(splatOf<T>(xi, 0), m0);
        const r0 = f64x2.mul(r, d0);
        s00 = f64x2.add(s00, f64x2.mul(r0, d0));
        if (D > 1) {
          const d1 = f64x2.sub(splatOf<T>(xi, 1), m1);
          const r1 = f64x2.mul(r, d1);
          s10 = f64x2.add(s10, f64x2.mul(r1, d0));
          s11 = f64x2.add(s11, f64x2.mul(r1, d1));
          if (D > 2) {
            const d2 = f64x2.sub(splatOf<T>(xi, 2), m2);
            const r2 = f64x2.mul(r, d2);
            s20 = f64x2.add(s20, f64x2.mul(r2, d0));
            s21 = f64x2.add(s21, f64x2.mul(r2, d1));
            s22 = f64x2.add(s22, f64x2.mul(r2, d2));
            if (D > 3) {
              const d3 = f64x2.sub(splatOf<T>(xi, 3), m3);
              const r3 = f64x2.mul(r, d3);
              s30 = f64x2.add(s30, f64x2.mul(r3, d0));
              s31 = f64x2.add(s31, f64x2.mul(r3, d1));
              s32 = f64x2.add(s32, f64x2.mul(r3, d2));
              s33 = f64x2.add(s33, f64x2.mul(r3, d3));
            }
          }
        }
      }
      const o = c * outStride;
      addPair(out, o, outStride, s00, pair);
      if (D > 1) {
        addPair(out, o + D, outStride, s10, pair);
        addPair(out, o + D + 1, outStride, s11, pair);
      }
      if (D > 2) {
        addPair(out, o + 2 * D, outStride, s20, pair);
        addPair(out, o + 2 * D + 1, outStride, s21, pair);
        addPair(out, o + 2 * D + 2, outStride, s22, pair);
      }
      if (D > 3) {
        addPair(out, o + 3 * D, outStride, s30, pair);
        addPair(out, o + 3 * D + 1, outStride, s31, pair);
        addPair(out, o + 3 * D + 2, outStride, s32, pair);
        addPair(out, o + 3 * D + 3, outStride, s33, pair);
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

/**
 * Diagonal scatter: out[c][j] = Σ_i r_ic (x_ij − μ_cj)², raw (the M-step in
 * src/statistics.ts divides by N_c and adds reg_covar).
 * Two components share an f64x2 (lane 1 is component c + 1), each feature
 * of a row is splatted, four features at a time are summed in registers
 * over a block of rows.
 */
export function scatterDiag(x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32, out: usize): void {
  scatterDiagOf<f64>(x, resp, means, n, d, k, out);
}

/** scatterDiag with X stored as f32. */
export function scatterDiagF32(x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32, out: usize): void {
  scatterDiagOf<f32>(x, resp, means, n, d, k, out);
}

function scatterDiagOf<T>(x: usize, resp: usize, means: usize, n: i32, d: i32, k: i32, out: usize): void {
  fill(out, 0.0, k * d);
  for (let i0 = 0; i0 < n; i0 += SUM_BLOCK) {
    const i1 = min(i0 + SUM_BLOCK, n);
    for (let c = 0; c < k; c += 2) {
      const pair = c + 1 < k;
      const mc = addr(means, c * d);
      const mn = pair ? mc + (<usize>d << 3) : mc;
      let f = 0;
      for (; f + 4 <= d; f += 4) {
        const o = <usize>f << 3;
        const ox = <usize>f << alignof<T>();
        const m0 = v128.load64_lane(mn + o, v128.load64_splat(mc + o), 1);
        const m1 = v128.load64_lane(mn + o + 8, v128.load64_splat(mc + o + 8), 1);
        const m2 = v128.load64_lane(mn + o + 16, v128.load64_splat(mc + o + 16), 1);
        const m3 = v128.load64_lane(mn + o + 24, v128.load64_splat(mc + o + 24), 1);
        let a0 = f64x2.splat(0), a1 = f64x2.splat(0), a2 = f64x2.splat(0), a3 = f64x2.splat(0);
        for (let i = i0; i < i1; i++) {
          const r = loadPair(resp, i * k + c, pair);
          const xi = addrOf<T>(x, i * d) + ox;
          const t0 = f64x2.sub(splatOf<T>(xi, 0), m0);
          const t1 = f64x2.sub(splatOf<T>(xi, 1), m1);
          const t2 = f64x2.sub(splatOf<T>(xi, 2), m2);
          const t3 = f64x2.sub(splatOf<T>(xi, 3), m3);
          a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(r, t0), t0));
          a1 = f64x2.add(a1, f64x2.mul(f64x2.mul(r, t1), t1));
          a2 = f64x2.add(a2, f64x2.mul(f64x2.mul(r, t2), t2));
          a3 = f64x2.add(a3, f64x2.mul(f64x2.mul(r, t3), t3));
        }
        addPair(out, c * d + f, d, a0, pair);
        addPair(out, c * d + f + 1, d, a1, pair);
        addPair(out, c * d + f + 2, d, a2, pair);
        addPair(out, c * d + f + 3, d, a3, pair);
      }
      for (; f < d; f++) {
        const o = <usize>f << 3;
        const ox = <usize>f << alignof<T>();
        const m0 = v128.load64_lane(mn + o, v128.load64_splat(mc + o), 1);
        let a0 = f64x2.splat(0), b0 = f64x2.splat(0);
        let i = i0;
        // two rows per trip: two independent sums
        for (; i + 2 <= i1; i += 2) {
          const t0 = f64x2.sub(splatOf<T>(addrOf<T>(x, i * d) + ox, 0), m0);
          const t1 = f64x2.sub(splatOf<T>(addrOf<T>(x, (i + 1) * d) + ox, 0), m0);
          a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(loadPair(resp, i * k + c, pair), t0), t0));
          b0 = f64x2.add(b0, f64x2.mul(f64x2.mul(loadPair(resp, (i + 1) * k + c, pair), t1), t1));
        }
        if (i < i1) {
          const t0 = f64x2.sub(splatOf<T>(addrOf<T>(x, i * d) + ox, 0), m0);
          a0 = f64x2.add(a0, f64x2.mul(f64x2.mul(loadPair(resp, i * k + c, pair), t0), t0));
        }
        addPair(out, c * d + f, d, f64x2.add(a0, b0), pair);
      }
    }
  }
}

/**
 * Sample weights: scales each row of the n×k responsibilities by its weight
 * (so every sum after it, N_k, Σ r·x and the scatter, is weighted) and returns
 * Σ_i w_i·logProbNorm[i], the weighted log-likelihood. Rows of weight 0 add
 * nothing, even when their log-likelihood is −∞.
 */
export function weighRows(resp: usize, logProbNorm: usize, weights: usize, n: i32, k: i32): f64 {
  let total = 0.0;
  for (let i = 0; i < n; i++) {
    const w = ld(weights, i);
    const r = addr(resp, i * k);
    if (w == 0.0) {
      fill(r, 0.0, k);
      continue;
    }
    total += w * ld(logProbNorm, i);
    scale(r, w, k);
  }
  return total;
}
