// BayesianGaussianMixture beyond parity: JSON both ways, bad input refused
// with the option named and the model unchanged.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BayesianGaussianMixture } from "../src/bayesian-mixture.js";
import { datasets, expectClose } from "./helpers.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/bayesian.json", import.meta.url), "utf8")) as {
  given_start: {
    dataset: string;
    covariance_type: string;
    weight_concentration_prior_type: string;
    n_components: number;
    model: Record<string, unknown>;
    predict_proba: number[][];
    score_samples: number[];
  }[];
};

const X = datasets.faithful;

describe("BayesianGaussianMixture JSON", () => {
  for (const type of ["full", "tied", "diag", "spherical"] as const) {
    for (const prior of ["dirichlet_process", "dirichlet_distribution"] as const) {
      it(`toJSON → fromJSON scores exactly as the fitted model (${type}, ${prior})`, () => {
        const b = new BayesianGaussianMixture({
          nComponents: 4,
          covarianceType: type,
          weightConcentrationPriorType: prior,
          randomState: 0,
        }).fit(X);
        const again = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(b)));
        expect(Array.from(again.scoreSamples(X))).toEqual(Array.from(b.scoreSamples(X)));
        expect(again.weightConcentration).toEqual(b.weightConcentration);
        expect(again.degreesOfFreedom).toEqual(b.degreesOfFreedom);
        expect(again.lowerBound).toBe(b.lowerBound);
        expect(again.toJSON()).toEqual(b.toJSON());
      });
    }
  }

  it("fromJSON reads scikit-learn's attributes and scores as scikit-learn does", () => {
    for (const c of fixture.given_start) {
      const json = {
        ...c.model,
        covariance_type: c.covariance_type,
        weight_concentration_prior_type: c.weight_concentration_prior_type,
      };
      const b = BayesianGaussianMixture.fromJSON(json);
      const head = datasets[c.dataset].slice(0, c.score_samples.length);
      expectClose(Array.from(b.scoreSamples(head)), c.score_samples, 1e-12, 1);
    }
  });

  it("fromJSON refuses inconsistent or malformed models, naming the field", () => {
    const good = new BayesianGaussianMixture({ nComponents: 3, randomState: 0 }).fit(X).toJSON();
    expect(() => BayesianGaussianMixture.fromJSON({ ...good, mean_precision_: [1, -1, 1] })).toThrow(/mean_precision_/);
    expect(() => BayesianGaussianMixture.fromJSON({ ...good, degrees_of_freedom_: [0.5, 3, 3] })).toThrow(
      /degrees_of_freedom_/,
    );
    expect(() =>
      BayesianGaussianMixture.fromJSON({
        ...good,
        weight_concentration_: [
          [1, 2, 3],
          [1, 1, 1],
        ],
      }),
    ).toThrow(/weights_/);
    expect(() => BayesianGaussianMixture.fromJSON({ ...good, surprise: 1 })).toThrow(/surprise/);
    const { weight_concentration_: _, ...missing } = good;
    expect(() => BayesianGaussianMixture.fromJSON(missing)).toThrow(/weight_concentration_/);
  });
});

describe("BayesianGaussianMixture bad input", () => {
  const d = 2;
  const cases: [string, Record<string, unknown>, RegExp][] = [
    ["weightConcentrationPrior ≤ 0", { weightConcentrationPrior: 0 }, /weightConcentrationPrior/],
    ["meanPrecisionPrior < 0", { meanPrecisionPrior: -1 }, /meanPrecisionPrior/],
    ["meanPrior of the wrong length", { meanPrior: [1, 2, 3] }, /meanPrior/],
    ["degreesOfFreedomPrior ≤ d − 1", { degreesOfFreedomPrior: d - 1 }, /degreesOfFreedomPrior/],
    [
      "covariancePrior of the wrong shape",
      {
        covariancePrior: [
          [1, 0, 0],
          [0, 1, 0],
          [0, 0, 1],
        ],
      },
      /covariancePrior/,
    ],
    [
      "covariancePrior not positive definite",
      {
        covariancePrior: [
          [1, 2],
          [2, 1],
        ],
      },
      /covariancePrior is not positive definite/,
    ],
    [
      "covariancePrior not symmetric",
      {
        covariancePrior: [
          [1, 0.5],
          [0, 1],
        ],
      },
      /covariancePrior is not symmetric/,
    ],
    [
      "diag covariancePrior with a negative variance",
      { covarianceType: "diag", covariancePrior: [1, -1] },
      /covariancePrior\[1\]/,
    ],
    ["spherical covariancePrior ≤ 0", { covarianceType: "spherical", covariancePrior: 0 }, /covariancePrior/],
    [
      "responsibilitiesInit of the wrong shape",
      { responsibilitiesInit: [[1, 0, 0]] },
      /responsibilitiesInit has shape/,
    ],
    [
      "responsibilitiesInit rows not summing to 1",
      { responsibilitiesInit: X.map(() => [0.5, 0.6, 0]) },
      /responsibilitiesInit row 0 sums/,
    ],
    [
      "an unknown weightConcentrationPriorType",
      { weightConcentrationPriorType: "dirichlet" },
      /weightConcentrationPriorType/,
    ],
    ["an unknown option", { nComponent: 3 }, /nComponent/],
  ];
  for (const [what, extra, message] of cases) {
    it(`${what} is refused with a message naming the option, and a fitted model is unchanged`, () => {
      const fitted = new BayesianGaussianMixture({ nComponents: 3, randomState: 0, warmStart: false }).fit(X);
      const before = JSON.stringify(fitted);
      expect(() => new BayesianGaussianMixture({ nComponents: 3, randomState: 0, ...extra }).fit(X)).toThrow(message);
      expect(JSON.stringify(fitted)).toBe(before);
    });
  }

  it("a failed fit leaves the model as it was", () => {
    const b = new BayesianGaussianMixture({ nComponents: 3, randomState: 0, meanPrior: [1, 2, 3] });
    expect(() => b.fit(X)).toThrow(/meanPrior/);
    expect(b.isFitted).toBe(false);
  });

  it("fitPredict(X) equals fit(X).predict(X), and sample draws from the posterior mixture", () => {
    const a = new BayesianGaussianMixture({ nComponents: 5, randomState: 3 });
    const labels = a.fitPredict(X);
    expect(Array.from(labels)).toEqual(
      Array.from(new BayesianGaussianMixture({ nComponents: 5, randomState: 3 }).fit(X).predict(X)),
    );
    const { X: drawn, labels: drawnLabels } = a.sample(50, { randomState: 1 });
    expect(drawn.rows).toBe(50);
    expect(drawnLabels.length).toBe(50);
  });
});
