// The float32 data path: every kernel that reads X has an F32 twin that reads
// X stored as f32 and promotes each value to f64 as it loads it. On data
// exactly representable in f32 the twins must agree bit for bit (all the
// arithmetic is the same f64 arithmetic), on every code path: the blocked
// and head loops of the sums, their one-pass loop (d = 5 … 7), the sparse sums (d ≥ 16, most responsibilities
// zero), the d = 2 scatter, the tiled scatter and its simple fallback (d >
// 1020), full and tied (pooled) scatter, the diagonal scatter, k-means.
// A wrong stride, offset or element type for X gives other numbers.
import { describe, expect, it } from "vitest";
import { alloc, allocFrom, f64, i32, scoped } from "../src/memory.js";
import { meansFromSums } from "../src/statistics.js";
import { dataKernels, kernels } from "../src/wasm.js";

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32 - 0.5;
}

/** n×d values rounded to f32 (Float32Array stores them so), off the origin, feature scales differing. */
function data(n: number, d: number, seed: number): Float32Array {
  const r = rng(seed);
  return Float32Array.from({ length: n * d }, (_, t) => 50 + 3 * ((t % d) + 1) * r());
}

/** Rows summing to 1; with `sparse`, about 70 % of the entries are exactly 0 (rows may be all 0). */
function responsibilities(n: number, k: number, seed: number, sparse: boolean): Float64Array {
  const r = rng(seed);
  const out = new Float64Array(n * k);
  for (let i = 0; i < n; i++) {
    let s = 0;
    // dense R gets some tiny entries, which scatterFull may skip as negligible
    for (let c = 0; c < k; c++)
      s += out[i * k + c] = sparse && r() < 0.2 ? 0 : !sparse && r() < 0.15 ? 1e-40 * (1 + r()) : r() + 0.5 + 1e-3;
    if (s > 0) for (let c = 0; c < k; c++) out[i * k + c] /= s;
  }
  return out;
}

/** X copied into WebAssembly memory as stored: f64 for a Float64Array, f32 for a Float32Array. */
function allocX(X: Float64Array | Float32Array): number {
  if (X instanceof Float64Array) return allocFrom(X);
  const p = alloc(X.length, 4, "X (f32)");
  new Float32Array(kernels().memory.buffer, p, X.length).set(X);
  return p;
}

/** Asserts a and b hold the same bits (Object.is: 0 ≠ −0, NaN = NaN); reports the first few that differ. */
function expectSameBits(a: ArrayLike<number>, b: ArrayLike<number>, what: string): void {
  expect(a.length, what).toBe(b.length);
  const diff: [number, number, number][] = [];
  for (let i = 0; i < a.length && diff.length < 5; i++) if (!Object.is(a[i], b[i])) diff.push([i, a[i], b[i]]);
  expect(diff, `${what}: [index, f32 kernel, f64 kernel]`).toEqual([]);
}

/** componentSums gives raw Σ r and Σ r·x; the means are statistics.ts's sums / (N_k + 10ε). */
function componentMeans(
  sums: (x: number, r: number, n: number, d: number, k: number, nk: number, out: number) => void,
  x: number,
  rp: number,
  n: number,
  d: number,
  k: number,
  nkp: number,
  mp: number,
): void {
  sums(x, rp, n, d, k, nkp, mp);
  meansFromSums(f64(nkp, k), f64(mp, k * d).slice(), k, d, f64(mp, k * d));
}

/** componentSums, then full, tied and diagonal scatter about the means it gave. */
function mStep(X: Float64Array | Float32Array, resp: Float64Array, n: number, d: number, k: number) {
  return scoped(() => {
    // the table the library itself picks kernels from
    const {
      componentSums: sums,
      scatterFull,
      scatterDiag,
    } = dataKernels(X instanceof Float32Array ? "float32" : "float64");
    const x = allocX(X);
    const rp = allocFrom(resp);
    const nk = alloc(k),
      means = alloc(k * d),
      full = alloc(k * d * d),
      tied = alloc(d * d),
      diag = alloc(k * d),
      diff = alloc(d);
    componentMeans(sums, x, rp, n, d, k, nk, means);
    // log-likelihoods and log-dets that make some small r negligible and keep others
    const lpn = allocFrom(Array.from({ length: n }, (_, i) => -5 - (i % 7) * 3)),
      logDet = allocFrom(Array.from({ length: k }, (_, c) => c - 1));
    scatterFull(x, rp, means, n, d, k, nk, lpn, logDet, full, d * d, diff);
    scatterFull(x, rp, means, n, d, k, nk, lpn, logDet, tied, 0, diff);
    scatterDiag(x, rp, means, n, d, k, diag);
    return {
      nk: Array.from(f64(nk, k)),
      means: Array.from(f64(means, k * d)),
      full: Array.from(f64(full, k * d * d)),
      tied: Array.from(f64(tied, d * d)),
      diag: Array.from(f64(diag, k * d)),
    };
  });
}

/** assignNearest with Lloyd's update in the same pass, and a k-means++ round of seedPotential with candidates passed in place. */
function kMeans(X: Float64Array | Float32Array, n: number, d: number, k: number, start: Float64Array, rows: number[]) {
  return scoped(() => {
    const w = dataKernels(X instanceof Float32Array ? "float32" : "float64");
    const { assignNearest: assign, seedPotential: seed } = w;
    const rowBytes = d * w.bytes;
    const x = allocX(X);
    const starts = allocFrom(start),
      centers = alloc(k * d),
      labels = alloc(n, 4),
      minDist = alloc(n),
      counts = alloc(k);
    const inertia = assign(x, n, d, starts, k, labels, minDist, centers, counts);
    const assigned = { labels: Array.from(i32(labels, n)), minDist: Array.from(f64(minDist, n)) };
    f64(minDist, n).fill(Infinity);
    const potentials = [
      seed(x, n, d, x + rows[0] * rowBytes, minDist, true),
      seed(x, n, d, x + rows[1] * rowBytes, minDist, false),
      seed(x, n, d, x + rows[2] * rowBytes, minDist, true),
    ];
    return {
      inertia,
      ...assigned,
      potentials,
      centers: Array.from(f64(centers, k * d)),
      counts: Array.from(f64(counts, k)),
      seedDist: Array.from(f64(minDist, n)),
    };
  });
}

function expectSameResults(a: Record<string, number | number[]>, b: Record<string, number | number[]>): void {
  expect(Object.keys(a)).toEqual(Object.keys(b));
  for (const key of Object.keys(a)) {
    const [u, v] = [a[key], b[key]];
    expectSameBits(typeof u === "number" ? [u] : u, typeof v === "number" ? [v] : v, key);
  }
}

const DIMS = [1, 2, 3, 4, 5, 6, 7, 8, 13, 32, 64];
const COMPONENTS = [1, 2, 3, 8];
const ROWS = [300, 1000]; // not multiples of the 128- and 256-row blocks

describe("M-step kernels on f32 X equal their f64 twins bit for bit", () => {
  for (const d of DIMS)
    for (const k of COMPONENTS)
      for (const n of ROWS)
        for (const sparse of [false, true]) {
          it(`componentSums, scatterFull (full, tied), scatterDiag: d=${d} K=${k} N=${n} ${sparse ? "sparse" : "dense"} R`, () => {
            const X = data(n, d, 1000 * d + 10 * k + n);
            const resp = responsibilities(n, k, 7 * n + k, sparse);
            // the sparse sums run when d ≥ 16 and fewer than 40 % of R are non-zero
            const nonZero = resp.filter((v) => v !== 0).length / resp.length;
            if (sparse) expect(nonZero).toBeLessThan(0.4);
            const a = mStep(X, resp, n, d, k);
            const b = mStep(Float64Array.from(X), resp, n, d, k);
            expectSameResults(a, b);
            expect(b.means.every(Number.isFinite) && b.full.every(Number.isFinite)).toBe(true);
          });
        }

  it("scatterFull's simple path (d = 1021, too wide for the tiles): full and tied", () => {
    const n = 40,
      d = 1021,
      k = 2;
    const X = data(n, d, 5);
    const resp = responsibilities(n, k, 6, true);
    const run = (X: Float64Array | Float32Array, stride: number) =>
      scoped(() => {
        const w = dataKernels(X instanceof Float32Array ? "float32" : "float64");
        const x = allocX(X),
          rp = allocFrom(resp);
        const nk = alloc(k),
          means = alloc(k * d),
          out = alloc(k * d * d);
        componentMeans(w.componentSums, x, rp, n, d, k, nk, means);
        w.scatterFull(
          x,
          rp,
          means,
          n,
          d,
          k,
          nk,
          allocFrom(new Array(n).fill(-Infinity)),
          allocFrom([0, 0]),
          out,
          stride,
          alloc(d),
        );
        return {
          means: Array.from(f64(means, k * d)),
          scatter: Array.from(f64(out, stride === 0 ? d * d : k * d * d)),
        };
      });
    for (const stride of [d * d, 0]) expectSameResults(run(X, stride), run(Float64Array.from(X), stride));
  });
});

describe("k-means kernels on f32 X equal their f64 twins bit for bit", () => {
  for (const d of DIMS)
    for (const k of COMPONENTS)
      for (const n of ROWS) {
        it(`assignNearest (with the update), seedPotential: d=${d} K=${k} N=${n}`, () => {
          const X = data(n, d, 3000 * d + 10 * k + n);
          const r = rng(d + k + n);
          // centres are f64 (not f32-representable): rows of X moved a little
          const start = new Float64Array(k * d);
          for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) start[c * d + j] = X[((c * 37) % n) * d + j] + r();
          const rows = [n - 1, 0, Math.floor(n / 3)];
          const a = kMeans(X, n, d, k, start, rows);
          const b = kMeans(Float64Array.from(X), n, d, k, start, rows);
          expectSameResults(a, b);
          expect(b.potentials.every(Number.isFinite)).toBe(true);
        });
      }
});

describe("float32 full E-step: its log-densities are f32 arithmetic in the tiles' order, bit for bit", () => {
  // eStepF32 without responsibilities leaves the weighted log-densities in
  // `out` (widened exactly to f64). Each f32 operation is emulated with
  // Math.fround (exact for one +, − or × of f32 values): d_l = x_l − μ_l,
  // y_j = W[j][0]·d₀ + … + W[j][j]·d_j left to right, q = (y₀² + y₁²) +
  // (y₂² + y₃²) + … (+ y²_{d−1} alone at odd d), offset − ½q. The straight-line
  // kernel (d = 5 … 8, K ≤ 64) and the tiles (other d, K = 65) must both
  // give these bits.
  const f = Math.fround;
  const shapes = [
    [37, 5, 8],
    [16, 6, 3],
    [50, 7, 64],
    [21, 8, 5],
    [19, 8, 65], // past the straight-line kernel's K: the tiles
    [23, 3, 4],
    [13, 9, 2],
  ];
  for (const [n, d, k] of shapes) {
    it(`n=${n}, d=${d}, K=${k}`, () => {
      const r = rng(n * 1000 + d * 10 + k);
      const X = data(n, d, d + k);
      const means = Float64Array.from({ length: k * d }, (_, t) => 50 + 3 * ((t % d) + 1) * r());
      const W = new Float64Array(k * d * d);
      for (let c = 0; c < k; c++)
        for (let j = 0; j < d; j++)
          for (let l = 0; l <= j; l++) W[c * d * d + j * d + l] = l === j ? 0.2 + 0.3 * (r() + 0.5) : 0.2 * r();
      const logDet = Float64Array.from({ length: k }, () => r());
      const logW = Float64Array.from({ length: k }, (_, c) => Math.log((c + 1) / ((k * (k + 1)) / 2)));
      const got = scoped(() => {
        const w = kernels();
        const out = alloc(n * k);
        w.eStepF32(
          0,
          allocX(X),
          n,
          d,
          allocFrom(means),
          allocFrom(W),
          d * d,
          allocFrom(logDet),
          allocFrom(logW),
          k,
          out,
          alloc(n),
          false,
          alloc(k * d + k * d * d + k),
        );
        return Array.from(f64(out, n * k));
      });
      const want: number[] = [];
      const y = new Array<number>(d);
      for (let i = 0; i < n; i++)
        for (let c = 0; c < k; c++) {
          for (let j = 0; j < d; j++) {
            let s = 0;
            for (let l = 0; l <= j; l++)
              s = f(s + f(f(W[c * d * d + j * d + l]) * f(X[i * d + l] - f(means[c * d + l]))));
            y[j] = s;
          }
          let q = 0;
          for (let j = 0; j + 1 < d; j += 2) q = f(q + f(f(y[j] * y[j]) + f(y[j + 1] * y[j + 1])));
          if (d % 2) q = f(q + f(y[d - 1] * y[d - 1]));
          const offset = f(-0.5 * d * Math.log(2 * Math.PI) + logDet[c] + logW[c]);
          want.push(f(offset - f(0.5 * q)));
        }
      expectSameBits(got, want, "log-densities");
    });
  }
});
