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
  /**
   * "variance-at-floor": along some direction the component keeps less than
   * 1e-5 of the pooled within-component variance there, once regCovar is
   * taken out of both; "too-few-points": fewer effective points than the covariance needs.
   */
  kind: "variance-at-floor" | "too-few-points";
  /** A sentence that says what is wrong. */
  reason: string;
}

/**
 * A component whose own variance along a direction (regCovar taken out) is at
 * most this fraction of the pooled within-component variance there,
 * W = Σ w_c (C_c − regCovar·I), counts as collapsed.
 *
 * Why relative, and why to W: a collapse is a component that keeps none of
 * the spread the mixture's components keep along some direction, whatever
 * the units. The old absolute floor (10 × regCovar) flagged healthy fits on
 * raw scales (breast cancer's single Gaussian has a true eigenvalue of 7e-7:
 * for K = 1, W is that Gaussian, so nothing is flagged now) and missed
 * collapses on data in large units. W comes from the parameters alone, so a
 * model read from JSON is judged by the same rule. Against the data's total
 * covariance (W plus the spread between the means) one far outlier with its
 * own component made every other component look collapsed; W does not grow
 * with the distances between components. For tied covariances W is the
 * shared covariance itself, so only a direction with no spread at all (the
 * slack) is flagged: pooled over every row, it cannot collapse onto a few.
 * On unit-variance features 1e-5 is close to the old floor (9 × 1e-6 above
 * regCovar).
 */
const RELATIVE_FLOOR = 1e-5;
/**
 * Slack for rounding, in units of W's own diagonal: a direction where W has
 * no spread either (every component sits at regCovar there: a constant or
 * collinear feature, or all components collapsed alike) counts as collapsed.
 */
const SLACK = 1e-12;

export function findDegenerate(
  family: CovarianceFamily,
  params: MixtureParams,
  k: number,
  d: number,
  nSamples: number,
  regCovar: number,
): DegenerateComponent[] {
  const out: DegenerateComponent[] = [];
  const rule = { reg: regCovar, epsilon: RELATIVE_FLOOR, slack: SLACK };
  for (const { component, variance, ratio, feature } of family.collapsed(params, k, d, rule)) {
    const who = component < 0 ? "the shared covariance" : `component ${component}`;
    const along = feature === undefined ? "" : ` along feature ${feature}`;
    out.push({
      component,
      kind: "variance-at-floor",
      reason:
        variance === undefined
          ? `${who} has a variance along some direction below ${RELATIVE_FLOOR} of the pooled within-component variance along it (regCovar ${regCovar} taken out of both): it has collapsed onto a few identical values or a lower-dimensional set`
          : `${who} has a variance of ${variance.toExponential(3)}${along}, ${ratio!.toExponential(2)} of the pooled within-component variance there (regCovar ${regCovar} taken out of both; the floor is ${RELATIVE_FLOOR}): it has collapsed onto a few identical values`,
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
