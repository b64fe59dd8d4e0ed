// Special functions for variational inference (BayesianGaussianMixture):
// digamma and log-gamma, and the natural logarithm, all in the module so that
// every JavaScript engine gives the same bits (Math.log and friends are
// implementation-defined in JavaScript; AssemblyScript's Math is its own code).
//
// Both work for x > 0 only (every argument the variational updates produce is
// positive: Dirichlet and Beta concentrations, half degrees of freedom) and
// return NaN for x ≤ 0 or NaN.

/** Below this the recurrences move x up; above it the asymptotic series is used. */
const SHIFT: f64 = 10.0;

/** ½·log(2π). */
const HALF_LOG_2PI: f64 = 0.91893853320467274178;

/**
 * ψ(x) = d/dx log Γ(x) for x > 0.
 *
 * Method (Abramowitz & Stegun 6.3.5 and 6.3.18): the recurrence
 * ψ(x) = ψ(x + 1) − 1/x until x ≥ 10, then the asymptotic expansion
 * ψ(x) = log x − 1/(2x) − Σ_{n≥1} B_2n / (2n·x^2n), eight terms. At x ≥ 10
 * the first omitted term is below 4e-18, so the series is good to rounding;
 * the recurrence adds at most ten rounded reciprocals. Absolute error a few
 * 1e-16 (relative error grows only near the root x ≈ 1.4616, where ψ ≈ 0).
 */
export function digamma(x: f64): f64 {
  if (!(x > 0.0)) return NaN;
  if (x == Infinity) return Infinity;
  let shift: f64 = 0.0;
  while (x < SHIFT) {
    shift += 1.0 / x;
    x += 1.0;
  }
  const inv = 1.0 / x;
  const t = inv * inv;
  // B_2n / (2n): 1/12, −1/120, 1/252, −1/240, 1/132, −691/32760, 1/12, −3617/8160
  const series =
    t * (0.083333333333333333333 +
    t * (-0.0083333333333333333333 +
    t * (0.0039682539682539682540 +
    t * (-0.0041666666666666666667 +
    t * (0.0075757575757575757576 +
    t * (-0.021092796092796092796 +
    t * (0.083333333333333333333 +
    t * -0.44325980392156862745)))))));
  return Math.log(x) - 0.5 * inv - series - shift;
}

/**
 * log Γ(x) for x > 0.
 *
 * Method: for x < 10, log Γ(x) = log Γ(x + m) − log(x(x+1)…(x+m−1)) with the
 * smallest m that reaches 10 (one logarithm of the product, which stays far
 * from overflow: at most 10 factors each below 10); then Stirling's series
 * log Γ(x) = (x − ½)·log x − x + ½·log 2π + Σ_{n≥1} B_2n / (2n(2n−1)·x^(2n−1)),
 * eight terms (the first omitted one is below 2e-18 at x ≥ 10). Absolute
 * error a few 1e-15 for x < 10 (the subtraction of two values near 15),
 * relative error a few ulp above.
 */
export function lgamma(x: f64): f64 {
  if (!(x > 0.0)) return NaN;
  if (x == Infinity) return Infinity;
  let product: f64 = 1.0;
  let shifted = false;
  while (x < SHIFT) {
    product *= x;
    x += 1.0;
    shifted = true;
  }
  const inv = 1.0 / x;
  const t = inv * inv;
  // B_2n / (2n(2n−1)): 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360, 1/156, −3617/122400
  const series = inv *
    (0.083333333333333333333 +
    t * (-0.0027777777777777777778 +
    t * (0.00079365079365079365079 +
    t * (-0.00059523809523809523810 +
    t * (0.00084175084175084175084 +
    t * (-0.0019175269175269175269 +
    t * (0.0064102564102564102564 +
    t * -0.029550653594771241830)))))));
  const value = (x - 0.5) * Math.log(x) - x + HALF_LOG_2PI + series;
  return shifted ? value - Math.log(product) : value;
}

/** The natural logarithm, as every kernel of the module computes it. */
export function ln(x: f64): f64 {
  return Math.log(x);
}
