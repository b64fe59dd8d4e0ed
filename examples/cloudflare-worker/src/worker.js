// A Cloudflare Worker that scores rows against Gaussian mixtures fitted
// offline. POST /score {"rows": [[x1, x2], ...]} answers each row's
// log-density, most likely component and component probabilities under
// model.json (Old Faithful). POST /anomaly {"rows": [[30 values], ...]}
// answers, for rows of the breast-cancer features, each row's log-density
// under a mixture of benign rows (anomaly-model.json, scaler included),
// whether it is below the threshold (`anomaly`), and the threshold.
// Workers refuse to compile WebAssembly from bytes at run time, so the
// module is imported (the bundler or Wrangler compiles it at deploy time)
// and handed to init().

import { GaussianMixture, init } from "gmm-wasm";
import wasm from "gmm-wasm/gmm.wasm";
import { scoreAnomalies } from "./anomaly.js";
import anomalyBundle from "./anomaly-model.json";
import model from "./model.json";

await init(wasm);
const gmm = GaussianMixture.fromJSON(model);
const anomalyModel = GaussianMixture.fromJSON(anomalyBundle.model);

/** More rows than this in one request are refused (413) rather than risk the memory limit. */
const MAX_ROWS = 10_000;

function json(status, body, headers = {}) {
  return new Response(JSON.stringify(body), { status, headers: { "content-type": "application/json", ...headers } });
}

/** Scores `rows`; a bad request comes back as a message, never as an exception. */
function score(rows) {
  const logDensity = gmm.scoreSamples(rows);
  const labels = gmm.predict(rows);
  const { data, cols } = gmm.predictProba(rows);
  const proba = Array.from({ length: rows.length }, (_, i) => Array.from(data.subarray(i * cols, (i + 1) * cols)));
  // JSON has no −Infinity (a row ≳ 1e154 from every component has a log-density
  // below −1.8e308): say it as a string rather than let JSON turn it into null,
  // which compares false against any threshold
  return { logDensity: Array.from(logDensity, finiteOrString), labels: Array.from(labels), proba };
}

function finiteOrString(v) {
  return Number.isFinite(v) ? v : String(v);
}

/** POST /anomaly: log-density, anomaly flag and the threshold. */
function anomalies(rows) {
  const { logDensity, anomaly, threshold } = scoreAnomalies(anomalyModel, anomalyBundle, rows);
  return { anomaly, logDensity: logDensity.map(finiteOrString), threshold, contamination: anomalyBundle.contamination };
}

const ROUTES = {
  "/score": { model: gmm, answer: score },
  "/anomaly": { model: anomalyModel, answer: anomalies },
};

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    const route = Object.hasOwn(ROUTES, pathname) ? ROUTES[pathname] : undefined;
    if (!route) return json(404, { error: `no route ${pathname}; POST /score or POST /anomaly` });
    if (request.method !== "POST")
      return json(405, { error: `${request.method} is not allowed; POST ${pathname}` }, { allow: "POST" });

    let body;
    try {
      body = await request.json();
    } catch {
      return json(400, { error: 'the body is not valid JSON; send {"rows": [[...], ...]}' });
    }
    if (body === null || typeof body !== "object" || !("rows" in body)) {
      return json(400, {
        error: `the body needs a "rows" field: an array of rows, each with ${route.model.nFeatures} numbers`,
      });
    }
    const { rows } = body;
    if (Array.isArray(rows) && rows.length > MAX_ROWS) {
      return json(413, { error: `${rows.length} rows is more than ${MAX_ROWS} per request; split the request` });
    }
    try {
      return json(200, route.answer(rows));
    } catch (e) {
      // The library checks shape and values and throws TypeError/RangeError with
      // a message naming the row and column ("X[3][1] is NaN"); here X is `rows`.
      if (e instanceof TypeError || e instanceof RangeError)
        return json(400, { error: e.message.replace(/\bX\b/g, "rows") });
      throw e;
    }
  },
};
