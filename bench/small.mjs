// Small fits (#19): the first fit after init() in a fresh process against a
// warm one, and against scikit-learn, on a guide-sized problem (300 rows,
// d = 2, three blobs, K = 3, full, default options, nested arrays as a user
// would pass them). Each of R fresh Node processes imports the library, calls
// init(), times its first fit, then the median of 50 warm fits; scikit-learn
// 1.2.1 (/usr/bin/python3) times the same fit warm on the same rows. Wall
// clock (a first fit cannot be counted in instructions); the machine is
// shared, so the ratios are medians over the processes. Writes
// bench/results/small.{md,json}.
//
//   npm run build && node bench/small.mjs [processes]
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import { cpus, loadavg } from "node:os";
import { fileURLToPath, pathToFileURL } from "node:url";
import { cpuName } from "./kernels.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const processes = Number(process.argv[2] ?? 15);

/** Three blobs of 100 rows from a fixed LCG, so every process and Python see the same rows. */
export function guideRows() {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1103515245) + 12345) >>> 0) + 0.5) / 2 ** 32;
  const gauss = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const centres = [
    [0, 0],
    [4, 4],
    [-3, 5],
  ];
  const X = [];
  for (const [a, b] of centres) for (let i = 0; i < 100; i++) X.push([a + gauss(), b + 0.6 * gauss()]);
  return X;
}

const child = `
const t0 = performance.now();
const { GaussianMixture, init } = await import(${JSON.stringify(here("../dist/index.js"))});
const { guideRows } = await import(${JSON.stringify(here("./small.mjs"))});
await init();
const t1 = performance.now();
const X = guideRows();
let t = performance.now();
new GaussianMixture({ nComponents: 3, randomState: 0 }).fit(X);
const first = performance.now() - t;
const warm = [];
for (let r = 0; r < 50; r++) {
  t = performance.now();
  new GaussianMixture({ nComponents: 3, randomState: r % 5 }).fit(X);
  warm.push(performance.now() - t);
}
warm.sort((a, b) => a - b);
console.log(JSON.stringify({ importInit: t1 - t0, first, warm: warm[25] }));
`;

// run as a script (the children import this file only for guideRows)
if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const runs = [];
  for (let p = 0; p < processes; p++) {
    runs.push(JSON.parse(execFileSync(process.execPath, ["--input-type=module", "-e", child]).toString()));
  }
  const X = guideRows();
  const py = `
import json, sys, time, warnings
import numpy as np
from sklearn.mixture import GaussianMixture
X = np.array(json.load(sys.stdin))
warnings.simplefilter("ignore")
times = []
for r in range(25):
    t = time.perf_counter()
    GaussianMixture(3, random_state=r % 5).fit(X)
    times.append(time.perf_counter() - t)
times.sort()
print(json.dumps({"warm_ms": 1000 * times[len(times) // 2]}))
`;
  const sk = JSON.parse(execFileSync("/usr/bin/python3", ["-c", py], { input: JSON.stringify(X) }).toString());
  const median = (v) => v.slice().sort((a, b) => a - b)[Math.floor(v.length / 2)];
  const ratios = runs.map((r) => r.first / r.warm);
  const result = {
    machine: `${cpuName()} × ${cpus().length}`,
    node: process.version,
    load: loadavg(),
    processes,
    runs,
    median: {
      importInit: median(runs.map((r) => r.importInit)),
      first: median(runs.map((r) => r.first)),
      warm: median(runs.map((r) => r.warm)),
      firstOverWarm: median(ratios),
    },
    sklearnWarmMs: sk.warm_ms,
  };
  result.median.sklearnOverWarm = sk.warm_ms / result.median.warm;
  result.median.sklearnOverFirst = sk.warm_ms / result.median.first;
  const f = (v) => v.toFixed(2);
  const md = `# Small-fit bench (${new Date().toISOString().slice(0, 10)})

${result.machine}, node ${result.node}, load ${result.load.map((v) => v.toFixed(1)).join(" ")}; 300 rows, d = 2, K = 3, full, default options; ${processes} fresh processes, medians.

| | ms |
|---|---:|
| import + init() | ${f(result.median.importInit)} |
| first fit | ${f(result.median.first)} |
| warm fit (median of 50) | ${f(result.median.warm)} |
| scikit-learn, warm | ${f(sk.warm_ms)} |

First ÷ warm: **${f(result.median.firstOverWarm)}×** (per process: ${ratios.map((r) => r.toFixed(1)).join(", ")}).
scikit-learn ÷ gmm-wasm: **${result.median.sklearnOverWarm.toFixed(0)}×** warm, ${result.median.sklearnOverFirst.toFixed(0)}× against the first fit.
`;
  mkdirSync(here("./results"), { recursive: true });
  writeFileSync(here("./results/small.json"), `${JSON.stringify(result, null, 2)}\n`);
  writeFileSync(here("./results/small.md"), md);
  console.log(md);
}
