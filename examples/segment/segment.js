// The segmentation itself, shared by the page's Web Worker and by Node (the
// test runs the same function on the same pixels and must get the same bits).
// It takes the library as an argument, since a module Web Worker cannot use
// the page's import map: the worker passes /dist/index.js, Node "gmm-wasm".
//
// Features: each pixel's R, G, B (0–255, sRGB values as stored, no
// conversion). K: given, or chosen by BIC (selectModel, full covariances,
// K = 2…8, its default initParams "auto" search) over a random sample of
// SAMPLE_SIZE pixels. Then one float32 fit on every pixel with that K,
// starting from k-means (scikit-learn's default start), full covariances,
// scikit-learn's other defaults (tol 1e-3, regCovar 1e-6, maxIter 100).

export const SAMPLE_SIZE = 3000;
export const K_RANGE = [2, 3, 4, 5, 6, 7, 8];

/**
 * `count` distinct pixel indices out of `n`, drawn with a 32-bit xorshift
 * generator (integer arithmetic only, so every runtime draws the same ones),
 * in ascending order.
 */
export function samplePixels(n, count, seed) {
  if (count >= n) return Int32Array.from({ length: n }, (_, i) => i);
  const order = Int32Array.from({ length: n }, (_, i) => i);
  let s = (seed ^ 0x9e3779b9) >>> 0 || 1;
  for (let i = 0; i < count; i++) {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    const j = i + (s % (n - i));
    const t = order[i];
    order[i] = order[j];
    order[j] = t;
  }
  return order.subarray(0, count).sort();
}

/** RGB bytes (3 per pixel, or RGBA with `stride` 4) as an n × 3 float32 matrix. */
export function pixelMatrix(bytes, stride = 3, indices) {
  const n = indices ? indices.length : bytes.length / stride;
  const data = new Float32Array(n * 3);
  for (let i = 0; i < n; i++) {
    const p = (indices ? indices[i] : i) * stride;
    data[3 * i] = bytes[p];
    data[3 * i + 1] = bytes[p + 1];
    data[3 * i + 2] = bytes[p + 2];
  }
  return { data, rows: n, cols: 3 };
}

/**
 * Segments an image's pixels.
 * @param lib the gmm-wasm module (initialised)
 * @param {Uint8Array|Uint8ClampedArray} bytes the pixels, `stride` bytes each (RGB or RGBA)
 * @param {{ k?: number | "bic", seed?: number, stride?: number,
 *   onSelect?: (info) => void, onIteration?: (info) => void }} options
 * @returns the fitted model, the BIC table (when K was chosen), and per pixel
 *   its component (`labels`) and log-density (`logDensity`)
 */
export function segment(lib, bytes, { k = "bic", seed = 0, stride = 3, onSelect, onIteration } = {}) {
  const X = pixelMatrix(bytes, stride);
  let selection;
  let nComponents = k;
  if (k === "bic") {
    const sample = pixelMatrix(bytes, stride, samplePixels(X.rows, SAMPLE_SIZE, seed));
    const t0 = performance.now();
    const result = lib.selectModel(sample, {
      nComponents: K_RANGE,
      covarianceTypes: ["full"],
      criterion: "bic",
      randomState: seed,
      fitOptions: { dtype: "float32" },
      onFit: onSelect,
    });
    selection = {
      ms: performance.now() - t0,
      sampleSize: sample.rows,
      table: result.table.map((r) => ({
        nComponents: r.nComponents,
        bic: r.bic,
        degenerate: r.degenerate,
        selected: r.selected,
      })),
    };
    nComponents = result.bestRow.nComponents;
  }
  const t0 = performance.now();
  const gmm = new lib.GaussianMixture({ nComponents, covarianceType: "full", dtype: "float32", randomState: seed });
  gmm.fit(X, { onIteration, featureNames: ["red", "green", "blue"] });
  const fitMs = performance.now() - t0;
  return { gmm, selection, fitMs, labels: gmm.predict(X), logDensity: gmm.scoreSamples(X) };
}

/** The q-quantile of `values` (linear interpolation between order statistics). */
function quantile(values, q) {
  const sorted = Float64Array.from(values).sort();
  const at = q * (sorted.length - 1);
  const lo = Math.floor(at);
  return sorted[lo] + (sorted[Math.min(lo + 1, sorted.length - 1)] - sorted[lo]) * (at - lo);
}

/** RGBA image of each pixel painted with its component's mean colour. */
export function segmentationImage(labels, means) {
  const colours = means.map((m) => m.map((v) => Math.min(255, Math.max(0, Math.round(v)))));
  const out = new Uint8ClampedArray(labels.length * 4);
  for (let i = 0; i < labels.length; i++) {
    const c = colours[labels[i]];
    out[4 * i] = c[0];
    out[4 * i + 1] = c[1];
    out[4 * i + 2] = c[2];
    out[4 * i + 3] = 255;
  }
  return out;
}

/**
 * RGBA "unusual pixels" map: black where the log-density is at or above its
 * median, rising through red and orange to pale yellow at the 0.1 % quantile
 * and below. Also returns the scale's ends.
 */
export function unusualImage(logDensity) {
  const typical = quantile(logDensity, 0.5);
  const rare = quantile(logDensity, 0.001);
  const out = new Uint8ClampedArray(logDensity.length * 4);
  const span = typical - rare || 1;
  for (let i = 0; i < logDensity.length; i++) {
    const t = Math.min(1, Math.max(0, (typical - logDensity[i]) / span));
    // black → red → orange → pale yellow
    out[4 * i] = Math.round(255 * Math.min(1, 2 * t));
    out[4 * i + 1] = Math.round(255 * Math.max(0, (t - 0.3) / 0.7));
    out[4 * i + 2] = Math.round(200 * Math.max(0, (t - 0.75) / 0.25));
    out[4 * i + 3] = 255;
  }
  return { rgba: out, typical, rare };
}
