// initParams "auto": the search over starts and split-and-merge moves.
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets } from "./helpers.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];
const { faithful, iris } = datasets;

describe('initParams "auto"', () => {
  it("is deterministic: the same randomState gives the same bits and the same report", () => {
    const fit = () =>
      new GaussianMixture({ nComponents: 4, covarianceType: "full", initParams: "auto", nInit: 3, randomState: 7 }).fit(
        iris,
      );
    const a = fit();
    const b = fit();
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.searchReport).toEqual(b.searchReport);
  });

  it("reports every start, the winning method and the moves", () => {
    const gmm = new GaussianMixture({
      nComponents: 3,
      covarianceType: "full",
      initParams: "auto",
      nInit: 2,
      randomState: 0,
    }).fit(faithful);
    const report = gmm.searchReport!;
    expect(report.starts.length).toBeGreaterThanOrEqual(1 + 3 * 2);
    expect(new Set(report.starts.map((s) => s.method))).toEqual(
      new Set(["hc", "kmeans", "k-means++", "random_from_data"]),
    );
    expect(report.starts.map((s) => s.method)).toContain(report.winner);
    expect(report.moves.accepted).toBeLessThanOrEqual(report.moves.tried);
    expect(report.emIterations).toBeGreaterThan(0);
    // the fit's lower bound is at least every start's
    for (const s of report.starts)
      if (s.lowerBound !== undefined && !s.degenerate)
        expect(gmm.lowerBound).toBeGreaterThanOrEqual(s.lowerBound - 1e-12);
    // other start methods leave no report
    expect(new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful).searchReport).toBeUndefined();
  });

  it("reaches at least the best of ten k-means restarts on Old Faithful and iris, every type, K = 2…5", () => {
    const rows: string[] = [];
    let worse = 0;
    for (const [name, X] of Object.entries({ faithful, iris })) {
      for (const type of TYPES) {
        for (let k = 2; k <= 5; k++) {
          const auto = new GaussianMixture({
            nComponents: k,
            covarianceType: type,
            initParams: "auto",
            nInit: 10,
            randomState: 0,
          }).fit(X);
          const restarts = new GaussianMixture({ nComponents: k, covarianceType: type, nInit: 10, randomState: 0 }).fit(
            X,
          );
          expect(auto.isDegenerate).toBe(false);
          const gap = (auto.lowerBound - restarts.lowerBound) * X.length;
          if (gap < -1e-4 * Math.abs(restarts.lowerBound * X.length) && !restarts.isDegenerate) worse++;
          rows.push(
            `${name} ${type} K=${k}: auto ${(auto.lowerBound * X.length).toFixed(3)}, 10 k-means restarts ${(restarts.lowerBound * X.length).toFixed(3)}`,
          );
        }
      }
    }
    console.log(rows.join("\n"));
    expect(worse).toBe(0);
  });

  it("a collapsed fit never wins while a healthy one exists (Old Faithful, diag, K = 5)", () => {
    // ten k-means restarts keep scikit-learn's spurious fit (README, Model selection)
    const auto = new GaussianMixture({
      nComponents: 5,
      covarianceType: "diag",
      initParams: "auto",
      nInit: 10,
      randomState: 0,
    }).fit(faithful);
    expect(auto.degenerate).toEqual([]);
    const degenerateStarts = auto.searchReport!.starts.filter((s) => s.degenerate);
    expect(degenerateStarts.length).toBeGreaterThan(0);
  });

  it("refuses what it cannot search, naming the option, and leaves the model as it was", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    const before = gmm.toJSON();
    expect(() => new GaussianMixture({ initParams: "best" as never })).toThrow(
      /initParams must be one of "kmeans", .*"auto"; got "best"/,
    );
    expect(() => new GaussianMixture({ initParams: "auto", nInit: 0 })).toThrow(/nInit must be an integer ≥ 1; got 0/);
    expect(() => new GaussianMixture({ initParams: "auto", nInit: 2.5 })).toThrow(
      /nInit must be an integer ≥ 1; got 2.5/,
    );
    expect(() =>
      new GaussianMixture({
        nComponents: 2,
        initParams: "auto",
        meansInit: [
          [0, 0],
          [1, 1],
        ],
      }).fit(faithful),
    ).toThrow(/initParams "auto" searches over its own starts/);
    const fourDistinct = Array.from({ length: 40 }, (_, i) => [i % 4, (i % 4) * 2]);
    expect(() => new GaussianMixture({ nComponents: 5, initParams: "auto" }).fit(fourDistinct)).toThrow(
      /fewer than nComponents = 5 distinct rows/,
    );
    expect(gmm.toJSON()).toEqual(before);
  });

  it("keeps to timeBudgetMs and stops on an aborted signal", () => {
    const slow = new GaussianMixture({
      nComponents: 4,
      covarianceType: "full",
      initParams: "auto",
      nInit: 50,
      randomState: 0,
    });
    slow.fit(iris, { timeBudgetMs: 0 });
    expect(slow.stopReason).toBe("timeBudget");
    const controller = new AbortController();
    let calls = 0;
    const fit = () =>
      slow.fit(iris, {
        signal: controller.signal,
        onIteration: () => (++calls === 5 ? controller.abort() : undefined),
      });
    expect(fit).toThrow(expect.objectContaining({ name: "AbortError" }));
  });
});
