// Every reference value here was computed by scikit-learn's
// BayesianGaussianMixture (test/fixtures/make_bayesian.py and the provenance
// block in bayesian.json).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
// from its module: the prior type's type is not exported from src/index.ts
import { BayesianGaussianMixture, type WeightConcentrationPriorType } from "../src/bayesian-mixture.js";
import type { CovarianceType } from "../src/index.js";
import { datasets, expectClose, maxRelativeError } from "./helpers.js";

interface GivenStartCase {
  dataset: string;
  covariance_type: CovarianceType;
  weight_concentration_prior_type: WeightConcentrationPriorType;
  n_components: number;
  model: Record<string, unknown> & { lower_bound_: number; weights_: number[] };
  predict_proba: number[][];
  score_samples: number[];
  score: number;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/bayesian.json", import.meta.url), "utf8")) as {
  provenance: Record<string, string>;
  responsibilities: Record<string, number[][]>;
  given_start: GivenStartCase[];
  kmeans_start: { random_state: number; effective_components: number; converged_: boolean }[];
};

export function fitGiven(c: GivenStartCase, extra: Record<string, unknown> = {}): BayesianGaussianMixture {
  return new BayesianGaussianMixture({
    nComponents: c.n_components,
    covarianceType: c.covariance_type,
    weightConcentrationPriorType: c.weight_concentration_prior_type,
    tol: 0,
    maxIter: 25,
    regCovar: 1e-6,
    responsibilitiesInit: fixture.responsibilities[c.dataset],
    ...extra,
  }).fit(datasets[c.dataset]);
}

describe(`BayesianGaussianMixture parity with scikit-learn ${fixture.provenance.version} from given responsibilities (tol 0, 25 iterations)`, () => {
  const rows: Record<string, unknown>[] = [];
  for (const c of fixture.given_start) {
    const label = `${c.dataset}, ${c.covariance_type}, ${c.weight_concentration_prior_type}, K=${c.n_components}`;
    it(`fit(X) gives scikit-learn's posterior and lower bound to 1e-8 on ${label}`, () => {
      const m = c.model;
      const b = fitGiven(c);
      expect(b.nIter).toBe(25);
      const errors = {
        weights: maxRelativeError(b.weights, m.weights_, 1e-6),
        means: maxRelativeError(b.means, m.means_, 1e-3),
        covariances: maxRelativeError(b.covariances, m.covariances_, 1e-6),
        precisionsCholesky: maxRelativeError(b.precisionsCholesky, m.precisions_cholesky_, 1e-3),
        weightConcentration: maxRelativeError(b.weightConcentration, m.weight_concentration_),
        meanPrecision: maxRelativeError(b.meanPrecision, m.mean_precision_),
        degreesOfFreedom: maxRelativeError(b.degreesOfFreedom, m.degrees_of_freedom_),
        lowerBound: maxRelativeError([b.lowerBound], [m.lower_bound_]),
      };
      rows.push({
        case: label,
        ...Object.fromEntries(Object.entries(errors).map(([k, v]) => [k, v.toExponential(1)])),
      });
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(1e-8);
      const p = b.priors;
      expectClose(
        [p.weightConcentrationPrior, p.meanPrecisionPrior, p.degreesOfFreedomPrior],
        [m.weight_concentration_prior_, m.mean_precision_prior_, m.degrees_of_freedom_prior_],
        1e-15,
      );
      expectClose(p.meanPrior, m.mean_prior_, 1e-12);
      expectClose(p.covariancePrior, m.covariance_prior_, 1e-12, 1e-9);
    });

    it(`predictProba, scoreSamples and score match scikit-learn on ${label}`, () => {
      const X = datasets[c.dataset];
      const b = fitGiven(c);
      const head = X.slice(0, c.predict_proba.length);
      const proba = b.predictProba(head);
      const expected = c.predict_proba.flat();
      let worst = 0;
      for (let t = 0; t < expected.length; t++) worst = Math.max(worst, Math.abs(proba.data[t] - expected[t]));
      expect(worst).toBeLessThan(1e-8);
      expectClose(Array.from(b.scoreSamples(head)), c.score_samples, 1e-8, 1);
      expectClose([b.score(X)], [c.score], 1e-8);
    });
  }
  it("prints the parity table (largest relative error per attribute)", () => {
    console.table(rows);
    expect(rows.length).toBe(fixture.given_start.length);
  });
});

describe("the default k-means start on Old Faithful, Dirichlet process, K = 10", () => {
  // scikit-learn leaves 2 components above 0.01 for every seed that converged (fixture kmeans_start)
  const converged = fixture.kmeans_start.filter((c) => c.converged_);
  const sklearnCount = converged[0].effective_components;
  it("scikit-learn's converged seeds agree on the count", () => {
    expect(converged.length).toBeGreaterThanOrEqual(3);
    for (const c of converged) expect(c.effective_components).toBe(sklearnCount);
  });
  for (const seed of [0, 1, 2, 3]) {
    it(`effectiveComponents equals scikit-learn's ${sklearnCount}, and the lower bound never falls (randomState ${seed})`, () => {
      const bounds: number[] = [];
      const b = new BayesianGaussianMixture({ nComponents: 10, randomState: seed, maxIter: 500 }).fit(
        datasets.faithful,
        {
          onIteration: (info) => bounds.push(info.lowerBound),
        },
      );
      expect(b.converged).toBe(true);
      expect(b.effectiveComponents).toBe(sklearnCount);
      for (let t = 1; t < bounds.length; t++)
        expect(bounds[t]).toBeGreaterThanOrEqual(bounds[t - 1] - 1e-9 * Math.abs(bounds[t - 1]));
    });
  }
});
