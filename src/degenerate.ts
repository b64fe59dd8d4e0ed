// Spurious-solution detection. EM on real data often "wins" by collapsing a
// component onto a few identical values: its variance falls to regCovar and
// the likelihood soars without describing the data better. Such fits are
// flagged so model selection can skip them.
import { covarianceSize, type CovarianceFamily } from "./covariance.js";
import type { MixtureParams } from "./em.js";

export interface DegenerateComponent {
  /** Component index (for tied covariances, the shared covariance is reported as −1). */
  component: number;
  kind: "variance-at-floor" | "too-few-points";
  /** A sentence that says what is wrong. */
  reason: string;
}

/** An eigenvalue below this multiple of regCovar counts as collapsed. */
const FLOOR_FACTOR = 10;
/** With regCovar 0, an eigenvalue this small relative to the largest variance counts. */
const RELATIVE_FLOOR = 1e-10;

/** Eigenvalues of a symmetric d×d matrix by cyclic Jacobi rotations (d is small here). */
export function symmetricEigenvalues(a: ArrayLike<number>, d: number): number[] {
  const m = Float64Array.from(a as ArrayLike<number>).subarray(0, d * d);
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < d; p++) for (let q = p + 1; q < d; q++) off += m[p * d + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < d; p++) {
      for (let q = p + 1; q < d; q++) {
        const apq = m[p * d + q];
        if (apq === 0) continue;
        const theta = (m[q * d + q] - m[p * d + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let k = 0; k < d; k++) {
          const akp = m[k * d + p];
          const akq = m[k * d + q];
          m[k * d + p] = c * akp - s * akq;
          m[k * d + q] = s * akp + c * akq;
        }
        for (let k = 0; k < d; k++) {
          const apk = m[p * d + k];
          const aqk = m[q * d + k];
          m[p * d + k] = c * apk - s * aqk;
          m[q * d + k] = s * apk + c * aqk;
        }
      }
    }
  }
  return Array.from({ length: d }, (_, i) => m[i * d + i]);
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
    let eigen: number[];
    if (family.transposed) eigen = symmetricEigenvalues(block, d);
    else eigen = Array.from(block);
    const largest = Math.max(...eigen);
    const smallest = Math.min(...eigen);
    const floor = Math.max(FLOOR_FACTOR * regCovar, RELATIVE_FLOOR * largest);
    if (smallest <= floor) {
      const component = family.shared ? -1 : b;
      out.push({
        component,
        kind: "variance-at-floor",
        reason: `${component < 0 ? "the shared covariance" : `component ${component}`} has a variance of ${smallest.toExponential(3)}, within ${FLOOR_FACTOR}× regCovar (${regCovar}): it has collapsed onto a few identical values`,
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
