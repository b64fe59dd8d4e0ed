// Spurious-solution detection. EM on real data often "wins" by collapsing a
// component onto a few identical values: its variance falls to regCovar and
// the likelihood soars without describing the data better. Such fits are
// flagged so model selection can skip them.
import type { CovarianceFamily } from "./covariance.js";
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

export function findDegenerate(
  family: CovarianceFamily,
  params: MixtureParams,
  k: number,
  d: number,
  nSamples: number,
  regCovar: number,
): DegenerateComponent[] {
  const out: DegenerateComponent[] = [];
  const floorOf = (largest: number) => Math.max(FLOOR_FACTOR * regCovar, RELATIVE_FLOOR * largest);
  for (const { component, floor, smallest } of family.collapsed(params.covariances, k, d, floorOf)) {
    const who = component < 0 ? "the shared covariance" : `component ${component}`;
    out.push({
      component,
      kind: "variance-at-floor",
      reason:
        smallest === undefined
          ? `${who} has a variance of at most ${floor.toExponential(3)} along some direction, within ${FLOOR_FACTOR}× regCovar (${regCovar}): it has collapsed onto a few identical values or a lower-dimensional set`
          : `${who} has a variance of ${smallest.toExponential(3)}, within ${FLOOR_FACTOR}× regCovar (${regCovar}): it has collapsed onto a few identical values`,
    });
  }
  if (nSamples > 0) {
    // Effective points needed to estimate one component's covariance.
    const needed = family.minPoints(d);
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
