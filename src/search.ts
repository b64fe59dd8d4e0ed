// initParams "auto": a search for the best optimum rather than the first one
// EM falls into. Diverse starts (model-based agglomeration, k-means, k-means++
// seeds, random rows), a few EM iterations from each ("small EM"), the most
// promising run to convergence, then split-and-merge moves on the best fit
// (Ueda, Nakano, Ghahramani & Hinton 2000, "SMEM"): merge the two components
// whose responsibilities overlap most, split the one whose rows it explains
// worst, rerun EM, keep the move if the likelihood rises. A collapsed
// (degenerate) fit never wins while a healthy one exists.
import { type CovarianceFamily, FAMILIES, type Workspace } from "./covariance.js";
import { findDegenerate } from "./degenerate.js";
import {
  eStep,
  type FitControl,
  type FitOutcome,
  fitEm,
  loadParams,
  type MixtureParams,
  paramsFromMoments,
} from "./em.js";
import { CovarianceError } from "./errors.js";
import type { StartName } from "./init.js";
import { dataView, f64 } from "./memory.js";
import type { ResolvedOptions } from "./options.js";
import { Random } from "./random.js";
import type { SearchReport } from "./types.js";
import { kernels } from "./wasm.js";

/** EM iterations of the short runs that rank the starts. */
export const SHORT_ITERATIONS = 10;
/** Split-and-merge candidates tried per round (Ueda et al. use 5). */
const MOVE_CANDIDATES = 10;

/** The start methods the search draws from, each nInit times (hc once: it is deterministic). */
function startPlan(nInit: number): StartName[] {
  const plan: StartName[] = ["hc"];
  for (let t = 0; t < 2 * nInit; t++) plan.push("kmeans", "k-means++", "random_from_data");
  return plan;
}

interface Candidate {
  method: StartName;
  outcome: FitOutcome;
  degenerate: boolean;
  /** Its entry in report.starts. */
  entry: number;
}

/** Better: healthy beats degenerate, then the higher lower bound; earlier wins ties. */
function better(a: Candidate, b: Candidate | undefined): boolean {
  if (!b) return true;
  if (a.degenerate !== b.degenerate) return !a.degenerate;
  return a.outcome.lowerBound > b.outcome.lowerBound;
}

/**
 * Runs the search on the workspace's rows. Deterministic for a randomState:
 * every start draws its seed from one generator in a fixed order, and every
 * transcendental function runs in the module.
 */
export function searchFit(
  ws: Workspace,
  opts: ResolvedOptions,
  control: FitControl,
): { outcome: FitOutcome; report: SearchReport } {
  const family = FAMILIES[opts.covarianceType];
  const rng = new Random(opts.randomState);
  const deadline = control.timeBudgetMs === undefined ? Infinity : Date.now() + control.timeBudgetMs;
  let runs = 0;
  let emIterations = 0;
  const isDegenerate = (p: MixtureParams) => findDegenerate(family, p, ws.k, ws.d, ws.n, opts.regCovar).length > 0;
  const outOfTime = () => Date.now() >= deadline;
  /** One EM run (from a start method, or continued from parameters); undefined when a covariance cannot be factored. */
  const run = (
    method: StartName,
    maxIter: number,
    from?: MixtureParams,
    seed?: number,
    tol = opts.tol,
  ): FitOutcome | undefined => {
    const index = runs++;
    const runOpts: ResolvedOptions = { ...opts, nInit: 1, maxIter, tol, initParams: method, randomState: seed };
    const remaining = deadline === Infinity ? undefined : Math.max(0, deadline - Date.now());
    const runControl: FitControl = {
      signal: control.signal,
      timeBudgetMs: remaining,
      onIteration: control.onIteration && ((info) => control.onIteration!({ ...info, init: index })),
    };
    try {
      const outcome = fitEm(ws, runOpts, {}, from ? { params: from, lowerBound: -Infinity } : undefined, runControl);
      emIterations += outcome.nIter;
      return outcome;
    } catch (e) {
      if (e instanceof CovarianceError) return undefined;
      throw e;
    }
  };

  const report: SearchReport = { starts: [], winner: "kmeans", moves: { tried: 0, accepted: 0 }, emIterations: 0 };
  // One component has one optimum (the sample mean and covariance): no search.
  const plan = ws.k === 1 ? (["kmeans"] as StartName[]) : startPlan(opts.nInit);
  const short: Candidate[] = [];
  for (const method of plan) {
    if (outOfTime() && short.length > 0) break;
    const seed = rng.seed();
    const outcome = run(method, Math.min(SHORT_ITERATIONS, opts.maxIter), undefined, seed);
    if (!outcome) {
      report.starts.push({
        method,
        shortLowerBound: NaN,
        degenerate: false,
        error: "a covariance could not be factored",
      });
      continue;
    }
    const degenerate = isDegenerate(outcome.params);
    short.push({ method, outcome, degenerate, entry: report.starts.length });
    report.starts.push({ method, shortLowerBound: outcome.lowerBound, degenerate });
  }
  if (short.length === 0) {
    throw new CovarianceError(
      "Every start of the search failed: each one's covariances collapsed. Increase regCovar, use fewer components, or rescale the features.",
    );
  }
  // Continue the most promising to convergence (a converged short run is already there).
  const order = short
    .map((_, i) => i)
    .sort((a, b) => (better(short[a], short[b]) ? -1 : better(short[b], short[a]) ? 1 : a - b));
  const keep = Math.max(2, opts.nInit);
  let best: Candidate | undefined;
  for (const i of order.slice(0, keep)) {
    const c = short[i];
    let candidate = c;
    if (c.outcome.stopReason === "maxIter" && opts.maxIter > SHORT_ITERATIONS && !outOfTime()) {
      const outcome = run(c.method, opts.maxIter - SHORT_ITERATIONS, c.outcome.params);
      if (outcome) candidate = { ...c, outcome, degenerate: isDegenerate(outcome.params) };
    }
    const entry = report.starts[c.entry];
    entry.lowerBound = candidate.outcome.lowerBound;
    entry.degenerate = candidate.degenerate;
    if (better(candidate, best)) best = candidate;
  }
  let winner = best!;

  // Split-and-merge moves on the best fit.
  for (let round = 0; ws.k >= 2 && round < 2 * ws.k + 2 && !outOfTime(); round++) {
    const moves = rankMoves(family, ws, winner.outcome.params);
    let improved = false;
    for (const move of moves.slice(0, MOVE_CANDIDATES)) {
      if (outOfTime()) break;
      const start = applyMove(family, ws, winner.outcome.params, move, opts.regCovar);
      if (!start) continue;
      report.moves.tried++;
      const outcome = run(winner.method, opts.maxIter, start);
      if (!outcome) continue;
      const candidate = { ...winner, outcome, degenerate: isDegenerate(outcome.params) };
      const gain = outcome.lowerBound - winner.outcome.lowerBound;
      const enough = gain > Math.max(0.1 * opts.tol, 1e-12 * Math.abs(winner.outcome.lowerBound));
      if ((enough && !candidate.degenerate) || (winner.degenerate && !candidate.degenerate)) {
        winner = candidate;
        report.moves.accepted++;
        improved = true;
        break;
      }
    }
    if (!improved) break;
  }
  // Polish: EM's stopping rule (a change below tol per row) leaves a fit short
  // of its optimum by up to ~tol per row; the search's whole point is the
  // optimum, so the winner continues to tol / 100.
  if (opts.tol > 0 && !outOfTime()) {
    const polished = run(winner.method, opts.maxIter, winner.outcome.params, undefined, opts.tol / 100);
    if (
      polished &&
      polished.lowerBound >= winner.outcome.lowerBound &&
      !(isDegenerate(polished.params) && !winner.degenerate)
    ) {
      winner = { ...winner, outcome: { ...polished, converged: polished.converged || winner.outcome.converged } };
    }
  }
  report.winner = winner.method;
  report.emIterations = emIterations;
  const outcome = { ...winner.outcome };
  if (outOfTime() && control.timeBudgetMs !== undefined) {
    outcome.stopReason = "timeBudget";
    outcome.converged = false;
  }
  return { outcome, report };
}

interface Move {
  /** Components merged into i. */
  i: number;
  j: number;
  /** Component split (into c and the slot j frees). */
  c: number;
}

/**
 * Candidate moves in Ueda et al.'s order: merge pairs by Σ_n r_ni·r_nj (their
 * responsibilities overlap), each with the split candidate whose rows the
 * model explains worst. Their local Kullback–Leibler criterion reduces, with
 * f_n = r_nc/N_c, to −Σ_n f_n·log p(x_n) plus a constant, so no density
 * beyond the E-step's is needed.
 */
function rankMoves(family: CovarianceFamily, ws: Workspace, params: MixtureParams): Move[] {
  const wasm = kernels();
  const { n, k } = ws;
  loadParams(wasm, family, ws, params);
  eStep(wasm, family, ws, true);
  const r = f64(ws.resp, n * k);
  const lse = f64(ws.logProbNorm, n);
  const mass = new Float64Array(k);
  const explained = new Float64Array(k);
  const overlap = new Float64Array(k * k);
  for (let t = 0; t < n; t++) {
    const o = t * k;
    const l = Number.isFinite(lse[t]) ? lse[t] : -1e300;
    for (let a = 0; a < k; a++) {
      const ra = r[o + a];
      if (ra === 0) continue;
      mass[a] += ra;
      explained[a] += ra * l;
      for (let b = a + 1; b < k; b++) overlap[a * k + b] += ra * r[o + b];
    }
  }
  const badness = Array.from({ length: k }, (_, c) => (mass[c] > 0 ? -explained[c] / mass[c] : -Infinity));
  const pairs: [number, number][] = [];
  for (let a = 0; a < k; a++) for (let b = a + 1; b < k; b++) pairs.push([a, b]);
  pairs.sort((p, q) => overlap[q[0] * k + q[1]] - overlap[p[0] * k + p[1]] || p[0] - q[0] || p[1] - q[1]);
  const moves: Move[] = [];
  for (const [i, j] of pairs) {
    let c = -1;
    for (let t = 0; t < k; t++) {
      if (t === i || t === j) continue;
      if (c < 0 || badness[t] > badness[c]) c = t;
    }
    // with two components the merged pair itself is split again (a fresh principal-axis split)
    moves.push({ i, j, c: c < 0 ? i : c });
  }
  return moves;
}

/**
 * The parameters after one move, factored in ws; undefined when a new
 * covariance is not positive definite. Uses the responsibilities rankMoves
 * left in ws.resp for the split component's per-axis spread.
 */
function applyMove(
  family: CovarianceFamily,
  ws: Workspace,
  params: MixtureParams,
  move: Move,
  reg: number,
): MixtureParams | undefined {
  const { n, d, k } = ws;
  const weights = params.weights.slice();
  const means = params.means.slice();
  const cov = params.covariances.slice();
  const { i, j, c } = move;
  // per-axis variance of the split component's rows (before the merge: a merged
  // target takes both components' responsibilities)
  const spread = new Float64Array(d);
  {
    const r = f64(ws.resp, n * k);
    const X = dataView(ws.x, n * d, ws.rowKernels.bytes);
    const sum = new Float64Array(d);
    const sq = new Float64Array(d);
    let total = 0;
    for (let t = 0; t < n; t++) {
      const rt = r[t * k + c] + (c === i ? r[t * k + j] : 0);
      if (rt === 0) continue;
      total += rt;
      for (let a = 0; a < d; a++) sum[a] += rt * X[t * d + a];
    }
    if (!(total > 0)) return undefined;
    for (let a = 0; a < d; a++) sum[a] /= total;
    for (let t = 0; t < n; t++) {
      const rt = r[t * k + c] + (c === i ? r[t * k + j] : 0);
      if (rt === 0) continue;
      for (let a = 0; a < d; a++) sq[a] += rt * (X[t * d + a] - sum[a]) ** 2;
    }
    for (let a = 0; a < d; a++) spread[a] = sq[a] / total;
  }
  const wij = weights[i] + weights[j];
  if (!(wij > 0)) return undefined;
  const a = weights[i] / wij;
  const b = weights[j] / wij;
  const diff = new Float64Array(d);
  for (let t = 0; t < d; t++) {
    diff[t] = means[i * d + t] - means[j * d + t];
    means[i * d + t] = a * means[i * d + t] + b * means[j * d + t];
  }
  family.mergeCovariances(cov, d, i, j, a, b, diff);
  weights[i] = wij;
  const { axis, variance } = family.splitCovariance(cov, d, c, j, spread);
  const half = 0.5 * Math.sqrt(variance);
  for (let t = 0; t < d; t++) {
    const mu = means[c * d + t];
    means[c * d + t] = mu + half * axis[t];
    means[j * d + t] = mu - half * axis[t];
  }
  weights[c] *= 0.5;
  weights[j] = weights[c];
  try {
    return paramsFromMoments(kernels(), family, ws, weights, means, cov, reg, "after a split-and-merge move");
  } catch (e) {
    if (e instanceof CovarianceError) return undefined;
    throw e;
  }
}
