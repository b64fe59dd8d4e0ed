// Issue #12's bar: initParams "auto" with nInit 10 against the best
// log-likelihood scikit-learn 1.2.1 (k-means starts, n_init=10) and R mclust
// 6.0.0 (hc start) reach, on six real data sets × four covariance types ×
// K = 1…6 (test/fixtures/best-fit.json, made by make_best_fit.R and
// make_best_fit.py; data in data/, provenance in data/README.md).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { readCsv } from "./helpers.js";

interface Anchor {
  logLik: number | null;
  logLikTight?: number | null;
  degenerate: boolean;
  degenerateTight?: boolean;
}
interface Cell {
  dataset: string;
  covarianceType: CovarianceType;
  k: number;
  n: number;
  sklearn: Anchor;
  mclust: Anchor;
}

const fixture = JSON.parse(readFileSync(new URL("./fixtures/best-fit.json", import.meta.url), "utf8")) as {
  cells: Cell[];
};
const data = new Map<string, number[][]>();

/** An anchor's value counts when the fit exists and did not collapse (the search never lets a collapsed fit win). */
const usable = (a: Anchor, tight = false): number => {
  const v = tight ? a.logLikTight : a.logLik;
  const degenerate = tight ? a.degenerateTight : a.degenerate;
  return v === null || v === undefined || degenerate ? -Infinity : v;
};

/**
 * mclust fits without regularisation, scikit-learn and we add regCovar = 1e-6 to
 * every variance: where that changes the single Gaussian of a data set and
 * type beyond the test's 1e-4 (breast cancer, whose smallest variances are
 * near 1e-6), mclust's optima belong to another objective and cannot be
 * reached, so only scikit-learn's count there. (Until the degeneracy rule
 * became relative to the fit's own spread, those mclust fits were excluded as
 * "collapsed" instead.)
 */
const regCovarMatters = (cell: Cell): boolean => {
  const single = fixture.cells.find(
    (c) => c.dataset === cell.dataset && c.covarianceType === cell.covarianceType && c.k === 1,
  )!;
  const sk = single.sklearn.logLik!;
  const mc = single.mclust.logLik!;
  return Math.abs(sk - mc) > 1e-4 * Math.abs(mc);
};
const mclustAnchor = (cell: Cell, tight = false): number =>
  regCovarMatters(cell) ? -Infinity : usable(cell.mclust, tight);

describe('initParams "auto", nInit 10, against scikit-learn and mclust on real data', () => {
  const results = fixture.cells.map((cell) => {
    let X = data.get(cell.dataset);
    if (!X) data.set(cell.dataset, (X = readCsv(`../data/${cell.dataset}.csv`)));
    const gmm = new GaussianMixture({
      nComponents: cell.k,
      covarianceType: cell.covarianceType,
      initParams: "auto",
      nInit: 10,
      randomState: 0,
    }).fit(X);
    return { cell, ours: gmm.lowerBound * X.length, degenerate: gmm.isDegenerate, winner: gmm.searchReport!.winner };
  });

  it("reaches the best of both (within 1e-4 relative) in ≥ 95 % of cells and is never 1e-4 below scikit-learn", () => {
    let reached = 0;
    let strictlyBetter = 0;
    let belowSklearn = 0;
    let strictlyBetterTight = 0;
    const lines = [
      "| data set | type | K | gmm-wasm auto | scikit-learn | mclust | verdict |",
      "|---|---|---:|---:|---:|---:|---|",
    ];
    for (const { cell, ours, degenerate, winner } of results) {
      const sk = usable(cell.sklearn);
      const mc = mclustAnchor(cell);
      const best = Math.max(sk, mc);
      const slack = 1e-4 * Math.abs(best);
      const ok = !(best > -Infinity) || ours >= best - slack;
      if (ok) reached++;
      if (best > -Infinity && ours > best + slack) strictlyBetter++;
      const bestTight = Math.max(usable(cell.sklearn, true), mclustAnchor(cell, true));
      if (bestTight > -Infinity && ours > bestTight + 1e-4 * Math.abs(bestTight)) strictlyBetterTight++;
      if (sk > -Infinity && ours < sk - 1e-4 * Math.abs(sk)) belowSklearn++;
      const show = (v: number | null, deg: boolean) =>
        v === null ? "n/a" : `${v.toFixed(2)}${deg ? " (collapsed)" : ""}`;
      lines.push(
        `| ${cell.dataset} | ${cell.covarianceType} | ${cell.k} | ${ours.toFixed(2)}${degenerate ? " (collapsed)" : ""} (${winner}) | ${show(cell.sklearn.logLik, cell.sklearn.degenerate)} | ${show(cell.mclust.logLik, cell.mclust.degenerate)}${regCovarMatters(cell) ? " (no regCovar)" : ""} | ${ok ? (best > -Infinity && ours > best + slack ? "better than both" : "reached") : "BELOW"} |`,
      );
    }
    const n = results.length;
    console.log(
      `${lines.join("\n")}\n\nreached the best of both in ${reached}/${n} cells (${((100 * reached) / n).toFixed(1)} %); strictly better than both in ${strictlyBetter} (${((100 * strictlyBetter) / n).toFixed(1)} %), than both anchors' tight runs (tol 1e-6 / 1e-8) in ${strictlyBetterTight}; below scikit-learn in ${belowSklearn}`,
    );
    expect(reached / n).toBeGreaterThanOrEqual(0.95);
    expect(belowSklearn).toBe(0);
  });

  it("never returns a collapsed fit where either anchor found a healthy one", () => {
    const collapsed = results.filter(
      ({ cell, degenerate }) => degenerate && (!cell.sklearn.degenerate || !cell.mclust.degenerate),
    );
    expect(collapsed.map(({ cell }) => `${cell.dataset} ${cell.covarianceType} ${cell.k}`)).toEqual([]);
  });
});
