// Weighted log-densities log(π_k) + log N(x_i | μ_k, Σ_k) for every row and
// component, one kernel per covariance family. Each writes the n×K matrix
// `out` (row-major), which the E-step then normalises.
//
// The density is evaluated through the precision factor W_k (Σ_k⁻¹ = W_kᵀW_k):
//   log N = −½ (d log 2π + ‖W_k (x − μ_k)‖²) + log det W_k,
// a triangular matrix–vector product and a squared norm, never an inverse.
import {
  KERNEL_SCRATCH, KERNEL_SCRATCH_VALUES, LOG_2PI, addr, dot, ld, loadedHalf, loadedMinusInfinity, loadedOne, logPositive, scaledSqDist, sqDist, st, sub,
} from "./vector-math";
import {
  PAIR_BUF, PAIR_MAX_K, finishPair, finishPairFrom, normalizeRowScalar, normalizeRows, pairExps, storeLogLikelihood, storePair,
} from "./estep";
import {
  BLOCK_BYTES, BLOCK_VECTORS, LINE_MAX_K, LINE_PARAMS, centreBlock, lineBlock, mahalanobis2, mahalanobisBlock, scaledNormBlock,
  splatLine, sqDistBlock, transformBlock,
} from "./block";

// Full/tied kernels put two rows side by side in each f64x2 (lane 0 = an
// even row, lane 1 = the next row) and take rows in blocks of PAIRS lane
// pairs, so every factor entry W[j][l] loaded once (splatted) feeds
// 2·PAIRS rows with no horizontal sums.
const PAIRS: i32 = BLOCK_VECTORS;
const BLOCK_ROWS: i32 = 2 * PAIRS;
const PAIR_BYTES: usize = BLOCK_BYTES; // one transposed feature of a block

/** The blocked full-covariance path fits in KERNEL_SCRATCH: two transposed blocks and the norms. */
@inline function fullBlocked(d: i32): bool {
  return 2 * d * BLOCK_ROWS + BLOCK_ROWS <= KERNEL_SCRATCH_VALUES;
}

/**
 * The fused E-steps' blocks fit in KERNEL_SCRATCH: the transposed and the
 * centred block (d features each), then the block's weighted log-densities,
 * one block vector per component (k), normalised where they lie.
 */
@inline function fusedBlocked(d: i32, k: i32): bool {
  return k <= PAIR_MAX_K && (2 * d + k) * BLOCK_ROWS <= KERNEL_SCRATCH_VALUES;
}

/** The blocked diagonal/spherical path fits in KERNEL_SCRATCH: one transposed block and the norms. */
@inline function diagBlocked(d: i32): bool {
  return d * BLOCK_ROWS + BLOCK_ROWS <= KERNEL_SCRATCH_VALUES;
}

/**
 * Full and tied covariances. `w` holds K lower-triangular d×d factors with a
 * stride of `wStride` values between components (d·d for full, 0 for tied,
 * where every component shares one factor). `diff` is scratch for d values
 * (used only by the simple path, for d too large for KERNEL_SCRATCH: d > 255).
 *
 * For each block of 8 rows the rows are transposed once (xt[l] = feature l
 * of the 8 rows); per component the centred block D = xt − μ is formed and
 * y = W·D computed by block.ts's mahalanobisBlock.
 */
export function logProbFull(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, diff: usize,
): void {
  if (!fullBlocked(d)) {
    logProbFullSimple(x, n, d, means, w, wStride, logDet, logWeights, k, out, diff);
    return;
  }
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    logProbFullBlock(x, i0, min(BLOCK_ROWS, n - i0), d, means, w, wStride, logDet, logWeights, k, out);
  }
}

/** eStepTied's blocks, the centre m and the transformed means ν fit in KERNEL_SCRATCH. */
@inline function tiedBlocked(d: i32, k: i32): bool {
  return k <= PAIR_MAX_K && (2 * d + k) * BLOCK_ROWS + (k + 1) * d <= KERNEL_SCRATCH_VALUES;
}

/** eStepTied's centre m (d values, the mean of the k means) and ν_c = W(μ_c − m) (k×d). */
export function tiedCentre(means: usize, w: usize, d: i32, k: i32, centre: usize, nu: usize): void {
  for (let l = 0; l < d; l++) {
    let s = 0.0;
    for (let c = 0; c < k; c++) s += ld(means, c * d + l);
    st(centre, l, s / <f64>k);
  }
  for (let c = 0; c < k; c++) {
    for (let j = 0; j < d; j++) {
      let s = 0.0;
      for (let l = 0; l <= j; l++) s += ld(w, j * d + l) * (ld(means, c * d + l) - ld(centre, l));
      st(nu, c * d + j, s);
    }
  }
}

/**
 * eStepFull for tied covariances beyond the d ≤ 4 register kernels (one
 * factor W for every component): each block of rows is transformed once,
 * y = W(x − m) with m the mean of the component means, and component c's
 * distance is ‖y − ν_c‖² with
 * ν_c = W(μ_c − m), computed once per call. That is d(d+1)/2 multiply-adds
 * per row plus d per row and component, where the per-component form of
 * eStepFull costs d(d+1)/2 per row and component (scikit-learn evaluates
 * tied densities this way too, about the origin). Centring on m keeps y of
 * the order of the rows' spread about the centres, so little cancels in
 * y − ν_c; the results equal the per-component form's to rounding.
 */
function eStepTied(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: usize,
): f64 {
  const centre = KERNEL_SCRATCH + <usize>(2 * d + k) * PAIR_BYTES;
  tiedCentre(means, w, d, k, centre, centre + (<usize>d << 3));
  let total = 0.0;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    total += eStepTiedBlock(x, i0, min(BLOCK_ROWS, n - i0), d, w, logDet, logWeights, k, out, logProbNorm, writeResp, acc);
  }
  return total;
}

/**
 * eStepTied on the block of `rows` rows from i0, one call per block (see
 * eStepFusedBlock for why); with `acc`, also adds the block's N_c and
 * Σ r·(x − m) to the lane-pair sums there (eStepTiedStats). Returns the
 * block's Σ logProbNorm.
 */
function eStepTiedBlock(
  x: usize, i0: i32, rows: i32, d: i32,
  w: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: usize,
): f64 {
  const xt = KERNEL_SCRATCH;
  const dm = xt + <usize>d * PAIR_BYTES;
  const lb = dm + <usize>d * PAIR_BYTES;
  const centre = lb + <usize>k * PAIR_BYTES;
  const nu = centre + (<usize>d << 3);
  const constant = -0.5 * <f64>d * LOG_2PI;
  transposeBlock(x, i0, rows, d, xt);
  centreBlock<f64>(xt, centre, d, dm);
  transformBlock<f64>(dm, w, d, xt);
  let q = lb;
  for (let c = 0; c < k; c++) {
    sqDistBlock<f64>(xt, nu + (<usize>(c * d) << 3), d, q);
    toLogDensity(q, constant + ld(logDet, c) + ld(logWeights, c));
    q += PAIR_BYTES;
  }
  if (!acc) return finishBlock(lb, rows, k, out, i0, logProbNorm, writeResp);
  const total = finishBlockKept(lb, rows, k, out, i0, logProbNorm);
  // dm still holds the block centred on m (transformBlock writes only xt)
  let a = acc;
  for (let c = 0; c < k; c++) {
    const rc = lb + <usize>c * PAIR_BYTES;
    const r0 = v128.load(rc);
    const r1 = v128.load(rc, 16);
    const r2 = v128.load(rc, 32);
    const r3 = v128.load(rc, 48);
    v128.store(a, f64x2.add(v128.load(a), f64x2.add(f64x2.add(r0, r1), f64x2.add(r2, r3))));
    let t = dm;
    let a1 = a + 16;
    for (let l = 0; l < d; l++) {
      const s = f64x2.add(
        f64x2.add(f64x2.mul(r0, v128.load(t)), f64x2.mul(r1, v128.load(t, 16))),
        f64x2.add(f64x2.mul(r2, v128.load(t, 32)), f64x2.mul(r3, v128.load(t, 48))),
      );
      v128.store(a1, f64x2.add(v128.load(a1), s));
      t += PAIR_BYTES;
      a1 += 16;
    }
    a += <usize>(d + 1) << 4;
  }
  return total;
}

/**
 * The tied E-step beyond the d ≤ 4 register kernels (eStepFull's results
 * bit for bit, writeResp on) that also sums, per block while it is in
 * cache, each component's N = Σ r and Σ r·x: `stats` holds k·(1 + d)
 * values in that order (and room for twice that: the sums run in lane
 * pairs and are added at the end). They are summed about the centre m of
 * the E-step (the mean of the component means), Σ r·(x − m), and N·m is
 * added last, so rows far from the origin lose no more than their own
 * rounding. The scatter is left to the caller (covariance.ts's
 * pooledScatter). Returns Σ_i logProbNorm[i], or NaN, writing nothing,
 * where eStepFull would not take the tied block path.
 */
export function eStepTiedStats(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, stats: usize,
): f64 {
  if (d <= 4 || !tiedBlocked(d, k)) return NaN;
  const per = 1 + d;
  memory.fill(stats, 0, <usize>(k * per) << 4);
  const total = eStepTied(x, n, d, means, w, logDet, logWeights, k, out, logProbNorm, true, stats);
  addLanes(stats, stats, k * per);
  const centre = KERNEL_SCRATCH + <usize>(2 * d + k) * PAIR_BYTES;
  for (let c = 0; c < k; c++) {
    const nk = ld(stats, c * per);
    for (let l = 0; l < d; l++) st(stats, c * per + 1 + l, ld(stats, c * per + 1 + l) + nk * ld(centre, l));
  }
  return total;
}

/** One row and component at a time (d > 255, too large for the blocked path). */
function logProbFullSimple(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, diff: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  for (let c = 0; c < k; c++) {
    const mu = addr(means, c * d);
    const wc = addr(w, c * wStride);
    const offset = constant + ld(logDet, c) + ld(logWeights, c);
    for (let i = 0; i < n; i++) {
      sub(diff, addr(x, i * d), mu, d);
      // y_j = Σ_{l≤j} W[j][l]·diff[l]: row j of W against the first j+1 entries
      let m = 0.0;
      for (let j = 0; j < d; j++) {
        const y = dot(addr(wc, j * d), diff, j + 1);
        m += y * y;
      }
      st(out, i * k + c, offset - 0.5 * m);
    }
  }
}

/**
 * The E-step for full and tied covariances in one pass: logProbFull on a
 * block of rows, then normalizeLogProb on the same rows while they are in
 * cache. Same arguments as the two, same results (but for the association
 * of the returned sum and a lone odd last row's, to rounding); returns
 * Σ_i logProbNorm[i]. d ≤ 4 keeps a row pair in registers (eStepSmall);
 * other d write each block's log-densities into a block buffer (d = 5 … 8
 * by straight-line code, eStepLine) and normalise them there, so the n×K
 * matrix is written once.
 */
export function eStepFull(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, diff: usize, logProbNorm: usize, writeResp: bool,
): f64 {
  if (d <= 4 && k <= SMALL_MAX_K) {
    if (d == 1) return eStep1(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, false);
    if (d == 2) return eStep2(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, false);
    if (d == 3) return eStep3(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, false);
    return eStep4(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, false);
  }
  if (wStride == 0 && tiedBlocked(d, k)) return eStepTied(x, n, d, means, w, logDet, logWeights, k, out, logProbNorm, writeResp, 0);
  if (d <= 8 && k <= SMALL_MAX_K && fusedBlocked(d, k)) {
    lineParams(means, w, wStride, logDet, logWeights, k, d);
    // one call per block (see eStepFusedBlock for why)
    let total = 0.0;
    for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
      const rows = min(BLOCK_ROWS, n - i0);
      if (d == 5) total += eStep5(x, i0, rows, k, out, logProbNorm, writeResp);
      else if (d == 6) total += eStep6(x, i0, rows, k, out, logProbNorm, writeResp);
      else if (d == 7) total += eStep7(x, i0, rows, k, out, logProbNorm, writeResp);
      else total += eStep8(x, i0, rows, k, out, logProbNorm, writeResp);
    }
    return total;
  }
  if (fusedBlocked(d, k)) {
    let total = 0.0;
    for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
      const rows = min(BLOCK_ROWS, n - i0);
      total += eStepFusedBlock(x, i0, rows, d, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp);
    }
    return total;
  }
  if (!fullBlocked(d)) {
    logProbFullSimple(x, n, d, means, w, wStride, logDet, logWeights, k, out, diff);
    return normalizeRows(out, 0, n, k, logProbNorm, writeResp);
  }
  let total = 0.0;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, n - i0);
    logProbFullBlock(x, i0, rows, d, means, w, wStride, logDet, logWeights, k, out);
    total += normalizeRows(out, i0, i0 + rows, k, logProbNorm, writeResp);
  }
  return total;
}

/**
 * eStepFull's blocked path for one block of rows: log-densities straight
 * into the block buffer, normalised there, so the n×K matrix is written
 * once, with the responsibilities; returns the block's Σ logProbNorm.
 * Deliberately its own function, called per block, rather than inlined
 * into the loop over blocks: V8 runs a call's first execution in its
 * baseline compiler (Liftoff) and cannot switch a running call to the
 * optimised code, so a first fit's E-step, one call over every row, would
 * run unoptimised to its end (at d = 64, K = 16 on 1e5 rows, 3–4× an
 * optimised iteration); called per block, it is optimised within the call.
 */
function eStepFusedBlock(
  x: usize, i0: i32, rows: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool,
): f64 {
  const xt = KERNEL_SCRATCH;
  const dm = xt + <usize>d * PAIR_BYTES;
  const lb = dm + <usize>d * PAIR_BYTES;
  const constant = -0.5 * <f64>d * LOG_2PI;
  transposeBlock(x, i0, rows, d, xt);
  let q = lb;
  for (let c = 0; c < k; c++) {
    const mu = addr(means, c * d);
    const wc = addr(w, c * wStride);
    if (d == 2) mahalanobis2<f64>(xt, mu, wc, q);
    else {
      centreBlock<f64>(xt, mu, d, dm);
      mahalanobisBlock<f64>(dm, wc, d, q);
    }
    toLogDensity(q, constant + ld(logDet, c) + ld(logWeights, c));
    q += PAIR_BYTES;
  }
  return finishBlock(lb, rows, k, out, i0, logProbNorm, writeResp);
}

/** q[p] ← offset − ½·q[p] for the block's PAIRS vectors: the arithmetic of storeColumn, in place. */
@inline function toLogDensity(q: usize, offset: f64): void {
  const off = f64x2.splat(offset);
  const half = loadedHalf();
  for (let p = 0; p < PAIRS; p++) {
    const o = <usize>p << 4;
    v128.store(q + o, f64x2.sub(off, f64x2.mul(half, v128.load(q + o))));
  }
}

/**
 * Normalises a block's rows from `lb` (component c's weighted log-densities
 * of the block at lb + c·PAIR_BYTES, lane pairs as in transposeBlock): as
 * normalizeRows on the same values, operation for operation, except that a
 * lone last row (odd n) is summed in lane order where normalizeRows sums
 * it two lanes at a time (equal to rounding). Returns the sum of the rows'
 * log-likelihoods. Not inlined: a call per 8 rows costs 1 % of the E-step
 * (instruction counts) and saves 0.4 kB gzipped.
 */
function finishBlock(lb: usize, rows: i32, k: i32, out: usize, i0: i32, logProbNorm: usize, writeResp: bool): f64 {
  let total = 0.0;
  for (let p = 0; p < PAIRS; p++) {
    const r = 2 * p;
    if (r >= rows) break;
    const r0 = addr(out, (i0 + r) * k);
    total += finishPairFrom(r0, r0 + (<usize>k << 3), r + 1 < rows, k, logProbNorm, i0 + r, writeResp, lb + (<usize>p << 4), PAIR_BYTES);
  }
  return total;
}

/**
 * finishBlock with the responsibilities written (writeResp) and also left in
 * lb where the log-densities were (component c of pair p at lb + c·PAIR_BYTES
 * + 16p) for the block's sums, so accumulateDiagonalBlock loads four vectors
 * per component rather than gathering eight rows' values from `out`: the
 * lone last row's second lane and pairs past the block's last row hold 0,
 * and a pair the scalar fallback normalised is read back from its rows.
 * The same responsibilities and log-likelihoods as finishBlock.
 */
function finishBlockKept(lb: usize, rows: i32, k: i32, out: usize, i0: i32, logProbNorm: usize): f64 {
  let total = 0.0;
  for (let p = 0; p < PAIRS; p++) {
    const r = 2 * p;
    const buf = lb + (<usize>p << 4);
    if (r >= rows) {
      for (let c = 0; c < k; c++) v128.store(buf + <usize>c * PAIR_BYTES, f64x2.splat(0));
      continue;
    }
    const two = r + 1 < rows;
    const r0 = addr(out, (i0 + r) * k);
    const r1 = r0 + (<usize>k << 3);
    const keep = two ? i64x2.splat(-1) : i64x2(-1, 0);
    let mx = loadedMinusInfinity();
    let probe = f64x2.splat(0);
    const end = buf + <usize>k * PAIR_BYTES;
    for (let t = buf; t < end; t += PAIR_BYTES) {
      const v = v128.load(t);
      mx = f64x2.pmax(mx, v);
      probe = f64x2.add(probe, v);
    }
    if (i64x2.bitmask(f64x2.eq(f64x2.sub(probe, probe), f64x2.splat(0))) == 3) {
      const s = pairExps(buf, PAIR_BYTES, k, mx);
      total += storeLogLikelihood(f64x2.add(mx, logPositive(s)), logProbNorm, i0 + r, two);
      storePair(r0, r1, two, k, f64x2.div(loadedOne(), s), buf, PAIR_BYTES, buf, keep, PAIR_BYTES);
    } else {
      total += finishPairScalarKept(r0, r1, two, k, logProbNorm, i0 + r, buf, PAIR_BYTES, keep, buf, PAIR_BYTES);
    }
  }
  return total;
}

// d ≤ 4 (plotting-scale data, colours, 3-D points): per component
// D + D(D+1)/2 + 1 splatted constants (μ₀ … μ_{D−1}, the lower triangle of W
// row by row W₀₀, W₁₀, W₁₁, W₂₀ …, then the offset), for up to SMALL_MAX_K
// components, in static memory (the module is single-threaded).
const SMALL_MAX_K: i32 = min(LINE_MAX_K, PAIR_MAX_K);
const SMALL_PARAMS = LINE_PARAMS; // block.ts's buffer, sized for lineBlock's d = 8

// One small function per D: eStepSmall is @inline with D a constant, so each
// wrapper is its own specialised body (the dispatcher above stays small, and
// V8 compiles four short functions rather than one with four copies inlined).
function eStep1(
  x: usize, n: i32, means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: bool,
): f64 {
  return eStepSmall(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, acc, 1);
}
function eStep2(
  x: usize, n: i32, means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: bool,
): f64 {
  return eStepSmall(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, acc, 2);
}
function eStep3(
  x: usize, n: i32, means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: bool,
): f64 {
  return eStepSmall(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, acc, 3);
}
function eStep4(
  x: usize, n: i32, means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: bool,
): f64 {
  return eStepSmall(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, writeResp, acc, 4);
}

/**
 * SMALL_PARAMS for k components of dimension D ≤ 4, each of its constants
 * splatted into both lanes; returns the bytes per component.
 */
function splatParams(means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32, D: i32): usize {
  const step = <usize>(D + (D * (D + 1)) / 2 + 1) << 4;
  const constant = -0.5 * <f64>D * LOG_2PI;
  const wRow = <usize>D << 3;
  for (let c = 0; c < k; c++) {
    const p = SMALL_PARAMS + <usize>c * step;
    const mu = addr(means, D * c);
    const wc = addr(w, c * wStride);
    let o: usize = 0;
    for (let j = 0; j < D; j++) {
      v128.store(p + o, v128.load64_splat(mu + (<usize>j << 3)));
      o += 16;
    }
    for (let j = 0; j < D; j++)
      for (let l = 0; l <= j; l++) {
        v128.store(p + o, v128.load64_splat(wc + <usize>j * wRow + (<usize>l << 3)));
        o += 16;
      }
    v128.store(p + o, f64x2.splat(constant + ld(logDet, c) + ld(logWeights, c)));
  }
  return step;
}

/** lineBlock's constants (block.ts's splatLine), then each component's offset: log weight + log-determinant − ½D·log 2π. */
function lineParams(means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32, D: i32): usize {
  const step = splatLine<f64>(means, w, wStride, k, D);
  const constant = -0.5 * <f64>D * LOG_2PI;
  for (let c = 0; c < k; c++)
    v128.store(SMALL_PARAMS + <usize>c * step, f64x2.splat(constant + ld(logDet, c) + ld(logWeights, c)));
  return step;
}

// One function per D (as eStep1 … eStep4): V8 compiles four short bodies.
// Each does one block of rows, after lineParams has laid out the constants.
function eStep5(x: usize, i0: i32, rows: i32, k: i32, out: usize, logProbNorm: usize, writeResp: bool): f64 {
  return eStepLine(x, i0, rows, k, out, logProbNorm, writeResp, 5);
}
function eStep6(x: usize, i0: i32, rows: i32, k: i32, out: usize, logProbNorm: usize, writeResp: bool): f64 {
  return eStepLine(x, i0, rows, k, out, logProbNorm, writeResp, 6);
}
function eStep7(x: usize, i0: i32, rows: i32, k: i32, out: usize, logProbNorm: usize, writeResp: bool): f64 {
  return eStepLine(x, i0, rows, k, out, logProbNorm, writeResp, 7);
}
function eStep8(x: usize, i0: i32, rows: i32, k: i32, out: usize, logProbNorm: usize, writeResp: bool): f64 {
  return eStepLine(x, i0, rows, k, out, logProbNorm, writeResp, 8);
}

/**
 * eStepFull's blocked path at d = D ∈ 5 … 8, K ≤ SMALL_MAX_K, without its
 * loops over features (block.ts's lineBlock; the same bits as the tiles),
 * for the block of `rows` rows from i0; returns its Σ logProbNorm. At
 * these d the tiles' loops run one to four times, and their control and the
 * centred block's stores cost as much as the arithmetic (instruction counts
 * per row at K = 8 for the log-densities: d = 5 617 by the tiles, 375 here;
 * d = 8 1,045 and 729).
 */
@inline function eStepLine(
  x: usize, i0: i32, rows: i32, k: i32, out: usize, logProbNorm: usize, writeResp: bool, D: i32,
): f64 {
  const xt = KERNEL_SCRATCH;
  const lb = xt + <usize>D * PAIR_BYTES;
  transposeBlock(x, i0, rows, D, xt);
  lineBlock<f64>(xt, lb, k, D);
  return finishBlock(lb, rows, k, out, i0, logProbNorm, writeResp);
}

/**
 * eStepFull for d = D ≤ 4 (a constant at every call, so the branches on it
 * fold away): two rows per f64x2 from the start, regrouped by feature, so
 * the log-densities of a row pair go straight into PAIR_BUF, the buffer the
 * normalisation works on, never through the n×K matrix. The arithmetic is
 * mahalanobisBlock's operation for operation (y₀ = W₀₀d₀, y₁ = W₁₀d₀ + W₁₁d₁,
 * y₂ = (W₂₀d₀ + W₂₁d₁) + W₂₂d₂, y₃ = ((W₃₀d₀ + W₃₁d₁) + W₃₂d₂) + W₃₃d₃,
 * q = (y₀² + y₁²) + (y₂² + y₃²), or + y₂² alone at D = 3; its additions to 0
 * dropped, which changes no square) and then normalizeLogProb's, so the
 * results are the blocked path's bit for bit.
 */
@inline function eStepSmall(
  x: usize, n: i32, means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: bool, D: i32,
): f64 {
  const step = splatParams(means, w, wStride, logDet, logWeights, k, D);
  const half = loadedHalf();
  const end = SMALL_PARAMS + <usize>k * step;
  const z = f64x2.splat(0);
  let total = 0.0;
  let held = 0; // row pairs kept for accumulateBlock
  for (let i = 0; i < n; i += 2) {
    const two = i + 1 < n;
    const ra = addr(x, D * i);
    let x0 = z, x1 = z, x2 = z, x3 = z;
    if (two) {
      if (D == 1) x0 = v128.load(ra);
      else if (D == 2) {
        // rows i, i + 1: (a0 a1) (b0 b1)
        const u = v128.load(ra);
        const v = v128.load(ra, 16);
        x0 = i64x2.shuffle(u, v, 0, 2);
        x1 = i64x2.shuffle(u, v, 1, 3);
      } else if (D == 3) {
        // (a0 a1) (a2 b0) (b1 b2)
        const u = v128.load(ra);
        const v = v128.load(ra, 16);
        const t = v128.load(ra, 32);
        x0 = i64x2.shuffle(u, v, 0, 3);
        x1 = i64x2.shuffle(u, t, 1, 2);
        x2 = i64x2.shuffle(v, t, 0, 3);
      } else {
        // (a0 a1) (a2 a3) (b0 b1) (b2 b3)
        const u = v128.load(ra);
        const v = v128.load(ra, 16);
        const s = v128.load(ra, 32);
        const t = v128.load(ra, 48);
        x0 = i64x2.shuffle(u, s, 0, 2);
        x1 = i64x2.shuffle(u, s, 1, 3);
        x2 = i64x2.shuffle(v, t, 0, 2);
        x3 = i64x2.shuffle(v, t, 1, 3);
      }
    } else {
      x0 = v128.load64_splat(ra);
      if (D > 1) x1 = v128.load64_splat(ra, 8);
      if (D > 2) x2 = v128.load64_splat(ra, 16);
      if (D > 3) x3 = v128.load64_splat(ra, 24);
    }
    let mx = loadedMinusInfinity();
    let probe = f64x2.splat(0);
    let t = PAIR_BUF;
    for (let p = SMALL_PARAMS; p < end; p += step) {
      let q: v128;
      const d0 = f64x2.sub(x0, v128.load(p));
      if (D == 1) {
        const y0 = f64x2.mul(v128.load(p, 16), d0);
        q = f64x2.mul(y0, y0);
      } else if (D == 2) {
        const d1 = f64x2.sub(x1, v128.load(p, 16));
        const y0 = f64x2.mul(v128.load(p, 32), d0);
        const y1 = f64x2.add(f64x2.mul(v128.load(p, 48), d0), f64x2.mul(v128.load(p, 64), d1));
        q = f64x2.add(f64x2.mul(y0, y0), f64x2.mul(y1, y1));
      } else if (D == 3) {
        const d1 = f64x2.sub(x1, v128.load(p, 16));
        const d2 = f64x2.sub(x2, v128.load(p, 32));
        const y0 = f64x2.mul(v128.load(p, 48), d0);
        const y1 = f64x2.add(f64x2.mul(v128.load(p, 64), d0), f64x2.mul(v128.load(p, 80), d1));
        const y2 = f64x2.add(f64x2.add(f64x2.mul(v128.load(p, 96), d0), f64x2.mul(v128.load(p, 112), d1)), f64x2.mul(v128.load(p, 128), d2));
        q = f64x2.add(f64x2.add(f64x2.mul(y0, y0), f64x2.mul(y1, y1)), f64x2.mul(y2, y2));
      } else {
        const d1 = f64x2.sub(x1, v128.load(p, 16));
        const d2 = f64x2.sub(x2, v128.load(p, 32));
        const d3 = f64x2.sub(x3, v128.load(p, 48));
        const y0 = f64x2.mul(v128.load(p, 64), d0);
        const y1 = f64x2.add(f64x2.mul(v128.load(p, 80), d0), f64x2.mul(v128.load(p, 96), d1));
        const y2 = f64x2.add(f64x2.add(f64x2.mul(v128.load(p, 112), d0), f64x2.mul(v128.load(p, 128), d1)), f64x2.mul(v128.load(p, 144), d2));
        const y3 = f64x2.add(
          f64x2.add(f64x2.add(f64x2.mul(v128.load(p, 160), d0), f64x2.mul(v128.load(p, 176), d1)), f64x2.mul(v128.load(p, 192), d2)),
          f64x2.mul(v128.load(p, 208), d3),
        );
        q = f64x2.add(f64x2.add(f64x2.mul(y0, y0), f64x2.mul(y1, y1)), f64x2.add(f64x2.mul(y2, y2), f64x2.mul(y3, y3)));
      }
      const v = f64x2.sub(v128.load(p + step - 16), f64x2.mul(half, q));
      v128.store(t, v);
      mx = f64x2.pmax(mx, v);
      probe = f64x2.add(probe, v);
      t += 16;
    }
    const r0 = addr(out, i * k);
    const r1 = r0 + (<usize>k << 3);
    if (!acc) {
      // without responsibilities, the rows keep the log-densities (predict reads them)
      if (!writeResp) storePair(r0, r1, two, k, f64x2.splat(1.0), PAIR_BUF, 16);
      total += finishPair(r0, r1, two, k, mx, probe, logProbNorm, i, writeResp, !writeResp, PAIR_BUF, 16);
      continue;
    }
    // the statistics: the pair's responsibilities and rows are kept for the
    // block's sums (accumulateBlock), the lone last row's second lane weighted 0
    const keep = two ? i64x2.splat(-1) : i64x2(-1, 0);
    const rp = STATS_RESP + <usize>held * (<usize>k << 4);
    if (i64x2.bitmask(f64x2.eq(f64x2.sub(probe, probe), z)) == 3) {
      total += finishPairKept(r0, r1, two, k, mx, logProbNorm, i, keep, rp);
    } else {
      total += finishPairScalarKept(r0, r1, two, k, logProbNorm, i, PAIR_BUF, 16, keep, rp, 16);
    }
    const xp = STATS_ROWS + (<usize>held << 6);
    v128.store(xp, x0);
    if (D > 1) v128.store(xp, x1, 16);
    if (D > 2) v128.store(xp, x2, 32);
    if (D > 3) v128.store(xp, x3, 48);
    held++;
    if (held == STATS_PAIRS || i + 2 >= n) {
      accumulateBlock(held, k, D, step);
      held = 0;
    }
  }
  return total;
}

/**
 * finishPair for a finite pair, the E-step's statistics wanted: the same
 * exps, log-likelihoods and responsibilities e·(1/s) (stored to the rows),
 * each also kept, masked by `keep`, at rp (component by component) for
 * accumulateBlock.
 */
function finishPairKept(
  r0: usize, r1: usize, two: bool, k: i32, mx: v128, logProbNorm: usize, i: i32, keep: v128, rp: usize,
): f64 {
  const s = pairExps(PAIR_BUF, 16, k, mx);
  const total = storeLogLikelihood(f64x2.add(mx, logPositive(s)), logProbNorm, i, two);
  storePair(r0, r1, two, k, f64x2.div(loadedOne(), s), PAIR_BUF, 16, rp, keep);
  return total;
}

/**
 * A pair holding a NaN or an infinite value (its values at buf, stride bytes
 * apart), the statistics wanted: finishPair's scalar path row by row, its
 * responsibilities then read back from the rows into rp (keptStride bytes
 * apart, masked by `keep`) as finishPairKept would have kept them. Returns
 * the pair's Σ logProbNorm. Not inlined: it runs only on such pairs.
 */
function finishPairScalarKept(
  r0: usize, r1: usize, two: bool, k: i32, logProbNorm: usize, i: i32,
  buf: usize, stride: usize, keep: v128, rp: usize, keptStride: usize,
): f64 {
  storePair(r0, r1, two, k, f64x2.splat(1.0), buf, stride);
  let total = normalizeRowScalar(r0, k, logProbNorm, i, true);
  if (two) total += normalizeRowScalar(r1, k, logProbNorm, i + 1, true);
  const rb = two ? r1 : r0;
  for (let c = 0; c < k; c++) {
    const o = <usize>c << 3;
    v128.store(rp + <usize>c * keptStride, v128.and(v128.load64_lane(rb + o, v128.load64_splat(r0 + o), 1), keep));
  }
  return total;
}

/**
 * The E-step of eStepFull for d ≤ 4 (and K ≤ 64) that also sums, while each
 * row pair is in registers, the statistics an M-step needs, so the M-step
 * reads neither the rows nor the responsibilities again: per component, in
 * `stats` (K blocks of D(D+1)/2 + 1 + D values), Σ r d_j d_l for l ≤ j (row by
 * row, W's triangle order), then N = Σ r, then Σ r d_j, where d = x − μ about
 * the means given (the E-step's). covariance.ts turns them into the scatter
 * about the new means. Responsibilities (writeResp is always on) and
 * log-likelihoods are eStepFull's bit for bit; returns Σ_i logProbNorm[i].
 * Returns NaN, writing nothing, for d or K outside the register kernels.
 */
export function eStepFullStats(
  x: usize, n: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, stats: usize,
): f64 {
  if (d > 4 || k > SMALL_MAX_K) return NaN;
  const per = (d * (d + 1)) / 2 + 1 + d;
  memory.fill(KERNEL_SCRATCH, 0, <usize>(k * per) << 4);
  let total = 0.0;
  if (d == 1) total = eStep1(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, true, true);
  else if (d == 2) total = eStep2(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, true, true);
  else if (d == 3) total = eStep3(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, true, true);
  else total = eStep4(x, n, means, w, wStride, logDet, logWeights, k, out, logProbNorm, true, true);
  // the two lanes (even rows, odd rows) of every accumulator added
  addLanes(KERNEL_SCRATCH, stats, k * per);
  return total;
}

// eStepFullStats' working memory in KERNEL_SCRATCH: the accumulators (two
// lanes per value, per component D(D+1)/2 + 1 + D of them), then the
// responsibilities (component by component) and rows (D features, 64 bytes)
// of up to STATS_PAIRS row pairs waiting to be summed.
const STATS_PAIRS: i32 = 8;
const STATS_RESP: usize = KERNEL_SCRATCH + <usize>(15 * SMALL_MAX_K) * 16;
const STATS_ROWS: usize = STATS_RESP + <usize>(STATS_PAIRS * SMALL_MAX_K) * 16;

/**
 * Adds the kept row pairs' shares to the accumulators of eStepFullStats,
 * component by component: each component's accumulators stay in registers
 * over the pairs, which are added in row order, so every sum is the one a
 * pair-at-a-time loop would make.
 */
@inline function accumulateBlock(pairs: i32, k: i32, D: i32, step: usize): void {
  const triangle = <usize>((D * (D + 1)) / 2) << 4;
  const per = triangle + (<usize>(1 + D) << 4);
  const respStride = <usize>k << 4;
  let a = KERNEL_SCRATCH;
  let p = SMALL_PARAMS;
  const rowsEnd = STATS_ROWS + (<usize>pairs << 6);
  for (let c = 0; c < k; c++) {
    const m0 = v128.load(p);
    const m1 = D > 1 ? v128.load(p, 16) : m0;
    const m2 = D > 2 ? v128.load(p, 32) : m0;
    const m3 = D > 3 ? v128.load(p, 48) : m0;
    // Σ r d_j d_l (l ≤ j), then N, then Σ r d_j
    let s00 = v128.load(a);
    let s10 = D > 1 ? v128.load(a, 16) : s00;
    let s11 = D > 1 ? v128.load(a, 32) : s00;
    let s20 = D > 2 ? v128.load(a, 48) : s00;
    let s21 = D > 2 ? v128.load(a, 64) : s00;
    let s22 = D > 2 ? v128.load(a, 80) : s00;
    let s30 = D > 3 ? v128.load(a, 96) : s00;
    let s31 = D > 3 ? v128.load(a, 112) : s00;
    let s32 = D > 3 ? v128.load(a, 128) : s00;
    let s33 = D > 3 ? v128.load(a, 144) : s00;
    const b = a + triangle;
    let nk = v128.load(b);
    let t0 = v128.load(b, 16);
    let t1 = D > 1 ? v128.load(b, 32) : t0;
    let t2 = D > 2 ? v128.load(b, 48) : t0;
    let t3 = D > 3 ? v128.load(b, 64) : t0;
    let rq = STATS_RESP + (<usize>c << 4);
    for (let xq = STATS_ROWS; xq < rowsEnd; xq += 64) {
      const r = v128.load(rq);
      const d0 = f64x2.sub(v128.load(xq), m0);
      const e0 = f64x2.mul(r, d0);
      s00 = f64x2.add(s00, f64x2.mul(e0, d0));
      nk = f64x2.add(nk, r);
      t0 = f64x2.add(t0, e0);
      if (D > 1) {
        const d1 = f64x2.sub(v128.load(xq, 16), m1);
        const e1 = f64x2.mul(r, d1);
        s10 = f64x2.add(s10, f64x2.mul(e1, d0));
        s11 = f64x2.add(s11, f64x2.mul(e1, d1));
        t1 = f64x2.add(t1, e1);
        if (D > 2) {
          const d2 = f64x2.sub(v128.load(xq, 32), m2);
          const e2 = f64x2.mul(r, d2);
          s20 = f64x2.add(s20, f64x2.mul(e2, d0));
          s21 = f64x2.add(s21, f64x2.mul(e2, d1));
          s22 = f64x2.add(s22, f64x2.mul(e2, d2));
          t2 = f64x2.add(t2, e2);
          if (D > 3) {
            const d3 = f64x2.sub(v128.load(xq, 48), m3);
            const e3 = f64x2.mul(r, d3);
            s30 = f64x2.add(s30, f64x2.mul(e3, d0));
            s31 = f64x2.add(s31, f64x2.mul(e3, d1));
            s32 = f64x2.add(s32, f64x2.mul(e3, d2));
            s33 = f64x2.add(s33, f64x2.mul(e3, d3));
            t3 = f64x2.add(t3, e3);
          }
        }
      }
      rq += respStride;
    }
    v128.store(a, s00);
    if (D > 1) {
      v128.store(a, s10, 16);
      v128.store(a, s11, 32);
    }
    if (D > 2) {
      v128.store(a, s20, 48);
      v128.store(a, s21, 64);
      v128.store(a, s22, 80);
    }
    if (D > 3) {
      v128.store(a, s30, 96);
      v128.store(a, s31, 112);
      v128.store(a, s32, 128);
      v128.store(a, s33, 144);
    }
    v128.store(b, nk);
    v128.store(b, t0, 16);
    if (D > 1) v128.store(b, t1, 32);
    if (D > 2) v128.store(b, t2, 48);
    if (D > 3) v128.store(b, t3, 64);
    a += per;
    p += step;
  }
}

function logProbFullBlock(
  x: usize, i0: i32, rows: i32, d: i32,
  means: usize, w: usize, wStride: i32, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  const xt = KERNEL_SCRATCH;
  const dm = xt + <usize>d * PAIR_BYTES;
  const q = dm + <usize>d * PAIR_BYTES;
  const constant = -0.5 * <f64>d * LOG_2PI;
  transposeBlock(x, i0, rows, d, xt);
  if (d == 2) {
    for (let c = 0; c < k; c++) {
      mahalanobis2<f64>(xt, addr(means, 2 * c), addr(w, c * wStride), q);
      storeColumn(q, constant + ld(logDet, c) + ld(logWeights, c), out, i0, rows, k, c);
    }
    return;
  }
  for (let c = 0; c < k; c++) {
    centreBlock<f64>(xt, addr(means, c * d), d, dm);
    mahalanobisBlock<f64>(dm, addr(w, c * wStride), d, q);
    storeColumn(q, constant + ld(logDet, c) + ld(logWeights, c), out, i0, rows, k, c);
  }
}

/**
 * xt[l][p] = (x[i0+2p][l], x[i0+2p+1][l]) for l < d, p < PAIRS. Rows past
 * the end repeat the last row, so padding lanes hold finite numbers.
 */
@inline function transposeBlock(x: usize, i0: i32, rows: i32, d: i32, xt: usize): void {
  const last = i0 + rows - 1;
  for (let p = 0; p < PAIRS; p++) {
    const ra = addr(x, min(i0 + 2 * p, last) * d);
    const rb = addr(x, min(i0 + 2 * p + 1, last) * d);
    let t = xt + (<usize>p << 4);
    let l = 0;
    for (; l + 2 <= d; l += 2) {
      const o = <usize>l << 3;
      const a = v128.load(ra + o);
      const b = v128.load(rb + o);
      v128.store(t, i64x2.shuffle(a, b, 0, 2));
      v128.store(t + PAIR_BYTES, i64x2.shuffle(a, b, 1, 3));
      t += 2 * PAIR_BYTES;
    }
    if (l < d) {
      const o = <usize>l << 3;
      v128.store(t, i64x2.shuffle(v128.load64_splat(ra + o), v128.load64_splat(rb + o), 0, 2));
    }
  }
}

/** out[i][c] = offset − ½·q for the block's real rows (lane pairs → rows). */
@inline function storeColumn(q: usize, offset: f64, out: usize, i0: i32, rows: i32, k: i32, c: i32): void {
  const off = f64x2.splat(offset);
  const half = loadedHalf();
  for (let p = 0; p < PAIRS; p++) {
    const r = 2 * p;
    if (r >= rows) break;
    const v = f64x2.sub(off, f64x2.mul(half, v128.load(q + (<usize>p << 4))));
    v128.store64_lane(addr(out, (i0 + r) * k + c), v, 0);
    if (r + 1 < rows) v128.store64_lane(addr(out, (i0 + r + 1) * k + c), v, 1);
  }
}

/**
 * Diagonal covariances: `prec` is K×d with p = 1/σ. Rows two to an f64x2
 * as in logProbFull: per component and feature, one splatted mean and
 * precision serve a block's eight rows.
 */
export function logProbDiag(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  logProbScaled(x, n, d, means, prec, d, 8, logDet, logWeights, k, out);
}

/**
 * The E-step for diagonal covariances in one pass: logProbDiag and
 * normalizeLogProb on each block of rows while it is in cache (eStepFull's
 * contract). Returns Σ_i logProbNorm[i].
 */
export function eStepDiag(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool,
): f64 {
  return eStepScaled(x, n, d, means, prec, d, 8, logDet, logWeights, k, out, logProbNorm, writeResp, 0, 0);
}

/** eStepDiag for spherical covariances (`prec`: one p = 1/σ per component). */
export function eStepSpherical(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool,
): f64 {
  return eStepScaled(x, n, d, means, prec, 1, 0, logDet, logWeights, k, out, logProbNorm, writeResp, 0, 0);
}

/**
 * eStepDiag (or eStepSpherical) that also sums, per block of rows while it
 * is transposed in cache, the statistics the M-step needs, so the M-step
 * reads neither the rows nor the responsibilities again: per component, in
 * `stats`, N = Σ r, then Σ r·d_l and then Σ r·d_l² for each feature, with
 * d = x − μ about the means given (the E-step's); 1 + 2d values each.
 * `stats` must hold twice that (k·(2 + 4d) values): the sums run in two
 * lanes (even and odd rows) there and are added into its first half at the
 * end. Responsibilities and log-likelihoods are eStepDiag's bit for bit;
 * returns Σ_i logProbNorm[i], or NaN, writing nothing, when d and k are too
 * large for the blocked path. `weights` (n sample weights, or 0 for none)
 * scale each row's responsibilities in the sums only, each product r·s the
 * one weighRows forms: the stored responsibilities and log-likelihoods stay
 * unweighted, for the caller to weigh.
 */
export function eStepDiagonalStats(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, spherical: bool, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, stats: usize, weights: usize,
): f64 {
  if (!fusedBlocked(d, k)) return NaN;
  const per = 1 + 2 * d;
  memory.fill(stats, 0, <usize>(k * per) << 4);
  const total = spherical
    ? eStepScaled(x, n, d, means, prec, 1, 0, logDet, logWeights, k, out, logProbNorm, true, stats, weights)
    : eStepScaled(x, n, d, means, prec, d, 8, logDet, logWeights, k, out, logProbNorm, true, stats, weights);
  addLanes(stats, stats, k * per);
  return total;
}

/**
 * to[m] = lane 0 + lane 1 of the f64x2 at from + 16m, for m < count: the
 * fused E-steps' lane-pair sums (even rows, odd rows) added. `to` may be
 * `from` (front to back, each value read before it is overwritten).
 */
export function addLanes(from: usize, to: usize, count: i32): void {
  for (let m = 0; m < count; m++) {
    const v = v128.load(from + (<usize>m << 4));
    st(to, m, f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1));
  }
}

/**
 * Adds a block's share to eStepDiagonalStats' lane-pair sums at `acc`
 * (per component N, Σ r·d_l, Σ r·d_l², one f64x2 each): the block's rows
 * are transposed in xt, their responsibilities in `resp` as finishBlockKept
 * leaves them (pairs past the last row weigh 0).
 */
@inline function accumulateDiagonalBlock(xt: usize, means: usize, d: i32, k: i32, resp: usize, acc: usize): void {
  const featureBytes = <usize>d << 4;
  let a = acc;
  for (let c = 0; c < k; c++) {
    // the block's four pairs of responsibilities
    const rc = resp + <usize>c * PAIR_BYTES;
    const r0 = v128.load(rc);
    const r1 = v128.load(rc, 16);
    const r2 = v128.load(rc, 32);
    const r3 = v128.load(rc, 48);
    v128.store(a, f64x2.add(v128.load(a), f64x2.add(f64x2.add(r0, r1), f64x2.add(r2, r3))));
    const mu = addr(means, c * d);
    let t = xt;
    let a1 = a + 16;
    for (let l = 0; l < d; l++) {
      const m = v128.load64_splat(mu + (<usize>l << 3));
      const d0 = f64x2.sub(v128.load(t), m);
      const d1 = f64x2.sub(v128.load(t, 16), m);
      const d2 = f64x2.sub(v128.load(t, 32), m);
      const d3 = f64x2.sub(v128.load(t, 48), m);
      const e0 = f64x2.mul(r0, d0);
      const e1 = f64x2.mul(r1, d1);
      const e2 = f64x2.mul(r2, d2);
      const e3 = f64x2.mul(r3, d3);
      v128.store(a1, f64x2.add(v128.load(a1), f64x2.add(f64x2.add(e0, e1), f64x2.add(e2, e3))));
      const s = f64x2.add(f64x2.add(f64x2.mul(e0, d0), f64x2.mul(e1, d1)), f64x2.add(f64x2.mul(e2, d2), f64x2.mul(e3, d3)));
      const a2 = a1 + featureBytes;
      v128.store(a2, f64x2.add(v128.load(a2), s));
      t += PAIR_BYTES;
      a1 += 16;
    }
    a += featureBytes + featureBytes + 16;
  }
}

/**
 * The block's kept responsibilities (finishBlockKept's layout: per component
 * four row pairs) times the rows' sample weights, in place: r·s, the product
 * weighRows forms. Pairs past the last row hold 0 and are left so (their
 * weights are never read).
 */
function weighKept(kept: usize, k: i32, weights: usize, i0: i32, rows: i32): void {
  for (let q = 0; q < BLOCK_ROWS; q += 2) {
    const w = blockResp(weights, i0, q, rows, 1, 0);
    for (let c = 0; c < k; c++) {
      const p = kept + <usize>c * PAIR_BYTES + (<usize>q << 3);
      v128.store(p, f64x2.mul(v128.load(p), w));
    }
  }
}

/** Responsibilities of component c (byte offset o in a row) for rows i0 + q, i0 + q + 1 of a block of `rows` as a pair; 0 past the last. */
@inline export function blockResp(out: usize, i0: i32, q: i32, rows: i32, k: i32, o: usize): v128 {
  const last = i0 + rows - 1;
  const ra = addr(out, min(i0 + q, last) * k) + o;
  const rb = addr(out, min(i0 + q + 1, last) * k) + o;
  const pair = v128.load64_lane(rb, v128.load64_splat(ra), 1);
  return v128.and(pair, q + 1 < rows ? i64x2.splat(-1) : q < rows ? i64x2(-1, 0) : i64x2.splat(0));
}

function eStepScaled(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, perComponent: i32, sStride: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: usize, weights: usize,
): f64 {
  if (!fusedBlocked(d, k)) {
    logProbScaled(x, n, d, means, prec, perComponent, sStride, logDet, logWeights, k, out);
    return normalizeRows(out, 0, n, k, logProbNorm, writeResp);
  }
  let total = 0.0;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, n - i0);
    total += eStepScaledBlock(x, i0, rows, d, means, prec, perComponent, sStride, logDet, logWeights, k, out, logProbNorm, writeResp, acc, weights);
  }
  return total;
}

/** eStepScaled for the block of `rows` rows from i0, one call per block (see eStepFusedBlock for why); returns its Σ logProbNorm. */
function eStepScaledBlock(
  x: usize, i0: i32, rows: i32, d: i32,
  means: usize, prec: usize, perComponent: i32, sStride: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize, logProbNorm: usize, writeResp: bool, acc: usize, weights: usize,
): f64 {
  const constant = -0.5 * <f64>d * LOG_2PI;
  const xt = KERNEL_SCRATCH;
  const lb = xt + <usize>d * PAIR_BYTES;
  transposeBlock(x, i0, rows, d, xt);
  let q = lb;
  for (let c = 0; c < k; c++) {
    scaledNormBlock<f64>(xt, addr(means, c * d), addr(prec, c * perComponent), sStride, d, q);
    toLogDensity(q, constant + ld(logDet, c) + ld(logWeights, c));
    q += PAIR_BYTES;
  }
  if (!acc) return finishBlock(lb, rows, k, out, i0, logProbNorm, writeResp);
  const total = finishBlockKept(lb, rows, k, out, i0, logProbNorm);
  if (weights) weighKept(lb, k, weights, i0, rows);
  accumulateDiagonalBlock(xt, means, d, k, lb, acc);
  return total;
}

/** Spherical covariances: `prec` holds one p = 1/σ per component. */
export function logProbSpherical(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  logProbScaled(x, n, d, means, prec, 1, 0, logDet, logWeights, k, out);
}

/**
 * Both: component c's precisions start at value c·perComponent of `prec`
 * and are read at byte stride `sStride` per feature (8: one per feature;
 * 0: the one precision for every feature).
 */
function logProbScaled(
  x: usize, n: i32, d: i32,
  means: usize, prec: usize, perComponent: i32, sStride: usize, logDet: usize, logWeights: usize, k: i32,
  out: usize,
): void {
  const constant = -0.5 * <f64>d * LOG_2PI;
  if (!diagBlocked(d)) {
    for (let c = 0; c < k; c++) {
      const mu = addr(means, c * d);
      const pc = addr(prec, c * perComponent);
      const p = ld(pc, 0);
      const offset = constant + ld(logDet, c) + ld(logWeights, c);
      for (let i = 0; i < n; i++) {
        const xi = addr(x, i * d);
        const q = sStride == 0 ? p * p * sqDist(xi, mu, d) : scaledSqDist(xi, mu, pc, d);
        st(out, i * k + c, offset - 0.5 * q);
      }
    }
    return;
  }
  const xt = KERNEL_SCRATCH;
  const q = xt + <usize>d * PAIR_BYTES;
  for (let i0 = 0; i0 < n; i0 += BLOCK_ROWS) {
    const rows = min(BLOCK_ROWS, n - i0);
    transposeBlock(x, i0, rows, d, xt);
    for (let c = 0; c < k; c++) {
      scaledNormBlock<f64>(xt, addr(means, c * d), addr(prec, c * perComponent), sStride, d, q);
      storeColumn(q, constant + ld(logDet, c) + ld(logWeights, c), out, i0, rows, k, c);
    }
  }
}

