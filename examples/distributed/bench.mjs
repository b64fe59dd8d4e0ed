// Rows per second of the local distributed fit against the in-memory fit on
// the same rows and start, and the per-iteration round trip. Run from the
// repository root after `npm run build`: node examples/distributed/bench.mjs [rows]
// The rows are drawn (seed 1) from a 3-component full fit of Old Faithful, so
// there are as many as asked; one machine, so the figures show overhead, not speed-up.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import * as lib from "gmm-wasm";
import { parseTable } from "gmm-wasm/csv";
import { runFit, startCluster, writeDataset } from "./cluster.mjs";

await lib.init();
const N = Number(process.argv[2] ?? 200_000);
const faithful = parseTable(readFileSync(new URL("../../data/faithful.csv", import.meta.url)));
const source = new lib.GaussianMixture({ nComponents: 3, covarianceType: "full", initParams: "kmeans", randomState: 0 }).fit(faithful);
const X = source.sample(N, { randomState: 1 }).X;
const start = new lib.GaussianMixture({ nComponents: 3, covarianceType: "full", initParams: "random_from_data", maxIter: 1, randomState: 7 }).fit(X).toJSON();
const options = { tol: 0, maxIter: 20 };
const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];

const s = lib.GaussianMixture.fromJSON(start);
const t0 = performance.now();
const ref = new lib.GaussianMixture({ nComponents: 3, covarianceType: "full", initParams: "kmeans", weightsInit: s.weights, meansInit: s.means, precisionsInit: s.precisions, ...options }).fit(X);
const inMemoryMs = performance.now() - t0;
const t1 = performance.now();
for (let i = 0; i < 5; i++) s.statistics(X);
const statsMsPerRow = (performance.now() - t1) / 5 / N;

console.log(`${N} rows × 2, K = 3, full, ${options.maxIter} iterations, ${availableParallelism()} cores`);
console.log(`| fit | ms per iteration | rows/s | median round trip (ms) | median iteration (ms) |`);
console.log(`|---|---:|---:|---:|---:|`);
console.log(`| in memory (one thread) | ${(inMemoryMs / ref.nIter).toFixed(1)} | ${(N * ref.nIter / inMemoryMs * 1000).toExponential(2)} | – | – |`);
for (const shards of [1, 2, 4]) {
  const dir = mkdtempSync(join(tmpdir(), "gmm-distributed-bench-"));
  const cluster = await startCluster({ dir, shards });
  try {
    writeDataset(cluster.bucketDir, "bench", X, shards);
    const t = performance.now();
    const { status, model } = await runFit(cluster.origin, { dataset: "bench", start, ...options });
    const ms = performance.now() - t;
    if (!model) throw new Error(status.error);
    const gaps = status.history.slice(1).map((h, i) => h.at - status.history[i].at);
    console.log(`| distributed, ${shards} shard process${shards > 1 ? "es" : ""} | ${(ms / status.iteration).toFixed(1)} | ${(N * status.iteration / ms * 1000).toExponential(2)} | ${median(status.history.map((h) => h.roundTripMs))} | ${median(gaps)} |`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
// the fixed cost: the same loop on 272 rows, where the shards' work is nothing
{
  const dir = mkdtempSync(join(tmpdir(), "gmm-distributed-bench-"));
  const cluster = await startCluster({ dir, shards: 4 });
  try {
    writeDataset(cluster.bucketDir, "tiny", faithful, 4);
    const tiny = new lib.GaussianMixture({ nComponents: 3, covarianceType: "full", initParams: "random_from_data", maxIter: 1, randomState: 7 }).fit(faithful).toJSON();
    const { status } = await runFit(cluster.origin, { dataset: "tiny", start: tiny, ...options });
    const gaps = status.history.slice(1).map((h, i) => h.at - status.history[i].at);
    console.log(`\nfixed cost per iteration (272 rows, 4 shard processes): median round trip ${median(status.history.map((h) => h.roundTripMs))} ms, median iteration ${median(gaps)} ms`);
  } finally {
    await cluster.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
console.log(`statistics() in Node, same kernels: ${(statsMsPerRow * 1e5).toFixed(1)} ms per 10^5 rows (K = 3, d = 2, full)`);
