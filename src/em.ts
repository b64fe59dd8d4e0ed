// The one EM driver: initialisation, E-step, M-step, lower bound, tol, the
// best of nInit restarts. It knows nothing about covariance types; the
// family table in covariance.ts supplies the per-type maths.
import { type CovarianceFamily, covarianceSize, FAMILIES, type Workspace } from "./covariance.js";
import { abortError, CovarianceError } from "./errors.js";
import { START_METHODS } from "./init.js";
import { nest } from "./matrix.js";
import { alloc, allocFrom, f32, f64, i32, scoped } from "./memory.js";
import type { Dtype, ResolvedOptions } from "./options.js";
import { Random } from "./random.js";
import { meansFromSums, NK_FLOOR, type Statistics } from "./statistics.js";
import type { CovarianceArray } from "./types.js";
import { dataKernels, type Kernels, kernels } from "./wasm.js";

/** A fitted mixture's parameters, flat, in the family's layout. */
export interface MixtureParams {
  weights: Float64Array; // k
  means: Float64Array; // k·d
  covariances: Float64Array; // scikit-learn's covariances_, flattened
  /** Lower-triangular W with Σ⁻¹ = WᵀW (full, tied), or 1/σ (diag, spherical). */
  factor: Float64Array;
  /**
   * The E-step's per-component log weights when they are not log(weights):
   * a variational model's expected log weights with its per-component
   * log-density terms (bayesian.ts). Undefined for GaussianMixture.
   */
  logWeights?: Float64Array;
}

/** Per-iteration progress passed to `onIteration`. */
export interface IterationInfo {
  /** Which initialisation (0 … nInit−1). */
  init: number;
  /** EM iteration within this initialisation (1-based). */
  iteration: number;
  /** Per-sample log-likelihood of the parameters before this iteration's M-step. */
  lowerBound: number;
  /** Change from the previous iteration's lower bound. */
  change: number;
  /**
   * The parameters after this iteration's M-step, in scikit-learn's shapes
   * (copied on each call, so only pay for it when drawing progress).
   */
  params(): {
    /** Mixing weights, length k. */
    weights: number[];
    /** Means, k × d. */
    means: number[][];
    /** Covariances in scikit-learn's shape for the covariance type: full k×d×d, tied d×d, diag k×d, spherical k. */
    covariances: CovarianceArray;
  };
}

/** Why the fit stopped. */
export type StopReason = "converged" | "maxIter" | "timeBudget";

export interface FitOutcome<P extends MixtureParams = MixtureParams> {
  params: P;
  converged: boolean;
  nIter: number;
  lowerBound: number;
  stopReason: StopReason;
}

/** Callbacks and limits for one fit; checked between EM iterations. */
export interface FitControl {
  /**
   * Called after every EM iteration (of every initialisation) with its
   * progress; `info.params()` copies the current parameters, for drawing.
   *
   * @example
   * gmm.fit(X, { onIteration: ({ iteration, lowerBound }) => console.log(iteration, lowerBound) });
   */
  onIteration?: (info: IterationInfo) => void;
  /** Aborts the fit between iterations with an Error named "AbortError". */
  signal?: AbortSignal;
  /** Stops early (keeping the best parameters so far) after this many milliseconds. */
  timeBudgetMs?: number;
}

/** Initial parameters given by the user, already flattened and shape-checked. */
export interface GivenStart {
  weights?: Float64Array;
  means?: Float64Array;
  precisions?: Float64Array;
  /** n × k starting responsibilities (responsibilitiesInit), in place of the start method's. */
  responsibilities?: Float64Array;
}

/**
 * Buffers for a fit or scoring call on the n×d rows at x, stored as `dtype`
 * (float32 rows minus `shift`, as loadMatrix leaves them).
 */
export function allocWorkspace(
  family: CovarianceFamily,
  x: number,
  n: number,
  d: number,
  k: number,
  data: { dtype: Dtype; shift?: Float64Array } = { dtype: "float64" },
  sampleWeight?: Float64Array,
): Workspace {
  const covSize = covarianceSize(family, k, d);
  let sumWeights = n;
  if (sampleWeight) {
    sumWeights = 0;
    for (let i = 0; i < n; i++) sumWeights += sampleWeight[i];
  }
  return {
    n,
    d,
    k,
    x,
    sampleWeight: sampleWeight ? allocFrom(sampleWeight, "sample weights") : 0,
    sumWeights,
    rowKernels: dataKernels(data.dtype),
    shift: data.shift,
    params32: data.dtype === "float32" ? alloc(k * d + covSize + k, 4, "float32 parameters") : 0,
    resp: alloc(n * k, 8, "responsibilities"),
    logProbNorm: alloc(n, 8, "log-likelihoods"),
    weights: alloc(k),
    logWeights: alloc(k),
    nk: alloc(k),
    means: alloc(k * d),
    cov: alloc(covSize),
    // spherical's M-step uses the factor buffer for its k·d diagonal variances
    factor: alloc(Math.max(covSize, k * d)),
    logDet: alloc(k),
    scratch: alloc(family.scratchSize(d)),
  };
}

/**
 * The workspace's "no E-step yet" state, for an M-step on responsibilities no
 * E-step scored (a start): every log-likelihood −∞ and every log det W 0, so
 * scatterFull's negligible-row bound is off and every r > 0 counts. logDet
 * must be set too: it would hold whatever an earlier call left in the arena
 * (a threaded fit leaves −∞ there, which made the bound NaN and dropped every row).
 */
export function markUnscored(ws: Workspace): void {
  f64(ws.logProbNorm, ws.n).fill(-Infinity);
  f64(ws.logDet, ws.k).fill(0);
}

/** Copies parameters into a workspace and derives log-weights and log-dets. */
export function loadParams(wasm: Kernels, family: CovarianceFamily, ws: Workspace, p: MixtureParams): void {
  f64(ws.weights, ws.k).set(p.weights);
  setMeans(ws, p.means);
  f64(ws.cov, p.covariances.length).set(p.covariances);
  f64(ws.factor, p.factor.length).set(p.factor);
  if (p.logWeights) f64(ws.logWeights, ws.k).set(p.logWeights);
  else wasm.logOf(ws.weights, ws.logWeights, ws.k);
  family.logDetFromFactor(wasm, ws);
}

export function readParams(family: CovarianceFamily, ws: Workspace): MixtureParams {
  const size = covarianceSize(family, ws.k, ws.d);
  return {
    weights: f64(ws.weights, ws.k).slice(),
    means: getMeans(ws),
    covariances: f64(ws.cov, size).slice(),
    factor: f64(ws.factor, size).slice(),
  };
}

/**
 * Parameters from weights, means (user coordinates) and covariances_ (the
 * family's layout): factors the covariances (a CovarianceError when one has
 * no factor) and leaves everything loaded in ws.
 */
export function paramsFromMoments(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  weights: ArrayLike<number>,
  means: ArrayLike<number>,
  covariances: ArrayLike<number>,
  reg: number,
  when: string,
): MixtureParams {
  f64(ws.weights, ws.k).set(weights);
  setMeans(ws, means);
  f64(ws.cov, covarianceSize(family, ws.k, ws.d)).set(covariances);
  factorCovariances(wasm, family, ws, reg, when);
  wasm.logOf(ws.weights, ws.logWeights, ws.k);
  return readParams(family, ws);
}

/** Means into ws, in the coordinates of its rows (minus ws.shift). */
function setMeans(ws: Workspace, means: ArrayLike<number>): void {
  const m = f64(ws.means, ws.k * ws.d);
  m.set(means);
  const shift = ws.shift;
  if (shift) for (let t = 0; t < m.length; t++) m[t] -= shift[t % ws.d];
}

/** The means in ws, in the user's coordinates. */
function getMeans(ws: Workspace): Float64Array {
  const m = f64(ws.means, ws.k * ws.d).slice();
  const shift = ws.shift;
  if (shift) for (let t = 0; t < m.length; t++) m[t] += shift[t % ws.d];
  return m;
}

/**
 * E-step on the workspace's rows: leaves responsibilities in ws.resp and
 * per-row log-likelihoods in ws.logProbNorm; returns their mean.
 */
export function eStep(wasm: Kernels, family: CovarianceFamily, ws: Workspace, writeResp = true): number {
  return eStepTotal(wasm, family, ws, writeResp) / ws.n;
}

/** eStep's Σ of the per-row log-likelihoods (rather than their mean). */
export function eStepTotal(wasm: Kernels, family: CovarianceFamily, ws: Workspace, writeResp = true): number {
  let total: number;
  if (ws.params32) total = family.eStepF32(wasm, ws, writeResp);
  else if (family.eStep) total = family.eStep(wasm, ws, writeResp);
  else {
    family.logProb(wasm, ws, ws.x, ws.n, ws.resp);
    total = wasm.normalizeLogProb(ws.resp, ws.n, ws.k, ws.logProbNorm, writeResp);
  }
  if (!Number.isFinite(total)) total = repairOverflowRows(wasm, family, ws, writeResp);
  return total;
}

const LOG_2PI = 1.8378770664093453;

/**
 * Rows whose squared Mahalanobis distances overflowed in the kernels (a
 * value ≳ 1e154 from a mean) get −∞ or NaN log-densities there and no
 * responsibilities. Recomputed here from the scaled form q = (s·m)²·t
 * (covariance.ts, scaledDistances): a log-density is −∞ only when it is
 * below −1.8e308, and even then the row's responsibility goes wholly to the
 * component with the smallest distance (shared equally on an exact tie), so
 * predictProba rows always sum to 1. Logs and exps run in the module (logOf,
 * normalizeLogProb), as everywhere else. Returns the new Σ log-likelihood.
 */
function repairOverflowRows(wasm: Kernels, family: CovarianceFamily, ws: Workspace, writeResp: boolean): number {
  const { n, d, k } = ws;
  return scoped(() => {
    const terms = new Float64Array(3 * k);
    const row = new Float64Array(d);
    const buf = alloc(3 * k, 8, "overflow row");
    const norm = alloc(1, 8, "overflow row");
    let total = 0;
    for (let i = 0; i < n; i++) {
      const lse = f64(ws.logProbNorm, n)[i];
      if (Number.isFinite(lse)) {
        total += lse;
        continue;
      }
      row.set(ws.rowKernels.bytes === 4 ? f32(ws.x + i * d * 4, d) : f64(ws.x + i * d * 8, d));
      family.scaledDistances(ws, row, terms);
      // log s, log m, log t for each component, in the module
      f64(buf, 3 * k).set(terms);
      wasm.logOf(buf, buf, 3 * k);
      const logs = f64(buf, 3 * k).slice();
      const logWeights = f64(ws.logWeights, k);
      const logDet = f64(ws.logDet, k);
      const logp = new Float64Array(k);
      const key = new Float64Array(k); // log(q/2), to rank components when every logp is −∞
      for (let c = 0; c < k; c++) {
        const [sc, mc, tc] = [terms[3 * c], terms[3 * c + 1], terms[3 * c + 2]];
        const a = sc * mc;
        const halfQ = a * 0.5 * (a * tc); // +∞ only when q/2 itself exceeds the largest double
        logp[c] = logWeights[c] + logDet[c] - 0.5 * d * LOG_2PI - halfQ;
        key[c] = tc === 0 ? -Infinity : 2 * (logs[3 * c] + logs[3 * c + 1]) + logs[3 * c + 2] - Math.LN2;
      }
      const respRow = f64(ws.resp + i * k * 8, k);
      f64(buf, k).set(logp);
      const value = wasm.normalizeLogProb(buf, 1, k, norm, writeResp);
      if (Number.isFinite(value)) {
        respRow.set(f64(buf, k));
        f64(ws.logProbNorm, n)[i] = value;
        total += value;
        continue;
      }
      let best = Infinity;
      for (let c = 0; c < k; c++) best = Math.min(best, key[c]);
      let ties = 0;
      for (let c = 0; c < k; c++) if (key[c] === best) ties++;
      for (let c = 0; c < k; c++) {
        const nearest = key[c] === best;
        respRow[c] = writeResp ? (nearest ? 1 / ties : 0) : nearest ? 0 : -Infinity;
      }
      f64(ws.logProbNorm, n)[i] = -Infinity;
      total += -Infinity;
    }
    return total;
  });
}

function factorFailure(
  family: CovarianceFamily,
  ws: Workspace,
  index: number,
  when: string,
  reg: number,
): CovarianceError {
  const name = family.blockName(index, ws.d);
  const which = name[0].toUpperCase() + name.slice(1);
  return new CovarianceError(
    `${which} is not positive definite ${when}, so it has no Cholesky factor: its points have collapsed onto ` +
      `a lower-dimensional set (duplicated rows, a constant feature, or too few points). ` +
      `Increase regCovar (now ${reg}), use fewer components, or rescale the features.`,
  );
}

/**
 * The M-step: parameters from merged statistics (statistics.ts), then the
 * precision factors. `weightsBy` is "n" at initialisation (scikit-learn
 * divides N_k by n there) and "sum" afterwards (it renormalises).
 */
export function mStep(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  stats: Statistics,
  reg: number,
  weightsBy: "n" | "sum",
  when: string,
): void {
  mStepParameters(wasm, family, ws, stats, reg, weightsBy);
  factorCovariances(wasm, family, ws, reg, when);
}

/** An E-step over the workspace's rows and their statistics: one block, as a worker thread computes its shard. */
export function eStepStatistics(wasm: Kernels, family: CovarianceFamily, ws: Workspace): Statistics {
  // the fused kernels sum N_k, Σ r·x and the scatter during the E-step (those that cannot
  // weigh the rows decline sample weights)
  const fused = family.eStepWithStatistics?.(wasm, ws);
  if (!fused) return blockStatistics(wasm, family, ws, eStepTotal);
  let { logLikelihood } = fused;
  const { statistics } = fused;
  if (Number.isFinite(logLikelihood)) {
    const { n, k, d } = ws;
    // the statistics are weighted already; the responsibilities and log-likelihoods as blockStatistics leaves them
    if (ws.sampleWeight) logLikelihood = wasm.weighRows(ws.resp, ws.logProbNorm, ws.sampleWeight, n, k);
    const { nk, sums } = statistics;
    f64(ws.nk, k).set(nk);
    meansFromSums(nk, sums, k, d, f64(ws.means, k * d));
    // a scatter whose moments would cancel: summed from ws.resp about the new means instead
    // (every row was scored, so tied tries its kept row scatter first: no pass over the rows)
    const scatter = statistics.scatter ?? scatterAboutMeans(wasm, family, ws, true);
    return { rows: ws.n, sumWeights: ws.sumWeights, logLikelihood, nk, sums, scatter };
  }
  // rows that overflowed: repaired in ws.resp as eStepTotal repairs them, then summed from there
  const total = repairOverflowRows(wasm, family, ws, true);
  return blockStatistics(wasm, family, ws, () => total);
}

/** Precision factors of ws.cov; a covariance without one is a CovarianceError naming the remedy. */
export function factorCovariances(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  reg: number,
  when: string,
): void {
  const bad = family.factorFromCovariance(wasm, ws);
  if (bad >= 0) throw factorFailure(family, ws, bad, when, reg);
}

/** Starting parameters in ws: the given ones, or an M-step on the start method's responsibilities. */
export function initialize(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  opts: ResolvedOptions,
  given: GivenStart,
  rng: Random,
): void {
  // With weights, means and precisions all given, initial responsibilities
  // would go unused (scikit-learn computes them anyway; the fit is the same).
  const complete = given.weights && given.means && given.precisions;
  if (!complete) {
    // "auto" is a search over the start methods (search.ts), never a start itself
    if (given.responsibilities) f64(ws.resp, ws.n * ws.k).set(given.responsibilities);
    else if (opts.initParams === "auto") throw new Error('internal: initParams "auto" reached a single EM run');
    else START_METHODS[opts.initParams](ws, rng);
  }
  markUnscored(ws);
  const { k, d } = ws;
  if (given.precisions) {
    // Only weights and means are needed from the responsibilities.
    if (!complete)
      mStepParameters(wasm, family, ws, blockStatistics(wasm, family, ws, undefined, false), opts.regCovar, "n");
    const prec = allocFrom(given.precisions, "precisionsInit");
    const bad = family.factorFromPrecision(wasm, ws, prec);
    if (bad >= 0) {
      throw new RangeError(
        `precisionsInit is not positive definite (component ${family.component(bad, d)}): every precision matrix must be symmetric positive definite`,
      );
    }
    const size = covarianceSize(family, k, d);
    f64(ws.cov, size).set(family.covariancesFromFactor(f64(ws.factor, size).slice(), k, d));
  } else {
    mStep(wasm, family, ws, blockStatistics(wasm, family, ws, undefined), opts.regCovar, "n", "at initialisation");
  }
  if (given.weights) f64(ws.weights, k).set(given.weights);
  if (given.means) setMeans(ws, given.means);
  wasm.logOf(ws.weights, ws.logWeights, k);
}

/**
 * What an estimator plugs into the EM driver (scikit-learn's BaseMixture
 * hooks): the start, the M-step from an E-step's statistics, the lower bound
 * and reading the parameters out. The E-step is always the family's
 * log-density kernel on whatever ws holds (means, factors, log-dets, log
 * weights), so a hook set changes the E-step only through what its M-step
 * leaves in ws.
 */
export interface EmHooks<P extends MixtureParams = MixtureParams> {
  /** Starting parameters into ws (not called for a warm start). */
  initialize(wasm: Kernels, family: CovarianceFamily, ws: Workspace, rng: Random): void;
  /** A warm start's parameters into ws. */
  load(wasm: Kernels, family: CovarianceFamily, ws: Workspace, params: P): void;
  /** The M-step from the statistics of an E-step under the parameters in ws; `when` names the iteration for errors. */
  mStep(wasm: Kernels, family: CovarianceFamily, ws: Workspace, stats: Statistics, when: string): void;
  /** The lower bound of this iteration, called after mStep (scikit-learn's order) with the same statistics. */
  lowerBound(wasm: Kernels, family: CovarianceFamily, ws: Workspace, stats: Statistics): number;
  /** The parameters in ws. */
  read(family: CovarianceFamily, ws: Workspace): P;
}

/** GaussianMixture's hooks: maximum likelihood, the lower bound being the mean log-likelihood. */
export function gaussianHooks(opts: ResolvedOptions, given: GivenStart): EmHooks {
  return {
    initialize: (wasm, family, ws, rng) => initialize(wasm, family, ws, opts, given, rng),
    load: loadParams,
    mStep: (wasm, family, ws, stats, when) => mStep(wasm, family, ws, stats, opts.regCovar, "sum", when),
    lowerBound: (_w, _family, _ws, stats) => stats.logLikelihood / stats.sumWeights,
    read: readParams,
  };
}

/**
 * EM, written once for every way of computing an E-step, as scikit-learn's
 * fit_predict reads: for each initialisation, initialise; then repeat: an
 * E-step over all the rows under the current parameters (yielded: whoever
 * drives the generator computes the rows' statistics, in this thread or
 * sharded over workers, and sends them back), its lower bound, the M-step
 * from those statistics, the convergence test. Keeps the best of nInit.
 */
function* em<P extends MixtureParams>(
  ws: Workspace,
  opts: ResolvedOptions,
  hooks: EmHooks<P>,
  start: { params: P; lowerBound: number } | undefined,
  control: FitControl,
): Generator<void, FitOutcome<P>, Statistics> {
  const wasm = kernels();
  const family = FAMILIES[opts.covarianceType];
  const rng = new Random(opts.randomState);
  const restarts = start ? 1 : opts.nInit;
  const { onIteration, signal, timeBudgetMs } = control;
  const deadline = timeBudgetMs === undefined ? Infinity : Date.now() + timeBudgetMs;
  if (signal?.aborted) throw abortError(signal);
  let best: FitOutcome<P> | undefined;
  let outOfTime = false;
  for (let init = 0; init < restarts && !outOfTime; init++) {
    if (start) hooks.load(wasm, family, ws, start.params);
    else hooks.initialize(wasm, family, ws, rng);
    let lowerBound = start ? start.lowerBound : -Infinity;
    let stopReason: StopReason = "maxIter";
    let nIter = 0;
    for (let iteration = 1; iteration <= opts.maxIter; iteration++) {
      nIter = iteration;
      const previous = lowerBound;
      const stats = yield; // the E-step
      hooks.mStep(
        wasm,
        family,
        ws,
        stats,
        `at EM iteration ${iteration}${restarts > 1 ? ` of initialisation ${init}` : ""}`,
      );
      lowerBound = hooks.lowerBound(wasm, family, ws, stats);
      const change = lowerBound - previous;
      onIteration?.({
        init,
        iteration,
        lowerBound,
        change,
        params: () => {
          const p = hooks.read(family, ws);
          return {
            weights: Array.from(p.weights),
            means: nest(p.means, [ws.k, ws.d]) as number[][],
            covariances: nest(p.covariances, family.shape(ws.k, ws.d)) as CovarianceArray,
          };
        },
      });
      if (Math.abs(change) < opts.tol) {
        stopReason = "converged";
        break;
      }
      if (signal?.aborted) throw abortError(signal);
      if (Date.now() >= deadline) {
        stopReason = "timeBudget";
        outOfTime = true;
        break;
      }
    }
    // As scikit-learn: the first restart always counts, later ones must beat it.
    if (!best || lowerBound > best.lowerBound) {
      best = { params: hooks.read(family, ws), converged: stopReason === "converged", nIter, lowerBound, stopReason };
    } else if (outOfTime) {
      // Not every restart ran: the fit as a whole did not converge.
      best.stopReason = "timeBudget";
      best.converged = false;
    }
  }
  return best!;
}

/**
 * Fits by EM on the rows at ws.x, in this thread: the whole data is one
 * block of statistics. `start` (warm start) skips initialisation and runs a
 * single restart from those parameters. Throws CovarianceError when a
 * covariance cannot be factored.
 */
export function fitEm<P extends MixtureParams = MixtureParams>(
  ws: Workspace,
  opts: ResolvedOptions,
  given: GivenStart,
  start: { params: P; lowerBound: number } | undefined,
  control: FitControl = {},
  hooks: EmHooks<P> = gaussianHooks(opts, given) as unknown as EmHooks<P>,
): FitOutcome<P> {
  const wasm = kernels();
  const family = FAMILIES[opts.covarianceType];
  const run = em(ws, opts, hooks, start, control);
  let next = run.next();
  while (!next.done) next = run.next(eStepStatistics(wasm, family, ws));
  return next.value;
}

/**
 * The same EM with each E-step's statistics computed by `statistics` (under
 * the parameters in ws), e.g. merged from worker threads holding shards of
 * the rows.
 */
export async function fitEmWith<P extends MixtureParams = MixtureParams>(
  ws: Workspace,
  opts: ResolvedOptions,
  given: GivenStart,
  start: { params: P; lowerBound: number } | undefined,
  control: FitControl,
  statistics: () => Promise<Statistics>,
  hooks: EmHooks<P> = gaussianHooks(opts, given) as unknown as EmHooks<P>,
): Promise<FitOutcome<P>> {
  const run = em(ws, opts, hooks, start, control);
  let next = run.next();
  while (!next.done) next = run.next(await statistics());
  return next.value;
}

/** Hard labels from the responsibilities/log-probabilities in ws.resp. */
export function argmaxLabels(wasm: Kernels, ws: Workspace): Int32Array {
  return scoped(() => {
    const labels = alloc(ws.n, 4, "labels");
    wasm.argmaxRows(ws.resp, ws.n, ws.k, labels);
    return i32(labels, ws.n).slice();
  });
}

/**
 * The statistics of the workspace's rows under the parameters loaded in it.
 * With `eStep` the responsibilities come from an E-step (and the
 * log-likelihood with them); without, from ws.resp as it is (initial
 * responsibilities). `scatter: false` leaves the scatter empty (a start
 * that only needs weights and means). Leaves the block's means in ws.means.
 */
export function blockStatistics(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  eStep: ((wasm: Kernels, family: CovarianceFamily, ws: Workspace) => number) | undefined,
  scatter = true,
): Statistics {
  const { n, d, k } = ws;
  let logLikelihood = eStep ? eStep(wasm, family, ws) : NaN;
  // sample weights scale each row's responsibilities, so every sum below is weighted
  if (ws.sampleWeight) {
    const weighted = wasm.weighRows(ws.resp, ws.logProbNorm, ws.sampleWeight, n, k);
    if (eStep) logLikelihood = weighted;
  }
  return scoped(() => {
    const sums = alloc(k * d, 8, "component sums");
    ws.rowKernels.componentSums(ws.x, ws.resp, n, d, k, ws.nk, sums);
    const nk = f64(ws.nk, k).slice();
    const s = f64(sums, k * d).slice();
    meansFromSums(nk, s, k, d, f64(ws.means, k * d));
    // after an E-step that scored every row, each row's responsibilities sum to its weight
    const scored = eStep !== undefined && Number.isFinite(logLikelihood);
    const out = scatter ? scatterAboutMeans(wasm, family, ws, scored) : new Float64Array(0);
    return { rows: n, sumWeights: ws.sumWeights, logLikelihood, nk, sums: s, scatter: out };
  });
}

/** The family's scatter of ws.resp about ws.means (N_k in ws.nk); `scored` as family.scatter takes it. */
function scatterAboutMeans(wasm: Kernels, family: CovarianceFamily, ws: Workspace, scored = false): Float64Array {
  return scoped(() => {
    const size = family.scatterSize(ws.k, ws.d);
    const buffer = alloc(size, 8, "scatter");
    family.scatter(wasm, ws, buffer, scored);
    return f64(buffer, size).slice();
  });
}

/**
 * The M-step from statistics: N_k (+10ε), weights N_k / n at initialisation
 * (scikit-learn divides by the row count there; with sample weights, by
 * their sum) or N_k / Σ N_k afterwards,
 * means Σ r·x / N_k, and the family's covariances (with reg_covar) from the
 * scatter. Leaves the parameters in ws without their factors (factorCovariances).
 */
export function mStepParameters(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  s: Statistics,
  reg: number,
  weightsBy: "n" | "sum",
): void {
  const { k, d } = ws;
  const nk = f64(ws.nk, k);
  for (let c = 0; c < k; c++) nk[c] = s.nk[c] + NK_FLOOR;
  const weights = f64(ws.weights, k);
  let total = s.sumWeights;
  if (weightsBy === "sum") {
    total = 0;
    for (let c = 0; c < k; c++) total += nk[c];
  }
  for (let c = 0; c < k; c++) weights[c] = nk[c] / total;
  wasm.logOf(ws.weights, ws.logWeights, k);
  meansFromSums(s.nk, s.sums, k, d, f64(ws.means, k * d));
  // statistics without scatter (a start with given precisions) leave the covariances alone
  if (s.scatter.length > 0) family.covarianceFromScatter(wasm, ws, s.scatter, reg);
}
