// Issue #17, item 7: toRows for matrix results, KMeans saved and loaded as
// JSON, and onWarning for fits scikit-learn would warn about.
import { readFileSync } from "node:fs";
import { afterEach, describe, expect, it, vi } from "vitest";
import { type FitWarning, GaussianMixture, KMeans, toRows } from "../src/index.js";
import { datasets } from "./helpers.js";

const X = datasets.faithful;

describe("toRows(matrix)", () => {
  it("toRows(gmm.predictProba(X)) is the n × k matrix as rows, data[i * cols + j] at [i][j]", () => {
    const gmm = new GaussianMixture({ nComponents: 3, randomState: 0 }).fit(X);
    const proba = gmm.predictProba(X);
    const rows = toRows(proba);
    expect(rows.length).toBe(X.length);
    expect(rows.every((r) => r.length === 3)).toBe(true);
    expect(rows[17][2]).toBe(proba.data[17 * 3 + 2]);
    expect(rows.flat()).toEqual(Array.from(proba.data));
  });

  it("toRows(gmm.sample(n).X) gives rows that fit() takes back", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const drawn = toRows(gmm.sample(50, { randomState: 1 }).X);
    expect(drawn.length).toBe(50);
    expect(drawn[0].length).toBe(2);
    expect(() => new GaussianMixture({ nComponents: 2 }).fit(drawn)).not.toThrow();
  });

  it("refuses what is not a matrix, or a shape that does not match the data", () => {
    expect(() => toRows([[1, 2]] as never)).toThrow(/toRows expects a matrix \{ data, rows, cols \}/);
    expect(() => toRows({ data: new Float64Array(5), rows: 2, cols: 3 })).toThrow(
      /data has 5 values but rows × cols = 2 × 3/,
    );
  });
});

describe("KMeans toJSON / fromJSON", () => {
  it("round-trips through JSON.stringify: same centres, labels, inertia, iterations, options and predictions", () => {
    const km = new KMeans({ nClusters: 3, nInit: 2, randomState: 5, tol: 1e-5, maxIter: 50 }).fit(X);
    const text = JSON.stringify(km);
    const json = JSON.parse(text);
    expect(json.format).toBe("gmm-wasm/KMeans");
    expect(Array.isArray(json.labels_)).toBe(true); // not the index-keyed object a typed array becomes
    const again = KMeans.fromJSON(json);
    expect(again.clusterCenters).toEqual(km.clusterCenters);
    expect(Array.from(again.labels)).toEqual(Array.from(km.labels));
    expect([
      again.inertia,
      again.nIter,
      again.nClusters,
      again.nInit,
      again.maxIter,
      again.tol,
      again.randomState,
    ]).toEqual([km.inertia, km.nIter, 3, 2, 50, 1e-5, 5]);
    const probe = [
      [2, 60],
      [4.5, 85],
      [3, 70],
    ];
    expect(Array.from(again.predict(probe))).toEqual(Array.from(km.predict(probe)));
    expect(KMeans.fromJSON(text).inertia).toBe(km.inertia); // the string itself
  });

  it("keeps given centres as the init, and a refit from the loaded model equals the original fit", () => {
    const init = [
      [2, 55],
      [4, 80],
    ];
    const km = new KMeans({ nClusters: 2, init }).fit(X);
    const again = KMeans.fromJSON(JSON.parse(JSON.stringify(km)));
    expect(again.init).toEqual(init);
    expect(again.fit(X).clusterCenters).toEqual(km.clusterCenters);
  });

  it("refuses an unfitted model, and malformed JSON with a message naming the field", () => {
    expect(() => new KMeans().toJSON()).toThrow(/not fitted/);
    const good = JSON.parse(JSON.stringify(new KMeans({ nClusters: 2, randomState: 0 }).fit(X)));
    const cases: [string, unknown, RegExp][] = [
      ["unknown field", { ...good, extra: 1 }, /unknown field "extra"/],
      ["wrong format", { ...good, format: "gmm-wasm/GaussianMixture" }, /format is "gmm-wasm\/GaussianMixture"/],
      ["label out of range", { ...good, labels_: [0, 1, 2] }, /labels_\[2\] is 2; expected an integer from 0 to 1/],
      ["ragged centres", { ...good, cluster_centers_: [[1, 2], [3]] }, /cluster_centers_/],
      ["n_clusters disagrees", { ...good, n_clusters: 3 }, /n_clusters is 3 but cluster_centers_ has 2 rows/],
      ["negative inertia", { ...good, inertia_: -1 }, /inertia_ is -1/],
      ["bad init", { ...good, params: { ...good.params, init: "kmeans" } }, /params\.init is "kmeans"/],
      ["unknown param", { ...good, params: { ...good.params, seed: 1 } }, /unknown field params\.seed/],
      ["not JSON", "{", /not valid JSON/],
      [
        "huge centre",
        {
          ...good,
          cluster_centers_: [
            [1e200, 0],
            [0, 0],
          ],
        },
        /within ±1e\+100/,
      ],
    ];
    for (const [what, json, message] of cases) expect(() => KMeans.fromJSON(json), what).toThrow(message);
    expect(() => KMeans.fromJSON({ ...good, params: { ...good.params, n_init: 0 } })).toThrow(
      /nInit must be an integer/,
    );
  });
});

describe("onWarning", () => {
  afterEach(() => vi.restoreAllMocks());

  it("reports a fit that stopped at maxIter before converging, as scikit-learn's ConvergenceWarning", () => {
    const seen: FitWarning[] = [];
    const gmm = new GaussianMixture({ nComponents: 3, maxIter: 2, randomState: 0, onWarning: (w) => seen.push(w) }).fit(
      X,
    );
    expect(gmm.converged).toBe(false);
    expect(seen.map((w) => w.kind)).toEqual(["convergence"]);
    expect(seen[0].message).toMatch(/did not converge in maxIter = 2 iterations .*Increase maxIter or tol/);
  });

  it("stays quiet for a converged, healthy fit, and for tol 0 (which asks for exactly maxIter iterations)", () => {
    const seen: FitWarning[] = [];
    new GaussianMixture({ nComponents: 2, randomState: 0, onWarning: (w) => seen.push(w) }).fit(X);
    new GaussianMixture({ nComponents: 2, randomState: 0, tol: 0, maxIter: 3, onWarning: (w) => seen.push(w) }).fit(X);
    expect(seen).toEqual([]);
  });

  it("reports a collapsed component", () => {
    const seen: FitWarning[] = [];
    const rows = Array.from({ length: 50 }, (_, i) => [i % 2 === 0 ? Math.sin(i) : 10 + Math.cos(i), Math.sin(i * 3)]);
    const gmm = new GaussianMixture({
      nComponents: 3,
      tol: 0,
      maxIter: 1,
      meansInit: [
        [0, 0],
        [10, 0],
        [1e6, 1e6],
      ],
      weightsInit: [0.4, 0.4, 0.2],
      onWarning: (w) => seen.push(w),
    }).fit(rows);
    expect(gmm.isDegenerate).toBe(true);
    expect(seen.map((w) => w.kind)).toEqual(["degenerate"]);
    expect(seen[0].message).toMatch(
      /\d component\(s\) collapsed \(component \d has a variance .*gmm\.degenerate lists them/,
    );
  });

  it("fitAsync reports too (and takes nThreads: 1, which it hands to fit without the thread options)", async () => {
    const seen: FitWarning[] = [];
    await new GaussianMixture({ nComponents: 3, maxIter: 2, randomState: 0, onWarning: (w) => seen.push(w) }).fitAsync(
      X,
      { nThreads: 1 },
    );
    expect(seen.map((w) => w.kind)).toEqual(["convergence"]);
  });

  it("defaults to console.warn once per kind, and selectModel's grid stays quiet", async () => {
    vi.resetModules();
    const fresh = await import("../src/index.js");
    await fresh.init(readFileSync(new URL("../build/gmm.wasm", import.meta.url)));
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    for (let i = 0; i < 3; i++) new fresh.GaussianMixture({ nComponents: 3, maxIter: 2, randomState: i }).fit(X);
    expect(warn).toHaveBeenCalledTimes(1);
    expect(String(warn.mock.calls[0][0])).toMatch(/did not converge.*pass onWarning to receive every one/);
    warn.mockClear();
    fresh.selectModel(X, {
      nComponents: 3,
      covarianceTypes: ["full", "spherical"],
      fitOptions: { maxIter: 2, initParams: "kmeans" },
    });
    expect(warn).not.toHaveBeenCalled();
  });

  it("must be a function", () => {
    expect(() => new GaussianMixture({ onWarning: "log" as never })).toThrow(/onWarning must be a function; got "log"/);
  });
});
