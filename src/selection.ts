// Model selection over a grid of component counts and covariance types, by
// BIC, AIC, ICL or k-fold cross-validated log-likelihood. A fit that fails or
// comes out degenerate stays in the table with its reason instead of
// aborting the sweep (as mclust keeps NA entries).
import { BayesianGaussianMixture, type BayesianGaussianMixtureOptions } from "./bayesian-mixture.js";
import { COVARIANCE_TYPES, type CovarianceType, FAMILIES } from "./covariance.js";
import { GaussianMixture } from "./gaussian-mixture.js";
import { describe, type Matrix, type MatrixLike, readMatrix, readWeights, toRows } from "./matrix.js";
import { checkBoolean, checkFitOptions, checkInteger, type GaussianMixtureOptions } from "./options.js";
import { Random } from "./random.js";

/**
 * What selectModel ranks by: "bic", "aic", "icl" (lower is better), "cv"
 * (held-out log-likelihood, higher is better) or "elbo" (the "bgmm" rows'
 * evidence lower bound, higher is better; see SelectionRow.lowerBound).
 */
export type Criterion = "bic" | "aic" | "icl" | "cv" | "elbo";
/** The criteria every estimator's rows have, in the order messages list them ("elbo" ranks only "bgmm" rows). */
export const CRITERIA: readonly Criterion[] = ["bic", "aic", "icl", "cv"];
/** Every criterion: CRITERIA and, with Bayesian rows, "elbo". */
export const ALL_CRITERIA: readonly Criterion[] = [...CRITERIA, "elbo"];

/** The estimators selectModel can fit: "gmm" (GaussianMixture, EM) and "bgmm" (BayesianGaussianMixture, variational). */
export type ModelKind = "gmm" | "bgmm";
export const MODEL_KINDS: readonly ModelKind[] = ["gmm", "bgmm"];

/** The grid selectModel fits and how it ranks it. */
export interface SelectModelOptions {
  /** Component counts to try: a list, or a maximum (1…max). Default 1…10. */
  nComponents?: number[] | number;
  /** Covariance types to try (default all four). */
  covarianceTypes?: CovarianceType[];
  /**
   * "bic" (default), "aic", "icl" (lower is better), "cv" (higher held-out
   * log-likelihood is better) or, with `models` listing "bgmm", "elbo": the
   * highest evidence lower bound among the "bgmm" rows (the "gmm" rows stay in
   * the table, unranked: a lower bound on ln p(X) and a BIC are not on one scale).
   */
  criterion?: Criterion;
  /** Initialisations per fit (default 1). */
  nInit?: number;
  /** Seed for every fit and the cross-validation folds. */
  randomState?: number;
  /** Folds for "cv" (default 5). */
  folds?: number;
  /** Consider degenerate (collapsed) fits for the choice (default false; they stay in the table). */
  allowDegenerate?: boolean;
  /** One weight ≥ 0 per row for every fit; BIC, AIC and ICL then use the weighted log-likelihood with n = Σ weights. */
  sampleWeight?: ArrayLike<number>;
  /** Column names, kept in every fitted model. */
  featureNames?: readonly string[];
  /** Called before each fit of the grid (for progress bars). */
  onFit?: (info: {
    index: number;
    total: number;
    nComponents: number;
    covarianceType: CovarianceType;
    /** The estimator of this fit ("gmm" unless `models` lists "bgmm"). */
    model: ModelKind;
  }) => void;
  /** Other GaussianMixture options for every fit (tol, regCovar, maxIter, initParams: "auto" unless given). */
  fitOptions?: Omit<GaussianMixtureOptions, "nComponents" | "covarianceType" | "nInit" | "randomState">;
  /** Other BayesianGaussianMixture options for its fits (weightConcentrationPriorType, the priors, tol, maxIter, …). */
  bayesianOptions?: Omit<
    BayesianGaussianMixtureOptions,
    "nComponents" | "covarianceType" | "nInit" | "randomState" | "responsibilitiesInit"
  >;
}

/**
 * selectModel over both estimators: `models: ["gmm", "bgmm"]` fits each
 * (K, covariance type) of the grid with each estimator listed. A
 * BayesianGaussianMixture row is scored as the plain mixture of its
 * posterior-mean weights, means and covariances (a proper density, so its
 * log-likelihood, BIC, AIC, ICL and held-out log-likelihood compare with
 * GaussianMixture rows), and counts the free parameters of its effective
 * components only (weight > 0.01: the prior switched the others off). Its
 * covariances are at least Ψ₀/ν, so it is never flagged degenerate. Those
 * scores are a heuristic; each "bgmm" row also carries its evidence lower
 * bound (`lowerBound`), and `criterion: "elbo"` ranks the "bgmm" rows by it
 * (the "gmm" rows stay in the table, unranked).
 */
export interface SelectModelsOptions extends SelectModelOptions {
  /** The estimators to fit, each over the whole grid (default ["gmm"]). */
  models: readonly ModelKind[];
}

/** One fit of the grid and its criteria. */
export interface SelectionRow {
  /** Components of this fit. */
  nComponents: number;
  /** Covariance type of this fit. */
  covarianceType: CovarianceType;
  /** Total (weighted) log-likelihood on X (NaN when the fit failed). */
  logLikelihood: number;
  /** Free parameters of the model. */
  nParameters: number;
  /** scikit-learn's sign: lower is better (mclust reports −bic). */
  bic: number;
  /** Akaike information criterion, lower is better. */
  aic: number;
  /** Integrated complete-data likelihood criterion: BIC − 2 Σ log max_k z_ik (lower is better). */
  icl: number;
  /** Mean held-out log-likelihood per row ("cv" only). */
  cvLogLikelihood?: number;
  /** The fit collapsed (see `GaussianMixture.degenerate`); skipped unless allowDegenerate. */
  degenerate: boolean;
  /** Why the fit is degenerate or failed. */
  note?: string;
  /** The fit failed (message); the row's numbers are NaN. */
  error?: string;
  /** This row was chosen. */
  selected: boolean;
  /** Which estimator fitted this row (only when the `models` option is given). */
  model?: ModelKind;
  /** "bgmm" rows: components with weight above 0.01 (the others are switched off). */
  effectiveComponents?: number;
  /**
   * "bgmm" rows: the fit's evidence lower bound on ln p(X), with the prior's
   * normalisers and −(n d/2) ln 2π that the model's `lowerBound` (scikit-learn's)
   * drops, so rows of different K compare (`evidenceLowerBound`); what "elbo" ranks by.
   */
  lowerBound?: number;
}

/** What selectModel returns: the chosen model and the whole table. */
export interface SelectionResult<M = GaussianMixture> {
  /** The chosen model, fitted on all of X. */
  best: M;
  /** Its row of the table. */
  bestRow: SelectionRow;
  /** The criterion it was chosen by. */
  criterion: Criterion;
  /** Every fit of the grid, in the order fitted. */
  table: SelectionRow[];
}

/** Rows of the private copy as arrays, so folds can be picked out. */
function rowsOf(X: Matrix): number[][] {
  return toRows(X.data, X.rows, X.cols);
}

const SELECT_OPTIONS = [
  "nComponents",
  "covarianceTypes",
  "criterion",
  "nInit",
  "randomState",
  "folds",
  "allowDegenerate",
  "featureNames",
  "onFit",
  "fitOptions",
  "sampleWeight",
  "models",
  "bayesianOptions",
];

/** A fitted row's scoring: the model kept, and the plain mixture its criteria are computed on. */
interface Scored {
  model: GaussianMixture | BayesianGaussianMixture;
  density: GaussianMixture;
  nParameters: number;
  effectiveComponents?: number;
  lowerBound?: number;
}

/** The mixture of a Bayesian fit's posterior-mean weights, means and covariances, as a GaussianMixture. */
function plugInMixture(b: BayesianGaussianMixture): GaussianMixture {
  const json = b.toJSON();
  return GaussianMixture.fromJSON({
    covariance_type: json.covariance_type,
    n_components: json.n_components,
    n_features_in_: json.n_features_in_,
    weights_: json.weights_,
    means_: json.means_,
    covariances_: json.covariances_,
    precisions_cholesky_: json.precisions_cholesky_,
    converged_: json.converged_,
    n_iter_: json.n_iter_,
  });
}

/** Free parameters of the plain mixture of a Bayesian fit's effective components. */
function effectiveParameters(b: BayesianGaussianMixture): { nParameters: number; effectiveComponents: number } {
  const k = Math.max(1, b.effectiveComponents);
  const d = b.nFeatures;
  return { nParameters: FAMILIES[b.covarianceType].nCovParameters(k, d) + k * d + k - 1, effectiveComponents: k };
}

/** Mean held-out log-likelihood over `folds` seeded folds. */
function crossValidate(
  rows: number[][],
  fitDensity: (X: number[][], sampleWeight?: number[]) => GaussianMixture,
  folds: number,
  seed: number | undefined,
  weights?: Float64Array,
): number {
  const rng = new Random(seed);
  const order = rows.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  let total = 0;
  let mass = 0;
  for (let f = 0; f < folds; f++) {
    const test: number[] = [];
    const train: number[] = [];
    order.forEach((row, position) => (position % folds === f ? test : train).push(row));
    const gmm = fitDensity(
      train.map((i) => rows[i]),
      weights ? train.map((i) => weights[i]) : undefined,
    );
    const scores = gmm.scoreSamples(test.map((i) => rows[i]));
    test.forEach((row, t) => {
      const w = weights ? weights[row] : 1;
      if (w === 0) return;
      total += w * scores[t];
      mass += w;
    });
  }
  return total / mass;
}

/**
 * Fits every (K, covariance type) on the grid and returns the best model by
 * the criterion, with the whole table.
 *
 * @example
 * const { best, table } = selectModel(X, { nComponents: 9, criterion: "bic", nInit: 3, randomState: 0 });
 */
export function selectModel(
  input: MatrixLike,
  options: SelectModelsOptions,
): SelectionResult<GaussianMixture | BayesianGaussianMixture>;
export function selectModel(input: MatrixLike, options?: SelectModelOptions): SelectionResult;
export function selectModel(
  input: MatrixLike,
  options: SelectModelOptions & { models?: readonly ModelKind[] } = {},
): SelectionResult<GaussianMixture | BayesianGaussianMixture> {
  checkFitOptions(options, SELECT_OPTIONS, "selectModel");
  const kinds = options.models ?? ["gmm"];
  if (
    !Array.isArray(kinds) ||
    kinds.length === 0 ||
    kinds.some((m) => !MODEL_KINDS.includes(m)) ||
    new Set(kinds).size !== kinds.length
  ) {
    throw new RangeError(
      `models must be a non-empty list of distinct estimators, "gmm" (GaussianMixture) and/or "bgmm" (BayesianGaussianMixture); got ${describe(kinds)}`,
    );
  }
  if (
    options.bayesianOptions !== undefined &&
    (options.bayesianOptions === null || typeof options.bayesianOptions !== "object")
  ) {
    throw new TypeError(
      `bayesianOptions must be an object of BayesianGaussianMixture options; got ${describe(options.bayesianOptions)}`,
    );
  }
  // X is read once, into a private copy every fit of the grid uses.
  const X = readMatrix(input, "X");
  const n = X.rows;
  const weights = options.sampleWeight === undefined ? undefined : readWeights(options.sampleWeight, n);
  let mass = n;
  if (weights) mass = weights.reduce((a, b) => a + b, 0);
  const ks =
    typeof options.nComponents === "number"
      ? (checkInteger(options.nComponents, "nComponents", 1, n),
        Array.from({ length: options.nComponents }, (_, i) => i + 1))
      : (options.nComponents ?? Array.from({ length: Math.min(10, n) }, (_, i) => i + 1));
  if (!Array.isArray(ks) || ks.length === 0 || ks.some((k) => !Number.isInteger(k) || k < 1)) {
    throw new RangeError(
      `nComponents must be a positive integer or a non-empty list of them; got ${describe(options.nComponents)}`,
    );
  }
  const tooMany = ks.find((k) => k > n);
  if (tooMany !== undefined) {
    throw new RangeError(
      `nComponents includes ${tooMany} but X has only ${n} rows: a mixture needs at least one row per component`,
    );
  }
  const types = options.covarianceTypes ?? [...COVARIANCE_TYPES];
  if (!Array.isArray(types) || types.length === 0) {
    throw new RangeError(
      `covarianceTypes must be a non-empty list of ${COVARIANCE_TYPES.map((t) => `"${t}"`).join(", ")}; got ${describe(types)}`,
    );
  }
  for (const t of types) {
    if (!COVARIANCE_TYPES.includes(t))
      throw new RangeError(`covarianceTypes has ${describe(t)}; expected some of ${COVARIANCE_TYPES.join(", ")}`);
  }
  const criterion = options.criterion ?? "bic";
  if (!ALL_CRITERIA.includes(criterion as Criterion))
    throw new RangeError(`criterion must be "bic", "aic", "icl", "cv" or "elbo"; got ${describe(criterion)}`);
  if (criterion === "elbo" && !kinds.includes("bgmm"))
    throw new RangeError(
      'criterion "elbo" ranks BayesianGaussianMixture fits by their evidence lower bound: add "bgmm" to models (e.g. models: ["bgmm"]), or rank by "bic", "aic", "icl" or "cv"',
    );
  const folds = options.folds ?? 5;
  if (criterion === "cv" && (!Number.isInteger(folds) || folds < 2 || folds > n)) {
    throw new RangeError(`folds must be an integer from 2 to the number of rows (${n}); got ${describe(folds)}`);
  }
  if (options.allowDegenerate !== undefined) checkBoolean(options.allowDegenerate, "allowDegenerate");
  if (options.fitOptions !== undefined && (options.fitOptions === null || typeof options.fitOptions !== "object")) {
    throw new TypeError(`fitOptions must be an object of GaussianMixture options; got ${describe(options.fitOptions)}`);
  }
  // Every fit's options are checked before the first fit runs.
  new GaussianMixture({
    ...options.fitOptions,
    nComponents: ks[0],
    covarianceType: types[0],
    nInit: options.nInit,
    randomState: options.randomState,
  });
  const bayesianOptionsFor = (k: number, covarianceType: CovarianceType): BayesianGaussianMixtureOptions => ({
    ...options.bayesianOptions,
    nComponents: k,
    covarianceType,
    nInit: options.nInit,
    randomState: options.randomState,
  });
  if (kinds.includes("bgmm")) new BayesianGaussianMixture(bayesianOptionsFor(ks[0], types[0]));
  const rows = criterion === "cv" ? rowsOf(X) : [];

  const table: SelectionRow[] = [];
  const models: (GaussianMixture | BayesianGaussianMixture | undefined)[] = [];
  const total = types.length * ks.length * kinds.length;
  const fitWeights = weights ? { sampleWeight: weights } : {};
  for (const covarianceType of types) {
    for (const k of ks) {
      for (const kind of kinds) {
        options.onFit?.({ index: table.length, total, nComponents: k, covarianceType, model: kind });
        // the table reports every fit's degeneracy; console warnings per grid cell would be noise
        const gmmOptions: GaussianMixtureOptions = {
          initParams: "auto",
          onWarning: () => {},
          ...options.fitOptions,
          nComponents: k,
          covarianceType,
          nInit: options.nInit,
          randomState: options.randomState,
        };
        const bgmmOptions = bayesianOptionsFor(k, covarianceType);
        const tag = options.models ? { model: kind } : {};
        try {
          let scored: Scored;
          if (kind === "gmm") {
            const gmm = new GaussianMixture(gmmOptions).fit(X, { featureNames: options.featureNames, ...fitWeights });
            scored = { model: gmm, density: gmm, nParameters: gmm.nParameters };
          } else {
            const b = new BayesianGaussianMixture(bgmmOptions).fit(X, {
              featureNames: options.featureNames,
              ...fitWeights,
            });
            scored = {
              model: b,
              density: plugInMixture(b),
              ...effectiveParameters(b),
              lowerBound: b.evidenceLowerBound,
            };
          }
          const { density, nParameters: p } = scored;
          // with sample weights: the weighted log-likelihood, and n = Σ weights
          const score = density.score(X, fitWeights);
          const bic = -2 * score * mass + p * Math.log(mass);
          const proba = density.predictProba(X);
          let entropy = 0;
          for (let i = 0; i < X.rows; i++) {
            const w = weights ? weights[i] : 1;
            if (w === 0) continue;
            let m = 0;
            for (let c = 0; c < k; c++) m = Math.max(m, proba.data[i * k + c]);
            entropy += w * Math.log(m);
          }
          const degenerate = kind === "gmm" ? density.degenerate : [];
          const row: SelectionRow = {
            nComponents: k,
            covarianceType,
            logLikelihood: score * mass,
            nParameters: p,
            bic,
            aic: -2 * score * mass + 2 * p,
            icl: bic - 2 * entropy,
            degenerate: degenerate.length > 0,
            selected: false,
            ...tag,
            ...(scored.effectiveComponents === undefined ? {} : { effectiveComponents: scored.effectiveComponents }),
            ...(scored.lowerBound === undefined ? {} : { lowerBound: scored.lowerBound }),
          };
          if (degenerate.length > 0) row.note = degenerate.map((d) => d.reason).join("; ");
          if (criterion === "cv") {
            const fitDensity = (train: number[][], sampleWeight?: number[]) =>
              kind === "gmm"
                ? new GaussianMixture(gmmOptions).fit(train, sampleWeight ? { sampleWeight } : {})
                : plugInMixture(
                    new BayesianGaussianMixture(bgmmOptions).fit(train, sampleWeight ? { sampleWeight } : {}),
                  );
            row.cvLogLikelihood = crossValidate(rows, fitDensity, folds, options.randomState, weights);
          }
          table.push(row);
          models.push(scored.model);
        } catch (e) {
          table.push({
            nComponents: k,
            covarianceType,
            logLikelihood: NaN,
            nParameters: NaN,
            bic: NaN,
            aic: NaN,
            icl: NaN,
            degenerate: false,
            error: (e as Error).message,
            selected: false,
            ...tag,
          });
          models.push(undefined);
        }
      }
    }
  }
  const value = (r: SelectionRow) =>
    criterion === "cv" ? -(r.cvLogLikelihood ?? NaN) : criterion === "elbo" ? -(r.lowerBound ?? NaN) : r[criterion];
  let bestIndex = -1;
  table.forEach((r, i) => {
    if (r.error || (r.degenerate && !options.allowDegenerate) || !Number.isFinite(value(r))) return;
    if (bestIndex < 0 || value(r) < value(table[bestIndex])) bestIndex = i;
  });
  if (bestIndex < 0) {
    throw new Error(
      `selectModel: no usable fit on the grid (every fit failed${options.allowDegenerate ? "" : " or was degenerate"}); see the errors: ${table
        .map((r) => r.error ?? r.note)
        .filter(Boolean)
        .slice(0, 3)
        .join(" | ")}`,
    );
  }
  table[bestIndex].selected = true;
  return { best: models[bestIndex]!, bestRow: table[bestIndex], criterion, table };
}
