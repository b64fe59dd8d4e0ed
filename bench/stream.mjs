// Out-of-core and one-pass fits (#14), side by side in one run on one data set:
// rows/s of fitAsync over a chunked source and of partialFit, against fit()
// on the same rows held in memory (same start, same iteration count).
//
//   npm run bench:stream          (writes bench/results/stream.md)
import { writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath } from "node:url";
import { GaussianMixture, init } from "../dist/index.js";
import { cpuName, loadRaw, measurePeak } from "./kernels.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
await init();
const peak = measurePeak(await loadRaw(here("../build/gmm-instrumented.wasm")));
const n = 1_000_000,
  d = 4,
  k = 4,
  iterations = 5,
  chunkRows = 1 << 16;
let s = 11;
const data = new Float64Array(n * d);
for (let t = 0; t < data.length; t++) {
  s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
  data[t] = (Math.floor(t / d) % k) * 3 + (t % d) + s / 2 ** 32;
}
const X = { data, rows: n, cols: d };
const start = new GaussianMixture({ nComponents: k, randomState: 0, maxIter: 2 }).fit({
  data: data.subarray(0, 20000 * d),
  rows: 20000,
  cols: d,
});
const options = {
  nComponents: k,
  tol: 0,
  maxIter: iterations,
  weightsInit: start.weights,
  meansInit: start.means,
  precisionsInit: start.precisions,
};
const chunk = (at) => ({
  data: data.subarray(at * d, Math.min(n, at + chunkRows) * d),
  rows: Math.min(chunkRows, n - at),
  cols: d,
});
const source = function* () {
  for (let at = 0; at < n; at += chunkRows) yield chunk(at);
};
// weights 1, 2, 3 in turn: the same fits with weighted sums
const sampleWeight = Float64Array.from({ length: n }, (_, i) => 1 + (i % 3));
const weightedSource = function* () {
  for (let at = 0; at < n; at += chunkRows)
    yield { rows: chunk(at), sampleWeight: sampleWeight.subarray(at, Math.min(n, at + chunkRows)) };
};
// The cases take turns, round after round (in alternating order), and each
// reports its median: on a shared machine a slow spell then hits every case,
// where one case's best of consecutive runs could miss it.
const cases = {
  memory: () => new GaussianMixture(options).fit(X),
  streamed: () => new GaussianMixture(options).fitAsync(source),
  memoryWeighted: () => new GaussianMixture(options).fit(X, { sampleWeight }),
  streamedWeighted: () => new GaussianMixture(options).fitAsync(weightedSource),
  online: () => {
    const g = new GaussianMixture({ ...options, maxIter: 100 });
    for (let at = 0; at < n; at += chunkRows) g.partialFit(chunk(at));
  },
};
const rounds = 5;
const times = Object.fromEntries(Object.keys(cases).map((c) => [c, []]));
for (let r = 0; r < rounds; r++) {
  const order = r % 2 ? Object.keys(cases).reverse() : Object.keys(cases);
  for (const c of order) {
    const t0 = performance.now();
    await cases[c]();
    times[c].push((performance.now() - t0) / 1000);
  }
}
const median = (a) => a.slice().sort((x, y) => x - y)[a.length >> 1];
const { memory, streamed, memoryWeighted, streamedWeighted, online } = Object.fromEntries(
  Object.entries(times).map(([c, t]) => [c, median(t)]),
);
// rows processed: fit and the stream pass over all rows once per iteration (the stream once more to count and sample); partialFit once
const rate = (rows, seconds) => `${(rows / seconds / 1e6).toFixed(2)} M rows/s`;
const L = [
  "# Out-of-core and one-pass fits",
  "",
  `${new Date().toISOString().slice(0, 10)}, ${cpuName()} (${cpus().length} cores, shared; load ${loadavg()
    .map((v) => v.toFixed(1))
    .join(
      " ",
    )}), Node ${process.version}, f64x2 peak ${peak.gflops.toFixed(1)} GFLOP/s. N = 10⁶, d = 4, K = 4, full, ${iterations} EM iterations from a given start, chunks of ${chunkRows} rows; weights 1, 2, 3 in turn; median of ${rounds} rounds, the cases taking turns.`,
  "",
  "| fit | seconds | rows/s (rows × passes) | vs in-memory fit |",
  "|---|---:|---:|---:|",
  `| fit(X), in memory | ${memory.toFixed(2)} | ${rate(n * iterations, memory)} | 1.00× |`,
  `| fitAsync(source), chunked | ${streamed.toFixed(2)} | ${rate(n * (iterations + 1), streamed)} | ${(memory / streamed).toFixed(2)}× |`,
  `| fit(X, { sampleWeight }), in memory | ${memoryWeighted.toFixed(2)} | ${rate(n * iterations, memoryWeighted)} | ${(memory / memoryWeighted).toFixed(2)}× |`,
  `| fitAsync(source), chunks { rows, sampleWeight } | ${streamedWeighted.toFixed(2)} | ${rate(n * (iterations + 1), streamedWeighted)} | ${(memory / streamedWeighted).toFixed(2)}× (${(memoryWeighted / streamedWeighted).toFixed(2)}× the weighted in-memory fit) |`,
  `| partialFit, one pass | ${online.toFixed(2)} | ${rate(n, online)} | (one pass, not ${iterations}) |`,
  "",
];
writeFileSync(here("./results/stream.md"), L.join("\n"));
console.log(L.join("\n"));
