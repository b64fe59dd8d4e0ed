// Address helpers, small SIMD building blocks and the vector exp and log
// shared by every kernel.
//
// Conventions: every array is f64 (except the data matrix X, which may be
// f32: see addrOf below), row-major, addressed by a byte pointer into
// linear memory that the TypeScript side allocated. Kernels never
// allocate; scratch space is passed in.

export const LOG_2PI: f64 = 1.8378770664093453; // log(2π)

// Working memory of the blocked kernels (transposed row blocks, gathered
// rows), inside the module's static data rather than passed in, so every
// kernel keeps its original scratch contract (d values). One region serves
// all kernels: they never run at the same time (an instance is
// single-threaded, and each worker thread has its own instance). Zero-filled,
// so it costs memory pages but no bytes in the .wasm file. Shapes too large
// for it take each kernel's simple path.
export const KERNEL_SCRATCH_VALUES: i32 = 4096;
export const KERNEL_SCRATCH = memory.data(8 * KERNEL_SCRATCH_VALUES, 16);

@inline export function addr(p: usize, i: i32): usize {
  return p + (<usize>i << alignof<f64>());
}

@inline export function ld(p: usize, i: i32): f64 {
  return load<f64>(p + (<usize>i << alignof<f64>()));
}

@inline export function st(p: usize, i: i32, v: f64): void {
  store<f64>(p + (<usize>i << alignof<f64>()), v);
}

@inline export function hsum(v: v128): f64 {
  return f64x2.extract_lane(v, 0) + f64x2.extract_lane(v, 1);
}

/** Σ a[i]·b[i] for i < n. Two f64x2 accumulators hide the add latency. */
@inline export function dot(a: usize, b: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    acc1 = f64x2.add(acc1, f64x2.mul(v128.load(a + o, 16), v128.load(b + o, 16)));
  }
  if (i + 2 <= n) {
    const o = <usize>i << 3;
    acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    i += 2;
  }
  let s = hsum(f64x2.add(acc0, acc1));
  if (i < n) s += ld(a, i) * ld(b, i);
  return s;
}

/** Σ ((a[i] − b[i])·s[i])² for i < n: the diagonal Mahalanobis term. */
@inline export function scaledSqDist(a: usize, b: usize, s: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    const t = f64x2.mul(f64x2.sub(v128.load(a + o), v128.load(b + o)), v128.load(s + o));
    acc0 = f64x2.add(acc0, f64x2.mul(t, t));
  }
  let r = hsum(acc0);
  if (i < n) {
    const t = (ld(a, i) - ld(b, i)) * ld(s, i);
    r += t * t;
  }
  return r;
}

/** Σ (a[i] − b[i])² for i < n. */
@inline export function sqDist(a: usize, b: usize, n: i32): f64 {
  return sqDistOf<f64, f64>(a, b, n);
}

/** y[i] += alpha·x[i] for i < n. */
@inline export function axpy(y: usize, alpha: f64, x: usize, n: i32): void {
  axpyOf<f64>(y, alpha, x, n);
}

/** out[i] = a[i] − b[i] for i < n. */
@inline export function sub(out: usize, a: usize, b: usize, n: i32): void {
  subOf<f64>(out, a, b, n);
}

/** x[i] *= alpha for i < n. */
@inline export function scale(x: usize, alpha: f64, n: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(x + o, f64x2.mul(v128.load(x + o), va));
  }
  if (i < n) st(x, i, ld(x, i) * alpha);
}

@inline export function fill(x: usize, v: f64, n: i32): void {
  for (let i = 0; i < n; i++) st(x, i, v);
}

// ---------------------------------------------------------------------------
// Reading the data matrix X, stored as f64 or (dtype "float32") as f32: T is
// its element type. Values are promoted to f64 as they are loaded and all
// arithmetic stays f64, so a kernel instantiated for f32 computes exactly
// what its f64 twin computes on the same (f32-representable) values. The
// sizeof<T>() branches fold at compile time; for T = f64 these are the very
// instructions the f64-only helpers above use.

/** Address of element i of an array of T. */
@inline export function addrOf<T>(p: usize, i: i32): usize {
  return p + (<usize>i << alignof<T>());
}

/** Element i of an array of T, as f64. */
@inline export function ldOf<T>(p: usize, i: i32): f64 {
  return <f64>load<T>(addrOf<T>(p, i));
}

/**
 * Element j of an array of T at p, as f64 in both lanes; j must be a
 * constant. The offsets are spelled out because a load's offset immediate
 * must be a literal, and p + 8j as an address would cost an add per load in
 * the hottest loops. An f32 is splatted as loaded and then promoted (two
 * vector instructions, measured ~15 % faster in scatterDiag than a scalar
 * load, promote and splat).
 */
@inline export function splatOf<T>(p: usize, j: i32): v128 {
  if (sizeof<T>() == 4) {
    if (j == 1) return f64x2.promote_low_f32x4(v128.load32_splat(p, 4));
    if (j == 2) return f64x2.promote_low_f32x4(v128.load32_splat(p, 8));
    if (j == 3) return f64x2.promote_low_f32x4(v128.load32_splat(p, 12));
    return f64x2.promote_low_f32x4(v128.load32_splat(p + (<usize>j << 2)));
  }
  if (j == 1) return v128.load64_splat(p, 8);
  if (j == 2) return v128.load64_splat(p, 16);
  if (j == 3) return v128.load64_splat(p, 24);
  return v128.load64_splat(p + (<usize>j << 3));
}

/** Elements j and j + 1 of an array of T at p, as an f64x2; j a constant (as splatOf). */
@inline export function pairOf<T>(p: usize, j: i32): v128 {
  if (sizeof<T>() == 4) {
    if (j == 2) return f64x2.promote_low_f32x4(v128.load64_zero(p, 8));
    return f64x2.promote_low_f32x4(v128.load64_zero(p + (<usize>j << 2)));
  }
  if (j == 2) return v128.load(p, 16);
  return v128.load(p + (<usize>j << 3));
}

/** sqDist with a an array of A and b an array of B. */
@inline export function sqDistOf<A, B>(a: usize, b: usize, n: i32): f64 {
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const pa = addrOf<A>(a, i);
    const pb = addrOf<B>(b, i);
    const t0 = f64x2.sub(pairOf<A>(pa, 0), pairOf<B>(pb, 0));
    const t1 = f64x2.sub(pairOf<A>(pa, 2), pairOf<B>(pb, 2));
    acc0 = f64x2.add(acc0, f64x2.mul(t0, t0));
    acc1 = f64x2.add(acc1, f64x2.mul(t1, t1));
  }
  if (i + 2 <= n) {
    const t0 = f64x2.sub(pairOf<A>(addrOf<A>(a, i), 0), pairOf<B>(addrOf<B>(b, i), 0));
    acc0 = f64x2.add(acc0, f64x2.mul(t0, t0));
    i += 2;
  }
  let r = hsum(f64x2.add(acc0, acc1));
  if (i < n) {
    const t = ldOf<A>(a, i) - ldOf<B>(b, i);
    r += t * t;
  }
  return r;
}

/** axpy with x an array of T (y is f64). */
@inline export function axpyOf<T>(y: usize, alpha: f64, x: usize, n: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(va, pairOf<T>(addrOf<T>(x, i), 0))));
  }
  if (i < n) st(y, i, ld(y, i) + alpha * ldOf<T>(x, i));
}

/** sub with a an array of T (out and b are f64). */
@inline export function subOf<T>(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.sub(pairOf<T>(addrOf<T>(a, i), 0), v128.load(b + o)));
  }
  if (i < n) st(out, i, ldOf<T>(a, i) - ld(b, i));
}

// ---------------------------------------------------------------------------
// Vector exp and log (two lanes at a time), written with plain SIMD only so
// every engine produces the same bits. Constants live in static memory and
// are loaded (one instruction each) rather than rebuilt in every loop trip;
// a loop of exps (expsInPlace) loads them once, before the loop.
//
// exp: x = (64k + j)·ln2/64 + r with |r| ≤ ln2/128, so e^x = 2^k · 2^(j/64)
// · e^r. 64k + j = round(64x/ln2) comes from the 1.5·2⁵² shifter (adding it
// rounds to an integer held in the low mantissa bits), ln2/64 is split into
// a 32-bit head (its products with 64k + j are exact) and a tail, 2^(j/64)
// is read from a 64-entry table (each entry the double nearest to it), e^r
// is its Taylor series to r⁵ (truncation ≤ 0.0055⁶/6! ≈ 4e-17 relative),
// applied as 2^(j/64) + 2^(j/64)·(e^r − 1) so that 1 + (e^r − 1) is never
// rounded, and 2^k is applied by adding k to the exponent field.
// log: x = 2^e·m with m ∈ [√½, √2); with s = (m−1)/(m+1), log m = 2·atanh s
// = 2s(1 + s²/3 + s⁴/5 + …), |s| ≤ 0.172, summed to s²² (truncation < 1e-17).
// Polynomials use Estrin's scheme with the largest terms added last: short
// dependency chains let the many exps of a row overlap in the pipeline.
// exp is accurate to about 1.3 ulp, log to about 2; neither is correctly
// rounded, so results differ from Math.exp/Math.log in the last bits now and
// then. Measured for exp against a double-double reference
// (test/kernels.test.ts, 2²⁰ points on [−707, 0]): at most 1.27 ulp, 0.33 ulp
// on average (2.14 and 0.43 when it was formed as 2^(j/64)·(1 + (e^r − 1))).
// Tried and dropped (#19): a 4-entry table picked by i8x16.swizzle, so no
// lane goes through a scalar register, with |r| ≤ ln2/8 and e^r = 1 + r +
// r²·q(r), q a degree-6 Chebyshev fit (relative error 1.3e-17; measured 1.83
// ulp at most). V8 lowers each variable swizzle to three instructions and
// the longer polynomial spills registers: 545 instructions per row against
// 420 in the d = 2 E-step, 1.32× its time.

// Each constant stored twice (both lanes), so it loads as one v128.
const MATH_CONST = memory.data<f64>([
  92.33248261689366, 92.33248261689366, // 64/ln2
  6755399441055744.0, 6755399441055744.0, // 1.5·2⁵², the rounding shifter
  0.010830424696905538, 0.010830424696905538, // ln2/64, head (32 significant bits)
  -6.563929801064195e-13, -6.563929801064195e-13, // ln2/64, tail
  0.008333333333333333, 0.008333333333333333, // 1/5!
  0.041666666666666664, 0.041666666666666664, // 1/4!
  0.16666666666666666, 0.16666666666666666, // 1/3!
  0.5, 0.5, // 1/2!
  1.0, 1.0, // 1 (its bits are 1023 << 52)
  -707.0, -707.0, // e^x below e^this is flushed to 0 (keeps 2^k normal)
  0.6931471806019545, 0.6931471806019545, // ln2, head (32 significant bits)
  -4.2009150726810846e-11, -4.2009150726810846e-11, // ln2, tail
  0.7071067811865476, 0.7071067811865476, // √½ (its bits split the mantissa range)
  2.0, 2.0,
  0.3333333333333333, 0.3333333333333333, // 1/3
  0.2, 0.2, // 1/5
  0.14285714285714285, 0.14285714285714285, // 1/7
  0.1111111111111111, 0.1111111111111111, // 1/9
  0.09090909090909091, 0.09090909090909091, // 1/11
  0.07692307692307693, 0.07692307692307693, // 1/13
  0.06666666666666667, 0.06666666666666667, // 1/15
  0.058823529411764705, 0.058823529411764705, // 1/17
  0.05263157894736842, 0.05263157894736842, // 1/19
  0.047619047619047616, 0.047619047619047616, // 1/21
  -Infinity, -Infinity, // a maximum's start (loadedMinusInfinity)
], 16);
// byte offsets into MATH_CONST
const INV_STEP: usize = 0;
const SHIFTER: usize = 16;
const STEP_HI: usize = 32;
const STEP_LO: usize = 48;
const C5: usize = 64;
const C4: usize = 80;
const C3: usize = 96;
const C2: usize = 112;
const ONE: usize = 128;
const FLUSH: usize = 144;
const LN2_HI: usize = 160;
const LN2_LO: usize = 176;
const SQRT_HALF: usize = 192;
const TWO: usize = 208;
const INV3: usize = 224; // then 1/5, 1/7, … 1/21 every 16 bytes
const MINUS_INFINITY: usize = 384;

/** 2^(j/64) for j = 0 … 63, each the nearest double. */
const EXP2_TABLE = memory.data<f64>([
  1.0, 1.0108892860517005, 1.0218971486541166, 1.0330248790212284,
  1.0442737824274138, 1.0556451783605572, 1.0671404006768237, 1.0787607977571199,
  1.0905077326652577, 1.102382583307841, 1.1143867425958924, 1.1265216186082418,
  1.1387886347566916, 1.1511892299529827, 1.1637248587775775, 1.1763969916502812,
  1.189207115002721, 1.202156731452703, 1.215247359980469, 1.22848053610687,
  1.241857812073484, 1.255380757024691, 1.2690509571917332, 1.2828700160787783,
  1.2968395546510096, 1.3109612115247644, 1.3252366431597413, 1.339667524053303,
  1.3542555469368927, 1.3690024229745905, 1.383909881963832, 1.3989796725383112,
  1.4142135623730951, 1.42961333839197, 1.4451808069770467, 1.460917794180647,
  1.4768261459394993, 1.4929077282912648, 1.5091644275934228, 1.5255981507445384,
  1.5422108254079407, 1.559004400237837, 1.5759808451078865, 1.593142151342267,
  1.6104903319492543, 1.6280274218573478, 1.645755478153965, 1.6636765803267364,
  1.681792830507429, 1.7001063537185235, 1.718619298122478, 1.7373338352737062,
  1.7562521603732995, 1.7753764925265212, 1.7947090750031072, 1.8142521755003989,
  1.8340080864093424, 1.8539791250833855, 1.8741676341103, 1.8945759815869656,
  1.9152065613971474, 1.9360617934922943, 1.9571441241754002, 1.978456026387951,
], 16);

const EXPONENT_BIAS = memory.data<i64>([1023, 1023], 16);

@inline function mc(offset: usize): v128 {
  return v128.load(MATH_CONST + offset);
}

/**
 * e^x for x ≤ 0 (and −∞) in both lanes; results below e^−707 are flushed
 * to 0 (they are at most 1e-307 and only ever added to a number ≥ 1).
 * Not for NaN or positive x.
 */
@inline export function expNonPositive(x: v128): v128 {
  return expWith(x, mc(INV_STEP), mc(SHIFTER), mc(STEP_HI), mc(STEP_LO), mc(C2), mc(C3), mc(C4), mc(C5), mc(FLUSH));
}

/**
 * e = exp(v − m) for `count` f64x2 values v, `stride` bytes apart from p,
 * in place; returns their sum. The constants are loaded once, before the
 * loop: V8 reloads a constant from memory at each use (10 loads per exp),
 * but keeps locals in registers where they fit.
 */
@inline export function expsInPlace(p: usize, stride: usize, count: i32, m: v128): v128 {
  const invStep = mc(INV_STEP), shifter = mc(SHIFTER), stepHi = mc(STEP_HI), stepLo = mc(STEP_LO);
  const c2 = mc(C2), c3 = mc(C3), c4 = mc(C4), c5 = mc(C5), flush = mc(FLUSH);
  let s = f64x2.splat(0);
  const end = p + <usize>count * stride;
  for (let t = p; t < end; t += stride) {
    const e = expWith(f64x2.sub(v128.load(t), m), invStep, shifter, stepHi, stepLo, c2, c3, c4, c5, flush);
    v128.store(t, e);
    s = f64x2.add(s, e);
  }
  return s;
}

/** expNonPositive with its constants given, as expsInPlace loads them. */
@inline export function expWith(
  x: v128, invStep: v128, shifter: v128, stepHi: v128, stepLo: v128,
  c2: v128, c3: v128, c4: v128, c5: v128, flush: v128,
): v128 {
  const t = f64x2.add(f64x2.mul(x, invStep), shifter);
  const kj = f64x2.sub(t, shifter);
  let r = f64x2.sub(x, f64x2.mul(kj, stepHi));
  r = f64x2.sub(r, f64x2.mul(kj, stepLo));
  // e^r − 1 = r + r²·(1/2! + r/3! + r²(1/4! + r/5!)): largest terms last
  const r2 = f64x2.mul(r, r);
  const a = f64x2.add(c2, f64x2.mul(c3, r));
  const b = f64x2.add(c4, f64x2.mul(c5, r));
  const q = f64x2.add(r, f64x2.mul(r2, f64x2.add(a, f64x2.mul(r2, b))));
  // j = (64k + j) mod 64 from the low bits of t (two's complement survives the shifter)
  const j0 = <usize>(<i32>i64x2.extract_lane(t, 0) & 63) << 3;
  const j1 = <usize>(<i32>i64x2.extract_lane(t, 1) & 63) << 3;
  const tab = v128.load64_lane(EXP2_TABLE + j1, v128.load64_splat(EXP2_TABLE + j0), 1);
  // 2^k: k = (64k + j) >> 6, shifted into the exponent field. t is a
  // positive double, so a logical shift does (SIMD has no cheap i64 >>).
  // (2^(j/64)·e^r as tab + tab·(e^r − 1): one rounding fewer than tab·(1 + q))
  const scaled = i64x2.add(f64x2.add(tab, f64x2.mul(tab, q)), i64x2.shl(i64x2.shr_u(t, 6), 52));
  return v128.and(scaled, f64x2.ge(x, flush));
}

/**
 * ½, 1 and −∞ in both lanes, loaded from memory. For a loop that uses them:
 * V8 rebuilds a constant splat at each use (all ones, two shifts and a
 * shuffle for ½), but holds a loaded value in a register or a spill slot.
 */
@inline export function loadedHalf(): v128 {
  return mc(C2);
}
@inline export function loadedOne(): v128 {
  return mc(ONE);
}
@inline export function loadedMinusInfinity(): v128 {
  return mc(MINUS_INFINITY);
}

/** log x for positive, normal, finite x in both lanes. */
@inline export function logPositive(x: v128): v128 {
  // e = exponent of x/√½, biased by 1023 so the shift is a logical one
  // (the bits of 1.0 are 1023 << 52)
  const eb = i64x2.shr_u(i64x2.add(i64x2.sub(x, mc(SQRT_HALF)), mc(ONE)), 52);
  const e = i64x2.sub(eb, v128.load(EXPONENT_BIAS));
  const m = i64x2.sub(x, i64x2.shl(e, 52));
  const ef = f64x2.convert_low_i32x4_s(i32x4.shuffle(e, e, 0, 2, 0, 2));
  const f = f64x2.sub(m, mc(ONE));
  const s = f64x2.div(f, f64x2.add(f, mc(TWO)));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const z8 = f64x2.mul(z4, z4);
  const a0 = f64x2.add(mc(INV3), f64x2.mul(mc(INV3 + 16), z)); // 1/3 + z/5
  const a1 = f64x2.add(mc(INV3 + 32), f64x2.mul(mc(INV3 + 48), z)); // 1/7 + z/9
  const a2 = f64x2.add(mc(INV3 + 64), f64x2.mul(mc(INV3 + 80), z)); // 1/11 + z/13
  const a3 = f64x2.add(mc(INV3 + 96), f64x2.mul(mc(INV3 + 112), z)); // 1/15 + z/17
  const a4 = f64x2.add(mc(INV3 + 128), f64x2.mul(mc(INV3 + 144), z)); // 1/19 + z/21
  const b0 = f64x2.add(a0, f64x2.mul(a1, z2));
  const b1 = f64x2.add(a2, f64x2.mul(a3, z2));
  const q = f64x2.add(f64x2.add(b0, f64x2.mul(b1, z4)), f64x2.mul(a4, z8));
  const s2 = f64x2.add(s, s);
  const logm = f64x2.add(s2, f64x2.mul(f64x2.mul(s2, z), q));
  return f64x2.add(f64x2.mul(ef, mc(LN2_HI)), f64x2.add(f64x2.mul(ef, mc(LN2_LO)), logm));
}

