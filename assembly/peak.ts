import { expNonPositive } from "./vector-math";

// A calibration loop for the benchmark: the machine's attainable f64x2
// multiply-add rate from WebAssembly, the ceiling the kernels are judged
// against. Twelve independent chains acc = acc·m + c keep enough
// multiplies and adds in flight to cover their latency; plain SIMD (no
// fused multiply-add), as the kernels. Not used by the library itself.

/**
 * Runs `iterations` rounds of 12 f64x2 multiply-adds (48 flops per round: 12 × (mul + add) × 2 lanes)
 * and returns a checksum so the work cannot be optimised away. With m
 * slightly below 1 and small c the values stay finite and normal.
 */
export function peakMultiplyAdd(iterations: i32, m: f64, c: f64): f64 {
  const vm = f64x2.splat(m);
  const vc = f64x2.splat(c);
  let a0 = f64x2.splat(1.0), a1 = f64x2.splat(1.1), a2 = f64x2.splat(1.2), a3 = f64x2.splat(1.3);
  let a4 = f64x2.splat(1.4), a5 = f64x2.splat(1.5), a6 = f64x2.splat(1.6), a7 = f64x2.splat(1.7);
  let a8 = f64x2.splat(1.8), a9 = f64x2.splat(1.9), a10 = f64x2.splat(2.0), a11 = f64x2.splat(2.1);
  for (let i = 0; i < iterations; i++) {
    a0 = f64x2.add(f64x2.mul(a0, vm), vc);
    a1 = f64x2.add(f64x2.mul(a1, vm), vc);
    a2 = f64x2.add(f64x2.mul(a2, vm), vc);
    a3 = f64x2.add(f64x2.mul(a3, vm), vc);
    a4 = f64x2.add(f64x2.mul(a4, vm), vc);
    a5 = f64x2.add(f64x2.mul(a5, vm), vc);
    a6 = f64x2.add(f64x2.mul(a6, vm), vc);
    a7 = f64x2.add(f64x2.mul(a7, vm), vc);
    a8 = f64x2.add(f64x2.mul(a8, vm), vc);
    a9 = f64x2.add(f64x2.mul(a9, vm), vc);
    a10 = f64x2.add(f64x2.mul(a10, vm), vc);
    a11 = f64x2.add(f64x2.mul(a11, vm), vc);
  }
  const s = f64x2.add(
    f64x2.add(f64x2.add(f64x2.add(a0, a1), f64x2.add(a2, a3)), f64x2.add(f64x2.add(a4, a5), f64x2.add(a6, a7))),
    f64x2.add(f64x2.add(a8, a9), f64x2.add(a10, a11)),
  );
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}

/**
 * The vector exp's throughput (vector-math.ts's expNonPositive, the E-step's
 * exp): `iterations` rounds of four independent f64x2 exps (8 exps a
 * round) of arguments in [−1.6, −0.4] that do not depend on earlier exps,
 * summed in four accumulators, as the E-step's exps of a row pair are
 * independent of each other. Returns the sum.
 */
export function peakExp(iterations: i32): f64 {
  const step = f64x2.splat(-1e-10);
  const c0 = f64x2.splat(-0.4), c1 = f64x2.splat(-0.7), c2 = f64x2.splat(-1.0), c3 = f64x2.splat(-1.3);
  let t = f64x2.replace_lane(f64x2.splat(0.0), 1, -0.3);
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  for (let i = 0; i < iterations; i++) {
    t = f64x2.add(t, step);
    s0 = f64x2.add(s0, expNonPositive(f64x2.add(t, c0)));
    s1 = f64x2.add(s1, expNonPositive(f64x2.add(t, c1)));
    s2 = f64x2.add(s2, expNonPositive(f64x2.add(t, c2)));
    s3 = f64x2.add(s3, expNonPositive(f64x2.add(t, c3)));
  }
  const s = f64x2.add(f64x2.add(s0, s1), f64x2.add(s2, s3));
  return f64x2.extract_lane(s, 0) + f64x2.extract_lane(s, 1);
}
