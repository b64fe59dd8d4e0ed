// A Cloudflare Worker that scores rows against a Gaussian mixture fitted
// offline (model.json, Old Faithful): POST /score {"rows": [[x1, x2], ...]}
// answers each row's log-density, most likely component and component
// probabilities. Workers refuse to compile WebAssembly from bytes at run
// time, so the module is imported (the bundler or Wrangler compiles it at
// deploy time) and handed to init().
import wasm from "gmm-wasm/gmm.wasm";
import { init, GaussianMixture } from "gmm-wasm";
import model from "./model.json";

await init(wasm);
const gmm = GaussianMixture.fromJSON(model);

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
  return { logDensity: Array.from(logDensity, (v) => (Number.isFinite(v) ? v : String(v))), labels: Array.from(labels), proba };
}

export default {
  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname !== "/score") return json(404, { error: `no route ${pathname}; POST /score` });
    if (request.method !== "POST") return json(405, { error: `${request.method} is not allowed; POST /score` }, { allow: "POST" });

    let body;
    try {
      body = await request.json();
    } catch {
      return json(400, { error: "the body is not valid JSON; send {\"rows\": [[...], ...]}" });
    }
    if (body === null || typeof body !== "object" || !("rows" in body)) {
      return json(400, { error: `the body needs a "rows" field: an array of rows, each with ${gmm.nFeatures} numbers` });
    }
    const { rows } = body;
    if (Array.isArray(rows) && rows.length > MAX_ROWS) {
      return json(413, { error: `${rows.length} rows is more than ${MAX_ROWS} per request; split the request` });
    }
    try {
      return json(200, score(rows));
    } catch (e) {
      // The library checks shape and values and throws TypeError/RangeError with
      // a message naming the row and column ("X[3][1] is NaN"); here X is `rows`.
      if (e instanceof TypeError || e instanceof RangeError) return json(400, { error: e.message.replace(/\bX\b/g, "rows") });
      throw e;
    }
  },
};
