// Model-based agglomerative hierarchical clustering as R mclust's
// `hc(X, modelName = "VVV", use = "SVD")` does it: Banfield & Raftery's
// classification likelihood for unconstrained (VVV) Gaussian clusters with
// Fraley's (1998) regularisation, agglomerated from singletons after
// mclust's scaled SVD transformation. The tree is built once per data set;
// `cutTree(tree, k)` reads off the partition into k clusters for any k, as
// mclust's `hclass` does, so a sweep over K reuses one tree.
//
// Determinism: the transformation here uses only + − × ÷ and √, which IEEE
// 754 defines to the bit, and every log is taken inside the WebAssembly
// kernel (`assembly/hc.ts`, AssemblyScript's own log), so the same rows give
// the same tree in every JavaScript engine. Equal costs are broken by
// mclust's rule (see `assembly/hc.ts`), which matters for duplicated rows:
// their pairs tie exactly.
import { alloc, allocFrom, f64, i32, scoped } from "./memory.js";
import { kernels } from "./wasm.js";

/**
 * The most rows `hcTree` accepts. The pairwise costs take 8·n(n−1)/2 bytes
 * (16 MB at 2000 rows; WebAssembly memory never shrinks, so that stays
 * reserved), the cluster scatters 8·n·d(d+1)/2 more (less than the costs
 * while d(d+1) < n), and at 2000 rows a tree takes 0.12–0.22 s on one core
 * for d = 2, 4, 13 (`bench/hc.mjs`), growing faster than n²: 4000 rows
 * measured 0.9 s and 61 MB. 2000 is also mclust's own cap
 * (`mclust.options("subset")`): above it `Mclust` runs hc on a random subset
 * of 2000 rows. Callers with more rows should do the same: build the tree on
 * a seeded, evenly spread subset of HC_MAX_ROWS rows and label the other rows
 * from the parameters of that subset's partition (one M-step on the subset,
 * then an E-step over all rows).
 */
export const HC_MAX_ROWS = 2000;

/** A merge tree: what mclust's `hc()` returns, 0-based. */
export interface HcTree {
  /** Rows clustered. */
  readonly n: number;
  /**
   * n − 1 merges, in order: merge m joins the two clusters whose smallest row
   * indices are merges[2m] < merges[2m+1] (mclust's merge matrix, transposed
   * and minus 1).
   */
  readonly merges: Int32Array;
  /** The increase of the criterion Σ T at each merge (may be negative). */
  readonly costs: Float64Array;
}

export interface HcOptions {
  /**
   * Variables clustered: "SVD" (default, mclust's `hcUse` default): the
   * scaled SVD transformation of the standardised data (see `scaledSvd`);
   * "VARS": the data as given.
   */
  use?: "SVD" | "VARS";
  /** Multiplies α, the regularising variance (mclust's hcVVV `alpha`, default 1). */
  alpha?: number;
  /** β, the weight of the trace term (mclust's hcVVV `beta`, default 1). */
  beta?: number;
}

/**
 * Agglomerates the n rows of x (row-major n × d) from singletons into one
 * cluster, each step merging the two clusters whose union costs the least
 * classification likelihood under the VVV model. A cluster of m points with
 * scatter W costs m·log(det(W/m) + β(tr W + α)/m), det counted as 0 while
 * m ≤ d (so singletons and small clusters are well defined); α is `alpha`
 * times the trace of the (transformed) rows' scatter over n·d, the mean
 * variance per coordinate (at least 2⁻⁵², as mclust).
 * With `use: "SVD"` columns that are constant are dropped first (their
 * standardised values would be 0/0; mclust drops them too).
 *
 * @example
 * const tree = hcTree(new Float64Array([0, 0, 0, 1, 5, 5, 5, 6]), 4, 2);
 * cutTree(tree, 2); // Int32Array [0, 0, 1, 1]
 */
export function hcTree(x: Float64Array, n: number, d: number, options: HcOptions = {}): HcTree {
  checkShape(x, n, d);
  const use = options.use ?? "SVD";
  if (use !== "SVD" && use !== "VARS")
    throw new RangeError(`hcTree: use must be "SVD" or "VARS"; got ${JSON.stringify(use)}`);
  const alphaScale = positive(options.alpha ?? 1, "alpha");
  const beta = positive(options.beta ?? 1, "beta");
  let { z, d: p } = use === "SVD" ? scaledSvd(x, n, d) : { z: Float64Array.from(x), d };
  if (p === 0) {
    // nothing varies: one zero column, so every point coincides
    z = new Float64Array(n);
    p = 1;
  }
  if (n < 2) return { n, merges: new Int32Array(0), costs: new Float64Array(0) };
  const alpha = Math.max((alphaScale * totalVariance(z, n, p)) / p, 2 ** -52);
  const wasm = kernels();
  return scoped(() => {
    const zp = allocFrom(z, "hc rows");
    const cost = alloc((n * (n - 1)) / 2, 8, "hc pairwise costs");
    const scatter = alloc((n * p * (p + 1)) / 2, 8, "hc cluster scatters");
    const slotF64 = alloc(3 * n, 8);
    const slotI32 = alloc(3 * n, 4);
    const flags = alloc(n, 1);
    const work = alloc(p * p + p, 8);
    const merges = alloc(2 * (n - 1), 4);
    const costs = alloc(n - 1, 8);
    wasm.hcAgglomerate(zp, n, p, alpha, beta, cost, scatter, slotF64, slotI32, flags, work, merges, costs);
    return { n, merges: i32(merges, 2 * (n - 1)).slice(), costs: f64(costs, n - 1).slice() };
  });
}

/**
 * The partition into k clusters: the tree with its last k − 1 merges undone
 * (mclust's `hclass(tree, k)`). Labels are 0 … k−1 numbered in order of
 * first appearance: row 0 is in cluster 0, the first row outside it in
 * cluster 1, and so on (mclust's numbering, minus 1). The partitions are
 * nested: each cluster for k lies inside one cluster for k − 1.
 *
 * @example
 * const labels = cutTree(tree, 3); // Int32Array of tree.n labels in 0 … 2
 */
export function cutTree(tree: HcTree, k: number): Int32Array {
  const n = tree.n;
  if (!Number.isInteger(k) || k < 1 || k > n) {
    throw new RangeError(`cutTree: k must be an integer from 1 to the tree's ${n} rows; got ${String(k)}`);
  }
  // Each cluster's root is its smallest row, so a merge links its larger
  // representative under its smaller one.
  const parent = new Int32Array(n);
  for (let i = 0; i < n; i++) parent[i] = i;
  for (let m = 0; m < n - k; m++) parent[tree.merges[2 * m + 1]] = tree.merges[2 * m];
  const root = (i: number): number => {
    let r = i;
    while (parent[r] !== r) r = parent[r];
    while (parent[i] !== r) {
      const next = parent[i];
      parent[i] = r;
      i = next;
    }
    return r;
  };
  const labelOf = new Int32Array(n).fill(-1);
  const labels = new Int32Array(n);
  let next = 0;
  for (let i = 0; i < n; i++) {
    const r = root(i);
    if (labelOf[r] < 0) labelOf[r] = next++;
    labels[i] = labelOf[r];
  }
  return labels;
}

const EPS = 2 ** -52;

/**
 * mclust's `hcUse = "SVD"` transformation: centre and scale each column to
 * unit standard deviation (n − 1 denominator), drop constant columns, and
 * with the thin SVD Xs = U·D·Vᵀ return Z = Xs·V·D^(−1/2) (= U·D^(1/2)),
 * columns in decreasing order of singular value. Singular values at or below
 * max(n, d)·2⁻⁵² of the largest (collinear columns) are dropped, where
 * mclust would divide by their square roots; at most min(n, d) are kept.
 * Column signs are arbitrary; the VVV criterion does not see them.
 *
 * Householder QR of Xs, then one-sided Jacobi (Hestenes) on R: both use only
 * + − × ÷ √, so the result is bit-identical across JavaScript engines.
 */
export function scaledSvd(x: Float64Array, n: number, d: number): { z: Float64Array; d: number } {
  checkShape(x, n, d);
  const cols: Float64Array[] = [];
  for (let j = 0; j < d; j++) {
    const x0 = x[j];
    let constant = true;
    for (let i = 1; i < n && constant; i++) constant = x[i * d + j] === x0;
    if (constant) continue;
    const c = new Float64Array(n);
    for (let i = 0; i < n; i++) c[i] = x[i * d + j];
    const m = mean(c);
    let ss = 0;
    for (let i = 0; i < n; i++) {
      const v = (c[i] -= m);
      ss += v * v;
    }
    const sd = Math.sqrt(ss / (n - 1));
    for (let i = 0; i < n; i++) c[i] /= sd;
    cols.push(c);
  }
  const q = cols.length;
  if (q === 0) return { z: new Float64Array(0), d: 0 };
  // Jacobi on R (q × q) when there are more rows than columns, on Xs otherwise
  const a =
    n > q
      ? qrR(
          cols.map((c) => Float64Array.from(c)),
          n,
        )
      : cols.map((c) => Float64Array.from(c));
  const v = cols.map((_, j) => {
    const e = new Float64Array(q);
    e[j] = 1;
    return e;
  });
  jacobi(a, v);
  const sigma = a.map((c) => Math.sqrt(dotSelf(c)));
  const order = sigma.map((_, j) => j).sort((i, j) => sigma[j] - sigma[i] || i - j);
  const floor = sigma[order[0]] * Math.max(n, q) * EPS;
  const keep = order.filter((j) => sigma[j] > floor).slice(0, Math.min(n, q));
  const p = keep.length;
  const z = new Float64Array(n * p);
  keep.forEach((k, col) => {
    const vk = v[k];
    const s = 1 / Math.sqrt(sigma[k]);
    for (let i = 0; i < n; i++) {
      let t = 0;
      for (let j = 0; j < q; j++) t += cols[j][i] * vk[j];
      z[i * p + col] = t * s;
    }
  });
  return { z, d: p };
}

/** Mean with one correction pass (the rounding error of the first sum). */
function mean(c: Float64Array): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i];
  const m = s / c.length;
  let r = 0;
  for (let i = 0; i < c.length; i++) r += c[i] - m;
  return m + r / c.length;
}

function dotSelf(c: Float64Array): number {
  let s = 0;
  for (let i = 0; i < c.length; i++) s += c[i] * c[i];
  return s;
}

/** Σ_j Σ_i (z_ij − z̄_j)² over the n × p rows. */
function totalVariance(z: Float64Array, n: number, p: number): number {
  let ss = 0;
  const c = new Float64Array(n);
  for (let j = 0; j < p; j++) {
    for (let i = 0; i < n; i++) c[i] = z[i * p + j];
    const m = mean(c);
    for (let i = 0; i < n; i++) ss += (c[i] - m) ** 2;
  }
  return ss / n;
}

/**
 * R of a Householder QR of the columns (each length n ≥ q; overwritten), as
 * q columns of length q.
 */
function qrR(cols: Float64Array[], n: number): Float64Array[] {
  const q = cols.length;
  for (let k = 0; k < q; k++) {
    const ck = cols[k];
    let norm = 0;
    for (let i = k; i < n; i++) norm += ck[i] * ck[i];
    norm = Math.sqrt(norm);
    if (norm === 0) continue;
    const alpha = ck[k] > 0 ? -norm : norm;
    ck[k] -= alpha; // ck[k..] is now the Householder vector v, vᵀv = 2·norm·(norm + |x_k|)
    const vv = 2 * norm * (norm + Math.abs(ck[k] + alpha));
    for (let j = k + 1; j < q; j++) {
      const cj = cols[j];
      let s = 0;
      for (let i = k; i < n; i++) s += ck[i] * cj[i];
      const f = (2 * s) / vv;
      for (let i = k; i < n; i++) cj[i] -= f * ck[i];
    }
    ck[k] = alpha;
  }
  return cols.map((c, j) => {
    const r = new Float64Array(q);
    for (let i = 0; i <= j; i++) r[i] = c[i];
    return r;
  });
}

/**
 * One-sided Jacobi: rotates pairs of columns of `a` (and of `v`, which
 * accumulates the rotations) until every pair is orthogonal to 2⁻⁵² of its
 * norms (Demmel & Veselić's stopping rule); then a·… = U·D column by column.
 */
function jacobi(a: Float64Array[], v: Float64Array[]): void {
  const q = a.length;
  for (let sweep = 0; sweep < 60; sweep++) {
    let rotated = false;
    for (let i = 0; i < q - 1; i++) {
      for (let j = i + 1; j < q; j++) {
        const ai = a[i];
        const aj = a[j];
        let aa = 0;
        let bb = 0;
        let ab = 0;
        for (let t = 0; t < ai.length; t++) {
          aa += ai[t] * ai[t];
          bb += aj[t] * aj[t];
          ab += ai[t] * aj[t];
        }
        if (!(Math.abs(ab) > EPS * Math.sqrt(aa * bb))) continue;
        rotated = true;
        const zeta = (bb - aa) / (2 * ab);
        const t =
          Math.abs(zeta) > 1e150 ? 0.5 / zeta : (zeta >= 0 ? 1 : -1) / (Math.abs(zeta) + Math.sqrt(1 + zeta * zeta));
        const cs = 1 / Math.sqrt(1 + t * t);
        const sn = cs * t;
        rotate(ai, aj, cs, sn);
        rotate(v[i], v[j], cs, sn);
      }
    }
    if (!rotated) return;
  }
}

function rotate(x: Float64Array, y: Float64Array, cs: number, sn: number): void {
  for (let t = 0; t < x.length; t++) {
    const u = x[t];
    const w = y[t];
    x[t] = cs * u - sn * w;
    y[t] = sn * u + cs * w;
  }
}

function checkShape(x: Float64Array, n: number, d: number): void {
  if (!(x instanceof Float64Array)) throw new TypeError("hcTree: x must be a Float64Array of n·d values, row-major");
  if (!Number.isInteger(n) || n < 1 || !Number.isInteger(d) || d < 1) {
    throw new RangeError(`hcTree: n and d must be integers ≥ 1; got n = ${String(n)}, d = ${String(d)}`);
  }
  if (x.length !== n * d) throw new RangeError(`hcTree: x has ${x.length} values, expected n·d = ${n}·${d} = ${n * d}`);
  if (n > HC_MAX_ROWS) {
    throw new RangeError(
      `hcTree: ${n} rows is more than HC_MAX_ROWS (${HC_MAX_ROWS}): the pairwise costs alone would take ${((4 * n * (n - 1)) / 2 ** 20).toFixed(0)} MB. Build the tree on a seeded, evenly spread subset of ${HC_MAX_ROWS} rows (mclust does the same).`,
    );
  }
  for (let t = 0; t < x.length; t++) {
    if (!Number.isFinite(x[t])) {
      throw new RangeError(
        `hcTree: x[${Math.floor(t / d)}][${t % d}] is ${x[t]}: every value must be a finite number; remove or impute missing and infinite values first`,
      );
    }
  }
}

function positive(v: number, name: string): number {
  if (typeof v !== "number" || !(v > 0) || !Number.isFinite(v))
    throw new RangeError(`hcTree: ${name} must be a finite number > 0; got ${String(v)}`);
  return v;
}
