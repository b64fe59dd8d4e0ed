// The agglomeration of src/hc.ts written in plain JavaScript, kept as the
// baseline the WebAssembly kernel (assembly/hc.ts) was measured against: the
// same algorithm step for step (packed cost triangle, column minima with
// stale lower bounds, mclust's slot moves and tie rule), with Math.log, whose
// last bits may differ between engines (which is why the library does not
// use it). Returns { merges, costs } as hcTree does.

export function agglomerateJs(z, n, d, alpha, beta) {
  const means = Float64Array.from(z);
  const ts = (d * (d + 1)) / 2;
  const scatter = new Float64Array(n * ts);
  const trace = new Float64Array(n);
  const term = new Float64Array(n).fill(Math.log(alpha * beta));
  const count = new Int32Array(n).fill(1);
  const rep = Int32Array.from({ length: n }, (_, i) => i);
  const cost = new Float64Array((n * (n - 1)) / 2);
  const colMin = new Float64Array(n);
  const colArg = new Int32Array(n);
  const colExact = new Uint8Array(n);
  const s = new Float64Array(d * d);
  const delta = new Float64Array(d);
  const merges = new Int32Array(2 * Math.max(n - 1, 0));
  const costs = new Float64Array(Math.max(n - 1, 0));
  const packed = (i, j) => (j * (j - 1)) / 2 + i;
  const tri = (i) => (i * (i + 1)) / 2;
  const TINY = 2 ** -56;
  let lastTrace = 0;
  let lastLogDet = 0; // log det(W/m) when scatterDet returns −1

  const scatterDet = (c, fab, oa, ob) => {
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) s[i * d + j] = c * delta[i] * delta[j];
    for (const o of [oa, ob]) {
      if (o < 0) continue;
      for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) s[i * d + j] += scatter[o + tri(i) + j];
    }
    let det = 1;
    for (let k = 0; k < d; k++) {
      let p = s[k * d + k];
      for (let m = 0; m < k; m++) p -= s[k * d + m] * s[k * d + m];
      if (!(p > 0)) return 0;
      const l = Math.sqrt(p);
      s[k * d + k] = l;
      det *= p / fab;
      const inv = 1 / l;
      for (let i = k + 1; i < d; i++) {
        let v = s[i * d + k];
        for (let m = 0; m < k; m++) v -= s[i * d + m] * s[k * d + m];
        s[i * d + k] = v * inv;
      }
    }
    if (det > 1e-300 && det < 1e300) return det;
    let logDet = 0;
    for (let k = 0; k < d; k++) logDet += Math.log((s[k * d + k] * s[k * d + k]) / fab);
    lastLogDet = logDet;
    return -1;
  };

  const pairCost = (a, b) => {
    const na = count[a],
      nb = count[b],
      nab = na + nb;
    const c = (na * nb) / nab;
    let dd = 0;
    for (let k = 0; k < d; k++) {
      const v = means[a * d + k] - means[b * d + k];
      dd += v * v;
    }
    const t = trace[a] + trace[b] + c * dd;
    lastTrace = t;
    const cc = (beta * (t + alpha)) / nab;
    let det = 0;
    if (nab > d && nab !== 2) {
      const q = t / (nab * d);
      let bound = 1;
      for (let k = 0; k < d; k++) bound *= q;
      if (bound >= cc * TINY) {
        for (let k = 0; k < d; k++) delta[k] = means[a * d + k] - means[b * d + k];
        det = scatterDet(c, nab, na > 1 ? a * ts : -1, nb > 1 ? b * ts : -1);
      }
    }
    let logT;
    if (det < 0) {
      const lc = Math.log(cc);
      const hi = Math.max(lc, lastLogDet),
        lo = Math.min(lc, lastLogDet);
      logT = hi + Math.log1p(Math.exp(lo - hi));
    } else logT = Math.log(cc + det);
    const v = nab * logT - term[a] - term[b];
    return Number.isNaN(v) ? Infinity : v;
  };

  const rescan = (j) => {
    const o = packed(0, j);
    let best = Infinity,
      arg = 0;
    for (let i = 0; i < j; i++)
      if (cost[o + i] <= best) {
        best = cost[o + i];
        arg = i;
      }
    colMin[j] = best;
    colArg[j] = arg;
    colExact[j] = 1;
  };
  const changed = (i, j, v) => {
    const m = colMin[j];
    if (colExact[j] && colArg[j] === i) {
      if (v <= m) colMin[j] = v;
      else colExact[j] = 0;
    } else if (v < m) {
      colMin[j] = v;
      colArg[j] = i;
      colExact[j] = 1;
    } else if (v === m && colExact[j] && i > colArg[j]) colArg[j] = i;
  };

  for (let j = 1; j < n; j++) {
    for (let i = 0; i < j; i++) cost[packed(i, j)] = pairCost(i, j);
    rescan(j);
  }
  let g = n;
  for (let step = 0; step < n - 1; step++) {
    let b = 1;
    for (;;) {
      let best = Infinity;
      for (let k = 1; k < g; k++)
        if (colMin[k] <= best) {
          best = colMin[k];
          b = k;
        }
      if (colExact[b]) break;
      rescan(b);
    }
    const a = colArg[b];
    const ra = rep[a],
      rb = rep[b],
      lo = Math.min(ra, rb);
    merges[2 * step] = lo;
    merges[2 * step + 1] = Math.max(ra, rb);
    costs[step] = cost[packed(a, b)];
    const na = count[a],
      nb = count[b],
      nab = na + nb;
    const merged = pairCost(a, b) + term[a] + term[b];
    const c = (na * nb) / nab;
    for (let k = 0; k < d; k++) delta[k] = means[a * d + k] - means[b * d + k];
    for (let i = 0; i < d; i++)
      for (let j = 0; j <= i; j++)
        scatter[a * ts + tri(i) + j] += scatter[b * ts + tri(i) + j] + c * delta[i] * delta[j];
    for (let k = 0; k < d; k++) means[a * d + k] = (na * means[a * d + k] + nb * means[b * d + k]) / nab;
    trace[a] = lastTrace;
    term[a] = merged;
    count[a] = nab;
    rep[a] = lo;
    const last = g - 1;
    if (b !== last) {
      means.copyWithin(b * d, last * d, last * d + d);
      scatter.copyWithin(b * ts, last * ts, last * ts + ts);
      trace[b] = trace[last];
      term[b] = term[last];
      count[b] = count[last];
      rep[b] = rep[last];
      cost.copyWithin(packed(0, b), packed(0, last), packed(0, last) + b);
      colMin[b] = colMin[last];
      colArg[b] = colArg[last];
      colExact[b] = colExact[last] && colArg[last] < b ? 1 : 0;
      for (let k = b + 1; k < last; k++) {
        const v = cost[packed(k, last)];
        cost[packed(b, k)] = v;
        changed(b, k, v);
      }
    }
    g = last;
    if (a > 0) {
      for (let k = 0; k < a; k++) cost[packed(k, a)] = pairCost(k, a);
      rescan(a);
    }
    for (let k = a + 1; k < g; k++) {
      const v = pairCost(a, k);
      cost[packed(a, k)] = v;
      changed(a, k, v);
    }
  }
  return { merges, costs };
}
