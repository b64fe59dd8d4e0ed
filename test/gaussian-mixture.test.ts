import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets } from "./helpers.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];
const faithful = datasets.faithful;

/** Full d×d covariance of component c, whatever the covariance type. */
function fullCovariance(gmm: GaussianMixture, c: number): number[][] {
  const d = gmm.nFeatures;
  const cov = gmm.covariances as never;
  switch (gmm.covarianceType) {
    case "full":
      return cov[c];
    case "tied":
      return cov;
    case "diag":
      return Array.from({ length: d }, (_, i) =>
        Array.from({ length: d }, (_, j) => (i === j ? (cov[c] as number[])[i] : 0)),
      );
    case "spherical":
      return Array.from({ length: d }, (_, i) =>
        Array.from({ length: d }, (_, j) => (i === j ? (cov[c] as number) : 0)),
      );
  }
}

describe("sample(n)", () => {
  for (const type of TYPES) {
    it(`reproduces the weights, means and covariances of a ${type} model within sampling error on 10^5 draws`, () => {
      const gmm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 1 }).fit(datasets.iris);
      const n = 100_000;
      const { X, labels } = gmm.sample(n, { randomState: 7 });
      const d = gmm.nFeatures;
      expect(X.rows).toBe(n);
      expect(X.cols).toBe(d);
      for (let c = 0; c < 3; c++) {
        const rows: number[][] = [];
        for (let i = 0; i < n; i++) if (labels[i] === c) rows.push(Array.from(X.data.subarray(i * d, i * d + d)));
        const w = gmm.weights[c];
        // Multinomial count: within 5 standard errors.
        expect(Math.abs(rows.length / n - w)).toBeLessThan(5 * Math.sqrt((w * (1 - w)) / n));
        const m = rows.length;
        const cov = fullCovariance(gmm, c);
        const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / m);
        for (let j = 0; j < d; j++) {
          expect(Math.abs(mean[j] - gmm.means[c][j])).toBeLessThan(5 * Math.sqrt(cov[j][j] / m));
        }
        for (let a = 0; a < d; a++) {
          for (let b = 0; b < d; b++) {
            let s = 0;
            for (const r of rows) s += (r[a] - mean[a]) * (r[b] - mean[b]);
            const empirical = s / (m - 1);
            // Var of a sample covariance entry ≈ (σ_aa σ_bb + σ_ab²) / m.
            const se = Math.sqrt((cov[a][a] * cov[b][b] + cov[a][b] ** 2) / m);
            expect(Math.abs(empirical - cov[a][b])).toBeLessThan(5 * se);
          }
        }
      }
    });
  }

  it("is reproducible with a seed and groups rows by component in label order", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 3 }).fit(faithful);
    const a = gmm.sample(500, { randomState: 11 });
    const b = gmm.sample(500, { randomState: 11 });
    const c = gmm.sample(500, { randomState: 12 });
    expect(Array.from(a.X.data)).toEqual(Array.from(b.X.data));
    expect(Array.from(a.X.data)).not.toEqual(Array.from(c.X.data));
    for (let i = 1; i < a.labels.length; i++) expect(a.labels[i]).toBeGreaterThanOrEqual(a.labels[i - 1]);
  });
});

describe("EM", () => {
  for (const type of TYPES) {
    for (const initParams of ["kmeans", "k-means++", "random", "random_from_data"] as const) {
      it(`never lowers the lower bound at any iteration (${type}, ${initParams} init, iris and synthetic)`, () => {
        for (const X of [datasets.iris, datasets.synthetic]) {
          // With regCovar 0 each M-step maximises the expected log-likelihood exactly, so
          // EM's monotonicity holds up to rounding. (With regCovar > 0 the M-step is a
          // regularised one and the bound may dip by ~1e-11 near convergence, in
          // scikit-learn too; the second run bounds that.)
          // k-means++ and random_from_data start every covariance at regCovar·I, so they need a tiny one.
          const pointStart = initParams === "k-means++" || initParams === "random_from_data";
          for (const [regCovar, slack] of [
            [pointStart ? 1e-12 : 0, 1e-13],
            [1e-6, 1e-9],
          ]) {
            const bounds: number[] = [];
            new GaussianMixture({
              nComponents: 4,
              covarianceType: type,
              initParams,
              tol: 0,
              maxIter: 60,
              regCovar,
              randomState: 5,
            }).fit(X, { onIteration: ({ lowerBound }) => bounds.push(lowerBound) });
            expect(bounds.length).toBe(60);
            for (let t = 1; t < bounds.length; t++) {
              expect(bounds[t]).toBeGreaterThanOrEqual(bounds[t - 1] - slack * Math.abs(bounds[t - 1]));
            }
          }
        }
      });
    }
  }

  it("with tol 0 runs exactly maxIter iterations and reports not converged", () => {
    const gmm = new GaussianMixture({ nComponents: 2, tol: 0, maxIter: 17, randomState: 0 }).fit(faithful);
    expect(gmm.nIter).toBe(17);
    expect(gmm.converged).toBe(false);
  });

  it("stops when the lower bound changes by less than tol and reports converged", () => {
    const changes: number[] = [];
    const gmm = new GaussianMixture({ nComponents: 2, tol: 1e-3, randomState: 0 }).fit(faithful, {
      onIteration: ({ change }) => changes.push(change),
    });
    expect(gmm.converged).toBe(true);
    expect(Math.abs(changes[changes.length - 1])).toBeLessThan(1e-3);
    for (const c of changes.slice(0, -1)) expect(Math.abs(c)).toBeGreaterThanOrEqual(1e-3);
    expect(gmm.nIter).toBe(changes.length);
  });

  it("keeps the initialisation with the highest lower bound among nInit", () => {
    const perInit = new Map<number, number>();
    const gmm = new GaussianMixture({ nComponents: 4, nInit: 6, initParams: "random", randomState: 2 }).fit(
      datasets.synthetic,
      { onIteration: ({ init, lowerBound }) => perInit.set(init, lowerBound) },
    );
    expect(perInit.size).toBe(6);
    expect(gmm.lowerBound).toBe(Math.max(...perInit.values()));
  });

  it("gives bit-identical models for the same randomState and different ones for another", () => {
    const fit = (seed: number) =>
      JSON.stringify(
        new GaussianMixture({ nComponents: 4, nInit: 3, covarianceType: "full", randomState: seed }).fit(
          datasets.synthetic,
        ),
      );
    expect(fit(42)).toBe(fit(42));
    const random = (seed: number) =>
      JSON.stringify(
        new GaussianMixture({ nComponents: 4, initParams: "random", maxIter: 5, randomState: seed }).fit(
          datasets.synthetic,
        ),
      );
    expect(random(1)).toBe(random(1));
    expect(random(1)).not.toBe(random(2));
  });

  it("fitPredict(X) equals fit(X).predict(X)", () => {
    const a = new GaussianMixture({ nComponents: 3, randomState: 9 });
    const labels = a.fitPredict(datasets.iris);
    const b = new GaussianMixture({ nComponents: 3, randomState: 9 }).fit(datasets.iris);
    expect(Array.from(labels)).toEqual(Array.from(b.predict(datasets.iris)));
    expect(Array.from(labels)).toEqual(Array.from(a.predict(datasets.iris)));
  });

  it("warmStart continues from the fitted parameters instead of starting over", () => {
    const gmm = new GaussianMixture({ nComponents: 3, tol: 0, maxIter: 5, warmStart: true, randomState: 0 });
    gmm.fit(datasets.iris);
    const first = gmm.lowerBound;
    gmm.fit(datasets.iris);
    const reference = new GaussianMixture({ nComponents: 3, tol: 0, maxIter: 10, randomState: 0 }).fit(datasets.iris);
    expect(gmm.lowerBound).toBeGreaterThanOrEqual(first);
    // Five then five more iterations equal ten in one go (the bound reported is of the last E-step).
    expect(gmm.means).toEqual(reference.means);
    expect(gmm.lowerBound).toBe(reference.lowerBound);
  });

  it("accepts dense Float64Array and Float32Array matrices and returns dense results that feed back in", () => {
    const X = datasets.iris;
    const d64 = { data: Float64Array.from(X.flat()), rows: X.length, cols: 4 };
    const nested = new GaussianMixture({ nComponents: 3, randomState: 4 }).fit(X);
    const dense = new GaussianMixture({ nComponents: 3, randomState: 4 }).fit(d64);
    expect(dense.means).toEqual(nested.means);
    const f32 = { data: Float32Array.from(X.flat()), rows: X.length, cols: 4 };
    const rounded = X.map((r) => r.map((v) => Math.fround(v)));
    expect(Array.from(nested.scoreSamples(f32))).toEqual(Array.from(nested.scoreSamples(rounded)));
    const { X: S } = nested.sample(50, { randomState: 1 });
    expect(nested.scoreSamples(S).length).toBe(50);
    expect(nested.predictProba(S).rows).toBe(50);
  });

  it("predictProba rows sum to 1 and predict is their argmax", () => {
    const gmm = new GaussianMixture({ nComponents: 4, covarianceType: "diag", randomState: 0 }).fit(datasets.synthetic);
    const p = gmm.predictProba(datasets.synthetic);
    const labels = gmm.predict(datasets.synthetic);
    for (let i = 0; i < p.rows; i++) {
      const row = Array.from(p.data.subarray(i * 4, i * 4 + 4));
      expect(Math.abs(row.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(1e-12);
      expect(row.indexOf(Math.max(...row))).toBe(labels[i]);
    }
  });

  it("bic and aic use scikit-learn's parameter counts per covariance type", () => {
    // k = 3, d = 4: covariances + means (12) + weights (2).
    const counts: Record<CovarianceType, number> = { full: 30 + 14, tied: 10 + 14, diag: 12 + 14, spherical: 3 + 14 };
    for (const type of TYPES) {
      const gmm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0 }).fit(datasets.iris);
      expect(gmm.nParameters).toBe(counts[type]);
      const n = datasets.iris.length;
      expect(gmm.bic(datasets.iris)).toBeCloseTo(-2 * gmm.score(datasets.iris) * n + gmm.nParameters * Math.log(n), 9);
      expect(gmm.aic(datasets.iris)).toBeCloseTo(-2 * gmm.score(datasets.iris) * n + 2 * gmm.nParameters, 9);
    }
  });
});

describe("precisions", () => {
  it("precisions is the inverse of covariances for every component and type (K = 3)", () => {
    for (const type of ["full", "tied", "diag", "spherical"] as const) {
      const gmm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0 }).fit(datasets.iris);
      const cov = gmm.covariances as number[][][] | number[][] | number[];
      const prec = gmm.precisions as typeof cov;
      const blocks = type === "full" ? (cov as number[][][]) : type === "tied" ? [cov as number[][]] : undefined;
      if (blocks) {
        blocks.forEach((c, b) => {
          const p = type === "full" ? (prec as number[][][])[b] : (prec as number[][]);
          for (let i = 0; i < 4; i++)
            for (let j = 0; j < 4; j++) {
              let t = 0;
              for (let m = 0; m < 4; m++) t += c[i][m] * p[m][j];
              expect(t).toBeCloseTo(i === j ? 1 : 0, 9);
            }
        });
      } else {
        const c = (cov as (number | number[])[]).flat();
        const p = (prec as (number | number[])[]).flat();
        c.forEach((v, t) => expect(v * p[t]).toBeCloseTo(1, 12));
      }
    }
  });
});
