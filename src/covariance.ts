// The four covariance families behind one small table of functions, so the
// EM driver never branches on the covariance type. Each entry knows its
// parameter layout (scikit-learn's shapes), its M-step estimator, how to
// factor a precision, and which log-density kernel to call.

import {
  asymmetry,
  cholesky,
  hasRelativeEigenvalueAtMost,
  invertLower,
  timesTranspose,
  transposeTimesLower,
} from "./dense.js";
import { describe, flatten } from "./matrix.js";
import { alloc, f64, scoped } from "./memory.js";
import { meanScale, meansFromSums, type Statistics } from "./statistics.js";
import type { DataKernels, Kernels } from "./wasm.js";

/**
 * How each component's covariance is parameterised, as scikit-learn's
 * `covariance_type`: "full" (its own d×d matrix), "tied" (one d×d matrix
 * shared by all), "diag" (its own diagonal) or "spherical" (its own σ²I).
 */
export type CovarianceType = "full" | "tied" | "diag" | "spherical";
export const COVARIANCE_TYPES: readonly CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** Pointers into WASM memory for one fit or scoring call. */
export interface Workspace {
  n: number;
  d: number;
  k: number;
  x: number; // n×d data, float64 or float32 (see xk)
  /** The kernels that read x, for its element type. */
  rowKernels: DataKernels;
  /** float32 rows are stored minus these column centres, and so are `means` (undefined: no shift). */
  shift?: Float64Array;
  /** float32 copies of the parameters for eStepF32 (k·d + factor + k values), or 0 for float64 data. */
  params32: number;
  resp: number; // n×k weighted log-densities, then responsibilities
  logProbNorm: number; // n per-row log-likelihoods (−∞ until an E-step: scatterFull reads them)
  /** n sample weights, or 0 when every row weighs 1. */
  sampleWeight: number;
  /** Σ of the sample weights (n when there are none). */
  sumWeights: number;
  weights: number; // k
  logWeights: number; // k
  nk: number; // k effective counts
  means: number; // k×d
  cov: number; // covariances, in the family's layout
  factor: number; // precision factors W (Σ⁻¹ = WᵀW), same layout
  logDet: number; // k values of log det W
  scratch: number; // d·d + d values
  /**
   * Tied: the rows' scatter about a centre m, Σ_i s_i (x_i − m)(x_i − m)ᵀ
   * (lower triangle; s_i the sample weights, or 1), which no parameter
   * changes: summed at the workspace's first M-step after an E-step
   * (withinFromKept) and kept on it, so it lives exactly as long as the rows
   * and weights it was summed from. Unset until then.
   */
  rowScatter?: { centre: Float64Array; scatter: Float64Array };
}

/** degenerate.ts's thresholds for `collapsed`. */
export interface CollapseRule {
  reg: number;
  epsilon: number;
  slack: number;
}

export interface CovarianceFamily {
  readonly type: CovarianceType;
  /** scikit-learn's shape of covariances_ and precisions_cholesky_. */
  shape(k: number, d: number): number[];
  /** Free parameters in the covariances (for BIC/AIC). */
  nCovParameters(k: number, d: number): number;
  /** Mixture components described by one covariance block (tied: all). */
  readonly shared: boolean;
  /** Our factor W is lower triangular; scikit-learn stores Wᵀ (full, tied). */
  readonly transposed: boolean;
  /** Values in the family's scatter layout (statistics.ts): k·d² (full), d² (tied), k·d (diag, spherical). */
  scatterSize(k: number, d: number): number;
  /**
   * Raw scatter of the workspace's rows about ws.means into `out`
   * (scatterSize values): Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ, lower triangles
   * (full), pooled over components (tied), or diagonals (diag, spherical).
   * `scored`: ws.resp comes from an E-step that scored every row, so each
   * row's responsibilities sum to its weight (1, or its sample weight);
   * tied then needs no pass over the rows (keptPooledScatter).
   */
  scatter(wasm: Kernels, ws: Workspace, out: number, scored?: boolean): void;
  /** scatter += weight·δδᵀ for component c, in the scatter layout (the merge's mean shift). */
  addOuter(scatter: Float64Array, d: number, c: number, weight: number, delta: Float64Array): void;
  /** The M-step's covariances into ws.cov from a scatter (ws.nk holding N_k + 10ε), with reg_covar. */
  covarianceFromScatter(wasm: Kernels, ws: Workspace, scatter: Float64Array, reg: number): void;
  /** W and log det from ws.cov; −1 or the flat index of a failing pivot/variance. */
  factorFromCovariance(wasm: Kernels, ws: Workspace): number;
  /** W and log det from precision matrices at `prec` (precisionsInit). */
  factorFromPrecision(wasm: Kernels, ws: Workspace, prec: number): number;
  /** log det from a W already in ws.factor. */
  logDetFromFactor(wasm: Kernels, ws: Workspace): void;
  /** Weighted log-densities of n rows at `x` into the n×k matrix `out`. */
  logProb(wasm: Kernels, ws: Workspace, x: number, n: number, out: number): void;
  /**
   * Optional fused E-step on the workspace's rows (logProb and the
   * normalisation in one pass over the data): fills ws.resp and
   * ws.logProbNorm as logProb + normalizeLogProb would; returns Σ logProbNorm.
   */
  eStep?(wasm: Kernels, ws: Workspace, writeResp: boolean): number;
  /**
   * Optional E-step that also returns the block's statistics (the fused
   * kernels sum them while each block of rows is in cache; float64, and
   * float32 too for diag and spherical): undefined where the family has no
   * such kernel for this d, k, element type and sample weights (nothing is
   * run then). Otherwise ws.resp and ws.logProbNorm are filled as by eStep
   * (unweighted: the caller weighs them, weighRows), and `statistics` is N_k,
   * Σ r·x and the scatter in the family's layout, weighted by the sample
   * weights if any, the scatter undefined where it would lose accuracy (the
   * caller then sums it from ws.resp about the new means).
   */
  eStepWithStatistics?(
    wasm: Kernels,
    ws: Workspace,
  ): { logLikelihood: number; statistics: FusedStatistics } | undefined;
  /** The E-step on float32 rows (eStep's contract). */
  eStepF32(wasm: Kernels, ws: Workspace, writeResp: boolean): number;
  /** Component named by a failing flat index from the factor functions. */
  component(index: number, d: number): number;
  /**
   * What sampleRows needs (lower Cholesky factors of the covariances, k·d·d,
   * or standard deviations, O(k·d)), allocated in the arena; −1 in `bad`
   * or the flat index of a covariance that is not positive definite.
   */
  samplingFactors(wasm: Kernels, ws: Workspace): { ptr: number; bad: number };
  /** `count` rows of component c from count·dPadded uniforms at u into `out`. */
  sampleRows(
    wasm: Kernels,
    ws: Workspace,
    factors: number,
    c: number,
    u: number,
    count: number,
    dPadded: number,
    out: number,
  ): void;
  /**
   * Each component's squared Mahalanobis distance of one row (in the
   * workspace's coordinates) in an overflow-free form: out[3c..3c+2] =
   * (s, m, t) with q_c = (s·m)²·t, t ∈ [1, d] (t = 0 when the row is at the mean).
   */
  scaledDistances(ws: Workspace, row: Float64Array, out: Float64Array): void;
  /** WebAssembly scratch values the family's kernels need (O(d²) only where a d×d factor is used). */
  scratchSize(d: number): number;
  /**
   * Split-and-merge moves (search.ts), on covariances_ in the family's layout:
   * component i becomes the moment-matched merge of i and j (shares a and b
   * of their weight, diff = μ_i − μ_j): Σ = aΣ_i + bΣ_j + ab·diff·diffᵀ,
   * projected on the family (tied: the shared covariance stays).
   */
  mergeCovariances(cov: Float64Array, d: number, i: number, j: number, a: number, b: number, diff: Float64Array): void;
  /**
   * Splits component c into c and `into`: returns the unit axis and the
   * variance λ along it (the halves' means go to μ ± ½√λ·axis) and writes the
   * halves' covariance Σ − ¼λ·axis·axisᵀ (projected on the family) into both
   * slots, so the pair keeps c's mean and covariance. `spread` is the per-axis
   * variance of c's rows, for families whose parameters do not show an axis.
   */
  splitCovariance(
    cov: Float64Array,
    d: number,
    c: number,
    into: number,
    spread: Float64Array,
  ): { axis: Float64Array; variance: number };

  // Layout conversions and checks in plain TypeScript (dense.ts), for model
  // JSON, given starts and degeneracy: no module needed.
  /** A message if the d×d blocks of covariances_ (or precisions, `name`) are not symmetric (full, tied; nothing to check for diag, spherical). */
  checkSymmetric(values: ArrayLike<number>, k: number, d: number, name: string, rel: number): string | undefined;
  /** Our factor W from covariances_, or the flat index of the first value whose block is not positive definite. */
  factorFromCovariances(cov: ArrayLike<number>, k: number, d: number): { factor: Float64Array; bad: number };
  /**
   * Our factor from scikit-learn's precisions_cholesky_: its fitted factor U
   * (upper triangular, W = Uᵀ) or the lower factor L of precisions_init it
   * keeps before the first M-step (P = L Lᵀ); a message when it is unusable.
   */
  factorFromSklearn(given: Float64Array, k: number, d: number, name: string): Float64Array | string;
  /** scikit-learn's precisions_cholesky_ from our factor. */
  sklearnFactor(factor: Float64Array, k: number, d: number): Float64Array;
  /** Σ⁻¹ in scikit-learn's layout from our factor. */
  precisions(factor: Float64Array, k: number, d: number): Float64Array;
  /** Σ = (WᵀW)⁻¹ in scikit-learn's layout (a start given as precisions). */
  covariancesFromFactor(factor: Float64Array, k: number, d: number): Float64Array;
  /**
   * First flat index where two factors differ by more than `rel` (relative to
   * the largest entry of the reference for triangular factors, to each entry
   * for diagonal ones), or −1.
   */
  factorsDisagree(a: ArrayLike<number>, reference: ArrayLike<number>, rel: number): number;
  /** Effective points one component's covariance needs to be estimated. */
  minPoints(d: number): number;
  /**
   * Covariance blocks (components; tied: the one shared block, reported as −1)
   * that keep almost none of the mixture's typical spread along some
   * direction: vᵀ(C − reg·I)v ≤ (epsilon + slack)·vᵀWv for some v, W the
   * pooled within-component covariance Σ w_c (C_c − reg·I) (any direction
   * for full and tied; the axes for diag; the mean axis for spherical).
   * `variance` and `ratio` (to W along the axis `feature`) when they are
   * known exactly (diag, spherical).
   */
  collapsed(
    params: { covariances: ArrayLike<number>; weights: ArrayLike<number> },
    k: number,
    d: number,
    rule: CollapseRule,
  ): { component: number; variance?: number; ratio?: number; feature?: number }[];
  /** How errors name the block holding a failing index: "component 2's covariance", "the shared (tied) covariance". */
  blockName(index: number, d: number): string;

  // Marginals and conditionals (conditional.ts), on covariances_ flattened in
  // the family's layout.
  /** Entry (i, j) of component c's covariance (0 off the diagonal for diag and spherical). */
  covarianceEntry(cov: ArrayLike<number>, d: number, c: number, i: number, j: number): number;
  /** covariances_ of the marginal over `features` (in that order), in the family's layout. */
  marginalCovariances(cov: ArrayLike<number>, k: number, d: number, features: readonly number[]): Float64Array;
  /**
   * Covariance blocks a conditional needs, each a dense matrix: k (full), 1
   * (tied), 0 (diag, spherical: a component's features are independent, so
   * its conditional is its marginal). Their conditionals, r×r each and
   * concatenated, are the conditional model's covariances_.
   */
  conditioningBlocks(k: number): number;

  /** The Bayesian mixture's prior on the precisions and its variational update (see PrecisionPrior). */
  readonly precisionPrior: PrecisionPrior;
}

/** Largest-eigenvalue axis of the symmetric d×d block at `o` by power iteration (started on the largest diagonal entry's axis). */
function principalAxis(a: Float64Array, o: number, d: number): { axis: Float64Array; variance: number } {
  let v = new Float64Array(d);
  let start = 0;
  for (let j = 1; j < d; j++) if (a[o + j * d + j] > a[o + start * d + start]) start = j;
  v[start] = 1;
  let lambda = a[o + start * d + start];
  for (let it = 0; it < 100; it++) {
    const u = new Float64Array(d);
    for (let i = 0; i < d; i++) {
      let t = 0;
      for (let j = 0; j < d; j++) t += a[o + i * d + j] * v[j];
      u[i] = t;
    }
    let norm = 0;
    for (let i = 0; i < d; i++) norm += u[i] * u[i];
    norm = Math.sqrt(norm);
    if (!(norm > 0)) break;
    for (let i = 0; i < d; i++) u[i] /= norm;
    const moved = Math.abs(norm - lambda) <= 1e-12 * norm;
    lambda = norm;
    v = u;
    if (moved) break;
  }
  return { axis: v, variance: lambda };
}

function largestAxis(values: ArrayLike<number>, offset: number, d: number): number {
  let best = 0;
  for (let j = 1; j < d; j++) if (values[offset + j] > values[offset + best]) best = j;
  return best;
}

function unit(d: number, j: number): Float64Array {
  const v = new Float64Array(d);
  v[j] = 1;
  return v;
}

/**
 * (s, m, t) for z = W·y, y = (x − μ)/s with s = max|x_j|, |μ_j| (so neither y
 * nor the subtraction overflows) and m = max|z_i|: q = (s·m)²·Σ(z_i/m)².
 * `project(y, z)` applies the component's factor.
 */
function scaledDistance(
  x: Float64Array,
  means: Float64Array,
  offset: number,
  z: Float64Array,
  project: (y: Float64Array) => void,
  out: Float64Array,
  at: number,
): void {
  const d = x.length;
  let s = 0;
  for (let j = 0; j < d; j++) s = Math.max(s, Math.abs(x[j]), Math.abs(means[offset + j]));
  if (s === 0) s = 1;
  for (let j = 0; j < d; j++) z[j] = x[j] / s - means[offset + j] / s;
  project(z);
  let m = 0;
  for (let j = 0; j < d; j++) m = Math.max(m, Math.abs(z[j]));
  let t = 0;
  if (m > 0) for (let j = 0; j < d; j++) t += (z[j] / m) ** 2;
  out[at] = s;
  out[at + 1] = m;
  out[at + 2] = t;
}

// eStepF32's density codes (assembly/estep32.ts)
const F32_FULL = 0;
const F32_DIAG = 1;
const F32_SPHERICAL = 2;

const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

export function covarianceSize(family: CovarianceFamily, k: number, d: number): number {
  return size(family.shape(k, d));
}

/** Tied: the one factor's log det, computed into logDet[0], applies to every component. */
function shareLogDet(ws: Workspace): void {
  f64(ws.logDet, ws.k).fill(f64(ws.logDet, 1)[0]);
}

/**
 * The fast M-step paths compute a scatter as a difference of larger sums
 * (total minus between scatter; moments about old means minus the mean
 * shift). Such a difference is used only while every diagonal entry keeps at
 * least 1/CANCELLATION_LIMIT of the sum it came from: at most ten bits of
 * the sixteen digits lost (about 2e-13 relative); otherwise the scatter is
 * summed directly.
 */
const CANCELLATION_LIMIT = 1024;

/**
 * Tied: the pooled scatter Σ_c Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ by the
 * within/between split, one pass over the rows instead of one per component:
 *   Σ_i w_i (x_i − m)(x_i − m)ᵀ − Σ_c N_c (μ_c − m)(μ_c − m)ᵀ,
 * with w_i = Σ_c r_ic, N_c = Σ_i r_ic, μ_c = Σ_i r_ic x_i / N_c (ws.nk and
 * ws.means, just computed from these responsibilities) and m = Σ_c N_c μ_c / Σ_c N_c.
 * The subtraction cancels where the means spread far wider than the rows
 * about them (well-separated clusters): an entry's rounding is then ε of the
 * total scatter's, not of its own. So the split is kept only while every
 * diagonal entry keeps at least 1/1024 of the total's (at most ten bits
 * lost, a relative error of about 2e-13; scikit-learn subtracts uncentred
 * moments with no such check); otherwise this returns false and the caller
 * scatters component by component. Returns whether `out` holds the pooled
 * scatter. It runs only for M-steps from responsibilities no E-step of this
 * workspace wrote (a start: responsibilitiesInit, a search candidate's);
 * after an E-step keptPooledScatter needs no pass at all. It remembers no
 * earlier decline, so a start's scatter does not depend on what the
 * workspace fitted before. The benchmark's tied d = 8 fit keeps 4–5 % of the total
 * scatter on its tightest axis and takes the split in every iteration.
 */
export function pooledScatter(wasm: Kernels, ws: Workspace, out: number): boolean {
  const { n, d, k } = ws;
  if (k === 1) return false; // the direct scatter is one pass already
  return scoped(() => {
    // allocations first: growing the memory detaches every view made before
    const w = alloc(n, 8, "row weights");
    const centre = alloc(d + 2, 8, "pooled centre");
    const nk = f64(ws.nk, k);
    const means = f64(ws.means, k * d);
    let total = 0;
    for (let c = 0; c < k; c++) total += nk[c];
    if (!(total > 0 && Number.isFinite(total))) return false;
    const m = new Float64Array(d);
    for (let c = 0; c < k; c++) for (let a = 0; a < d; a++) m[a] += nk[c] * means[c * d + a];
    for (let a = 0; a < d; a++) m[a] /= total;
    wasm.rowSums(ws.resp, n, k, w);
    weightedScatter(ws, w, m, total, centre, out);
    return subtractBetween(f64(out, d * d), nk, means, m, k, d);
  });
}

// logprob.ts's register E-steps (eStepSmall), which eStepFullStats runs on
const FUSED_MAX_D = 4;
const FUSED_MAX_K = 64;

/** What the fused E-steps sum: N_k, Σ r·x, and the scatter unless its subtraction would cancel. */
export interface FusedStatistics {
  nk: Float64Array;
  sums: Float64Array;
  scatter?: Float64Array;
}

/**
 * Tied beyond the register kernels: N_k and Σ r·x summed by the E-step
 * (eStepTiedStats), the scatter from the rows' kept scatter (withinFromTotal;
 * where that would cancel, or a row overflowed, it is left undefined and the
 * caller sums it from the responsibilities). Undefined where the kernel's
 * blocked path does not apply.
 */
function tiedStatistics(
  wasm: Kernels,
  ws: Workspace,
): { logLikelihood: number; statistics: FusedStatistics } | undefined {
  const { n, d, k } = ws;
  return scoped(() => {
    const per = 1 + d;
    const acc = alloc(2 * k * per, 8, "E-step statistics");
    const logLikelihood = wasm.eStepTiedStats(
      ws.x,
      n,
      d,
      ws.means,
      ws.factor,
      ws.logDet,
      ws.logWeights,
      k,
      ws.resp,
      ws.logProbNorm,
      acc,
    );
    if (Number.isNaN(logLikelihood)) return undefined;
    const moments = f64(acc, k * per);
    const nk = new Float64Array(k);
    const sums = new Float64Array(k * d);
    for (let c = 0; c < k; c++) {
      nk[c] = moments[c * per];
      sums.set(moments.subarray(c * per + 1, (c + 1) * per), c * d);
    }
    // a finite log-likelihood: every row was scored, so its responsibilities sum to 1
    const scatter = Number.isFinite(logLikelihood) ? withinFromTotal(ws, nk, sums) : undefined;
    return { logLikelihood, statistics: { nk, sums, scatter } };
  });
}

/**
 * Tied, after an E-step that scored every row of a workspace without sample
 * weights: the pooled scatter by the within/between split of pooledScatter,
 *   Σ_c Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ = Σ_i (x_i − m)(x_i − m)ᵀ − Σ_c N_c (μ_c − m)(μ_c − m)ᵀ,
 * whose first term does not depend on the parameters (each row's
 * responsibilities sum to 1, to rounding, and the split holds about any m).
 * So that term is summed once per workspace (ws.rowScatter, about the rows'
 * mean as the first E-step's sums give it) and each M-step costs O(K·d²)
 * instead of a pass over the rows. The same cancellation rule as
 * pooledScatter: undefined (the caller then scatters component by component)
 * when a diagonal entry keeps under 1/1024 of the total's.
 */
function withinFromTotal(ws: Workspace, nk: Float64Array, sums: Float64Array): Float64Array | undefined {
  const { d, k } = ws;
  const means = new Float64Array(k * d);
  meansFromSums(nk, sums, k, d, means);
  return withinFromKept(ws, nk, means, () => centreOf(nk, sums, k, d, false));
}

/**
 * Tied, ws.resp from an E-step that scored every row (sample weights
 * allowed): the pooled scatter about ws.means into `out` from the kept row
 * scatter (withinFromKept), with no pass over the rows. False where the
 * subtraction would cancel (the caller then scatters component by component).
 */
function keptPooledScatter(ws: Workspace, out: number): boolean {
  const { d, k } = ws;
  // copies: the first call sums the row scatter, whose allocations may grow the memory
  const nk = f64(ws.nk, k).slice();
  const means = f64(ws.means, k * d).slice();
  const s = withinFromKept(ws, nk, means, () => centreOf(nk, means, k, d, true));
  if (s) f64(out, d * d).set(s);
  return s !== undefined;
}

/**
 * The within/between split about the workspace's kept row scatter (summed
 * about `centre()` on first use): T − Σ_c N_c (μ_c − m)(μ_c − m)ᵀ, or
 * undefined when a diagonal entry keeps under 1/1024 of T's. Trying costs
 * O(K·d²), so every M-step after an E-step tries it.
 */
function withinFromKept(
  ws: Workspace,
  nk: Float64Array,
  means: Float64Array,
  centre: () => Float64Array,
): Float64Array | undefined {
  const { n, d, k } = ws;
  if (n === 0) return undefined;
  ws.rowScatter ??= rowScatterOf(ws, centre());
  const s = ws.rowScatter.scatter.slice();
  return subtractBetween(s, nk, means, ws.rowScatter.centre, k, d) ? s : undefined;
}

/** Σ_c N_c μ_c / Σ_c N_c, from the means (ofMeans) or from the sums Σ r·x. */
function centreOf(nk: Float64Array, v: Float64Array, k: number, d: number, ofMeans: boolean): Float64Array {
  let count = 0;
  const centre = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    count += nk[c];
    const scale = ofMeans ? nk[c] : 1;
    for (let a = 0; a < d; a++) centre[a] += scale * v[c * d + a];
  }
  for (let a = 0; a < d; a++) centre[a] /= count;
  return centre;
}

/**
 * Σ_i w_i (x_i − m)(x_i − m)ᵀ over ws's rows into `out` (lower triangle):
 * scatterFull with one component of weight `total`; `at` is d + 2 values of
 * scratch for m, the total and a log det of +∞, which turns scatterFull's
 * negligible-row bound off, so every row with w > 0 counts.
 */
function weightedScatter(ws: Workspace, w: number, m: Float64Array, total: number, at: number, out: number): void {
  const { n, d } = ws;
  const c = f64(at, d + 2);
  c.set(m);
  c[d] = total;
  c[d + 1] = Infinity;
  ws.rowKernels.scatterFull(ws.x, w, at, n, d, 1, at + 8 * d, ws.logProbNorm, at + 8 * (d + 1), out, 0, ws.scratch);
}

/**
 * The within/between split's second half: s (the total scatter about m,
 * lower triangle) minus Σ_c N_c (μ_c − m)(μ_c − m)ᵀ, in place. Returns whether
 * every diagonal entry kept at least 1/CANCELLATION_LIMIT of the total's.
 */
function subtractBetween(
  s: Float64Array,
  nk: Float64Array,
  means: Float64Array,
  m: Float64Array,
  k: number,
  d: number,
): boolean {
  const totalDiagonal = new Float64Array(d);
  for (let a = 0; a < d; a++) totalDiagonal[a] = s[a * d + a];
  const delta = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    if (!(nk[c] > 0)) continue;
    for (let a = 0; a < d; a++) delta[a] = means[c * d + a] - m[a];
    for (let a = 0; a < d; a++) {
      const v = nk[c] * delta[a];
      for (let b = 0; b <= a; b++) s[a * d + b] -= v * delta[b];
    }
  }
  for (let a = 0; a < d; a++) if (!(s[a * d + a] >= totalDiagonal[a] / CANCELLATION_LIMIT)) return false;
  return true;
}

/** Σ_i s_i (x_i − m)(x_i − m)ᵀ over ws's rows (s_i its sample weights, or 1), about `centre`. */
function rowScatterOf(ws: Workspace, centre: Float64Array): { centre: Float64Array; scatter: Float64Array } {
  const { n, d } = ws;
  return scoped(() => {
    // allocations first: growing the memory detaches every view made before
    const ones = ws.sampleWeight ? 0 : alloc(n, 8, "row weights");
    const at = alloc(d + 2, 8, "scatter centre");
    const out = alloc(d * d, 8, "row scatter");
    if (ones) f64(ones, n).fill(1);
    weightedScatter(ws, ws.sampleWeight || ones, centre, ws.sumWeights, at, out);
    return { centre, scatter: f64(out, d * d).slice() };
  });
}

/**
 * Full and tied: N_k, Σ r·x and the scatter about the new means from
 * eStepFullStats' moments about the E-step's means μ (per component
 * M₂ = Σ r d dᵀ in the triangle's row order, N = Σ r, M₁ = Σ r d, with
 * d = x − μ): Σ r·x = N·μ + M₁ and, as the new mean is μ + M₁/N,
 * S = M₂ − M₁M₁ᵀ/N (pooled over components for tied). The subtraction
 * cancels when a mean moves far compared with its component's spread, so
 * where any diagonal keeps less than 1/1024 of M₂'s (at most ten bits lost)
 * the scatter is left undefined and the caller sums it from the
 * responsibilities (N_k and Σ r·x do not cancel).
 */
function statisticsFromMoments(
  moments: Float64Array,
  means: Float64Array,
  k: number,
  d: number,
  tied: boolean,
): FusedStatistics {
  const per = (d * (d + 1)) / 2 + 1 + d;
  const nk = new Float64Array(k);
  const sums = new Float64Array(k * d);
  let scatter: Float64Array | undefined = new Float64Array((tied ? 1 : k) * d * d);
  for (let c = 0; c < k; c++) {
    const m = c * per;
    const n = moments[m + per - 1 - d];
    const first = m + per - d;
    nk[c] = n;
    for (let j = 0; j < d; j++) sums[c * d + j] = n * means[c * d + j] + moments[first + j];
    const o = tied ? 0 : c * d * d;
    for (let j = 0, t = m; scatter && j < d; j++) {
      for (let l = 0; l <= j; l++, t++) {
        const v = n > 0 ? moments[t] - (moments[first + j] * moments[first + l]) / n : moments[t];
        if (l === j && !(v >= moments[t] / CANCELLATION_LIMIT)) {
          scatter = undefined;
          break;
        }
        scatter[o + j * d + l] += v;
      }
    }
  }
  return { nk, sums, scatter };
}

function full(tied: boolean): CovarianceFamily {
  const blocks = (ws: Workspace) => (tied ? 1 : ws.k);
  return {
    type: tied ? "tied" : "full",
    shape: (k, d) => (tied ? [d, d] : [k, d, d]),
    nCovParameters: (k, d) => ((tied ? 1 : k) * d * (d + 1)) / 2,
    shared: tied,
    transposed: true,
    precisionPrior: wishart(tied),
    scatterSize: (k, d) => (tied ? 1 : k) * d * d,
    scatter(wasm, ws, out, scored) {
      if (tied && (scored ? keptPooledScatter(ws, out) : pooledScatter(wasm, ws, out))) return;
      // a stride of 0 pools every component's scatter into one matrix (tied)
      ws.rowKernels.scatterFull(
        ws.x,
        ws.resp,
        ws.means,
        ws.n,
        ws.d,
        ws.k,
        ws.nk,
        ws.logProbNorm,
        ws.logDet,
        out,
        tied ? 0 : ws.d * ws.d,
        ws.scratch,
      );
    },
    addOuter(scatter, d, c, weight, delta) {
      const o = tied ? 0 : c * d * d;
      for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) scatter[o + a * d + b] += weight * delta[a] * delta[b];
    },
    covarianceFromScatter(wasm, ws, scatter, reg) {
      f64(ws.cov, scatter.length).set(scatter);
      wasm.finishScatter(ws.cov, ws.d, ws.nk, ws.k, reg, tied);
    },
    factorFromCovariance(wasm, ws) {
      const r = wasm.precisionCholeskyFull(ws.cov, ws.factor, ws.logDet, blocks(ws), ws.d, ws.scratch);
      if (tied) shareLogDet(ws);
      return r;
    },
    factorFromPrecision(wasm, ws, prec) {
      const r = wasm.precisionFactorFromPrecision(prec, ws.factor, ws.logDet, blocks(ws), ws.d, ws.scratch);
      if (tied) shareLogDet(ws);
      return r;
    },
    logDetFromFactor(wasm, ws) {
      wasm.factorLogDet(ws.factor, blocks(ws), ws.d, ws.d * ws.d, ws.d + 1, 1, ws.logDet);
      if (tied) shareLogDet(ws);
    },
    logProb(wasm, ws, x, n, out) {
      wasm.logProbFull(
        x,
        n,
        ws.d,
        ws.means,
        ws.factor,
        tied ? 0 : ws.d * ws.d,
        ws.logDet,
        ws.logWeights,
        ws.k,
        out,
        ws.scratch,
      );
    },
    eStep(wasm, ws, writeResp) {
      return wasm.eStepFull(
        ws.x,
        ws.n,
        ws.d,
        ws.means,
        ws.factor,
        tied ? 0 : ws.d * ws.d,
        ws.logDet,
        ws.logWeights,
        ws.k,
        ws.resp,
        ws.scratch,
        ws.logProbNorm,
        writeResp,
      );
    },
    eStepWithStatistics(wasm, ws) {
      const { n, d, k } = ws;
      if (ws.params32 || ws.sampleWeight) return undefined; // these kernels sum unweighted float64 rows only
      if (tied && d > FUSED_MAX_D) return tiedStatistics(wasm, ws);
      // tied at d = 2 … 4: the plain E-step, N_k and Σ r·x, and the kept row scatter
      // (keptPooledScatter) beat the per-component moments of eStepFullStats (paired
      // fits 1.09×, 1.23×, 1.34×); at d = 1 they are even
      if (tied && d > 1) return undefined;
      if (d > FUSED_MAX_D || k > FUSED_MAX_K) return undefined;
      return scoped(() => {
        const per = (d * (d + 1)) / 2 + 1 + d;
        const acc = alloc(k * per, 8, "E-step statistics");
        const logLikelihood = wasm.eStepFullStats(
          ws.x,
          n,
          d,
          ws.means,
          ws.factor,
          tied ? 0 : d * d,
          ws.logDet,
          ws.logWeights,
          k,
          ws.resp,
          ws.logProbNorm,
          acc,
        );
        const statistics = statisticsFromMoments(f64(acc, k * per), f64(ws.means, k * d), k, d, tied);
        return { logLikelihood, statistics };
      });
    },
    eStepF32(wasm, ws, writeResp) {
      return wasm.eStepF32(
        F32_FULL,
        ws.x,
        ws.n,
        ws.d,
        ws.means,
        ws.factor,
        tied ? 0 : ws.d * ws.d,
        ws.logDet,
        ws.logWeights,
        ws.k,
        ws.resp,
        ws.logProbNorm,
        writeResp,
        ws.params32,
      );
    },
    component: (index, d) => (tied ? 0 : Math.floor(index / d)),
    scaledDistances(ws, row, out) {
      const { d, k } = ws;
      const means = f64(ws.means, k * d);
      const z = new Float64Array(d);
      const y = new Float64Array(d);
      for (let c = 0; c < k; c++) {
        const f = f64(ws.factor + (tied ? 0 : c * d * d * 8), d * d);
        // z = W·y for the lower-triangular W (row-major)
        scaledDistance(
          row,
          means,
          c * d,
          z,
          (v) => {
            y.set(v);
            for (let i = 0; i < d; i++) {
              let a = 0;
              for (let j = 0; j <= i; j++) a += f[i * d + j] * y[j];
              v[i] = a;
            }
          },
          out,
          3 * c,
        );
      }
    },
    scratchSize: (d) => d * d + 2 * d,
    mergeCovariances(cov, d, i, j, a, b, diff) {
      if (tied) return;
      const dd = d * d;
      for (let r = 0; r < d; r++) {
        for (let q = 0; q < d; q++) {
          cov[i * dd + r * d + q] =
            a * cov[i * dd + r * d + q] + b * cov[j * dd + r * d + q] + a * b * diff[r] * diff[q];
        }
      }
    },
    splitCovariance(cov, d, c, into, spread) {
      if (tied) {
        const j = largestAxis(spread, 0, d);
        return { axis: unit(d, j), variance: spread[j] };
      }
      const dd = d * d;
      const { axis, variance } = principalAxis(cov, c * dd, d);
      for (let r = 0; r < d; r++)
        for (let q = 0; q < d; q++) cov[c * dd + r * d + q] -= 0.25 * variance * axis[r] * axis[q];
      cov.copyWithin(into * dd, c * dd, (c + 1) * dd);
      return { axis, variance };
    },
    checkSymmetric: (values, k, d, name, rel) => asymmetry(values, tied ? 1 : k, d, name, rel),
    factorFromCovariances(cov, k, d) {
      const blocksOf = tied ? 1 : k;
      const l = new Float64Array(blocksOf * d * d);
      const factor = new Float64Array(blocksOf * d * d);
      for (let b = 0; b < blocksOf; b++) {
        const pivot = cholesky(cov, b * d * d, d, l);
        if (pivot >= 0) return { factor, bad: b * d + pivot };
        invertLower(l, b * d * d, d, factor);
      }
      return { factor, bad: -1 };
    },
    factorFromSklearn(given, k, d, name) {
      const blocksOf = tied ? 1 : k;
      let lowerZero = true;
      for (let b = 0; b < blocksOf && lowerZero; b++) {
        for (let i = 0; i < d && lowerZero; i++)
          for (let j = 0; j < i; j++) if (given[b * d * d + i * d + j] !== 0) lowerZero = false;
      }
      let ours: Float64Array;
      if (lowerZero) ours = transposeBlocks(given, blocksOf, d);
      else {
        // P = L Lᵀ, then W with WᵀW = P: W[i][j] = R[d−1−j][d−1−i] for R the Cholesky factor of P with rows and columns reversed
        ours = new Float64Array(blocksOf * d * d);
        const p = new Float64Array(d * d);
        const reversed = new Float64Array(d * d);
        const r = new Float64Array(d * d);
        for (let b = 0; b < blocksOf; b++) {
          const o = b * d * d;
          timesTranspose(given.subarray(o, o + d * d), 0, d, p);
          for (let i = 0; i < d; i++)
            for (let j = 0; j < d; j++) reversed[i * d + j] = p[(d - 1 - i) * d + (d - 1 - j)];
          if (cholesky(reversed, 0, d, r) >= 0)
            return `${name}${blocksOf > 1 ? `[${b}]` : ""} does not give a positive definite precision`;
          for (let i = 0; i < d; i++)
            for (let j = 0; j < d; j++) ours[o + i * d + j] = j <= i ? r[(d - 1 - j) * d + (d - 1 - i)] : 0;
        }
      }
      for (let b = 0; b < blocksOf; b++) {
        for (let i = 0; i < d; i++) {
          const v = ours[b * d * d + i * d + i];
          if (!(v > 0))
            return `${name}${blocksOf > 1 ? `[${b}]` : ""} has diagonal entry [${i}][${i}] = ${v}; it must be > 0`;
        }
      }
      return ours;
    },
    sklearnFactor: (factor, k, d) => transposeBlocks(factor, tied ? 1 : k, d),
    precisions(factor, k, d) {
      const blocksOf = tied ? 1 : k;
      const p = new Float64Array(blocksOf * d * d);
      for (let b = 0; b < blocksOf; b++) transposeTimesLower(factor, b * d * d, d, p);
      return p;
    },
    covariancesFromFactor(factor, k, d) {
      // Σ = W⁻¹W⁻ᵀ: invert the lower-triangular W, then times its transpose
      const blocksOf = tied ? 1 : k;
      const out = new Float64Array(blocksOf * d * d);
      const inv = new Float64Array(d * d);
      for (let b = 0; b < blocksOf; b++) {
        invertLower(factor.subarray(b * d * d, (b + 1) * d * d), 0, d, inv);
        timesTranspose(inv, 0, d, out.subarray(b * d * d, (b + 1) * d * d) as Float64Array);
      }
      return out;
    },
    factorsDisagree(a, reference, rel) {
      let largest = 0;
      for (let t = 0; t < reference.length; t++) largest = Math.max(largest, Math.abs(reference[t]));
      for (let t = 0; t < reference.length; t++) if (!(Math.abs(a[t] - reference[t]) <= rel * largest)) return t;
      return -1;
    },
    minPoints: (d) => (tied ? 1 : d + 1),
    collapsed({ covariances: cov, weights }, k, d, { reg, epsilon, slack }) {
      const blocks = tied ? 1 : k;
      const e = new Float64Array(blocks * d * d);
      for (let t = 0; t < e.length; t++) e[t] = cov[t];
      for (let b = 0; b < blocks; b++) for (let j = 0; j < d; j++) e[b * d * d + j * d + j] -= reg;
      // W = Σ w_c E_c / Σ w, the pooled within-component covariance
      const m = new Float64Array(d * d);
      let total = 0;
      for (let c = 0; c < k; c++) total += weights[c];
      for (let c = 0; c < k; c++) {
        const w = weights[c] / total;
        const o = tied ? 0 : c * d * d;
        for (let t = 0; t < d * d; t++) m[t] += w * e[o + t];
      }
      const out: { component: number }[] = [];
      for (let b = 0; b < blocks; b++)
        if (hasRelativeEigenvalueAtMost(e, b * d * d, m, d, epsilon, slack)) out.push({ component: tied ? -1 : b });
      return out;
    },
    blockName: (index, d) =>
      tied ? "the shared (tied) covariance" : `component ${Math.floor(index / d)}'s covariance`,
    covarianceEntry: (cov, d, c, i, j) => cov[(tied ? 0 : c * d * d) + i * d + j],
    marginalCovariances(cov, k, d, features) {
      const g = features.length;
      const count = tied ? 1 : k;
      const out = new Float64Array(count * g * g);
      for (let b = 0; b < count; b++)
        for (let i = 0; i < g; i++)
          for (let j = 0; j < g; j++) out[b * g * g + i * g + j] = cov[b * d * d + features[i] * d + features[j]];
      return out;
    },
    conditioningBlocks: (k) => (tied ? 1 : k),
    samplingFactors(wasm, ws) {
      const dd = ws.d * ws.d;
      const ptr = alloc(ws.k * dd, 8, "covariance factors");
      const bad = wasm.choleskyMany(ws.cov, ptr, blocks(ws), ws.d);
      if (tied && bad < 0) {
        const all = f64(ptr, ws.k * dd);
        for (let c = 1; c < ws.k; c++) all.copyWithin(c * dd, 0, dd);
      }
      return { ptr, bad };
    },
    sampleRows(wasm, ws, factors, c, u, count, dPadded, out) {
      const { d } = ws;
      wasm.sampleGaussian(u, count, d, dPadded, ws.means + c * d * 8, factors + c * d * d * 8, out);
    },
  };
}

/**
 * Diag and spherical: N_k, Σ r·x and the per-feature scatter about the new
 * means from eStepDiagonalStats' moments about the E-step's means μ (per
 * component N, M₁ = Σ r·d, M₂ = Σ r·d², d = x − μ per feature):
 * Σ r·x = N·μ + M₁ and S = M₂ − M₁²/N, the scatter undefined where that
 * keeps under 1/1024 of M₂ (statisticsFromMoments' rule).
 */
function diagonalStatisticsFromMoments(
  moments: Float64Array,
  means: Float64Array,
  k: number,
  d: number,
): FusedStatistics {
  const per = 1 + 2 * d;
  const nk = new Float64Array(k);
  const sums = new Float64Array(k * d);
  let scatter: Float64Array | undefined = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    const n = moments[c * per];
    nk[c] = n;
    for (let j = 0; j < d; j++) {
      const m1 = moments[c * per + 1 + j];
      const m2 = moments[c * per + 1 + d + j];
      sums[c * d + j] = n * means[c * d + j] + m1;
      if (!scatter) continue;
      const v = n > 0 ? m2 - (m1 * m1) / n : m2;
      if (v >= m2 / CANCELLATION_LIMIT) scatter[c * d + j] = v;
      else scatter = undefined;
    }
  }
  return { nk, sums, scatter };
}

function diagonal(spherical: boolean): CovarianceFamily {
  // Values per component: d variances (diag) or one (spherical).
  const per = (ws: Workspace) => (spherical ? 1 : ws.d);
  return {
    type: spherical ? "spherical" : "diag",
    shape: (k, d) => (spherical ? [k] : [k, d]),
    nCovParameters: (k, d) => (spherical ? k : k * d),
    shared: false,
    transposed: false,
    precisionPrior: gammas(spherical),
    scatterSize: (k, d) => k * d,
    scatter(_w, ws, out) {
      ws.rowKernels.scatterDiag(ws.x, ws.resp, ws.means, ws.n, ws.d, ws.k, out);
    },
    addOuter(scatter, d, c, weight, delta) {
      for (let j = 0; j < d; j++) scatter[c * d + j] += weight * delta[j] * delta[j];
    },
    covarianceFromScatter(_w, ws, scatter, reg) {
      const { k, d } = ws;
      const nk = f64(ws.nk, k);
      const cov = f64(ws.cov, spherical ? k : k * d);
      for (let c = 0; c < k; c++) {
        const inv = 1 / nk[c];
        // scikit-learn's spherical variance is the mean of the diagonal ones, reg_covar included
        let s = 0;
        for (let j = 0; j < d; j++) {
          const v = scatter[c * d + j] * inv + reg;
          if (spherical) s += v;
          else cov[c * d + j] = v;
        }
        if (spherical) cov[c] = s / d;
      }
    },
    factorFromCovariance(wasm, ws) {
      return wasm.precisionCholeskyDiag(ws.cov, ws.factor, ws.logDet, ws.k, per(ws), spherical ? ws.d : 1);
    },
    factorFromPrecision(wasm, ws, prec) {
      const m = ws.k * per(ws);
      const p = f64(prec, m);
      const out = f64(ws.factor, m);
      for (let t = 0; t < m; t++) {
        if (!(p[t] > 0)) return t;
        out[t] = Math.sqrt(p[t]);
      }
      wasm.factorLogDet(ws.factor, ws.k, per(ws), per(ws), 1, spherical ? ws.d : 1, ws.logDet);
      return -1;
    },
    logDetFromFactor(wasm, ws) {
      wasm.factorLogDet(ws.factor, ws.k, per(ws), per(ws), 1, spherical ? ws.d : 1, ws.logDet);
    },
    logProb(wasm, ws, x, n, out) {
      const kernel = spherical ? wasm.logProbSpherical : wasm.logProbDiag;
      kernel(x, n, ws.d, ws.means, ws.factor, ws.logDet, ws.logWeights, ws.k, out);
    },
    eStep(wasm, ws, writeResp) {
      const kernel = spherical ? wasm.eStepSpherical : wasm.eStepDiag;
      return kernel(
        ws.x,
        ws.n,
        ws.d,
        ws.means,
        ws.factor,
        ws.logDet,
        ws.logWeights,
        ws.k,
        ws.resp,
        ws.logProbNorm,
        writeResp,
      );
    },
    eStepWithStatistics(wasm, ws) {
      const { n, d, k } = ws;
      if (ws.params32 && ws.sampleWeight) return undefined; // the float32 kernel sums unweighted only
      return scoped(() => {
        const per = 1 + 2 * d;
        const acc = alloc(2 * k * per, 8, "E-step statistics");
        // the float32 rows' E-step, or the float64 one: the same statistics, in f64
        const logLikelihood = ws.params32
          ? wasm.eStepF32Stats(
              spherical ? F32_SPHERICAL : F32_DIAG,
              ws.x,
              n,
              d,
              ws.means,
              ws.factor,
              ws.logDet,
              ws.logWeights,
              k,
              ws.resp,
              ws.logProbNorm,
              ws.params32,
              acc,
            )
          : wasm.eStepDiagonalStats(
              ws.x,
              n,
              d,
              ws.means,
              ws.factor,
              spherical,
              ws.logDet,
              ws.logWeights,
              k,
              ws.resp,
              ws.logProbNorm,
              acc,
              ws.sampleWeight,
            );
        // NaN: d and k too large for the blocked kernel, which then ran nothing
        if (Number.isNaN(logLikelihood)) return undefined;
        const statistics = diagonalStatisticsFromMoments(f64(acc, k * per), f64(ws.means, k * d), k, d);
        return { logLikelihood, statistics };
      });
    },
    eStepF32(wasm, ws, writeResp) {
      return wasm.eStepF32(
        spherical ? F32_SPHERICAL : F32_DIAG,
        ws.x,
        ws.n,
        ws.d,
        ws.means,
        ws.factor,
        0,
        ws.logDet,
        ws.logWeights,
        ws.k,
        ws.resp,
        ws.logProbNorm,
        writeResp,
        ws.params32,
      );
    },
    component: (index, d) => (spherical ? index : Math.floor(index / d)),
    scaledDistances(ws, row, out) {
      const { d, k } = ws;
      const means = f64(ws.means, k * d);
      const f = f64(ws.factor, k * per(ws));
      const z = new Float64Array(d);
      for (let c = 0; c < k; c++) {
        scaledDistance(
          row,
          means,
          c * d,
          z,
          (v) => {
            for (let j = 0; j < d; j++) v[j] *= f[spherical ? c : c * d + j];
          },
          out,
          3 * c,
        );
      }
    },
    // scatterDiag's per-row scratch (assembly/mstep.ts)
    scratchSize: (d) => 2 * d + 2,
    mergeCovariances(cov, d, i, j, a, b, diff) {
      if (spherical) {
        let squared = 0;
        for (let t = 0; t < d; t++) squared += diff[t] * diff[t];
        cov[i] = a * cov[i] + b * cov[j] + (a * b * squared) / d;
        return;
      }
      for (let t = 0; t < d; t++) cov[i * d + t] = a * cov[i * d + t] + b * cov[j * d + t] + a * b * diff[t] * diff[t];
    },
    splitCovariance(cov, d, c, into, spread) {
      if (spherical) {
        const j = largestAxis(spread, 0, d);
        // the isotropic variance loses a quarter of λ on one axis of d
        cov[c] = Math.max(cov[c] - (0.25 * spread[j]) / d, 0.5 * cov[c]);
        cov[into] = cov[c];
        return { axis: unit(d, j), variance: spread[j] };
      }
      const j = largestAxis(cov, c * d, d);
      const variance = cov[c * d + j];
      cov[c * d + j] = 0.75 * variance;
      cov.copyWithin(into * d, c * d, (c + 1) * d);
      return { axis: unit(d, j), variance };
    },
    // variances have no symmetry to check; their sign is the factor's concern
    checkSymmetric: () => undefined,
    factorFromCovariances(cov) {
      const factor = new Float64Array(cov.length);
      for (let t = 0; t < cov.length; t++) {
        if (!(cov[t] > 0)) return { factor, bad: t };
        factor[t] = 1 / Math.sqrt(cov[t]);
      }
      return { factor, bad: -1 };
    },
    factorFromSklearn(given, _k, _d, name) {
      for (let t = 0; t < given.length; t++)
        if (!(given[t] > 0)) return `${name} value ${t} is ${given[t]}; it must be > 0`;
      return given.slice();
    },
    sklearnFactor: (factor) => factor.slice(),
    precisions: (factor) => factor.map((v) => v * v),
    covariancesFromFactor: (factor) => factor.map((p) => 1 / (p * p)),
    factorsDisagree(a, reference, rel) {
      for (let t = 0; t < reference.length; t++)
        if (!(Math.abs(a[t] - reference[t]) <= rel * Math.abs(reference[t]))) return t;
      return -1;
    },
    minPoints: () => 2,
    collapsed({ covariances: cov, weights }, k, d, { reg, epsilon, slack }) {
      const per = spherical ? 1 : d;
      // the pooled within-component variance along each axis, minus reg
      const m = new Float64Array(d);
      let total = 0;
      for (let c = 0; c < k; c++) total += weights[c];
      for (let c = 0; c < k; c++)
        for (let j = 0; j < d; j++) m[j] += (weights[c] / total) * (cov[c * per + (spherical ? 0 : j)] - reg);
      let mean2 = 0;
      for (let j = 0; j < d; j++) mean2 += m[j] / d;
      const out: { component: number; variance: number; ratio: number; feature?: number }[] = [];
      for (let c = 0; c < k; c++) {
        let worst = { ratio: Infinity, feature: 0 };
        for (let j = 0; j < per; j++) {
          const spread = spherical ? mean2 : m[j];
          const own = cov[c * per + j] - reg;
          // 0/0 (no spread in the data either) counts as none kept
          const ratio = spread > 0 ? own / spread : own > 0 ? Infinity : 0;
          if (ratio < worst.ratio || Number.isNaN(ratio)) worst = { ratio, feature: j };
        }
        if (!(worst.ratio > epsilon + slack))
          out.push({
            component: c,
            variance: cov[c * per + worst.feature],
            ratio: worst.ratio,
            ...(spherical ? {} : { feature: worst.feature }),
          });
      }
      return out;
    },
    blockName: (index, d) => `component ${spherical ? index : Math.floor(index / d)}'s covariance`,
    covarianceEntry: (cov, d, c, i, j) => (i !== j ? 0 : spherical ? cov[c] : cov[c * d + i]),
    marginalCovariances(cov, k, d, features) {
      if (spherical) return Float64Array.from(cov);
      const g = features.length;
      const out = new Float64Array(k * g);
      for (let c = 0; c < k; c++) for (let j = 0; j < g; j++) out[c * g + j] = cov[c * d + features[j]];
      return out;
    },
    conditioningBlocks: () => 0,
    samplingFactors(_w, ws) {
      const m = ws.k * per(ws);
      const ptr = alloc(m, 8, "standard deviations");
      const sd = f64(ptr, m);
      const v = f64(ws.cov, m);
      for (let t = 0; t < m; t++) {
        if (!(v[t] > 0)) return { ptr, bad: t };
        sd[t] = Math.sqrt(v[t]);
      }
      return { ptr, bad: -1 };
    },
    sampleRows(wasm, ws, factors, c, u, count, dPadded, out) {
      const { d } = ws;
      wasm.sampleDiagonal(
        u,
        count,
        d,
        dPadded,
        ws.means + c * d * 8,
        factors + c * per(ws) * 8,
        spherical ? 0 : 1,
        out,
      );
    },
  };
}

/** The table the EM driver dispatches through. */
export const FAMILIES: Record<CovarianceType, CovarianceFamily> = {
  full: full(false),
  tied: full(true),
  diag: diagonal(false),
  spherical: diagonal(true),
};

/** Transposes each d×d block of `a` (k blocks) into a new array. */
export function transposeBlocks(a: ArrayLike<number>, blocks: number, d: number): Float64Array {
  const out = new Float64Array(blocks * d * d);
  for (let b = 0; b < blocks; b++) {
    const o = b * d * d;
    for (let i = 0; i < d; i++) for (let j = 0; j < d; j++) out[o + j * d + i] = a[o + i * d + j];
  }
  return out;
}

// ------------------------------------------------------------------
// The Bayesian mixture's part of the table (bayesian.ts): the conjugate prior
// on each family's precisions, its data default and its variational update.
// full and tied put a Wishart prior W(Ψ₀⁻¹, ν₀) on the precision matrix
// (Ψ₀ d×d); diag puts independent Gamma priors on the d feature precisions
// (Ψ₀ d variances), spherical one Gamma on the isotropic precision (Ψ₀ one
// variance). As scikit-learn 1.2.1, each posterior keeps ν_k and
// covariances_ = W_k⁻¹/ν_k, so the expected log-density terms and the lower
// bound's normaliser are one formula in d for every family (bayesian.ts).

/** The prior's parameters each family's update reads (bayesian.ts' Priors). */
export interface PrecisionPriorParameters {
  /** β₀. */
  meanPrecision: number;
  /** m₀, in the workspace's coordinates. */
  mean: Float64Array;
  /** ν₀. */
  degreesOfFreedom: number;
  /** Ψ₀ in the prior's layout. */
  covariance: Float64Array;
}

export interface PrecisionPrior {
  /** What a statistician calls it: "Wishart" (full, tied) or "Gamma" (diag, spherical). */
  readonly name: string;
  /** Ψ₀'s shape: [d, d] (Wishart), [d] (diag), [] (spherical: one number). */
  shape(d: number): number[];
  /**
   * Adds Σ_i w_i (x_i − centre)(x_i − centre)ᵀ of n rows to `out`, in the
   * family's scatter layout for one component (lower triangle, or diagonal):
   * the raw sums behind the data's Ψ₀; blocks merge by family.addOuter(out, d, 0, …).
   */
  addDataScatter(
    x: ArrayLike<number>,
    n: number,
    d: number,
    centre: Float64Array,
    weights: ArrayLike<number> | undefined,
    out: Float64Array,
  ): void;
  /** The data's Ψ₀ from those raw sums: the covariance (full, tied), the variances (diag) or their mean (spherical), over `denominator`. */
  priorFromScatter(scatter: Float64Array, d: number, denominator: number): Float64Array;
  /** A given covariancePrior, checked (a RangeError naming it and what to change) and flattened. */
  check(given: unknown, d: number): Float64Array;
  /**
   * The variational update of the precisions' posterior, in place: `cov`
   * holds GaussianMixture's M-step covariances S_k (reg_covar included) for
   * counts N_k and means x̄_k, and leaves holding W_k⁻¹/ν_k; `meanPrecision`
   * is β_k = β₀ + N_k. Returns ν_k, k values (tied: k copies of the shared one).
   */
  update(
    cov: Float64Array,
    nk: Float64Array,
    xbar: Float64Array,
    meanPrecision: Float64Array,
    prior: PrecisionPriorParameters,
    k: number,
    d: number,
  ): Float64Array;
  /**
   * Σ_c Σ_i w_i r_ic ‖W_c(x_i − m_c)‖² from statistics alone: tr(W_cᵀW_c S̃_c)
   * for the scatter S̃_c about the means m_c, moved from the statistics' own
   * means by S̃ = S + eδᵀ + δeᵀ + N δδᵀ (δ = x̄ − m, e = Σ r x − N x̄ ≈ 0).
   */
  squaredDistances(factor: Float64Array, stats: Statistics, means: Float64Array, k: number, d: number): number;
  /** log det of the d×d matrix Ψ₀ stands for (Wishart: Ψ₀ itself; diag: its diagonal; spherical: ψ₀I), logs by `ln`. */
  logDeterminant(psi0: Float64Array, d: number, ln: (x: number) => number): number;
  /**
   * The gamma functions in the log normaliser of one component's precision
   * density with ν degrees of freedom: Σ_{j<d} ln Γ((ν − j)/2) for a Wishart;
   * d·ln Γ(ν/2) for diag's d independent Gammas (a 1-D Wishart each).
   * scikit-learn's lower bound uses the Wishart form for every type; the
   * evidence lower bound takes the family's own (bayesian.ts). Spherical
   * keeps the Wishart form: scikit-learn's update (ν = ν₀ + N, not ν₀ + dN)
   * is not the conjugate posterior of one shared Gamma precision, so no
   * closed form holds there.
   */
  logGammaNormaliser(nu: number, d: number, lgamma: (x: number) => number): number;
}

/** Σ_{j<d} ln Γ((ν − j)/2), the multivariate gamma of a Wishart without its π^(d(d−1)/4). */
export function wishartGammas(nu: number, d: number, lgamma: (x: number) => number): number {
  let g = 0;
  for (let j = 0; j < d; j++) g += lgamma(0.5 * (nu - j));
  return g;
}

/** x̄_c − m₀ into `out`. */
function fromPriorMean(xbar: Float64Array, m0: Float64Array, c: number, d: number, out: Float64Array): void {
  for (let j = 0; j < d; j++) out[j] = xbar[c * d + j] - m0[j];
}

/** The statistics' mean x̄_c, δ = x̄_c − m_c and e = Σ r x − N x̄_c of component c (squaredDistances). */
function meanShift(
  stats: Statistics,
  means: Float64Array,
  c: number,
  d: number,
  centre: Float64Array,
  delta: Float64Array,
  e: Float64Array,
): void {
  const inv = meanScale(stats.nk[c]); // as the scatter was centred (statistics.ts)
  for (let j = 0; j < d; j++) {
    centre[j] = stats.sums[c * d + j] * inv;
    delta[j] = centre[j] - means[c * d + j];
    e[j] = stats.sums[c * d + j] - stats.nk[c] * centre[j];
  }
}

/** Wishart priors on full precision matrices (tied: one shared). */
function wishart(tied: boolean): PrecisionPrior {
  return {
    name: "Wishart",
    shape: (d) => [d, d],
    addDataScatter(x, n, d, centre, weights, out) {
      const diff = new Float64Array(d);
      for (let i = 0; i < n; i++) {
        const wi = weights ? weights[i] : 1;
        if (wi === 0) continue;
        for (let j = 0; j < d; j++) diff[j] = x[i * d + j] - centre[j];
        for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) out[a * d + b] += wi * diff[a] * diff[b];
      }
    },
    priorFromScatter(scatter, d, denominator) {
      const c = new Float64Array(d * d);
      for (let a = 0; a < d; a++) {
        for (let b = 0; b <= a; b++) c[b * d + a] = c[a * d + b] = scatter[a * d + b] / denominator;
      }
      return c;
    },
    check(given, d) {
      const m = flatten(given, [d, d], "covariancePrior");
      for (let a = 0; a < d; a++) {
        for (let b = 0; b < a; b++) {
          if (
            Math.abs(m[a * d + b] - m[b * d + a]) >
            1e-10 * Math.max(Math.abs(m[a * d + b]), Math.abs(m[b * d + a]), 1e-300)
          ) {
            throw new RangeError(
              `covariancePrior is not symmetric ([${a}][${b}] = ${m[a * d + b]}, [${b}][${a}] = ${m[b * d + a]})`,
            );
          }
        }
      }
      if (cholesky(m, 0, d, new Float64Array(d * d)) >= 0)
        throw new RangeError(
          `covariancePrior is not positive definite; a ${tied ? "tied" : "full"} model's covariancePrior must be a symmetric positive definite d×d matrix`,
        );
      return m;
    },
    update(cov, nk, xbar, meanPrecision, prior, k, d) {
      const { meanPrecision: b0, mean: m0, degreesOfFreedom: nu0, covariance: psi0 } = prior;
      const diff = new Float64Array(d);
      if (tied) {
        // one Wishart for all components: ν = ν₀ + N/k, W⁻¹ = Ψ₀ + (N/k)S + (β₀/k) Σ_k (N_k/β_k) δ_k δ_kᵀ
        let total = 0;
        for (let c = 0; c < k; c++) total += nk[c];
        const nu = nu0 + total / k;
        const spread = new Float64Array(d * d);
        for (let c = 0; c < k; c++) {
          fromPriorMean(xbar, m0, c, d, diff);
          const s = nk[c] / meanPrecision[c];
          for (let a = 0; a < d; a++) for (let b = 0; b < d; b++) spread[a * d + b] += s * diff[a] * diff[b];
        }
        for (let t = 0; t < d * d; t++) cov[t] = (psi0[t] + (cov[t] * total) / k + (b0 / k) * spread[t]) / nu;
        return new Float64Array(k).fill(nu);
      }
      // W_k⁻¹ = Ψ₀ + N_k S_k + (β₀N_k/β_k) δ_k δ_kᵀ, ν_k = ν₀ + N_k
      const dof = nk.map((v) => nu0 + v);
      for (let c = 0; c < k; c++) {
        fromPriorMean(xbar, m0, c, d, diff);
        const shrink = (nk[c] * b0) / meanPrecision[c];
        const o = c * d * d;
        for (let a = 0; a < d; a++) {
          for (let b = 0; b < d; b++) {
            cov[o + a * d + b] = (psi0[a * d + b] + nk[c] * cov[o + a * d + b] + shrink * diff[a] * diff[b]) / dof[c];
          }
        }
      }
      return dof;
    },
    logGammaNormaliser: wishartGammas,
    logDeterminant(psi0, d, ln) {
      const l = new Float64Array(d * d);
      if (cholesky(psi0, 0, d, l) >= 0) return NaN;
      let s = 0;
      for (let j = 0; j < d; j++) s += ln(l[j * d + j]);
      return 2 * s;
    },
    squaredDistances(factor, stats, means, k, d) {
      const centre = new Float64Array(d);
      const delta = new Float64Array(d);
      const e = new Float64Array(d);
      const pooled = new Float64Array(d * d);
      let squares = 0;
      for (let c = 0; c < k; c++) {
        meanShift(stats, means, c, d, centre, delta, e);
        const so = tied ? 0 : c * d * d;
        for (let a = 0; a < d; a++) {
          for (let b = 0; b <= a; b++) {
            const s = tied && c > 0 ? 0 : stats.scatter[so + a * d + b];
            const moved = s + e[a] * delta[b] + delta[a] * e[b] + stats.nk[c] * delta[a] * delta[b];
            pooled[a * d + b] = (tied ? pooled[a * d + b] : 0) + moved;
          }
        }
        if (!tied || c === k - 1) {
          // tr(WᵀW S̃) = Σ_a,b (WᵀW)_ab S̃_ab with S̃ symmetric (lower triangle held)
          const fo = tied ? 0 : c * d * d;
          for (let a = 0; a < d; a++) {
            for (let b = 0; b <= a; b++) {
              let p = 0;
              for (let r = a; r < d; r++) p += factor[fo + r * d + a] * factor[fo + r * d + b];
              squares += (a === b ? 1 : 2) * p * pooled[a * d + b];
            }
          }
        }
      }
      return squares;
    },
  };
}

/** Independent Gamma priors on the feature precisions (diag) or on the one isotropic precision (spherical). */
function gammas(spherical: boolean): PrecisionPrior {
  return {
    name: "Gamma",
    shape: (d) => (spherical ? [] : [d]),
    addDataScatter(x, n, d, centre, weights, out) {
      for (let i = 0; i < n; i++) {
        const wi = weights ? weights[i] : 1;
        if (wi === 0) continue;
        for (let j = 0; j < d; j++) {
          const diff = x[i * d + j] - centre[j];
          out[j] += wi * diff * diff;
        }
      }
    },
    priorFromScatter(scatter, d, denominator) {
      const c = new Float64Array(d);
      for (let j = 0; j < d; j++) c[j] = scatter[j] / denominator;
      if (!spherical) return c;
      let s = 0;
      for (let j = 0; j < d; j++) s += c[j];
      return Float64Array.of(s / d);
    },
    check(given, d) {
      if (spherical) {
        if (typeof given !== "number" || !Number.isFinite(given) || !(given > 0))
          throw new RangeError(
            `covariancePrior of a spherical model must be one number > 0 (a variance); got ${describe(given)}`,
          );
        return Float64Array.of(given);
      }
      const v = flatten(given, [d], "covariancePrior");
      v.forEach((x, j) => {
        if (!(x > 0))
          throw new RangeError(
            `covariancePrior[${j}] is ${x}; a diag model's covariancePrior holds d variances, each > 0`,
          );
      });
      return v;
    },
    update(cov, nk, xbar, meanPrecision, prior, k, d) {
      const { meanPrecision: b0, mean: m0, degreesOfFreedom: nu0, covariance: psi0 } = prior;
      const diff = new Float64Array(d);
      const dof = nk.map((v) => nu0 + v);
      for (let c = 0; c < k; c++) {
        fromPriorMean(xbar, m0, c, d, diff);
        const shrink = b0 / meanPrecision[c];
        if (spherical) {
          // one Gamma per component: its rate takes the mean of the d features' terms
          let squared = 0;
          for (let j = 0; j < d; j++) squared += diff[j] * diff[j];
          cov[c] = (psi0[0] + nk[c] * (cov[c] + (shrink * squared) / d)) / dof[c];
        } else {
          for (let j = 0; j < d; j++)
            cov[c * d + j] = (psi0[j] + nk[c] * (cov[c * d + j] + shrink * diff[j] * diff[j])) / dof[c];
        }
      }
      return dof;
    },
    logGammaNormaliser: (nu, d, lgamma) => (spherical ? wishartGammas(nu, d, lgamma) : d * lgamma(0.5 * nu)),
    logDeterminant(psi0, d, ln) {
      if (spherical) return d * ln(psi0[0]);
      let s = 0;
      for (let j = 0; j < d; j++) s += ln(psi0[j]);
      return s;
    },
    squaredDistances(factor, stats, means, k, d) {
      const centre = new Float64Array(d);
      const delta = new Float64Array(d);
      const e = new Float64Array(d);
      let squares = 0;
      for (let c = 0; c < k; c++) {
        meanShift(stats, means, c, d, centre, delta, e);
        for (let j = 0; j < d; j++) {
          const f = factor[spherical ? c : c * d + j];
          const moved =
            stats.scatter[c * d + j] + e[j] * delta[j] + delta[j] * e[j] + stats.nk[c] * delta[j] * delta[j];
          squares += f * f * moved;
        }
      }
      return squares;
    },
  };
}
