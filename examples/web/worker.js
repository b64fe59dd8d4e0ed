// Runs EM off the main thread. One EM iteration per `fit` call (warmStart,
// maxIter 1), so the page can redraw the ellipses after every iteration: the
// sequence of parameters is exactly that of one fit with maxIter 100, since a
// warm start resumes from the stored parameters and lower bound. With
// `bayesian`, the model is a BayesianGaussianMixture with a Dirichlet-process
// prior (K an upper bound), resumed the same way, so the page can show its
// unneeded components switching off. Messages in:
// { type: "fit", id, X, k, covarianceType, seed, tol, maxIter, delay, bayesian } and
// { type: "cancel" }. Messages out: "ready", "iteration", "done", "error".
import { BayesianGaussianMixture, GaussianMixture, init } from "/dist/index.js";

let current = 0;
const ready = init();
ready.then(
  () => postMessage({ type: "ready" }),
  (e) => postMessage({ type: "error", id: 0, message: String(e?.message ?? e) }),
);

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function snapshot(g) {
  return { covarianceType: g.covarianceType, weights: g.weights, means: g.means, covariances: g.covariances };
}

async function fit({ id, X, k, covarianceType, seed, tol = 1e-3, maxIter = 100, delay = 0, bayesian = false }) {
  await ready;
  const options = { nComponents: k, covarianceType, randomState: seed, tol, maxIter: 1, warmStart: true };
  const g = bayesian
    ? new BayesianGaussianMixture({ ...options, weightConcentrationPriorType: "dirichlet_process" })
    : new GaussianMixture(options);
  let converged = false;
  let iteration = 0;
  while (iteration < maxIter) {
    let info;
    g.fit(X, { onIteration: (i) => (info = i) });
    iteration++;
    postMessage({
      type: "iteration",
      id,
      iteration,
      lowerBound: info.lowerBound,
      change: info.change,
      model: snapshot(g),
      labels: Array.from(g.predict(X)),
    });
    if (Math.abs(info.change) < tol) {
      converged = true;
      break;
    }
    // Yield so a newer fit or a cancel can arrive; pause so the eye can follow.
    await sleep(delay);
    if (id !== current) return;
  }
  const n = X.length;
  postMessage({
    type: "done",
    id,
    iteration,
    converged,
    // a variational fit has no likelihood of its own: its evidence lower bound instead
    ...(bayesian
      ? { lowerBound: g.lowerBound, effectiveComponents: g.effectiveComponents }
      : { logLikelihood: g.score(X) * n, bic: g.bic(X) }),
    labels: Array.from(g.predict(X)),
    model: snapshot(g),
  });
}

self.onmessage = async (event) => {
  const msg = event.data;
  if (msg.type === "cancel") {
    current++;
    return;
  }
  if (msg.type !== "fit") return;
  current = msg.id;
  try {
    await fit(msg);
  } catch (e) {
    if (msg.id === current) postMessage({ type: "error", id: msg.id, message: String(e?.message ?? e) });
  }
};
