// One kernel of gmm.wasm, set up on benchmark data and ready to call, for
// the instruction counts (icount.mjs) and the paired timings (ab.mjs).
//
// KERNEL: estep (what a fit's E-step calls: eStepFull, eStepDiag or
// eStepSpherical), estep32 (eStepF32), sums32 (componentSumsF32), logprob, normalize, assign
// (assignNearest), update (assignNearest with Lloyd's update in the same pass),
// bounded and bounded-skip (Hamerly's step, below), seed (seedPotential, committing), mstep (componentSums +
// scatterFull/scatterDiag), sums and scatter (each alone). The start is the
// broad one (means at random rows, every covariance 20·I); the kernels'
// costs hardly depend on the parameters, except assign/update/mstep, which
// depend on the data only. KERNEL_ITERS (see below) moves the M-step
// kernels' start to a fit's m-th iteration.
import { broadStart, makeProblem } from "./data.mjs";

/** Instantiates `bytes` and returns a function that calls `kernel` once. */
export async function prepareKernel(bytes, kernel, type, d, k, n) {
  const { instance } = await WebAssembly.instantiate(bytes, {});
  const w = instance.exports;
  let top = Math.ceil(w.heapBase() / 64) * 64;
  const alloc = (values) => {
    const p = top;
    top += Math.ceil((values * 8) / 64) * 64;
    const need = top - w.memory.buffer.byteLength;
    if (need > 0) w.memory.grow(Math.ceil(need / 65536));
    return p;
  };
  const f64 = (p, m) => new Float64Array(w.memory.buffer, p, m);
  const prob = makeProblem({ n, d, k, covarianceType: "full" });
  const full = type === "full" || type === "tied";
  const f32 = kernel === "estep32" || kernel === "sums32";
  const x = alloc(n * d);
  if (f32) new Float32Array(w.memory.buffer, x, n * d).set(prob.X);
  else f64(x, n * d).set(prob.X);
  const means = alloc(k * d),
    logDet = alloc(k),
    logW = alloc(k),
    resp = alloc(n * k),
    lpn = alloc(n),
    nk = alloc(k);
  const fac = alloc(k * d * d),
    cov = alloc(k * d * d),
    scratch = alloc(d * d + 2 * d),
    params32 = alloc(k * d + k * d * d + k);
  const stats = alloc(2 * k * (1 + 2 * d + (d * (d + 1)) / 2));
  const labels = alloc(n),
    minDist = alloc(n),
    counts = alloc(k);
  // the broad start (data.mjs): means at random rows, covariances 20·I
  f64(means, k * d).set(broadStart(prob.X, n, d, k, type).means.flat());
  f64(logW, k).fill(-Math.log(k));
  const blocks = type === "tied" ? 1 : k;
  if (full) {
    const cv = f64(cov, blocks * d * d);
    for (let c = 0; c < blocks; c++) for (let j = 0; j < d; j++) cv[c * d * d + j * d + j] = 20;
    w.precisionCholeskyFull(cov, fac, logDet, blocks, d, scratch);
    if (type === "tied") f64(logDet, k).fill(f64(logDet, 1)[0]);
  } else {
    const m = type === "diag" ? d : 1;
    f64(cov, k * m).fill(20);
    w.precisionCholeskyDiag(cov, fac, logDet, k, m, type === "diag" ? 1 : d);
  }
  const stride = type === "tied" ? 0 : d * d;
  const family = full ? 0 : type === "diag" ? 1 : 2;
  // responsibilities for the M-step kernels
  if (kernel === "mstep" || kernel === "sums" || kernel === "scatter") {
    w.eStepFull(x, n, d, means, fac, stride, logDet, logW, k, resp, scratch, lpn, true);
    // KERNEL_ITERS=m: m EM iterations first (full and tied), so the M-step
    // kernels see a fit's responsibilities, most pairs negligible, rather
    // than the broad start's, where every pair is dense
    for (let it = 0; it < Number(process.env.KERNEL_ITERS ?? 0) && full; it++) {
      w.componentSums(x, resp, n, d, k, nk, means);
      const nkv = f64(nk, k);
      const mv = f64(means, k * d);
      for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) mv[c * d + j] /= nkv[c] + 10 * Number.EPSILON;
      w.scatterFull(x, resp, means, n, d, k, nk, lpn, logDet, cov, stride, scratch);
      w.finishScatter(cov, d, nk, k, 1e-6, type === "tied");
      w.precisionCholeskyFull(cov, fac, logDet, blocks, d, scratch);
      if (type === "tied") f64(logDet, k).fill(f64(logDet, 1)[0]);
      const lw = f64(logW, k);
      for (let c = 0; c < k; c++) lw[c] = Math.log(nkv[c] / n);
      w.eStepFull(x, n, d, means, fac, stride, logDet, logW, k, resp, scratch, lpn, true);
    }
  }
  if (kernel === "normalize") w.logProbFull(x, n, d, means, fac, stride, logDet, logW, k, resp, scratch);
  const centres = alloc(k * d);
  const centresOut = alloc(k * d);
  f64(centres, k * d).set(f64(means, k * d));
  if (kernel === "seed") f64(minDist, n).fill(1e300);
  // Hamerly's step (d ≤ 3): "bounded" scans every row (a first step),
  // "bounded-skip" follows a scan with centres that did not move, so every
  // row's bounds let it skip the distances (a late step)
  const previous = alloc(n),
    upper = alloc(n + 1),
    lower = alloc(n + 1),
    shift = alloc(k + 1),
    sumsOut = alloc(k * d),
    blockSums = w.boundedSumsValues ? alloc(w.boundedSumsValues(n, k, d)) : 0;
  // builds before the kept block sums (session 11) take no \`sums\`
  const bounded = (s) =>
    blockSums
      ? w.assignBounded(x, n, d, centres, k, labels, previous, upper, lower, s, blockSums, sumsOut, counts)
      : w.assignBounded(x, n, d, centres, k, labels, previous, upper, lower, s, sumsOut, counts);
  if (kernel === "bounded-skip") {
    bounded(0);
    new Int32Array(w.memory.buffer, previous, n).set(new Int32Array(w.memory.buffer, labels, n));
    f64(shift, k + 1).fill(0);
  }
  return () => {
    switch (kernel) {
      case "estep":
        if (full) w.eStepFull(x, n, d, means, fac, stride, logDet, logW, k, resp, scratch, lpn, true);
        else if (w.eStepDiag)
          (type === "diag" ? w.eStepDiag : w.eStepSpherical)(x, n, d, means, fac, logDet, logW, k, resp, lpn, true);
        else {
          // builds before the fused diagonal E-step
          (type === "diag" ? w.logProbDiag : w.logProbSpherical)(x, n, d, means, fac, logDet, logW, k, resp);
          w.normalizeLogProb(resp, n, k, lpn, true);
        }
        break;
      case "estepstats":
        // the E-step that also sums the M-step's statistics (what a float64 fit without weights runs)
        if (full) w.eStepFullStats(x, n, d, means, fac, stride, logDet, logW, k, resp, lpn, stats);
        else w.eStepDiagonalStats(x, n, d, means, fac, type === "spherical", logDet, logW, k, resp, lpn, stats);
        break;
      case "estep32":
        w.eStepF32(family, x, n, d, means, fac, stride, logDet, logW, k, resp, lpn, true, params32);
        break;
      case "logprob":
        if (full) w.logProbFull(x, n, d, means, fac, stride, logDet, logW, k, resp, scratch);
        else (type === "diag" ? w.logProbDiag : w.logProbSpherical)(x, n, d, means, fac, logDet, logW, k, resp);
        break;
      case "normalize":
        // on a copy each time would count the copy; the kernel's cost does not depend on whether its input is already normalised
        w.normalizeLogProb(resp, n, k, lpn, false);
        break;
      case "assign":
        w.assignNearest(x, n, d, centres, k, labels, minDist);
        break;
      case "update":
        w.assignNearest(x, n, d, centres, k, labels, minDist, centresOut, counts);
        break;
      case "bounded":
        bounded(0);
        break;
      case "bounded-skip":
        bounded(shift);
        break;
      case "seed":
        w.seedPotential(x, n, d, x + 17 * d * 8, minDist, true);
        break;
      case "sums":
        w.componentSums(x, resp, n, d, k, nk, means);
        break;
      case "sums32":
        w.componentSumsF32(x, resp, n, d, k, nk, means);
        break;
      case "scatter":
        if (full) w.scatterFull(x, resp, means, n, d, k, nk, lpn, logDet, cov, stride, scratch);
        else w.scatterDiag(x, resp, means, n, d, k, cov);
        break;
      case "mstep":
        w.componentSums(x, resp, n, d, k, nk, means);
        if (full) w.scatterFull(x, resp, means, n, d, k, nk, lpn, logDet, cov, stride, scratch);
        else w.scatterDiag(x, resp, means, n, d, k, cov);
        break;
      default:
        throw new Error(`unknown kernel ${kernel}`);
    }
  };
}
