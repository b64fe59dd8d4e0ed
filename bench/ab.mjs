// Development aid: paired wall-clock timing of one kernel, or of whole EM
// iterations, in two builds.
//
//   node bench/ab.mjs KERNEL type d k n A.wasm B.wasm [rounds=30]
//   node bench/ab.mjs fit    type d k n A/dist B/dist [rounds=30]
//
// Both builds are loaded in this process on the same data and called in
// turn (A B, then B A, …), so a slow spell of the shared machine lands on
// both. KERNEL calls one kernel as kernel-call.mjs sets it up (the kernels
// and the start icount.mjs counts); `fit` times the median EM iteration of
// a fit from the broad start (data.mjs's broadStart: means at random
// rows, precisions 1/20·I; tol 0, 6 iterations) through each dist's GaussianMixture. Prints
// each one's median time and the median of the per-round ratios A/B with
// its quartiles. AB_DTYPE=float32 runs the fits with dtype "float32";
// AB_WEIGHTS=1 gives the rows sample weights 1, 2, 3 in turn.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { broadStart, makeProblem } from "./data.mjs";
import { prepareKernel } from "./kernel-call.mjs";

const [kernel, type, d, k, n, a, b, rounds = "30"] = process.argv.slice(2);
const D = Number(d),
  K = Number(k),
  N = Number(n);

async function makeFit(dist) {
  const { GaussianMixture, init } = await import(pathToFileURL(join(resolve(dist), "index.js")).href);
  await init();
  const p = makeProblem({ n: N, d: D, k: K, covarianceType: "full" });
  const s = broadStart(p.X, N, D, K, type);
  const start = { weightsInit: s.weights, meansInit: s.means, precisionsInit: s.precisions };
  const X = { data: p.X, rows: N, cols: D };
  const sampleWeight = process.env.AB_WEIGHTS ? Float64Array.from({ length: N }, (_, i) => 1 + (i % 3)) : undefined;
  return () => {
    const marks = [];
    new GaussianMixture({
      nComponents: K,
      covarianceType: type,
      tol: 0,
      maxIter: 6,
      initParams: "random_from_data",
      randomState: 0,
      dtype: process.env.AB_DTYPE ?? "float64",
      ...start,
    }).fit(X, { sampleWeight, onIteration: () => marks.push(performance.now()) });
    const iv = marks
      .slice(1)
      .map((t, i) => t - marks[i])
      .sort((x, y) => x - y);
    return iv[iv.length >> 1];
  };
}

const make = async (file) => {
  if (kernel === "fit") return makeFit(file);
  const f = await prepareKernel(readFileSync(file), kernel, type, D, K, N);
  return () => {
    const t = performance.now();
    f();
    return performance.now() - t;
  };
};
const A = await make(a);
const B = await make(b);
for (let w = 0; w < (kernel === "fit" ? 2 : 5); w++) {
  A();
  B();
}
const ta = [],
  tb = [],
  ratio = [];
for (let r = 0; r < Number(rounds); r++) {
  let x, y;
  if (r % 2) {
    y = B();
    x = A();
  } else {
    x = A();
    y = B();
  }
  ta.push(x);
  tb.push(y);
  ratio.push(x / y);
}
const q = (v, f) => {
  const s = [...v].sort((p, r) => p - r);
  return s[Math.min(s.length - 1, Math.floor(f * s.length))];
};
console.log(
  `${kernel} ${type} d=${d} K=${k} n=${n}: A ${q(ta, 0.5).toFixed(3)} ms, B ${q(tb, 0.5).toFixed(3)} ms, A/B ${q(ratio, 0.5).toFixed(3)} (quartiles ${q(ratio, 0.25).toFixed(3)}–${q(ratio, 0.75).toFixed(3)})`,
);
