// KMeans beyond d = 3 side by side in one run, gmm-wasm (one thread) against
// scikit-learn 1.2.1's KMeans (its default Lloyd algorithm, its default
// threads; bench/sklearn_kmeans.py): N = 1e5 rows from 12 overlapping
// Gaussian clusters (a fixed seed, so both sides read the same rows), K = 16,
// d = 8 and 16. Two rows per shape: the Lloyd step itself, both sides from
// the same given centres (rows spread evenly through the data), timed as
// bench/lloyd-steps.mjs times them (and bench/photo.mjs at d = 3); and a
// default fit (k-means++, nInit 1) per seed, whole-fit time and iterations
// (the seeds' draws differ between the sides, so their iteration counts may).
// Writes bench/results/kmeans.{md,json}.
//
//   npm run build && node bench/kmeans.mjs [rounds]
import { execFileSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { init, KMeans } from "../dist/index.js";
import { cpuName, loadRaw, measurePeak } from "./kernels.mjs";
import { LLOYD, median, perLloyd, timeLloydSteps } from "./lloyd-steps.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const rounds = Number(process.argv[2] ?? 3);
const n = 100000;
const k = 16;

/** n rows around 12 centres (sd 1.2 per feature) with unit noise: clusters that overlap. */
function rowsOf(d) {
  let s = 777;
  const rnd = () => (s = (Math.imul(s, 1103515245) + 12345) >>> 0) / 2 ** 32;
  const g = () => {
    let u = 0;
    for (let q = 0; q < 6; q++) u += rnd();
    return u - 3;
  };
  const centres = Array.from({ length: 12 }, () => Array.from({ length: d }, () => 1.2 * g()));
  const data = new Float64Array(n * d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) data[i * d + j] = centres[i % 12][j] + g();
  return data;
}

await init();
const peak = measurePeak(await loadRaw(here("../build/gmm-instrumented.wasm")));
const shapes = [];
for (const d of [8, 16]) {
  const data = rowsOf(d);
  const X = { data, rows: n, cols: d };
  const given = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const i = Math.floor((c * (n - 1)) / (k - 1));
    given.set(data.subarray(i * d, i * d + d), c * d);
  }
  const rowsFile = join(tmpdir(), `gmm-kmeans-${process.pid}-x.f64`);
  const centresFile = join(tmpdir(), `gmm-kmeans-${process.pid}-c.f64`);
  writeFileSync(rowsFile, data);
  writeFileSync(centresFile, given);
  const sk = JSON.parse(
    execFileSync(
      "/usr/bin/python3",
      [here("./sklearn_kmeans.py"), rowsFile, centresFile, String(d), String(k), String(rounds)],
      { stdio: ["ignore", "pipe", "inherit"] },
    ).toString(),
  );
  rmSync(rowsFile);
  rmSync(centresFile);
  const start = Array.from({ length: k }, (_, c) => Array.from(given.subarray(c * d, c * d + d)));
  const lloyd = timeLloydSteps(KMeans, X, k, start, rounds);
  const fit = [];
  const fitIters = [];
  for (let r = 0; r < rounds; r++) {
    const t = performance.now();
    const km = new KMeans({ nClusters: k, nInit: 1, randomState: r }).fit(X);
    fit.push((performance.now() - t) / 1000);
    fitIters.push(km.nIter);
  }
  shapes.push({
    d,
    k,
    n,
    gmm: {
      lloyd_s: lloyd.seconds,
      lloyd_iter: lloyd.iterations,
      perLloyd_s: lloyd.perIteration_s,
      fit_s: fit,
      fit_iter: fitIters,
    },
    sklearn: { ...sk, perLloyd_s: perLloyd(sk.lloyd_s, sk.lloyd_iter) },
  });
}
const result = {
  machine: `${cpuName()} × ${cpus().length}`,
  node: process.version,
  load: loadavg(),
  peakGflops: peak.gflops,
  rounds,
  shapes,
};
const ms = (s, digits = 1) => (s * 1000).toFixed(digits);
const rows = shapes.flatMap((s) => [
  `| d=${s.d} K=${s.k}: per Lloyd iteration (given centres, ${LLOYD[0]} → ${LLOYD[1]}; ran ${s.gmm.lloyd_iter[LLOYD[1]]} / ${s.sklearn.lloyd_iter[LLOYD[1]]}), ms | ${ms(s.gmm.perLloyd_s, 2)} | ${ms(s.sklearn.perLloyd_s, 2)} | **${(s.sklearn.perLloyd_s / s.gmm.perLloyd_s).toFixed(1)}×** |`,
  `| d=${s.d} K=${s.k}: default fit (k-means++, nInit 1), ms (iterations) | ${ms(median(s.gmm.fit_s), 0)} (${s.gmm.fit_iter.join(", ")}) | ${ms(median(s.sklearn.fit_s), 0)} (${s.sklearn.fit_iter.join(", ")}) | ${(median(s.sklearn.fit_s) / median(s.gmm.fit_s)).toFixed(1)}× |`,
]);
const md = `# KMeans bench (${new Date().toISOString().slice(0, 10)})

${result.machine}, node ${result.node}, f64x2 peak ${peak.gflops.toFixed(1)} GFLOP/s, load ${result.load.map((v) => v.toFixed(1)).join(" ")}; N = ${n} rows from 12 overlapping clusters, ${rounds} rounds, medians; gmm-wasm on one thread, scikit-learn with its default threads.

| | gmm-wasm | scikit-learn | ratio |
|---|---:|---:|---:|
${rows.join("\n")}
`;
mkdirSync(here("./results"), { recursive: true });
writeFileSync(here("./results/kmeans.json"), `${JSON.stringify(result, null, 2)}\n`);
writeFileSync(here("./results/kmeans.md"), md);
console.log(md);
