// A slow, obviously right model-based agglomeration to check the kernel
// against: every step recomputes every pair's cost from the clusters' member
// rows (mean, scatter, trace, a Cholesky determinant in log space) and scans
// them all in mclust's packed order, keeping the last least one; the merged
// cluster goes to the lower slot and the last slot moves into the upper.

/** T(C) = m·log(det(W/m) + β(tr W + α)/m), det = 0 for m ≤ d, pairs, or W not positive definite. */
function term(z: Float64Array, d: number, members: number[], alpha: number, beta: number): number {
  const m = members.length;
  const mean = new Float64Array(d);
  for (const i of members) for (let k = 0; k < d; k++) mean[k] += z[i * d + k] / m;
  const w = new Float64Array(d * d);
  for (const i of members) {
    for (let a = 0; a < d; a++) {
      for (let b = 0; b < d; b++) w[a * d + b] += (z[i * d + a] - mean[a]) * (z[i * d + b] - mean[b]);
    }
  }
  let tr = 0;
  for (let k = 0; k < d; k++) tr += w[k * d + k];
  const logC = Math.log((beta * (tr + alpha)) / m);
  if (m <= d || m === 2) return m * logC;
  // Cholesky of W/m; log det = Σ log pivots
  const l = w.map((v) => v / m);
  let logDet = 0;
  for (let k = 0; k < d; k++) {
    let p = l[k * d + k];
    for (let j = 0; j < k; j++) p -= l[k * d + j] ** 2;
    if (!(p > 0)) return m * logC;
    logDet += Math.log(p);
    l[k * d + k] = Math.sqrt(p);
    for (let i = k + 1; i < d; i++) {
      let s = l[i * d + k];
      for (let j = 0; j < k; j++) s -= l[i * d + j] * l[k * d + j];
      l[i * d + k] = s / l[k * d + k];
    }
  }
  const hi = Math.max(logDet, logC);
  return m * (hi + Math.log(Math.exp(logDet - hi) + Math.exp(logC - hi)));
}

/** Merges (smallest row of each cluster, ascending) as hcTree returns them. */
export function naiveHc(z: Float64Array, n: number, d: number, alpha: number, beta = 1): Int32Array {
  const slots: number[][] = Array.from({ length: n }, (_, i) => [i]);
  const terms = slots.map((c) => term(z, d, c, alpha, beta));
  const merges = new Int32Array(2 * (n - 1));
  for (let step = 0; step < n - 1; step++) {
    let best = Infinity;
    let bi = 0;
    let bj = 1;
    let bestTerm = 0;
    for (let j = 1; j < slots.length; j++) {
      for (let i = 0; i < j; i++) {
        const t = term(z, d, [...slots[i], ...slots[j]], alpha, beta);
        const cost = t - terms[i] - terms[j];
        if (cost <= best) {
          best = cost;
          bi = i;
          bj = j;
          bestTerm = t;
        }
      }
    }
    const ri = Math.min(...slots[bi]);
    const rj = Math.min(...slots[bj]);
    merges[2 * step] = Math.min(ri, rj);
    merges[2 * step + 1] = Math.max(ri, rj);
    slots[bi] = [...slots[bi], ...slots[bj]];
    terms[bi] = bestTerm;
    const last = slots.length - 1;
    slots[bj] = slots[last];
    terms[bj] = terms[last];
    slots.pop();
    terms.pop();
  }
  return merges;
}

/** α as hcTree sets it: the rows' total scatter over n·d (at least 2⁻⁵²). */
export function mclustAlpha(z: Float64Array, n: number, d: number): number {
  let ss = 0;
  for (let k = 0; k < d; k++) {
    let m = 0;
    for (let i = 0; i < n; i++) m += z[i * d + k] / n;
    for (let i = 0; i < n; i++) ss += (z[i * d + k] - m) ** 2;
  }
  return Math.max(ss / (n * d), 2 ** -52);
}
