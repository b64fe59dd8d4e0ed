// GaussianMixture's responsibilitiesInit: EM starts with an M-step on the
// given responsibilities. Reference values from scikit-learn's
// GaussianMixture started by _initialize(X, resp) (test/fixtures/
// make_gmm_responsibilities.py and the provenance block in its JSON).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets, maxRelativeError } from "./helpers.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/gmm-responsibilities.json", import.meta.url), "utf8")) as {
  provenance: Record<string, string>;
  responsibilities: number[][];
  cases: {
    covariance_type: CovarianceType;
    max_iter: number;
    weights_: number[];
    means_: number[][];
    covariances_: unknown;
    precisions_cholesky_: unknown;
    n_iter_: number;
    lower_bound_: number;
  }[];
};

const X = datasets.faithful;
const resp = fixture.responsibilities;
const K = resp[0].length;

describe(`GaussianMixture responsibilitiesInit against scikit-learn ${fixture.provenance.version} (_initialize(X, resp), tol 0)`, () => {
  for (const c of fixture.cases) {
    it(`fit(X) from the given responsibilities matches scikit-learn to 1e-8 on Old Faithful, ${c.covariance_type}, ${c.max_iter} iteration(s)`, () => {
      const g = new GaussianMixture({
        nComponents: K,
        covarianceType: c.covariance_type,
        tol: 0,
        maxIter: c.max_iter,
        regCovar: 1e-6,
        responsibilitiesInit: resp,
      }).fit(X);
      expect(g.nIter).toBe(c.n_iter_);
      const errors = {
        weights: maxRelativeError(g.weights, c.weights_),
        means: maxRelativeError(g.means, c.means_),
        covariances: maxRelativeError(g.covariances, c.covariances_, 1e-12),
        precisionsCholesky: maxRelativeError(g.precisionsCholesky, c.precisions_cholesky_, 1e-12),
        lowerBound: maxRelativeError([g.lowerBound], [c.lower_bound_]),
      };
      for (const [name, err] of Object.entries(errors)) expect(err, name).toBeLessThanOrEqual(1e-8);
    });
  }

  it("a dense matrix of responsibilities starts the same fit as nested arrays", () => {
    const dense = { data: Float64Array.from(resp.flat()), rows: resp.length, cols: K };
    const a = new GaussianMixture({ nComponents: K, tol: 0, maxIter: 3, responsibilitiesInit: resp }).fit(X);
    const b = new GaussianMixture({ nComponents: K, tol: 0, maxIter: 3, responsibilitiesInit: dense }).fit(X);
    expect(b.means).toEqual(a.means);
    expect(b.lowerBound).toBe(a.lowerBound);
  });

  it("the given responsibilities override initParams, and weightsInit then replaces the weights they give", () => {
    const fromResp = new GaussianMixture({
      nComponents: K,
      maxIter: 0,
      responsibilitiesInit: resp,
      initParams: "random",
    });
    const plain = new GaussianMixture({ nComponents: K, maxIter: 0, responsibilitiesInit: resp });
    expect(fromResp.fit(X).means).toEqual(plain.fit(X).means);
    const weightsInit = [0.1, 0.2, 0.3, 0.4];
    const both = new GaussianMixture({ nComponents: K, maxIter: 0, responsibilitiesInit: resp, weightsInit }).fit(X);
    expect(both.weights).toEqual(weightsInit);
    expect(both.means).toEqual(plain.means);
  });
});

describe("GaussianMixture responsibilitiesInit bad input", () => {
  const wrongRow = resp.map((r) => r.slice());
  wrongRow[7] = [0.5, 0.5, 0.5, 0];
  const negative = resp.map((r) => r.slice());
  negative[3] = [1.5, -0.5, 0, 0];
  const cases: [string, unknown, RegExp][] = [
    [
      "too few rows",
      resp.slice(1),
      /responsibilitiesInit has shape \[271, 4\]; expected \[rows of X, nComponents\] = \[272, 4\]/,
    ],
    ["too few columns", resp.map((r) => r.slice(1)), /responsibilitiesInit has shape \[272, 3\]/],
    ["a row not summing to 1", wrongRow, /responsibilitiesInit row 7 sums to 1\.5/],
    ["a negative entry", negative, /responsibilitiesInit\[3\]\[1\] is -0\.5/],
    ["a NaN entry", resp.map((r, i) => (i === 2 ? [Number.NaN, 1, 0, 0] : r)), /responsibilitiesInit\[2\]\[0\]/],
    ["a number", 3, /responsibilitiesInit/],
  ];
  for (const [what, given, message] of cases) {
    it(`${what} is refused naming responsibilitiesInit, and the fitted model is unchanged`, () => {
      const g = new GaussianMixture({ nComponents: K, randomState: 0 }).fit(X);
      const before = JSON.stringify(g);
      const bad = new GaussianMixture({ nComponents: K, responsibilitiesInit: given as number[][] });
      expect(() => bad.fit(X)).toThrow(message);
      expect(bad.isFitted).toBe(false);
      expect(JSON.stringify(g)).toBe(before);
      // the same instance still fits once the option is right
      expect(new GaussianMixture({ nComponents: K, responsibilitiesInit: resp }).fit(X).isFitted).toBe(true);
    });
  }

  it('initParams "auto" and streamed sources refuse responsibilitiesInit, saying why', async () => {
    expect(() =>
      new GaussianMixture({ nComponents: K, initParams: "auto", responsibilitiesInit: resp }).fit(X),
    ).toThrow(/initParams "auto".*responsibilitiesInit/);
    const g = new GaussianMixture({ nComponents: K, responsibilitiesInit: resp });
    await expect(g.fitAsync(() => [X])).rejects.toThrow(/responsibilitiesInit cannot start a streamed fit/);
  });
});
