// EM over shards (#15), the local cluster against the in-memory fit, side by
// side in one run on the same rows from the same start (tol 0, 20
// iterations): rows/s of each, their ratio, and the per-iteration round trip
// (the coordinator's time from sending the model to having every shard's
// statistics). One machine: every workerd process shares its cores, so the
// ratio is the distributed fit's overhead, not a speed-up. The fixed cost is
// the same loop on 272 rows, where the shards' work is nothing.
//
//   npm run bench (after the other rows), or: node bench/distributed.mjs [rows]
//   writes bench/results/distributed.md and distributed.json
import { writeFileSync } from "node:fs";
import { loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { benchDistributed } from "../examples/distributed/bench.mjs";
import { cpuName, loadRaw, measurePeak } from "./kernels.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const rows = Number(process.argv[2] ?? 200_000);
const peak = measurePeak(await loadRaw(here("../build/gmm-instrumented.wasm")));
const load = loadavg();
const r = await benchDistributed({ rows, shards: [1, 2, 4], objectShards: [4] });
const e = (x) => x.toExponential(2).replace(/e\+?(-?\d+)/, "·10^$1");
const L = [
  "# EM over shards: the local cluster against the in-memory fit",
  "",
  `${new Date().toISOString().slice(0, 10)}, ${cpuName()} (${r.cores} cores, shared; load ${load
    .map((v) => v.toFixed(1))
    .join(" ")} at the start), Node ${process.version}, f64x2 peak ${peak.gflops.toFixed(1)} GFLOP/s.`,
  `${r.rows} rows × 2 drawn from a 3-component fit of Old Faithful, K = 3, full, ${r.iterations} EM iterations from one given start (tol 0).`,
  "The in-memory fit is `fit` on one thread in this Node process; the distributed fit is POST /fit to the local cluster",
  "(one workerd process per shard and one for the coordinator, 127.0.0.1) until it ends, over the iterations.",
  "Round trip: the coordinator's median over iterations of sending the model until every shard's statistics are in;",
  "iteration: the median time between completed iterations (round trip + merge, M-step, Durable Object write).",
  "fanOut objects: each shard request handed by the shard Worker to a Durable Object of its own (same process here).",
  "",
  "| fit | ms per iteration | rows/s | vs in memory | round trip (ms) | iteration (ms) |",
  "|---|---:|---:|---:|---:|---:|",
  `| in memory (\`fit\`, one thread) | ${r.inMemory.msPerIteration.toFixed(1)} | ${e(r.inMemory.rowsPerSecond)} | 1.00× | – | – |`,
  ...r.distributed.map(
    (d) =>
      `| distributed, ${d.shards} shard process${d.shards > 1 ? "es" : ""}${d.fanOut === "objects" ? ", fanOut objects" : ""} | ${d.msPerIteration.toFixed(1)} | ${e(d.rowsPerSecond)} | ${(d.rowsPerSecond / r.inMemory.rowsPerSecond).toFixed(2)}× | ${d.roundTripMs} | ${d.iterationMs} |`,
  ),
  "",
  `Fixed cost per iteration (${r.fixed.rows} rows over ${r.fixed.shards} shard processes): round trip ${r.fixed.roundTripMs} ms, iteration ${r.fixed.iterationMs} ms.`,
  `\`statistics()\` in Node with the same kernels: ${r.statisticsMsPer1e5.toFixed(1)} ms per 10⁵ rows (K = 3, d = 2, full).`,
  "",
];
writeFileSync(here("./results/distributed.md"), L.join("\n"));
writeFileSync(
  here("./results/distributed.json"),
  `${JSON.stringify({ date: new Date().toISOString(), cpu: cpuName(), load, node: process.version, peakGflops: peak.gflops, ...r }, null, 1)}\n`,
);
console.log(L.join("\n"));
