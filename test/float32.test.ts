// dtype "float32" against scikit-learn's float64 results (the same fixture as
// sklearn-parity.test.ts): the tolerances here are the accuracy the README
// documents for float32.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture, type PrecisionsInit } from "../src/index.js";
import { datasets, maxRelativeError } from "./helpers.js";

interface FixedStart {
  dataset: string;
  covariance_type: CovarianceType;
  n_components: number;
  start: { weights_init: number[]; means_init: number[][]; precisions_init: PrecisionsInit };
  model: Record<string, unknown> & { lower_bound_: number; weights_: number[] };
  predict_proba: number[][];
  predict: number[];
  score_samples: number[];
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/sklearn.json", import.meta.url), "utf8")) as {
  fixed_start: FixedStart[];
};

function fitFromStart(c: FixedStart, dtype: "float32" | "float64"): GaussianMixture {
  return new GaussianMixture({
    nComponents: c.n_components,
    covarianceType: c.covariance_type,
    tol: 0,
    maxIter: 25,
    regCovar: 1e-6,
    weightsInit: c.start.weights_init,
    meansInit: c.start.means_init,
    precisionsInit: c.start.precisions_init,
    randomState: 0,
    dtype,
  }).fit(datasets[c.dataset]);
}

// The largest errors measured (12 cases) were 7e-6 relative on a mean near
// zero, 7e-7 on covariances and 1.4e-6 on scoreSamples; the bounds below
// leave a little room above those.
describe("dtype float32 against scikit-learn (float64), same start, 25 iterations", () => {
  for (const c of fixture.fixed_start) {
    const label = `${c.dataset}, ${c.covariance_type}, K=${c.n_components}`;
    it(`fits and scores within float32 accuracy of scikit-learn on ${label}`, () => {
      const X = datasets[c.dataset];
      const gmm = fitFromStart(c, "float32");
      expect(gmm.dtype).toBe("float32");
      expect(maxRelativeError(gmm.weights, c.model.weights_)).toBeLessThan(5e-6);
      expect(maxRelativeError(gmm.means, c.model.means_, 1e-3)).toBeLessThan(3e-5);
      expect(maxRelativeError(gmm.covariances, c.model.covariances_, 1e-6)).toBeLessThan(5e-6);
      expect(maxRelativeError([gmm.lowerBound], [c.model.lower_bound_])).toBeLessThan(1e-6);
      expect(maxRelativeError(Array.from(gmm.scoreSamples(X)), c.score_samples, 1)).toBeLessThan(1e-5);
      const proba = gmm.predictProba(X).data;
      const expected = c.predict_proba.flat();
      let worst = 0;
      for (let t = 0; t < expected.length; t++) worst = Math.max(worst, Math.abs(proba[t] - expected[t]));
      expect(worst).toBeLessThan(5e-6);
      expect(Array.from(gmm.predict(X))).toEqual(c.predict);
    });
  }
});

describe("dtype float32 keeps its accuracy where float32 itself would not", () => {
  const faithful = datasets.faithful;
  const start = fixture.fixed_start.find((c) => c.dataset === "faithful" && c.covariance_type === "full")!;

  it("fits data far from the origin as well as data near it (rows are centred before rounding)", () => {
    // float32 spacing at 1e7 is 1: without centring, eruptions (spread ~1) would be mostly rounding
    const offset = [1e7, -3e7];
    const far = faithful.map((r) => r.map((v, j) => v + offset[j]));
    const opts = {
      nComponents: 3,
      tol: 0,
      maxIter: 25,
      weightsInit: start.start.weights_init,
      precisionsInit: start.start.precisions_init,
      randomState: 0,
    };
    const near = new GaussianMixture({ ...opts, meansInit: start.start.means_init, dtype: "float32" }).fit(faithful);
    const farFit = new GaussianMixture({
      ...opts,
      meansInit: start.start.means_init.map((m) => m.map((v, j) => v + offset[j])),
      dtype: "float32",
    }).fit(far);
    expect(maxRelativeError(farFit.covariances, near.covariances, 1e-6)).toBeLessThan(1e-5);
    expect(
      maxRelativeError(
        farFit.means.map((m) => m.map((v, j) => v - offset[j])),
        near.means,
        1,
      ),
    ).toBeLessThan(1e-5);
    expect(maxRelativeError([farFit.lowerBound], [near.lowerBound])).toBeLessThan(1e-6);
  });

  it("scores rows whose distance overflows float32 in float64 instead (finite, as float64 scores them)", () => {
    const f64 = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    const f32 = GaussianMixture.fromJSON({ ...f64.toJSON(), params: { ...f64.toJSON().params, dtype: "float32" } });
    expect(f32.dtype).toBe("float32");
    const rows = [
      [1e25, 70],
      [3.5, -1e24],
      [3.5, 70],
      [2, 50],
    ];
    const a = f32.scoreSamples(rows);
    const b = f64.scoreSamples(rows);
    for (let i = 0; i < rows.length; i++) expect(Number.isFinite(a[i])).toBe(true);
    expect(maxRelativeError(Array.from(a), Array.from(b), 1)).toBeLessThan(1e-6);
    expect(Array.from(f32.predict(rows))).toEqual(Array.from(f64.predict(rows)));
  });

  it("takes the float64 rows path when a block would not fit its scratch (2d + K > 512), with the same results", () => {
    const X = Array.from({ length: 1200 }, (_, i) => [Math.sin(i) * 10, Math.cos(i * 1.3) * 10]);
    const opts = {
      nComponents: 520,
      covarianceType: "spherical" as const,
      maxIter: 2,
      tol: 0,
      randomState: 1,
      initParams: "random_from_data" as const,
    };
    const a = new GaussianMixture({ ...opts, dtype: "float32" }).fit(X);
    const b = new GaussianMixture(opts).fit(X);
    // many tiny components: the rounding of X to float32 shows more than usual
    expect(maxRelativeError([a.lowerBound], [b.lowerBound])).toBeLessThan(2e-5);
    expect(a.scoreSamples(X).every(Number.isFinite)).toBe(true);
  });
});

describe("dtype float32 scoring against float64 scoring of the same model", () => {
  // Every block shape of the float32 E-step: d = 2 (its own loads), d < 4 and
  // d % 4 ≠ 0 (a 4×4 transpose plus single features), whole 4-feature tiles,
  // and a last block of fewer than 16 rows (n = 1001).
  const gen = (n: number, d: number, seed: number) => {
    let s = seed;
    const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
    return Array.from({ length: n }, (_, i) =>
      Array.from({ length: d }, (_, j) => (i % 3) * 2 + Math.sin(j + i) + u()),
    );
  };
  for (const d of [1, 2, 3, 4, 5, 7, 8, 13, 32]) {
    for (const covarianceType of ["full", "tied", "diag", "spherical"] as const) {
      it(`d=${d}, ${covarianceType}: scoreSamples and predictProba agree to float32 accuracy`, () => {
        const X = gen(1001, d, d * 31 + covarianceType.length);
        const f64 = new GaussianMixture({ nComponents: 3, covarianceType, maxIter: 5, tol: 0, randomState: 0 }).fit(X);
        const json = f64.toJSON();
        const f32 = GaussianMixture.fromJSON({ ...json, params: { ...json.params, dtype: "float32" } });
        expect(maxRelativeError(Array.from(f32.scoreSamples(X)), Array.from(f64.scoreSamples(X)), 1)).toBeLessThan(
          1e-5,
        );
        const a = f32.predictProba(X).data,
          b = f64.predictProba(X).data;
        let worst = 0;
        for (let t = 0; t < a.length; t++) worst = Math.max(worst, Math.abs(a[t] - b[t]));
        expect(worst).toBeLessThan(1e-5);
      });
    }
  }
});

describe("dtype float32 initialisation (k-means and k-means++ on float32 rows)", () => {
  for (const initParams of ["kmeans", "k-means++"] as const) {
    for (const dataset of ["synthetic", "iris"]) {
      it(`${initParams} on ${dataset} starts where float64 starts, so both reach the same fit`, () => {
        const opts = { nComponents: dataset === "iris" ? 3 : 4, initParams, randomState: 5, tol: 1e-8, maxIter: 500 };
        const a = new GaussianMixture({ ...opts, dtype: "float32" }).fit(datasets[dataset]);
        const b = new GaussianMixture(opts).fit(datasets[dataset]);
        expect(maxRelativeError(a.means, b.means, 1e-2)).toBeLessThan(1e-4);
        expect(maxRelativeError([a.lowerBound], [b.lowerBound])).toBeLessThan(1e-6);
      });
    }
  }
});

describe("dtype float32 input handling", () => {
  const faithful = datasets.faithful;

  it("leaves the caller's data untouched, and dense Float32Array input gives what nested rows give", () => {
    const n = faithful.length;
    const data = Float64Array.from(faithful.flat());
    const copy = data.slice();
    const opts = { nComponents: 2, randomState: 3, dtype: "float32" as const };
    const a = new GaussianMixture(opts).fit({ data, rows: n, cols: 2 });
    expect(data).toEqual(copy);
    const rows32 = Float32Array.from(faithful.flat());
    const b = new GaussianMixture(opts).fit({ data: rows32, rows: n, cols: 2 });
    const c = new GaussianMixture(opts).fit(Array.from({ length: n }, (_, i) => [rows32[2 * i], rows32[2 * i + 1]]));
    expect(b.means).toEqual(c.means);
    expect(b.covariances).toEqual(c.covariances);
    expect(maxRelativeError(a.means, b.means)).toBeLessThan(1e-5);
  });

  it("refuses a value beyond float32's range with the row, column and what to do, and keeps working", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0, dtype: "float32" });
    const bad = faithful.slice(0, 50).map((r) => r.slice());
    bad[7][1] = 1e39;
    expect(() => gmm.fit(bad)).toThrow(/X\[7\]\[1\] is 1e\+39.*float32's range.*dtype "float64"/);
    expect(() =>
      gmm.fit([
        [1, NaN],
        [2, 3],
      ]),
    ).toThrow(/X\[0\]\[1\] is NaN/);
    expect(() =>
      gmm.fit([
        [1, 2],
        [2, 3],
        [4, 10n as never],
      ]),
    ).toThrow(/X\[2\]\[1\] is not a number \(bigint\)/);
    // values JavaScript would coerce are refused, as float64 refuses them
    expect(() =>
      gmm.fit([
        [1, 2],
        ["5" as never, 3],
        [4, 1],
      ]),
    ).toThrow(/X\[1\]\[0\] is not a number \(string\)/);
    expect(() =>
      gmm.fit([
        [1, 2],
        [2, 3],
        [true as never, 1],
      ]),
    ).toThrow(/X\[2\]\[0\] is not a number \(boolean\)/);
    expect(() =>
      gmm.fit([
        [1, null as never],
        [2, 3],
        [4, 1],
      ]),
    ).toThrow(/X\[0\]\[1\] is not a number \(object\)/);
    expect(() => gmm.fit({ data: new Float64Array([1, 2, 3, Infinity]), rows: 2, cols: 2 })).toThrow(
      /X\[1\]\[1\] is Infinity/,
    );
    gmm.fit(faithful);
    expect(gmm.scoreSamples(faithful).every(Number.isFinite)).toBe(true);
    expect(() => new GaussianMixture({ dtype: "float16" as never })).toThrow(
      /dtype must be one of "float64", "float32"/,
    );
  });

  it("round-trips through JSON with its dtype, scoring identically", () => {
    const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "diag", randomState: 0, dtype: "float32" }).fit(
      faithful,
    );
    const json = gmm.toJSON();
    expect(json.params.dtype).toBe("float32");
    const back = GaussianMixture.fromJSON(JSON.stringify(json));
    expect(back.dtype).toBe("float32");
    expect(back.scoreSamples(faithful)).toEqual(gmm.scoreSamples(faithful));
    expect(GaussianMixture.fromJSON({ ...json, params: { ...json.params, dtype: undefined } }).dtype).toBe("float64");
  });
});
