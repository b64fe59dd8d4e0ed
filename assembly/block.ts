// The Mahalanobis kernels on a block of transposed rows, shared by the f64
// E-step (logprob.ts: two rows per f64x2) and the f32 one (estep32.ts: four
// rows per f32x4). A block holds, per feature, BLOCK_VECTORS vectors of rows
// side by side (64 bytes either way), so every splatted parameter feeds all
// of the block's rows with no horizontal sums. T is the lane type, f64 or
// f32; the sizeof<T>() branches fold at compile time, so each instantiation
// is the plain SIMD code for its type.

import { loadedHalf } from "./vector-math";

/** Vectors per block and per feature; a block has BLOCK_VECTORS·16/sizeof<T> rows. */
export const BLOCK_VECTORS: i32 = 4;
/** Bytes of one transposed feature (or of one component's results) of a block. */
export const BLOCK_BYTES: usize = 16 * BLOCK_VECTORS;

const HALF_F32 = memory.data<f32>([0.5, 0.5, 0.5, 0.5], 16); // float32's loadedHalf

/** The most components lineBlock takes (LINE_PARAMS holds their constants). */
export const LINE_MAX_K: i32 = 64;

/**
 * lineBlock's splatted constants for up to LINE_MAX_K components at d ≤ 8
 * (45 of 16 bytes each), in static memory: the module is single-threaded,
 * and the f64 and f32 E-steps (which also keep their d ≤ 4 constants here)
 * never run at once.
 */
export const LINE_PARAMS = memory.data(720 * LINE_MAX_K, 16);

/** Bytes of one component's constants in LINE_PARAMS at d = D: the offset, then D rows of μ_j, W[j][0 … j]. */
@inline export function lineStep(D: i32): usize {
  return <usize>(1 + (D * (D + 3)) / 2) << 4;
}

/**
 * LINE_PARAMS for lineBlock<T>: per component, row by row, μ_j, W[j][0],
 * …, W[j][j] from the T values at `means` (k×D) and `w` (factors wStride
 * apart, rows D long), each splatted to a vector of T; row j starts at
 * constant 1 + j(j + 3)/2 whatever D is. Slot 0 of each component, its
 * offset, is the caller's to write. Returns lineStep(D).
 */
export function splatLine<T>(means: usize, w: usize, wStride: i32, k: i32, D: i32): usize {
  const step = lineStep(D);
  for (let c = 0; c < k; c++) {
    const p = LINE_PARAMS + <usize>c * step;
    const mu = means + (<usize>(c * D) << alignof<T>());
    const wc = w + (<usize>(c * wStride) << alignof<T>());
    let o: usize = 16;
    for (let j = 0; j < D; j++) {
      v128.store(p + o, vsplat<T>(mu + (<usize>j << alignof<T>())));
      o += 16;
      for (let l = 0; l <= j; l++) {
        v128.store(p + o, vsplat<T>(wc + (<usize>(j * D + l) << alignof<T>())));
        o += 16;
      }
    }
  }
  return step;
}

@inline function vadd<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 8 ? f64x2.add(a, b) : f32x4.add(a, b);
}

@inline function vsub<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 8 ? f64x2.sub(a, b) : f32x4.sub(a, b);
}

@inline function vmul<T>(a: v128, b: v128): v128 {
  return sizeof<T>() == 8 ? f64x2.mul(a, b) : f32x4.mul(a, b);
}

/** The T at p in every lane. */
@inline function vsplat<T>(p: usize): v128 {
  return sizeof<T>() == 8 ? v128.load64_splat(p) : v128.load32_splat(p);
}

@inline function vzero(): v128 {
  return i64x2.splat(0); // all bits zero: +0 for either lane type
}

/** dm = xt − μ (μ, d values of T, broadcast over the block's rows). */
@inline export function centreBlock<T>(xt: usize, mu: usize, d: i32, dm: usize): void {
  let s = xt;
  let t = dm;
  for (let l = 0; l < d; l++) {
    const m = vsplat<T>(mu + (<usize>l << alignof<T>()));
    v128.store(t, vsub<T>(v128.load(s), m));
    v128.store(t, vsub<T>(v128.load(s, 16), m), 16);
    v128.store(t, vsub<T>(v128.load(s, 32), m), 32);
    v128.store(t, vsub<T>(v128.load(s, 48), m), 48);
    s += BLOCK_BYTES;
    t += BLOCK_BYTES;
  }
}

/**
 * q[p] = ‖W·dm[·][p]‖² lane-wise: y_j = Σ_{l≤j} W[j][l]·dm[l] for rows j,
 * j+1 of the lower-triangular d×d W (of T) together, then the rows' squares
 * summed. Two rows of W against the four vectors make eight accumulators,
 * which is what a 16-register SIMD file holds without spilling (measured:
 * 2×4 tiles beat 3×4 and 4×3 by a third at d ≥ 16). Entries above the
 * diagonal are never read.
 */
@inline export function mahalanobisBlock<T>(dm: usize, w: usize, d: i32, q: usize): void {
  triangularBlock<T>(dm, w, d, q, false);
}

/**
 * yt[j][p] = Σ_{l≤j} W[j][l]·dm[l][p] (the lower-triangular W of T applied
 * to the block's rows): mahalanobisBlock's tiles, the products kept rather
 * than squared. yt must not overlap dm.
 */
@inline export function transformBlock<T>(dm: usize, w: usize, d: i32, yt: usize): void {
  triangularBlock<T>(dm, w, d, yt, true);
}

/** W·dm in 2×4 tiles: its rows stored at `out` (keep), or their squares summed into out's four vectors. */
@inline function triangularBlock<T>(dm: usize, w: usize, d: i32, out: usize, keep: bool): void {
  let q0 = vzero(), q1 = vzero(), q2 = vzero(), q3 = vzero();
  const rowBytes = <usize>d << alignof<T>();
  let y = out;
  let j = 0;
  for (; j + 2 <= d; j += 2) {
    const w0 = w + <usize>j * rowBytes;
    const w1 = w0 + rowBytes;
    let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    let b0 = vzero(), b1 = vzero(), b2 = vzero(), b3 = vzero();
    let pd = dm;
    const end = <usize>j << alignof<T>();
    // l = 0 … j: both rows
    for (let o: usize = 0; o <= end; o += sizeof<T>()) {
      const u = vsplat<T>(w0 + o);
      const v = vsplat<T>(w1 + o);
      let t = v128.load(pd);
      a0 = vadd<T>(a0, vmul<T>(u, t));
      b0 = vadd<T>(b0, vmul<T>(v, t));
      t = v128.load(pd, 16);
      a1 = vadd<T>(a1, vmul<T>(u, t));
      b1 = vadd<T>(b1, vmul<T>(v, t));
      t = v128.load(pd, 32);
      a2 = vadd<T>(a2, vmul<T>(u, t));
      b2 = vadd<T>(b2, vmul<T>(v, t));
      t = v128.load(pd, 48);
      a3 = vadd<T>(a3, vmul<T>(u, t));
      b3 = vadd<T>(b3, vmul<T>(v, t));
      pd += BLOCK_BYTES;
    }
    // l = j + 1: the second row only
    const v = vsplat<T>(w1 + end + sizeof<T>());
    b0 = vadd<T>(b0, vmul<T>(v, v128.load(pd)));
    b1 = vadd<T>(b1, vmul<T>(v, v128.load(pd, 16)));
    b2 = vadd<T>(b2, vmul<T>(v, v128.load(pd, 32)));
    b3 = vadd<T>(b3, vmul<T>(v, v128.load(pd, 48)));
    if (keep) {
      storeBlock(y, a0, a1, a2, a3);
      storeBlock(y + BLOCK_BYTES, b0, b1, b2, b3);
      y += 2 * BLOCK_BYTES;
    } else {
      q0 = vadd<T>(q0, vadd<T>(vmul<T>(a0, a0), vmul<T>(b0, b0)));
      q1 = vadd<T>(q1, vadd<T>(vmul<T>(a1, a1), vmul<T>(b1, b1)));
      q2 = vadd<T>(q2, vadd<T>(vmul<T>(a2, a2), vmul<T>(b2, b2)));
      q3 = vadd<T>(q3, vadd<T>(vmul<T>(a3, a3), vmul<T>(b3, b3)));
    }
  }
  if (j < d) {
    const w0 = w + <usize>j * rowBytes;
    let a0 = vzero(), a1 = vzero(), a2 = vzero(), a3 = vzero();
    let pd = dm;
    const end = <usize>j << alignof<T>();
    for (let o: usize = 0; o <= end; o += sizeof<T>()) {
      const u = vsplat<T>(w0 + o);
      a0 = vadd<T>(a0, vmul<T>(u, v128.load(pd)));
      a1 = vadd<T>(a1, vmul<T>(u, v128.load(pd, 16)));
      a2 = vadd<T>(a2, vmul<T>(u, v128.load(pd, 32)));
      a3 = vadd<T>(a3, vmul<T>(u, v128.load(pd, 48)));
      pd += BLOCK_BYTES;
    }
    if (keep) {
      storeBlock(y, a0, a1, a2, a3);
    } else {
      q0 = vadd<T>(q0, vmul<T>(a0, a0));
      q1 = vadd<T>(q1, vmul<T>(a1, a1));
      q2 = vadd<T>(q2, vmul<T>(a2, a2));
      q3 = vadd<T>(q3, vmul<T>(a3, a3));
    }
  }
  if (!keep) storeBlock(out, q0, q1, q2, q3);
}

/** One feature's (or component's) four vectors of a block, at p. */
@inline function storeBlock(p: usize, v0: v128, v1: v128, v2: v128, v3: v128): void {
  v128.store(p, v0);
  v128.store(p, v1, 16);
  v128.store(p, v2, 32);
  v128.store(p, v3, 48);
}

/** q[p] = Σ_l (yt[l][p] − ν[l])² lane-wise (ν, d values of T, broadcast over the block's rows). */
@inline export function sqDistBlock<T>(yt: usize, nu: usize, d: i32, q: usize): void {
  let q0 = vzero(), q1 = vzero(), q2 = vzero(), q3 = vzero();
  let t = yt;
  for (let l = 0; l < d; l++) {
    const m = vsplat<T>(nu + (<usize>l << alignof<T>()));
    const y0 = vsub<T>(v128.load(t), m);
    const y1 = vsub<T>(v128.load(t, 16), m);
    const y2 = vsub<T>(v128.load(t, 32), m);
    const y3 = vsub<T>(v128.load(t, 48), m);
    q0 = vadd<T>(q0, vmul<T>(y0, y0));
    q1 = vadd<T>(q1, vmul<T>(y1, y1));
    q2 = vadd<T>(q2, vmul<T>(y2, y2));
    q3 = vadd<T>(q3, vmul<T>(y3, y3));
    t += BLOCK_BYTES;
  }
  storeBlock(q, q0, q1, q2, q3);
}

/**
 * d = 2: q[p] = (W[0][0]·d0)² + (W[1][0]·d0 + W[1][1]·d1)² with d = x − μ,
 * the same operations in the same order as mahalanobisBlock, without its
 * loop and scratch traffic.
 */
@inline export function mahalanobis2<T>(xt: usize, mu: usize, w: usize, q: usize): void {
  const m0 = vsplat<T>(mu);
  const m1 = vsplat<T>(mu + sizeof<T>());
  const w00 = vsplat<T>(w);
  const w10 = vsplat<T>(w + 2 * sizeof<T>());
  const w11 = vsplat<T>(w + 3 * sizeof<T>());
  for (let p = 0; p < BLOCK_VECTORS; p++) {
    const o = <usize>p << 4;
    const d0 = vsub<T>(v128.load(xt + o), m0);
    const d1 = vsub<T>(v128.load(xt + BLOCK_BYTES + o), m1);
    const y0 = vmul<T>(w00, d0);
    const y1 = vadd<T>(vmul<T>(w10, d0), vmul<T>(w11, d1));
    v128.store(q + o, vadd<T>(vmul<T>(y0, y0), vmul<T>(y1, y1)));
  }
}

/**
 * q[p] = Σ_l ((xt[l][p] − μ[l])·s[l])² lane-wise (diagonal and spherical
 * covariances), s read at byte stride `sStride` (sizeof<T>: one scale per
 * feature; 0: one for all).
 */
@inline export function scaledNormBlock<T>(xt: usize, mu: usize, s: usize, sStride: usize, d: i32, q: usize): void {
  let q0 = vzero(), q1 = vzero(), q2 = vzero(), q3 = vzero();
  let t = xt;
  let ps = s;
  for (let l = 0; l < d; l++) {
    const m = vsplat<T>(mu + (<usize>l << alignof<T>()));
    const sc = vsplat<T>(ps);
    const y0 = vmul<T>(vsub<T>(v128.load(t), m), sc);
    const y1 = vmul<T>(vsub<T>(v128.load(t, 16), m), sc);
    const y2 = vmul<T>(vsub<T>(v128.load(t, 32), m), sc);
    const y3 = vmul<T>(vsub<T>(v128.load(t, 48), m), sc);
    q0 = vadd<T>(q0, vmul<T>(y0, y0));
    q1 = vadd<T>(q1, vmul<T>(y1, y1));
    q2 = vadd<T>(q2, vmul<T>(y2, y2));
    q3 = vadd<T>(q3, vmul<T>(y3, y3));
    t += BLOCK_BYTES;
    ps += sStride;
  }
  storeBlock(q, q0, q1, q2, q3);
}

/**
 * The weighted log-densities of a block at d = D ∈ 5 … 8 for k components,
 * without loops over features (logprob.ts's eStepLine, estep32.ts's float32
 * twin): per block vector d = x − μ, y_j = W[j][0]·d₀ + … + W[j][j]·d_j left
 * to right, q = (y₀² + y₁²) + (y₂² + y₃²) + … (+ y²_{D−1} alone at odd D),
 * mahalanobisBlock's order (its leading 0 + … is exact), then offset − ½q,
 * component c's into lb + c·BLOCK_BYTES: the tiles' bits. The constants
 * are splatLine's in LINE_PARAMS (with each component's offset in slot 0),
 * whose rows start at the same constant for every D, so one body reads
 * every D with immediate offsets.
 *
 * Immediate offsets, because V8 (Node 20) does not fold a splat-load's
 * offset into its address: it hoists each `memory + offset` out of the loop
 * and spills them. A store after y₁, y₃ and y₄ (the last store wins): V8
 * orders loads only against stores and issues them before the arithmetic
 * that floats after them, so without the stores all of a vector's loads (25
 * at d = 5, 53 at d = 8) would be live at once, with 16 registers.
 */
@inline export function lineBlock<T>(xt: usize, lb: usize, k: i32, D: i32): void {
  const step = lineStep(D);
  // loaded, not splatted: V8 rebuilds a constant splat at each use
  const half = sizeof<T>() == 8 ? loadedHalf() : v128.load(HALF_F32);
  let column = lb; // component c's log-densities for the block
  for (let c = 0; c < k; c++) {
    // the offset (0), then row j's μ_j and W[j][0 … j] from 16·(1 + j(j + 3)/2)
    const m = LINE_PARAMS + <usize>c * step;
    for (let v = 0; v < BLOCK_VECTORS; v++) {
      const r = xt + (<usize>v << 4);
      const dst = column + (<usize>v << 4);
      const d0 = vsub<T>(v128.load(r), v128.load(m, 16));
      const d1 = vsub<T>(v128.load(r, BLOCK_BYTES), v128.load(m, 48));
      const y0 = vmul<T>(v128.load(m, 32), d0);
      const y1 = vadd<T>(vmul<T>(v128.load(m, 64), d0), vmul<T>(v128.load(m, 80), d1));
      let s = vadd<T>(vmul<T>(y0, y0), vmul<T>(y1, y1));
      v128.store(dst, s);
      const d2 = vsub<T>(v128.load(r, 2 * BLOCK_BYTES), v128.load(m, 96));
      let y2 = vmul<T>(v128.load(m, 112), d0);
      y2 = vadd<T>(y2, vmul<T>(v128.load(m, 128), d1));
      y2 = vadd<T>(y2, vmul<T>(v128.load(m, 144), d2));
      const d3 = vsub<T>(v128.load(r, 3 * BLOCK_BYTES), v128.load(m, 160));
      let y3 = vmul<T>(v128.load(m, 176), d0);
      y3 = vadd<T>(y3, vmul<T>(v128.load(m, 192), d1));
      y3 = vadd<T>(y3, vmul<T>(v128.load(m, 208), d2));
      y3 = vadd<T>(y3, vmul<T>(v128.load(m, 224), d3));
      s = vadd<T>(s, vadd<T>(vmul<T>(y2, y2), vmul<T>(y3, y3)));
      v128.store(dst, s);
      const d4 = vsub<T>(v128.load(r, 4 * BLOCK_BYTES), v128.load(m, 240));
      let y4 = vmul<T>(v128.load(m, 256), d0);
      y4 = vadd<T>(y4, vmul<T>(v128.load(m, 272), d1));
      y4 = vadd<T>(y4, vmul<T>(v128.load(m, 288), d2));
      y4 = vadd<T>(y4, vmul<T>(v128.load(m, 304), d3));
      y4 = vadd<T>(y4, vmul<T>(v128.load(m, 320), d4));
      if (D == 5) s = vadd<T>(s, vmul<T>(y4, y4));
      else {
        v128.store(dst, y4);
        const d5 = vsub<T>(v128.load(r, 5 * BLOCK_BYTES), v128.load(m, 336));
        let y5 = vmul<T>(v128.load(m, 352), d0);
        y5 = vadd<T>(y5, vmul<T>(v128.load(m, 368), d1));
        y5 = vadd<T>(y5, vmul<T>(v128.load(m, 384), d2));
        y5 = vadd<T>(y5, vmul<T>(v128.load(m, 400), d3));
        y5 = vadd<T>(y5, vmul<T>(v128.load(m, 416), d4));
        y5 = vadd<T>(y5, vmul<T>(v128.load(m, 432), d5));
        s = vadd<T>(s, vadd<T>(vmul<T>(y4, y4), vmul<T>(y5, y5)));
        if (D > 6) {
          v128.store(dst, s);
          const d6 = vsub<T>(v128.load(r, 6 * BLOCK_BYTES), v128.load(m, 448));
          let y6 = vmul<T>(v128.load(m, 464), d0);
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 480), d1));
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 496), d2));
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 512), d3));
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 528), d4));
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 544), d5));
          y6 = vadd<T>(y6, vmul<T>(v128.load(m, 560), d6));
          if (D == 7) s = vadd<T>(s, vmul<T>(y6, y6));
          else {
            v128.store(dst, y6);
            const d7 = vsub<T>(v128.load(r, 7 * BLOCK_BYTES), v128.load(m, 576));
            let y7 = vmul<T>(v128.load(m, 592), d0);
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 608), d1));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 624), d2));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 640), d3));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 656), d4));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 672), d5));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 688), d6));
            y7 = vadd<T>(y7, vmul<T>(v128.load(m, 704), d7));
            s = vadd<T>(s, vadd<T>(vmul<T>(y6, y6), vmul<T>(y7, y7)));
          }
        }
      }
      v128.store(dst, vsub<T>(v128.load(m), vmul<T>(half, s)));
    }
    column += BLOCK_BYTES;
  }
}
