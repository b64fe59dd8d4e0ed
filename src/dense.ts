// Small dense linear algebra in plain TypeScript, for what runs once per
// model rather than once per row: checking and converting model JSON,
// degeneracy checks, starts given as precisions. Only + − × ÷ and √, which
// IEEE 754 defines to the bit, so every engine gives the same results and no
// WebAssembly module is needed. Matrices are row-major d×d blocks at `o`.

/**
 * Lower Cholesky factor L (a = L Lᵀ) of the block of `a` at o into `out` at o
 * (upper triangle zeroed); returns −1, or the pivot that was not positive.
 * `shift` is subtracted from the diagonal first (a − shift·I).
 */
export function cholesky(a: ArrayLike<number>, o: number, d: number, out: Float64Array, shift = 0): number {
  for (let j = 0; j < d; j++) {
    let pivot = a[o + j * d + j] - shift;
    for (let m = 0; m < j; m++) pivot -= out[o + j * d + m] * out[o + j * d + m];
    if (!(pivot > 0)) return j;
    const root = Math.sqrt(pivot);
    out[o + j * d + j] = root;
    for (let i = j + 1; i < d; i++) {
      let v = a[o + i * d + j];
      for (let m = 0; m < j; m++) v -= out[o + i * d + m] * out[o + j * d + m];
      out[o + i * d + j] = v / root;
      out[o + j * d + i] = 0;
    }
  }
  return -1;
}

/** W = L⁻¹ for the lower-triangular block of l at o, into out at o (forward substitution). */
export function invertLower(l: ArrayLike<number>, o: number, d: number, out: Float64Array): void {
  for (let j = 0; j < d; j++) {
    for (let i = 0; i < d; i++) {
      if (i < j) {
        out[o + i * d + j] = 0;
        continue;
      }
      let s = i === j ? 1 : 0;
      for (let m = j; m < i; m++) s -= l[o + i * d + m] * out[o + m * d + j];
      out[o + i * d + j] = s / l[o + i * d + i];
    }
  }
}

/** a·aᵀ for the block at o. */
export function timesTranspose(a: ArrayLike<number>, o: number, d: number, out: Float64Array): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let m = 0; m < d; m++) t += a[o + i * d + m] * a[o + j * d + m];
      out[o + i * d + j] = t;
    }
  }
}

/** aᵀ·a for the lower-triangular block at o (only m ≥ max(i, j) contributes). */
export function transposeTimesLower(a: ArrayLike<number>, o: number, d: number, out: Float64Array): void {
  for (let i = 0; i < d; i++) {
    for (let j = 0; j < d; j++) {
      let t = 0;
      for (let m = Math.max(i, j); m < d; m++) t += a[o + m * d + i] * a[o + m * d + j];
      out[o + i * d + j] = t;
    }
  }
}

/**
 * Whether a component's empirical covariance E (its covariance minus
 * regCovar·I, the d×d block at `o`) has a direction v with
 * vᵀEv ≤ epsilon·vᵀMv + slack·vᵀDv, M a reference covariance (d×d; the
 * pooled within-component one, degenerate.ts) and D its diagonal: the
 * component keeps almost none of the reference's spread along v. Both are first scaled to M's unit
 * diagonal, so the test does not depend on the features' units, and is then
 * one Cholesky of Ē − epsilon·R − slack·I (Sylvester's law of inertia: it
 * fails exactly when the pencil (Ē, R) has an eigenvalue ≤ epsilon, up to the
 * slack, which also catches directions where the reference has no spread).
 */
export function hasRelativeEigenvalueAtMost(
  e: ArrayLike<number>,
  o: number,
  m: Float64Array,
  d: number,
  epsilon: number,
  slack: number,
): boolean {
  const scale = new Float64Array(d);
  for (let j = 0; j < d; j++) scale[j] = m[j * d + j] > 0 ? 1 / Math.sqrt(m[j * d + j]) : 1;
  const pencil = new Float64Array(d * d);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) pencil[i * d + j] = (e[o + i * d + j] - epsilon * m[i * d + j]) * scale[i] * scale[j];
  return cholesky(pencil, 0, d, new Float64Array(d * d), slack) >= 0;
}

/** First block of `blocks` d×d blocks that is not symmetric to `rel`, as a message, or undefined. */
export function asymmetry(
  p: ArrayLike<number>,
  blocks: number,
  d: number,
  name: string,
  rel: number,
): string | undefined {
  for (let b = 0; b < blocks; b++) {
    const o = b * d * d;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = p[o + i * d + j];
        const c = p[o + j * d + i];
        if (Math.abs(a - c) > rel * Math.max(Math.abs(a), Math.abs(c))) {
          return `${name}${blocks > 1 ? `[${b}]` : ""} is not symmetric at [${i}][${j}] (${a} vs ${c})`;
        }
      }
    }
  }
  return undefined;
}
