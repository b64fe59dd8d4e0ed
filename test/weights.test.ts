// Sample weights and the public sufficient statistics (#14 items 1 and 2).
import { describe, expect, it } from "vitest";
import * as built from "../dist/index.js";
import { type CovarianceType, GaussianMixture, KMeans, selectModel } from "../src/index.js";
import { datasets, maxRelativeError } from "./helpers.js";

await built.init();

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** Integer weights 0…3 from a fixed pattern, and X with each row repeated that many times. */
function repeated(X: number[][]): { weights: number[]; rows: number[][] } {
  const weights = X.map((_, i) => [1, 2, 0, 3, 1, 1, 2][i % 7]);
  const rows = X.flatMap((r, i) => Array.from({ length: weights[i] }, () => r));
  return { weights, rows };
}

/** A start in scikit-learn's shapes (weights, means, precisions) from a short fit. */
function startOf(X: number[][], type: CovarianceType, k: number) {
  const g = new GaussianMixture({ nComponents: k, covarianceType: type, randomState: 3, maxIter: 2 }).fit(X);
  return { weightsInit: g.weights, meansInit: g.means, precisionsInit: g.precisions };
}

describe("sample weights", () => {
  for (const [name, X] of Object.entries({ faithful: datasets.faithful, iris: datasets.iris })) {
    for (const type of TYPES) {
      it(`integer weights give the fit of repeated rows to 1e-10 (${name}, ${type}, from the same start)`, () => {
        const { weights, rows } = repeated(X);
        const options = { nComponents: 3, covarianceType: type, tol: 0, maxIter: 25, ...startOf(X, type, 3) };
        const a = new GaussianMixture(options).fit(X, { sampleWeight: weights });
        const b = new GaussianMixture(options).fit(rows);
        expect(maxRelativeError(a.weights, b.weights)).toBeLessThan(1e-10);
        expect(maxRelativeError(a.means, b.means)).toBeLessThan(1e-10);
        expect(maxRelativeError(a.covariances, b.covariances)).toBeLessThan(1e-10);
        expect(maxRelativeError(a.lowerBound, b.lowerBound)).toBeLessThan(1e-10);
        // the weighted criteria use n = Σ weights
        expect(maxRelativeError(a.bic(X, { sampleWeight: weights }), b.bic(rows))).toBeLessThan(1e-10);
        expect(maxRelativeError(a.score(X, { sampleWeight: weights }), b.score(rows))).toBeLessThan(1e-10);
      });
    }
  }

  it("fitAsync over threads gives the single-thread weighted fit (1e-10)", async () => {
    const X = Array.from({ length: 6000 }, (_, i) =>
      datasets.faithful[i % 272].map((v, j) => v + ((i * 13 + j) % 17) * 0.01),
    );
    const weights = X.map((_, i) => (i % 5) * 0.5);
    const options = { nComponents: 2, randomState: 0, tol: 0, maxIter: 8 };
    const one = new built.GaussianMixture(options).fit(X, { sampleWeight: weights });
    const threaded = await new built.GaussianMixture(options).fitAsync(X, { nThreads: 2, sampleWeight: weights });
    expect(maxRelativeError(threaded.means, one.means)).toBeLessThan(1e-10);
    expect(maxRelativeError(threaded.lowerBound, one.lowerBound)).toBeLessThan(1e-10);
  });

  it("bad weights are refused naming sampleWeight and the first bad index; the model is unchanged", () => {
    const X = datasets.faithful;
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const before = gmm.toJSON();
    const ok = X.map(() => 1);
    const cases: [unknown, RegExp][] = [
      [ok.slice(1), /sampleWeight has 271 weights but X has 272 rows/],
      [ok.map((v, i) => (i === 5 ? NaN : v)), /sampleWeight\[5\] is NaN/],
      [ok.map((v, i) => (i === 7 ? Infinity : v)), /sampleWeight\[7\] is Infinity/],
      [ok.map((v, i) => (i === 9 ? -1 : v)), /sampleWeight\[9\] is -1; every weight must be a finite number ≥ 0/],
      [ok.map(() => 0), /sampleWeight is all zeros/],
      ["1,2", /sampleWeight must be an array of 272 numbers/],
    ];
    for (const [w, message] of cases) {
      expect(() => gmm.fit(X, { sampleWeight: w as never })).toThrow(message);
    }
    expect(gmm.toJSON()).toEqual(before);
  });

  it("rows of weight 0 are not in the data", () => {
    const X = [...datasets.faithful, [100, 1000], [-50, 3]];
    const weights = X.map((_, i) => (i < 272 ? 1 : 0));
    const options = {
      nComponents: 2,
      covarianceType: "full" as const,
      tol: 0,
      maxIter: 10,
      ...startOf(datasets.faithful, "full", 2),
    };
    const a = new GaussianMixture(options).fit(X, { sampleWeight: weights });
    const b = new GaussianMixture(options).fit(datasets.faithful);
    expect(maxRelativeError(a.means, b.means)).toBeLessThan(1e-12);
  });

  it("KMeans: integer weights give the centres and inertia of repeated rows", () => {
    const X = datasets.iris;
    const { weights, rows } = repeated(X);
    const init = [X[0], X[60], X[120]];
    const a = new KMeans({ nClusters: 3, init }).fit(X, { sampleWeight: weights });
    const b = new KMeans({ nClusters: 3, init }).fit(rows);
    expect(maxRelativeError(a.clusterCenters, b.clusterCenters)).toBeLessThan(1e-12);
    expect(maxRelativeError(a.inertia, b.inertia)).toBeLessThan(1e-12);
    // the seeded start honours weights too: a row of weight 0 is never a centre
    const zeroed = X.map((_, i) => (i < 50 ? 0 : 1));
    const km = new KMeans({ nClusters: 2, randomState: 0 }).fit(X, { sampleWeight: zeroed });
    for (const c of km.clusterCenters) expect(c[2]).toBeGreaterThan(2.5); // setosa (rows 0–49) have petals < 2 cm
  });

  it("selectModel uses the weights in every fit and n = Σ weights in BIC", () => {
    const X = datasets.faithful;
    const weights = X.map((_, i) => 1 + (i % 3));
    const { table, best } = selectModel(X, {
      nComponents: [2, 3],
      covarianceTypes: ["full"],
      sampleWeight: weights,
      randomState: 0,
    });
    const mass = weights.reduce((a, b) => a + b, 0);
    for (const row of table) {
      expect(row.bic).toBeCloseTo(-2 * row.logLikelihood + row.nParameters * Math.log(mass), 8);
    }
    expect(best.score(X, { sampleWeight: weights }) * mass).toBeCloseTo(
      table.find((r) => r.selected)!.logLikelihood,
      8,
    );
  });
});

describe("mergeable statistics", () => {
  for (const type of TYPES) {
    it(`statistics of shards, merged, then mStep equal one iteration of fit on all rows (1e-12, ${type})`, () => {
      const X = datasets.iris;
      const options = { nComponents: 3, covarianceType: type, randomState: 1, tol: 0 };
      const gmm = new GaussianMixture({ ...options, maxIter: 4 }).fit(X);
      const shards = [X.slice(0, 37), X.slice(37, 38), X.slice(38, 120), X.slice(120)];
      const parts = shards.map((rows) => gmm.statistics(rows));
      // statistics travel as JSON, exactly
      const travelled = parts.map((p) => JSON.parse(JSON.stringify(p)));
      expect(travelled).toEqual(parts);
      const merged = GaussianMixture.mergeStatistics(...travelled);
      expect(merged.rows).toBe(150);
      gmm.mStep(merged);
      const reference = new GaussianMixture({ ...options, maxIter: 5 }).fit(X);
      expect(maxRelativeError(gmm.weights, reference.weights)).toBeLessThan(1e-12);
      expect(maxRelativeError(gmm.means, reference.means)).toBeLessThan(1e-12);
      expect(maxRelativeError(gmm.covariances, reference.covariances)).toBeLessThan(1e-12);
      expect(maxRelativeError(gmm.lowerBound, reference.lowerBound)).toBeLessThan(1e-12);
      expect(gmm.nIter).toBe(reference.nIter);
    });
  }

  it("weighted statistics equal those of repeated rows, and float32 models' statistics are in the user's coordinates", () => {
    const X = datasets.faithful;
    const { weights, rows } = repeated(X);
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const a = gmm.statistics(X, { sampleWeight: weights });
    const b = gmm.statistics(rows);
    for (const key of ["nk", "sums", "scatter"] as const)
      expect(maxRelativeError(a[key], b[key], 1e-9)).toBeLessThan(1e-10);
    expect(a.sumWeights).toBe(rows.length);
    const g32 = GaussianMixture.fromJSON({ ...gmm.toJSON(), params: { ...gmm.toJSON().params, dtype: "float32" } });
    const s32 = g32.statistics(X);
    expect(maxRelativeError(s32.sums, gmm.statistics(X).sums)).toBeLessThan(1e-5);
  });

  it("refuses statistics of another K, d, covariance type or format version, saying which", () => {
    const X = datasets.faithful;
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const other = new GaussianMixture({ nComponents: 3, randomState: 0 }).fit(X).statistics(X);
    const diag = new GaussianMixture({ nComponents: 2, covarianceType: "diag", randomState: 0 }).fit(X).statistics(X);
    const mine = gmm.statistics(X);
    expect(() => gmm.mStep(other)).toThrow(/mStep: these statistics have 3 components; this model has 2/);
    expect(() => gmm.mStep(diag)).toThrow(/mStep: these statistics are of a diag model; this model is full/);
    expect(() => GaussianMixture.mergeStatistics(mine, other)).toThrow(
      /argument 1: these statistics have 3 components/,
    );
    expect(() => gmm.mStep({ ...mine, version: 2 })).toThrow(/version 2 is not supported/);
    expect(() => gmm.mStep({ ...mine, nk: [1, NaN] })).toThrow(/nk\[1\] is NaN/);
    expect(() => gmm.mStep({ ...mine, scatter: mine.scatter.slice(1) })).toThrow(
      /scatter must be an array of 8 numbers/,
    );
    const three = [X[0].slice(), X[1].slice()].map((r) => [...r, 0]);
    expect(() => gmm.statistics(three)).toThrow(/X has 3 features but the model has 2/);
  });
});
