// Variational inference for a Gaussian mixture (scikit-learn 1.2.1's
// BayesianGaussianMixture): a second set of hooks on the one EM driver
// (em.ts) over the same sufficient statistics (statistics.ts).
//
// The model (Bishop 2006, §10.2; Blei & Jordan 2006 for the stick-breaking
// prior): weights from a Dirichlet distribution or a Dirichlet process, and
// per component a Gaussian–Wishart prior on (μ_k, Λ_k) with mean m₀, mean
// precision β₀, degrees of freedom ν₀ and covariance prior Ψ₀ (= W₀⁻¹). The
// variational posterior keeps that form, with
//   β_k = β₀ + N_k,  m_k = (β₀m₀ + N_k x̄_k) / β_k,  ν_k = ν₀ + N_k,
//   W_k⁻¹ = Ψ₀ + N_k S_k + (β₀N_k/β_k)(x̄_k − m₀)(x̄_k − m₀)ᵀ,
// where N_k, x̄_k and S_k (the weighted covariance, reg_covar included) are
// exactly GaussianMixture's M-step quantities from the statistics. As
// scikit-learn, `covariances_` holds W_k⁻¹/ν_k, so the model's precision
// factor is the Cholesky factor of ν_k W_k = E[Λ_k].
//
// The E-step is the family's log-density kernel, unchanged: with that factor
// the kernel's −½‖F(x − m)‖² is −½ν_k(x − m)ᵀW_k(x − m), and every other term
// of E[log π_k] + E[log N(x | μ_k, Λ_k)] is a per-component constant, folded
// into the log weights the kernel adds:
//   ½(Σ_j ψ((ν_k − j)/2) + d log 2 − d log ν_k) − d/(2β_k) + E[log π_k].
// Digamma, log-gamma and log run in the module (assembly/special.ts). What
// differs by covariance type (the Wishart or Gamma prior on the precisions,
// its data default and its update) is the family table's precisionPrior
// (covariance.ts); this file never branches on the type.
import { type CovarianceFamily, covarianceSize, type Workspace, wishartGammas } from "./covariance.js";
import {
  blockStatistics,
  type EmHooks,
  eStep,
  factorCovariances,
  loadParams,
  type MixtureParams,
  markUnscored,
  mStepParameters,
  readParams,
} from "./em.js";
import { START_METHODS } from "./init.js";
import { alloc, f32, f64, scoped } from "./memory.js";
import type { Random } from "./random.js";
import { meansFromSums, type Statistics } from "./statistics.js";
import { type Kernels, kernels } from "./wasm.js";

export { WEIGHT_PRIOR_TYPES } from "./options.js";
export type { WeightConcentrationPriorType } from "./types.js";

import type { StartName, WeightConcentrationPriorType } from "./types.js";

/** The priors, resolved against the data (scikit-learn's `*_prior_` attributes). */
export interface Priors {
  type: WeightConcentrationPriorType;
  /** γ₀: the Dirichlet concentration (distribution) or the Beta(1, γ₀) sticks' (process). */
  weightConcentration: number;
  /** β₀. */
  meanPrecision: number;
  /** m₀, d values. */
  mean: Float64Array;
  /** ν₀ > d − 1. */
  degreesOfFreedom: number;
  /** Ψ₀ in the family's prior layout: d×d (full, tied), d (diag), 1 (spherical). */
  covariance: Float64Array;
}

/** The variational posterior: a mixture's parameters plus the distributions' own. */
export interface VariationalParams extends MixtureParams {
  /** E-step log weights (see the file comment). */
  logWeights: Float64Array;
  /** Dirichlet process: 2k values, the sticks' Beta parameters α_k then β_k; distribution: k values. */
  weightConcentration: Float64Array;
  /** β_k, k values. */
  meanPrecision: Float64Array;
  /** ν_k, k values (tied: k copies of the one shared value). */
  degreesOfFreedom: Float64Array;
}

/**
 * The rows' weighted moments behind the data priors, as the statistics of
 * one component holding every row (N = Σw, Σw·x in user coordinates, the
 * raw scatter about the rows' own mean in the family's layout, through
 * PrecisionPrior.addDataScatter): blocks of rows merge with mergeStatistics
 * (k = 1), so a stream gets them in one pass.
 */
export function dataMoments(
  family: CovarianceFamily,
  x: ArrayLike<number>,
  n: number,
  d: number,
  weights?: ArrayLike<number>,
  shift?: Float64Array,
): Statistics {
  let total = 0;
  const sums = new Float64Array(d);
  for (let i = 0; i < n; i++) {
    const wi = weights ? weights[i] : 1;
    total += wi;
    for (let j = 0; j < d; j++) sums[j] += wi * x[i * d + j];
  }
  // centred two-pass sums (frequency weights: an integer weight counts as that many rows)
  const centre = new Float64Array(d);
  meansFromSums([total], sums, 1, d, centre);
  const scatter = new Float64Array(family.scatterSize(1, d));
  family.precisionPrior.addDataScatter(x, n, d, centre, weights, scatter);
  // rows held minus `shift` (float32): the sums go back to user coordinates, as moveSums does
  if (shift) for (let j = 0; j < d; j++) sums[j] += total * shift[j];
  return { rows: n, sumWeights: total, logLikelihood: Number.NaN, nk: Float64Array.of(total), sums, scatter };
}

/** The priors the user gave (the rest come from the data). */
export interface GivenPriors {
  type: WeightConcentrationPriorType;
  weightConcentration?: number;
  meanPrecision?: number;
  mean?: Float64Array;
  degreesOfFreedom?: number;
  covariance?: Float64Array;
}

/**
 * scikit-learn's data-derived priors (1.2.1): γ₀ = 1/K, β₀ = 1, m₀ the mean
 * of X, ν₀ = d, Ψ₀ the covariance of X with n − 1 (full, tied), the column
 * variances (diag) or their mean (spherical), from the rows' moments. With
 * sample weights the mean and covariance are weighted, dividing by Σw − 1.
 */
export function resolvePriors(
  family: CovarianceFamily,
  k: number,
  d: number,
  given: GivenPriors,
  moments: Statistics,
): Priors {
  const total = moments.nk[0];
  let mean = given.mean;
  if (!mean) meansFromSums(moments.nk, moments.sums, 1, d, (mean = new Float64Array(d)));
  return {
    type: given.type,
    weightConcentration: given.weightConcentration ?? 1 / k,
    meanPrecision: given.meanPrecision ?? 1,
    mean,
    degreesOfFreedom: given.degreesOfFreedom ?? d,
    covariance: given.covariance ?? family.precisionPrior.priorFromScatter(moments.scatter, d, total - 1),
  };
}

/** The data priors of the workspace's rows (float32 rows too: their moments go back to user coordinates). */
export function dataPriors(family: CovarianceFamily, ws: Workspace, given: GivenPriors): Priors {
  const { n, d } = ws;
  const x = ws.rowKernels.bytes === 4 ? f32(ws.x, n * d) : f64(ws.x, n * d);
  const weights = ws.sampleWeight ? f64(ws.sampleWeight, n) : undefined;
  return resolvePriors(family, ws.k, d, given, dataMoments(family, x, n, d, weights, ws.shift));
}

/**
 * E[log π_k] (Dirichlet: ψ(α_k) − ψ(Σα); stick-breaking: ψ(α_k) − ψ(α_k + β_k)
 * + Σ_{j<k} ψ(β_j) − ψ(α_j + β_j)) plus each component's constant terms of
 * E[log N(x | μ_k, Λ_k)] beyond the kernel's (see the file comment).
 */
export function expectedLogWeights(
  wasm: Kernels,
  type: WeightConcentrationPriorType,
  k: number,
  d: number,
  concentration: ArrayLike<number>,
  meanPrecision: ArrayLike<number>,
  dof: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(k);
  if (type === "dirichlet_process") {
    let before = 0;
    for (let c = 0; c < k; c++) {
      const a = concentration[c];
      const b = concentration[k + c];
      const both = wasm.digamma(a + b);
      out[c] = wasm.digamma(a) - both + before;
      before += wasm.digamma(b) - both;
    }
  } else {
    let total = 0;
    for (let c = 0; c < k; c++) total += concentration[c];
    const all = wasm.digamma(total);
    for (let c = 0; c < k; c++) out[c] = wasm.digamma(concentration[c]) - all;
  }
  const log2 = wasm.ln(2);
  for (let c = 0; c < k; c++) {
    const nu = dof[c];
    let psi = 0;
    for (let j = 0; j < d; j++) psi += wasm.digamma(0.5 * (nu - j));
    out[c] += 0.5 * (d * log2 + psi) - 0.5 * d * wasm.ln(nu) - (0.5 * d) / meanPrecision[c];
  }
  return out;
}

/**
 * The weights' posterior means: α_k/Σα (Dirichlet), or the expected stick
 * lengths α_k/(α_k+β_k)·Π_{j<k} β_j/(α_j+β_j), renormalised (process).
 */
export function posteriorWeights(
  type: WeightConcentrationPriorType,
  k: number,
  concentration: ArrayLike<number>,
): Float64Array {
  const out = new Float64Array(k);
  let total = 0;
  if (type === "dirichlet_process") {
    let rest = 1;
    for (let c = 0; c < k; c++) {
      const a = concentration[c];
      const b = concentration[k + c];
      out[c] = (a / (a + b)) * rest;
      rest *= b / (a + b);
    }
  } else {
    for (let c = 0; c < k; c++) out[c] = concentration[c];
  }
  for (let c = 0; c < k; c++) total += out[c];
  for (let c = 0; c < k; c++) out[c] /= total;
  return out;
}

/**
 * Σ_i Σ_k w_i r_ik log r_ik from the statistics and the parameters the E-step
 * used (still in ws): log r = log ρ − log p(x), and Σ_i r_ik log ρ_ik is
 * N_k·(the kernel's constant) − ½ Σ_i r_ik‖F_k(x_i − m_k)‖², where the sum of
 * squared distances is tr(F_kᵀF_k S̃_k) for the scatter S̃_k about the E-step's
 * means m_k (the statistics' scatter about their own means, moved). So the
 * entropy needs no pass over the rows, and statistics of any blocks, merged,
 * give it as one block would. `means` are the E-step's (blockStatistics
 * leaves the block's own means in ws.means). Undefined when rounding would
 * swamp the value (far rows; entropyOfRows sums those).
 */
function responsibilityEntropy(
  family: CovarianceFamily,
  ws: Workspace,
  stats: Statistics,
  means: Float64Array,
): number | undefined {
  const { k, d } = ws;
  const LOG_2PI = 1.8378770664093453;
  const factor = f64(ws.factor, covarianceSize(family, k, d));
  const logWeights = f64(ws.logWeights, k);
  const logDet = f64(ws.logDet, k);
  let weighted = 0;
  for (let c = 0; c < k; c++) weighted += stats.nk[c] * (logWeights[c] + logDet[c] - 0.5 * d * LOG_2PI);
  const squares = family.precisionPrior.squaredDistances(factor, stats, means, k, d);
  const value = weighted - 0.5 * squares - stats.logLikelihood;
  // A row far from every component has a huge ½‖F(x − m)‖² and log p(x) that
  // cancel to its r log r ≈ 0 (or to −∞ − (−∞) once they overflow): then the
  // rounding of the terms swamps the value, and the rows must be summed.
  const rounding = Number.EPSILON * (Math.abs(weighted) + 0.5 * squares + Math.abs(stats.logLikelihood));
  return Number.isFinite(value) && rounding <= 1e-9 * (Math.abs(value) + 1) ? value : undefined;
}

/**
 * Σ_i w_i Σ_k r_ik log r_ik by a pass over the rows: an E-step in this
 * thread under the parameters still in ws (with the E-step's means put
 * back), then the sum with 0 log 0 = 0. For statistics whose log-likelihood
 * is −∞: a row so far from every component that its log-density overflows
 * to −∞ gets all of its responsibility on the nearest one (em.ts,
 * repairOverflowRows), so its r log r is 0, but the statistics' form above
 * would take −∞ − (−∞) for it. All of X is in ws in every fit path (the
 * threaded one included), so the result does not depend on how the
 * statistics were computed. Logs run in the module.
 */
function entropyOfRows(wasm: Kernels, family: CovarianceFamily, ws: Workspace, means: Float64Array): number {
  const { n, k, d } = ws;
  f64(ws.means, k * d).set(means);
  eStep(wasm, family, ws, true);
  return scoped(() => {
    const logs = alloc(n * k, 8, "log responsibilities");
    wasm.logOf(ws.resp, logs, n * k);
    const r = f64(ws.resp, n * k);
    const logR = f64(logs, n * k);
    const weights = ws.sampleWeight ? f64(ws.sampleWeight, n) : undefined;
    let total = 0;
    for (let i = 0; i < n; i++) {
      let row = 0;
      for (let t = i * k; t < (i + 1) * k; t++) if (r[t] > 0) row += r[t] * logR[t];
      total += weights ? weights[i] * row : row;
    }
    return total;
  });
}

/**
 * The variational hooks for the EM driver. `start` writes initial
 * responsibilities into ws.resp (a start method, or given ones); the first
 * M-step makes the starting posterior from them, as scikit-learn's
 * `_initialize(X, resp)`.
 */
export function variationalHooks(
  priors: Priors,
  reg: number,
  start: (ws: Workspace, rng: Random) => void,
): VariationalHooks {
  let concentration = new Float64Array(0);
  let meanPrecision = new Float64Array(0);
  let dof: Float64Array = new Float64Array(0);
  // −Σ r log r of the last E-step, taken before its M-step replaced the parameters
  let entropy = 0;
  // the means the next E-step scores with (ws.means holds the statistics' own after an E-step)
  let eStepMeans = new Float64Array(0);
  // Σ r log r of the E-step, when its rows were summed block by block elsewhere (a stream)
  let given: number | undefined;

  function mStep(wasm: Kernels, family: CovarianceFamily, ws: Workspace, stats: Statistics, when: string): void {
    const { k, d } = ws;
    // N_k + 10ε, x̄_k and S_k (reg_covar included): GaussianMixture's M-step
    mStepParameters(wasm, family, ws, stats, reg, "sum");
    const nk = f64(ws.nk, k).slice();
    const xbar = f64(ws.means, k * d).slice();
    const cov = f64(ws.cov, covarianceSize(family, k, d));
    const { type, weightConcentration: g0, meanPrecision: b0, degreesOfFreedom: nu0, covariance: psi0 } = priors;
    // m₀ in the coordinates of the rows (float32 rows are held minus ws.shift)
    const m0 = ws.shift ? priors.mean.map((v, j) => v - ws.shift![j]) : priors.mean;
    if (type === "dirichlet_process") {
      concentration = new Float64Array(2 * k);
      let tail = 0;
      for (let c = k - 1; c >= 0; c--) {
        concentration[c] = 1 + nk[c];
        concentration[k + c] = g0 + tail;
        tail += nk[c];
      }
    } else {
      concentration = nk.map((v) => g0 + v);
    }
    meanPrecision = nk.map((v) => b0 + v);
    const means = f64(ws.means, k * d);
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) means[c * d + j] = (b0 * m0[j] + nk[c] * xbar[c * d + j]) / meanPrecision[c];
    }
    dof = family.precisionPrior.update(
      cov,
      nk,
      xbar,
      meanPrecision,
      { meanPrecision: b0, mean: m0, degreesOfFreedom: nu0, covariance: psi0 },
      k,
      d,
    );
    eStepMeans = means.slice();
    factorCovariances(wasm, family, ws, reg, when);
    f64(ws.weights, k).set(posteriorWeights(type, k, concentration));
    f64(ws.logWeights, k).set(expectedLogWeights(wasm, type, k, d, concentration, meanPrecision, dof));
  }

  return {
    initialize(wasm, family, ws, rng) {
      start(ws, rng);
      markUnscored(ws);
      mStep(wasm, family, ws, blockStatisticsOf(wasm, family, ws), "at initialisation");
    },
    load(wasm, family, ws, p) {
      loadParams(wasm, family, ws, p);
      eStepMeans = f64(ws.means, ws.k * ws.d).slice();
      concentration = p.weightConcentration.slice();
      meanPrecision = p.meanPrecision.slice();
      dof = p.degreesOfFreedom.slice();
    },
    mStep(wasm, family, ws, stats, when) {
      entropy = -(given ?? blockEntropy(wasm, family, ws, stats, eStepMeans));
      given = undefined;
      mStep(wasm, family, ws, stats, when);
    },
    useEntropy(total) {
      given = total;
    },
    lowerBound(wasm, family, ws) {
      return entropy + variationalBoundTerms(wasm, family, ws, priors.type, concentration, meanPrecision, dof);
    },
    read(family, ws) {
      return {
        ...readParams(family, ws),
        logWeights: f64(ws.logWeights, ws.k).slice(),
        weightConcentration: concentration.slice(),
        meanPrecision: meanPrecision.slice(),
        degreesOfFreedom: dof.slice(),
      };
    },
  };
}

/**
 * The variational hooks, plus a way in for E-steps whose rows are not in the
 * driver's workspace (a stream's chunks): their Σ_i w_i Σ_k r_ik log r_ik,
 * summed block by block with blockEntropy, replaces the next mStep's own.
 */
export interface VariationalHooks extends EmHooks<VariationalParams> {
  useEntropy(total: number): void;
}

/**
 * Σ_i w_i Σ_k r_ik log r_ik of one block of rows, from its statistics under
 * the parameters in ws (the E-step's means given: the statistics leave the
 * block's own in ws.means), or by a pass over the block's rows when rounding
 * would swamp that form. Additive over blocks.
 */
export function blockEntropy(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  stats: Statistics,
  means: Float64Array,
): number {
  return responsibilityEntropy(family, ws, stats, means) ?? entropyOfRows(wasm, family, ws, means);
}

function blockStatisticsOf(wasm: Kernels, family: CovarianceFamily, ws: Workspace): Statistics {
  return blockStatistics(wasm, family, ws, undefined);
}

/**
 * The lower bound's terms beyond the responsibilities' entropy, as
 * scikit-learn 1.2.1 keeps them (its constants dropped, so values compare
 * with its `lower_bound_`): −Σ_k log B(W_k, ν_k) of the normalised
 * precisions, minus the weights' log normaliser (Σ log Beta(α_k, β_k) for the
 * process, log Γ(Σα) − Σ log Γ(α_k) for the distribution), minus
 * ½d Σ_k log β_k.
 */
function variationalBoundTerms(
  wasm: Kernels,
  family: CovarianceFamily,
  ws: Workspace,
  type: WeightConcentrationPriorType,
  concentration: Float64Array,
  meanPrecision: Float64Array,
  dof: Float64Array,
): number {
  const { k, d } = ws;
  const logDet = f64(ws.logDet, k);
  const half2 = 0.5 * wasm.ln(2);
  const wishartNorm = (c: number) => {
    const nu = dof[c];
    const logDetChol = logDet[c] - 0.5 * d * wasm.ln(nu);
    return -(nu * logDetChol + nu * d * half2 + wishartGammas(nu, d, (x) => wasm.lgamma(x)));
  };
  let logWishart = 0;
  // one shared precision (tied) counts once per component, as scikit-learn
  if (family.shared) logWishart = k * wishartNorm(0);
  else for (let c = 0; c < k; c++) logWishart += wishartNorm(c);
  let logNormWeight = 0;
  if (type === "dirichlet_process") {
    for (let c = 0; c < k; c++) {
      const a = concentration[c];
      const b = concentration[k + c];
      logNormWeight -= wasm.lgamma(a) + wasm.lgamma(b) - wasm.lgamma(a + b);
    }
  } else {
    let total = 0;
    for (let c = 0; c < k; c++) total += concentration[c];
    logNormWeight = wasm.lgamma(total);
    for (let c = 0; c < k; c++) logNormWeight -= wasm.lgamma(concentration[c]);
  }
  let logBeta = 0;
  for (let c = 0; c < k; c++) logBeta += wasm.ln(meanPrecision[c]);
  return -logWishart - logNormWeight - 0.5 * d * logBeta;
}

/**
 * A variational fit as the estimator plans it once X's shape is known (its
 * checks run there); workspace.ts loads the rows and calls variationalSetup.
 */
export interface VariationalPlan {
  k: number;
  /** The priors the user gave (the rest come from the data). */
  priors: GivenPriors;
  regCovar: number;
  initParams: StartName;
  /** n × k responsibilities to start from (responsibilitiesInit), in place of the start method. */
  responsibilities?: Float64Array;
  /** A warm start: the last fit's parameters and lower bound. */
  start?: { params: VariationalParams; lowerBound: number };
}

/**
 * The data priors, from the loaded rows (or from `moments` of rows elsewhere:
 * a stream's), and the EM driver's variational hooks.
 */
export function variationalSetup(
  family: CovarianceFamily,
  ws: Workspace,
  plan: VariationalPlan,
  moments?: Statistics,
): { priors: Priors; hooks: VariationalHooks } {
  const priors = moments
    ? resolvePriors(family, ws.k, ws.d, plan.priors, moments)
    : dataPriors(family, ws, plan.priors);
  const resp = plan.responsibilities;
  const start = resp ? (w: Workspace) => f64(w.resp, w.n * w.k).set(resp) : START_METHODS[plan.initParams];
  return { priors, hooks: variationalHooks(priors, plan.regCovar, start) };
}

/**
 * What scikit-learn's lower bound leaves out of the evidence lower bound of
 * ln p(X): with the posterior optimal for the responsibilities (as after
 * every M-step), the bound is H[q(Z)] + ln(Z_posterior / Z_prior) −
 * (N d/2) ln 2π, the Z's the conjugate normalisers. scikit-learn keeps the
 * posterior's terms (the Wishart normalisers ln B(W_k, ν_k), −½d ln β_k,
 * the weights' log Beta or log Dirichlet normaliser); this adds the prior's,
 * K·(½d ln β₀ + ln B(Ψ₀⁻¹, ν₀)) minus the weights' prior normaliser (K ln B(1, γ₀)
 * for the sticks, ln B(γ₀, …, γ₀) for the Dirichlet), and −(N d/2) ln 2π
 * with N = Σw. The π^(d(d−1)/4) of the multivariate gamma cancels. For full
 * covariances the sum is the exact variational bound (at K = 1 with the
 * Dirichlet distribution, the model's closed-form evidence: tested), and so
 * for tied and, with its Gamma normalisers swapped in for scikit-learn's
 * Wishart ones, diag (tested the same way, per feature); spherical completes
 * scikit-learn's own bound in its Wishart form (logGammaNormaliser says why).
 * Gamma functions and logs run in the module.
 */
export function evidenceConstant(
  family: CovarianceFamily,
  priors: Priors,
  k: number,
  d: number,
  sumWeights: number,
  dof: ArrayLike<number>,
): number {
  const wasm = kernels();
  const { weightConcentration: g0, meanPrecision: b0, degreesOfFreedom: nu0, covariance: psi0 } = priors;
  if (psi0.length === 0) return NaN;
  const lgamma = (x: number) => wasm.lgamma(x);
  const gammas = (nu: number) => family.precisionPrior.logGammaNormaliser(nu, d, lgamma);
  // scikit-learn's bound normalises each posterior precision as a Wishart;
  // where the family's density is another (diag's Gammas), swap its gammas in
  let posterior = 0;
  if (!family.shared) for (let c = 0; c < k; c++) posterior += gammas(dof[c]) - wishartGammas(dof[c], d, lgamma);
  // ln B(W₀, ν₀): −(ν₀·½ln|W₀| + ν₀ d/2 ln 2 + the family's gammas), |W₀| = 1/|Ψ₀|
  const g = gammas(nu0);
  const logWishart0 = -(
    nu0 * -0.5 * family.precisionPrior.logDeterminant(psi0, d, (x) => wasm.ln(x)) +
    nu0 * d * 0.5 * wasm.ln(2) +
    g
  );
  const logBetaPrior =
    priors.type === "dirichlet_process"
      ? k * (wasm.lgamma(1) + wasm.lgamma(g0) - wasm.lgamma(1 + g0))
      : k * wasm.lgamma(g0) - wasm.lgamma(k * g0);
  const LOG_2PI = 1.8378770664093453;
  return posterior + k * (0.5 * d * wasm.ln(b0) + logWishart0) - logBetaPrior - 0.5 * sumWeights * d * LOG_2PI;
}

/** expectedLogWeights with the module's digamma (for a model loaded from JSON). */
export function expectedLogWeightsOf(
  type: WeightConcentrationPriorType,
  k: number,
  d: number,
  concentration: ArrayLike<number>,
  meanPrecision: ArrayLike<number>,
  dof: ArrayLike<number>,
): Float64Array {
  return expectedLogWeights(kernels(), type, k, d, concentration, meanPrecision, dof);
}
