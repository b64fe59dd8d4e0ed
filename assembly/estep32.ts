// The E-step on float32 data (the opt-in dtype "float32"): X is stored as
// f32 and the log-densities, their maximum, the exps and the
// responsibilities are computed four rows to an f32x4, twice the lanes of
// the f64 kernels. What stays f64: the per-row log-likelihood (max + log of
// the sum, with the f64 log), its total, the responsibilities as stored
// (the M-step reads them, and sums in f64), and the parameters, which are
// rounded to f32 copies here once per call.
//
// Accuracy: a log-density carries a relative error of a few f32 ulp (6e-8)
// of its magnitude, so responsibilities are good to about 1e-6 relative and
// a row's log-likelihood to about 1e-6 absolute; measured fits are in the
// README. Rows whose f32 values are not all finite (a Mahalanobis distance
// beyond f32's range) are recomputed in f64, so no row comes back ±∞ or NaN
// just because of the narrower type.
import { KERNEL_SCRATCH, KERNEL_SCRATCH_VALUES, LOG_2PI, addr, ld, logPositive, st } from "./vector-math";
import { normalizeRows } from "./estep";
import {
  BLOCK_BYTES, BLOCK_VECTORS, LINE_MAX_K, LINE_PARAMS, centreBlock, lineBlock, mahalanobis2, mahalanobisBlock,
  scaledNormBlock, splatLine, sqDistBlock, transformBlock,
} from "./block";
import { addLanes, blockResp, tiedCentre } from "./logprob";

/** Which density: the codes the host passes as `family`. */
export const F32_FULL: i32 = 0; // lower-triangular factors W (full; tied with wStride 0)
export const F32_DIAG: i32 = 1; // k×d precisions 1/σ
export const F32_SPHERICAL: i32 = 2; // k precisions 1/σ

// Rows go four to an f32x4 and in blocks of QUADS vectors, so every
// splatted factor entry feeds 16 rows (as PAIRS does for the f64 kernels).
const QUADS: i32 = BLOCK_VECTORS;
const BLOCK_ROWS: i32 = 4 * QUADS;
const QUAD_BYTES: usize = BLOCK_BYTES; // one transposed feature (or component) of a block

/**
 * Transposed features (d), centred features (d) and weighted log-densities
 * (k) of one block fit in KERNEL_SCRATCH; larger shapes take the f64 rows.
 */
@inline function blocked(d: i32, k: i32): bool {
  return <usize>(2 * d + k) * QUAD_BYTES <= (<usize>KERNEL_SCRATCH_VALUES << 3);
}

/** The tied transform's centre and transformed means (f32, and the f64 ones they are rounded from) fit in KERNEL_SCRATCH beside the blocks. */
@inline function tiedFits(d: i32, k: i32): bool {
  return <usize>(2 * d + k) * QUAD_BYTES + <usize>((k + 1) * d) * 12 <= (<usize>KERNEL_SCRATCH_VALUES << 3);
}

@inline function factorCount(family: i32, d: i32, k: i32, wStride: i32): i32 {
  if (family == F32_FULL) return wStride == 0 ? d * d : k * d * d;
  return family == F32_DIAG ? k * d : k;
}

/**
 * eStepFull's contract on f32 rows: fills logProbNorm (n) and, with
 * `writeResp`, the n×k responsibilities in `out` (f64), or else the
 * weighted log-densities there (predict reads those); returns the sum of
 * logProbNorm. `means`, `factor`, `logDet`, `logWeights` are the f64
 * parameters; `params` is host scratch for k·d + (factor values) + k f32.
 */
export function eStepF32(
  family: i32, x: usize, n: i32, d: i32,
  means: usize, factor: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, params: usize,
): f64 {
  return eStepF32With(family, x, n, d, means, factor, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, params, 0);
}

/**
 * eStepF32 for diag and spherical that also sums, per block while its rows
 * are transposed in cache, the statistics the M-step needs (logprob.ts's
 * eStepDiagonalStats, same layout: per component N, Σ r·d_l, Σ r·d_l² with
 * d = x − μ in f64 about the f64 means given; `stats` holds twice k·(1 + 2d)
 * values, the lane pairs, added into its first half at the end). Returns
 * NaN, writing nothing, for full covariances or shapes beyond the blocked path.
 */
export function eStepF32Stats(
  family: i32, x: usize, n: i32, d: i32,
  means: usize, factor: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, params: usize, stats: usize,
): f64 {
  if (family == F32_FULL || !blocked(d, k)) return NaN;
  const per = 1 + 2 * d;
  memory.fill(stats, 0, <usize>(k * per) << 4);
  const total = eStepF32With(family, x, n, d, means, factor, 0, logDet, logWeights, k, out, logProbNorm, true, params, stats);
  addLanes(stats, stats, k * per);
  return total;
}

/** One quad of a feature (four rows, f32) widened and centred: its Σ r·d and Σ r·d² added into s (lane pairs). */
@inline function quadMoments(v: v128, m: v128, rl: v128, rh: v128, s1: v128, s2: v128, second: bool): v128 {
  const lo = f64x2.sub(f64x2.promote_low_f32x4(v), m);
  const hi = f64x2.sub(f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3)), m);
  const el = f64x2.mul(rl, lo);
  const eh = f64x2.mul(rh, hi);
  return second
    ? f64x2.add(s2, f64x2.add(f64x2.mul(el, lo), f64x2.mul(eh, hi)))
    : f64x2.add(s1, f64x2.add(el, eh));
}

/**
 * Adds a block's share to eStepF32Stats' sums: xt holds the block's f32
 * rows four to a vector (widened here, two to an f64x2), `out` their
 * responsibilities just written (the f64 fallback's rows too); rows past
 * the last weigh 0.
 */
@inline function accumulateQuads(xt: usize, means: usize, d: i32, k: i32, out: usize, i0: i32, rows: i32, acc: usize): void {
  const featureBytes = <usize>d << 4;
  const rowBytes = <usize>k << 3;
  const first = addr(out, i0 * k);
  let a = acc;
  for (let c = 0; c < k; c++) {
    const o = <usize>c << 3;
    // pairs of rows (2q, 2q + 1) of the block, as the widened quads hold them
    let r0: v128, r1: v128, r2: v128, r3: v128, r4: v128, r5: v128, r6: v128, r7: v128;
    if (rows == BLOCK_ROWS) {
      // a whole block: its rows k values apart from the first, no clamping or masks
      let ra = first + o;
      r0 = rowPair(ra, rowBytes);
      r1 = rowPair((ra += rowBytes << 1), rowBytes);
      r2 = rowPair((ra += rowBytes << 1), rowBytes);
      r3 = rowPair((ra += rowBytes << 1), rowBytes);
      r4 = rowPair((ra += rowBytes << 1), rowBytes);
      r5 = rowPair((ra += rowBytes << 1), rowBytes);
      r6 = rowPair((ra += rowBytes << 1), rowBytes);
      r7 = rowPair(ra + (rowBytes << 1), rowBytes);
    } else {
      r0 = blockResp(out, i0, 0, rows, k, o);
      r1 = blockResp(out, i0, 2, rows, k, o);
      r2 = blockResp(out, i0, 4, rows, k, o);
      r3 = blockResp(out, i0, 6, rows, k, o);
      r4 = blockResp(out, i0, 8, rows, k, o);
      r5 = blockResp(out, i0, 10, rows, k, o);
      r6 = blockResp(out, i0, 12, rows, k, o);
      r7 = blockResp(out, i0, 14, rows, k, o);
    }
    const n = f64x2.add(f64x2.add(f64x2.add(r0, r1), f64x2.add(r2, r3)), f64x2.add(f64x2.add(r4, r5), f64x2.add(r6, r7)));
    v128.store(a, f64x2.add(v128.load(a), n));
    const mu = addr(means, c * d);
    let t = xt;
    let a1 = a + 16;
    for (let l = 0; l < d; l++) {
      const m = v128.load64_splat(mu + (<usize>l << 3));
      const v0 = v128.load(t);
      const v1 = v128.load(t, 16);
      const v2 = v128.load(t, 32);
      const v3 = v128.load(t, 48);
      let s1 = v128.load(a1);
      s1 = quadMoments(v0, m, r0, r1, s1, s1, false);
      s1 = quadMoments(v1, m, r2, r3, s1, s1, false);
      s1 = quadMoments(v2, m, r4, r5, s1, s1, false);
      s1 = quadMoments(v3, m, r6, r7, s1, s1, false);
      v128.store(a1, s1);
      const a2 = a1 + featureBytes;
      let s2 = v128.load(a2);
      s2 = quadMoments(v0, m, r0, r1, s2, s2, true);
      s2 = quadMoments(v1, m, r2, r3, s2, s2, true);
      s2 = quadMoments(v2, m, r4, r5, s2, s2, true);
      s2 = quadMoments(v3, m, r6, r7, s2, s2, true);
      v128.store(a2, s2);
      t += QUAD_BYTES;
      a1 += 16;
    }
    a += featureBytes + featureBytes + 16;
  }
}

/** The values at ra and ra + rowBytes as a pair (one component's responsibilities of two consecutive rows). */
@inline function rowPair(ra: usize, rowBytes: usize): v128 {
  return v128.load64_lane(ra + rowBytes, v128.load64_splat(ra), 1);
}

function eStepF32With(
  family: i32, x: usize, n: i32, d: i32,
  means: usize, factor: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, params: usize, acc: usize,
): f64 {
  if (!blocked(d, k)) {
    logProbRows(family, x, 0, n, d, means, factor, wStride, logDet, logWeights, k, out);
    return normalizeRows(out, 0, n, k, logProbNorm, writeResp);
  }
  // f32 copies: means, factors, then each component's constant term
  const factors = factorCount(family, d, k, wStride);
  const mu32 = params;
  const w32 = mu32 + (<usize>(k * d) << 2);
  const off32 = w32 + (<usize>factors << 2);
  toF32(means, mu32, k * d);
  toF32(factor, w32, factors);
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let c = 0; c < k; c++) store<f32>(off32 + (<usize>c << 2), <f32>(constant + ld(logDet, c) + ld(logWeights, c)));

  const xt = KERNEL_SCRATCH;
  const dm = xt + <usize>d * QUAD_BYTES;
  const lb = dm + <usize>d * QUAD_BYTES;
  // tied beyond d = 2: the rows transformed once per block, as logprob.ts's
  // eStepTied does (the centre m and ν_c = W(μ_c − m) in f64, then rounded)
  const centre = lb + <usize>k * QUAD_BYTES;
  const nu = centre + (<usize>d << 2);
  const tied = family == F32_FULL && wStride == 0 && d > 2 && tiedFits(d, k);
  if (tied) {
    const centre64 = nu + (<usize>(k * d) << 2);
    const nu64 = centre64 + (<usize>d << 3);
    tiedCentre(means, factor, d, k, centre64, nu64);
    toF32(centre64, centre, d);
    toF32(nu64, nu, k * d);
  }
  // full at d = 5 … 8: the straight-line kernel, on the same f32 constants
  const line = family == F32_FULL && !tied && d >= 5 && d <= 8 && k <= LINE_MAX_K;
  if (line) {
    const step = splatLine<f32>(mu32, w32, wStride, k, d);
    for (let c = 0; c < k; c++) v128.store(LINE_PARAMS + <usize>c * step, v128.load32_splat(off32 + (<usize>c << 2)));
  }
  let total = 0.0;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, n - i0);
    if (d == 1 && rows == BLOCK_ROWS) memory.copy(xt, x + (<usize>i0 << 2), BLOCK_ROWS << 2); // already feature-major
    else if (d == 2) load2(x, i0, rows, xt);
    else if (d == 3 && rows == BLOCK_ROWS) load3(x, i0, xt);
    else transposeBlock(x, i0, rows, d, xt);
    if (tied) {
      centreBlock<f32>(xt, centre, d, dm);
      transformBlock<f32>(dm, w32, d, xt);
    }
    if (line) {
      if (d == 5) line5(xt, lb, k);
      else if (d == 6) line6(xt, lb, k);
      else if (d == 7) line7(xt, lb, k);
      else line8(xt, lb, k);
    } else logDensitiesF32(family, xt, dm, lb, mu32, w32, off32, wStride, nu, d, k, tied);
    let blockTotal = 0.0;
    for (let p = 0; p < QUADS && 4 * p < rows; p++) {
      blockTotal += finishQuad(lb + (<usize>p << 4), k, out, logProbNorm, i0 + 4 * p, min(4, rows - 4 * p), writeResp);
    }
    if (blockTotal != blockTotal) {
      // a value outside f32's range (or NaN) somewhere in the block: its
      // rows in f64, through the f64 normalisation and its special cases
      logProbRows(family, x, i0, i0 + rows, d, means, factor, wStride, logDet, logWeights, k, out);
      blockTotal = normalizeRows(out, i0, i0 + rows, k, logProbNorm, writeResp);
    }
    if (acc) accumulateQuads(xt, means, d, k, out, i0, rows, acc);
    total += blockTotal;
  }
  return total;
}

/**
 * The block's log-densities, component by component, into lb (every
 * family but the straight-line d = 5 … 8 kernels). Its own function, called
 * per block, rather than inlined into eStepF32With's loop: V8 runs a call's
 * first execution in its baseline compiler and cannot switch a running
 * call to the optimised code, so inlined, a first fit's E-step would run
 * unoptimised over every row (logprob.ts's eStepFusedBlock says more).
 */
function logDensitiesF32(
  family: i32, xt: usize, dm: usize, lb: usize, mu32: usize, w32: usize, off32: usize, wStride: i32, nu: usize,
  d: i32, k: i32, tied: bool,
): void {
  for (let c = 0; c < k; c++) {
    const mu = mu32 + (<usize>(c * d) << 2);
    const q = lb + <usize>c * QUAD_BYTES;
    if (tied) {
      sqDistBlock<f32>(xt, nu + (<usize>(c * d) << 2), d, q);
    } else if (family == F32_FULL) {
      const w = w32 + (<usize>(c * wStride) << 2);
      if (d == 2) mahalanobis2<f32>(xt, mu, w, q);
      else {
        centreBlock<f32>(xt, mu, d, dm);
        mahalanobisBlock<f32>(dm, w, d, q);
      }
    } else if (family == F32_DIAG) {
      scaledNormBlock<f32>(xt, mu, w32 + (<usize>(c * d) << 2), 4, d, q);
    } else {
      scaledNormBlock<f32>(xt, mu, w32 + (<usize>c << 2), 0, d, q);
    }
    toLogDensity(q, load<f32>(off32 + (<usize>c << 2)));
  }
}

// One function per d, as logprob.ts's eStep5 … eStep8.
function line5(xt: usize, lb: usize, k: i32): void {
  lineBlock<f32>(xt, lb, k, 5);
}
function line6(xt: usize, lb: usize, k: i32): void {
  lineBlock<f32>(xt, lb, k, 6);
}
function line7(xt: usize, lb: usize, k: i32): void {
  lineBlock<f32>(xt, lb, k, 7);
}
function line8(xt: usize, lb: usize, k: i32): void {
  lineBlock<f32>(xt, lb, k, 8);
}

@inline function toF32(src: usize, dst: usize, m: i32): void {
  for (let t = 0; t < m; t++) store<f32>(dst + (<usize>t << 2), <f32>ld(src, t));
}

/**
 * xt[l][p] = rows i0+4p … i0+4p+3, feature l. Rows past the end repeat the
 * last row, so padding lanes hold finite numbers. A full block goes four
 * rows by four features at a time through a 4×4 transpose in registers
 * (measured: the one-value-at-a-time copy was ~14 % of the E-step at d = 8).
 */
@inline function transposeBlock(x: usize, i0: i32, rows: i32, d: i32, xt: usize): void {
  const rowBytes = <usize>d << 2;
  let from = 0; // first feature left for the value-at-a-time copy
  if (rows == BLOCK_ROWS) {
    from = d & ~3;
    for (let p = 0; p < QUADS; p++) {
      const r0 = x + <usize>(i0 + 4 * p) * rowBytes;
      const r1 = r0 + rowBytes;
      const r2 = r1 + rowBytes;
      const r3 = r2 + rowBytes;
      let t = xt + (<usize>p << 4);
      for (let o: usize = 0; o < (<usize>from << 2); o += 16) {
        const a = v128.load(r0 + o), b = v128.load(r1 + o), c = v128.load(r2 + o), e = v128.load(r3 + o);
        const ab01 = i32x4.shuffle(a, b, 0, 4, 1, 5); // a0 b0 a1 b1
        const ce01 = i32x4.shuffle(c, e, 0, 4, 1, 5);
        const ab23 = i32x4.shuffle(a, b, 2, 6, 3, 7);
        const ce23 = i32x4.shuffle(c, e, 2, 6, 3, 7);
        v128.store(t, i32x4.shuffle(ab01, ce01, 0, 1, 4, 5));
        v128.store(t + QUAD_BYTES, i32x4.shuffle(ab01, ce01, 2, 3, 6, 7));
        v128.store(t + 2 * QUAD_BYTES, i32x4.shuffle(ab23, ce23, 0, 1, 4, 5));
        v128.store(t + 3 * QUAD_BYTES, i32x4.shuffle(ab23, ce23, 2, 3, 6, 7));
        t += 4 * QUAD_BYTES;
      }
    }
    if (from == d) return;
  }
  const last = i0 + rows - 1;
  for (let r = 0; r < BLOCK_ROWS; r++) {
    const src = x + <usize>min(i0 + r, last) * rowBytes;
    // row r is lane r & 3 of vector r >> 2
    let t = xt + (<usize>(r >> 2) << 4) + (<usize>(r & 3) << 2) + <usize>from * QUAD_BYTES;
    for (let l = from; l < d; l++) {
      store<f32>(t, load<f32>(src + (<usize>l << 2)));
      t += QUAD_BYTES;
    }
  }
}

/** d = 2: two f32x4 loads of four rows each, deinterleaved into features. */
@inline function load2(x: usize, i0: i32, rows: i32, xt: usize): void {
  if (rows == BLOCK_ROWS) {
    for (let p = 0; p < QUADS; p++) {
      const src = x + (<usize>(i0 + 4 * p) << 3);
      const a = v128.load(src);
      const b = v128.load(src, 16);
      v128.store(xt + (<usize>p << 4), i32x4.shuffle(a, b, 0, 2, 4, 6));
      v128.store(xt + QUAD_BYTES + (<usize>p << 4), i32x4.shuffle(a, b, 1, 3, 5, 7));
    }
  } else {
    transposeBlock(x, i0, rows, 2, xt);
  }
}

/** d = 3, a full block: three f32x4 loads of four rows each, deinterleaved into features. */
@inline function load3(x: usize, i0: i32, xt: usize): void {
  for (let p = 0; p < QUADS; p++) {
    const src = x + <usize>(i0 + 4 * p) * 12;
    const a = v128.load(src); // r0[0] r0[1] r0[2] r1[0]
    const b = v128.load(src, 16); // r1[1] r1[2] r2[0] r2[1]
    const c = v128.load(src, 32); // r2[2] r3[0] r3[1] r3[2]
    const t = xt + (<usize>p << 4);
    v128.store(t, i32x4.shuffle(i32x4.shuffle(a, b, 0, 3, 6, 6), c, 0, 1, 2, 5));
    v128.store(t + QUAD_BYTES, i32x4.shuffle(i32x4.shuffle(a, b, 1, 4, 7, 7), c, 0, 1, 2, 6));
    v128.store(t + 2 * QUAD_BYTES, i32x4.shuffle(i32x4.shuffle(a, b, 2, 5, 5, 5), c, 0, 1, 4, 7));
  }
}

/** q ← offset − ½q in place (the weighted log-density) for the block's four vectors. */
@inline function toLogDensity(q: usize, offset: f32): void {
  const off = f32x4.splat(offset);
  const half = f32x4.splat(0.5);
  for (let p = 0; p < QUADS; p++) {
    const o = <usize>p << 4;
    v128.store(q + o, f32x4.sub(off, f32x4.mul(half, v128.load(q + o))));
  }
}

/**
 * Normalises four rows whose k weighted log-densities are the f32x4s at
 * lb, lb + QUAD_BYTES, …: logProbNorm for the first `rows` of them, and the
 * responsibilities (or, without writeResp, the log-densities) into `out`.
 * Returns the sum of the rows' log-likelihoods, or NaN, having written
 * nothing, when a value is not finite.
 */
@inline function finishQuad(lb: usize, k: i32, out: usize, logProbNorm: usize, i: i32, rows: i32, writeResp: bool): f64 {
  let mx = f32x4.splat(-Infinity);
  let probe = f32x4.splat(0);
  let p = lb;
  for (let c = 0; c < k; c++) {
    const v = v128.load(p);
    mx = f32x4.pmax(mx, v);
    probe = f32x4.add(probe, v);
    p += QUAD_BYTES;
  }
  if (i32x4.bitmask(f32x4.eq(f32x4.sub(probe, probe), f32x4.splat(0))) != 15) return NaN;
  if (!writeResp) storeRows(lb, k, out, i, rows, f32x4.splat(1));
  const s = expsInPlace32(lb, QUAD_BYTES, k, mx, writeResp);
  // log-sum-exp in f64: max + log Σ, each four rows as two f64x2
  const lo = f64x2.add(f64x2.promote_low_f32x4(mx), logPositive(f64x2.promote_low_f32x4(s)));
  const mxHi = i32x4.shuffle(mx, mx, 2, 3, 2, 3);
  const sHi = i32x4.shuffle(s, s, 2, 3, 2, 3);
  const hi = f64x2.add(f64x2.promote_low_f32x4(mxHi), logPositive(f64x2.promote_low_f32x4(sHi)));
  let total = f64x2.extract_lane(lo, 0);
  st(logProbNorm, i, total);
  if (rows > 1) { const v = f64x2.extract_lane(lo, 1); st(logProbNorm, i + 1, v); total += v; }
  if (rows > 2) { const v = f64x2.extract_lane(hi, 0); st(logProbNorm, i + 2, v); total += v; }
  if (rows > 3) { const v = f64x2.extract_lane(hi, 1); st(logProbNorm, i + 3, v); total += v; }
  if (writeResp) storeRows(lb, k, out, i, rows, f32x4.div(f32x4.splat(1), s));
  return total;
}

/**
 * out[i + r][c] = lane r of lb[c] · scale[r], widened to f64, for r < rows:
 * two components at a time, so that each row gets one f64x2 store.
 */
@inline function storeRows(lb: usize, k: i32, out: usize, i: i32, rows: i32, scale: v128): void {
  const rowBytes = <usize>k << 3;
  let p0 = addr(out, i * k);
  let p = lb;
  let c = 0;
  for (; c + 2 <= k; c += 2) {
    const v = f32x4.mul(v128.load(p), scale);
    const u = f32x4.mul(v128.load(p + QUAD_BYTES), scale);
    const lo = i32x4.shuffle(v, u, 0, 4, 1, 5); // rows 0, 1: (c, c + 1) each
    v128.store(p0, f64x2.promote_low_f32x4(lo));
    if (rows > 1) v128.store(p0 + rowBytes, f64x2.promote_low_f32x4(i32x4.shuffle(lo, lo, 2, 3, 2, 3)));
    if (rows > 2) {
      const hi = i32x4.shuffle(v, u, 2, 6, 3, 7); // rows 2, 3
      v128.store(p0 + 2 * rowBytes, f64x2.promote_low_f32x4(hi));
      if (rows > 3) v128.store(p0 + 3 * rowBytes, f64x2.promote_low_f32x4(i32x4.shuffle(hi, hi, 2, 3, 2, 3)));
    }
    p0 += 16;
    p += 2 * QUAD_BYTES;
  }
  if (c < k) {
    const v = f32x4.mul(v128.load(p), scale);
    const lo = f64x2.promote_low_f32x4(v);
    const hi = f64x2.promote_low_f32x4(i32x4.shuffle(v, v, 2, 3, 2, 3));
    v128.store64_lane(p0, lo, 0);
    if (rows > 1) v128.store64_lane(p0 + rowBytes, lo, 1);
    if (rows > 2) v128.store64_lane(p0 + 2 * rowBytes, hi, 0);
    if (rows > 3) v128.store64_lane(p0 + 3 * rowBytes, hi, 1);
  }
}

/**
 * Weighted log-densities of rows i0 … i1 − 1 into `out`, one row and
 * component at a time in f64 from the f32 rows and the f64 parameters: the
 * path for shapes too large for the blocks and for rows the f32 block could
 * not represent.
 */
function logProbRows(
  family: i32, x: usize, i0: i32, i1: i32, d: i32,
  means: usize, factor: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let i = i0; i < i1; i++) {
    const xi = x + (<usize>(i * d) << 2);
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      let q = 0.0;
      if (family == F32_FULL) {
        const w = addr(factor, c * wStride);
        for (let j = 0; j < d; j++) {
          let y = 0.0;
          for (let l = 0; l <= j; l++) y += ld(w, j * d + l) * (<f64>load<f32>(xi + (<usize>l << 2)) - ld(mu, l));
          q += y * y;
        }
      } else {
        for (let l = 0; l < d; l++) {
          const y = (<f64>load<f32>(xi + (<usize>l << 2)) - ld(mu, l)) * ld(factor, family == F32_DIAG ? c * d + l : c);
          q += y * y;
        }
      }
      st(out, i * k + c, constant + ld(logDet, c) + ld(logWeights, c) - 0.5 * q);
    }
  }
}

// e^x on f32x4 for x ≤ 0: x = k·ln2 + r with k = round(x/ln2), |r| ≤ ln2/2,
// e^r by its Taylor series to r⁷ (truncation 0.35⁸/8! ≈ 5e-9, under half an
// f32 ulp), 2^k added to the exponent field. ln2 is split so that k·ln2_hi
// is exact (ln2_hi has 9 significant bits, |k| < 2⁷). Below e^−86 the result
// is flushed to 0, which keeps 2^k·e^r a normal number; such terms are only
// ever added to 1.
const EXP32_CONST = memory.data<f32>([
  1.4426950408889634, 1.4426950408889634, 1.4426950408889634, 1.4426950408889634, // 1/ln2
  12582912.0, 12582912.0, 12582912.0, 12582912.0, // 1.5·2²³, the rounding shifter
  0.693359375, 0.693359375, 0.693359375, 0.693359375, // ln2, head
  -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, -2.12194440e-4, // ln2, tail
  -86.0, -86.0, -86.0, -86.0,
  1.0, 1.0, 1.0, 1.0, // then 1/2!, 1/3!, … 1/7! (the Taylor coefficients), every 16 bytes
  1.0 / 2, 1.0 / 2, 1.0 / 2, 1.0 / 2,
  1.0 / 6, 1.0 / 6, 1.0 / 6, 1.0 / 6,
  1.0 / 24, 1.0 / 24, 1.0 / 24, 1.0 / 24,
  1.0 / 120, 1.0 / 120, 1.0 / 120, 1.0 / 120,
  1.0 / 720, 1.0 / 720, 1.0 / 720, 1.0 / 720,
  1.0 / 5040, 1.0 / 5040, 1.0 / 5040, 1.0 / 5040,
], 16);

@inline function c32(offset: usize): v128 {
  return v128.load(EXP32_CONST + offset);
}

/**
 * e = exp(v − m) for `count` f32x4 values v, `stride` bytes apart from p,
 * stored in place with `store`; returns their sum. The 12 constants are
 * loaded from EXP32_CONST before the loop: V8 reloads a memory constant and
 * rebuilds a splatted one at each use, but keeps a loaded local in a
 * register (or one spill slot).
 */
@inline function expsInPlace32(p: usize, stride: usize, count: i32, m: v128, store: bool): v128 {
  const invLn2 = c32(0), shifter = c32(16), ln2Hi = c32(32), ln2Lo = c32(48), flush = c32(64);
  const one = c32(80), c2 = c32(96), c3 = c32(112), c4 = c32(128), c5 = c32(144), c6 = c32(160), c7 = c32(176);
  let s = f32x4.splat(0);
  const end = p + <usize>count * stride;
  for (let t = p; t < end; t += stride) {
    const x = f32x4.sub(v128.load(t), m);
    const tt = f32x4.add(f32x4.mul(x, invLn2), shifter);
    const kf = f32x4.sub(tt, shifter);
    let r = f32x4.sub(x, f32x4.mul(kf, ln2Hi));
    r = f32x4.sub(r, f32x4.mul(kf, ln2Lo));
    // 1 + r + r²/2 + … + r⁷/7!, Estrin's scheme
    const r2 = f32x4.mul(r, r);
    const r4 = f32x4.mul(r2, r2);
    const a = f32x4.add(one, r);
    const b = f32x4.add(c2, f32x4.mul(c3, r));
    const c = f32x4.add(c4, f32x4.mul(c5, r));
    const e6 = f32x4.add(c6, f32x4.mul(c7, r));
    const q = f32x4.add(f32x4.add(a, f32x4.mul(b, r2)), f32x4.mul(f32x4.add(c, f32x4.mul(e6, r2)), r4));
    // t − shifter is k exactly, and so are their bit patterns' difference (same binade)
    const scaled = i32x4.add(q, i32x4.shl(i32x4.sub(tt, shifter), 23));
    const e = v128.and(scaled, f32x4.ge(x, flush));
    if (store) v128.store(t, e);
    s = f32x4.add(s, e);
  }
  return s;
}
