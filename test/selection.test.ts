import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { BayesianGaussianMixture, GaussianMixture, selectModel } from "../src/index.js";
import { datasets } from "./helpers.js";

const sklearn = JSON.parse(readFileSync(new URL("./fixtures/sklearn.json", import.meta.url), "utf8"));
const mclust = JSON.parse(readFileSync(new URL("./fixtures/mclust.json", import.meta.url), "utf8"));
const faithful = datasets.faithful;

describe("selectModel", () => {
  it("picks tied K=3 on Old Faithful by BIC over K=1..9 and the four types, as R mclust does (EEE, 3)", () => {
    const { best, bestRow, table } = selectModel(faithful, {
      nComponents: 9,
      criterion: "bic",
      nInit: 10,
      randomState: 0,
      fitOptions: { tol: 1e-8, maxIter: 2000 },
    });
    console.table(
      table
        .map((r) => ({
          K: r.nComponents,
          type: r.covarianceType,
          bic: r.bic.toFixed(2),
          degenerate: r.degenerate,
          selected: r.selected,
        }))
        .filter((r) => r.K <= 4 || r.degenerate),
    );
    expect(table.length).toBe(36);
    expect(bestRow.covarianceType).toBe(mclust.faithful_bic_grid_best.model === "EEE" ? "tied" : "?");
    expect(bestRow.nComponents).toBe(mclust.faithful_bic_grid_best.G);
    expect(best.covarianceType).toBe("tied");
    expect(best.nComponents).toBe(3);
    // mclust's BIC is the negative of ours; it stops slightly earlier, so allow 0.05.
    expect(Math.abs(-bestRow.bic - mclust.faithful_bic_grid_best.bic)).toBeLessThan(0.05);
    for (const r of table) expect(r.bic).toBeGreaterThanOrEqual(bestRow.bic - (r.degenerate ? Infinity : 0));
  });

  it("lists the spurious diag K=5 fit (a variance at regCovar) with its reason, and picks it only with allowDegenerate", () => {
    // Ten k-means restarts, as scikit-learn runs them (the search, initParams "auto", avoids this fit: below).
    const opts = {
      nComponents: [3, 5],
      covarianceTypes: ["tied" as const, "diag" as const],
      nInit: 10,
      randomState: 0,
      fitOptions: { tol: 1e-8, maxIter: 2000, initParams: "kmeans" as const },
    };
    const strict = selectModel(faithful, opts);
    const spurious = strict.table.find((r) => r.covarianceType === "diag" && r.nComponents === 5)!;
    expect(spurious.degenerate).toBe(true);
    expect(spurious.note).toMatch(/variance of 1\.0\d*e-6.*collapsed/);
    expect(spurious.bic).toBeLessThan(strict.bestRow.bic);
    expect(strict.bestRow.covarianceType).toBe("tied");
    const loose = selectModel(faithful, { ...opts, allowDegenerate: true });
    expect(loose.bestRow.covarianceType).toBe("diag");
    expect(loose.bestRow.nComponents).toBe(5);
  });

  it('searches by default (initParams "auto"), which finds a healthy diag K=5 fit instead of the spurious one', () => {
    const { table } = selectModel(faithful, { nComponents: [5], covarianceTypes: ["diag"], nInit: 10, randomState: 0 });
    expect(table[0].degenerate).toBe(false);
  });

  it("supports aic, icl and cross-validation, and ICL ≥ BIC", () => {
    const aic = selectModel(faithful, {
      nComponents: [1, 2, 3, 4],
      covarianceTypes: ["full", "tied"],
      criterion: "aic",
      randomState: 0,
    });
    expect(aic.bestRow.aic).toBe(Math.min(...aic.table.map((r) => r.aic)));
    for (const r of aic.table) expect(r.icl).toBeGreaterThanOrEqual(r.bic);
    const icl = selectModel(faithful, {
      nComponents: [1, 2, 3, 4],
      covarianceTypes: ["full"],
      criterion: "icl",
      randomState: 0,
    });
    expect(icl.bestRow.icl).toBe(Math.min(...icl.table.map((r) => r.icl)));
    const cv = selectModel(faithful, {
      nComponents: [1, 2, 3],
      covarianceTypes: ["full"],
      criterion: "cv",
      folds: 4,
      randomState: 0,
    });
    for (const r of cv.table) expect(Number.isFinite(r.cvLogLikelihood)).toBe(true);
    expect(cv.bestRow.cvLogLikelihood).toBe(Math.max(...cv.table.map((r) => r.cvLogLikelihood!)));
    // One Gaussian cannot describe two clusters as well on held-out rows.
    expect(cv.table[0].cvLogLikelihood!).toBeLessThan(cv.bestRow.cvLogLikelihood!);
    const again = selectModel(faithful, {
      nComponents: [1, 2, 3],
      covarianceTypes: ["full"],
      criterion: "cv",
      folds: 4,
      randomState: 0,
    });
    expect(again.table.map((r) => r.cvLogLikelihood)).toEqual(cv.table.map((r) => r.cvLogLikelihood));
  });

  it("keeps failed fits in the table with their error instead of aborting", () => {
    const X = [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
      [2, 5],
      [3, 1],
      [4, 4],
      [5, 0],
    ];
    const r = selectModel(X, {
      nComponents: [1, 2, 3],
      covarianceTypes: ["full"],
      fitOptions: { regCovar: 0 },
      randomState: 0,
      allowDegenerate: true,
    });
    expect(r.table.length).toBe(3);
    expect(r.table.some((row) => row.error !== undefined) || r.table.every((row) => Number.isFinite(row.bic))).toBe(
      true,
    );
    expect(r.bestRow.error).toBeUndefined();
  });

  it("refuses a bad grid with a clear message", () => {
    expect(() => selectModel(faithful, { nComponents: [0, 2] })).toThrow(/nComponents must be a positive integer/);
    expect(() => selectModel(faithful, { criterion: "bik" as never })).toThrow(/criterion must be/);
    expect(() => selectModel(faithful, { criterion: "cv", folds: 1 })).toThrow(/folds must be an integer from 2/);
  });
});

describe("degenerate", () => {
  it("flags scikit-learn's own spurious fit on Old Faithful (a variance at reg_covar)", () => {
    const fixture = sklearn.faithful_degenerate;
    expect(fixture.min_variance).toBeLessThan(1.1e-6);
    const gmm = GaussianMixture.fromJSON(fixture.model);
    expect(gmm.isDegenerate).toBe(true);
    expect(gmm.degenerate.some((d) => d.kind === "variance-at-floor")).toBe(true);
    expect(gmm.degenerate[0].reason).toMatch(/component \d+ has a variance of 1\.000e-6/);
  });

  it("reports nothing for a healthy fit", () => {
    const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "tied", randomState: 0 }).fit(faithful);
    expect(gmm.degenerate).toEqual([]);
  });

  it("flags a component with fewer effective points than its covariance needs", () => {
    const X = [...datasets.synthetic.slice(0, 200), [40, 40, 40], [40.5, 40.2, 39.9]];
    const gmm = new GaussianMixture({ nComponents: 5, randomState: 0 }).fit(X);
    expect(gmm.degenerate.some((d) => d.kind === "too-few-points")).toBe(true);
  });
});

describe("fit controls", () => {
  it("an AbortSignal stops the fit between iterations with an AbortError and leaves the model as it was", () => {
    const gmm = new GaussianMixture({ nComponents: 3, tol: 0, maxIter: 50, randomState: 0 }).fit(faithful);
    const before = JSON.stringify(gmm);
    const controller = new AbortController();
    let seen = 0;
    expect(() =>
      gmm.fit(datasets.synthetic, {
        signal: controller.signal,
        onIteration: () => {
          if (++seen === 3) controller.abort();
        },
      }),
    ).toThrow(expect.objectContaining({ name: "AbortError" }));
    expect(seen).toBe(3);
    expect(JSON.stringify(gmm)).toBe(before);
    const aborted = new AbortController();
    aborted.abort();
    expect(() => gmm.fit(faithful, { signal: aborted.signal })).toThrow(
      expect.objectContaining({ name: "AbortError" }),
    );
  });

  it("a time budget stops early with a valid model marked not converged", () => {
    const gmm = new GaussianMixture({ nComponents: 4, tol: 0, maxIter: 1_000_000, nInit: 3, randomState: 0 });
    gmm.fit(datasets.synthetic, { timeBudgetMs: 50 });
    expect(gmm.converged).toBe(false);
    expect(gmm.stopReason).toBe("timeBudget");
    expect(gmm.nIter).toBeLessThan(1_000_000);
    expect(Array.from(gmm.scoreSamples(datasets.synthetic)).every(Number.isFinite)).toBe(true);
  });

  it("onIteration's params() gives the parameters after that iteration's M-step", () => {
    const snapshots: { weights: number[]; means: number[][]; covariances: unknown }[] = [];
    const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "diag", tol: 0, maxIter: 6, randomState: 0 }).fit(
      faithful,
      { onIteration: (i) => snapshots.push(i.params()) },
    );
    expect(snapshots).toHaveLength(6);
    const last = snapshots[5];
    expect(last.weights).toEqual(gmm.weights);
    expect(last.means).toEqual(gmm.means);
    expect(last.covariances).toEqual(gmm.covariances);
    expect(snapshots[0].means).not.toEqual(last.means);
  });

  it("onIteration sees every iteration with its lower bound and change", () => {
    const seen: number[] = [];
    const gmm = new GaussianMixture({ nComponents: 2, tol: 0, maxIter: 7, randomState: 0 }).fit(faithful, {
      onIteration: (i) => seen.push(i.iteration),
    });
    expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7]);
    expect(gmm.stopReason).toBe("maxIter");
  });
});

describe("anomaly detection", () => {
  it("anomalyThreshold is the contamination quantile of scoreSamples and isAnomaly flags rows below it", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    const threshold = gmm.anomalyThreshold(faithful, { contamination: 0.05 });
    const flags = gmm.isAnomaly(faithful, threshold);
    const fraction = flags.filter(Boolean).length / faithful.length;
    expect(Math.abs(fraction - 0.05)).toBeLessThanOrEqual(1 / faithful.length);
    const outliers = gmm.isAnomaly(
      [
        [3.5, 70],
        [10, 10],
        [1, 120],
      ],
      threshold,
    );
    expect(outliers).toEqual([false, true, true]);
    expect(() => gmm.anomalyThreshold(faithful, { contamination: 2 })).toThrow(
      /contamination must be a number in \[0, 1\]/,
    );
  });
});

describe("selectModel progress", () => {
  it("calls onFit once before each fit of the grid, in order", () => {
    const seen: string[] = [];
    selectModel(faithful, {
      nComponents: [1, 2],
      covarianceTypes: ["full", "diag"],
      randomState: 0,
      onFit: (i) => seen.push(`${i.index}/${i.total} ${i.covarianceType} ${i.nComponents}`),
    });
    expect(seen).toEqual(["0/4 full 1", "1/4 full 2", "2/4 diag 1", "3/4 diag 2"]);
  });
});

/** log Σ_k w_k N(x | μ_k, Σ_k) for d = 2, full covariances, written out. */
function naiveLogLikelihood(X: number[][], weights: number[], means: number[][], covariances: number[][][]): number {
  let total = 0;
  for (const x of X) {
    let p = 0;
    weights.forEach((w, c) => {
      const [[a, b], [, d]] = covariances[c];
      const det = a * d - b * b;
      const u = x[0] - means[c][0];
      const v = x[1] - means[c][1];
      const q = (d * u * u - 2 * b * u * v + a * v * v) / det;
      p += (w * Math.exp(-0.5 * q)) / (2 * Math.PI * Math.sqrt(det));
    });
    total += Math.log(p);
  }
  return total;
}

describe("selectModel with models: gmm and bgmm", () => {
  const options = {
    models: ["gmm", "bgmm"] as const,
    nComponents: [2, 6],
    covarianceTypes: ["full" as const],
    randomState: 0,
    bayesianOptions: { maxIter: 500 },
  };
  const result = selectModel(faithful, options);

  it("fits every (K, type) with each estimator, tagging the rows", () => {
    expect(result.table.map((r) => `${r.model} ${r.nComponents}`)).toEqual(["gmm 2", "bgmm 2", "gmm 6", "bgmm 6"]);
    for (const r of result.table) expect(r.error).toBeUndefined();
    expect(result.table.filter((r) => r.selected).length).toBe(1);
  });

  it("scores a bgmm row as the plain mixture of its posterior means, counting effective components only", () => {
    const row = result.table[3];
    const b = new BayesianGaussianMixture({ nComponents: 6, randomState: 0, maxIter: 500 }).fit(faithful);
    expect(row.effectiveComponents).toBe(b.effectiveComponents);
    expect(b.effectiveComponents).toBeLessThan(6);
    const ll = naiveLogLikelihood(faithful, b.weights, b.means, b.covariances as number[][][]);
    expect(Math.abs(row.logLikelihood - ll)).toBeLessThan(1e-9 * Math.abs(ll));
    const kEff = b.effectiveComponents;
    expect(row.nParameters).toBe(kEff * 3 + kEff * 2 + kEff - 1);
    expect(row.bic).toBeCloseTo(-2 * ll + row.nParameters * Math.log(faithful.length), 6);
    expect(row.degenerate).toBe(false);
  });

  it("returns the chosen estimator: a BayesianGaussianMixture when only bgmm is listed", () => {
    const only = selectModel(faithful, { ...options, models: ["bgmm"] });
    expect(only.best).toBeInstanceOf(BayesianGaussianMixture);
    expect(only.table.every((r) => r.model === "bgmm")).toBe(true);
    const both = result.best;
    expect(both).toBeInstanceOf(result.bestRow.model === "gmm" ? GaussianMixture : BayesianGaussianMixture);
  });

  it("cross-validates bgmm rows by the held-out log-likelihood of the plain mixture", () => {
    const cv = selectModel(faithful, { ...options, nComponents: [3], criterion: "cv", folds: 3 });
    for (const r of cv.table) expect(Number.isFinite(r.cvLogLikelihood)).toBe(true);
  });

  it('gives bgmm rows their evidence lower bound, and "elbo" ranks only them by it', () => {
    // three well-separated clusters: the bound peaks at K = 3, with the Dirichlet distribution and the process
    let seed = 5;
    const u = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
    const g = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
    const X = Array.from({ length: 300 }, (_, i) => [g() + 6 * (i % 3), 0.7 * g() + (i % 3 === 1 ? 5 : 0)]);
    for (const prior of ["dirichlet_distribution", "dirichlet_process"] as const) {
      const bayesianOptions = { weightConcentrationPriorType: prior, maxIter: 300 };
      const ranked = selectModel(X, {
        models: ["gmm", "bgmm"],
        nComponents: [1, 2, 3, 4, 5],
        covarianceTypes: ["full", "spherical"],
        criterion: "elbo",
        randomState: 0,
        bayesianOptions,
      });
      const bayesian = ranked.table.filter((r) => r.model === "bgmm");
      for (const r of ranked.table.filter((r) => r.model === "gmm")) {
        expect(r.lowerBound).toBeUndefined();
        expect(r.selected).toBe(false);
      }
      for (const r of bayesian) {
        const b = new BayesianGaussianMixture({
          ...bayesianOptions,
          nComponents: r.nComponents,
          covarianceType: r.covarianceType,
          randomState: 0,
        }).fit(X);
        expect(r.lowerBound).toBe(b.evidenceLowerBound);
      }
      const best = Math.max(...bayesian.map((r) => r.lowerBound!));
      expect(ranked.bestRow.lowerBound).toBe(best);
      expect(ranked.bestRow.model).toBe("bgmm");
      expect(ranked.best).toBeInstanceOf(BayesianGaussianMixture);
      expect([ranked.bestRow.nComponents, ranked.bestRow.covarianceType]).toEqual([3, "full"]);
      expect(ranked.criterion).toBe("elbo");
    }
    // on Old Faithful the bound picks two components, as the Dirichlet process's effective count
    const faithfulRanked = selectModel(faithful, {
      models: ["bgmm"],
      nComponents: [1, 2, 3, 4],
      covarianceTypes: ["full"],
      criterion: "elbo",
      randomState: 0,
      bayesianOptions: { weightConcentrationPriorType: "dirichlet_distribution", maxIter: 500 },
    });
    expect(faithfulRanked.bestRow.nComponents).toBe(2);
    expect(() => selectModel(faithful, { nComponents: [2], criterion: "elbo" })).toThrow(
      /criterion "elbo" ranks BayesianGaussianMixture fits by their evidence lower bound: add "bgmm" to models/,
    );
  });

  it("without models the rows carry no model tag; bad models or bayesianOptions are refused naming them", () => {
    const plain = selectModel(faithful, { nComponents: [2], covarianceTypes: ["diag"], randomState: 0 });
    expect("model" in plain.table[0]).toBe(false);
    expect(() => selectModel(faithful, { ...options, models: ["gmm", "dpgmm" as "gmm"] })).toThrow(/models must be/);
    expect(() => selectModel(faithful, { ...options, models: [] })).toThrow(/models must be/);
    expect(() => selectModel(faithful, { ...options, bayesianOptions: { weightConcentrationPrior: -1 } })).toThrow(
      /weightConcentrationPrior/,
    );
  });
});
