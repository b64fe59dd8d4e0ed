// Model-based agglomerative hierarchical clustering under the unconstrained
// (VVV) Gaussian model (Banfield & Raftery 1993), with the regularised
// criterion of Fraley (1998) that R mclust's hcVVV uses.
//
// A cluster C of m points with scatter W = Σ (x − x̄)(x − x̄)ᵀ costs
//   T(C) = m · log( det(W/m) + β (tr W + α)/m ),
// where det counts as 0 when m ≤ d (W is singular), for a pair of points (the
// trace form, as mclust has it even when d = 1) and when W is not
// numerically positive definite. α (the host passes mclust's: the total
// scatter tr W of all n rows over n·d, the mean variance per coordinate) and
// β make a singleton cost log αβ and keep small clusters finite. Each step merges the two clusters whose merge raises Σ T
// least, that is, loses the least classification likelihood.
//
// Clusters live in slots 0 … g−1. Merging slots a < b puts the merged cluster
// in a and moves the last slot into b, as mclust does, and among equal costs
// the pair (i, j), i < j, with the largest j and then the largest i wins: the
// last minimum in mclust's packed order. So the tree is mclust's whenever
// every comparison of costs comes out as in mclust's arithmetic, exact ties
// included (the pairs of duplicated rows all tie).
//
// Costs sit in a packed triangle, pair (i, j) at j(j−1)/2 + i, with each
// column's minimum over its rows. A merge recomputes the g − 1 costs of the
// merged cluster and moves the last slot's; a column whose minimum went up
// only keeps it as a lower bound ("stale") and is rescanned if it comes out
// least, so a step costs O(g) plus the few rescans it needs (mclust scans
// all g²/2 costs every step).
//
// Each cost takes one log, AssemblyScript's own (so every engine gives the
// same bits). det(W/m) is the product of the Cholesky pivots over m, formed
// only when it can matter: by AM–GM det(W/m) ≤ (tr W/(m d))^d, and when that
// bound is below 2⁻⁵⁶ of the trace term the sum's bits cannot change. After
// mclust's SVD scaling the trace term dominates as d grows: on the 13-D
// benchmark data this skips every determinant.
import { addr, ld, sqDist, st, sub } from "./vector-math";

@inline function packed(i: i32, j: i32): i32 {
  return ((j * (j - 1)) >> 1) + i;
}

/** Start of row i of a packed lower triangle. */
@inline function tri(i: i32): i32 {
  return (i * (i + 1)) >> 1;
}

@inline function ldi(p: usize, i: i32): i32 {
  return load<i32>(p + (<usize>i << 2));
}

@inline function sti(p: usize, i: i32, v: i32): void {
  store<i32>(p + (<usize>i << 2), v);
}

const TINY: f64 = 1.3877787807814457e-17; // 2⁻⁵⁶

// The merged trace of the last pairCost call (read back for the winning pair).
let lastTrace: f64 = 0.0;
// log det(W/m) when scatterDet returns −1 (the product left the safe range).
let lastLogDet: f64 = 0.0;

/**
 * T(a ∪ b) − T(a) − T(b), or +∞ for NaN (which never wins, as in mclust,
 * where NaN fails every ≤). Scratch: delta d values, s d·d.
 */
function pairCost(
  a: i32, b: i32, d: i32, alpha: f64, beta: f64,
  means: usize, scatter: usize, trace: usize, term: usize, count: usize,
  delta: usize, s: usize,
): f64 {
  const na = ldi(count, a);
  const nb = ldi(count, b);
  const nab = na + nb;
  const fab = <f64>nab;
  const c = (<f64>na * <f64>nb) / fab;
  const ma = addr(means, a * d);
  const mb = addr(means, b * d);
  const t = ld(trace, a) + ld(trace, b) + c * sqDist(ma, mb, d);
  lastTrace = t;
  const cc = (beta * (t + alpha)) / fab;
  let logT = 0.0;
  let det = 0.0;
  if (nab > d && nab != 2) {
    const q = t / (fab * <f64>d);
    let bound = 1.0;
    for (let k = 0; k < d; k++) bound *= q;
    if (bound >= cc * TINY) {
      sub(delta, ma, mb, d);
      const ts = tri(d);
      det = scatterDet(d, c, fab, na > 1 ? addr(scatter, a * ts) : 0, nb > 1 ? addr(scatter, b * ts) : 0, delta, s);
    }
  }
  if (det < 0.0) {
    // det(W/m) outside [1e-300, 1e300]: log(cc + det) from log det
    const lc = Math.log(cc);
    const hi = lc > lastLogDet ? lc : lastLogDet;
    const lo = lc > lastLogDet ? lastLogDet : lc;
    logT = hi + Math.log1p(Math.exp(lo - hi));
  } else {
    logT = Math.log(cc + det);
  }
  const cost = fab * logT - ld(term, a) - ld(term, b);
  return cost == cost ? cost : Infinity;
}

/**
 * det((W_a + W_b + c·δδᵀ)/m) by Cholesky of the d×d lower triangle built in
 * s; 0 when that is not positive definite; −1 (with lastLogDet set) when the
 * product of the pivots leaves [1e-300, 1e300]. A singleton's scatter is zero
 * and passed as the null pointer; scatters are packed lower triangles.
 */
function scatterDet(d: i32, c: f64, fab: f64, wa: usize, wb: usize, delta: usize, s: usize): f64 {
  for (let i = 0; i < d; i++) {
    const ci = c * ld(delta, i);
    const o = i * d;
    for (let j = 0; j <= i; j++) st(s, o + j, ci * ld(delta, j));
  }
  if (wa != 0) addPacked(s, wa, d);
  if (wb != 0) addPacked(s, wb, d);
  let det = 1.0;
  for (let k = 0; k < d; k++) {
    const rk = addr(s, k * d);
    let p = ld(rk, k);
    for (let m = 0; m < k; m++) p -= ld(rk, m) * ld(rk, m);
    // `!(p > 0)` also catches NaN
    if (!(p > 0.0)) return 0.0;
    const l = Math.sqrt(p);
    st(rk, k, l);
    det *= p / fab;
    const inv = 1.0 / l;
    for (let i = k + 1; i < d; i++) {
      const ri = addr(s, i * d);
      let v = ld(ri, k);
      for (let m = 0; m < k; m++) v -= ld(ri, m) * ld(rk, m);
      st(ri, k, v * inv);
    }
  }
  if (det > 1e-300 && det < 1e300) return det;
  let logDet = 0.0;
  for (let k = 0; k < d; k++) {
    const l = ld(s, k * d + k);
    logDet += Math.log((l * l) / fab);
  }
  lastLogDet = logDet;
  return -1.0;
}

/** s += w on the lower triangle of s (row-major d×d); w packed. */
@inline function addPacked(s: usize, w: usize, d: i32): void {
  for (let i = 0; i < d; i++) {
    const o = i * d;
    const r = tri(i);
    for (let j = 0; j <= i; j++) st(s, o + j, ld(s, o + j) + ld(w, r + j));
  }
}

/** Makes column j exact: its least cost over rows i < j, ties to the largest i. */
function rescan(cost: usize, colMin: usize, colArg: usize, colExact: usize, j: i32): void {
  const col = addr(cost, packed(0, j));
  let best = Infinity;
  let arg = 0;
  for (let i = 0; i < j; i++) {
    const v = ld(col, i);
    if (v <= best) { best = v; arg = i; }
  }
  st(colMin, j, best);
  sti(colArg, j, arg);
  store<u8>(colExact + <usize>j, 1);
}

/**
 * Entry (i, j) of the triangle became v: keep column j's invariant. An exact
 * column holds its minimum and the largest row attaining it; a stale one a
 * lower bound on all its entries.
 */
@inline function changed(colMin: usize, colArg: usize, colExact: usize, i: i32, j: i32, v: f64): void {
  const m = ld(colMin, j);
  const ex = colExact + <usize>j;
  const exact = load<u8>(ex) != 0;
  if (exact && ldi(colArg, j) == i) {
    if (v <= m) st(colMin, j, v);
    else store<u8>(ex, 0);
  } else if (v < m) {
    st(colMin, j, v);
    sti(colArg, j, i);
    store<u8>(ex, 1);
  } else if (v == m && exact && i > ldi(colArg, j)) {
    sti(colArg, j, i);
  }
}

/**
 * Agglomerates the n rows of z (n × d, row-major; overwritten: it becomes
 * the cluster means) into one cluster. For merge m = 0 … n−2 writes
 * merges[2m] < merges[2m+1], the smallest row index in each of the two
 * clusters joined, and costs[m], the increase of Σ T.
 *
 * Scratch: cost n(n−1)/2 values, scatter n·d(d+1)/2, slotF64 3n, slotI32 3n
 * (i32), flags n bytes, work d·d + d. Needs α > 0 and β > 0.
 */
export function hcAgglomerate(
  z: usize, n: i32, d: i32, alpha: f64, beta: f64,
  cost: usize, scatter: usize, slotF64: usize, slotI32: usize, flags: usize, work: usize,
  merges: usize, costs: usize,
): void {
  if (n < 2) return;
  const colMin = slotF64;
  const trace = addr(slotF64, n);
  const term = addr(slotF64, 2 * n);
  const colArg = slotI32;
  const count = slotI32 + (<usize>n << 2);
  const rep = slotI32 + (<usize>(2 * n) << 2);
  const colExact = flags;
  const s = work;
  const delta = addr(work, d * d);
  const ts = tri(d);
  const singleton = Math.log(alpha * beta);
  memory.fill(scatter, 0, (<usize>n * <usize>ts) << 3);
  for (let i = 0; i < n; i++) {
    st(trace, i, 0.0);
    st(term, i, singleton);
    sti(count, i, 1);
    sti(rep, i, i);
  }
  for (let j = 1; j < n; j++) {
    let best = Infinity;
    let arg = 0;
    const col = addr(cost, packed(0, j));
    for (let i = 0; i < j; i++) {
      const v = pairCost(i, j, d, alpha, beta, z, scatter, trace, term, count, delta, s);
      st(col, i, v);
      if (v <= best) { best = v; arg = i; }
    }
    st(colMin, j, best);
    sti(colArg, j, arg);
    store<u8>(colExact + <usize>j, 1);
  }

  let g = n;
  for (let step = 0; step < n - 1; step++) {
    // the last least cost in packed order: the largest column with the least
    // minimum, then (colArg) its largest row; a stale column that comes out
    // least is rescanned and the search repeated
    let b = 1;
    for (;;) {
      let best = Infinity;
      for (let k = 1; k < g; k++) {
        const v = ld(colMin, k);
        if (v <= best) { best = v; b = k; }
      }
      if (load<u8>(colExact + <usize>b) != 0) break;
      rescan(cost, colMin, colArg, colExact, b);
    }
    const a = ldi(colArg, b);
    const ra = ldi(rep, a);
    const rb = ldi(rep, b);
    const lo = ra < rb ? ra : rb;
    sti(merges, 2 * step, lo);
    sti(merges, 2 * step + 1, ra < rb ? rb : ra);
    st(costs, step, ld(cost, packed(a, b)));

    // the merged cluster into slot a
    const na = ldi(count, a);
    const nb = ldi(count, b);
    const nab = na + nb;
    const merged = pairCost(a, b, d, alpha, beta, z, scatter, trace, term, count, delta, s) + ld(term, a) + ld(term, b);
    const ma = addr(z, a * d);
    const mb = addr(z, b * d);
    const c = (<f64>na * <f64>nb) / <f64>nab;
    sub(delta, ma, mb, d);
    const wa = addr(scatter, a * ts);
    const wb = addr(scatter, b * ts);
    for (let i = 0; i < d; i++) {
      const ci = c * ld(delta, i);
      const r = tri(i);
      for (let j = 0; j <= i; j++) st(wa, r + j, ld(wa, r + j) + ld(wb, r + j) + ci * ld(delta, j));
    }
    const fa = <f64>na;
    const fb = <f64>nb;
    const fab = <f64>nab;
    for (let k = 0; k < d; k++) st(ma, k, (fa * ld(ma, k) + fb * ld(mb, k)) / fab);
    st(trace, a, lastTrace);
    st(term, a, merged);
    sti(count, a, nab);
    sti(rep, a, lo);

    // the last slot moves into b, and its costs: column last's rows below b
    // become column b, the others row b of the later columns
    const last = g - 1;
    if (b != last) {
      memory.copy(mb, addr(z, last * d), <usize>d << 3);
      memory.copy(wb, addr(scatter, last * ts), <usize>ts << 3);
      st(trace, b, ld(trace, last));
      st(term, b, ld(term, last));
      sti(count, b, ldi(count, last));
      sti(rep, b, ldi(rep, last));
      const lastCol = addr(cost, packed(0, last));
      memory.copy(addr(cost, packed(0, b)), lastCol, <usize>b << 3);
      // column last's minimum stays exact for column b if it lay below b,
      // and is a lower bound otherwise
      st(colMin, b, ld(colMin, last));
      sti(colArg, b, ldi(colArg, last));
      const exact = load<u8>(colExact + <usize>last) != 0 && ldi(colArg, last) < b;
      store<u8>(colExact + <usize>b, exact ? 1 : 0);
      for (let k = b + 1; k < last; k++) {
        const v = ld(lastCol, k);
        st(cost, packed(b, k), v);
        changed(colMin, colArg, colExact, b, k, v);
      }
    }
    g = last;

    // the merged cluster's costs: column a anew, row a of the later columns
    if (a > 0) {
      const col = addr(cost, packed(0, a));
      let best = Infinity;
      let arg = 0;
      for (let k = 0; k < a; k++) {
        const v = pairCost(k, a, d, alpha, beta, z, scatter, trace, term, count, delta, s);
        st(col, k, v);
        if (v <= best) { best = v; arg = k; }
      }
      st(colMin, a, best);
      sti(colArg, a, arg);
      store<u8>(colExact + <usize>a, 1);
    }
    for (let k = a + 1; k < g; k++) {
      const v = pairCost(a, k, d, alpha, beta, z, scatter, trace, term, count, delta, s);
      st(cost, packed(a, k), v);
      changed(colMin, colArg, colExact, a, k, v);
    }
  }
}
