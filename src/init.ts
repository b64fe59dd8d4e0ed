// The start methods: each writes initial responsibilities for the
// workspace's rows into ws.resp (n × k, rows summing to 1), from which the
// first M-step makes the starting parameters, as scikit-learn does. A new
// start method is one entry here (and its name in options.ts).
import type { Workspace } from "./covariance.js";
import { cutTree, HC_MAX_ROWS, type HcTree, hcTree } from "./hc.js";
import { chooseRows, kmeansOnLoaded, kmeansPlusPlus } from "./lloyd.js";
import { alloc, dataView, f64, scoped } from "./memory.js";
import { Random } from "./random.js";
import type { StartName } from "./types.js";

export type StartMethod = (ws: Workspace, rng: Random) => void;
export type { StartName };

/** The sample weights (a copy), or undefined. */
function weightsOf(ws: Workspace): Float64Array | undefined {
  return ws.sampleWeight ? f64(ws.sampleWeight, ws.n).slice() : undefined;
}

/** One-hot responsibilities from a label per row. */
function fromLabels(ws: Workspace, labels: ArrayLike<number>): void {
  const r = f64(ws.resp, ws.n * ws.k);
  r.fill(0);
  for (let i = 0; i < ws.n; i++) r[i * ws.k + labels[i]] = 1;
}

/** Each of k chosen rows is the sole member of its component; other rows start with no responsibility. */
function fromRows(ws: Workspace, rows: number[]): void {
  const r = f64(ws.resp, ws.n * ws.k);
  r.fill(0);
  rows.forEach((row, c) => (r[row * ws.k + c] = 1));
}

/**
 * The last hc tree, keyed by its rows' bits: selectModel and the search ask
 * for the same tree at every K, and mclust's design is to build it once and
 * cut it per K.
 */
let treeCache: { key: string; tree: HcTree } | undefined;

function fingerprint(rows: Float64Array, n: number, d: number): string {
  const bits = new Uint32Array(rows.buffer, rows.byteOffset, rows.length * 2);
  let a = 0x811c9dc5;
  let b = 0x01000193;
  for (let t = 0; t < bits.length; t++) {
    a = Math.imul(a ^ bits[t], 0x01000193);
    b = Math.imul(b ^ bits[t], 0x5bd1e995) ^ (b >>> 15);
  }
  return `${n}x${d}:${a >>> 0}:${b >>> 0}`;
}

/**
 * Model-based agglomeration (hc.ts): the partition of mclust's VVV tree cut at
 * k. Above HC_MAX_ROWS rows the tree is built on an evenly spread subset
 * (every (n/HC_MAX_ROWS)-th row from a seeded offset, as mclust itself
 * subsets); the other rows start with no responsibility and are assigned by
 * the first E-step from the subset's parameters.
 */
function hcStart(ws: Workspace, rng: Random): void {
  const { n, d, k } = ws;
  // rows of weight 0 are not in the data; other weights do not enter the tree (mclust's hc has none)
  const weights = weightsOf(ws);
  const candidates = weights ? Array.from({ length: n }, (_, i) => i).filter((i) => weights[i] > 0) : undefined;
  const pool = candidates?.length ?? n;
  const m = Math.min(pool, HC_MAX_ROWS);
  const offset = m < pool ? rng.float() : 0;
  const picked = Array.from({ length: m }, (_, t) => {
    const at = Math.min(pool - 1, Math.floor(((t + offset) * pool) / m));
    return candidates ? candidates[at] : at;
  });
  const X = dataView(ws.x, n * d, ws.rowKernels.bytes);
  const rows = new Float64Array(m * d);
  picked.forEach((row, t) => rows.set(X.subarray(row * d, row * d + d), t * d));
  const key = fingerprint(rows, m, d);
  if (treeCache?.key !== key) treeCache = { key, tree: scoped(() => hcTree(rows, m, d)) };
  const labels = cutTree(treeCache.tree, k);
  const r = f64(ws.resp, n * k);
  r.fill(0);
  picked.forEach((row, t) => (r[row * k + labels[t]] = 1));
}

export const START_METHODS: Record<StartName, StartMethod> = {
  hc: hcStart,
  // scikit-learn's default: labels of one k-means run (k-means++ seeding, Lloyd to tol 1e-4)
  kmeans(ws, rng) {
    const { n, d, k } = ws;
    const labels = scoped(
      () =>
        kmeansOnLoaded(
          ws.x,
          n,
          d,
          k,
          { init: "k-means++", nInit: 1, maxIter: 300, tol: 1e-4 },
          new Random(rng.seed()),
          ws.rowKernels,
          ws.sampleWeight,
        ).labels,
    );
    fromLabels(ws, labels);
  },
  // the k-means++ seeds themselves, one row per component
  "k-means++"(ws, rng) {
    fromRows(
      ws,
      scoped(() => kmeansPlusPlus(ws.x, ws.n, ws.d, ws.k, rng, alloc(ws.k * ws.d), ws.rowKernels, ws.sampleWeight)),
    );
  },
  random_from_data(ws, rng) {
    fromRows(ws, chooseRows(ws.n, ws.k, rng, weightsOf(ws)));
  },
  // uniform random responsibilities, normalised per row
  random(ws, rng) {
    const { n, k } = ws;
    const resp = f64(ws.resp, n * k);
    for (let i = 0; i < n; i++) {
      let s = 0;
      for (let c = 0; c < k; c++) s += resp[i * k + c] = rng.float();
      for (let c = 0; c < k; c++) resp[i * k + c] /= s;
    }
  },
};
