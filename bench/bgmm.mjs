// BayesianGaussianMixture per EM iteration, side by side in one run: gmm-wasm
// (one thread, and fitAsync over the machine's cores) against scikit-learn
// 1.2.1's BayesianGaussianMixture (its default BLAS/OpenMP threads), from the
// same given responsibilities (an E-step under makeProblem's start), tol 0,
// Dirichlet-process prior. Ratios are scikit-learn ÷ gmm-wasm (> 1× means
// gmm-wasm is faster); the machine's f64x2 peak is measured in the same run.
// The lower bounds after the same iterations are compared too (same work).
//
//   npm run bench:bgmm        (writes bench/results/bgmm.{md,json}; BENCH_QUICK=1 for a short run)
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { BayesianGaussianMixture, GaussianMixture, init } from "../dist/index.js";
import { makeProblem } from "./data.mjs";
import { cpuName, loadRaw, measurePeak } from "./kernels.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const QUICK = process.env.BENCH_QUICK === "1";
await init();
const peak = measurePeak(await loadRaw(here("../build/gmm-instrumented.wasm")));
const cores = availableParallelism();
const tmp = mkdtempSync(join(tmpdir(), "gmm-bgmm-bench-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

const n = 100_000;
const SHAPES = [
  { type: "full", d: 2, k: 8 },
  { type: "full", d: 8, k: 8 },
  { type: "full", d: 32, k: 8 },
  { type: "diag", d: 8, k: 8 },
  { type: "tied", d: 8, k: 8 },
  { type: "spherical", d: 8, k: 8 },
];
const iterations = QUICK ? 4 : 10;
const rounds = QUICK ? 1 : 3;

const median = (v) => {
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1] : 0.5 * (s[s.length / 2 - 1] + s[s.length / 2]);
};
const marker = (list) => {
  let last;
  return (info) => {
    const t = performance.now();
    if (last !== undefined && info.iteration > 1) list.push(t - last);
    last = t;
  };
};
const raw = (name, a) => {
  const file = join(tmp, `${name}.f64`);
  writeFileSync(file, new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
  return file;
};

const rows = [];
for (const { type, d, k } of SHAPES) {
  const p = makeProblem({ n, d, k, covarianceType: type });
  const X = { data: p.X, rows: n, cols: d };
  // the shared start: responsibilities of an E-step under the problem's start
  const resp = new GaussianMixture({
    nComponents: k,
    covarianceType: type,
    maxIter: 0,
    weightsInit: p.start.weights,
    meansInit: p.start.means,
    precisionsInit: p.start.precisions,
  })
    .fit(X)
    .predictProba(X);
  const options = {
    nComponents: k,
    covarianceType: type,
    weightConcentrationPriorType: "dirichlet_process",
    tol: 0,
    maxIter: iterations,
    regCovar: 1e-6,
    responsibilitiesInit: resp,
  };
  new BayesianGaussianMixture({ ...options, maxIter: 2 }).fit(X); // warm-up
  const one = [];
  const many = [];
  let fitted;
  let threaded;
  for (let r = 0; r < rounds; r++) {
    const a = [];
    fitted = new BayesianGaussianMixture(options).fit(X, { onIteration: marker(a) });
    one.push(median(a));
    const b = [];
    threaded = await new BayesianGaussianMixture(options).fitAsync(X, { nThreads: cores, onIteration: marker(b) });
    many.push(median(b));
  }
  const job = join(tmp, `job-${type}-${d}.json`);
  writeFileSync(
    job,
    JSON.stringify({
      n,
      d,
      k,
      covariance_type: type,
      prior_type: "dirichlet_process",
      data: raw(`x-${type}-${d}`, p.X),
      resp: raw(`r-${type}-${d}`, resp.data),
      iterations,
      repeats: rounds,
    }),
  );
  let sk;
  try {
    sk = JSON.parse(
      execFileSync("/usr/bin/python3", [here("./sklearn_bgmm.py"), job], {
        maxBuffer: 1 << 26,
        stdio: ["ignore", "pipe", "inherit"],
      }).toString(),
    );
  } catch (e) {
    console.error(`scikit-learn failed on ${type} d=${d}: ${e.message}`);
  }
  const ours = Math.min(...one);
  const oursThreads = Math.min(...many);
  const row = {
    problem: `${type} d=${d} K=${k}`,
    oursMs: ours,
    threadsMs: oursThreads,
    sklearnMs: sk ? sk.iteration_s * 1000 : NaN,
    lowerBoundAgree: sk ? Math.abs(fitted.lowerBound - sk.lower_bound) / Math.abs(sk.lower_bound) : NaN,
    threadsAgree: Math.abs(threaded.lowerBound - fitted.lowerBound) / Math.abs(fitted.lowerBound),
    sklearn: sk ? { version: sk.version, threads: sk.threads } : undefined,
  };
  rows.push(row);
  console.log(
    `${row.problem}: gmm-wasm ${ours.toFixed(2)} ms/iter, ${cores} threads ${oursThreads.toFixed(2)}, scikit-learn ${row.sklearnMs.toFixed(2)} (${(row.sklearnMs / ours).toFixed(1)}×); lower bounds agree to ${row.lowerBoundAgree.toExponential(1)}`,
  );
}

const fmt = (v) => (v >= 100 ? v.toFixed(0) : v >= 10 ? v.toFixed(1) : v.toFixed(2));
const ratio = (v) => `**${v >= 10 ? v.toFixed(0) : v.toFixed(1)}×**`;
const sk = rows.find((r) => r.sklearn)?.sklearn;
const L = [
  "# BayesianGaussianMixture per EM iteration",
  "",
  `${new Date().toISOString().slice(0, 10)}, ${cpuName()} (${cores} cores, shared; load ${loadavg()
    .map((v) => v.toFixed(1))
    .join(
      " ",
    )}), Node ${process.version}, f64x2 multiply-add peak ${peak.gflops.toFixed(1)} GFLOP/s (measured in this run); scikit-learn ${sk?.version ?? "?"} with its default threads (${sk?.threads ? JSON.stringify(sk.threads) : "?"}).`,
  `N = 10⁵, Dirichlet-process prior, tol 0, ${iterations} iterations from the same given responsibilities; median interval between M-steps, best of ${rounds} round(s). Ratios: scikit-learn ÷ gmm-wasm.`,
  "",
  `| problem | gmm-wasm ms/iter | scikit-learn ms/iter | vs scikit-learn | fitAsync ${cores} threads ms/iter | threads vs scikit-learn | lower bounds agree to | threads vs 1 thread, lower bound |`,
  "|---|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.problem} | ${fmt(r.oursMs)} | ${fmt(r.sklearnMs)} | ${ratio(r.sklearnMs / r.oursMs)} | ${fmt(r.threadsMs)} | ${ratio(r.sklearnMs / r.threadsMs)} | ${r.lowerBoundAgree.toExponential(1)} | ${r.threadsAgree.toExponential(1)} |`,
  ),
  "",
];
mkdirSync(here("./results"), { recursive: true });
writeFileSync(here("./results/bgmm.md"), L.join("\n"));
writeFileSync(here("./results/bgmm.json"), JSON.stringify({ peak, cores, iterations, rows }, null, 2));
console.log(L.join("\n"));
