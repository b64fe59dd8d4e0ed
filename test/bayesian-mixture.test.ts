// BayesianGaussianMixture beyond parity: JSON both ways, bad input refused
// with the option named and the model unchanged, sample weights against
// repeated rows, rows far from every component, and fitAsync against fit.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BayesianGaussianMixture } from "../src/bayesian-mixture.js";
import { datasets, expectClose } from "./helpers.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/bayesian.json", import.meta.url), "utf8")) as {
  responsibilities: Record<string, number[][]>;
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

describe("BayesianGaussianMixture sample weights", () => {
  // weights 0…3 by row; the repeated data holds each row (and its given responsibilities) that many times
  const resp = fixture.responsibilities.faithful;
  const sampleWeight = X.map((_, i) => (i * 7) % 4);
  const repeated: number[][] = [];
  const repeatedResp: number[][] = [];
  X.forEach((row, i) => {
    for (let t = 0; t < sampleWeight[i]; t++) {
      repeated.push(row);
      repeatedResp.push(resp[i]);
    }
  });
  for (const type of ["full", "tied", "diag", "spherical"] as const) {
    for (const prior of ["dirichlet_process", "dirichlet_distribution"] as const) {
      it(`fit(X, { sampleWeight }) with integer weights equals the fit of repeated rows to 1e-10 (${type}, ${prior})`, () => {
        const options = {
          nComponents: 4,
          covarianceType: type,
          weightConcentrationPriorType: prior,
          tol: 0,
          maxIter: 25,
        };
        const weighted = new BayesianGaussianMixture({ ...options, responsibilitiesInit: resp }).fit(X, {
          sampleWeight,
        });
        const copies = new BayesianGaussianMixture({ ...options, responsibilitiesInit: repeatedResp }).fit(repeated);
        expectClose(weighted.weights, copies.weights, 1e-10);
        expectClose(weighted.means, copies.means, 1e-10);
        expectClose(weighted.covariances, copies.covariances, 1e-10);
        expectClose(weighted.precisionsCholesky, copies.precisionsCholesky, 1e-10, 1e-12);
        expectClose(weighted.weightConcentration, copies.weightConcentration, 1e-10);
        expectClose(weighted.meanPrecision, copies.meanPrecision, 1e-10);
        expectClose(weighted.degreesOfFreedom, copies.degreesOfFreedom, 1e-10);
        expectClose([weighted.lowerBound], [copies.lowerBound], 1e-10);
        // the data priors (mean, covariance with Σw − 1) are weighted too
        expectClose(weighted.priors.meanPrior, copies.priors.meanPrior, 1e-12);
        expectClose(weighted.priors.covariancePrior, copies.priors.covariancePrior, 1e-12);
      });
    }
  }

  it("sampleWeight of the wrong length or with a negative weight is refused naming it", () => {
    const b = new BayesianGaussianMixture({ nComponents: 3, randomState: 0 });
    expect(() => b.fit(X, { sampleWeight: [1, 2] })).toThrow(/sampleWeight/);
    expect(() => b.fit(X, { sampleWeight: X.map((_, i) => (i === 5 ? -1 : 1)) })).toThrow(/sampleWeight/);
    expect(b.isFitted).toBe(false);
  });
});

describe("BayesianGaussianMixture rows far from every component", () => {
  // A warm start from a fit on three tight clusters (precisions up to ~1e250)
  // meets a row at 1e100. Diag: its log-density overflows to −∞ under every
  // component in the first E-step. Spherical: it is about −1e231, whose terms
  // (½‖F(x − m)‖² and log p(x)) cancel to its r log r ≈ 0 far below their
  // rounding. (A full or tied covariance with that one row in it is not
  // positive definite in float64, and is refused as such.)
  const tight: number[][] = [];
  for (const p of [
    [0, 0],
    [1, 0],
    [0, 1],
  ])
    for (let t = 0; t < 20; t++) tight.push(p);
  const withOutlier = [...tight, [1e100, 1e100]];
  for (const type of ["diag", "spherical"] as const) {
    it(`the lower bound stays finite and never falls with a row whose log-density is ${type === "diag" ? "−∞" : "−1e231"} (${type})`, () => {
      const b = new BayesianGaussianMixture({
        nComponents: 3,
        covarianceType: type,
        tol: 0,
        maxIter: 5,
        regCovar: 0,
        meanPrecisionPrior: 1e-250,
        covariancePrior: type === "diag" ? [1e-250, 1e-250] : 1e-250,
        warmStart: true,
        randomState: 0,
      }).fit(tight);
      const far = b.scoreSamples([[1e100, 1e100]])[0];
      if (type === "diag") expect(far).toBe(-Infinity);
      else expect(far).toBeLessThan(-1e230);
      const bounds: number[] = [];
      b.fit(withOutlier, { onIteration: (info) => bounds.push(info.lowerBound) });
      expect(bounds.length).toBe(5);
      for (const v of bounds) expect(Number.isFinite(v)).toBe(true);
      for (let t = 1; t < bounds.length; t++) expect(bounds[t]).toBeGreaterThanOrEqual(bounds[t - 1]);
      expect(Number.isFinite(b.lowerBound)).toBe(true);
    });
  }
});

describe("BayesianGaussianMixture fitAsync", () => {
  // the worker is its own bundle: the built one (npm test builds first)
  const workerUrl = new URL("../dist/em-worker.js", import.meta.url);
  const resp = fixture.responsibilities.faithful;
  for (const type of ["full", "tied", "diag", "spherical"] as const) {
    for (const prior of ["dirichlet_process", "dirichlet_distribution"] as const) {
      it(`fitAsync(X, { nThreads: 2 }) equals fit(X) to 1e-10 (${type}, ${prior}, given responsibilities, with sample weights)`, async () => {
        const options = {
          nComponents: 4,
          covarianceType: type,
          weightConcentrationPriorType: prior,
          tol: 0,
          maxIter: 25,
          responsibilitiesInit: resp,
        };
        const sampleWeight = X.map((_, i) => 1 + (i % 3));
        const one = new BayesianGaussianMixture(options).fit(X, { sampleWeight });
        const bounds: number[] = [];
        const two = await new BayesianGaussianMixture(options).fitAsync(X, {
          nThreads: 2,
          workerUrl,
          sampleWeight,
          onIteration: (info) => bounds.push(info.lowerBound),
        });
        expect(two.nIter).toBe(25);
        expect(bounds.length).toBe(25);
        for (const key of [
          "weights",
          "means",
          "covariances",
          "precisionsCholesky",
          "weightConcentration",
          "meanPrecision",
          "degreesOfFreedom",
        ] as const) {
          expectClose(two[key], one[key], 1e-10, 1e-12);
        }
        expectClose([two.lowerBound], [one.lowerBound], 1e-10);
        expectClose(Array.from(two.scoreSamples(X)), Array.from(one.scoreSamples(X)), 1e-10, 1);
      });
    }
  }

  it("fitAsync from the default k-means start leaves the components fit leaves (Dirichlet process, K = 10)", async () => {
    const options = { nComponents: 10, randomState: 0, maxIter: 500 };
    const one = new BayesianGaussianMixture(options).fit(X);
    const two = await new BayesianGaussianMixture(options).fitAsync(X, { nThreads: 2, workerUrl });
    expect(two.nIter).toBe(one.nIter);
    expect(two.effectiveComponents).toBe(one.effectiveComponents);
    expectClose(two.weights, one.weights, 1e-8, 1e-6);
  });

  it("fitAsync refuses bad thread options and stream options naming them, and the model is unchanged", async () => {
    const b = new BayesianGaussianMixture({ nComponents: 3, randomState: 0 }).fit(X);
    const before = JSON.stringify(b);
    await expect(b.fitAsync(X, { nThreads: 0 })).rejects.toThrow(/nThreads/);
    await expect(b.fitAsync(X, { nThreads: 2, workerUrl: 5 as unknown as string })).rejects.toThrow(/workerUrl/);
    await expect(b.fitAsync(() => [X], { sampleWeight: X.map(() => 1) })).rejects.toThrow(
      /sampleWeight cannot be given with a streamed source/,
    );
    await expect(b.fitAsync(X, { nThreads: 2, workerUrl, sampleWeight: [1] })).rejects.toThrow(/sampleWeight/);
    // two threads really start workers: one that cannot load is named
    const missing = new URL("../dist/no-such-worker.js", import.meta.url);
    await expect(b.fitAsync(X, { nThreads: 2, workerUrl: missing })).rejects.toThrow(/no-such-worker/);
    expect(JSON.stringify(b)).toBe(before);
  });
});
