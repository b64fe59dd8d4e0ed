// Drawing from one Gaussian component.
import { addr, dot, ld, st } from "./vector-math";

const TWO_PI: f64 = 6.283185307179586;

/** Box–Muller: overwrites a row of dPadded uniforms in (0, 1) with standard normals. */
@inline function normals(z: usize, dPadded: i32): void {
  for (let j = 0; j + 1 < dPadded; j += 2) {
    const r = Math.sqrt(-2.0 * Math.log(ld(z, j)));
    const t = TWO_PI * ld(z, j + 1);
    st(z, j, r * Math.cos(t));
    st(z, j + 1, r * Math.sin(t));
  }
}

/**
 * Turns `count`·d uniforms in (0, 1) (overwritten with standard normals by
 * the Box–Muller transform; d is padded to even by the host) into rows
 * x = μ + C z, where C is the lower Cholesky factor of the covariance.
 * AssemblyScript's own log/cos/sin keep the bits identical on every engine.
 */
export function sampleGaussian(u: usize, count: i32, d: i32, dPadded: i32, mean: usize, c: usize, out: usize): void {
  for (let i = 0; i < count; i++) {
    const z = addr(u, i * dPadded);
    normals(z, dPadded);
    const xi = addr(out, i * d);
    for (let j = 0; j < d; j++) st(xi, j, ld(mean, j) + dot(addr(c, j * d), z, j + 1));
  }
}

/**
 * sampleGaussian for a diagonal covariance: x_j = μ_j + σ_j z_j, with σ the d
 * standard deviations at `sd` (sdStride 1) or one shared σ (sdStride 0), so
 * diagonal and spherical components need O(d) memory, not a d×d factor.
 * Same uniforms, same normals as sampleGaussian with C = diag(σ).
 */
export function sampleDiagonal(u: usize, count: i32, d: i32, dPadded: i32, mean: usize, sd: usize, sdStride: i32, out: usize): void {
  for (let i = 0; i < count; i++) {
    const z = addr(u, i * dPadded);
    normals(z, dPadded);
    const xi = addr(out, i * d);
    for (let j = 0; j < d; j++) st(xi, j, ld(mean, j) + ld(sd, j * sdStride) * ld(z, j));
  }
}
