// Runs EM off the main thread. One EM iteration per `fit` call (warmStart,
// maxIter 1), so the page can redraw the ellipses after every iteration: the
// sequence of parameters is exactly that of one fit with maxIter 100, since a
// warm start resumes from the stored parameters and lower bound. Messages in:
// { type: "fit", id, X, k, covarianceType, seed, tol, maxIter, delay } and
// { type: "cancel" }. Messages out: "ready", "iteration", "done", "error".
import { GaussianMixture, init } from "/dist/index.js";

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

async function fit({ id, X, k, covarianceType, seed, tol = 1e-3, maxIter = 100, delay = 0 }) {
  await ready;
  const g = new GaussianMixture({
    nComponents: k,
    covarianceType,
    randomState: seed,
    tol,
    maxIter: 1,
    warmStart: true,
  });
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
    logLikelihood: g.score(X) * n,
    bic: g.bic(X),
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
