// Shared shapes that more than one layer names, in plain TypeScript (no
// imports of the module or memory), so the public classes can name them
// without depending on the code that fills them.
import type { InitParams } from "./options.js";

/** A start method ("auto" is the search over them). */
export type StartName = Exclude<InitParams, "auto">;

/** What the search did, for `gmm.searchReport`. */
export interface SearchReport {
  /** Every start, in the order run: its method, its lower bound after the short EM run and, if it was continued, at convergence. */
  starts: { method: StartName; shortLowerBound: number; lowerBound?: number; degenerate: boolean; error?: string }[];
  /** The start the final fit descends from. */
  winner: StartName;
  /** Split-and-merge moves tried and kept. */
  moves: { tried: number; accepted: number };
  /** EM iterations over the whole search. */
  emIterations: number;
}

