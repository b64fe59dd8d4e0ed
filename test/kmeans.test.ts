// Reference values from scikit-learn's KMeans (test/fixtures/make_sklearn.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KMeans } from "../src/index.js";
import { meanVariance } from "../src/lloyd.js";
import { alloc, allocFrom, f64, i32, scoped } from "../src/memory.js";
import { dataKernels, kernels } from "../src/wasm.js";
import { loadMatrix } from "../src/workspace.js";
import { datasets, expectClose } from "./helpers.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/sklearn.json", import.meta.url), "utf8")) as {
  kmeans: {
    dataset: string;
    n_clusters: number;
    init: number[][];
    labels: number[];
    cluster_centers: number[][];
    inertia: number;
    best_of_10_inertia: number;
  }[];
};

describe("KMeans against scikit-learn", () => {
  for (const c of fixture.kmeans) {
    it(`from given centres gives scikit-learn's labels, centres and inertia on ${c.dataset}`, () => {
      const km = new KMeans({ nClusters: c.n_clusters, init: c.init }).fit(datasets[c.dataset]);
      expect(Array.from(km.labels)).toEqual(c.labels);
      expectClose(km.clusterCenters, c.cluster_centers, 1e-12, 1e-6);
      expectClose([km.inertia], [c.inertia], 1e-12);
    });

    it(`k-means++ with 30 restarts reaches scikit-learn's best inertia on ${c.dataset}`, () => {
      // Faithful has several k-means local optima (sklearn finds its best in about 1 start of 7), so give it 30 starts.
      const km = new KMeans({ nClusters: c.n_clusters, nInit: 30, randomState: 0 }).fit(datasets[c.dataset]);
      expect(km.inertia).toBeLessThanOrEqual(c.best_of_10_inertia * (1 + 1e-12));
      expect(Array.from(km.predict(datasets[c.dataset]))).toEqual(Array.from(km.labels));
    });
  }

  it("is reproducible with a seed", () => {
    const a = new KMeans({ nClusters: 4, init: "random", randomState: 3 }).fit(datasets.synthetic);
    const b = new KMeans({ nClusters: 4, init: "random", randomState: 3 }).fit(datasets.synthetic);
    expect(a.clusterCenters).toEqual(b.clusterCenters);
  });

  it("gives the same labels and iterations with unit weights as without, empty clusters relocated on the way", () => {
    // Both run Hamerly's steps with sums per block of rows kept between steps
    // (w·x with w = 1 is x, so the same bits). Overlapping clusters over 3000
    // rows (47 blocks), and a start with three centres far from every row (so
    // that the first steps relocate empty clusters between kept sums).
    for (const d of [1, 2, 3, 5]) {
      const r = lcg(31 * d + 5);
      const n = 3000;
      const rows = Array.from({ length: n }, (_, i) => Array.from({ length: d }, () => (i % 5) * 1.5 + 2 * r()));
      const init = Array.from({ length: 8 }, (_, c) =>
        Array.from({ length: d }, (_, j) => (c < 5 ? rows[c][j] : 1e3 * (c + j))),
      );
      const plain = new KMeans({ nClusters: 8, init }).fit(rows);
      const weighted = new KMeans({ nClusters: 8, init }).fit(rows, { sampleWeight: new Array(n).fill(1) });
      expect(plain.nIter).toBeGreaterThan(3);
      expect(plain.nIter).toBe(weighted.nIter);
      expect(Array.from(plain.labels)).toEqual(Array.from(weighted.labels));
      expectClose(plain.clusterCenters.flat(), weighted.clusterCenters.flat(), 1e-12);
      expect(new Set(plain.labels).size).toBe(8);
    }
  });

  it("follows a plain Lloyd loop step for step (labels, iterations, centres, inertia), with and without weights, d = 1 … 8", () => {
    // The reference: every row's nearest centre (strictly less wins), then
    // each centre the weighted mean of its rows, until no label changes (or,
    // at tol 0, no centre moves). Its
    // distances add the features in another order than the kernels', which
    // moves a label only at a tie to about 1e-16, improbable on these rows.
    const plainLloyd = (X: number[][], init: number[][], w: number[], maxIter: number) => {
      const k = init.length;
      const d = X[0].length;
      let centres = init.map((c) => c.slice());
      let labels = new Array<number>(X.length).fill(-1);
      let nIter = 0;
      for (let it = 1; it <= maxIter; it++) {
        nIter = it;
        const next = X.map((x) => {
          let best = 0;
          let bd = Infinity;
          centres.forEach((c, q) => {
            let s2 = 0;
            for (let j = 0; j < d; j++) s2 += (x[j] - c[j]) ** 2;
            if (s2 < bd) [bd, best] = [s2, q];
          });
          return best;
        });
        const changed = next.some((l, i) => l !== labels[i]);
        labels = next;
        if (!changed) break;
        const sums = Array.from({ length: k }, () => new Array<number>(d + 1).fill(0));
        X.forEach((x, i) => {
          for (let j = 0; j < d; j++) sums[labels[i]][j] += w[i] * x[j];
          sums[labels[i]][d] += w[i];
        });
        expect(sums.every((t) => t[d] > 0)).toBe(true); // (no empty cluster on these rows)
        const moved = sums.map((t) => t.slice(0, d).map((v) => v / t[d]));
        const shift = moved.flat().reduce((a, v, t) => a + (v - centres.flat()[t]) ** 2, 0);
        centres = moved;
        // tol 0: centres that did not move at all (a row of weight 0 changed cluster) stop it too, as in scikit-learn
        if (shift <= 0) break;
      }
      let inertia = 0;
      X.forEach((x, i) => {
        for (let j = 0; j < d; j++) inertia += w[i] * (x[j] - centres[labels[i]][j]) ** 2;
      });
      return { labels, nIter, centres, inertia };
    };
    for (const d of [1, 2, 3, 4, 5, 8])
      for (const weighted of [false, true]) {
        const r = lcg(101 * d + (weighted ? 7 : 0));
        const n = 2000;
        const X = Array.from({ length: n }, (_, i) =>
          Array.from({ length: d }, (_, j) => ((i * (j + 1)) % 6) + 3 * r()),
        );
        const w = Array.from({ length: n }, (_, i) => (!weighted ? 1 : i % 9 === 4 ? 0 : 0.25 + 2 * r()));
        const init = Array.from({ length: 6 }, (_, c) => X[c * 331].slice());
        const want = plainLloyd(X, init, w, 60);
        const km = new KMeans({ nClusters: 6, init, maxIter: 60, tol: 0 }).fit(X, weighted ? { sampleWeight: w } : {});
        expect(want.nIter, `d=${d} weighted=${weighted}`).toBeGreaterThan(3);
        expect(km.nIter, `d=${d} weighted=${weighted}`).toBe(want.nIter);
        expect(Array.from(km.labels)).toEqual(want.labels);
        expectClose(km.clusterCenters.flat(), want.centres.flat(), 1e-12);
        expect(Math.abs(km.inertia - want.inertia)).toBeLessThan(1e-9 * want.inertia);
      }
  });

  it("with sample weights, moves an empty cluster to the farthest row of positive weight, never onto a row of weight 0", () => {
    const r = lcg(77);
    const X = [
      ...Array.from({ length: 200 }, () => [r(), r()]),
      ...Array.from({ length: 200 }, () => [10 + r(), 10 + r()]),
      ...Array.from({ length: 5 }, () => [1000 + r(), 1000 + r()]), // the farthest rows, of weight 0
    ];
    const w = X.map((_, i) => (i < 400 ? 1 : 0));
    // the third centre takes no row at the first step, so it is relocated
    const init = [X[0], X[200], [1e5, 1e5]];
    const km = new KMeans({ nClusters: 3, init, maxIter: 1 }).fit(X, { sampleWeight: w });
    const third = km.clusterCenters[2];
    const at = X.findIndex((x) => x[0] === third[0] && x[1] === third[1]);
    expect(at).toBeGreaterThanOrEqual(0);
    expect(w[at]).toBeGreaterThan(0);
    // and a full fit ends with every cluster holding weight
    const fit = new KMeans({ nClusters: 3, init }).fit(X, { sampleWeight: w });
    const held = [0, 0, 0];
    fit.labels.forEach((l, i) => (held[l] += w[i]));
    expect(held.every((h) => h > 0)).toBe(true);
  });

  it("moves an empty cluster to the farthest point instead of leaving it empty", () => {
    // Two clusters start on the same point, so one is empty after the first assignment.
    const X = [
      [0, 0],
      [0, 1],
      [10, 10],
      [10, 11],
      [20, 0],
      [21, 0],
    ];
    const km = new KMeans({
      nClusters: 3,
      init: [
        [0, 0],
        [0, 0],
        [10, 10],
      ],
    }).fit(X);
    const sizes = [0, 1, 2].map((c) => Array.from(km.labels).filter((l) => l === c).length);
    expect(sizes.every((s) => s > 0)).toBe(true);
    expect(km.inertia).toBeCloseTo(1.5, 12);
  });
});

function lcg(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
}

/** X copied into WebAssembly memory as stored: f64 for a Float64Array, f32 for a Float32Array. */
function allocRows(X: Float64Array | Float32Array): number {
  if (X instanceof Float64Array) return allocFrom(X);
  const p = alloc(X.length, 4, "X (f32)");
  new Float32Array(kernels().memory.buffer, p, X.length).set(X);
  return p;
}

/**
 * Lloyd's update as a plain row-order sum: counts, and each centre's rows
 * added in row order times 1/count (0 with count 0 for an empty one).
 */
function rowOrderCenters(X: ArrayLike<number>, labels: ArrayLike<number>, n: number, d: number, k: number) {
  const sums = new Array(k * d).fill(0);
  const counts = new Array(k).fill(0);
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    counts[c] += 1;
    for (let j = 0; j < d; j++) sums[c * d + j] += X[i * d + j];
  }
  const centers = sums.map((s, t) => (counts[Math.floor(t / d)] > 0 ? s * (1 / counts[Math.floor(t / d)]) : 0));
  return { centers, counts };
}

describe("assignNearest with means", () => {
  for (const dtype of ["float64", "float32"] as const)
    for (const d of [1, 2, 3, 4, 5, 40])
      for (const k of [1, 3, 8])
        for (const n of [1, 2, 17, 300])
          it(`gives assignNearest's labels, and the means and counts of a row-order sum, bit for bit (${dtype}, d=${d}, K=${k}, n=${n})`, () => {
            const r = lcg(104729 * d + 17 * k + n);
            // clustered rows in runs (pixel-like), so that neighbouring rows share labels
            const data: number[] = [];
            for (let i = 0; i < n; i++) {
              const c = Math.floor(i / 5) % k;
              for (let j = 0; j < d; j++) data.push(3 * c + r());
            }
            const X = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
            const C = Array.from(
              { length: k * d },
              (_, t) => X[((Math.floor(t / d) * 5) % n) * d + (t % d)] + 0.5 * r(),
            );
            const run = (fused: boolean) =>
              scoped(() => {
                const w = dataKernels(dtype);
                const x = allocRows(X);
                const c = allocFrom(C);
                const labels = alloc(n, 4);
                const dist = alloc(n);
                const means = allocFrom(Array.from({ length: k * d }, () => 7));
                const counts = allocFrom(Array.from({ length: k }, () => 7));
                const inertia = fused
                  ? w.assignNearest(x, n, d, c, k, labels, dist, means, counts)
                  : w.assignNearest(x, n, d, c, k, labels, dist);
                if (!fused) {
                  const update = rowOrderCenters(X, i32(labels, n), n, d, k);
                  f64(means, k * d).set(update.centers);
                  f64(counts, k).set(update.counts);
                }
                return [inertia, ...i32(labels, n), ...f64(dist, n), ...f64(means, k * d), ...f64(counts, k)];
              });
            const [fused, separate] = [run(true), run(false)];
            expect(fused.map((v, t) => Object.is(v, separate[t]))).toEqual(separate.map(() => true));
            // a centre left without rows stays at zero with count 0
            const counts = fused.slice(-k);
            for (let c = 0; c < k; c++)
              if (counts[c] === 0)
                expect(fused.slice(-k - k * d).slice(c * d, c * d + d)).toEqual(new Array(d).fill(0));
          });
});

describe("seedPotential", () => {
  /** ‖x − c‖² in sqDistOf's order: feature pairs of quads in two accumulators, a left-over pair into the first, the lanes added, a last odd feature. */
  const sqDist = (x: ArrayLike<number>, a: number, c: number, d: number): number => {
    const acc = [0, 0, 0, 0]; // acc0 lanes 0, 1; acc1 lanes 0, 1
    let j = 0;
    for (; j + 4 <= d; j += 4) for (let l = 0; l < 4; l++) acc[l] += (x[a + j + l] - x[c + j + l]) ** 2;
    if (j + 2 <= d) {
      for (let l = 0; l < 2; l++) acc[l] += (x[a + j + l] - x[c + j + l]) ** 2;
      j += 2;
    }
    let r = acc[0] + acc[2] + (acc[1] + acc[3]);
    if (j < d) r += (x[a + j] - x[c + j]) ** 2;
    return r;
  };
  const same = (a: number[], b: number[]) => expect(a.map((v, i) => Object.is(v, b[i]))).toEqual(b.map(() => true));
  for (const dtype of ["float64", "float32"] as const)
    for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 16, 17])
      for (const n of [1, 2, 17, 64])
        it(`gives sqDistOf's distances, their minimum with minDist, its sum and (with cumulative) its partial sums in row order, bit for bit; without commit it leaves minDist alone (${dtype}, d=${d}, n=${n})`, () => {
          const r = lcg(104729 * d + n);
          const data = Array.from({ length: n * d }, () => 6 * r() - 3);
          const X = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
          const start = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Infinity : 4 * r()));
          const row = Math.floor(n / 3);
          const got = scoped(() => {
            const w = dataKernels(dtype);
            const x = allocRows(X);
            const center = x + row * d * w.bytes;
            const [tried, plain, md] = [allocFrom(start), allocFrom(start), allocFrom(start)];
            const cumulative = allocFrom(Array.from({ length: n }, () => -1));
            return {
              trial: w.seedPotential(x, n, d, center, tried, false),
              expected: w.seedPotential(x, n, d, center, plain, true),
              pot: w.seedPotential(x, n, d, center, md, true, cumulative),
              tried: Array.from(f64(tried, n)),
              plain: Array.from(f64(plain, n)),
              md: Array.from(f64(md, n)),
              sums: Array.from(f64(cumulative, n)),
            };
          });
          const want = start.map((m, i) => Math.min(m, sqDist(X, i * d, row * d, d)));
          same(got.plain, want);
          let s = 0;
          const sums = want.map((v) => (s += v));
          for (const p of [got.trial, got.expected, got.pot]) expect(Object.is(p, s)).toBe(true);
          same(got.tried, start);
          same(got.md, want);
          same(got.sums, sums);
        });
  for (const dtype of ["float64", "float32"] as const)
    for (const d of [1, 2, 3, 4, 5, 7, 8, 17])
      for (const n of [1, 2, 17, 64])
        it(`seedTrials: one to four candidates' potentials in one pass, each seedPotential's bit for bit, minDist untouched (${dtype}, d=${d}, n=${n})`, () => {
          const r = lcg(7919 * d + n);
          const data = Array.from({ length: n * d }, () => 6 * r() - 3);
          const X = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
          const start = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Infinity : 4 * r()));
          // candidates at distinct rows (where n allows), the last one twice
          const rows = [0, Math.floor(n / 2), n - 1, Math.floor(n / 3)];
          for (let count = 1; count <= 4; count++) {
            const got = scoped(() => {
              const w = dataKernels(dtype);
              const x = allocRows(X);
              const md = allocFrom(start);
              const list = alloc(4, 4);
              i32(list, 4).set(rows);
              const out = allocFrom([-1, -1, -1, -1]);
              w.seedTrials(x, n, d, list, count, md, out);
              const singles = rows.map((row) => w.seedPotential(x, n, d, x + row * d * w.bytes, md, false));
              return { out: Array.from(f64(out, 4)), singles, md: Array.from(f64(md, n)) };
            });
            same(got.out.slice(0, count), got.singles.slice(0, count));
            // nothing written past count
            expect(got.out.slice(count)).toEqual(new Array(4 - count).fill(-1));
            same(got.md, start);
            // and against the plain sum in row order, so that both are not wrong alike
            let s = 0;
            for (let i = 0; i < n; i++) s += Math.min(start[i], sqDist(X, i * d, rows[0] * d, d));
            expect(Object.is(got.out[0], s)).toBe(true);
          }
        });
  for (const dtype of ["float64", "float32"] as const)
    for (const d of [1, 2, 3, 4, 7])
      for (const n of [1, 2, 17, 64])
        it(`with sample weights: each row's term w·min(minDist, ‖x − c‖²) in row order, minDist and its partial sums as the plain loop's, the trials seedPotential's (${dtype}, d=${d}, n=${n})`, () => {
          const r = lcg(6151 * d + n);
          const data = Array.from({ length: n * d }, () => 6 * r() - 3);
          const X = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
          const start = Array.from({ length: n }, () => 4 * r());
          const weights = Array.from({ length: n }, (_, i) => (i % 5 === 1 ? 0 : 3 * r()));
          const rows = [Math.floor(n / 3), 0, n - 1];
          const got = scoped(() => {
            const w = dataKernels(dtype);
            const x = allocRows(X);
            const wp = allocFrom(weights);
            const md = allocFrom(start);
            const cumulative = allocFrom(Array.from({ length: n }, () => -1));
            const list = alloc(3, 4);
            i32(list, 3).set(rows);
            const out = allocFrom([-1, -1, -1]);
            w.seedTrials(x, n, d, list, 3, md, out, wp);
            const singles = rows.map((row) => w.seedPotential(x, n, d, x + row * d * w.bytes, md, false, 0, wp));
            const pot = w.seedPotential(x, n, d, x + rows[0] * d * w.bytes, md, true, cumulative, wp);
            return {
              trials: Array.from(f64(out, 3)),
              singles,
              pot,
              md: Array.from(f64(md, n)),
              sums: Array.from(f64(cumulative, n)),
            };
          });
          const want = start.map((m, i) => Math.min(m, sqDist(X, i * d, rows[0] * d, d)));
          let s = 0;
          const sums = want.map((v, i) => (s += weights[i] * v));
          same(got.md, want);
          same(got.sums, sums);
          expect(Object.is(got.pot, s)).toBe(true);
          same(got.trials, got.singles);
          expect(Object.is(got.trials[0], s)).toBe(true);
        });
});

describe("assignBounded", () => {
  const shapes: [number, number][] = [1, 3, 8].flatMap((k) =>
    [1, 2, 17, 301, 1000].map((n): [number, number] => [k, n]),
  );
  // K = 1100: blocks of 8K rows, so all 2301 rows are one block
  shapes.push([1100, 2301]);
  /**
   * assignBounded's counts and means from the labels: per block of `rows` rows a row-order sum per
   * centre (w·x and w with weights), then the blocks in order, times 1/count.
   */
  const blockedMeans = (
    X: ArrayLike<number>,
    labels: Int32Array,
    d: number,
    k: number,
    rows: number,
    weights?: number[],
  ): number[] => {
    const totals = new Float64Array(k * d);
    const counts = new Float64Array(k);
    for (let b0 = 0; b0 < labels.length; b0 += rows) {
      const block = new Float64Array(k * d);
      const blockCounts = new Float64Array(k);
      for (let i = b0; i < Math.min(b0 + rows, labels.length); i++) {
        const w = weights ? weights[i] : 1;
        blockCounts[labels[i]] += w;
        for (let j = 0; j < d; j++) block[labels[i] * d + j] += w * X[i * d + j];
      }
      for (let t = 0; t < k * d; t++) totals[t] += block[t];
      for (let c = 0; c < k; c++) counts[c] += blockCounts[c];
    }
    const means = Array.from(totals, (v, t) =>
      counts[Math.floor(t / d)] > 0 ? v * (1 / counts[Math.floor(t / d)]) : v,
    );
    return [...counts, ...means];
  };
  // (d = 520: too wide for the transposed block, so one row at a time)
  // (with sample weights: fewer shapes; weighted means and counts Σ w, zeros among the weights)
  for (const weighted of [false, true])
    for (const dtype of ["float64", "float32"] as const)
      for (const d of [1, 2, 3, 4, 5, 8, 17, 520])
        for (const [k, n] of d < 520 && !weighted ? shapes : shapes.filter(([k, n]) => k === 8 && n === 1000))
          it(`gives assignNearest's labels at every Lloyd step, bit for bit, and counts and means summed by blocks, the unchanged blocks' sums kept (${dtype}, d=${d}, K=${k}, n=${n}${weighted ? ", weighted" : ""})`, () => {
            const r = lcg(7907 * d + 13 * k + n);
            const rows = Math.max(64, 8 * k); // boundedBlockRows in assembly/kmeans.ts
            // overlapping clusters in runs, as pixels come, so that labels keep changing for a few steps
            const data: number[] = [];
            for (let i = 0; i < n; i++) {
              const c = Math.floor(i / 4) % k;
              for (let j = 0; j < d; j++) data.push(c * (d > 100 ? 0.3 : 1) + 2 * r());
            }
            const X = dtype === "float64" ? Float64Array.from(data) : Float32Array.from(data);
            const start = Array.from({ length: k * d }, (_, t) => X[((Math.floor(t / d) * 3) % n) * d + (t % d)]);
            // a duplicate centre: its rows are ties, which the lower index must win
            if (k > 2) for (let j = 0; j < d; j++) start[2 * d + j] = start[j];
            const weights = weighted
              ? Array.from({ length: n }, (_, i) => (i % 7 === 3 ? 0 : 0.5 + 2 * r()))
              : undefined;
            const { steps, skipped, kept } = scoped(() => {
              const w = dataKernels(dtype);
              const x = allocRows(X);
              const c = allocFrom(start);
              const c2 = allocFrom(start);
              let labels = alloc(n, 4);
              let previous = alloc(n, 4);
              const plain = alloc(n, 4);
              const dist = alloc(n);
              const upper = alloc(n + 1);
              const lower = alloc(n + 1);
              const moved = alloc(k + 1);
              const sums = alloc(kernels().boundedSumsValues(n, k, d));
              const wp = weights ? allocFrom(weights) : 0;
              const [means, counts, means2, counts2] = [alloc(k * d), alloc(k), alloc(k * d), alloc(k)];
              const out: { bounded: number[]; plain: number[] }[] = [];
              let skipped = 0;
              let kept = 0; // steps where some block's labels were unchanged and another's were not
              for (let it = 0; it < 8; it++) {
                const scanned = w.assignBounded(
                  x,
                  n,
                  d,
                  c,
                  k,
                  labels,
                  previous,
                  upper,
                  lower,
                  it ? moved : 0,
                  sums,
                  means,
                  counts,
                  wp,
                );
                w.assignNearest(x, n, d, c2, k, plain, dist, means2, counts2);
                skipped += n - scanned;
                const now = i32(plain, n);
                if (it) {
                  const before = i32(previous, n);
                  const changedBlocks = new Set<number>();
                  for (let i = 0; i < n; i++) if (now[i] !== before[i]) changedBlocks.add(Math.floor(i / rows));
                  if (changedBlocks.size > 0 && changedBlocks.size < Math.ceil(n / rows)) kept++;
                }
                out.push({
                  bounded: [
                    ...i32(labels, n),
                    ...(weighted ? [] : f64(counts, k)),
                    ...f64(counts, k),
                    ...f64(means, k * d),
                  ],
                  // (unweighted, the counts are assignNearest's too)
                  plain: [...now, ...(weighted ? [] : f64(counts2, k)), ...blockedMeans(X, now, d, k, rows, weights)],
                });
                // the next step's centres (empty ones stay where they were), and how far each moved
                const [C, M, m] = [f64(c, k * d), f64(means, k * d), f64(moved, k + 1)];
                m[k] = 0;
                for (let q = 0; q < k; q++) {
                  const keep = f64(counts, k)[q] === 0;
                  let s2 = 0;
                  for (let j = 0; j < d; j++) {
                    const v = keep ? C[q * d + j] : M[q * d + j];
                    s2 += (v - C[q * d + j]) ** 2;
                    C[q * d + j] = v;
                  }
                  m[q] = Math.sqrt(s2) * (1 + 1e-12);
                  m[k] = Math.max(m[k], m[q]);
                }
                f64(c2, k * d).set(C);
                [labels, previous] = [previous, labels];
              }
              return { steps: out, skipped, kept };
            });
            for (const s of steps)
              expect(s.bounded.map((v, t) => Object.is(v, s.plain[t]))).toEqual(s.plain.map(() => true));
            // the bounds did skip rows (past the first step), so the skipping is what was tested
            if (n > 2) expect(skipped).toBeGreaterThan(0);
            // and blocks were kept beside blocks summed afresh in one step, so the keeping is too
            // (weighted at d = 520 every step here changed all blocks or none: kept is checked at the other d)
            if (n >= 1000 && k > 1 && n > rows && !(weighted && d > 100)) expect(kept).toBeGreaterThan(0);
          });
});

describe("meanVariance (the scale of k-means' tol)", () => {
  // the mean of the per-column variances (divided by n, as numpy's var), two-pass in plain JS
  const plain = (X: number[][]) => {
    const d = X[0].length;
    let total = 0;
    for (let j = 0; j < d; j++) {
      const m = X.reduce((a, row) => a + row[j], 0) / X.length;
      total += X.reduce((a, row) => a + (row[j] - m) ** 2, 0) / X.length;
    }
    return total / d;
  };
  it("equals the plain two-pass mean of the column variances, float64 and float32 rows, columns far from 0 and on different scales", () => {
    const rows = 1003;
    const X = Array.from({ length: rows }, (_, i) => [
      Math.sin(i) * 3 + 1e6,
      Math.cos(i * 0.7) * 1e-3,
      ((i * 37) % 101) - 50,
      (i % 7) * 1e4,
      Math.sin(i * i) * 5,
    ]);
    for (const d of [1, 2, 3, 5]) {
      const Xd = X.map((row) => row.slice(0, d));
      const want = plain(Xd);
      for (const dtype of ["float64", "float32"] as const) {
        scoped(() => {
          const x = loadMatrix(Xd, "X", dtype);
          const got = meanVariance(x.ptr, x.rows, d, dataKernels(dtype));
          // float32 keeps 24 bits of each centred value
          expect(Math.abs(got - want) / want).toBeLessThan(dtype === "float32" ? 1e-6 : 1e-12);
        });
      }
    }
  });
});
