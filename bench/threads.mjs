// Multi-threaded fit: fitAsync({ nThreads }) against the single-thread fit on
// the same data and start, in one run, as ratios. Writes
// bench/results/threads.{json,md}. Run with `npm run bench:threads`.
// The whole-fit time includes copying the shards and, on a first call,
// starting the workers (later calls reuse them); the per-iteration time
// (median interval between onIteration calls) does not. Start-up is timed
// apart: one-iteration fits on a fresh pool (after releaseWorkers()) and on a
// warm one, beside the one-thread one-iteration fit.
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { GaussianMixture, init, releaseWorkers } from "../dist/index.js";
import { makeProblem } from "./data.mjs";

await init();
const shapes = [
  { d: 2, k: 8, iters: 40 },
  { d: 5, k: 8, iters: 20 }, // the main bench once gave fitAsync only 1.16× one thread here
  { d: 8, k: 8, iters: 20 },
  { d: 32, k: 8, iters: 8 },
  { d: 64, k: 16, iters: 4 },
];
const n = 100_000;
const cores = availableParallelism();
const rows = [];
for (const { d, k, iters } of shapes) {
  const p = makeProblem({ n, d, k, covarianceType: "full" });
  const options = {
    nComponents: k,
    covarianceType: "full",
    tol: 0,
    maxIter: iters,
    weightsInit: p.start.weights,
    meansInit: p.start.means,
    precisionsInit: p.start.precisions,
  };
  const X = { data: p.X, rows: n, cols: d };
  // Warm-up, then alternate the two so drift on this shared machine hits both.
  new GaussianMixture({ ...options, maxIter: 1 }).fit(X);
  await new GaussianMixture({ ...options, maxIter: 1 }).fitAsync(X, { nThreads: cores });
  const one = [];
  const many = [];
  const oneIter = [];
  const manyIter = [];
  const marker = (list) => {
    let last;
    return {
      onIteration: () => {
        const t = performance.now();
        if (last !== undefined) list.push(t - last);
        last = t;
      },
    };
  };
  let a;
  let b;
  for (let round = 0; round < 3; round++) {
    let t = performance.now();
    a = new GaussianMixture(options).fit(X, marker(oneIter));
    one.push(performance.now() - t);
    t = performance.now();
    b = await new GaussianMixture(options).fitAsync(X, { nThreads: cores, ...marker(manyIter) });
    many.push(performance.now() - t);
  }
  const median = (v) => v.slice().sort((x, y) => x - y)[Math.floor(v.length / 2)];
  // start-up: a one-iteration fit on a fresh pool, then on the warm one
  const first = [];
  const second = [];
  const single = [];
  const once = { ...options, maxIter: 1 };
  for (let round = 0; round < 3; round++) {
    await releaseWorkers();
    let t = performance.now();
    await new GaussianMixture(once).fitAsync(X, { nThreads: cores });
    first.push(performance.now() - t);
    t = performance.now();
    await new GaussianMixture(once).fitAsync(X, { nThreads: cores });
    second.push(performance.now() - t);
    t = performance.now();
    new GaussianMixture(once).fit(X);
    single.push(performance.now() - t);
  }
  const agree = Math.abs(a.lowerBound - b.lowerBound) / Math.abs(a.lowerBound);
  rows.push({
    d,
    k,
    iterations: iters,
    oneThreadMs: median(one),
    threadsMs: median(many),
    speedup: median(one) / median(many),
    oneThreadIterationMs: median(oneIter),
    threadsIterationMs: median(manyIter),
    iterationSpeedup: median(oneIter) / median(manyIter),
    lowerBoundAgreement: agree,
    firstCallOneIterationMs: median(first),
    secondCallOneIterationMs: median(second),
    oneThreadOneIterationMs: median(single),
  });
  console.log(rows.at(-1));
}
mkdirSync(new URL("./results/", import.meta.url), { recursive: true });
writeFileSync(
  new URL("./results/threads.json", import.meta.url),
  JSON.stringify({ date: new Date().toISOString(), cores, n, rows }, null, 2),
);
const md = [
  `# fitAsync over ${cores} worker threads vs fit in one thread`,
  "",
  `N = ${n}, full covariances, same data and start (tol 0, fixed iterations), 3 alternating runs; medians of whole-fit times (shard copies included; the workers are kept from the warm-up, as a second call finds them) and of per-iteration intervals (one message round trip per iteration). ${cores} cores, shared and noisy: read the ratios.`,
  "",
  "| d | K | iterations | 1 thread ms/iter | threads ms/iter | speed-up per iteration | 1 thread fit ms | threads fit ms | speed-up per fit | lower bounds agree to |",
  "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.d} | ${r.k} | ${r.iterations} | ${r.oneThreadIterationMs.toFixed(1)} | ${r.threadsIterationMs.toFixed(1)} | **${r.iterationSpeedup.toFixed(2)}×** | ${r.oneThreadMs.toFixed(0)} | ${r.threadsMs.toFixed(0)} | ${r.speedup.toFixed(2)}× | ${r.lowerBoundAgreement.toExponential(1)} |`,
  ),
  "",
  "Start-up: one-iteration fits (medians of 3): fitAsync on a fresh pool (it starts the workers), then on the warm one (it reuses them), and fit in this thread.",
  "",
  "| d | K | first fitAsync ms | second fitAsync ms | fit (1 thread) ms |",
  "|---:|---:|---:|---:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.d} | ${r.k} | ${r.firstCallOneIterationMs.toFixed(0)} | ${r.secondCallOneIterationMs.toFixed(0)} | ${r.oneThreadOneIterationMs.toFixed(0)} |`,
  ),
  "",
].join("\n");
writeFileSync(new URL("./results/threads.md", import.meta.url), md);
console.log(md);
