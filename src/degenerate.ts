// Spurious-solution detection. EM on real data often "wins" by collapsing a
// component onto a few identical values: its variance falls to regCovar and
// the likelihood soars without describing the data better. Such fits are
// flagged so model selection can skip them.
import { covarianceSize, type CovarianceFamily } from "./covariance.js";
import type { MixtureParams } from "./em.js";

/** A component that looks like a spurious, collapsed solution (`GaussianMixture.degenerate`). */
export interface DegenerateComponent {
  /** Component index (for tied covariances, the shared covariance is reported as −1). */
  component: number;
  /** "variance-at-floor": a covariance eigenvalue within 10× regCovar; "too-few-points": fewer effective points than the covariance needs. */
  kind: "variance-at-floor" | "too-few-points";
  /** A sentence that says what is wrong. */
  reason: string;
}

/** An eigenvalue below this multiple of regCovar counts as collapsed. */
const FLOOR_FACTOR = 10;
/** With regCovar 0, an eigenvalue this small relative to the largest variance counts. */
const RELATIVE_FLOOR = 1e-10;

/**
 * Whether the symmetric d×d matrix a has an eigenvalue ≤ floor: exactly when
 * a − floor·I has no Cholesky factor (a zero or negative pivot). One
 * factorisation, d³/6 multiply-adds, where eigenvalues by Jacobi sweeps cost
 * up to 100 × 2d³ (38 s at d = 800).
 */
export function hasEigenvalueAtMost(a: ArrayLike<number>, d: number, floor: number): boolean {
  const l = new Float64Array(d * d);
  for (let j = 0; j < d; j++) {
    let pivot = a[j * d + j] - floor;
    for (let m = 0; m < j; m++) pivot -= l[j * d + m] * l[j * d + m];
    if (!(pivot > 0)) return true;
    const root = Math.sqrt(pivot);
    l[j * d + j] = root;
    for (let i = j + 1; i < d; i++) {
      let v = a[i * d + j];
      for (let m = 0; m < j; m++) v -= l[i * d + m] * l[j * d + m];
      l[i * d + j] = v / root;
    }
  }
  return false;
}

export function findDegenerate(
  family: CovarianceFamily, params: MixtureParams, k: number, d: number, nSamples: number, regCovar: number,
): DegenerateComponent[] {
  const out: DegenerateComponent[] = [];
  const cov = params.covariances;
  const blocks = family.shared ? 1 : k;
  const perBlock = covarianceSize(family, k, d) / blocks;
  for (let b = 0; b < blocks; b++) {
    const block = cov.subarray(b * perBlock, (b + 1) * perBlock);
    const component = family.shared ? -1 : b;
    const who = component < 0 ? "the shared covariance" : `component ${component}`;
    if (family.transposed) {
      // the largest variance stands in for the largest eigenvalue (within a factor d of it)
      let largest = 0;
      for (let j = 0; j < d; j++) largest = Math.max(largest, block[j * d + j]);
      const floor = Math.max(FLOOR_FACTOR * regCovar, RELATIVE_FLOOR * largest);
      if (hasEigenvalueAtMost(block, d, floor)) {
        out.push({
          component,
          kind: "variance-at-floor",
          reason: `${who} has a variance of at most ${floor.toExponential(3)} along some direction, within ${FLOOR_FACTOR}× regCovar (${regCovar}): it has collapsed onto a few identical values or a lower-dimensional set`,
        });
      }
      continue;
    }
    let largest = 0;
    let smallest = Infinity;
    for (const v of block) {
      largest = Math.max(largest, v);
      smallest = Math.min(smallest, v);
    }
    const floor = Math.max(FLOOR_FACTOR * regCovar, RELATIVE_FLOOR * largest);
    if (smallest <= floor) {
      out.push({
        component,
        kind: "variance-at-floor",
        reason: `${who} has a variance of ${smallest.toExponential(3)}, within ${FLOOR_FACTOR}× regCovar (${regCovar}): it has collapsed onto a few identical values`,
      });
    }
  }
  if (nSamples > 0) {
    // Effective points needed to estimate one component's covariance.
    const needed = family.type === "full" ? d + 1 : family.type === "tied" ? 1 : 2;
    for (let c = 0; c < k; c++) {
      const effective = params.weights[c] * nSamples;
      if (effective < needed) {
        out.push({
          component: c,
          kind: "too-few-points",
          reason: `component ${c} has ${effective.toFixed(2)} effective points, fewer than the ${needed} a ${family.type} covariance in ${d} dimensions needs`,
        });
      }
    }
  }
  return out;
}
