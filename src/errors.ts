// Every error class the library throws beyond the built-in TypeError and
// RangeError, so callers can tell them apart with instanceof.

/** A covariance has no Cholesky factor (collapsed points); the message names the remedy. */
export class CovarianceError extends RangeError {
  /**
   * An error whose message says which covariance failed and what to change.
   *
   * @param message what could not be factored, and the remedy
   */
  constructor(message: string) {
    super(message);
    this.name = "CovarianceError";
  }
}

/** A model was used before fit() (or fromJSON). */
export class NotFittedError extends Error {
  /**
   * An error whose message says to call fit first.
   *
   * @param what the class used, named in the message ("GaussianMixture", "KMeans", …)
   */
  constructor(what: string) {
    super(
      `This ${what} is not fitted yet: call fit(X) first${what === "GaussianMixture" ? " (or load a model with GaussianMixture.fromJSON)" : ""}`,
    );
    this.name = "NotFittedError";
  }
}

/** The error a fit aborted through its AbortSignal rejects with (name "AbortError", as fetch's). */
export function abortError(signal: AbortSignal): Error {
  const reason = signal.reason;
  if (reason instanceof Error && reason.name === "AbortError") return reason;
  const e = new Error(
    `The fit was aborted${reason !== undefined ? `: ${reason instanceof Error ? reason.message : String(reason)}` : ""}; the model keeps its previous state`,
  );
  e.name = "AbortError";
  return e;
}
