// The E-steps that sum the M-step's statistics as they go (sample weights:
// diag and spherical, float64) (eStepFullStats: full and tied, d ≤ 4, K ≤ 64, float64 rows;
// eStepTiedStats: tied beyond, N_k and Σ r·x, the scatter from the rows' kept one; eStepDiagonalStats: diag and
// spherical; eStepF32Stats: their float32 rows)
// against the E-step followed by the separate sums and scatter kernels on the
// same parameters: the same responsibilities and log-likelihoods bit for bit,
// the same statistics to 1e-12, and the cases where they hand back to the sums.
import { describe, expect, it } from "vitest";
import { type CovarianceType, FAMILIES } from "../src/covariance.js";
import {
  allocWorkspace,
  blockStatistics,
  eStepStatistics,
  eStepTotal,
  loadParams,
  type MixtureParams,
} from "../src/em.js";
import { GaussianMixture } from "../src/index.js";
import { alloc, f32, f64, scoped } from "../src/memory.js";
import { Random } from "../src/random.js";
import type { Statistics } from "../src/statistics.js";
import { kernels } from "../src/wasm.js";
import { loadMatrix } from "../src/workspace.js";
import { lowerError, maxRelativeError, naivePooledScatter, normal } from "./helpers.js";

/** n rows around k centres in d dimensions. */
function blobs(n: number, d: number, k: number, seed: number): number[][] {
  const rng = new Random(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 4 * normal(rng)));
  return Array.from({ length: n }, (_, i) => centres[i % k].map((m) => m + normal(rng) + 10));
}

/** 300 rows in d = 6 around three centres 1e3 apart, 0.01 wide: a tied split of these cancels. */
function separated(rng: Random): number[][] {
  return Array.from({ length: 300 }, (_, i) =>
    Array.from({ length: 6 }, (_, j) => 1000 * ((i % 3) + j) + 0.01 * normal(rng)),
  );
}

function paramsOf(gmm: GaussianMixture): MixtureParams {
  return (gmm as unknown as { state: { params: MixtureParams } }).state.params;
}

interface Run {
  stats: Statistics;
  resp: Float64Array;
  lpn: Float64Array;
  fusedTaken: boolean;
}

/** Statistics of X under `params`, by eStepStatistics (fused where it applies) or by the E-step then the sums. */
function run(
  type: CovarianceType,
  X: number[][],
  k: number,
  params: MixtureParams,
  fused: boolean,
  dtype: "float64" | "float32" = "float64",
  sampleWeight?: Float64Array,
): Run {
  const wasm = kernels();
  const family = FAMILIES[type];
  return scoped(() => {
    const x = loadMatrix(X, "X", dtype);
    const ws = allocWorkspace(family, x.ptr, x.rows, x.cols, k, x, sampleWeight);
    loadParams(wasm, family, ws, params);
    let fusedTaken = false;
    if (fused) {
      // whether the kernel's statistics were kept whole (the scatter not summed again from the responsibilities)
      const probe = allocWorkspace(family, x.ptr, x.rows, x.cols, k, x, sampleWeight);
      loadParams(wasm, family, probe, params);
      const r = family.eStepWithStatistics?.(wasm, probe);
      fusedTaken = r?.statistics.scatter !== undefined && Number.isFinite(r.logLikelihood);
    }
    const stats = fused ? eStepStatistics(wasm, family, ws) : blockStatistics(wasm, family, ws, eStepTotal);
    return { stats, resp: f64(ws.resp, x.rows * k).slice(), lpn: f64(ws.logProbNorm, x.rows).slice(), fusedTaken };
  });
}

/** eStepFullStats on X (full, float64) under `params`: what it returns, its moments and the responsibilities it wrote. */
function kernelMoments(
  X: number[][],
  k: number,
  params: MixtureParams,
): { total: number; moments: Float64Array; resp: Float64Array } {
  const wasm = kernels();
  const family = FAMILIES.full;
  return scoped(() => {
    const x = loadMatrix(X);
    const { rows: n, cols: d } = x;
    const ws = allocWorkspace(family, x.ptr, n, d, k, x);
    loadParams(wasm, family, ws, params);
    const per = (d * (d + 1)) / 2 + 1 + d;
    const acc = alloc(k * per);
    const total = wasm.eStepFullStats(
      ws.x,
      n,
      d,
      ws.means,
      ws.factor,
      d * d,
      ws.logDet,
      ws.logWeights,
      k,
      ws.resp,
      ws.logProbNorm,
      acc,
    );
    return { total, moments: f64(acc, k * per).slice(), resp: f64(ws.resp, n * k).slice() };
  });
}

/** eStepFullStats' moments summed in JS, row by row: Σ r d_j d_l (l ≤ j), N, Σ r d_j per component, d = x − μ. */
function plainMoments(X: number[][], r: Float64Array, means: Float64Array, k: number, d: number): Float64Array {
  const per = (d * (d + 1)) / 2 + 1 + d;
  const want = new Float64Array(k * per);
  for (let i = 0; i < X.length; i++)
    for (let c = 0; c < k; c++) {
      const ric = r[i * k + c];
      const dv = X[i].map((v, j) => v - means[c * d + j]);
      let t = c * per;
      for (let j = 0; j < d; j++) for (let l = 0; l <= j; l++) want[t++] += ric * dv[j] * dv[l];
      want[t++] += ric;
      for (let j = 0; j < d; j++) want[t++] += ric * dv[j];
    }
  return want;
}

/** The scatter's lower triangle against the plain JavaScript sum of the same responsibilities and means. */
function expectPlainScatter(
  got: ArrayLike<number>,
  rows: ArrayLike<number>[],
  resp: Float64Array,
  means: Float64Array,
  k: number,
  tolerance = 1e-12,
): void {
  expect(lowerError(got, naivePooledScatter(rows, resp, means, k), rows[0].length)).toBeLessThan(tolerance);
}

function expectSame(a: Run, b: Run, scatterTolerance = 1e-12): void {
  expect(Array.from(a.resp)).toEqual(Array.from(b.resp));
  expect(Array.from(a.lpn)).toEqual(Array.from(b.lpn));
  expect(a.stats.logLikelihood).toBe(b.stats.logLikelihood);
  expect(maxRelativeError(Array.from(a.stats.nk), Array.from(b.stats.nk), 1e-300)).toBeLessThan(1e-12);
  const sumScale = Math.max(...Array.from(b.stats.sums, Math.abs));
  expect(maxRelativeError(Array.from(a.stats.sums), Array.from(b.stats.sums), sumScale)).toBeLessThan(1e-12);
  const scale = Math.max(...Array.from(b.stats.scatter, Math.abs));
  expect(maxRelativeError(Array.from(a.stats.scatter), Array.from(b.stats.scatter), scale)).toBeLessThan(
    scatterTolerance,
  );
}

describe("E-step with statistics (eStepFullStats)", () => {
  // Each family's fused kernel against the E-step and separate sums on the
  // parameters of a short fit: odd n (a lone last row) for the register
  // kernels, n not a multiple of the block for the blocked ones.
  const cases: {
    types: CovarianceType[];
    dims: number[];
    n: number;
    k: number;
    seed: number;
    dtype: "float64" | "float32";
    what: string;
  }[] = [
    { types: ["full"], dims: [1, 2, 3, 4], n: 601, k: 3, seed: 0, dtype: "float64", what: "(odd n)" },
    { types: ["tied"], dims: [1], n: 601, k: 3, seed: 0, dtype: "float64", what: "(odd n)" },
    {
      types: ["diag", "spherical"],
      dims: [1, 2, 5, 8, 13],
      n: 603,
      k: 4,
      seed: 20,
      dtype: "float64",
      what: "(n not a multiple of the block)",
    },
    { types: ["diag", "spherical"], dims: [1, 3, 8], n: 603, k: 4, seed: 40, dtype: "float32", what: "(float32 rows)" },
  ];
  for (const { types, dims, n, k, seed, dtype, what } of cases) {
    for (const type of types) {
      for (const d of dims) {
        it(`${type}, d = ${d}: the ${dtype} E-step's results bit for bit, its statistics to 1e-12 ${what}`, () => {
          const X = blobs(n, d, k, seed + d);
          const options = { nComponents: k, covarianceType: type, maxIter: 3, tol: 0, randomState: 1, dtype };
          const p = paramsOf(new GaussianMixture(options).fit(X));
          const fused = run(type, X, k, p, true, dtype);
          expect(fused.fusedTaken).toBe(true);
          expectSame(fused, run(type, X, k, p, false, dtype));
        });
      }
    }
  }

  // diag and spherical with sample weights: the kernel weighs the responsibilities in its sums
  // (r·s, as weighRows forms them), and the caller weighs the stored ones afterwards
  for (const type of ["diag", "spherical"] as const) {
    for (const d of [1, 5, 8]) {
      it(`${type}, d = ${d}, sample weights (zeros among them): the weighted E-step's results bit for bit, its statistics to 1e-12 (n not a multiple of the block)`, () => {
        const X = blobs(605, d, 4, 80 + d);
        const weights = Float64Array.from(X, (_, i) => [0.25, 3, 0, 1.5, 7][i % 5]);
        const options = { nComponents: 4, covarianceType: type, maxIter: 3, tol: 0, randomState: 2 };
        const p = paramsOf(new GaussianMixture(options).fit(X, { sampleWeight: Array.from(weights) }));
        const fused = run(type, X, 4, p, true, "float64", weights);
        expect(fused.fusedTaken).toBe(true);
        expectSame(fused, run(type, X, 4, p, false, "float64", weights));
        // and the weights did count: the unweighted statistics differ
        const plain = run(type, X, 4, p, true);
        expect(Math.abs(plain.stats.nk[0] - fused.stats.nk[0])).toBeGreaterThan(1);
      });
    }
  }
  it("float32 diag with sample weights stays on the E-step and the separate sums (its kernel sums unweighted)", () => {
    const X = blobs(300, 3, 2, 90);
    const weights = Float64Array.from(X, (_, i) => 1 + (i % 3));
    const p = paramsOf(
      new GaussianMixture({ nComponents: 2, covarianceType: "diag", maxIter: 2, tol: 0, randomState: 1 }).fit(X),
    );
    const wasm = kernels();
    scoped(() => {
      const x = loadMatrix(X, "X", "float32");
      const ws = allocWorkspace(FAMILIES.diag, x.ptr, x.rows, 3, 2, x, weights);
      loadParams(wasm, FAMILIES.diag, ws, p);
      expect(FAMILIES.diag.eStepWithStatistics?.(wasm, ws)).toBeUndefined();
    });
  });

  // tied at d = 2 … 4: the plain E-step, the sums and the kept row scatter beat the register
  // kernel's per-component moments, so the family declines and the M-step keeps the row scatter
  for (const d of [2, 3, 4]) {
    it(`tied, d = ${d}: no fused statistics; the E-step's statistics come from the sums and the kept row scatter`, () => {
      const X = blobs(401, d, 3, 100 + d);
      const p = paramsOf(
        new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 3, tol: 0, randomState: 1 }).fit(X),
      );
      const wasm = kernels();
      scoped(() => {
        const x = loadMatrix(X);
        const ws = allocWorkspace(FAMILIES.tied, x.ptr, x.rows, d, 3, x);
        loadParams(wasm, FAMILIES.tied, ws, p);
        expect(FAMILIES.tied.eStepWithStatistics?.(wasm, ws)).toBeUndefined();
        const stats = eStepStatistics(wasm, FAMILIES.tied, ws);
        expect(ws.rowScatter).toBeDefined();
        const resp = f64(ws.resp, x.rows * 3).slice();
        expectPlainScatter(stats.scatter, X, resp, f64(ws.means, 3 * d).slice(), 3);
      });
    });
  }

  // tied beyond the register kernels: N_k and Σ r·x from the E-step (eStepTiedStats), the
  // scatter from the rows' own (withinFromTotal); a lone last row (603 rows)
  const tiedCase = (d: number, offset: number) => {
    const X = blobs(603, d, 4, 50 + d).map((row) => row.map((v) => v + offset));
    const p = paramsOf(
      new GaussianMixture({ nComponents: 4, covarianceType: "tied", maxIter: 3, tol: 0, randomState: 1 }).fit(X),
    );
    const wasm = kernels();
    const taken = scoped(() => {
      const x = loadMatrix(X);
      const ws = allocWorkspace(FAMILIES.tied, x.ptr, x.rows, d, 4, x);
      loadParams(wasm, FAMILIES.tied, ws, p);
      return FAMILIES.tied.eStepWithStatistics?.(wasm, ws) !== undefined;
    });
    expect(taken).toBe(true);
    return { fused: run("tied", X, 4, p, true), apart: run("tied", X, 4, p, false) };
  };
  for (const d of [5, 8, 13]) {
    it(`tied, d = ${d}: N_k and Σ r·x from the E-step, its results bit for bit, the statistics to 1e-12`, () => {
      const { fused, apart } = tiedCase(d, 0);
      expectSame(fused, apart);
    });
  }
  it("tied, d = 8, rows 1e4 spreads from the origin: the sums to 1e-12, the scatter to the means' rounding", () => {
    const { fused, apart } = tiedCase(8, 1e4);
    // either side's means carry ε·1e4 of rounding, which the pooled scatter's
    // between-component part N_c (μ_c − m)(μ_c − m)ᵀ scales by the clusters' separation
    expectSame(fused, apart, 1e-10);
  });

  it("tied, d = 6: a component of weight 0 (every pair on the scalar path) counts as the sums count it", () => {
    const X = blobs(301, 6, 3, 9);
    const p = paramsOf(
      new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 2, tol: 0, randomState: 3 }).fit(X),
    );
    const params = { ...p, weights: Float64Array.from([0.5, 0.5, 0]) };
    const fused = run("tied", X, 3, params, true);
    expect(fused.stats.nk[2]).toBe(0);
    expectSame(fused, run("tied", X, 3, params, false));
  });

  // tied beyond the register kernels: the pooled scatter from the rows' own scatter
  // about their mean, summed at the workspace's first E-step and kept with it
  it("tied, d = 7: one workspace's kept row scatter gives every later E-step's scatter (parameters of iterations 1, 3, 8)", () => {
    const X = blobs(517, 7, 3, 21);
    const wasm = kernels();
    const family = FAMILIES.tied;
    const at = [1, 3, 8].map((maxIter) =>
      paramsOf(new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter, tol: 0, randomState: 4 }).fit(X)),
    );
    scoped(() => {
      const x = loadMatrix(X);
      const ws = allocWorkspace(family, x.ptr, x.rows, 7, 3, x);
      let kept: unknown;
      for (const p of at) {
        loadParams(wasm, family, ws, p);
        const r = family.eStepWithStatistics?.(wasm, ws);
        expect(r?.statistics.scatter).toBeDefined();
        kept ??= ws.rowScatter;
        expect(ws.rowScatter).toBe(kept); // summed once, not again per E-step
        const stats = eStepStatistics(wasm, family, ws);
        const resp = f64(ws.resp, x.rows * 3).slice();
        expectPlainScatter(stats.scatter, X, resp, f64(ws.means, 21).slice(), 3);
      }
    });
  });

  // the same kept row scatter where the E-step sums nothing (float32 rows, sample weights, tied
  // at d ≤ 4 with weights): blockStatistics after the E-step, no pass over the rows for the scatter
  const keptCases: { d: number; dtype: "float64" | "float32"; weighted: boolean }[] = [
    { d: 8, dtype: "float32", weighted: false },
    { d: 6, dtype: "float64", weighted: true },
    { d: 3, dtype: "float64", weighted: true },
    { d: 5, dtype: "float32", weighted: true },
  ];
  for (const { d, dtype, weighted } of keptCases) {
    it(`tied, d = ${d}, ${dtype}${weighted ? ", sample weights" : ""}: the kept row scatter gives each E-step's pooled scatter (parameters of iterations 1, 3, 8)`, () => {
      const X = blobs(411, d, 3, 60 + d);
      const weights = Float64Array.from(X, (_, i) => [0.5, 1, 2.25, 0][i % 4]);
      const sampleWeight = weighted ? Array.from(weights) : undefined;
      const at = [1, 3, 8].map((maxIter) =>
        paramsOf(
          new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter, tol: 0, randomState: 7, dtype }).fit(
            X,
            { sampleWeight },
          ),
        ),
      );
      const wasm = kernels();
      const family = FAMILIES.tied;
      scoped(() => {
        const x = loadMatrix(X, "X", dtype);
        const ws = allocWorkspace(family, x.ptr, x.rows, d, 3, x, weighted ? weights : undefined);
        let kept: unknown;
        for (const p of at) {
          loadParams(wasm, family, ws, p);
          const stats = blockStatistics(wasm, family, ws, eStepTotal);
          expect(ws.rowScatter).toBeDefined();
          kept ??= ws.rowScatter;
          expect(ws.rowScatter).toBe(kept); // summed once, not again per E-step
          // ws.resp holds the responsibilities scaled by the sample weights, as the scatter sums them
          const resp = f64(ws.resp, x.rows * 3).slice();
          // the rows as the workspace holds them (float32: rounded, and shifted as the means are)
          const flat = dtype === "float32" ? f32(ws.x, x.rows * d) : f64(ws.x, x.rows * d);
          const rows = X.map((_, i) => flat.slice(i * d, (i + 1) * d));
          expectPlainScatter(stats.scatter, rows, resp, f64(ws.means, 3 * d).slice(), 3);
        }
      });
    });
  }

  it("tied, responsibilities given rather than an E-step's (rows not summing to their weight): the split of the rows' own totals, nothing kept", () => {
    const X = blobs(200, 6, 3, 70);
    const rng = new Random(71);
    const resp = Float64Array.from({ length: 600 }, () => rng.float());
    const wasm = kernels();
    const family = FAMILIES.tied;
    scoped(() => {
      const x = loadMatrix(X);
      const ws = allocWorkspace(family, x.ptr, x.rows, 6, 3, x);
      f64(ws.resp, 600).set(resp);
      const stats = blockStatistics(wasm, family, ws, undefined);
      expect(ws.rowScatter).toBeUndefined();
      expectPlainScatter(stats.scatter, X, resp, f64(ws.means, 18).slice(), 3);
    });
  });

  it("tied, d = 6, sample weights, clusters 1e3 apart: the kept scatter's split would cancel, so the scatter is summed component by component", () => {
    const rng = new Random(9);
    const X = separated(rng);
    const weights = Float64Array.from(X, (_, i) => 1 + (i % 5));
    const p = paramsOf(
      new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 2, tol: 0, randomState: 5 }).fit(X, {
        sampleWeight: Array.from(weights),
      }),
    );
    const wasm = kernels();
    const family = FAMILIES.tied;
    scoped(() => {
      const x = loadMatrix(X);
      const ws = allocWorkspace(family, x.ptr, x.rows, 6, 3, x, weights);
      loadParams(wasm, family, ws, p);
      const stats = blockStatistics(wasm, family, ws, eStepTotal);
      const resp = f64(ws.resp, 900).slice();
      // the direct sum keeps the within-cluster scatter (1e-4 per row) though T is 1e6 times larger
      expectPlainScatter(stats.scatter, X, resp, f64(ws.means, 18).slice(), 3, 1e-9);
    });
  });

  it("tied, d = 6, clusters 1e3 apart: the kept scatter's split would cancel, so the scatter is summed component by component", () => {
    const rng = new Random(8);
    const X = separated(rng);
    const p = paramsOf(
      new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 2, tol: 0, randomState: 5 }).fit(X),
    );
    const wasm = kernels();
    const family = FAMILIES.tied;
    scoped(() => {
      const x = loadMatrix(X);
      const ws = allocWorkspace(family, x.ptr, x.rows, 6, 3, x);
      loadParams(wasm, family, ws, p);
      const r = family.eStepWithStatistics?.(wasm, ws);
      expect(Number.isFinite(r?.logLikelihood)).toBe(true);
      expect(r?.statistics.scatter).toBeUndefined();
    });
    expectSame(run("tied", X, 3, p, true), run("tied", X, 3, p, false));
  });

  it("tied: a start's scatter on a workspace is the same bits after a fit whose split declined on it (a search's next candidate)", () => {
    const rng = new Random(8);
    const X = separated(rng);
    const p = paramsOf(
      new GaussianMixture({ nComponents: 3, covarianceType: "tied", maxIter: 2, tol: 0, randomState: 5 }).fit(X),
    );
    // a random start: every component's mean near the rows' mean, so the split keeps its digits
    const start = new Float64Array(900);
    for (let i = 0; i < 300; i++) {
      const a = rng.float() + 0.1;
      const b = rng.float() + 0.1;
      const c = rng.float() + 0.1;
      start.set([a / (a + b + c), b / (a + b + c), c / (a + b + c)], 3 * i);
    }
    const wasm = kernels();
    const family = FAMILIES.tied;
    const startScatter = (declineFirst: boolean) =>
      scoped(() => {
        const x = loadMatrix(X);
        const ws = allocWorkspace(family, x.ptr, x.rows, 6, 3, x);
        if (declineFirst) {
          loadParams(wasm, family, ws, p);
          const fitted = eStepStatistics(wasm, family, ws);
          expect(Number.isFinite(fitted.logLikelihood)).toBe(true);
        }
        f64(ws.resp, 900).set(start);
        const scatter = blockStatistics(wasm, family, ws, undefined).scatter.slice();
        return { scatter, means: f64(ws.means, 18).slice() };
      });
    const fresh = startScatter(false);
    const after = startScatter(true);
    expect(Array.from(after.scatter)).toEqual(Array.from(fresh.scatter));
    expectPlainScatter(fresh.scatter, X, start, fresh.means, 3, 1e-9);
  });

  it("diag beyond the blocked kernel's scratch (d = 260) runs the E-step and the sums apart", () => {
    const X = blobs(40, 260, 2, 31);
    const gmm = new GaussianMixture({ nComponents: 2, covarianceType: "diag", maxIter: 1, tol: 0, randomState: 1 }).fit(
      X,
    );
    const fused = run("diag", X, 2, paramsOf(gmm), true);
    expect(fused.fusedTaken).toBe(false);
    expectSame(fused, run("diag", X, 2, paramsOf(gmm), false));
  });

  it("the kernel's moments about the given means equal the plain sums over its own responsibilities (K = 1, 7, 64; K = 65 refused)", () => {
    for (const d of [1, 2, 3, 4]) {
      for (const k of [1, 7, 64, 65]) {
        const X = blobs(2 * k + 301, d, Math.min(k, 8), 10 * d + k);
        const params = paramsOf(
          new GaussianMixture({ nComponents: k, maxIter: 1, tol: 0, randomState: 2, regCovar: 1e-2 }).fit(X),
        );
        const { total, moments, resp } = kernelMoments(X, k, params);
        if (k > 64) {
          expect(total).toBeNaN();
          continue;
        }
        const want = plainMoments(X, resp, params.means, k, d);
        const scale = Math.max(...Array.from(want, Math.abs));
        expect(maxRelativeError(Array.from(moments), Array.from(want), scale)).toBeLessThan(1e-12);
      }
    }
  });

  it("pairs on the scalar path amid pairs on the vector path, in one block of the kernel's sums, count as the sums count them", () => {
    // Component 0 is so narrow (W = 1e155·I) that every row but the copies of its mean
    // has log-density −∞ there (q overflows): those pairs take the scalar normalisation,
    // the pair of copies (rows 6, 7) does not.
    const wasm = kernels();
    const family = FAMILIES.full;
    for (const d of [2, 3]) {
      const X = blobs(45, d, 2, 20 + d);
      X[7] = X[6].slice();
      const k = 2;
      const p = paramsOf(new GaussianMixture({ nComponents: k, maxIter: 2, tol: 0, randomState: 6 }).fit(X));
      const means = Float64Array.from(p.means);
      means.set(X[6], 0);
      const factor = Float64Array.from(p.factor);
      factor.fill(0, 0, d * d);
      for (let j = 0; j < d; j++) factor[j * d + j] = 1e155;
      const params = { ...p, means, factor };
      const { total, moments, resp } = kernelMoments(X, k, params);
      expect(Number.isFinite(total)).toBe(true);
      expect(resp[6 * k]).toBeGreaterThan(0.5); // the copies belong to the narrow component
      expect(resp[8 * k]).toBe(0);
      // the same responsibilities as the E-step on its own
      scoped(() => {
        const x = loadMatrix(X);
        const ref = allocWorkspace(family, x.ptr, x.rows, d, k, x);
        loadParams(wasm, family, ref, params);
        expect(eStepTotal(wasm, family, ref)).toBe(total);
        expect(Array.from(f64(ref.resp, x.rows * k))).toEqual(Array.from(resp));
      });
      const want = plainMoments(X, resp, means, k, d);
      const scale = Math.max(...Array.from(want, Math.abs));
      expect(maxRelativeError(Array.from(moments), Array.from(want), scale)).toBeLessThan(1e-12);
    }
  });

  for (const dtype of ["float64", "float32"] as const) {
    for (const type of ["diag", "spherical"] as CovarianceType[]) {
      it(`${type} (${dtype}): pairs on the scalar path amid pairs on the vector path, in one block, count as the sums count them`, () => {
        // as above: component 0 so narrow (1/σ = 1e155) that only the copies of its mean (rows 6, 7)
        // have a finite log-density there; 45 rows, so the last block ends in a lone row
        for (const d of [1, 3]) {
          // (rounded to float32 for both dtypes, so the mean is exactly the stored row)
          const X = blobs(45, d, 2, 30 + d).map((row) => row.map(Math.fround));
          X[7] = X[6].slice();
          const p = paramsOf(
            new GaussianMixture({ nComponents: 2, covarianceType: type, maxIter: 2, tol: 0, randomState: 6 }).fit(X),
          );
          const means = Float64Array.from(p.means);
          means.set(X[6], 0);
          const factor = Float64Array.from(p.factor);
          factor.fill(1e155, 0, type === "diag" ? d : 1);
          const params = { ...p, means, factor };
          const fused = run(type, X, 2, params, true, dtype);
          expect(Number.isFinite(fused.stats.logLikelihood)).toBe(true);
          expect(fused.resp[6 * 2]).toBeGreaterThan(0.5); // the copies belong to the narrow component
          expect(fused.resp[8 * 2]).toBe(0);
          expectSame(fused, run(type, X, 2, params, false, dtype));
        }
      });
    }
  }

  it("a component of weight 0 (−∞ log-densities: the scalar normalisation) counts as the sums count it", () => {
    const X = blobs(400, 3, 3, 4);
    const p = paramsOf(new GaussianMixture({ nComponents: 3, maxIter: 2, tol: 0, randomState: 3 }).fit(X));
    const params = { ...p, weights: Float64Array.from([0.5, 0.5, 0]) };
    const fused = run("full", X, 3, params, true);
    expect(fused.fusedTaken).toBe(true);
    expect(fused.stats.nk[2]).toBe(0);
    expectSame(fused, run("full", X, 3, params, false));
  });

  for (const type of ["full", "diag"] as CovarianceType[]) {
    it(`${type}: sums the scatter from the responsibilities where a mean moves far compared with its spread (the subtraction would cancel)`, () => {
      const X = blobs(500, 2, 1, 5);
      const p = paramsOf(
        new GaussianMixture({ nComponents: 1, covarianceType: type, maxIter: 1, tol: 0, randomState: 4 }).fit(X),
      );
      // K = 1: every row stays with the component, whose new mean is 1000 spreads from the given one
      const params = { ...p, means: Float64Array.from(p.means, (m) => m + 1000) };
      const fused = run(type, X, 1, params, true);
      expect(fused.fusedTaken).toBe(false);
      expectSame(fused, run(type, X, 1, params, false));
    });
  }

  it("hands back where a row's log-densities overflow (the repair of eStepTotal), with the same results", () => {
    // spreads of 1e-3: the far row's squared distance in the metric (≈ 1e310) overflows, its scatter (≈ 1e304) does not
    const small = blobs(300, 2, 2, 6).map((row) => row.map((v) => v * 1e-3));
    const p = paramsOf(new GaussianMixture({ nComponents: 2, maxIter: 2, tol: 0, randomState: 5 }).fit(small));
    const X = [...small, [1e152, -1e152]];
    const fused = run("full", X, 2, p, true);
    expect(fused.fusedTaken).toBe(false);
    expect(fused.stats.logLikelihood).toBe(Number.NEGATIVE_INFINITY); // the row is 1e155 spreads out
    expectSame(fused, run("full", X, 2, p, false));
  });
});
