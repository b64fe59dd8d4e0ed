// What a user downloads: gmm.wasm and the ESM bundle, gzipped (level 9, as
// CDNs and `npm pack` compress). The budget keeps the package well under
// 100 kB gzipped; the README quotes these numbers.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { describe, expect, it } from "vitest";
import { DIST, requireBuild } from "./helpers.js";

function gzipped(file: string): { raw: number; gz: number } {
  const bytes = readFileSync(join(DIST, file));
  return { raw: bytes.length, gz: gzipSync(bytes, { level: 9 }).length };
}

describe("package size", () => {
  // 60 kB until session 3, which added the search, hc, statistics, streaming,
  // conditionals and BayesianGaussianMixture (61 kB with all of them): 64 kB;
  // 66 kB from session 4: the two-rows-per-vector k-means kernels and the d = 3
  // register E-step add 2.3 kB of gmm.wasm for a 2.3× faster KMeans on the photo;
  // 68 kB with the worker pool, scatterFull's edge tiles, weighted streams and the
  // Bayesian fitAsync (66.4 kB, after the bench and test hooks left gmm.wasm);
  // 70 kB from session 5: register scatters for d = 1, 3, 4 and register
  // E-steps for d = 1, 4 add 1.0 kB of gmm.wasm (67.5 kB) for 1.6–2.2× faster
  // iterations at d = 1, 3, 4, leaving room for the other kernel work;
  // 74 kB from session 6: the E-step that also sums the M-step's statistics
  // (eStepFullStats at d ≤ 4, eStepDiagonalStats; 1.1 kB of gmm.wasm) and tied's
  // pooled scatter (0.4 kB of index.js with rowSums) for 1.06–1.2× faster
  // iterations at d ≤ 4 and diag/spherical and 1.6× at tied d = 8 (paired
  // fits); Hamerly's bounds for d ≤ 3 and the k-means update fused into the
  // assignment (1.1 kB of gmm.wasm) for a 1.26–1.32× faster photo start; the
  // M-step at d = 5 … 8 (straight-line gather, a four-row negligible test, fused
  // d = 5 tiles, one-pass sums at d = 5 … 7; 1.1 kB of gmm.wasm) for 1.4–1.7×
  // fewer scatter instructions per row there, bit for bit the same sums (73.7 kB);
  // 75 kB with the float32 E-step's statistics for diag and spherical (0.4 kB of
  // gmm.wasm) for 1.10–1.15× faster float32 diag/spherical iterations (paired);
  // session 7's blocked sums in the d ≤ 4 E-step (0.4 kB of gmm.wasm, 74.6 kB)
  // for 1.08–1.15× faster fits there; 77 kB with the tied E-step that transforms
  // each block once (eStepTied and its float32 twin, 1.3 kB of gmm.wasm, 75.9 kB)
  // for 1.2–2.4× faster tied fits (d = 5 … 32) and 1.3× float32 tied (d = 8);
  // 79 kB from session 8: the straight-line full E-step at d = 5 … 8 in float64
  // and float32 (block.ts's lineBlock, 2.1 kB of gmm.wasm, 77.7 kB) for
  // 1.08–1.13× faster float64 fits there and 1.16–1.19× faster float32 E-steps;
  // 79.6 kB from session 10: the d ≤ 3 k-means steps (assignSmall, Hamerly's
  // assignBounded) compiled once per d, float64 and float32 (0.7 kB of
  // gmm.wasm, 79.46 kB), for 14–20 % fewer instructions per row and a 1.13×
  // faster KMeans on the photo (paired, bit for bit the same);
  // 79.8 kB from session 11: Hamerly's step keeps each 64-row block's sums
  // between steps (0.1 kB of gmm.wasm and index.js, 79.61 kB) for 2.5× fewer
  // instructions in a late Lloyd step and a 1.20× faster KMeans on the photo;
  // 80.0 kB with k-means++'s distances two rows per trip at d > 3 (0.3 kB of
  // gmm.wasm, 79.91 kB) for 22–24 % fewer seeding instructions and 1.06–1.12×
  // faster default fits at d = 5 … 16 (paired, the same bits); 80.4 kB from
  // session 13: the diag and spherical E-steps keep each block's
  // responsibilities where their log-densities were for the block's sums
  // (finishBlockKept, and whole float32 blocks' responsibilities read without
  // clamping; 0.07 kB raw but 0.37 kB gzipped of gmm.wasm, 80.31 kB) for 7 %
  // fewer instructions per row and 1.05× faster diag and spherical fits (paired,
  // the same bits); 80.6 kB with the tied E-step that also sums N_k and Σ r·x
  // at d > 4 (eStepTiedStats and covariance.ts's tiedStatistics: 0.2 kB, 80.51 kB)
  // for 1.07–1.15× faster tied fits at d = 7 … 32 (paired); 80.9 kB from
  // session 14: tied's pooled scatter from the rows' own scatter, summed once per
  // workspace (covariance.ts's withinFromTotal, 0.25 kB of index.js, 80.77 kB)
  // for 1.21–1.45× faster tied fits at d = 5 … 32 (paired); 81.1 kB from
  // session 15: the same kept scatter for M-steps after E-steps that sum nothing
  // (float32 rows, sample weights; keptPooledScatter, 0.2 kB, 80.98 kB) for
  // 1.09–1.41× faster such tied fits (paired); 81.2 kB for the module's check of
  // dense input after its bulk copy (firstBeyond, 0.1 kB of gmm.wasm, 81.15 kB):
  // no unoptimised JavaScript loop over a process's first large input, 1.05×
  // faster scoreSamples on 10⁶ × 2 rows (paired processes), and ±∞ refused there;
  // 81.3 kB for k-means' tol scale summed by the module (lloyd.ts's meanVariance,
  // 0.06 kB, 81.20 kB): KMeans on the photo 1.03× (paired); the weighted diag and
  // spherical E-step's sums (weighKept) fit under both caps (81.29 kB, gmm.wasm 36.60);
  // 81.4 kB from session 16: k-means' bounded step in two passes per stretch of
  // rows (assignBounded: the bounds moved and the rows to scan listed without a
  // branch, then those scanned; 0.09 kB of gmm.wasm, 81.34 kB) for 1.33× faster
  // Lloyd steps on the photo and 1.16–1.29× faster KMeans fits at d = 1 … 3 (paired);
  // 82.1 kB for k-means++'s trials in one pass at d ≤ 3 (seedTrials, float64 and
  // float32: 0.5 kB of gmm.wasm, 82.01 kB): the photo's k-means start 1.10×, its
  // seeding about 1.4×, and each of the best-fit search's k-means++ starts alike;
  // 83.0 kB for the same beyond d = 3 (seedTrialsRows, 0.95 kB, 82.94 kB): KMeans
  // with maxIter 1 1.3–1.6× at d = 5, 8, 12, 32 (paired), where the seeding is
  // most of a well-separated fit's start; 84.4 kB for Hamerly's bounds beyond
  // d = 3 (assignBoundedRows: the same two passes, the listed rows transposed as
  // assignBlocked's, kept block sums; 1.36 kB, 84.32 kB): KMeans 1.5× at d = 4,
  // 2.5× at d = 8 and 2.8× at d = 16 (K = 16, overlapping clusters, paired); the
  // weighted k-means++ and Lloyd steps moved from TypeScript into those kernels
  // (0.23 kB of gmm.wasm, 0.33 kB less index.js, 84.22 kB): weighted KMeans on the
  // photo 3.9–4.9×, a weighted default fit there 1.23×
  it("gmm.wasm + index.js stay under 84.4 kB gzipped", () => {
    requireBuild();
    const wasm = gzipped("gmm.wasm");
    const js = gzipped("index.js");
    console.log(
      `gzipped: gmm.wasm ${wasm.gz} B (raw ${wasm.raw}), index.js ${js.gz} B (raw ${js.raw}), total ${wasm.gz + js.gz} B`,
    );
    expect(wasm.gz).toBeLessThan(39_850); // 31.8 kB after session 7's review, 33.9 kB with lineBlock, 35.6 kB in session 10, 36.0 kB in session 11, 36.4 kB in session 13, 36.5 kB in session 15 (firstBeyond), 36.7 kB in session 16 (the two-pass assignBounded), 37.2 kB (seedTrials), 38.2 kB (seedTrialsRows), 39.5 kB (assignBoundedRows), 39.8 kB (their weights)
    expect(wasm.gz + js.gz).toBeLessThan(84_400);
  });

  it("gmm.wasm leaves out the bench and test hooks (they are in build/gmm-instrumented.wasm)", () => {
    requireBuild();
    const names = (file: string) =>
      WebAssembly.Module.exports(new WebAssembly.Module(readFileSync(file))).map((e) => e.name);
    const hooks = ["peakMultiplyAdd", "peakExp", "expRows"];
    expect(names(join(DIST, "gmm.wasm")).filter((n) => hooks.includes(n))).toEqual([]);
    const instrumented = names(join(DIST, "..", "build", "gmm-instrumented.wasm"));
    expect(hooks.filter((n) => instrumented.includes(n))).toEqual(hooks);
    // and everything else the release exports
    for (const n of names(join(DIST, "gmm.wasm"))) expect(instrumented).toContain(n);
  });
});
