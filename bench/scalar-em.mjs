// The no-SIMD baseline: the same EM as gmm-wasm (precision Cholesky factors,
// log-space E-step, centred two-pass scatter, scikit-learn's reg_covar and
// 10ε floor on N_k), written as plain JavaScript over Float64Arrays and run by
// the JavaScript engine's JIT. Reasonably tuned (flat typed arrays, no
// allocation in the loop), but one value at a time.

const LOG_2PI = Math.log(2 * Math.PI);
const NK_FLOOR = 10 * Number.EPSILON;

/** In-place lower Cholesky of a d×d row-major matrix; returns false if not positive definite. */
function cholesky(a, o, d) {
  for (let j = 0; j < d; j++) {
    let s = a[o + j * d + j];
    for (let l = 0; l < j; l++) s -= a[o + j * d + l] * a[o + j * d + l];
    if (!(s > 0)) return false;
    const ljj = Math.sqrt(s);
    a[o + j * d + j] = ljj;
    for (let i = j + 1; i < d; i++) {
      let t = a[o + i * d + j];
      for (let l = 0; l < j; l++) t -= a[o + i * d + l] * a[o + j * d + l];
      a[o + i * d + j] = t / ljj;
    }
  }
  for (let i = 0; i < d; i++) for (let j = i + 1; j < d; j++) a[o + i * d + j] = 0;
  return true;
}

/** W = L⁻¹ (lower triangular) into w at offset o. */
function invertLower(l, w, o, d) {
  for (let t = 0; t < d * d; t++) w[o + t] = 0;
  for (let i = 0; i < d; i++) {
    for (let j = 0; j <= i; j++) {
      let s = i === j ? 1 : 0;
      for (let m = j; m < i; m++) s -= l[i * d + m] * w[o + m * d + j];
      w[o + i * d + j] = s / l[i * d + i];
    }
  }
}

/**
 * Runs `iterations` EM steps from the given start (scikit-learn's shapes).
 * Returns the lower bound per iteration, the final means and per-iteration
 * wall-clock times (ms).
 */
export function scalarEm(X, n, d, k, covarianceType, start, iterations, reg = 1e-6) {
  const full = covarianceType === "full" || covarianceType === "tied";
  const tied = covarianceType === "tied";
  const spherical = covarianceType === "spherical";
  const blocks = tied ? 1 : k;
  const weights = Float64Array.from(start.weights);
  const means = Float64Array.from(start.means.flat());
  const logW = new Float64Array(k);
  const logDet = new Float64Array(k);
  const resp = new Float64Array(n * k);
  const nk = new Float64Array(k);
  const diff = new Float64Array(d);
  // full/tied: W (lower) per block; diag: 1/σ per (c, j); spherical: 1/σ per c
  const factor = new Float64Array(full ? blocks * d * d : spherical ? k : k * d);
  const cov = new Float64Array(full ? blocks * d * d : k * d);
  const tmp = new Float64Array(d * d);

  // precision → factor: W with P = WᵀW. Covariance Σ = P⁻¹ = L Lᵀ gives W = L⁻¹.
  if (full) {
    const p = start.precisions.flat(2);
    for (let b = 0; b < blocks; b++) {
      // Σ by solving P Σ = I through the Cholesky of P (set-up only)
      const pc = Float64Array.from(p.slice(b * d * d, (b + 1) * d * d));
      if (!cholesky(pc, 0, d)) throw new Error("precisions not positive definite");
      // Σ = (G Gᵀ)⁻¹ = G⁻ᵀ G⁻¹
      const gi = new Float64Array(d * d);
      invertLower(pc, gi, 0, d);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let s = 0;
          for (let m = Math.max(i, j); m < d; m++) s += gi[m * d + i] * gi[m * d + j];
          tmp[i * d + j] = s;
        }
      cholesky(tmp, 0, d);
      invertLower(tmp, factor, b * d * d, d);
    }
  } else {
    const p = start.precisions.flat();
    for (let t = 0; t < factor.length; t++) factor[t] = Math.sqrt(p[t]);
  }

  const setLogDets = () => {
    for (let c = 0; c < k; c++) {
      let s = 0;
      if (full) {
        const o = (tied ? 0 : c) * d * d;
        for (let j = 0; j < d; j++) s += Math.log(factor[o + j * d + j]);
      } else if (spherical) s = d * Math.log(factor[c]);
      else for (let j = 0; j < d; j++) s += Math.log(factor[c * d + j]);
      logDet[c] = s;
      logW[c] = Math.log(weights[c]);
    }
  };
  setLogDets();

  const bounds = [];
  const times = [];
  const constant = -0.5 * d * LOG_2PI;
  for (let it = 0; it < iterations; it++) {
    const t0 = performance.now();
    // E-step
    let total = 0;
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      const ro = i * k;
      let mx = -Infinity;
      for (let c = 0; c < k; c++) {
        const mo = c * d;
        let m = 0;
        if (full) {
          const wo = (tied ? 0 : c) * d * d;
          for (let j = 0; j < d; j++) diff[j] = X[xo + j] - means[mo + j];
          for (let j = 0; j < d; j++) {
            let s = 0;
            const r = wo + j * d;
            for (let l = 0; l <= j; l++) s += factor[r + l] * diff[l];
            m += s * s;
          }
        } else if (spherical) {
          for (let j = 0; j < d; j++) {
            const t = X[xo + j] - means[mo + j];
            m += t * t;
          }
          m *= factor[c] * factor[c];
        } else {
          for (let j = 0; j < d; j++) {
            const t = (X[xo + j] - means[mo + j]) * factor[mo + j];
            m += t * t;
          }
        }
        const v = constant + logDet[c] + logW[c] - 0.5 * m;
        resp[ro + c] = v;
        if (v > mx) mx = v;
      }
      let s = 0;
      for (let c = 0; c < k; c++) s += Math.exp(resp[ro + c] - mx);
      const lse = mx + Math.log(s);
      total += lse;
      for (let c = 0; c < k; c++) resp[ro + c] = Math.exp(resp[ro + c] - lse);
    }
    bounds.push(total / n);

    // M-step: N_k and means
    nk.fill(0);
    means.fill(0);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        nk[c] += r;
        const mo = c * d;
        for (let j = 0; j < d; j++) means[mo + j] += r * X[xo + j];
      }
    }
    let sum = 0;
    for (let c = 0; c < k; c++) {
      nk[c] += NK_FLOOR;
      sum += nk[c];
      for (let j = 0; j < d; j++) means[c * d + j] /= nk[c];
    }
    for (let c = 0; c < k; c++) weights[c] = nk[c] / sum;

    // covariances, centred
    cov.fill(0);
    for (let i = 0; i < n; i++) {
      const xo = i * d;
      for (let c = 0; c < k; c++) {
        const r = resp[i * k + c];
        const mo = c * d;
        if (full) {
          const so = (tied ? 0 : c) * d * d;
          for (let j = 0; j < d; j++) diff[j] = X[xo + j] - means[mo + j];
          for (let a = 0; a < d; a++) {
            const ra = r * diff[a];
            const o = so + a * d;
            for (let b = 0; b <= a; b++) cov[o + b] += ra * diff[b];
          }
        } else {
          for (let j = 0; j < d; j++) {
            const t = X[xo + j] - means[mo + j];
            cov[mo + j] += r * t * t;
          }
        }
      }
    }
    if (full) {
      for (let b = 0; b < blocks; b++) {
        const inv = 1 / (tied ? sum : nk[b]);
        const o = b * d * d;
        for (let a = 0; a < d; a++) {
          for (let c = 0; c <= a; c++) {
            const v = cov[o + a * d + c] * inv;
            cov[o + a * d + c] = v;
            cov[o + c * d + a] = v;
          }
          cov[o + a * d + a] += reg;
        }
        tmp.set(cov.subarray(o, o + d * d));
        if (!cholesky(tmp, 0, d)) throw new Error(`covariance ${b} not positive definite`);
        invertLower(tmp, factor, o, d);
      }
    } else {
      for (let c = 0; c < k; c++) {
        let s = 0;
        for (let j = 0; j < d; j++) {
          const v = cov[c * d + j] / nk[c] + reg;
          cov[c * d + j] = v;
          s += v;
        }
        if (spherical) factor[c] = 1 / Math.sqrt(s / d);
        else for (let j = 0; j < d; j++) factor[c * d + j] = 1 / Math.sqrt(cov[c * d + j]);
      }
    }
    setLogDets();
    times.push(performance.now() - t0);
  }
  return { bounds, means, times };
}
