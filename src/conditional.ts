// Marginals and conditionals of a Gaussian mixture, on plain arrays in
// scikit-learn's layout (weights k, means k×d, covariances full k×d×d, tied
// d×d, diag k×d, spherical k). No WebAssembly here: GaussianMixture builds
// models from what these functions return (through fromJSON) and supplies
// the component weights given the conditioning values, which need a log and
// an exp: those come from the marginal model's E-step in WebAssembly, so
// every engine gives the same bits (JavaScript's Math.exp and Math.log may
// differ in the last place between engines). Everything here is + − × ÷ and
// √, which IEEE 754 rounds the same everywhere.
//
// The maths, for one component with mean μ and covariance Σ, given features
// g at values x and the other features r:
//   x_r | x_g ~ N(μ_r + Σ_rg Σ_gg⁻¹ (x_g − μ_g),  Σ_rr − Σ_rg Σ_gg⁻¹ Σ_gr).
// With Σ_gg = L Lᵀ (Cholesky) and Z = L⁻¹ Σ_gr, y = L⁻¹ (x_g − μ_g):
//   mean = μ_r + Zᵀ y,  covariance = Σ_rr − Zᵀ Z  (the Schur complement),
// two triangular solves and a product, never an inverse. The mixture's
// weights become p(component | x_g) ∝ w_c N(x_g; μ_c,g, Σ_c,gg).
import { type CovarianceFamily, FAMILIES } from "./covariance.js";
import { cholesky as choleskyInto } from "./dense.js";
import { describe, flatten, MAX_FIT_MAGNITUDE, nest } from "./matrix.js";
import type { GaussianMixtureJSON } from "./model-json.js";
import type { Dtype } from "./options.js";

/**
 * A mixture's parameters: weights and means as nested arrays, covariances_
 * flattened in the family's layout (full k×d×d, tied d×d, diag k×d,
 * spherical k); the family reads and slices them.
 */
export interface MixtureArrays {
  family: CovarianceFamily;
  weights: number[];
  means: number[][];
  covariances: Float64Array;
}

export function mixtureArrays(json: GaussianMixtureJSON): MixtureArrays {
  const family = FAMILIES[json.covariance_type];
  const k = json.weights_.length;
  const d = json.means_[0].length;
  return {
    family,
    weights: json.weights_,
    means: json.means_,
    covariances: flatten(json.covariances_, family.shape(k, d), "covariances_"),
  };
}

function readList(v: unknown, name: string): unknown[] {
  if (Array.isArray(v)) return v.slice();
  if (ArrayBuffer.isView(v) && !(v instanceof DataView)) return Array.from(v as unknown as ArrayLike<number>);
  throw new TypeError(`${name} must be an array; got ${describe(v)}`);
}

/**
 * Checks a list of feature indices (read once): integers 0 … d−1, none
 * repeated, at least one. Returns a copy in the order given.
 */
export function checkFeatures(features: unknown, d: number, name = "features"): number[] {
  const list = readList(features, name);
  if (list.length === 0) throw new RangeError(`${name} is empty: give at least one feature index (0 … ${d - 1})`);
  // a longer list must repeat an index; say so before reading it all
  if (list.length > d)
    throw new RangeError(
      `${name} has ${list.length} entries but the model has ${d} features: each index may appear once`,
    );
  const seen = new Map<number, number>();
  list.forEach((f, i) => {
    if (typeof f !== "number" || !Number.isInteger(f)) {
      throw new TypeError(
        `${name}[${i}] is ${describe(f)}; feature indices are integers 0 … ${d - 1} (columns of the data the model was fitted on)`,
      );
    }
    if (f < 0 || f >= d)
      throw new RangeError(`${name}[${i}] is ${f}, outside 0 … ${d - 1}: the model has ${d} features`);
    const first = seen.get(f);
    if (first !== undefined)
      throw new RangeError(
        `${name}[${i}] repeats feature ${f} (already ${name}[${first}]); each feature may appear once`,
      );
    seen.set(f, i);
  });
  return list as number[];
}

/**
 * The conditioning features (in the order given) and the others, in
 * increasing order: the columns of a conditional model.
 */
export function splitFeatures(features: unknown, d: number, name = "features"): { given: number[]; rest: number[] } {
  const given = checkFeatures(features, d, name);
  if (given.length === d) {
    throw new RangeError(
      `${name} lists all ${d} features: nothing is left to condition; leave out the features you want the distribution of`,
    );
  }
  const isGiven = new Set(given);
  const rest: number[] = [];
  for (let j = 0; j < d; j++) if (!isGiven.has(j)) rest.push(j);
  return { given, rest };
}

/** The values of the given features: `length` finite numbers. */
export function checkValues(values: unknown, length: number, name = "values"): Float64Array {
  const list = readList(values, name);
  if (list.length !== length) {
    throw new RangeError(
      `${name} has ${list.length} entries but features lists ${length}: give one value per feature, in the same order`,
    );
  }
  const out = new Float64Array(length);
  list.forEach((v, i) => {
    if (typeof v !== "number") throw new TypeError(`${name}[${i}] is ${describe(v)}; expected a number`);
    if (!Number.isFinite(v)) throw new RangeError(`${name}[${i}] is ${v}; condition on finite values only`);
    out[i] = v;
  });
  return out;
}

/** Covariance entry (i, j) of component c, whatever the layout. */
function covarianceAt(m: MixtureArrays, c: number, i: number, j: number): number {
  return m.family.covarianceEntry(m.covariances, m.means[0].length, c, i, j);
}

/** The mixture over `features` (in that order): exact, weights unchanged, means and covariances sliced. */
export function marginalArrays(m: MixtureArrays, features: readonly number[]): MixtureArrays {
  const k = m.weights.length;
  return {
    family: m.family,
    weights: m.weights.slice(),
    means: m.means.map((row) => features.map((f) => row[f])),
    covariances: m.family.marginalCovariances(m.covariances, k, m.means[0].length, features),
  };
}

/** Lower Cholesky factor of the g×g row-major block a, or undefined at a pivot that is not positive. */
function cholesky(a: Float64Array, g: number): Float64Array | undefined {
  const l = new Float64Array(g * g);
  return choleskyInto(a, 0, g, l) < 0 ? l : undefined;
}

/** Solves L y = b in place (L lower triangular g×g); b holds `columns` right-hand sides side by side (row-major g×columns). */
function forwardSolve(l: Float64Array, g: number, b: Float64Array, columns: number): void {
  for (let col = 0; col < columns; col++) {
    for (let i = 0; i < g; i++) {
      let v = b[i * columns + col];
      for (let t = 0; t < i; t++) v -= l[i * g + t] * b[t * columns + col];
      b[i * columns + col] = v / l[i * g + i];
    }
  }
}

/**
 * What conditioning on the features `given` needs, per covariance block
 * (the family's conditioningBlocks: k for full, one for tied, none for diag
 * and spherical, whose components make the features independent): the
 * Cholesky factor L of Σ_gg, Z = L⁻¹ Σ_gr, and the conditional covariances
 * in the family's layout over `rest`.
 */
export interface Conditioner {
  given: number[];
  rest: number[];
  blocks: { l: Float64Array; z: Float64Array }[];
  covariances: Float64Array;
}

export function conditioner(m: MixtureArrays, given: readonly number[], rest: readonly number[]): Conditioner {
  const g = given.length;
  const r = rest.length;
  const k = m.weights.length;
  const count = m.family.conditioningBlocks(k);
  if (count === 0) {
    // Within a component the features are independent: the conditional is the marginal.
    return { given: given.slice(), rest: rest.slice(), blocks: [], covariances: marginalArrays(m, rest).covariances };
  }
  const d = m.means[0].length;
  const blocks: { l: Float64Array; z: Float64Array }[] = [];
  const schur = new Float64Array(count * r * r);
  for (let c = 0; c < count; c++) {
    const a = new Float64Array(g * g);
    for (let i = 0; i < g; i++) for (let j = 0; j < g; j++) a[i * g + j] = covarianceAt(m, c, given[i], given[j]);
    const l = cholesky(a, g);
    const who = m.family.blockName(c * d, d);
    if (!l)
      throw new RangeError(
        `${who} restricted to the given features is not positive definite in floating point, so it cannot be conditioned on; leave out features that are (almost) linear combinations of the others`,
      );
    const z = new Float64Array(g * r);
    for (let i = 0; i < g; i++) for (let j = 0; j < r; j++) z[i * r + j] = covarianceAt(m, c, given[i], rest[j]);
    forwardSolve(l, g, z, r);
    // Lower triangle only, mirrored, so the result is exactly symmetric.
    const s = schur.subarray(c * r * r, (c + 1) * r * r);
    for (let i = 0; i < r; i++) {
      for (let j = 0; j <= i; j++) {
        let v = covarianceAt(m, c, rest[i], rest[j]);
        for (let t = 0; t < g; t++) v -= z[t * r + i] * z[t * r + j];
        s[i * r + j] = v;
        s[j * r + i] = v;
      }
    }
    // fromJSON factors it again; failing here first gives the reason instead of its generic refusal
    const check = cholesky(s, r);
    if (!check)
      throw new RangeError(
        `${who} conditioned on the given features is not positive definite in floating point: the other features are (almost) determined by the given ones`,
      );
    blocks.push({ l, z });
  }
  return { given: given.slice(), rest: rest.slice(), blocks, covariances: schur };
}

/**
 * Each component's conditional mean of the `rest` features given the values
 * x (row `row` of a row-major n×g array), into out (k×r, row-major).
 */
export function conditionalMeans(
  m: MixtureArrays,
  cond: Conditioner,
  x: ArrayLike<number>,
  row: number,
  out: Float64Array,
): void {
  const { given, rest, blocks } = cond;
  const g = given.length;
  const r = rest.length;
  const y = new Float64Array(g);
  m.means.forEach((mu, c) => {
    for (let j = 0; j < r; j++) out[c * r + j] = mu[rest[j]];
    if (blocks.length === 0) return;
    const { l, z } = blocks[blocks.length === 1 ? 0 : c];
    for (let i = 0; i < g; i++) y[i] = x[row * g + i] - mu[given[i]];
    forwardSolve(l, g, y, 1);
    for (let j = 0; j < r; j++) {
      let v = out[c * r + j];
      for (let t = 0; t < g; t++) v += z[t * r + j] * y[t];
      out[c * r + j] = v;
    }
  });
}

/**
 * The conditional mixture of the `rest` features given values x of the
 * `given` ones; `weights` are p(component | x), computed by the caller.
 */
export function conditionalArrays(
  m: MixtureArrays,
  cond: Conditioner,
  x: Float64Array,
  weights: ArrayLike<number>,
): MixtureArrays {
  const k = m.weights.length;
  const r = cond.rest.length;
  const flat = new Float64Array(k * r);
  conditionalMeans(m, cond, x, 0, flat);
  const means = Array.from({ length: k }, (_, c) => Array.from(flat.subarray(c * r, (c + 1) * r)));
  flat.forEach((v, t) => {
    if (!(Math.abs(v) <= MAX_FIT_MAGNITUDE)) {
      throw new RangeError(
        `values give component ${Math.floor(t / r)} a conditional mean of ${v} for feature ${cond.rest[t % r]}, beyond the ±${MAX_FIT_MAGNITUDE} a model holds; condition on values nearer the data`,
      );
    }
  });
  return { family: m.family, weights: Array.from(weights), means, covariances: cond.covariances };
}

/**
 * GMM regression: for each of n rows of x (row-major n×g), Σ_c w_c(x) μ_c|x,
 * the mean of the `rest` features given the row; `weights` is n×k.
 */
export function regressionMeans(
  m: MixtureArrays,
  cond: Conditioner,
  x: ArrayLike<number>,
  n: number,
  weights: ArrayLike<number>,
): Float64Array {
  const k = m.weights.length;
  const r = cond.rest.length;
  const out = new Float64Array(n * r);
  const perComponent = new Float64Array(k * r);
  for (let i = 0; i < n; i++) {
    conditionalMeans(m, cond, x, i, perComponent);
    for (let c = 0; c < k; c++) {
      const w = weights[i * k + c];
      if (w === 0) continue;
      for (let j = 0; j < r; j++) out[i * r + j] += w * perComponent[c * r + j];
    }
  }
  return out;
}

/**
 * A model JSON for fromJSON from derived arrays: the source's fit options
 * (dtype may be overridden), its feature names picked by `features`, no
 * lower bound of its own (it was not fitted), the source fit's converged_
 * and n_iter_, and `nSamples` rows behind it (0: unknown, which turns off
 * the degeneracy check's effective-points rule).
 */
export function derivedJSON(
  source: GaussianMixtureJSON,
  arrays: MixtureArrays,
  features: readonly number[],
  { nSamples, dtype }: { nSamples: number; dtype?: Dtype },
): Record<string, unknown> {
  const k = arrays.weights.length;
  return {
    covariance_type: arrays.family.type,
    weights_: arrays.weights,
    means_: arrays.means,
    covariances_: nest(arrays.covariances, arrays.family.shape(k, features.length)),
    converged_: source.converged_,
    n_iter_: source.n_iter_,
    lower_bound_: null,
    n_samples_fit: nSamples,
    ...(source.feature_names_in_ ? { feature_names_in_: features.map((f) => source.feature_names_in_![f]) } : {}),
    params: { ...source.params, ...(dtype ? { dtype } : {}) },
  };
}
