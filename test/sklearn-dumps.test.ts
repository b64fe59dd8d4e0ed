// scikit-learn models as Python users dump them (get_params() plus the fitted
// attributes, numpy arrays as lists: the README's three lines), written by
// scikit-learn 1.2.1 with test/fixtures/make_sklearn_dumps.py. fromJSON must
// load every one and score like scikit-learn's own score_samples.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { GaussianMixture } from "../src/index.js";

interface Dump {
  data: string;
  json: string;
  X: number[][];
  score_samples: number[];
  predict: number[];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/sklearn-dumps.json", import.meta.url), "utf8")) as {
  provenance: { sklearn: string };
  dumps: Record<string, Dump>;
  bayesian: string;
};

function worstRelative(actual: ArrayLike<number>, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++)
    worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), 1));
  return worst;
}

function without(json: string, ...keys: string[]): Record<string, unknown> {
  const o = JSON.parse(json) as Record<string, unknown>;
  for (const key of keys) delete o[key];
  return o;
}

describe("GaussianMixture.fromJSON(a scikit-learn dump)", () => {
  it("the fixtures come from scikit-learn 1.2.1 and cover the four covariance types", () => {
    expect(fixture.provenance.sklearn).toBe("1.2.1");
    expect(Object.keys(fixture.dumps).sort()).toEqual(["diag", "full", "spherical", "tied"]);
  });

  for (const [type, dump] of Object.entries(fixture.dumps)) {
    describe(`${type} (${dump.data})`, () => {
      it("loads the dump as written and scores like scikit-learn's score_samples (1e-10)", () => {
        const gmm = GaussianMixture.fromJSON(JSON.parse(dump.json));
        expect(gmm.covarianceType).toBe(type);
        expect(worstRelative(gmm.scoreSamples(dump.X), dump.score_samples)).toBeLessThan(1e-10);
        expect(Array.from(gmm.predict(dump.X))).toEqual(dump.predict);
      });

      for (const dropped of [["precisions_cholesky_"], ["precisions_"], ["precisions_cholesky_", "precisions_"]]) {
        it(`loads it without ${dropped.join(" and ")} and scores the same (1e-10)`, () => {
          const gmm = GaussianMixture.fromJSON(without(dump.json, ...dropped));
          expect(worstRelative(gmm.scoreSamples(dump.X), dump.score_samples)).toBeLessThan(1e-10);
        });
      }

      it("takes the JSON string itself", () => {
        expect(
          worstRelative(GaussianMixture.fromJSON(dump.json).scoreSamples(dump.X), dump.score_samples),
        ).toBeLessThan(1e-10);
      });
    });
  }

  it("maps scikit-learn's parameters onto the options (tied: k-means++, seed 0, warm_start, max_iter 200)", () => {
    const gmm = GaussianMixture.fromJSON(fixture.dumps.tied.json);
    expect([gmm.initParams, gmm.randomState, gmm.warmStart, gmm.maxIter, gmm.nComponents, gmm.nFeatures]).toEqual([
      "k-means++",
      0,
      true,
      200,
      3,
      4,
    ]);
  });

  it("keeps the given starts (diag: weights_init, means_init, precisions_init) for the next fit, and refits from them as scikit-learn did", () => {
    const dump = fixture.dumps.diag;
    const loaded = GaussianMixture.fromJSON(dump.json);
    expect([loaded.tol, loaded.regCovar]).toEqual([1e-5, 1e-5]);
    const refit = GaussianMixture.fromJSON(dump.json).fit(dump.X);
    // the same start and the same EM: scikit-learn's optimum again
    expect(worstRelative(refit.scoreSamples(dump.X), dump.score_samples)).toBeLessThan(1e-6);
  });

  it("reads integers written as floats (spherical: n_components 3.0, n_init 3.0, random_state 2.0, …)", () => {
    const text = fixture.dumps.spherical.json;
    expect(text).toContain('"n_components": 3.0');
    expect(text).toContain('"random_state": 2.0');
    const gmm = GaussianMixture.fromJSON(text);
    expect([gmm.nComponents, gmm.nInit, gmm.randomState, gmm.initParams]).toEqual([3, 3, 2, "random_from_data"]);
  });

  it("reads feature_names_in_ (as scikit-learn writes it after fitting a DataFrame)", () => {
    const o = JSON.parse(fixture.dumps.full.json);
    o.feature_names_in_ = ["eruptions", "waiting"];
    expect(GaussianMixture.fromJSON(o).featureNames).toEqual(["eruptions", "waiting"]);
  });

  it("round-trips: toJSON of a loaded dump loads again and scores the same", () => {
    const dump = fixture.dumps.full;
    const again = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(GaussianMixture.fromJSON(dump.json))));
    expect(worstRelative(again.scoreSamples(dump.X), dump.score_samples)).toBeLessThan(1e-10);
  });

  it("still refuses unknown names, at the top level and under params", () => {
    const o = JSON.parse(fixture.dumps.full.json);
    expect(() => GaussianMixture.fromJSON({ ...o, n_componentz: 3 })).toThrow(/unknown field "n_componentz"/);
    expect(() => GaussianMixture.fromJSON({ ...o, params: { foo: 1 } })).toThrow(/unknown field params\.foo/);
  });

  it("refuses a parameter given twice with different values, and parameters of the wrong type", () => {
    const o = JSON.parse(fixture.dumps.full.json);
    expect(() => GaussianMixture.fromJSON({ ...o, params: { tol: 0.5 } })).toThrow(
      /tol is 0\.001 but params\.tol is 0\.5/,
    );
    expect(() => GaussianMixture.fromJSON({ ...o, warm_start: "False" })).toThrow(
      /warm_start is "False"; expected true or false/,
    );
    expect(() => GaussianMixture.fromJSON({ ...o, verbose: -1 })).toThrow(/verbose is -1/);
    expect(() => GaussianMixture.fromJSON({ ...o, verbose_interval: 0 })).toThrow(/verbose_interval is 0/);
    expect(() => GaussianMixture.fromJSON({ ...o, means_init: "[[1, 2]]" })).toThrow(
      /means_init is .*expected an array/,
    );
    expect(() => GaussianMixture.fromJSON({ ...o, init_params: "kmeans|| " })).toThrow(/init_params/);
  });

  it("refuses a BayesianGaussianMixture dump, saying why and what to do", () => {
    expect(() => GaussianMixture.fromJSON(fixture.bayesian)).toThrow(TypeError);
    expect(() => GaussianMixture.fromJSON(fixture.bayesian)).toThrow(/BayesianGaussianMixture.*scores would differ/);
  });
});
