// Rows per second of the local distributed fit against the in-memory fit on
// the same rows and start, and the per-iteration round trip. Run from the
// repository root after `npm run build`: node examples/distributed/bench.mjs [rows]
// The rows are drawn (seed 1) from a 3-component full fit of Old Faithful, so
// there are as many as asked; one machine, so the figures show overhead, not speed-up.
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import * as lib from "gmm-wasm";
import { parseTable } from "gmm-wasm/csv";
import { runFit, startCluster, writeDataset } from "./cluster.mjs";

const median = (a) => [...a].sort((x, y) => x - y)[a.length >> 1];
const gapsOf = (history) => history.slice(1).map((h, i) => h.at - history[i].at);

/** Times the in-memory fit and the local cluster with each shard count; returns the figures. */
/** `objectShards`: the shard counts also run with fanOut "objects" (each shard's work in a Durable Object). */
export async function benchDistributed({
  rows: N = 200_000,
  shards = [1, 2, 4],
  objectShards = [4],
  iterations = 20,
} = {}) {
  await lib.init();
  const faithful = parseTable(readFileSync(new URL("../../data/faithful.csv", import.meta.url)));
  const source = new lib.GaussianMixture({
    nComponents: 3,
    covarianceType: "full",
    initParams: "kmeans",
    randomState: 0,
  }).fit(faithful);
  const X = source.sample(N, { randomState: 1 }).X;
  const startOf = (data) =>
    new lib.GaussianMixture({
      nComponents: 3,
      covarianceType: "full",
      initParams: "random_from_data",
      maxIter: 1,
      randomState: 7,
    })
      .fit(data)
      .toJSON();
  const start = startOf(X);
  const options = { tol: 0, maxIter: iterations };
  const s = lib.GaussianMixture.fromJSON(start);
  const t0 = performance.now();
  const ref = new lib.GaussianMixture({
    nComponents: 3,
    covarianceType: "full",
    initParams: "kmeans",
    weightsInit: s.weights,
    meansInit: s.means,
    precisionsInit: s.precisions,
    ...options,
  }).fit(X);
  const inMemoryMs = performance.now() - t0;
  const t1 = performance.now();
  for (let i = 0; i < 5; i++) s.statistics(X);
  const statisticsMsPer1e5 = ((performance.now() - t1) / 5 / N) * 1e5;
  const result = {
    rows: N,
    iterations,
    cores: availableParallelism(),
    statisticsMsPer1e5,
    inMemory: { msPerIteration: inMemoryMs / ref.nIter, rowsPerSecond: ((N * ref.nIter) / inMemoryMs) * 1000 },
    distributed: [],
    fixed: null,
  };
  const onCluster = async (count, fn) => {
    const dir = mkdtempSync(join(tmpdir(), "gmm-distributed-bench-"));
    const cluster = await startCluster({ dir, shards: count });
    try {
      return await fn(cluster);
    } finally {
      await cluster.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  };
  const runs = [
    ...shards.map((count) => ({ count, fanOut: "service" })),
    ...objectShards.map((count) => ({ count, fanOut: "objects" })),
  ];
  for (const { count, fanOut } of runs) {
    result.distributed.push(
      await onCluster(count, async (cluster) => {
        writeDataset(cluster.bucketDir, "bench", X, count);
        const t = performance.now();
        const { status, model } = await runFit(cluster.origin, { dataset: "bench", start, fanOut, ...options });
        const ms = performance.now() - t;
        if (!model) throw new Error(status.error);
        return {
          shards: count,
          fanOut,
          msPerIteration: ms / status.iteration,
          rowsPerSecond: ((N * status.iteration) / ms) * 1000,
          roundTripMs: median(status.history.map((h) => h.roundTripMs)),
          iterationMs: median(gapsOf(status.history)),
        };
      }),
    );
  }
  // the fixed cost: the same loop on 272 rows, where the shards' work is nothing
  result.fixed = await onCluster(4, async (cluster) => {
    writeDataset(cluster.bucketDir, "tiny", faithful, 4);
    const { status } = await runFit(cluster.origin, { dataset: "tiny", start: startOf(faithful), ...options });
    return {
      rows: faithful.rows,
      shards: 4,
      roundTripMs: median(status.history.map((h) => h.roundTripMs)),
      iterationMs: median(gapsOf(status.history)),
    };
  });
  return result;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const r = await benchDistributed({ rows: Number(process.argv[2] ?? 200_000) });
  console.log(`${r.rows} rows × 2, K = 3, full, ${r.iterations} iterations, ${r.cores} cores`);
  console.log("| fit | ms per iteration | rows/s | median round trip (ms) | median iteration (ms) |");
  console.log("|---|---:|---:|---:|---:|");
  console.log(
    `| in memory (one thread) | ${r.inMemory.msPerIteration.toFixed(1)} | ${r.inMemory.rowsPerSecond.toExponential(2)} | – | – |`,
  );
  for (const d of r.distributed) {
    console.log(
      `| distributed, ${d.shards} shard process${d.shards > 1 ? "es" : ""}${d.fanOut === "objects" ? ", fanOut objects" : ""} | ${d.msPerIteration.toFixed(1)} | ${d.rowsPerSecond.toExponential(2)} | ${d.roundTripMs} | ${d.iterationMs} |`,
    );
  }
  console.log(
    `\nfixed cost per iteration (${r.fixed.rows} rows, ${r.fixed.shards} shard processes): median round trip ${r.fixed.roundTripMs} ms, median iteration ${r.fixed.iterationMs} ms`,
  );
  console.log(
    `statistics() in Node, same kernels: ${r.statisticsMsPer1e5.toFixed(1)} ms per 10^5 rows (K = 3, d = 2, full)`,
  );
}
