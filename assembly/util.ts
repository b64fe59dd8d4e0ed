// Address helpers and small SIMD building blocks shared by every kernel.
//
// Conventions: every array is f64, row-major, addressed by a byte pointer
// into linear memory that the TypeScript side allocated. Kernels never
// allocate; scratch space is passed in.

export const LOG_2PI: f64 = 1.8378770664093453; // log(2π)

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
  let acc0 = f64x2.splat(0);
  let acc1 = f64x2.splat(0);
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 3;
    const t0 = f64x2.sub(v128.load(a + o), v128.load(b + o));
    const t1 = f64x2.sub(v128.load(a + o, 16), v128.load(b + o, 16));
    acc0 = f64x2.add(acc0, f64x2.mul(t0, t0));
    acc1 = f64x2.add(acc1, f64x2.mul(t1, t1));
  }
  if (i + 2 <= n) {
    const o = <usize>i << 3;
    const t0 = f64x2.sub(v128.load(a + o), v128.load(b + o));
    acc0 = f64x2.add(acc0, f64x2.mul(t0, t0));
    i += 2;
  }
  let r = hsum(f64x2.add(acc0, acc1));
  if (i < n) {
    const t = ld(a, i) - ld(b, i);
    r += t * t;
  }
  return r;
}

/** y[i] += alpha·x[i] for i < n. */
@inline export function axpy(y: usize, alpha: f64, x: usize, n: i32): void {
  const va = f64x2.splat(alpha);
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(y + o, f64x2.add(v128.load(y + o), f64x2.mul(va, v128.load(x + o))));
  }
  if (i < n) st(y, i, ld(y, i) + alpha * ld(x, i));
}

/** out[i] = a[i] − b[i] for i < n. */
@inline export function sub(out: usize, a: usize, b: usize, n: i32): void {
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const o = <usize>i << 3;
    v128.store(out + o, f64x2.sub(v128.load(a + o), v128.load(b + o)));
  }
  if (i < n) st(out, i, ld(a, i) - ld(b, i));
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
