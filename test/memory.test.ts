// Memory stays flat across many calls; large inputs either work or get a
// clear error before WebAssembly's 4 GiB address space is exceeded.
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture, KMeans } from "../src/index.js";
import { mark } from "../src/memory.js";
import { kernels } from "../src/wasm.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];

function data(n: number, d: number, seed: number): number[][] {
  let s = seed;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  return Array.from({ length: n }, (_, i) => Array.from({ length: d }, (_, j) => (i % 3) * 4 + j + u()));
}

describe("memory", () => {
  it("10,000 fit/predict cycles on varied shapes keep WebAssembly and process memory flat", () => {
    const shapes = [
      [30, 1],
      [40, 2],
      [25, 3],
      [60, 4],
      [35, 6],
    ].map(([n, d], i) => data(n, d, i + 1));
    const cycle = (i: number) => {
      const X = shapes[i % shapes.length];
      const gmm = new GaussianMixture({
        nComponents: 1 + (i % 3),
        covarianceType: TYPES[i % 4],
        maxIter: 3,
        randomState: i,
      });
      gmm.fit(X);
      gmm.predict(X);
      if (i % 10 === 0) gmm.predictProba(X);
      if (i % 50 === 0) new KMeans({ nClusters: 2, randomState: i }).fit(X);
    };
    for (let i = 0; i < 500; i++) cycle(i);
    const wasmBytes = kernels().memory.buffer.byteLength;
    const rss = process.memoryUsage().rss;
    for (let i = 500; i < 10_000; i++) cycle(i);
    expect(kernels().memory.buffer.byteLength).toBe(wasmBytes);
    // A leak of even 10 kB a cycle would add ~95 MB.
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
  });

  it("fits 10^7 rows × 2 features within 2 GiB", () => {
    const n = 10_000_000;
    const values = new Float64Array(n * 2);
    let s = 7;
    for (let i = 0; i < n; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      const c = i & 1;
      values[2 * i] = c * 5 + s / 2 ** 32;
      values[2 * i + 1] = -c * 3 + ((s >>> 7) & 1023) / 1024;
    }
    const gmm = new GaussianMixture({
      nComponents: 2,
      covarianceType: "diag",
      maxIter: 2,
      tol: 0,
      meansInit: [
        [0.5, 0.5],
        [5.5, -2.5],
      ],
    });
    gmm.fit({ data: values, rows: n, cols: 2 });
    expect(gmm.weights[0]).toBeCloseTo(0.5, 6);
    expect(kernels().memory.buffer.byteLength).toBeLessThan(2 * 2 ** 30);
    expect(process.memoryUsage().rss).toBeLessThan(2 * 2 ** 30);
  });

  it("dtype float32 holds X in 4 bytes a value: a fit's working memory is n·d·4 bytes smaller", () => {
    const n = 100_000,
      d = 8;
    const X = {
      data: Float64Array.from({ length: n * d }, (_, t) => ((t * 7919) % 1000) / 100 + (t % d)),
      rows: n,
      cols: d,
    };
    // the arena's top during an iteration is everything the fit holds
    const held = (dtype: "float64" | "float32") => {
      const base = mark();
      let top = 0;
      new GaussianMixture({ nComponents: 4, maxIter: 2, tol: 0, randomState: 0, dtype }).fit(X, {
        onIteration: () => {
          top = Math.max(top, mark());
        },
      });
      return top - base;
    };
    const saved = held("float64") - held("float32");
    expect(saved).toBeGreaterThan(0.99 * n * d * 4);
    expect(saved).toBeLessThan(1.01 * n * d * 4);
  });

  it("an input too large for the 4 GiB address space gets a clear error, and the module keeps working", () => {
    // 10^6 rows × 600 components of responsibilities is 4.8 GB.
    const k = 600;
    const gmm = GaussianMixture.fromJSON({
      covariance_type: "spherical",
      weights_: new Array(k).fill(1 / k),
      means_: Array.from({ length: k }, (_, c) => [c]),
      covariances_: new Array(k).fill(1),
    });
    const X = { data: new Float64Array(1_000_000), rows: 1_000_000, cols: 1 };
    expect(() => gmm.predictProba(X)).toThrow(/more than the 4 GiB a 32-bit WebAssembly module can address/);
    expect(gmm.scoreSamples([[3], [4]]).every(Number.isFinite)).toBe(true);
  });
});
