// `npm run bench`: gmm-wasm against scikit-learn, the npm package
// gaussian-mixture-model and a plain-JavaScript scalar EM, side by side in
// one run, on the same data from the same start (given weights, means and
// precisions; tol 0; a fixed number of iterations). Prints a table of ratios
// and writes bench/results/latest.json and bench/results/latest.md.
//
// Two starts: the start makeProblem gives (means near the true centres,
// precisions the inverse of the data's covariance) for every contender, and
// the broad random start (data.mjs's broadStart: means at random rows,
// precisions 1/20·I) for gmm-wasm and scikit-learn, so that the ratios do not
// rest on one favourable start. Then a sweep over d (full and diag, K = 8,
// N = 1e5, d = 1…16, broad start, gmm-wasm alone) that flags cliffs: a d
// slower than 1.25× a smooth fit through its neighbours. The machine and its
// measured f64x2 peak and vector-exp rate are printed beside the ratios.
//
// Environment knobs (all optional):
//   BENCH_ONLY=id,id      run only these problems (ids as printed; "sweep" for the d sweep)
//   BENCH_QUICK=1         fewer iterations and repeats (a smoke test; ratios noisier)
//   BENCH_SKLEARN_1T=0    skip the extra single-threaded scikit-learn run
//   BENCH_NO_SKLEARN=1, BENCH_NO_SCALAR=1, BENCH_NO_PEER=1   skip a contender
//   BENCH_OUT=dir         where to write the results (default bench/results)
//   BENCH_NO_BROAD=1      skip the broad-start runs;  BENCH_NO_SWEEP=1  skip the d sweep
//   BENCH_SWEEP_D=1-16,24,32   the sweep's d values (ranges and single values)
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, cpus, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import PeerGMM from "gaussian-mixture-model";
import { GaussianMixture, init } from "../dist/index.js";
import { broadStart, makeProblem } from "./data.mjs";
import { cpuName, flopModel, loadRaw, measureExp, measurePeak, timeFullKernels } from "./kernels.mjs";
import { scalarEm } from "./scalar-em.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const env = process.env;
const QUICK = env.BENCH_QUICK === "1";
const ONLY = env.BENCH_ONLY ? new Set(env.BENCH_ONLY.split(",")) : undefined;
const PYTHON = "/usr/bin/python3";
const HAVE_PYTHON = existsSync(PYTHON) && env.BENCH_NO_SKLEARN !== "1";
const SKLEARN_1T = HAVE_PYTHON && env.BENCH_SKLEARN_1T !== "0";
const OUT = env.BENCH_OUT ?? here("./results");

// iterations: timed EM iterations per fit; repeats: timed fits per round;
// rounds: gmm-wasm and scikit-learn (default threads) are timed alternately
// this many times and their intervals pooled, so a slow spell on the shared
// machine is less likely to land on one of them only. Per-iteration time is
// the median interval over everything pooled. Few iterations for the big
// problems keep the whole run within a few minutes.
const ALL_PROBLEMS = [
  { id: "full d=2 K=8", n: 1e5, d: 2, k: 8, type: "full", iterations: 20, repeats: 3, rounds: 3 },
  { id: "full d=5 K=8", n: 1e5, d: 5, k: 8, type: "full", iterations: 10, repeats: 2, rounds: 3 },
  { id: "full d=8 K=8", n: 1e5, d: 8, k: 8, type: "full", iterations: 10, repeats: 2, rounds: 3 },
  { id: "full d=32 K=8", n: 1e5, d: 32, k: 8, type: "full", iterations: 5, repeats: 1, rounds: 3 },
  { id: "full d=64 K=16", n: 1e5, d: 64, k: 16, type: "full", iterations: 3, repeats: 1, rounds: 2 },
  { id: "diag d=8 K=8", n: 1e5, d: 8, k: 8, type: "diag", iterations: 10, repeats: 2, rounds: 3 },
  { id: "tied d=8 K=8", n: 1e5, d: 8, k: 8, type: "tied", iterations: 10, repeats: 2, rounds: 3 },
  { id: "spherical d=8 K=8", n: 1e5, d: 8, k: 8, type: "spherical", iterations: 10, repeats: 2, rounds: 3 },
  { id: "full d=2 K=4 N=1e6", n: 1e6, d: 2, k: 4, type: "full", iterations: 5, repeats: 2, rounds: 2 },
];
const PROBLEMS = ALL_PROBLEMS.filter((p) => !ONLY || ONLY.has(p.id));
const SCORE = { id: "scoreSamples full d=16 K=16", n: 1e5, d: 16, k: 16, type: "full", fitIterations: 3, repeats: 5 };
if (QUICK)
  for (const p of ALL_PROBLEMS) {
    p.iterations = Math.max(3, Math.ceil(p.iterations / 3));
    p.repeats = 1;
    p.rounds = 1;
  }
const BROAD = env.BENCH_NO_BROAD !== "1";
const SWEEP = env.BENCH_NO_SWEEP !== "1" && (!ONLY || ONLY.has("sweep"));
const SWEEP_D = (env.BENCH_SWEEP_D ?? "1-16").split(",").flatMap((t) => {
  const [a, b = a] = t.split("-").map(Number);
  return Array.from({ length: b - a + 1 }, (_, i) => a + i);
});
const SWEEP_SPEC = { n: 1e5, k: 8, iterations: QUICK ? 3 : 5, repeats: 1, rounds: QUICK ? 1 : 3 };

// A full garbage collection and a short pause before each timed section, so
// the collector's background threads (which run on the other core) do not
// land in one contender's timing and not another's.
setFlagsFromString("--expose-gc");
const collect = runInNewContext("gc");
const settle = () => {
  collect();
  const until = Date.now() + 200;
  while (Date.now() < until);
};

const median = (a) => {
  const s = a.filter(Number.isFinite).sort((x, y) => x - y);
  if (s.length === 0) return NaN;
  return s.length % 2 ? s[s.length >> 1] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};
const diffs = (t) => t.slice(1).map((v, i) => v - t[i]);
const ms = (s) => s * 1000;
const log = (...a) => console.error(...a);

const tmp = mkdtempSync(join(tmpdir(), "gmm-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

function writeData(name, X) {
  const file = join(tmp, `${name}.f64`);
  writeFileSync(file, new Uint8Array(X.buffer, X.byteOffset, X.byteLength));
  return file;
}

function runSklearn(job, threads) {
  settle();
  const jobFile = join(tmp, `job-${Math.random().toString(36).slice(2)}.json`);
  writeFileSync(jobFile, JSON.stringify(job));
  const childEnv = { ...env };
  if (threads === 1) Object.assign(childEnv, { OMP_NUM_THREADS: "1", OPENBLAS_NUM_THREADS: "1", MKL_NUM_THREADS: "1" });
  try {
    const out = execFileSync(PYTHON, [here("./sklearn_bench.py"), jobFile], {
      env: childEnv,
      maxBuffer: 1 << 26,
      stdio: ["ignore", "pipe", "inherit"],
    });
    return JSON.parse(out.toString());
  } catch (e) {
    log(`  scikit-learn failed: ${e.message}`);
    return undefined;
  }
}

// ---------------------------------------------------------------- gmm-wasm
function oursOptions(p, iterations, dtype = "float64") {
  return {
    dtype,
    nComponents: p.k,
    covarianceType: p.type,
    tol: 0,
    maxIter: iterations,
    regCovar: 1e-6,
    // the given start replaces the initial parameters; random_from_data is
    // the cheapest way to produce the (unused) initial responsibilities
    initParams: "random_from_data",
    weightsInit: p.start.weights,
    meansInit: p.start.means,
    precisionsInit: p.start.precisions,
    randomState: 0,
  };
}

/**
 * gmm-wasm's fits on problem p: in this thread, or with `nThreads` through
 * fitAsync (worker threads, one round trip per iteration; per-iteration
 * intervals then exclude starting the workers).
 */
let coldFit; // { firstMs, warmMs }: this process's first fit (2 iterations) and the same fit warm
async function runOurs(p, { dtype = "float64", nThreads } = {}) {
  const X = { data: p.X, rows: p.n, cols: p.d };
  const fit = (gmm, control = {}) => (nThreads ? gmm.fitAsync(X, { nThreads, ...control }) : gmm.fit(X, control));
  // warm-up; the process's first fit is also timed, against the same fit
  // again once warm (V8 starts each kernel call in its baseline compiler)
  const cold = coldFit === undefined && dtype === "float64" && !nThreads;
  let t = performance.now();
  await fit(new GaussianMixture(oursOptions(p, 2, dtype)));
  if (cold) {
    const first = performance.now() - t;
    t = performance.now();
    await fit(new GaussianMixture(oursOptions(p, 2, dtype)));
    coldFit = { firstMs: first, warmMs: performance.now() - t };
  }
  settle();
  const fits = [];
  const intervals = [];
  let gmm;
  for (let r = 0; r < p.repeats; r++) {
    const marks = [];
    gmm = new GaussianMixture(oursOptions(p, p.iterations, dtype));
    const t0 = performance.now();
    await fit(gmm, { onIteration: () => marks.push(performance.now()) });
    fits.push(performance.now() - t0);
    intervals.push(...diffs(marks));
    if (env.BENCH_DEBUG)
      log(
        "    intervals",
        diffs(marks)
          .map((v) => v.toFixed(1))
          .join(" "),
      );
  }
  return { fits, intervals, lowerBound: gmm.lowerBound, iterations: gmm.nIter, model: gmm, threads: nThreads ?? 1 };
}

// ------------------------------------------------------------ scalar JS EM
function runScalar(p) {
  // warm the JIT on a slice of the rows
  const m = Math.min(p.n, 4000);
  scalarEm(p.X.subarray(0, m * p.d), m, p.d, p.k, p.type, p.start, 2);
  settle();
  const iterations = p.d >= 64 ? 2 : p.d >= 32 ? Math.min(3, p.iterations) : p.iterations;
  const t0 = performance.now();
  const r = scalarEm(p.X, p.n, p.d, p.k, p.type, p.start, iterations);
  const fitMs = performance.now() - t0;
  return {
    fitMs,
    iterationMs: median(r.times),
    iterations,
    lowerBound: r.bounds[r.bounds.length - 1],
    lowerBoundAt: r.bounds,
  };
}

// ------------------------------------------------ gaussian-mixture-model
// Full covariances only; densities outside log space, no reg_covar, Float32
// responsibilities; its E-step inverts every covariance again for every row
// when d > 3, so large d is timed on a prefix of the rows and scaled
// linearly (its cost per row is constant; marked in the table).
function runPeer(p) {
  if (p.type !== "full") return { skipped: "full covariances only" };
  const rows = p.d <= 8 ? p.n : p.d <= 32 ? 2000 : 500;
  const iterations = p.d <= 2 ? Math.min(p.iterations, 5) : 1;
  const make = (count) => {
    const g = new PeerGMM({
      weights: p.start.weights,
      means: p.start.means,
      covariances: p.covariances,
      bufferSize: count,
    });
    for (let i = 0; i < count; i++) g.addPoint(Array.from(p.X.subarray(i * p.d, (i + 1) * p.d)));
    return g;
  };
  // warm-up on a small slice
  make(Math.min(rows, 2000)).runEM(1);
  settle();
  const t0 = performance.now();
  const g = make(rows);
  const times = [];
  for (let it = 0; it < iterations; it++) {
    const t = performance.now();
    g.runEM(1);
    times.push(performance.now() - t);
  }
  const fitMs = performance.now() - t0;
  const scale = p.n / rows;
  const nanMeans = g.means.flat().filter(Number.isNaN).length;
  return {
    iterationMs: median(times) * scale,
    fitMs: scale === 1 ? fitMs : undefined,
    iterations,
    rowsTimed: rows,
    extrapolated: scale !== 1,
    nanMeans,
    totalMeans: p.k * p.d,
    singularity: g.singularity !== null,
  };
}

/** Its behaviour from a tight start (0.01·I at d = 2), reported as found. */
function peerTightStart() {
  const p = makeProblem({ n: 100000, d: 2, k: 8, covarianceType: "full", seed: 3 });
  const cov = [
    [0.01, 0],
    [0, 0.01],
  ];
  const g = new PeerGMM({
    weights: p.start.weights,
    means: p.start.means,
    covariances: Array.from({ length: 8 }, () => cov),
    bufferSize: p.n,
  });
  for (let i = 0; i < p.n; i++) g.addPoint([p.X[2 * i], p.X[2 * i + 1]]);
  g.runEM(1);
  let nanResp = 0;
  for (let c = 0; c < 8; c++) for (let i = 0; i < p.n; i++) if (Number.isNaN(g.cResps[c][i])) nanResp++;
  const nanMeans = g.means.flat().filter(Number.isNaN).length;
  const ours = new GaussianMixture({
    nComponents: 8,
    covarianceType: "full",
    tol: 0,
    maxIter: 1,
    initParams: "random_from_data",
    weightsInit: p.start.weights,
    meansInit: p.start.means,
    precisionsInit: Array.from({ length: 8 }, () => [
      [100, 0],
      [0, 100],
    ]),
    randomState: 0,
  }).fit({ data: p.X, rows: p.n, cols: 2 });
  return {
    start: "d=2, K=8, N=1e5, every covariance 0.01·I, one EM iteration",
    nanResponsibilities: nanResp,
    totalResponsibilities: 8 * p.n,
    nanMeans,
    totalMeans: 16,
    oursFinite: ours.means.flat().every(Number.isFinite) && Number.isFinite(ours.lowerBound),
  };
}

// ------------------------------------------------------------------- main
// Every problem runs in a fresh child process (node bench/run.mjs --one <id>),
// so the JIT, the garbage-collected heap and WebAssembly memory left over by
// one problem (up to ~100 MB at d = 64) cannot slow the next one. The child
// prints its results as JSON on stdout; progress goes to stderr.
const oneIndex = process.argv.indexOf("--one");
if (oneIndex >= 0) {
  const id = process.argv[oneIndex + 1];
  await init();
  const raw = await loadRaw(here("../build/gmm-instrumented.wasm"));
  const peak = { gflops: Number(process.argv[oneIndex + 2]), expsPerSecond: Number(process.argv[oneIndex + 3]) };
  let out;
  if (id === SCORE.id) out = runScore();
  else if (id === "tight") out = peerTightStart();
  else if (id.startsWith("sweep ")) out = await runSweep(id.slice(6));
  else
    out = await runProblem(
      ALL_PROBLEMS.find((q) => q.id === id),
      raw,
      peak,
    );
  process.stdout.write(JSON.stringify(out));
  process.exit(0);
}

async function runProblem(spec, raw, peak) {
  const p = { ...spec, ...makeProblem({ n: spec.n, d: spec.d, k: spec.k, covarianceType: spec.type }) };
  log(`\n${p.id}, N=${p.n}: ${p.iterations} iterations × ${p.repeats} fits × ${p.rounds} rounds`);
  const row = {
    id: p.id,
    n: p.n,
    d: p.d,
    k: p.k,
    type: p.type,
    iterations: p.iterations,
    repeats: p.repeats,
    rounds: p.rounds,
  };
  const job = HAVE_PYTHON
    ? {
        n: p.n,
        d: p.d,
        k: p.k,
        covariance_type: p.type,
        data: writeData("x", p.X),
        start: p.start,
        iterations: p.iterations,
        repeats: p.repeats,
      }
    : undefined;
  const ours = { fits: [], intervals: [] };
  const ours32 = { fits: [], intervals: [] };
  const oursThreads = { fits: [], intervals: [] };
  const sk = { fits: [], intervals: [] };
  let model, skLast;
  for (let round = 0; round < p.rounds; round++) {
    const o = await runOurs(p);
    ours.fits.push(...o.fits);
    ours.intervals.push(...o.intervals);
    ours.lowerBound = o.lowerBound;
    ours.iterations = o.iterations;
    model = o.model;
    const o32 = await runOurs(p, { dtype: "float32" });
    ours32.fits.push(...o32.fits);
    ours32.intervals.push(...o32.intervals);
    ours32.lowerBound = o32.lowerBound;
    const ot = await runOurs(p, { nThreads: availableParallelism() });
    oursThreads.fits.push(...ot.fits);
    oursThreads.intervals.push(...ot.intervals);
    oursThreads.lowerBound = ot.lowerBound;
    oursThreads.threads = ot.threads;
    if (job) {
      const r = runSklearn(job);
      if (r) {
        sk.fits.push(...r.fits_s);
        sk.intervals.push(...r.intervals_s);
        skLast = r;
      }
    }
  }
  if (BROAD) row.broad = await runBroad(p, peak);
  row.ours = {
    fitMs: median(ours.fits),
    iterationMs: median(ours.intervals),
    lowerBound: ours.lowerBound,
    iterations: ours.iterations,
    fitsMs: ours.fits,
    intervalsMs: ours.intervals,
  };
  log(`  gmm-wasm          ${row.ours.iterationMs.toFixed(2)} ms/iter, fit ${row.ours.fitMs.toFixed(1)} ms`);
  if (coldFit) {
    row.coldFit = coldFit;
    log(
      `  first fit (2 iter.) ${coldFit.firstMs.toFixed(1)} ms in a fresh process, ${coldFit.warmMs.toFixed(1)} ms warm`,
    );
  }
  row.ours32 = {
    fitMs: median(ours32.fits),
    iterationMs: median(ours32.intervals),
    lowerBound: ours32.lowerBound,
    fitsMs: ours32.fits,
    intervalsMs: ours32.intervals,
  };
  log(`  gmm-wasm float32  ${row.ours32.iterationMs.toFixed(2)} ms/iter, fit ${row.ours32.fitMs.toFixed(1)} ms`);
  row.oursThreads = {
    threads: oursThreads.threads,
    fitMs: median(oursThreads.fits),
    iterationMs: median(oursThreads.intervals),
    lowerBound: oursThreads.lowerBound,
    fitsMs: oursThreads.fits,
    intervalsMs: oursThreads.intervals,
  };
  log(
    `  gmm-wasm ${row.oursThreads.threads} thr.   ${row.oursThreads.iterationMs.toFixed(2)} ms/iter, fit ${row.oursThreads.fitMs.toFixed(1)} ms (fitAsync)`,
  );
  if (skLast) {
    row.sklearn = {
      ...skLast,
      fit_s: median(sk.fits),
      iteration_s: median(sk.intervals),
      fits_s: sk.fits,
      intervals_s: sk.intervals,
    };
    log(
      `  scikit-learn      ${ms(row.sklearn.iteration_s).toFixed(2)} ms/iter, fit ${ms(row.sklearn.fit_s).toFixed(1)} ms (threads ${JSON.stringify(row.sklearn.threads)})`,
    );
  }
  if (job && SKLEARN_1T) {
    row.sklearn1 = runSklearn(job, 1);
    if (row.sklearn1) log(`  scikit-learn 1t   ${ms(row.sklearn1.iteration_s).toFixed(2)} ms/iter`);
  }
  if (env.BENCH_NO_SCALAR !== "1") {
    row.scalar = runScalar(p);
    log(`  scalar JS         ${row.scalar.iterationMs.toFixed(2)} ms/iter (${row.scalar.iterations} iterations)`);
  }
  if (env.BENCH_NO_PEER !== "1") {
    row.peer = runPeer(p);
    if (!row.peer.skipped)
      log(
        `  g-m-m (npm)       ${row.peer.iterationMs.toFixed(2)} ms/iter${row.peer.extrapolated ? ` (timed on ${row.peer.rowsTimed} rows, scaled)` : ""}, NaN means ${row.peer.nanMeans}/${row.peer.totalMeans}`,
      );
  }
  // agreement: same start, same iterations ⇒ the same lower bound
  row.agreement = {
    float32: Math.abs(row.ours32.lowerBound - row.ours.lowerBound) / Math.abs(row.ours.lowerBound),
    threads: Math.abs(row.oursThreads.lowerBound - row.ours.lowerBound) / Math.abs(row.ours.lowerBound),
  };
  if (row.sklearn)
    row.agreement.sklearn = Math.abs(row.ours.lowerBound - row.sklearn.lower_bound) / Math.abs(row.sklearn.lower_bound);
  if (row.scalar && row.scalar.iterations === p.iterations)
    row.agreement.scalar = Math.abs(row.ours.lowerBound - row.scalar.lowerBound) / Math.abs(row.scalar.lowerBound);
  if (p.type === "full" && p.n === 1e5 && (p.d >= 32 || p.d === 8 || p.d === 2)) {
    const factor = new Float64Array(p.k * p.d * p.d);
    const u = model.precisionsCholesky; // scikit-learn's upper factors: W = Uᵀ
    for (let c = 0; c < p.k; c++)
      for (let i = 0; i < p.d; i++) for (let j = 0; j < p.d; j++) factor[c * p.d * p.d + i * p.d + j] = u[c][j][i];
    row.kernels = timeFullKernels(
      raw,
      p.X,
      p.n,
      p.d,
      p.k,
      { weights: model.weights, means: model.means.flat(), factor },
      p.d >= 64 ? 3 : 8,
    );
    const g = row.kernels.gflops;
    log(
      `  kernels: logProbFull ${g.logProbKernel.toFixed(2)} GFLOP/s, E-step ${g.eStep.toFixed(2)}, scatterFull ${g.scatterKernel.toFixed(2)}, M-step ${g.mStep.toFixed(2)} (peak ${peak.gflops.toFixed(1)}; r > 0 on ${(100 * row.kernels.nonZeroFraction).toFixed(0)}% of pairs, ${(100 * row.kernels.scatteredFraction).toFixed(0)}% not negligible)`,
    );
  }
  return row;
}

/**
 * The broad random start (data.mjs's broadStart): gmm-wasm (float64, one
 * thread) and scikit-learn (default threads) timed alternately, as above,
 * plus the roofline: the least time this machine needs for the iteration's
 * arithmetic and exps (rooflineMs).
 */
async function runBroad(p, peak) {
  const pb = { ...p, start: broadStart(p.X, p.n, p.d, p.k, p.type) };
  const job = HAVE_PYTHON
    ? {
        n: p.n,
        d: p.d,
        k: p.k,
        covariance_type: p.type,
        data: writeData("xb", p.X),
        start: pb.start,
        iterations: p.iterations,
        repeats: p.repeats,
      }
    : undefined;
  const ours = { fits: [], intervals: [] };
  const sk = { fits: [], intervals: [] };
  let skLast, model;
  for (let round = 0; round < p.rounds; round++) {
    const o = await runOurs(pb);
    model = o.model;
    ours.fits.push(...o.fits);
    ours.intervals.push(...o.intervals);
    ours.lowerBound = o.lowerBound;
    if (job) {
      const r = runSklearn(job);
      if (r) {
        sk.fits.push(...r.fits_s);
        sk.intervals.push(...r.intervals_s);
        skLast = r;
      }
    }
  }
  const out = {
    ours: {
      iterationMs: median(ours.intervals),
      fitMs: median(ours.fits),
      lowerBound: ours.lowerBound,
      intervalsMs: ours.intervals,
    },
  };
  log(`  broad start: gmm-wasm ${out.ours.iterationMs.toFixed(2)} ms/iter`);
  if (skLast) {
    out.sklearn = {
      iteration_s: median(sk.intervals),
      fit_s: median(sk.fits),
      lower_bound: skLast.lower_bound,
      intervals_s: sk.intervals,
    };
    out.agreement = Math.abs(out.ours.lowerBound - skLast.lower_bound) / Math.abs(skLast.lower_bound);
    log(`  broad start: scikit-learn ${ms(out.sklearn.iteration_s).toFixed(2)} ms/iter`);
  }
  out.roofline = roofline(p, peak, pairFractions(p, model));
  log(
    `  broad start: roofline ${out.roofline.ms.toFixed(2)} ms/iter (measured ${(out.ours.iterationMs / out.roofline.ms).toFixed(1)}× it)`,
  );
  return out;
}

/**
 * Which (row, component) pairs the M-step's FLOP model counts, at the fitted
 * parameters: r > 0 (componentSums' sums) and, for full and tied, the pairs
 * scatterFull does not skip as negligible (its rule, as timeFullKernels
 * repeats it: r·u > 1e-24·N_k with u = max(0, 2·log det W_k − d·log 2π −
 * 2·lse) + 1440); scatterDiag skips none.
 */
function pairFractions(p, model) {
  const { n, d, k, type } = p;
  const X = { data: p.X, rows: n, cols: d };
  const resp = model.predictProba(X).data;
  let nonZero = 0;
  for (let i = 0; i < n * k; i++) if (resp[i] !== 0) nonZero++;
  if (type !== "full" && type !== "tied") return { nonZero: nonZero / (n * k), scattered: nonZero / (n * k) };
  const lse = model.scoreSamples(X);
  const factors = type === "tied" ? [model.precisionsCholesky] : model.precisionsCholesky;
  const logDet = factors.map((u) => u.reduce((s, row, j) => s + Math.log(row[j]), 0));
  const nk = new Float64Array(k);
  for (let i = 0; i < n; i++) for (let c = 0; c < k; c++) nk[c] += resp[i * k + c];
  let scattered = 0;
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const u = Math.max(0, 2 * logDet[type === "tied" ? 0 : c] - d * Math.log(2 * Math.PI) - 2 * lse[i]) + 1440;
      if (resp[i * k + c] * u > 1e-24 * nk[c]) scattered++;
    }
  }
  return { nonZero: nonZero / (n * k), scattered: scattered / (n * k) };
}

/**
 * The least time one EM iteration could take here: the FLOP model's
 * arithmetic (E-step for every (row, component) pair; M-step sums on the
 * pairs with r > 0 and scatter on the pairs not negligible, `fractions` of
 * all pairs) at the measured f64x2 peak, plus n·K exps and n logs (counted
 * as exps) at the measured exp rate.
 */
function roofline(p, peak, fractions) {
  const { n, d, k, type } = p;
  const full = type === "full" || type === "tied";
  // diag/spherical per pair: E-step d subtractions, d scalings, d squares, d
  // additions; M-step sums 2d + 1, scatter d (x − μ), d (r·), d squares, d additions
  const eFlops = full ? flopModel.eStep(d) : 4 * d;
  const pairs = n * k;
  // tied: each row transformed once, y = W(x − m) (d subtractions, d(d+1)/2
  // multiply-adds), then per pair ‖y − ν_c‖² (d subtractions, squares, additions)
  const eStepFlops = type === "tied" ? n * (d + d * (d + 1)) + pairs * 3 * d : pairs * eFlops;
  const flops =
    eStepFlops +
    pairs * fractions.nonZero * flopModel.sums(d) +
    pairs * fractions.scattered * (full ? flopModel.scatter(d) : 4 * d) +
    (full ? (type === "tied" ? 1 : k) * flopModel.factor(d) : 0);
  const exps = pairs + n;
  const msFlops = (flops / (peak.gflops * 1e9)) * 1000;
  const msExps = peak.expsPerSecond ? (exps / peak.expsPerSecond) * 1000 : 0;
  return { ms: msFlops + msExps, msFlops, msExps, flops, exps, ...fractions };
}

/**
 * The d sweep for one covariance type: ms per EM iteration from the broad
 * start at each d of SWEEP_D, K = 8, N = 1e5. The d values are run in turn,
 * `rounds` times over, and each d keeps its least disturbed round (the
 * smallest of the rounds' median intervals), so a slow spell of the shared
 * machine does not show up as a cliff at whichever d it hit.
 */
async function runSweep(type) {
  const { n, k, iterations, repeats, rounds } = SWEEP_SPEC;
  log(
    `\nsweep ${type}, K=${k}, N=${n}, broad start: ${iterations} iterations × ${repeats} fits per d, ${rounds} rounds`,
  );
  const problems = SWEEP_D.map((d) => {
    const prob = makeProblem({ n, d, k, covarianceType: type });
    return {
      id: `sweep ${type} d=${d}`,
      n,
      d,
      k,
      type,
      iterations,
      repeats,
      X: prob.X,
      start: broadStart(prob.X, n, d, k, type),
    };
  });
  const byRound = problems.map(() => []);
  for (let r = 0; r < rounds; r++) {
    for (const [j, p] of problems.entries()) {
      const o = await runOurs(p);
      byRound[j].push(median(o.intervals));
    }
  }
  const out = problems.map((p, j) => ({ d: p.d, iterationMs: Math.min(...byRound[j]), roundsMs: byRound[j] }));
  for (const pt of out)
    log(
      `  d=${pt.d}: ${pt.iterationMs.toFixed(2)} ms/iter (rounds ${pt.roundsMs.map((v) => v.toFixed(1)).join(", ")})`,
    );
  return { type, k, n, iterations, repeats, rounds, points: out };
}

/**
 * Each point against a smooth fit through its neighbours (up to two each
 * side, the point itself left out): least squares quadratic in d with four
 * neighbours or three, the line through two. ratio > 1.25 is a cliff.
 */
export function smoothRatios(points) {
  return points.map((pt, i) => {
    const nb = points.slice(Math.max(0, i - 2), i).concat(points.slice(i + 1, i + 3));
    if (nb.length < 2) return { ...pt, smoothMs: NaN, ratio: NaN };
    const fit = nb.length >= 3 ? quadFit(nb) : lineFit(nb);
    const smoothMs = fit(pt.d);
    // a fit at or below 0 (extrapolating a steep fall) says nothing
    return { ...pt, smoothMs, ratio: smoothMs > 0 ? pt.iterationMs / smoothMs : NaN };
  });
}
function lineFit(pts) {
  const [a, b] = pts;
  const slope = (b.iterationMs - a.iterationMs) / (b.d - a.d);
  return (x) => a.iterationMs + slope * (x - a.d);
}
function quadFit(pts) {
  // normal equations of y = c0 + c1 x + c2 x², solved by Cramer's rule (3×3)
  const S = (e) => pts.reduce((s, q) => s + q.d ** e, 0);
  const T = (e) => pts.reduce((s, q) => s + q.iterationMs * q.d ** e, 0);
  const m = [
    [S(0), S(1), S(2)],
    [S(1), S(2), S(3)],
    [S(2), S(3), S(4)],
  ];
  const r = [T(0), T(1), T(2)];
  const det = (a) =>
    a[0][0] * (a[1][1] * a[2][2] - a[1][2] * a[2][1]) -
    a[0][1] * (a[1][0] * a[2][2] - a[1][2] * a[2][0]) +
    a[0][2] * (a[1][0] * a[2][1] - a[1][1] * a[2][0]);
  const D = det(m);
  const c = [0, 1, 2].map((j) => det(m.map((row, i) => row.map((v, jj) => (jj === j ? r[i] : v)))) / D);
  return (x) => c[0] + c[1] * x + c[2] * x * x;
}

function runScore() {
  const p = { ...SCORE, ...makeProblem({ n: SCORE.n, d: SCORE.d, k: SCORE.k, covarianceType: SCORE.type }) };
  const Y = makeProblem({ n: SCORE.n, d: SCORE.d, k: SCORE.k, covarianceType: SCORE.type, seed: 2 }).X;
  log(`\n${p.id}: N=${p.n}`);
  const gmm = new GaussianMixture(oursOptions(p, p.fitIterations)).fit({ data: p.X, rows: p.n, cols: p.d });
  const Ym = { data: Y, rows: p.n, cols: p.d };
  // median seconds of scoreSamples(Y) over the repeats, after a short warm-up
  const timeScores = (model) => {
    model.scoreSamples({ data: Y.subarray(0, 1000 * p.d), rows: 1000, cols: p.d });
    settle();
    const times = [];
    let scores;
    for (let r = 0; r < p.repeats; r++) {
      const t = performance.now();
      scores = model.scoreSamples(Ym);
      times.push(performance.now() - t);
    }
    return { seconds: median(times) / 1000, scores };
  };
  const f64run = timeScores(gmm);
  const sum = f64run.scores.reduce((a, b) => a + b, 0);
  const score = {
    id: p.id,
    n: p.n,
    d: p.d,
    k: p.k,
    ours: { seconds: f64run.seconds, rowsPerSecond: p.n / f64run.seconds, sum },
  };
  log(`  gmm-wasm          ${(score.ours.rowsPerSecond / 1e6).toFixed(2)} M rows/s`);
  // the same model scoring float32 rows
  const gmm32 = GaussianMixture.fromJSON({ ...gmm.toJSON(), params: { ...gmm.toJSON().params, dtype: "float32" } });
  const f32run = timeScores(gmm32);
  let worst = 0;
  const s = f64run.scores;
  for (let i = 0; i < s.length; i++)
    worst = Math.max(worst, Math.abs(f32run.scores[i] - s[i]) / Math.max(1, Math.abs(s[i])));
  score.ours32 = { seconds: f32run.seconds, rowsPerSecond: p.n / f32run.seconds, maxRelativeDifference: worst };
  log(
    `  gmm-wasm float32  ${(score.ours32.rowsPerSecond / 1e6).toFixed(2)} M rows/s (max relative difference from float64 ${worst.toExponential(1)})`,
  );
  if (HAVE_PYTHON) {
    const job = {
      n: p.n,
      d: p.d,
      k: p.k,
      covariance_type: p.type,
      data: writeData("s", p.X),
      start: p.start,
      iterations: p.fitIterations,
      repeats: 1,
      warmup_iter: 1,
      score: { data: writeData("y", Y), n: p.n, repeats: p.repeats },
    };
    const sk = runSklearn(job);
    if (sk) {
      score.sklearn = { seconds: sk.score_s, rowsPerSecond: p.n / sk.score_s, sum: sk.score_sum, threads: sk.threads };
      log(`  scikit-learn      ${(score.sklearn.rowsPerSecond / 1e6).toFixed(2)} M rows/s`);
    }
    if (SKLEARN_1T) {
      const sk1 = runSklearn(job, 1);
      if (sk1) score.sklearn1 = { seconds: sk1.score_s, rowsPerSecond: p.n / sk1.score_s };
    }
  }
  return score;
}

function child(id, peakGflops, expsPerSecond) {
  const out = execFileSync(
    process.execPath,
    [fileURLToPath(import.meta.url), "--one", id, String(peakGflops), String(expsPerSecond)],
    { env, maxBuffer: 1 << 28, stdio: ["ignore", "pipe", "inherit"] },
  );
  return JSON.parse(out.toString());
}

await init();
const raw = await loadRaw(here("../build/gmm-instrumented.wasm"));
log(
  `gmm-wasm bench: ${PROBLEMS.length} problems${QUICK ? " (quick)" : ""}; node ${process.version}; ${cpuName()} × ${cpus().length}`,
);
const peak = measurePeak(raw);
const expRate = measureExp(raw);
peak.expsPerSecond = expRate.perSecond;
peak.expRuns = expRate.runs;
log(
  `f64x2 multiply-add peak: ${peak.gflops.toFixed(1)} GFLOP/s; vector exp: ${(peak.expsPerSecond / 1e9).toFixed(2)} G exps/s`,
);

const results = PROBLEMS.map((spec) => child(spec.id, peak.gflops, peak.expsPerSecond));
const sweep = SWEEP
  ? ["full", "diag"].map((type) => {
      const r = child(`sweep ${type}`, peak.gflops, peak.expsPerSecond);
      return { ...r, points: smoothRatios(r.points) };
    })
  : undefined;
const score = !ONLY || ONLY.has(SCORE.id) ? child(SCORE.id, peak.gflops, peak.expsPerSecond) : undefined;
let tight;
if (env.BENCH_NO_PEER !== "1" && !ONLY) {
  tight = child("tight", peak.gflops, peak.expsPerSecond);
  log(
    `\ngaussian-mixture-model from a tight start: ${tight.nanResponsibilities}/${tight.totalResponsibilities} responsibilities NaN, ${tight.nanMeans}/${tight.totalMeans} means NaN`,
  );
}

// ----------------------------------------------------------------- report
const sklearnInfo = results.find((r) => r.sklearn)?.sklearn;
const report = {
  date: new Date().toISOString(),
  machine: {
    cpu: cpuName(),
    cores: cpus().length,
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  },
  quick: QUICK,
  sklearn: sklearnInfo
    ? { version: sklearnInfo.version, numpy: sklearnInfo.numpy, defaultThreads: sklearnInfo.threads }
    : undefined,
  peak,
  flopModel: {
    eStep:
      "per (row, component): d subtractions + d(d+1)/2 multiply-adds (triangular product W(x−μ)) + d squares + d additions = d² + 4d; tied: per row d + d(d+1) (the rows transformed once by the shared W), per (row, component) 3d",
    mStep:
      "2d + 1 (N_k, weighted mean) per (row, component) with r > 0; d (x−μ) + d (r·(x−μ)) + d(d+1)/2 multiply-adds (lower-triangle rank-1 update) per (row, component) the scatter does not skip as negligible (assembly/mstep.ts: what the row adds to S_k is below 1e-24·N_k of it); plus 2d³/3 per component (Cholesky and triangular inverse)",
    notCounted:
      "exp/log in the E-step normalisation (log-sum-exp) are not counted as flops; their time is in the E-step figure",
  },
  problems: results,
  sweep,
  score,
  peerTightStart: tight,
};
mkdirSync(OUT, { recursive: true });
writeFileSync(join(OUT, "latest.json"), JSON.stringify(report, null, 2) + "\n");
const md = renderMarkdown(report);
writeFileSync(join(OUT, "latest.md"), md);
console.log(md);

function fmtMs(v) {
  if (v === undefined || !Number.isFinite(v)) return "–";
  return v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2);
}
function ratio(a, b) {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b <= 0) return "–";
  const r = a / b;
  return `${r >= 10 ? r.toFixed(0) : r >= 1 ? r.toFixed(1) : r.toFixed(2)}×`;
}

function renderMarkdown(r) {
  const L = [];
  const th = r.sklearn?.defaultThreads
    ? Object.entries(r.sklearn.defaultThreads)
        .map(([k, v]) => `${k} ${v}`)
        .join(", ")
    : "?";
  L.push(`# gmm-wasm benchmark`);
  L.push("");
  L.push(
    `${r.date.slice(0, 10)}, ${r.machine.cpu} (${r.machine.cores} cores, shared), Node ${r.machine.node}${r.quick ? ", **quick run**" : ""}.`,
  );
  L.push("");
  L.push(
    `**Machine:** ${r.machine.cpu} × ${r.machine.cores} cores, ${r.machine.platform}; measured this run: f64x2 multiply-add peak **${r.peak.gflops.toFixed(1)} GFLOP/s** (one core), vector exp **${(r.peak.expsPerSecond / 1e9).toFixed(2)} G exps/s**. ` +
      "Ratios move between machines (another machine of the same kind gave other ratios), so read them beside these figures.",
  );
  L.push(
    `scikit-learn ${r.sklearn?.version ?? "(not run)"} (numpy ${r.sklearn?.numpy ?? "–"}) with its default threads (${th}); "1 thread" is the same run with OMP_NUM_THREADS=OPENBLAS_NUM_THREADS=1.`,
  );
  L.push("");
  L.push(
    "Same data and start for everyone (given weights, means, precisions; tol 0; fixed iteration count). " +
      "ms/iter is the median time of one EM iteration (E-step + M-step), measured inside each runtime after a warm-up; ratios are other ÷ gmm-wasm, so > 1× means gmm-wasm is faster. " +
      "Each problem ran in a fresh Node process; gmm-wasm and scikit-learn were timed alternately (2–3 rounds) and their intervals pooled. " +
      "All numbers come from one run on a noisy shared machine: read them as ratios, not absolute speeds.",
  );
  L.push("");
  L.push(
    "| problem (N = 1e5 unless noted) | gmm-wasm ms/iter | scikit-learn ms/iter | vs scikit-learn | vs scikit-learn, 1 thread | vs scalar JS | vs gaussian-mixture-model | fit: gmm-wasm ms | fit vs scikit-learn |",
  );
  L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
  for (const p of r.problems) {
    const o = p.ours.iterationMs;
    const sk = p.sklearn ? ms(p.sklearn.iteration_s) : NaN;
    const sk1 = p.sklearn1 ? ms(p.sklearn1.iteration_s) : NaN;
    let peer = "–";
    if (p.peer && !p.peer.skipped) {
      peer = ratio(p.peer.iterationMs, o) + (p.peer.extrapolated ? " ᵉ" : "") + (p.peer.nanMeans > 0 ? " ⁿ" : "");
    } else if (p.peer?.skipped) peer = "n/a";
    L.push(
      `| ${p.id}${p.n !== 1e5 ? "" : ""} | ${fmtMs(o)} | ${fmtMs(sk)} | **${ratio(sk, o)}** | ${ratio(sk1, o)} | ${ratio(p.scalar?.iterationMs, o)} | ${peer} | ${fmtMs(p.ours.fitMs)} | ${ratio(p.sklearn ? ms(p.sklearn.fit_s) : NaN, p.ours.fitMs)} |`,
    );
  }
  L.push("");
  L.push(
    "ᵉ gaussian-mixture-model re-inverts each covariance for every row when d > 3, so at d ≥ 32 one iteration was timed on a prefix of the rows and scaled to N (its cost per row is constant). " +
      "ⁿ its means came out NaN. It supports full covariances only, adds no reg_covar and keeps responsibilities in Float32, so it is a speed reference, not a numerical equal.",
  );
  L.push("");
  const nThreads = r.problems.find((p) => p.oursThreads)?.oursThreads.threads ?? "?";
  L.push(
    `The same rounds, other modes of gmm-wasm: \`dtype: "float32"\` (rows stored as float32, E-step four rows per f32x4; M-step sums in float64) and \`fitAsync\` over ${nThreads} worker threads (float64; per-iteration intervals, so starting the workers is not included), each against scikit-learn with its default threads.`,
  );
  L.push("");
  L.push(
    `| problem | float32 ms/iter | float32 vs scikit-learn | ${nThreads} threads ms/iter | ${nThreads} threads vs scikit-learn |`,
  );
  L.push("|---|---:|---:|---:|---:|");
  for (const p of r.problems) {
    const sk = p.sklearn ? ms(p.sklearn.iteration_s) : NaN;
    L.push(
      `| ${p.id} | ${fmtMs(p.ours32?.iterationMs)} | **${ratio(sk, p.ours32?.iterationMs)}** | ${fmtMs(p.oursThreads?.iterationMs)} | **${ratio(sk, p.oursThreads?.iterationMs)}** |`,
    );
  }
  const agree = r.problems.filter((p) => p.agreement?.sklearn !== undefined);
  if (agree.length) {
    const worst = Math.max(...agree.map((p) => p.agreement.sklearn));
    L.push("");
    L.push(
      `Agreement: after the timed iterations gmm-wasm's lower bound matches scikit-learn's to ${worst.toExponential(1)} relative (worst problem)` +
        (r.problems.some((p) => p.agreement?.scalar !== undefined)
          ? ` and the scalar JS EM's to ${Math.max(...r.problems.filter((p) => p.agreement?.scalar !== undefined).map((p) => p.agreement.scalar)).toExponential(1)}.`
          : "."),
    );
  }
  const cold = r.problems.filter((p) => p.coldFit);
  if (cold.length) {
    L.push("");
    L.push(
      "First fit in a fresh process (float64, one thread, 2 iterations, after `init()`) against the same fit once warm: " +
        cold
          .map(
            (p) =>
              `${p.id} ${fmtMs(p.coldFit.firstMs)} against ${fmtMs(p.coldFit.warmMs)} ms (${ratio(p.coldFit.firstMs, p.coldFit.warmMs)})`,
          )
          .join("; ") +
        ".",
    );
  }
  const agree32 = r.problems.filter((p) => p.agreement?.float32 !== undefined);
  if (agree32.length) {
    L.push("");
    L.push(
      `float32: its lower bound after the timed iterations is within ${Math.max(...agree32.map((p) => p.agreement.float32)).toExponential(1)} (relative, worst problem) of float64's; the threaded fit's within ${Math.max(...agree32.map((p) => p.agreement.threads ?? 0)).toExponential(1)}.`,
    );
  }
  if (r.score) {
    const s = r.score;
    L.push("");
    L.push(
      `Scoring (\`scoreSamples\`, full, d = ${s.d}, K = ${s.k}, ${s.n} rows): gmm-wasm ${(s.ours.rowsPerSecond / 1e6).toFixed(2)} M rows/s` +
        (s.sklearn
          ? `, scikit-learn ${(s.sklearn.rowsPerSecond / 1e6).toFixed(2)} M rows/s (**${ratio(s.ours.rowsPerSecond, s.sklearn.rowsPerSecond)}**)`
          : "") +
        (s.sklearn1
          ? `, scikit-learn 1 thread ${(s.sklearn1.rowsPerSecond / 1e6).toFixed(2)} M rows/s (${ratio(s.ours.rowsPerSecond, s.sklearn1.rowsPerSecond)})`
          : "") +
        "." +
        (s.ours32
          ? ` float32: ${(s.ours32.rowsPerSecond / 1e6).toFixed(2)} M rows/s` +
            (s.sklearn ? ` (**${ratio(s.ours32.rowsPerSecond, s.sklearn.rowsPerSecond)}** scikit-learn)` : "") +
            `, log-densities within ${s.ours32.maxRelativeDifference.toExponential(1)} of float64's.`
          : ""),
    );
  }
  const kern = r.problems.filter((p) => p.kernels);
  if (kern.length) {
    L.push("");
    L.push(`## GFLOP/s, full covariances (one core)`);
    L.push("");
    L.push(
      `Peak: ${r.peak.gflops.toFixed(1)} GFLOP/s, measured by \`peakMultiplyAdd\` (assembly/peak.ts: ${r.peak.accumulators} independent f64x2 multiply-add chains, plain SIMD, no fused multiply-add), best of ${r.peak.runs.length}.`,
    );
    L.push("");
    L.push(
      "| problem | logProbFull GFLOP/s | E-step (eStepFull, incl. log-sum-exp) | scatterFull GFLOP/s | M-step (sums, scatter, Cholesky) | pairs with r > 0 | pairs scattered (not negligible) | logProbFull % of peak | scatterFull % of peak |",
    );
    L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of kern) {
      const g = p.kernels.gflops;
      L.push(
        `| ${p.id} | ${g.logProbKernel.toFixed(1)} | ${g.eStep.toFixed(1)} | ${g.scatterKernel.toFixed(1)} | ${g.mStep.toFixed(1)} | ${(100 * p.kernels.nonZeroFraction).toFixed(0)}% | ${(100 * p.kernels.scatteredFraction).toFixed(0)}% | ${((100 * g.logProbKernel) / r.peak.gflops).toFixed(0)}% | ${((100 * g.scatterKernel) / r.peak.gflops).toFixed(0)}% |`,
      );
    }
    L.push("");
    L.push("FLOP model (a multiply-add counts 2):");
    L.push(`- E-step, ${r.flopModel.eStep}.`);
    L.push(`- M-step, ${r.flopModel.mStep}. scatterFull alone: d(d+1) + 2d per (row, component) scattered.`);
    L.push(`- ${r.flopModel.notCounted}.`);
  }
  const broad = r.problems.filter((p) => p.broad);
  if (broad.length) {
    L.push("");
    L.push("## Broad random start");
    L.push("");
    L.push(
      "The same problems from the broad random start (equal weights, means at random rows, every precision 1/20·I, so responsibilities start dense and no sparsity shortcut applies at first): gmm-wasm in one thread (float64) against scikit-learn with its default threads, timed alternately in the same rounds. " +
        `Roofline: the least time for the iteration's arithmetic (the FLOP model above: the E-step on every (row, component) pair, the M-step on the pairs it does not skip, counted at the fitted parameters) at the measured peak (${r.peak.gflops.toFixed(1)} GFLOP/s) plus its n·K exps and n logs at the measured exp rate (${(r.peak.expsPerSecond / 1e9).toFixed(2)} G/s); "× roofline" is gmm-wasm's time over it (1× would be the machine's limit).`,
    );
    L.push("");
    L.push(
      "| problem (N = 1e5 unless noted) | gmm-wasm ms/iter | scikit-learn ms/iter | vs scikit-learn | roofline ms/iter | gmm-wasm × roofline | pairs with r > 0 | pairs scattered | lower bounds agree to |",
    );
    L.push("|---|---:|---:|---:|---:|---:|---:|---:|---:|");
    for (const p of broad) {
      const b = p.broad;
      const sk = b.sklearn ? ms(b.sklearn.iteration_s) : NaN;
      L.push(
        `| ${p.id} | ${fmtMs(b.ours.iterationMs)} | ${fmtMs(sk)} | **${ratio(sk, b.ours.iterationMs)}** | ${fmtMs(b.roofline.ms)} | ${(b.ours.iterationMs / b.roofline.ms).toFixed(1)}× | ${(100 * b.roofline.nonZero).toFixed(0)}% | ${(100 * b.roofline.scattered).toFixed(0)}% | ${b.agreement !== undefined ? b.agreement.toExponential(1) : "–"} |`,
      );
    }
  }
  if (r.sweep) {
    const [a, b] = r.sweep;
    L.push("");
    L.push(`## d sweep`);
    L.push("");
    L.push(
      `gmm-wasm ms per EM iteration (float64, one thread) from the broad start, K = ${a.k}, N = ${a.n}, at each d: the d values ran in turn ${a.rounds === 1 ? "once (a quick run: a slow spell of the machine can pass for a cliff)" : `${a.rounds} times over`} (${a.repeats} fit × ${a.iterations} iterations each) and each d keeps its least disturbed round (the smallest median interval). "vs smooth" is the time over a smooth fit through its neighbours (least-squares quadratic through up to two each side, the point left out); **cliff** marks a d above 1.25× it.`,
    );
    L.push("");
    L.push(`| d | ${a.type} ms/iter | vs smooth | ${b.type} ms/iter | vs smooth |`);
    L.push("|---:|---:|---:|---:|---:|");
    const cell = (pt) =>
      pt
        ? `${fmtMs(pt.iterationMs)} | ${Number.isFinite(pt.ratio) ? pt.ratio.toFixed(2) + (pt.ratio > 1.25 ? " **cliff**" : "") : "–"}`
        : "– | –";
    for (let i = 0; i < a.points.length; i++)
      L.push(`| ${a.points[i].d} | ${cell(a.points[i])} | ${cell(b.points[i])} |`);
    const cliffs = r.sweep.flatMap((s) =>
      s.points.filter((pt) => pt.ratio > 1.25).map((pt) => `${s.type} d=${pt.d} (${pt.ratio.toFixed(2)}×)`),
    );
    L.push("");
    L.push(
      cliffs.length
        ? `Cliffs: ${cliffs.join(", ")}.`
        : "No cliffs (every d within 1.25× of the smooth fit through its neighbours).",
    );
  }
  if (r.peerTightStart) {
    const t = r.peerTightStart;
    L.push("");
    L.push(
      `gaussian-mixture-model from a tight start (${t.start}): ${t.nanResponsibilities} of ${t.totalResponsibilities} responsibilities and ${t.nanMeans} of ${t.totalMeans} mean coordinates came out NaN, without an error` +
        ` (it evaluates densities outside log space, so exp underflows to 0 and 0/0 follows); gmm-wasm from the same start: ${t.oursFinite ? "finite" : "NOT finite"}.`,
    );
  }
  L.push("");
  return L.join("\n");
}
