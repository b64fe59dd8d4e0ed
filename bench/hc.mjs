// Times model-based hierarchical clustering (src/hc.ts, VVV with mclust's
// SVD transformation) at n = 300, 1000, 2000 and d = 2, 4, 13 on the
// benchmark's synthetic mixtures (4 full-covariance clusters), against the
// same agglomeration in plain JavaScript (bench/hc-js.mjs) and, when Rscript
// with mclust is installed, against mclust's hc() itself (timed inside R),
// checking that all three give the same merges. Writes bench/results/hc.md
// and hc.json.
//
//   npm run build:wasm && node bench/hc.mjs
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import { makeProblem } from "./data.mjs";
import { agglomerateJs } from "./hc-js.mjs";
import { cpuName } from "./kernels.mjs";

const here = (p) => fileURLToPath(new URL(p, import.meta.url));
const tmp = mkdtempSync(join(tmpdir(), "gmm-hc-bench-"));
// src/hc.ts is not part of the public bundle yet: bundle it for the bench
await build({
  stdin: {
    contents: 'export { init } from "./src/wasm.ts";\nexport { hcTree, scaledSvd, HC_MAX_ROWS } from "./src/hc.ts";\n',
    resolveDir: here(".."),
    loader: "ts",
  },
  bundle: true,
  format: "esm",
  platform: "neutral",
  outfile: join(tmp, "hc.mjs"),
  logLevel: "warning",
});
const { init, hcTree, scaledSvd } = await import(join(tmp, "hc.mjs"));
await init(readFileSync(here("../build/gmm.wasm")));

const best = (f, reps) => {
  f();
  let t = Infinity;
  for (let r = 0; r < reps; r++) {
    const t0 = performance.now();
    f();
    t = Math.min(t, performance.now() - t0);
  }
  return t;
};
const sameMerges = (a, b) => a.length === b.length && a.every((v, i) => v === b[i]);

let hasR = false;
try {
  execFileSync("Rscript", ["-e", "suppressMessages(library(mclust))"], { stdio: "ignore" });
  hasR = true;
} catch {
  /* mclust not installed: its column stays empty */
}

const rows = [];
for (const d of [2, 4, 13]) {
  for (const n of [300, 1000, 2000]) {
    const { X } = makeProblem({ n, d, k: 4, covarianceType: "full" });
    const reps = n >= 2000 ? 5 : 9;
    let tree;
    const wasmMs = best(() => (tree = hcTree(X, n, d)), reps);
    const svdMs = best(() => scaledSvd(X, n, d), reps);
    const { z, d: p } = scaledSvd(X, n, d);
    let ss = 0;
    for (let j = 0; j < p; j++) {
      let m = 0;
      for (let i = 0; i < n; i++) m += z[i * p + j];
      m /= n;
      for (let i = 0; i < n; i++) ss += (z[i * p + j] - m) ** 2;
    }
    const alpha = Math.max(ss / (n * p), 2 ** -52);
    let js;
    const jsMs = best(() => (js = agglomerateJs(z, n, p, alpha, 1)), reps) + svdMs;
    const row = {
      n,
      d,
      wasmMs,
      svdMs,
      jsMs,
      jsSameTree: sameMerges(Array.from(js.merges), Array.from(tree.merges)),
      workingMB: (8 * ((n * (n - 1)) / 2 + (n * p * (p + 1)) / 2 + n * p + 6 * n)) / 2 ** 20,
    };
    if (hasR) {
      const csv = join(tmp, `x_${n}_${d}.csv`);
      const out = join(tmp, `m_${n}_${d}.txt`);
      writeFileSync(
        csv,
        Array.from({ length: n }, (_, i) =>
          Array.from(X.subarray(i * d, i * d + d), (v) => v.toPrecision(17)).join(","),
        ).join("\n") + "\n",
      );
      const script =
        `suppressMessages(library(mclust)); X <- as.matrix(read.csv("${csv}", header = FALSE)); ` +
        `t <- min(sapply(1:${n >= 2000 ? 1 : 3}, function(i) system.time(h <<- hc(X, modelName = "VVV", use = "SVD"))[["elapsed"]])); ` +
        `write(h, "${out}", ncolumns = 2); cat(t)`;
      row.mclustMs = 1000 * Number(execFileSync("Rscript", ["-e", script], { encoding: "utf8" }).trim());
      const m = readFileSync(out, "utf8")
        .trim()
        .split(/\s+/)
        .map((v) => Number(v) - 1);
      row.mclustSameTree = sameMerges(m, Array.from(tree.merges));
    }
    rows.push(row);
    console.log(JSON.stringify(row));
  }
}
rmSync(tmp, { recursive: true, force: true });

const f = (v, digits = 1) => (v === undefined ? "n/a" : v.toFixed(digits));
const md = [
  "# Hierarchical clustering (hcTree, VVV, SVD transformation)",
  "",
  `Node ${process.version}, ${cpuName()}, one thread. Best of ${"5–9"} runs; mclust ${hasR ? "timed inside R (system.time, best of 1–3)" : "not installed"}.`,
  "Data: bench/data.mjs mixtures of 4 full-covariance clusters. hcTree includes the SVD transformation (its own column);",
  "the JavaScript column is the same agglomeration in plain JS (bench/hc-js.mjs) plus the same transformation.",
  "Working memory: the pairwise costs n(n−1)/2 and the cluster scatters n·d(d+1)/2 values, plus O(n·d).",
  "",
  "| n | d | hcTree (WASM) ms | of which SVD ms | plain JS ms | JS / WASM | same tree | mclust hc() ms | mclust / hcTree | same merges as mclust | working memory MB |",
  "|---:|---:|---:|---:|---:|---:|:--:|---:|---:|:--:|---:|",
  ...rows.map(
    (r) =>
      `| ${r.n} | ${r.d} | ${f(r.wasmMs)} | ${f(r.svdMs)} | ${f(r.jsMs)} | ${f(r.jsMs / r.wasmMs)}× | ${r.jsSameTree ? "yes" : "no"} | ${f(r.mclustMs, 0)} | ${r.mclustMs ? f(r.mclustMs / r.wasmMs) + "×" : "n/a"} | ${r.mclustSameTree === undefined ? "n/a" : r.mclustSameTree ? "yes" : "no"} | ${f(r.workingMB)} |`,
  ),
  "",
];
mkdirSync(here("results"), { recursive: true });
writeFileSync(here("results/hc.md"), md.join("\n"));
writeFileSync(here("results/hc.json"), JSON.stringify({ node: process.version, rows }, null, 2) + "\n");
console.log(md.join("\n"));
