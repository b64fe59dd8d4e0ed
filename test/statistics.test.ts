// The sufficient statistics (src/statistics.ts): any split of the rows into
// blocks merges to the statistics of all the rows, and the M-step from merged
// statistics equals the M-step from one block.
import { describe, expect, it } from "vitest";
import { FAMILIES } from "../src/covariance.js";
import { allocWorkspace, eStepStatistics, loadParams, mStep, readParams } from "../src/em.js";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { scoped } from "../src/memory.js";
import { Random } from "../src/random.js";
import { mergeStatistics, type Statistics } from "../src/statistics.js";
import { kernels } from "../src/wasm.js";
import { loadMatrix } from "../src/workspace.js";
import { datasets, maxRelativeError } from "./helpers.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** The statistics of rows lo … hi − 1 under the model's parameters (a block as a shard would compute it). */
function statisticsOf(gmm: GaussianMixture, type: CovarianceType, X: number[][], lo: number, hi: number): Statistics {
  const family = FAMILIES[type];
  const params = (gmm as unknown as { state: { params: Parameters<typeof loadParams>[3] } }).state.params;
  return scoped(() => {
    const x = loadMatrix(X.slice(lo, hi));
    const ws = allocWorkspace(family, x.ptr, x.rows, x.cols, gmm.nComponents, x);
    loadParams(kernels(), family, ws, params);
    return eStepStatistics(kernels(), family, ws);
  });
}

/** Cut points of a seeded random split of n rows into `blocks` non-empty blocks. */
function split(n: number, blocks: number, seed: number): number[] {
  const rng = new Random(seed);
  const cuts = new Set<number>();
  while (cuts.size < blocks - 1) cuts.add(1 + rng.int(n - 1));
  return [0, ...[...cuts].sort((a, b) => a - b), n];
}

describe("sufficient statistics", () => {
  for (const type of TYPES) {
    it(`any split of the rows merges to the statistics of all of them, to 1e-12 (${type})`, () => {
      const X = datasets.iris;
      const gmm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0, maxIter: 5 }).fit(X);
      const family = FAMILIES[type];
      const whole = statisticsOf(gmm, type, X, 0, X.length);
      for (const [blocks, seed] of [
        [2, 1],
        [3, 2],
        [7, 3],
        [150, 4],
      ]) {
        const cuts = split(X.length, blocks, seed);
        const parts = cuts.slice(1).map((hi, b) => statisticsOf(gmm, type, X, cuts[b], hi));
        // merged in one go, and pairwise in a different grouping (the merge is associative)
        const merged = mergeStatistics(family, 3, 4, parts);
        const pairwise = parts.reduce((a, b) => mergeStatistics(family, 3, 4, [a, b]));
        for (const m of [merged, pairwise]) {
          expect(m.rows).toBe(X.length);
          expect(maxRelativeError(m.logLikelihood, whole.logLikelihood)).toBeLessThan(1e-12);
          expect(maxRelativeError(Array.from(m.nk), Array.from(whole.nk))).toBeLessThan(1e-12);
          expect(maxRelativeError(Array.from(m.sums), Array.from(whole.sums))).toBeLessThan(1e-12);
          // scatter entries relative to their block's scale (off-diagonals may be near 0)
          const scale = Math.max(...Array.from(whole.scatter, Math.abs));
          expect(maxRelativeError(Array.from(m.scatter), Array.from(whole.scatter), scale)).toBeLessThan(1e-12);
        }
      }
    });

    it(`the M-step from merged statistics equals the M-step from one block (${type})`, () => {
      const X = datasets.faithful;
      const gmm = new GaussianMixture({ nComponents: 2, covarianceType: type, randomState: 1, maxIter: 3, tol: 0 }).fit(
        X,
      );
      const family = FAMILIES[type];
      const cuts = split(X.length, 5, 9);
      const merged = mergeStatistics(
        family,
        2,
        2,
        cuts.slice(1).map((hi, b) => statisticsOf(gmm, type, X, cuts[b], hi)),
      );
      const whole = statisticsOf(gmm, type, X, 0, X.length);
      const after = (s: Statistics) =>
        scoped(() => {
          const ws = allocWorkspace(family, 0, 0, 2, 2);
          mStep(kernels(), family, ws, s, 1e-6, "sum", "in the test");
          return readParams(family, ws);
        });
      const a = after(merged);
      const b = after(whole);
      for (const key of ["weights", "means", "covariances", "factor"] as const) {
        expect(maxRelativeError(Array.from(a[key]), Array.from(b[key]), 1e-12)).toBeLessThan(1e-12);
      }
      // and it is one more EM iteration: fit with maxIter + 1 from the same seed
      const next = new GaussianMixture({
        nComponents: 2,
        covarianceType: type,
        randomState: 1,
        maxIter: 4,
        tol: 0,
      }).fit(X);
      expect(maxRelativeError(Array.from(a.means), next.means.flat())).toBeLessThan(1e-12);
    });
  }
});
