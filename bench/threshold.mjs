// The thread threshold (#19): is n·K·d² ≥ 5e7 (parallel.ts) still where
// fitAsync on the machine's cores starts to pay, now that a second call
// reuses the workers? For a few shapes and n around the threshold, times a
// 10-iteration fit (same start, tol 0) on one thread and through fitAsync on
// a warm pool, alternated round by round so drift hits both; reports the
// median one-thread ÷ threaded time (> 1: threads pay). Wall clock on
// purpose (the question is elapsed time with 2 workers), so read it with the
// machine's load, which the script prints. Writes bench/results/threshold.{md,json}.
//
//   npm run build && node bench/threshold.mjs [rounds]
import { mkdirSync, writeFileSync } from "node:fs";
import { availableParallelism, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { GaussianMixture, init, releaseWorkers } from "../dist/index.js";
import { makeProblem } from "./data.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const rounds = Number(process.argv[2] ?? 5);
const cores = availableParallelism();
await init();
const shapes = [
  { d: 2, k: 8 },
  { d: 8, k: 8 },
  { d: 32, k: 8 },
];
const work = [5e6, 1.5e7, 5e7];
const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
const rows = [];
for (const { d, k } of shapes) {
  for (const w of work) {
    const n = Math.max(1000, Math.round(w / (k * d * d)));
    const p = makeProblem({ n, d, k, covarianceType: "full" });
    const options = {
      nComponents: k,
      tol: 0,
      maxIter: 10,
      weightsInit: p.start.weights,
      meansInit: p.start.means,
      precisionsInit: p.start.precisions,
    };
    const X = { data: p.X, rows: n, cols: d };
    new GaussianMixture(options).fit(X);
    await new GaussianMixture(options).fitAsync(X, { nThreads: cores }); // warms the pool
    const one = [];
    const many = [];
    for (let r = 0; r < rounds; r++) {
      let t = performance.now();
      new GaussianMixture(options).fit(X);
      one.push(performance.now() - t);
      t = performance.now();
      await new GaussianMixture(options).fitAsync(X, { nThreads: cores });
      many.push(performance.now() - t);
    }
    const row = { d, k, n, work: n * k * d * d, oneMs: median(one), threadedMs: median(many) };
    row.ratio = row.oneMs / row.threadedMs;
    rows.push(row);
    console.error(`d=${d} K=${k} n=${n} n·K·d²=${row.work.toExponential(1)}: ${row.ratio.toFixed(2)}×`);
  }
}
await releaseWorkers();
const load = loadavg();
const md = `# Thread threshold (${new Date().toISOString().slice(0, 10)})

${cores} cores, load ${load.map((v) => v.toFixed(1)).join(" ")}; 10-iteration full fits, tol 0, same start; one thread against fitAsync on ${cores} warm workers; medians of ${rounds} alternated rounds.

| d | K | n | n·K·d² | one thread ms | threaded ms | one ÷ threaded |
|---:|---:|---:|---:|---:|---:|---:|
${rows.map((r) => `| ${r.d} | ${r.k} | ${r.n} | ${r.work.toExponential(1)} | ${r.oneMs.toFixed(1)} | ${r.threadedMs.toFixed(1)} | ${r.ratio.toFixed(2)}× |`).join("\n")}
`;
mkdirSync(here("./results"), { recursive: true });
writeFileSync(here("./results/threshold.json"), `${JSON.stringify({ cores, load, rounds, rows }, null, 2)}\n`);
writeFileSync(here("./results/threshold.md"), md);
console.log(md);
