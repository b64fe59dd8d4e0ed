// BayesianGaussianMixture.evidenceLowerBound (#16): scikit-learn's lower
// bound plus the terms it drops. With one full component and the Dirichlet
// distribution the variational posterior is exact, so the bound must equal
// the Normal–Wishart model's closed-form log evidence, computed here from
// its textbook formula (Murphy 2007, "Conjugate Bayesian analysis of the
// Gaussian distribution", eq. 266; Bishop 2006 §2.3.6), independently of the
// library's normalisers. Rows far apart in K show the bound compares across K.
import { describe, expect, it } from "vitest";
import { BayesianGaussianMixture } from "../src/bayesian-mixture.js";
import { datasets, expectClose } from "./helpers.js";

/** ln Γ(x) for x > 0: Lanczos (g = 7, 9 terms), about 1e-15 relative. */
function lnGamma(x: number): number {
  const c = [
    0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
    12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
  ];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  const z = x - 1;
  let a = c[0];
  const t = z + 7.5;
  for (let i = 1; i < 9; i++) a += c[i] / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

function logDet(m: number[][]): number {
  // Cholesky
  const d = m.length;
  const l = m.map((r) => r.map(() => 0));
  let s = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let v = m[i][j];
      for (let k = 0; k < j; k++) v -= l[i][k] * l[j][k];
      l[i][j] = i === j ? Math.sqrt(v) : v / l[j][j];
    }
    s += Math.log(l[i][i]);
  }
  return 2 * s;
}

/** ln p(X) under μ, Λ ~ NW(m₀, β₀, Ψ₀⁻¹, ν₀) and x_i ~ N(μ, Λ⁻¹). */
function logEvidence(X: number[][], m0: number[], b0: number, psi0: number[][], nu0: number): number {
  const n = X.length;
  const d = m0.length;
  const mean = m0.map((_, j) => X.reduce((a, r) => a + r[j], 0) / n);
  const bn = b0 + n;
  const nun = nu0 + n;
  const psin = psi0.map((row, a) =>
    row.map((v, b) => {
      let s = 0;
      for (const r of X) s += (r[a] - mean[a]) * (r[b] - mean[b]);
      return v + s + ((b0 * n) / bn) * (mean[a] - m0[a]) * (mean[b] - m0[b]);
    }),
  );
  let gammas = 0;
  for (let j = 0; j < d; j++) gammas += lnGamma(0.5 * (nun - j)) - lnGamma(0.5 * (nu0 - j));
  return (
    -0.5 * n * d * Math.log(Math.PI) +
    gammas +
    0.5 * nu0 * logDet(psi0) -
    0.5 * nun * logDet(psin) +
    0.5 * d * Math.log(b0 / bn)
  );
}

describe("BayesianGaussianMixture.evidenceLowerBound", () => {
  /** One component, exact responsibilities: the variational posterior is the exact one. */
  const base = {
    nComponents: 1,
    weightConcentrationPriorType: "dirichlet_distribution" as const,
    regCovar: 0,
    tol: 0,
    maxIter: 3,
  };
  for (const name of ["faithful", "iris"] as const) {
    it(`equals the closed-form log evidence with one full component (${name}, data priors and given priors)`, () => {
      const X = datasets[name];
      const d = X[0].length;
      const b = new BayesianGaussianMixture(base).fit(X);
      const p = b.priors;
      const expected = logEvidence(
        X,
        p.meanPrior,
        p.meanPrecisionPrior,
        p.covariancePrior as number[][],
        p.degreesOfFreedomPrior,
      );
      expectClose([b.evidenceLowerBound], [expected], 1e-10);
      // scikit-learn's lowerBound drops the prior's terms: it is not the evidence
      expect(Math.abs(b.lowerBound - expected)).toBeGreaterThan(1);
      const psi = Array.from({ length: d }, (_, a) => Array.from({ length: d }, (_, c) => (a === c ? 2 : 0.3)));
      const m0 = X[0].map((v) => v + 1);
      const given = new BayesianGaussianMixture({
        ...base,
        meanPrior: m0,
        meanPrecisionPrior: 0.3,
        covariancePrior: psi,
        degreesOfFreedomPrior: d + 2.5,
      }).fit(X);
      expectClose([given.evidenceLowerBound], [logEvidence(X, m0, 0.3, psi, d + 2.5)], 1e-10);
    });
  }

  for (const name of ["faithful", "iris"] as const) {
    it(`tied and diag with one component equal their closed-form log evidence too (${name})`, () => {
      const X = datasets[name];
      const d = X[0].length;
      // one tied component is one full component: the same Normal–Wishart model
      const tied = new BayesianGaussianMixture({ ...base, covarianceType: "tied" }).fit(X);
      const t = tied.priors;
      expectClose(
        [tied.evidenceLowerBound],
        [logEvidence(X, t.meanPrior, t.meanPrecisionPrior, t.covariancePrior as number[][], t.degreesOfFreedomPrior)],
        1e-10,
      );
      // diag: independent Normal–Gamma models per feature (a 1-D Wishart is a Gamma), sharing ν₀ and β₀
      const diag = new BayesianGaussianMixture({ ...base, covarianceType: "diag" }).fit(X);
      const p = diag.priors;
      const psi = p.covariancePrior as number[];
      let expected = 0;
      for (let j = 0; j < d; j++)
        expected += logEvidence(
          X.map((r) => [r[j]]),
          [p.meanPrior[j]],
          p.meanPrecisionPrior,
          [[psi[j]]],
          p.degreesOfFreedomPrior,
        );
      expectClose([diag.evidenceLowerBound], [expected], 1e-10);
    });
  }

  it("integer sample weights give the bound of the repeated rows, and the JSON round trip keeps it (unweighted)", () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => 1 + (i % 2));
    const repeated = X.flatMap((r, i) => (w[i] === 2 ? [r, r] : [r]));
    const options = {
      nComponents: 1,
      weightConcentrationPriorType: "dirichlet_distribution" as const,
      tol: 0,
      maxIter: 3,
    };
    const weighted = new BayesianGaussianMixture(options).fit(X, { sampleWeight: w });
    const copies = new BayesianGaussianMixture(options).fit(repeated);
    expectClose([weighted.evidenceLowerBound], [copies.evidenceLowerBound], 1e-10);
    const plain = new BayesianGaussianMixture({ ...options, nComponents: 3, randomState: 0 }).fit(X);
    const back = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(plain)));
    expect(back.evidenceLowerBound).toBe(plain.evidenceLowerBound);
  });
});
