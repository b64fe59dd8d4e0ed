// Deterministic benchmark data and a shared EM start for every implementation.
//
// Data: K clusters with random means in a box and random full covariances
// (A·Aᵀ + 0.3·I), drawn with a seeded generator so every run and every
// implementation sees the same bits. Start: equal weights, means at the true
// centres shifted by a fraction of a standard deviation, and every precision
// equal to the inverse of the data's overall covariance (a broad start, so a
// peer that computes densities outside log space still has usable numbers).

/** splitmix32-seeded xoshiro128**: fast, reproducible uniform floats in [0, 1). */
export function rng(seed) {
  let s = seed >>> 0;
  const next32 = () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  let a = next32(),
    b = next32(),
    c = next32(),
    d = next32();
  const u32 = () => {
    const r = Math.imul(((Math.imul(b, 5) << 7) | (Math.imul(b, 5) >>> 25)) >>> 0, 9) >>> 0;
    const t = (b << 9) >>> 0;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = ((d << 11) | (d >>> 21)) >>> 0;
    return r;
  };
  const uniform = () => (u32() * 2 ** -32 + u32()) * 2 ** -32;
  let spare = NaN;
  const normal = () => {
    if (!Number.isNaN(spare)) {
      const v = spare;
      spare = NaN;
      return v;
    }
    let u = 0;
    while (u === 0) u = uniform();
    const r = Math.sqrt(-2 * Math.log(u));
    const th = 2 * Math.PI * uniform();
    spare = r * Math.sin(th);
    return r * Math.cos(th);
  };
  return { uniform, normal };
}

/** Inverse of a symmetric positive definite d×d matrix (Gauss–Jordan, fine for set-up). */
export function invertSpd(a, d) {
  const m = Float64Array.from(a);
  const inv = new Float64Array(d * d);
  for (let i = 0; i < d; i++) inv[i * d + i] = 1;
  for (let col = 0; col < d; col++) {
    let p = col;
    for (let r = col + 1; r < d; r++) if (Math.abs(m[r * d + col]) > Math.abs(m[p * d + col])) p = r;
    if (p !== col) {
      for (let j = 0; j < d; j++) {
        [m[p * d + j], m[col * d + j]] = [m[col * d + j], m[p * d + j]];
        [inv[p * d + j], inv[col * d + j]] = [inv[col * d + j], inv[p * d + j]];
      }
    }
    const piv = m[col * d + col];
    for (let j = 0; j < d; j++) {
      m[col * d + j] /= piv;
      inv[col * d + j] /= piv;
    }
    for (let r = 0; r < d; r++) {
      if (r === col) continue;
      const f = m[r * d + col];
      if (f === 0) continue;
      for (let j = 0; j < d; j++) {
        m[r * d + j] -= f * m[col * d + j];
        inv[r * d + j] -= f * inv[col * d + j];
      }
    }
  }
  // symmetrise exactly: scikit-learn and gmm-wasm both check symmetry
  for (let i = 0; i < d; i++)
    for (let j = 0; j < i; j++) {
      const v = 0.5 * (inv[i * d + j] + inv[j * d + i]);
      inv[i * d + j] = inv[j * d + i] = v;
    }
  return inv;
}

/**
 * n rows of d features from k clusters. Returns the data (row-major
 * Float64Array) and a start for `covarianceType` in scikit-learn's shapes.
 */
export function makeProblem({ n, d, k, covarianceType, seed = 1 }) {
  const r = rng(seed * 7919 + d * 131 + k);
  const centres = new Float64Array(k * d);
  for (let t = 0; t < k * d; t++) centres[t] = (r.uniform() - 0.5) * 16;
  const factors = [];
  for (let c = 0; c < k; c++) {
    const a = new Float64Array(d * d);
    for (let t = 0; t < d * d; t++) a[t] = r.normal() * (0.6 / Math.sqrt(d));
    factors.push(a);
  }
  const X = new Float64Array(n * d);
  const z = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const c = i % k;
    const a = factors[c];
    for (let j = 0; j < d; j++) z[j] = r.normal();
    for (let j = 0; j < d; j++) {
      // x = μ + A z + √0.3 z' : covariance A·Aᵀ + 0.3·I
      let s = centres[c * d + j] + Math.sqrt(0.3) * r.normal();
      for (let l = 0; l < d; l++) s += a[j * d + l] * z[l];
      X[i * d + j] = s;
    }
  }
  // overall mean and covariance
  const mean = new Float64Array(d);
  for (let i = 0; i < n; i++) for (let j = 0; j < d; j++) mean[j] += X[i * d + j];
  for (let j = 0; j < d; j++) mean[j] /= n;
  const cov = new Float64Array(d * d);
  const step = Math.max(1, Math.floor(n / 20000));
  let m = 0;
  for (let i = 0; i < n; i += step, m++) {
    for (let a = 0; a < d; a++) {
      const da = X[i * d + a] - mean[a];
      for (let b = 0; b <= a; b++) cov[a * d + b] += da * (X[i * d + b] - mean[b]);
    }
  }
  for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) cov[b * d + a] = cov[a * d + b] /= m;
  const prec = invertSpd(cov, d);

  const weights = new Array(k).fill(1 / k);
  const means = [];
  for (let c = 0; c < k; c++) {
    means.push(Array.from({ length: d }, (_, j) => centres[c * d + j] + 0.25 * Math.sqrt(cov[j * d + j]) * r.normal()));
  }
  const rowsOf = (flat) => Array.from({ length: d }, (_, i) => Array.from(flat.subarray(i * d, i * d + d)));
  let precisions;
  switch (covarianceType) {
    case "full":
      precisions = Array.from({ length: k }, () => rowsOf(prec));
      break;
    case "tied":
      precisions = rowsOf(prec);
      break;
    case "diag":
      precisions = Array.from({ length: k }, () => Array.from({ length: d }, (_, j) => 1 / cov[j * d + j]));
      break;
    case "spherical": {
      let v = 0;
      for (let j = 0; j < d; j++) v += cov[j * d + j];
      precisions = new Array(k).fill(d / v);
      break;
    }
    default:
      throw new Error(covarianceType);
  }
  // covariances of the start (for the peer that takes covariances)
  const covariances = Array.from({ length: k }, () => rowsOf(cov));
  return { X, n, d, k, covarianceType, start: { weights, means, precisions }, covariances };
}

/**
 * The broad random start (issue #19): equal weights, means at k distinct
 * rows drawn with a seeded generator, every precision 1/20·I (covariances
 * 20·I, wide next to the clusters, so every responsibility starts dense),
 * in scikit-learn's shapes for `covarianceType`. Unlike the start
 * makeProblem gives (means near the true centres), it favours no
 * implementation's sparsity shortcuts.
 */
export function broadStart(X, n, d, k, covarianceType, seed = 11) {
  const r = rng(seed * 7919 + d * 131 + k);
  const rows = new Set();
  while (rows.size < Math.min(k, n)) rows.add(Math.floor(r.uniform() * n));
  const means = [...rows].map((i) => Array.from(X.subarray(i * d, i * d + d)));
  const eye = () => Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 / 20 : 0)));
  let precisions;
  switch (covarianceType) {
    case "full":
      precisions = Array.from({ length: k }, eye);
      break;
    case "tied":
      precisions = eye();
      break;
    case "diag":
      precisions = Array.from({ length: k }, () => new Array(d).fill(1 / 20));
      break;
    case "spherical":
      precisions = new Array(k).fill(1 / 20);
      break;
    default:
      throw new Error(covarianceType);
  }
  return { weights: new Array(k).fill(1 / k), means, precisions };
}
