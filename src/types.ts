// Shared shapes that more than one layer names, in plain TypeScript (no
// imports of the module or memory), so the public classes can name them
// without depending on the code that fills them.
import type { CovarianceType } from "./covariance.js";
import type { InitParams } from "./options.js";

/** A start method ("auto" is the search over them). */
export type StartName = Exclude<InitParams, "auto">;

/** What the search did, for `gmm.searchReport`. */
export interface SearchReport {
  /** Every start, in the order run: its method, its lower bound after the short EM run and, if it was continued, at convergence. */
  starts: {
    /** The start method. */
    method: StartName;
    /** Per-sample lower bound after the short run. */
    shortLowerBound: number;
    /** At convergence, when this start was continued. */
    lowerBound?: number;
    /** Whether the start collapsed (such starts never win). */
    degenerate: boolean;
    /** Why the start failed, if it did. */
    error?: string;
  }[];
  /** The start the final fit descends from. */
  winner: StartName;
  /** Split-and-merge moves tried and kept. */
  moves: {
    /** Moves tried. */
    tried: number;
    /** Moves that raised the lower bound and were kept. */
    accepted: number;
  };
  /** EM iterations over the whole search. */
  emIterations: number;
}

/**
 * Covariances, precisions or their Cholesky factors in scikit-learn's shape
 * for the covariance type: full k×d×d, tied d×d, diag k×d, spherical k. For a
 * model whose type is not known statically (`CovarianceType`) it is the union.
 */
export type CovarianceArray<T extends CovarianceType = CovarianceType> = T extends "full"
  ? number[][][]
  : T extends "tied" | "diag"
    ? number[][]
    : number[];

/**
 * The prior on the mixing weights, as scikit-learn's
 * `weight_concentration_prior_type`: "dirichlet_process" (stick-breaking, an
 * infinite mixture truncated at nComponents) or "dirichlet_distribution"
 * (a symmetric Dirichlet over the k weights).
 */
export type WeightConcentrationPriorType = "dirichlet_process" | "dirichlet_distribution";
