// The tied family's pooled scatter by the within/between split (covariance.ts's
// pooledScatter) against the plain double sum Σ_c Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ,
// and its guard: where the split would cancel, it declines and the fit keeps
// the component-by-component kernel.
import { describe, expect, it } from "vitest";
import { FAMILIES, pooledScatter } from "../src/covariance.js";
import { allocWorkspace, markUnscored } from "../src/em.js";
import { alloc, f64, scoped } from "../src/memory.js";
import { Random } from "../src/random.js";
import { meansFromSums } from "../src/statistics.js";
import { kernels } from "../src/wasm.js";
import { loadMatrix } from "../src/workspace.js";
import { lowerError, maxRelativeError, naivePooledScatter, normal } from "./helpers.js";

interface Case {
  X: number[][];
  resp: Float64Array; // n×k, rows need not sum to 1
  k: number;
  weights?: Float64Array;
  dtype?: "float64" | "float32";
}

/** The three scatters of one case: pooled (and whether it was taken), direct kernel, naive JS. */
function scatters({ X, resp, k, weights, dtype = "float64" }: Case) {
  const wasm = kernels();
  const family = FAMILIES.tied;
  return scoped(() => {
    const x = loadMatrix(X, "X", dtype);
    const { rows: n, cols: d } = x;
    const ws = allocWorkspace(family, x.ptr, n, d, k, x, weights);
    const sums = alloc(k * d);
    const pooledOut = alloc(d * d);
    const directOut = alloc(d * d);
    const familyOut = alloc(d * d);
    f64(ws.resp, n * k).set(resp);
    markUnscored(ws); // the negligible-row bound off: the direct kernel counts every r > 0
    if (ws.sampleWeight) wasm.weighRows(ws.resp, ws.logProbNorm, ws.sampleWeight, n, k);
    ws.rowKernels.componentSums(ws.x, ws.resp, n, d, k, ws.nk, sums);
    const nk = f64(ws.nk, k).slice();
    meansFromSums(nk, f64(sums, k * d).slice(), k, d, f64(ws.means, k * d));
    const taken = pooledScatter(wasm, ws, pooledOut);
    ws.rowKernels.scatterFull(
      ws.x,
      ws.resp,
      ws.means,
      n,
      d,
      k,
      ws.nk,
      ws.logProbNorm,
      ws.logDet,
      directOut,
      0,
      ws.scratch,
    );
    family.scatter(wasm, ws, familyOut);
    // naive: the rows as the workspace holds them (float32 rows are stored minus their column
    // centres, as the means are, and rounded), the weighted responsibilities
    const shift = x.shift;
    const rows = shift ? X.map((row) => row.map((v, a) => Math.fround(v - shift[a]))) : X;
    const naive = naivePooledScatter(rows, f64(ws.resp, n * k).slice(), f64(ws.means, k * d).slice(), k);
    return {
      taken,
      pooled: f64(pooledOut, d * d).slice(),
      direct: f64(directOut, d * d).slice(),
      viaFamily: f64(familyOut, d * d).slice(),
      naive,
    };
  });
}

/** Rows from k overlapping Gaussians (means ~2 apart, unit spread) and random soft responsibilities. */
function overlapping(n: number, d: number, k: number, seed: number): Case {
  const rng = new Random(seed);
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => 2 * normal(rng)));
  const X = Array.from({ length: n }, (_, i) => centres[i % k].map((m) => m + normal(rng) + 100));
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    for (let c = 0; c < k; c++) s += resp[i * k + c] = rng.float() ** 3;
    for (let c = 0; c < k; c++) resp[i * k + c] /= s;
  }
  return { X, resp, k };
}

describe("tied pooled scatter (within/between split)", () => {
  for (const d of [1, 2, 3, 5, 8, 13]) {
    it(`equals Σ_c Σ_i r (x − μ_c)(x − μ_c)ᵀ to 1e-12 on overlapping components, d = ${d}`, () => {
      const s = scatters(overlapping(401, d, 4, d));
      expect(s.taken).toBe(true);
      expect(lowerError(s.pooled, s.naive, d)).toBeLessThan(1e-12);
      expect(lowerError(s.direct, s.naive, d)).toBeLessThan(1e-12);
      expect(Array.from(s.viaFamily)).toEqual(Array.from(s.pooled));
    });
  }

  it("with sample weights (zeros among them), rows of zero responsibility, and float32 rows", () => {
    const base = overlapping(300, 5, 3, 7);
    const rng = new Random(8);
    const weights = Float64Array.from({ length: 300 }, (_, i) => (i % 7 === 0 ? 0 : 3 * rng.float()));
    for (const i of [5, 77, 299]) base.resp.fill(0, i * 3, i * 3 + 3);
    for (const c of [
      { ...base, weights },
      { ...base, dtype: "float32" as const },
      { ...base, weights, dtype: "float32" as const },
    ]) {
      const s = scatters(c);
      expect(s.taken).toBe(true);
      expect(lowerError(s.pooled, s.naive, 5)).toBeLessThan(1e-12);
    }
  });

  it("keeps its accuracy near the guard: two clusters 50 spreads apart on one axis (1/626 of the total left)", () => {
    const rng = new Random(3);
    const n = 2000;
    const X = Array.from({ length: n }, (_, i) => [(i % 2 ? 25 : -25) + normal(rng), normal(rng)]);
    const resp = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) resp[2 * i + (i % 2)] = 1;
    const s = scatters({ X, resp, k: 2 });
    expect(s.taken).toBe(true);
    expect(maxRelativeError(s.pooled[0], s.naive[0])).toBeLessThan(1e-12);
    expect(lowerError(s.pooled, s.naive, 2)).toBeLessThan(1e-12);
  });

  it("a decline is not remembered: the next M-step on the workspace tries the split again (each start's scatter is its own)", () => {
    const wasm = kernels();
    const family = FAMILIES.tied;
    const rng = new Random(5);
    const far = Array.from({ length: 200 }, (_, i) => [(i % 2) * 1e6 + normal(rng), normal(rng)]);
    scoped(() => {
      const x = loadMatrix(far);
      const ws = allocWorkspace(family, x.ptr, x.rows, 2, 2, x);
      const sums = alloc(4);
      const out = alloc(4);
      const resp = f64(ws.resp, 400);
      const steps: boolean[] = [];
      for (let step = 0; step < 10; step++) {
        // one-hot responsibilities (separated: declined) at step 0, even ones after (overlapping: taken)
        for (let i = 0; i < 200; i++) {
          resp[2 * i] = step === 0 ? 1 - (i % 2) : 0.5;
          resp[2 * i + 1] = step === 0 ? i % 2 : 0.5;
        }
        markUnscored(ws);
        ws.rowKernels.componentSums(ws.x, ws.resp, 200, 2, 2, ws.nk, sums);
        meansFromSums(f64(ws.nk, 2).slice(), f64(sums, 4).slice(), 2, 2, f64(ws.means, 4));
        steps.push(pooledScatter(wasm, ws, out));
      }
      expect(steps).toEqual([false, true, true, true, true, true, true, true, true, true]);
    });
  });

  it("declines where the split would cancel (clusters 1e6 spreads apart), so the fit scatters component by component", () => {
    const rng = new Random(4);
    const n = 500;
    const X = Array.from({ length: n }, (_, i) => [
      (i % 2) * 1e6 + normal(rng),
      normal(rng),
      -(i % 2) * 1e6 + normal(rng),
    ]);
    const resp = new Float64Array(2 * n);
    for (let i = 0; i < n; i++) resp[2 * i + (i % 2)] = 1;
    const s = scatters({ X, resp, k: 2 });
    expect(s.taken).toBe(false);
    expect(Array.from(s.viaFamily)).toEqual(Array.from(s.direct));
    expect(lowerError(s.direct, s.naive, 3)).toBeLessThan(1e-12);
  });
});
