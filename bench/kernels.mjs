// Kernel-level timing on a private instance of gmm.wasm: the machine's
// f64x2 peak (assembly/peak.ts) and the achieved GFLOP/s of the
// full-covariance E-step and M-step kernels, called directly with their
// pointer-and-dimensions ABI (no TypeScript layer in the timed region).
import { readFileSync } from "node:fs";
import { cpus } from "node:os";

export async function loadRaw(url) {
  const { instance } = await WebAssembly.instantiate(readFileSync(url), {});
  const w = instance.exports;
  let top = Math.ceil(w.heapBase() / 64) * 64;
  const alloc = (count) => {
    const p = top;
    top += Math.ceil((count * 8) / 64) * 64;
    const need = top - w.memory.buffer.byteLength;
    if (need > 0) w.memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const f64 = (p, n) => new Float64Array(w.memory.buffer, p, n);
  return {
    w,
    alloc,
    f64,
    reset: () => {
      top = Math.ceil(w.heapBase() / 64) * 64;
    },
  };
}

/**
 * The CPU's name, and on Linux its family, model and stepping from
 * /proc/cpuinfo: VMs often name every Intel part "Intel(R) Xeon(R) Processor",
 * and ratios move between parts, so a figure must say which one it came from.
 */
export function cpuName() {
  const name = cpus()[0]?.model ?? "unknown CPU";
  try {
    const info = readFileSync("/proc/cpuinfo", "utf8");
    const field = (key) => info.match(new RegExp(`^${key}\\s*:\\s*(.*)$`, "m"))?.[1];
    const [family, model, stepping] = [field("cpu family"), field("model"), field("stepping")];
    return family && model ? `${name} (family ${family}, model ${model}, stepping ${stepping})` : name;
  } catch {
    return name;
  }
}

/** Σ r·x → means, as src/statistics.ts does (k·d products: negligible next to the kernels). */
function toMeans(nk, sums, k, d) {
  for (let c = 0; c < k; c++) {
    const inv = 1 / (nk[c] + 10 * Number.EPSILON);
    for (let j = 0; j < d; j++) sums[c * d + j] *= inv;
  }
}

/** Measured f64x2 multiply-add rate (GFLOP/s): best of `rounds` timed runs. */
export function measurePeak(raw, seconds = 0.4, rounds = 5) {
  const f = raw.w.peakMultiplyAdd;
  f(1e6, 0.9999999, 1e-7); // warm-up
  let it = 1e6;
  for (;;) {
    const t = performance.now();
    f(it, 0.9999999, 1e-7);
    if (performance.now() - t > seconds * 1000 * 0.5) break;
    it *= 2;
  }
  let best = 0;
  const all = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    f(it, 0.9999999, 1e-7);
    const s = (performance.now() - t) / 1000;
    const g = (it * 48) / s / 1e9;
    all.push(g);
    best = Math.max(best, g);
  }
  return { gflops: best, runs: all, flopsPerRound: 48, accumulators: 12 };
}

/**
 * Measured throughput of the vector exp (assembly/peak.ts's peakExp: the
 * E-step's expNonPositive on independent arguments), in exps (lanes) per
 * second: best of `rounds` timed runs.
 */
export function measureExp(raw, seconds = 0.3, rounds = 5) {
  const f = raw.w.peakExp;
  f(1e5); // warm-up
  let it = 1e5;
  for (;;) {
    const t = performance.now();
    f(it);
    if (performance.now() - t > seconds * 1000 * 0.5) break;
    it *= 2;
  }
  let best = 0;
  const all = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    f(it);
    const rate = (it * 8) / ((performance.now() - t) / 1000);
    all.push(rate);
    best = Math.max(best, rate);
  }
  return { perSecond: best, runs: all, expsPerRound: 8 };
}

/** FLOP model (documented in results/latest.md). */
export const flopModel = {
  // per (row, component): d subtractions, d(d+1)/2 multiply-adds for the
  // triangular product W(x−μ), d squares and d additions for the norm
  eStep: (d) => d + d * (d + 1) + 2 * d,
  // per (row, component) with r > 0: the centred difference (d), r·(x−μ)
  // (d) and the lower-triangle rank-1 update (d(d+1)/2 multiply-adds)
  scatter: (d) => 2 * d + d * (d + 1),
  // per (row, component) with r > 0: N_k and the weighted mean (2d + 1)
  sums: (d) => 2 * d + 1,
  // per component: Cholesky (≈ d³/3) and triangular inverse (≈ d³/3)
  factor: (d) => (2 * d * d * d) / 3,
};

/**
 * Times the full-covariance E-step (eStepFull: log-densities and their
 * normalisation, as a fit runs it; and logProbFull alone) and M-step
 * (componentSums, scatterFull, finishScatter, precisionCholeskyFull)
 * kernels on `X` with the fitted parameters `params` (weights, means, lower
 * factors W). Returns seconds per call (minimum over repeats, the least
 * disturbed run) and GFLOP/s. M-step flops are counted on the (row,
 * component) pairs the kernels work on: r > 0 for componentSums, and for
 * scatterFull the pairs it does not skip as negligible (its rule, repeated
 * here: r·u > 1e-24·N_k with u = max(0, 2·log det W_k − d·log 2π − 2·lse) + 1440;
 * at d = 2 it sums every pair).
 */
export function timeFullKernels(raw, X, n, d, k, params, repeats = 5) {
  const { w, alloc, f64 } = raw;
  raw.reset();
  const x = alloc(n * d);
  f64(x, n * d).set(X);
  const means = alloc(k * d);
  const fac = alloc(k * d * d);
  const logDet = alloc(k);
  const logW = alloc(k);
  const resp = alloc(n * k);
  const lpn = alloc(n);
  const nk = alloc(k);
  const cov = alloc(k * d * d);
  const scratch = alloc(scratchValues(d));
  const load = () => {
    f64(means, k * d).set(params.means);
    f64(fac, k * d * d).set(params.factor);
    for (let c = 0; c < k; c++) f64(logW, k)[c] = Math.log(params.weights[c]);
    w.factorLogDet(fac, k, d, d * d, d + 1, 1, logDet);
  };
  const best = { logProb: Infinity, eStep: Infinity, sums: Infinity, scatter: Infinity, factor: Infinity };
  let nonZero = 0;
  let scattered = 0;
  for (let r = 0; r < repeats + 1; r++) {
    load();
    const t = performance.now();
    w.logProbFull(x, n, d, means, fac, d * d, logDet, logW, k, resp, scratch);
    const a = performance.now();
    w.eStepFull(x, n, d, means, fac, d * d, logDet, logW, k, resp, scratch, lpn, true);
    const b = performance.now();
    if (r === 0) {
      const rv = f64(resp, n * k);
      for (let i = 0; i < n * k; i++) if (rv[i] !== 0) nonZero++;
    }
    w.componentSums(x, resp, n, d, k, nk, means); // raw Σ r·x, into the means buffer
    const c = performance.now();
    toMeans(f64(nk, k), f64(means, k * d), k, d);
    if (r === 0 && d === 2)
      scattered = n * k; // scatterFull's d = 2 loop sums every pair
    else if (r === 0) {
      const rv = f64(resp, n * k),
        lse = f64(lpn, n),
        ld = f64(logDet, k),
        counts = f64(nk, k);
      for (let i = 0; i < n; i++) {
        for (let j = 0; j < k; j++) {
          const u = Math.max(0, 2 * ld[j] - d * Math.log(2 * Math.PI) - 2 * lse[i]) + 1440;
          if (rv[i * k + j] * u > 1e-24 * counts[j]) scattered++;
        }
      }
    }
    w.scatterFull(x, resp, means, n, d, k, nk, lpn, logDet, cov, d * d, scratch);
    const e = performance.now();
    w.finishScatter(cov, d, nk, k, 1e-6, false);
    w.precisionCholeskyFull(cov, fac, logDet, k, d, scratch);
    const f = performance.now();
    if (r === 0) continue; // warm-up
    best.logProb = Math.min(best.logProb, a - t);
    best.eStep = Math.min(best.eStep, b - a);
    best.sums = Math.min(best.sums, c - b);
    best.scatter = Math.min(best.scatter, e - c);
    best.factor = Math.min(best.factor, f - e);
  }
  const s = (v) => v / 1000;
  const eFlops = n * k * flopModel.eStep(d);
  const scatterFlops = scattered * flopModel.scatter(d);
  const mFlops = nonZero * flopModel.sums(d) + scattered * flopModel.scatter(d) + k * flopModel.factor(d);
  return {
    seconds: {
      logProb: s(best.logProb),
      eStep: s(best.eStep),
      componentSums: s(best.sums),
      scatter: s(best.scatter),
      finishAndFactor: s(best.factor),
    },
    nonZeroFraction: nonZero / (n * k),
    scatteredFraction: scattered / (n * k),
    gflops: {
      logProbKernel: eFlops / s(best.logProb) / 1e9,
      eStep: eFlops / s(best.eStep) / 1e9,
      scatterKernel: scatterFlops / s(best.scatter) / 1e9,
      mStep: mFlops / s(best.sums + best.scatter + best.factor) / 1e9,
    },
    flops: { eStep: eFlops, mStep: mFlops },
  };
}

/** Scratch values the kernels are given (as src/em.ts's workspace). */
export function scratchValues(d) {
  return d * d + 2 * d;
}
