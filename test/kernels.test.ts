// Each WebAssembly kernel against a slow, obviously right TypeScript reference.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { FAMILIES } from "../src/covariance.js";
import { allocWorkspace, markUnscored } from "../src/em.js";
import { alloc, allocFrom, f64, i32, scoped } from "../src/memory.js";
import { meansFromSums } from "../src/statistics.js";
import { kernels } from "../src/wasm.js";

/**
 * The vector exp on a whole array, through build/gmm-instrumented.wasm (the
 * release ABI plus test hooks, which gmm.wasm leaves out): its own instance
 * and memory, the values copied in and the results out.
 */
const instrumented = (async () => {
  const bytes = readFileSync(fileURLToPath(new URL("../build/gmm-instrumented.wasm", import.meta.url)));
  const { instance } = await WebAssembly.instantiate(bytes, {});
  return instance.exports as unknown as {
    memory: WebAssembly.Memory;
    heapBase(): number;
    expRows(src: number, dst: number, n: number): void;
  };
})();
async function expRows(xs: ArrayLike<number>): Promise<Float64Array> {
  const w = await instrumented;
  const n = xs.length;
  const src = Math.ceil(w.heapBase() / 64) * 64;
  const dst = src + Math.ceil((n * 8) / 64) * 64;
  const need = dst + n * 8 - w.memory.buffer.byteLength;
  if (need > 0) w.memory.grow(Math.ceil(need / 65536));
  new Float64Array(w.memory.buffer, src, n).set(xs);
  w.expRows(src, dst, n);
  return Float64Array.from(new Float64Array(w.memory.buffer, dst, n));
}

function rng(seed: number) {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32 - 0.5;
}

/** A random symmetric positive definite d×d matrix A Aᵀ + d·I, row-major. */
function spd(d: number, seed: number): number[] {
  const r = rng(seed);
  const a = Array.from({ length: d * d }, r);
  const out = new Array(d * d).fill(0);
  for (let i = 0; i < d; i++)
    for (let j = 0; j < d; j++) {
      for (let m = 0; m < d; m++) out[i * d + j] += a[i * d + m] * a[j * d + m];
      if (i === j) out[i * d + j] += d * 0.1;
    }
  return out;
}

/** Gauss–Jordan inverse and log-determinant: the naive reference. */
function inverseAndLogDet(m: number[], d: number): { inv: number[]; logDet: number } {
  const a = m.slice();
  const inv: number[] = Array.from({ length: d * d }, (_, t) => (Math.floor(t / d) === t % d ? 1 : 0));
  let logDet = 0;
  for (let c = 0; c < d; c++) {
    let p = c;
    for (let r = c + 1; r < d; r++) if (Math.abs(a[r * d + c]) > Math.abs(a[p * d + c])) p = r;
    for (let j = 0; j < d; j++) {
      [a[c * d + j], a[p * d + j]] = [a[p * d + j], a[c * d + j]];
      [inv[c * d + j], inv[p * d + j]] = [inv[p * d + j], inv[c * d + j]];
    }
    const pivot = a[c * d + c];
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < d; j++) {
      a[c * d + j] /= pivot;
      inv[c * d + j] /= pivot;
    }
    for (let r = 0; r < d; r++) {
      if (r === c) continue;
      const f = a[r * d + c];
      for (let j = 0; j < d; j++) {
        a[r * d + j] -= f * a[c * d + j];
        inv[r * d + j] -= f * inv[c * d + j];
      }
    }
  }
  return { inv, logDet };
}

describe("linalg kernels", () => {
  for (const d of [1, 2, 3, 5, 8, 13]) {
    it(`cholesky(A) gives L with L·Lᵀ = A and a zeroed upper triangle (d=${d})`, () => {
      const A = spd(d, d);
      const L = scoped(() => {
        const p = allocFrom(A);
        expect(kernels().cholesky(p, d)).toBe(-1);
        return Array.from(f64(p, d * d));
      });
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          if (j > i) expect(L[i * d + j]).toBe(0);
          let s = 0;
          for (let m = 0; m < d; m++) s += L[i * d + m] * L[j * d + m];
          expect(Math.abs(s - A[i * d + j])).toBeLessThan(1e-12 * d);
        }
    });

    it(`precisionCholeskyFull gives W with WᵀW = Σ⁻¹ and log det W = −½ log det Σ (d=${d})`, () => {
      const S = spd(d, 100 + d);
      const { inv, logDet } = inverseAndLogDet(S, d);
      const { W, ld } = scoped(() => {
        const cov = allocFrom(S);
        const w = alloc(d * d);
        const l = alloc(1);
        expect(kernels().precisionCholeskyFull(cov, w, l, 1, d, alloc(d * d))).toBe(-1);
        return { W: Array.from(f64(w, d * d)), ld: f64(l, 1)[0] };
      });
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let m = 0; m < d; m++) s += W[m * d + i] * W[m * d + j];
          expect(Math.abs(s - inv[i * d + j])).toBeLessThan(1e-10 * Math.max(1, Math.abs(inv[i * d + j])));
        }
      expect(ld).toBeCloseTo(-0.5 * logDet, 10);
    });

    it(`precisionFactorFromPrecision gives a lower W with WᵀW = P (d=${d})`, () => {
      const P = spd(d, 200 + d);
      const W = scoped(() => {
        const p = allocFrom(P);
        const w = alloc(d * d);
        expect(kernels().precisionFactorFromPrecision(p, w, alloc(1), 1, d, alloc(d * d))).toBe(-1);
        return Array.from(f64(w, d * d));
      });
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          if (j > i) expect(W[i * d + j]).toBe(0);
          let s = 0;
          for (let m = 0; m < d; m++) s += W[m * d + i] * W[m * d + j];
          expect(Math.abs(s - P[i * d + j])).toBeLessThan(1e-10 * Math.max(1, Math.abs(P[i * d + j])));
        }
    });
  }

  it("cholesky returns the failing pivot of a matrix that is not positive definite", () => {
    const A = [4, 2, 0, 2, 1, 0, 0, 0, 1]; // rank-deficient in its first two rows
    scoped(() => expect(kernels().cholesky(allocFrom(A), 3)).toBe(1));
    scoped(() => expect(kernels().cholesky(allocFrom([1, 0, 0, NaN]), 2)).toBe(1));
  });
});

/** logProbDiag and logProbSpherical against logProbFull on the same diagonal covariances. */
function diagMatchesFull(d: number): void {
  const k = 2;
  const n = 11;
  const r = rng(50 + d);
  const X = Array.from({ length: n * d }, () => 3 * r());
  const means = Array.from({ length: k * d }, r);
  const variances = Array.from({ length: k * d }, () => 0.5 + r() + 0.5);
  const spherical = [0.7, 1.9];
  const run = (build: (c: number, j: number) => number) =>
    scoped(() => {
      const w = kernels();
      const covs: number[] = [];
      for (let c = 0; c < k; c++)
        for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) covs.push(a === b ? build(c, a) : 0);
      const factor = alloc(k * d * d);
      const logDet = alloc(k);
      w.precisionCholeskyFull(allocFrom(covs), factor, logDet, k, d, alloc(d * d));
      const o = alloc(n * k);
      w.logProbFull(allocFrom(X), n, d, allocFrom(means), factor, d * d, logDet, allocFrom([0, 0]), k, o, alloc(d));
      return Array.from(f64(o, n * k));
    });
  const viaDiag = scoped(() => {
    const w = kernels();
    const prec = alloc(k * d);
    const logDet = alloc(k);
    w.precisionCholeskyDiag(allocFrom(variances), prec, logDet, k, d, 1);
    const o = alloc(n * k);
    w.logProbDiag(allocFrom(X), n, d, allocFrom(means), prec, logDet, allocFrom([0, 0]), k, o);
    return Array.from(f64(o, n * k));
  });
  const viaSpherical = scoped(() => {
    const w = kernels();
    const prec = alloc(k);
    const logDet = alloc(k);
    w.precisionCholeskyDiag(allocFrom(spherical), prec, logDet, k, 1, d);
    const o = alloc(n * k);
    w.logProbSpherical(allocFrom(X), n, d, allocFrom(means), prec, logDet, allocFrom([0, 0]), k, o);
    return Array.from(f64(o, n * k));
  });
  const fullDiag = run((c, j) => variances[c * d + j]);
  const fullSpherical = run((c) => spherical[c]);
  for (let t = 0; t < n * k; t++) {
    expect(Math.abs(viaDiag[t] - fullDiag[t])).toBeLessThan(1e-12 * Math.max(1, Math.abs(fullDiag[t])));
    expect(Math.abs(viaSpherical[t] - fullSpherical[t])).toBeLessThan(1e-12 * Math.max(1, Math.abs(fullSpherical[t])));
  }
}

describe("log-density kernels", () => {
  for (const d of [1, 2, 3, 4, 7, 16]) {
    it(`logProbFull equals the naive log N(x | μ, Σ) + log π for every row and component (d=${d})`, () => {
      const k = 3;
      const n = 37;
      const r = rng(d);
      const X = Array.from({ length: n * d }, () => 4 * r());
      const means = Array.from({ length: k * d }, r);
      const covs = [0, 1, 2].flatMap((c) => spd(d, 300 + 10 * d + c));
      const weights = [0.2, 0.3, 0.5];
      const out = scoped(() => {
        const w = kernels();
        const cov = allocFrom(covs);
        const factor = alloc(k * d * d);
        const logDet = alloc(k);
        w.precisionCholeskyFull(cov, factor, logDet, k, d, alloc(d * d));
        const logW = allocFrom(weights.map(Math.log));
        const o = alloc(n * k);
        w.logProbFull(allocFrom(X), n, d, allocFrom(means), factor, d * d, logDet, logW, k, o, alloc(d));
        return Array.from(f64(o, n * k));
      });
      for (let c = 0; c < k; c++) {
        const S = covs.slice(c * d * d, (c + 1) * d * d);
        const { inv, logDet } = inverseAndLogDet(S, d);
        for (let i = 0; i < n; i++) {
          let q = 0;
          for (let a = 0; a < d; a++)
            for (let b = 0; b < d; b++) {
              q += (X[i * d + a] - means[c * d + a]) * inv[a * d + b] * (X[i * d + b] - means[c * d + b]);
            }
          const expected = -0.5 * (d * Math.log(2 * Math.PI) + logDet + q) + Math.log(weights[c]);
          expect(Math.abs(out[i * k + c] - expected)).toBeLessThan(1e-10 * Math.max(1, Math.abs(expected)));
        }
      }
    });

    it(`diag and spherical kernels equal the full kernel on the same diagonal covariances (d=${d})`, () =>
      diagMatchesFull(d));
  }

  // d ≥ 512 is past the blocked paths' scratch: every kernel's row-at-a-time path
  it("diag and spherical kernels equal the full kernel at d = 600 (the unblocked paths)", () => diagMatchesFull(600));

  it("normalizeLogProb is a stable log-sum-exp: huge negative log-densities give proper responsibilities", () => {
    const rows = [
      [-1000, -1001, -1002],
      [0, Math.log(0.5), -Infinity],
      [-745.2, -745.2, -745.2],
    ];
    const { norm, resp, total } = scoped(() => {
      const p = allocFrom(rows.flat());
      const o = alloc(3);
      const t = kernels().normalizeLogProb(p, 3, 3, o, true);
      return { norm: Array.from(f64(o, 3)), resp: Array.from(f64(p, 9)), total: t };
    });
    const lse = (r: number[]) => {
      const m = Math.max(...r);
      return m + Math.log(r.reduce((s, v) => s + Math.exp(v - m), 0));
    };
    rows.forEach((r, i) => {
      expect(norm[i]).toBeCloseTo(lse(r), 12);
      const s = resp.slice(i * 3, i * 3 + 3);
      expect(Math.abs(s.reduce((a, b) => a + b, 0) - 1)).toBeLessThan(4e-16);
      const m = Math.max(...r);
      const e = r.map((v) => Math.exp(v - m));
      s.forEach((v, c) => expect(v).toBeCloseTo(e[c] / e.reduce((a, b) => a + b, 0), 15));
    });
    expect(total).toBeCloseTo(
      norm.reduce((a, b) => a + b, 0),
      10,
    );
  });

  // The paired path's finiteness probe sends a pair holding a non-finite
  // value to the scalar path. A row whose values are all −∞ is the case only
  // that path gets right (the vector exp would see −∞ − (−∞) = NaN): its
  // log-likelihood is −∞, its responsibilities 0, and its partner row is
  // normalised as if it were alone.
  for (const k of [1, 2, 3, 8, 300]) {
    for (const writeResp of [true, false]) {
      it(`normalizeLogProb: an all −∞ row in a pair leaves −∞ and zeros, and its partner intact (K=${k}, resp ${writeResp})`, () => {
        const r = rng(k);
        const finite = () => Array.from({ length: k }, () => -5 + 10 * r());
        // pairs (dead, live), (live, dead) and a dead odd row at the end
        const rows = [Array(k).fill(-Infinity), finite(), finite(), Array(k).fill(-Infinity), Array(k).fill(-Infinity)];
        const n = rows.length;
        const { norm, out } = scoped(() => {
          const p = allocFrom(rows.flat());
          const o = alloc(n);
          kernels().normalizeLogProb(p, n, k, o, writeResp);
          return { norm: Array.from(f64(o, n)), out: Array.from(f64(p, n * k)) };
        });
        rows.forEach((row, i) => {
          const got = out.slice(i * k, (i + 1) * k);
          if (row[0] === -Infinity) {
            expect(norm[i]).toBe(-Infinity);
            if (writeResp) expect(got.every((v) => v === 0)).toBe(true);
            return;
          }
          const m = Math.max(...row);
          const e = row.map((v) => Math.exp(v - m));
          const s = e.reduce((a, b) => a + b, 0);
          expect(Math.abs(norm[i] - (m + Math.log(s)))).toBeLessThan(1e-13);
          if (writeResp) got.forEach((v, c) => expect(Math.abs(v - e[c] / s)).toBeLessThan(1e-15));
          else expect(got).toEqual(row);
        });
      });
    }
  }
});

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

describe("M-step kernels", () => {
  // every d mod 4 and both tile paths (d < 4: edge tiles only; d ≥ 4: 4×4 tiles, then 1-, 2-, 3-row ones), K odd and even
  const shapes = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13].flatMap((d) => [2, 3].map((k) => ({ d, k })));
  it.each(shapes)(
    "componentSums and scatterFull (full and tied) equal the weighted means and centred scatter computed naively (d=$d, K=$k)",
    ({ d, k }) => {
      const n = 29;
      const r = rng(9 + d * 10 + k);
      const X = Array.from({ length: n * d }, () => 1e4 + r()); // far from the origin: centring matters
      const resp = Array.from({ length: n }, () => {
        const a = Array.from({ length: k }, () => r() + 0.5);
        const s = a.reduce((u, v) => u + v, 0);
        return a.map((v) => v / s);
      }).flat();
      const { nk, means, scatter, pooled } = scoped(() => {
        const w = kernels();
        const x = allocFrom(X),
          rp = allocFrom(resp),
          nkp = alloc(k),
          mp = alloc(k * d),
          sp = alloc(k * d * d);
        componentMeans(w.componentSums, x, rp, n, d, k, nkp, mp);
        const lpn = allocFrom(new Array(n).fill(-Infinity)); // no E-step: every r > 0 counts
        const logDet = allocFrom(new Array(k).fill(0));
        w.scatterFull(x, rp, mp, n, d, k, nkp, lpn, logDet, sp, d * d, alloc(d));
        w.finishScatter(sp, d, nkp, k, 0, false);
        // tied: one matrix, every component's scatter added into it (outStride 0)
        const tp = alloc(d * d);
        w.scatterFull(x, rp, mp, n, d, k, nkp, lpn, logDet, tp, 0, alloc(d));
        return {
          nk: Array.from(f64(nkp, k)),
          means: Array.from(f64(mp, k * d)),
          scatter: Array.from(f64(sp, k * d * d)),
          pooled: Array.from(f64(tp, d * d)),
        };
      });
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let i = 0; i < n; i++) s += resp[i * k + c];
        expect(nk[c]).toBeCloseTo(s, 12); // raw Σ r: the 10ε floor is the M-step's (statistics.ts)
        for (let j = 0; j < d; j++) {
          let m = 0;
          for (let i = 0; i < n; i++) m += resp[i * k + c] * X[i * d + j];
          expect(means[c * d + j]).toBeCloseTo(m / (nk[c] + 10 * Number.EPSILON), 9);
        }
        for (let a = 0; a < d; a++)
          for (let b = 0; b < d; b++) {
            let v = 0;
            for (let i = 0; i < n; i++)
              v += resp[i * k + c] * (X[i * d + a] - means[c * d + a]) * (X[i * d + b] - means[c * d + b]);
            expect(scatter[c * d * d + a * d + b]).toBeCloseTo(v / nk[c], 12);
          }
      }
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) {
          let v = 0;
          for (let c = 0; c < k; c++)
            for (let i = 0; i < n; i++)
              v += resp[i * k + c] * (X[i * d + a] - means[c * d + a]) * (X[i * d + b] - means[c * d + b]);
          expect(pooled[a * d + b]).toBeCloseTo(v, 10);
        }
    },
  );
});

describe("M-step kernels at d = 5 … 8 on responsibilities with negligible pairs", () => {
  // The d = 5 … 8 paths: one-pass sums (d = 5, 6, 7), the straight-line
  // gather, the negligible-row test four rows at a time then row by row.
  // Clusters in a box, W = I (logDet 0), r and lse computed here as the
  // E-step would: many pairs have r > 0 yet are negligible by scatterFull's
  // rule (r·(max(0, 2·logDet − d·log 2π − 2·lse) + 1440) ≤ 1e-24·N_c), which
  // the reference applies too. n = 601: three 256-row blocks, the last odd;
  // groups of 32 rows fill several times per block; K = 1, odd, even, > 64.
  const shapes = [5, 6, 7, 8].flatMap((d) =>
    [1, 3, 8, 67].flatMap((k) => [601, 7].filter((n) => n >= k).map((n) => ({ d, k, n }))),
  );
  it.each(shapes)(
    "componentSums and scatterFull (full, tied) equal the naive sums (d=$d, K=$k, n=$n)",
    ({ d, k, n }) => {
      const r = rng(1000 + 17 * d + k + n);
      const centres = Array.from({ length: k * d }, () => 24 * r());
      const X = Array.from(
        { length: n * d },
        (_, t) => 1e3 + centres[((Math.floor(t / d) * 7) % k) * d + (t % d)] + 2 * r(),
      );
      const logPi = -Math.log(k);
      const lse: number[] = [];
      const resp: number[] = [];
      for (let i = 0; i < n; i++) {
        const l = Array.from({ length: k }, (_, c) => {
          let q = 0;
          for (let j = 0; j < d; j++) q += (X[i * d + j] - 1e3 - centres[c * d + j]) ** 2;
          return logPi - 0.5 * d * Math.log(2 * Math.PI) - 0.5 * q;
        });
        const top = Math.max(...l);
        const norm = top + Math.log(l.reduce((s, v) => s + Math.exp(v - top), 0));
        lse.push(norm);
        for (const v of l) resp.push(Math.exp(v - norm));
      }
      const got = scoped(() => {
        const w = kernels();
        const x = allocFrom(X),
          rp = allocFrom(resp),
          nkp = alloc(k),
          mp = alloc(k * d),
          sp = alloc(k * d * d),
          tp = alloc(d * d);
        w.componentSums(x, rp, n, d, k, nkp, mp);
        const sums = Array.from(f64(mp, k * d));
        meansFromSums(f64(nkp, k), f64(mp, k * d).slice(), k, d, f64(mp, k * d));
        const lpn = allocFrom(lse),
          logDet = allocFrom(new Array(k).fill(0));
        w.scatterFull(x, rp, mp, n, d, k, nkp, lpn, logDet, sp, d * d, alloc(d));
        w.scatterFull(x, rp, mp, n, d, k, nkp, lpn, logDet, tp, 0, alloc(d));
        return {
          nk: Array.from(f64(nkp, k)),
          sums,
          means: Array.from(f64(mp, k * d)),
          full: Array.from(f64(sp, k * d * d)),
          tied: Array.from(f64(tp, d * d)),
        };
      });
      const pooled = new Array(d * d).fill(0);
      let skipped = 0;
      let kept = 0;
      for (let c = 0; c < k; c++) {
        let nc = 0;
        for (let i = 0; i < n; i++) nc += resp[i * k + c];
        expect(got.nk[c]).toBeCloseTo(nc, 12);
        for (let j = 0; j < d; j++) {
          let m = 0;
          for (let i = 0; i < n; i++) m += resp[i * k + c] * X[i * d + j];
          expect(got.sums[c * d + j] / (1e3 * nc)).toBeCloseTo(m / (1e3 * nc), 12);
        }
        const s = new Array(d * d).fill(0);
        for (let i = 0; i < n; i++) {
          const ric = resp[i * k + c];
          const u = Math.max(0, -d * Math.log(2 * Math.PI) - 2 * lse[i]) + 1440;
          if (!(ric * u > 1e-24 * got.nk[c])) {
            if (ric > 0) skipped++;
            continue;
          }
          kept++;
          for (let a = 0; a < d; a++)
            for (let b = 0; b <= a; b++)
              s[a * d + b] += ric * (X[i * d + a] - got.means[c * d + a]) * (X[i * d + b] - got.means[c * d + b]);
        }
        for (let a = 0; a < d; a++)
          for (let b = 0; b <= a; b++) {
            expect(got.full[c * d * d + a * d + b] / nc).toBeCloseTo(s[a * d + b] / nc, 12);
            pooled[a * d + b] += s[a * d + b];
          }
      }
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) expect(got.tied[a * d + b] / n).toBeCloseTo(pooled[a * d + b] / n, 12);
      // the rule is exercised: with K > 1 and many rows, pairs with r > 0 are left out, and others kept
      if (k > 1 && n > 100) expect(skipped).toBeGreaterThan(n);
      expect(kept).toBeGreaterThanOrEqual(n);
    },
  );
});

describe("scatterFull before any E-step", () => {
  // At initialisation logDet holds whatever an earlier fit left in that memory
  // (a threaded fit leaves −∞ there); markUnscored sets the state the kernel
  // reads as "no E-step yet", and then every r > 0 must count.
  it.each([
    [-Infinity, Number.NaN],
    [Number.POSITIVE_INFINITY, 0],
  ])("keeps every row with r > 0 after markUnscored, whatever logDet held (%s, %s)", (l0, l1) => {
    const n = 50,
      d = 5, // d ≤ 4 keeps every row anyway (scatterSmall): the tiled path is the one that tests
      k = 2;
    const r = rng(21);
    const X = Array.from({ length: n * d }, r);
    const resp = Array.from({ length: n }, (_, i) => (i % 2 === 0 ? [1, 0] : [0.25, 0.75])).flat();
    const got = scoped(() => {
      const w = kernels();
      const x = allocFrom(X);
      const ws = allocWorkspace(FAMILIES.full, x, n, d, k);
      f64(ws.resp, n * k).set(resp);
      f64(ws.logProbNorm, n).fill(12.5);
      f64(ws.logDet, k).set([l0, l1]);
      markUnscored(ws);
      componentMeans(w.componentSums, x, ws.resp, n, d, k, ws.nk, ws.means);
      const sp = alloc(k * d * d);
      w.scatterFull(x, ws.resp, ws.means, n, d, k, ws.nk, ws.logProbNorm, ws.logDet, sp, d * d, alloc(d));
      return { means: Array.from(f64(ws.means, k * d)), s: Array.from(f64(sp, k * d * d)) };
    });
    for (let c = 0; c < k; c++)
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) {
          let v = 0;
          for (let i = 0; i < n; i++)
            v += resp[i * k + c] * (X[i * d + a] - got.means[c * d + a]) * (X[i * d + b] - got.means[c * d + b]);
          expect(got.s[c * d * d + a * d + b]).toBeCloseTo(v, 12);
        }
  });
});

describe("scatterFull's negligible rows", () => {
  // One component, W = I. Row 0 is 1e10 from the rest with r = 1e-28: it adds
  // 1e-28·1e20 = 1e-8 to S[0][0] (~13), far above rounding. The E-step's lse
  // for it (≈ −5e19) bounds its q, so it must count; told instead that its lse
  // is a typical one, the kernel may (and does) drop it as negligible.
  const n = 40,
    d = 5, // the tiled path: d ≤ 4 counts every row (scatterSmall)
    k = 1;
  const r = rng(11);
  const X = Array.from({ length: n * d }, (_, t) => (t === 0 ? 1e10 : r()));
  const resp = Array.from({ length: n }, (_, i) => (i === 0 ? 1e-28 : 1));
  const constant = -0.5 * d * Math.log(2 * Math.PI);
  const honest = Array.from(
    { length: n },
    (_, i) => constant - 0.5 * X.slice(i * d, i * d + d).reduce((s, v) => s + v * v, 0),
  );
  const scatter = (lse: number[]) =>
    scoped(() => {
      const w = kernels();
      const x = allocFrom(X),
        rp = allocFrom(resp),
        nkp = alloc(k),
        mp = alloc(k * d),
        sp = alloc(d * d);
      componentMeans(w.componentSums, x, rp, n, d, k, nkp, mp);
      w.scatterFull(x, rp, mp, n, d, k, nkp, allocFrom(lse), allocFrom([0]), sp, d * d, alloc(d));
      return { means: Array.from(f64(mp, d)), s: Array.from(f64(sp, d * d)) };
    });
  const naive = (means: number[], from: number) => {
    const s = new Array(d * d).fill(0);
    for (let i = from; i < n; i++)
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) {
          s[a * d + b] += resp[i] * (X[i * d + a] - means[a]) * (X[i * d + b] - means[b]);
        }
    return s;
  };
  it("counts a far row with tiny r (its lse bounds r·q above the cut)", () => {
    const { means, s } = scatter(honest);
    const all = naive(means, 0);
    for (let t = 0; t < d * d; t++) expect(s[t]).toBeCloseTo(all[t], 12);
    expect(Math.abs(all[0] - naive(means, 1)[0])).toBeGreaterThan(1e-9); // the row matters at this precision
  });
  it("leaves it out when its lse says r·q is negligible", () => {
    const { means, s } = scatter(honest.map((v, i) => (i === 0 ? constant : v)));
    const rest = naive(means, 1);
    for (let t = 0; t < d * d; t++) expect(s[t]).toBeCloseTo(rest[t], 12);
  });
});

describe("fused E-step", () => {
  // eStepFull (blocked, two rows per vector, the d ≤ 4 register paths) and eStepDiag /
  // eStepSpherical must equal the plain logProb* + normalizeLogProb on
  // awkward shapes (odd n, odd K, d = 1…9, a part block, K past the d ≤ 8
  // paths' 64, a non-finite row), bit for bit: the same operations on the
  // same values, with and without responsibilities.
  const shapes = [
    [1, 1, 1],
    [7, 2, 3],
    [13, 3, 5],
    [20, 3, 8],
    [9, 3, 64],
    [6, 3, 65],
    [65, 2, 1],
    [33, 5, 2],
    [9, 9, 7],
    [130, 4, 3],
    [21, 1, 8],
    [19, 7, 8],
    [11, 2, 70],
    [5, 6, 33],
    [9, 4, 64], // the d ≤ 4 register path's largest K (its constants fill SMALL_PARAMS)
    [7, 1, 65], // past it: the blocked path
    [130, 5, 8], // d = 5 … 8's straight-line kernel (eStepLine), over part blocks
    [9, 5, 64], // its largest K
    [7, 5, 65], // past it: the tiles
    [41, 6, 5],
    [23, 7, 64],
    [130, 8, 8],
    [9, 8, 65],
  ];
  for (const [n, d, k] of shapes) {
    for (const family of ["full", "diag", "spherical"] as const) {
      it(`eStep ${family} equals logProb + normalizeLogProb bit for bit (n=${n}, d=${d}, K=${k})`, () => {
        const r = rng(n * 100 + d * 10 + k);
        const X = Array.from({ length: n * d }, () => 5 * r());
        if (n > 3) X[2 * d] = Infinity; // a row off the vector path: the scalar fallback
        const means = Array.from({ length: k * d }, () => 2 * r());
        const covs = Array.from({ length: k }, (_, c) => spd(d, 7 * c + d)).flat();
        const variances = Array.from({ length: k * d }, () => 0.5 + r() + 0.5);
        const weights = Array.from({ length: k }, (_, c) => (c + 1) / ((k * (k + 1)) / 2));
        const run = (fused: boolean, writeResp: boolean) =>
          scoped(() => {
            const w = kernels();
            const m = family === "full" ? k * d * d : family === "diag" ? k * d : k;
            const factor = alloc(m);
            const logDet = alloc(k);
            if (family === "full") w.precisionCholeskyFull(allocFrom(covs), factor, logDet, k, d, alloc(d * d));
            else if (family === "diag") w.precisionCholeskyDiag(allocFrom(variances), factor, logDet, k, d, 1);
            else w.precisionCholeskyDiag(allocFrom(variances.slice(0, k)), factor, logDet, k, 1, d);
            const out = alloc(n * k);
            const norm = alloc(n);
            const x = allocFrom(X);
            const mu = allocFrom(means);
            const logW = allocFrom(weights.map(Math.log));
            let total: number;
            if (family === "full") {
              total = fused
                ? w.eStepFull(x, n, d, mu, factor, d * d, logDet, logW, k, out, alloc(d), norm, writeResp)
                : (w.logProbFull(x, n, d, mu, factor, d * d, logDet, logW, k, out, alloc(d)),
                  w.normalizeLogProb(out, n, k, norm, writeResp));
            } else {
              const [eStep, logProb] =
                family === "diag" ? [w.eStepDiag, w.logProbDiag] : [w.eStepSpherical, w.logProbSpherical];
              total = fused
                ? eStep(x, n, d, mu, factor, logDet, logW, k, out, norm, writeResp)
                : (logProb(x, n, d, mu, factor, logDet, logW, k, out), w.normalizeLogProb(out, n, k, norm, writeResp));
            }
            return { total, resp: Array.from(f64(out, n * k)), norm: Array.from(f64(norm, n)) };
          });
        for (const writeResp of [true, false]) {
          const a = run(true, writeResp);
          const b = run(false, writeResp);
          expect(Object.is(a.total, b.total) || Math.abs(a.total - b.total) <= 1e-12 * Math.abs(b.total)).toBe(true);
          // the last row of an odd n is normalised alone, which
          // normalizeLogProb sums in another order: equal to rounding there
          const even = n - (n % 2);
          expect(a.norm.slice(0, even)).toEqual(b.norm.slice(0, even));
          expect(a.resp.slice(0, even * k)).toEqual(b.resp.slice(0, even * k));
          for (let i = even; i < n; i++) {
            expect(Math.abs(a.norm[i] - b.norm[i])).toBeLessThanOrEqual(1e-15 * Math.max(1, Math.abs(b.norm[i])));
            for (let c = 0; c < k; c++)
              expect(Math.abs(a.resp[i * k + c] - b.resp[i * k + c])).toBeLessThanOrEqual(
                1e-15 * Math.max(1, Math.abs(b.resp[i * k + c])),
              );
          }
          if (n > 3) expect(a.norm[2]).toBe(-Infinity);
        }
      });
    }
  }
});

describe("tied E-step (one factor: the rows transformed once per block)", () => {
  // eStepFull with wStride 0 beyond the register paths transforms each block
  // once, y = W(x − m), and takes ‖y − W(μ_c − m)‖²: the per-component form's
  // results (logProbFull, then normalizeLogProb) to rounding, on awkward
  // shapes, with the rows near the origin or 1e4 away from it (unit spreads:
  // the centring keeps the subtraction from cancelling).
  const shapes = [
    [33, 5, 2],
    [9, 9, 7],
    [19, 7, 8],
    [5, 6, 33],
    [11, 8, 70],
    [40, 3, 65],
    [17, 24, 3],
  ];
  for (const [n, d, k] of shapes) {
    for (const offset of [0, 1e4]) {
      it(`equals the per-component form to rounding (n=${n}, d=${d}, K=${k}, rows ${offset} from the origin)`, () => {
        const r = rng(n * 100 + d * 10 + k);
        const X = Array.from({ length: n * d }, () => offset + 5 * r());
        if (n > 3) X[2 * d] = Infinity; // a row off the vector path: the scalar fallback
        const means = Array.from({ length: k * d }, () => offset + 2 + r());
        const cov = spd(d, 3 * d + k);
        const weights = Array.from({ length: k }, (_, c) => (c + 1) / ((k * (k + 1)) / 2));
        const run = (tiedPath: boolean) =>
          scoped(() => {
            const w = kernels();
            const factor = alloc(d * d);
            const logDet = alloc(k);
            w.precisionCholeskyFull(allocFrom(cov), factor, logDet, 1, d, alloc(d * d));
            f64(logDet, k).fill(f64(logDet, 1)[0]);
            const out = alloc(n * k);
            const norm = alloc(n);
            const args = [
              allocFrom(X),
              n,
              d,
              allocFrom(means),
              factor,
              0,
              logDet,
              allocFrom(weights.map(Math.log)),
              k,
            ] as const;
            const total = tiedPath
              ? w.eStepFull(...args, out, alloc(d), norm, true)
              : (w.logProbFull(...args, out, alloc(d)), w.normalizeLogProb(out, n, k, norm, true));
            return { total, resp: Array.from(f64(out, n * k)), norm: Array.from(f64(norm, n)) };
          });
        const a = run(true);
        const b = run(false);
        const finite = b.norm.filter(Number.isFinite);
        expect(finite.length).toBe(n > 3 ? n - 1 : n);
        for (let i = 0; i < n; i++) {
          if (!Number.isFinite(b.norm[i])) {
            expect(a.norm[i]).toBe(b.norm[i]);
            continue;
          }
          expect(Math.abs(a.norm[i] - b.norm[i])).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(b.norm[i])));
          for (let c = 0; c < k; c++)
            expect(Math.abs(a.resp[i * k + c] - b.resp[i * k + c])).toBeLessThanOrEqual(1e-12);
        }
        expect(Object.is(a.total, b.total) || Math.abs(a.total - b.total) <= 1e-12 * Math.abs(b.total)).toBe(true);
      });
    }
  }
});

describe("vector exp", () => {
  // Reference: e^x in double-double (x = k·ln2 + r with ln2 and r in
  // double-double, e^(r/2¹⁰) by 14 Taylor terms, squared ten times), good to
  // ~1e-30 relative, far below the ulp measured; checked on Math.exp (< 1 ulp).
  const SPLIT = 134217729; // 2²⁷ + 1, Dekker's splitter
  const twoSum = (a: number, b: number): [number, number] => {
    const s = a + b,
      bb = s - a;
    return [s, a - (s - bb) + (b - bb)];
  };
  const twoProd = (a: number, b: number): [number, number] => {
    const p = a * b;
    const ca = SPLIT * a,
      ah = ca - (ca - a),
      al = a - ah;
    const cb = SPLIT * b,
      bh = cb - (cb - b),
      bl = b - bh;
    return [p, ah * bh - p + ah * bl + al * bh + al * bl];
  };
  const add = (a: [number, number], b: [number, number]) => {
    const [s, e] = twoSum(a[0], b[0]);
    return twoSum(s, e + a[1] + b[1]);
  };
  const mul = (a: [number, number], b: [number, number]) => {
    const [p, e] = twoProd(a[0], b[0]);
    return twoSum(p, e + a[0] * b[1] + a[1] * b[0]);
  };
  const LN2: [number, number] = [Math.LN2, 2.3190468138462996e-17];
  const reference = (x: number): [number, number] => {
    const k = Math.round(x / LN2[0]);
    let r = add([x, 0], mul([-k, 0], LN2));
    r = [r[0] / 1024, r[1] / 1024];
    let term: [number, number] = [1, 0];
    let sum: [number, number] = [1, 0];
    for (let i = 1; i <= 14; i++) {
      term = mul(term, r);
      term = [term[0] / i, term[1] / i];
      sum = add(sum, term);
    }
    for (let i = 0; i < 10; i++) sum = mul(sum, sum);
    return [sum[0] * 2 ** k, sum[1] * 2 ** k];
  };
  const ulpError = (v: number, x: number) => {
    const [h, l] = reference(x);
    return Math.abs(v - h - l) / 2 ** (Math.floor(Math.log2(h)) - 52);
  };

  it("the E-step's exp is within 1.5 ulp of e^x on a dense grid of [−707, 0] (vector-math.ts states about 1.3)", async () => {
    // 2¹⁹ points evenly over [−707, 0] and 2¹⁹ packed towards 0 (x = −2t³),
    // where the responsibilities of close components are computed
    const n = 1 << 20;
    const xs = new Float64Array(n);
    for (let i = 0; i < n; i++) xs[i] = i < n / 2 ? -707 * (i / (n / 2)) : -2 * ((i - n / 2) / (n / 2)) ** 3;
    const out = await expRows(xs);
    let worst = 0;
    let mean = 0;
    for (let i = 0; i < n; i++) {
      const e = ulpError(out[i], xs[i]);
      mean += e / n;
      worst = Math.max(worst, e);
    }
    expect(worst).toBeLessThan(1.5);
    expect(mean).toBeLessThan(0.4);
    // the reference itself: Math.exp is within 1 ulp of it
    for (let i = 0; i < n; i += 97) expect(ulpError(Math.exp(xs[i]), xs[i])).toBeLessThan(1);
  });

  it("the E-step's exp gives 1 at 0, flushes below e^−707 to 0 and maps −∞ to 0", async () => {
    const xs = [0, -0, -706.9, -707.5, -745.2, -1e300, -Infinity];
    const out = Array.from(await expRows(xs));
    expect(out[0]).toBe(1);
    expect(out[1]).toBe(1);
    expect(ulpError(out[2], xs[2])).toBeLessThan(1.5);
    expect(out.slice(3)).toEqual([0, 0, 0, 0]);
  });
});

describe("k-means kernels", () => {
  // The row-at-a-time reference, in vector-math.ts's sqDistOf order: features
  // 4g, 4g+1 in the lanes of one accumulator, 4g+2, 4g+3 in another, a
  // trailing pair in the first, then (a0 + b0) + (a1 + b1) and a last odd
  // feature. The blocked kernels must give its distances, labels, inertia
  // and potentials bit for bit (they decide k-means' path, so the fits).
  const sqDist = (x: ArrayLike<number>, xo: number, c: ArrayLike<number>, co: number, d: number) => {
    let a0 = 0,
      a1 = 0,
      b0 = 0,
      b1 = 0,
      i = 0;
    for (; i + 4 <= d; i += 4) {
      const t = [0, 1, 2, 3].map((j) => x[xo + i + j] - c[co + i + j]);
      a0 += t[0] * t[0];
      a1 += t[1] * t[1];
      b0 += t[2] * t[2];
      b1 += t[3] * t[3];
    }
    if (i + 2 <= d) {
      const t0 = x[xo + i] - c[co + i],
        t1 = x[xo + i + 1] - c[co + i + 1];
      a0 += t0 * t0;
      a1 += t1 * t1;
      i += 2;
    }
    let r = a0 + b0 + (a1 + b1);
    if (i < d) {
      const t = x[xo + i] - c[co + i];
      r += t * t;
    }
    return r;
  };
  for (const d of [1, 2, 3, 4, 5, 6, 7, 8, 9])
    for (const k of [1, 3, 8])
      for (const n of [1, 2, 17, 64]) {
        it(`assignNearest and seedPotential equal the row-at-a-time reference bit for bit (d=${d}, K=${k}, n=${n})`, () => {
          const r = rng(1000 * d + 10 * k + n);
          const X = Array.from({ length: n * d }, () => 4 * r());
          // centres: rows moved a little, and a duplicate of centre 0 (a tie: the lower index wins)
          const C = Array.from({ length: k * d }, (_, t) => X[((Math.floor(t / d) * 7) % n) * d + (t % d)] + 0.1 * r());
          if (k > 2) for (let j = 0; j < d; j++) C[2 * d + j] = C[j];
          const minStart = Array.from({ length: n }, (_, i) => (i % 3 === 0 ? Infinity : 2 * r() + 1));
          const got = scoped(() => {
            const w = kernels();
            const x = allocFrom(X),
              c = allocFrom(C),
              labels = alloc(n, 4),
              dist = alloc(n),
              md = allocFrom(minStart);
            const inertia = w.assignNearest(x, n, d, c, k, labels, dist);
            const row = Math.floor(n / 2);
            const probe = w.seedPotential(x, n, d, x + row * d * 8, md, false);
            const unchanged = Array.from(f64(md, n));
            const pot = w.seedPotential(x, n, d, x + row * d * 8, md, true);
            return {
              inertia,
              labels: Array.from(i32(labels, n)),
              dist: Array.from(f64(dist, n)),
              probe,
              unchanged,
              pot,
              md: Array.from(f64(md, n)),
            };
          });
          let inertia = 0;
          for (let i = 0; i < n; i++) {
            let best = 0,
              bd = sqDist(X, i * d, C, 0, d);
            for (let c = 1; c < k; c++) {
              const v = sqDist(X, i * d, C, c * d, d);
              if (v < bd) {
                bd = v;
                best = c;
              }
            }
            expect(got.labels[i]).toBe(best);
            expect(got.dist[i]).toBe(bd);
            inertia += bd;
          }
          expect(got.inertia).toBe(inertia);
          const row = Math.floor(n / 2);
          let pot = 0;
          const md = minStart.map((m, i) => {
            const v = Math.min(m, sqDist(X, i * d, X, row * d, d));
            pot += v;
            return v;
          });
          expect(got.probe).toBe(pot);
          expect(got.unchanged).toEqual(minStart);
          expect(got.pot).toBe(pot);
          expect(got.md).toEqual(md);
        });
      }
});

describe("firstBeyond (the dense input's check)", () => {
  // the first value not within ±limit, against a plain scan; every position of a
  // block of eight, across the block boundary and in the scalar tail
  const plain = (v: ArrayLike<number>, limit: number) => Array.from(v).findIndex((x) => !(Math.abs(x) <= limit));
  it("finds the first value beyond the limit, NaN or ±∞ wherever it stands, and −1 when there is none", () => {
    const wasm = kernels();
    for (const n of [0, 1, 7, 8, 9, 16, 23, 64]) {
      for (const bad of [NaN, Infinity, -Infinity, 2e100, -1.0000000000000002e100]) {
        for (let at = -1; at < n; at++) {
          const v = Float64Array.from({ length: n }, (_, t) => (t === at ? bad : (t % 3) - 1e100 * (t % 2)));
          if (at >= 0 && at + 3 < n) v[at + 3] = NaN; // a later bad value must not be the one reported
          scoped(() => {
            const p = allocFrom(v);
            expect(wasm.firstBeyond(p, n, 1e100)).toBe(plain(v, 1e100));
          });
        }
      }
    }
  });
  it("takes values equal to the limit, and with Number.MAX_VALUE refuses only NaN and ±∞", () => {
    const wasm = kernels();
    scoped(() => {
      const v = Float64Array.from([1e100, -1e100, Number.MAX_VALUE, -Number.MAX_VALUE, 0, -0, 5e-324, 1, 2]);
      const p = allocFrom(v);
      expect(wasm.firstBeyond(p, v.length, Number.MAX_VALUE)).toBe(-1);
      expect(wasm.firstBeyond(p, 2, 1e100)).toBe(-1);
      expect(wasm.firstBeyond(p, v.length, 1e100)).toBe(2);
    });
  });
});
