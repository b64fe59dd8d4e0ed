// Coordinator Worker and its Durable Object `Fit` (one object per fit).
//
//   POST /fit {dataset, nComponents, covarianceType?, seed?, tol?, maxIter?,
//              regCovar?, start?, sampleSize?, timeoutMs?, retries?, fanOut?, id?}
//     → 202 {id, status}; the fit runs in the object's alarms
//   GET /fit/:id        → {id, status, iteration, lowerBound, shards, shardsDone, …}
//   GET /fit/:id/model  → the model JSON (the current parameters while running)
//
// The fit runs in alarms: the initialisation, then EM iterations, each one
// persisted before the next (an alarm runs steps for up to 5 s or 500 shard
// requests, then sets the next alarm, so no invocation runs long). An
// iteration sends the current model JSON to every shard, stores each shard's
// statistics under (iteration, shard) as it arrives, and when all are in,
// merges them in shard order, applies the M-step and stores the new state
// (model, iteration, lower bound) while deleting that iteration's statistics,
// in one write. A restarted coordinator's alarm runs again and resumes from
// the last completed iteration, asking only the shards whose statistics for
// the iteration in progress are not stored yet: each shard is counted once.
//
// fanOut: "service" (the default) sends each shard request to the shard
// Worker, which computes it; "objects" sends it to the shard Worker's
// /object/ routes, which hand it to a Durable Object of its own per shard
// object (src/shard.js), so the shards' work is not bound to the caller's
// thread (README: fan-out). The statistics, merge and checks are the same.

import { GaussianMixture, init } from "gmm-wasm";
import wasm from "gmm-wasm/gmm.wasm";
import { bucketFrom } from "./bucket.js";
import { MANIFEST_FORMAT } from "./layout.js";

await init(wasm);

const COVARIANCE_TYPES = ["full", "tied", "diag", "spherical"];
const FAN_OUTS = { service: "worker", objects: "object" }; // fanOut → the servedBy a shard's answer must carry
// An invocation may make 1000 subrequests on Cloudflare's paid plan: an alarm stops short of half that.
const SUBREQUESTS_PER_ALARM = 500;
const TERMINAL = new Set(["converged", "maxIter", "failed"]);
/** First delay before retrying a shard (ms); each later retry waits 4× longer. */
const RETRY_DELAY_MS = 50;
const json = (body, status = 200) => Response.json(body, { status });

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

/** The request's options, checked, with the defaults (scikit-learn's tol, maxIter and regCovar). */
function fitOptions(body) {
  if (body === null || typeof body !== "object") throw new HttpError(400, "POST /fit needs a JSON object");
  const o = { ...body };
  const int = (name, fallback, least) => {
    const v = o[name] ?? fallback;
    if (!Number.isSafeInteger(v) || v < least)
      throw new HttpError(400, `${name} must be an integer ≥ ${least}; got ${JSON.stringify(o[name])}`);
    return v;
  };
  const num = (name, fallback) => {
    const v = o[name] ?? fallback;
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0)
      throw new HttpError(400, `${name} must be a number ≥ 0; got ${JSON.stringify(o[name])}`);
    return v;
  };
  if (typeof o.dataset !== "string" || o.dataset === "")
    throw new HttpError(400, "dataset must name the dataset's prefix in the bucket (its manifest.json)");
  let start = o.start ?? null;
  if (start !== null) {
    try {
      start = GaussianMixture.fromJSON(start).toJSON();
    } catch (e) {
      throw new HttpError(400, `start is not a model: ${e.message}`);
    }
  }
  const covarianceType = o.covarianceType ?? start?.covariance_type ?? "full";
  if (!COVARIANCE_TYPES.includes(covarianceType))
    throw new HttpError(400, `covarianceType must be one of ${COVARIANCE_TYPES.join(", ")}`);
  const nComponents = int("nComponents", start?.n_components ?? 1, 1);
  if (start && (start.n_components !== nComponents || start.covariance_type !== covarianceType)) {
    throw new HttpError(
      400,
      `start is a ${start.covariance_type} model with ${start.n_components} components, not ${covarianceType} with ${nComponents}`,
    );
  }
  const fanOut = o.fanOut ?? "service";
  if (!Object.hasOwn(FAN_OUTS, fanOut))
    throw new HttpError(
      400,
      `fanOut must be one of ${Object.keys(FAN_OUTS).join(", ")}; got ${JSON.stringify(o.fanOut)}`,
    );
  return {
    dataset: o.dataset,
    fanOut,
    nComponents,
    covarianceType,
    start,
    seed: int("seed", 0, 0),
    tol: num("tol", 1e-3),
    maxIter: int("maxIter", 100, 1),
    regCovar: num("regCovar", 1e-6),
    sampleSize: int("sampleSize", 10_000, 1),
    timeoutMs: int("timeoutMs", 30_000, 1),
    retries: int("retries", 2, 0),
  };
}

/** The start model as this fit's model: its parameters, the fit's settings (float64 rows, as `gmm-wasm fit --start`), no iterations yet. */
function startModel(start, o) {
  return {
    ...start,
    n_iter_: 0,
    converged_: false,
    params: {
      ...start.params,
      tol: o.tol,
      reg_covar: o.regCovar,
      max_iter: o.maxIter,
      n_init: 1,
      random_state: o.seed,
      dtype: "float64",
    },
  };
}

/** Splits m sample rows over shards in proportion to their rows (largest remainders, ties to the lower index). */
function sampleShares(sizes, m) {
  const total = sizes.reduce((a, b) => a + b, 0);
  if (m >= total) return sizes.slice();
  const exact = sizes.map((s) => (s * m) / total);
  const shares = exact.map(Math.floor);
  const order = exact.map((x, i) => [x - Math.floor(x), i]).sort((a, b) => b[0] - a[0] || a[1] - b[1]);
  for (let r = 0, left = m - shares.reduce((a, b) => a + b, 0); r < left; r++) shares[order[r][1]]++;
  return shares;
}

/** The service binding for shard i: SHARD (Cloudflare: one Worker, many invocations), or SHARD_0 … SHARD_{n−1} round robin (the local cluster). */
function shardService(env, i) {
  if (env.SHARD) return env.SHARD;
  let n = 0;
  while (env[`SHARD_${n}`]) n++;
  if (n === 0) throw new Error("no SHARD or SHARD_0 service binding");
  return env[`SHARD_${i % n}`];
}

export class Fit {
  constructor(state, env) {
    this.state = state;
    this.storage = state.storage;
    this.env = env;
    this.busy = false;
    this.freshIsolate = true;
    this.inFlight = new Set(); // shards still being asked in this isolate's current iteration
  }

  async fetch(request) {
    const { pathname } = new URL(request.url);
    if (pathname === "/start") {
      if (await this.storage.get("fit")) return json({ error: "a fit with this id exists" }, 409);
      const { id, options } = await request.json();
      const fit = {
        id,
        options,
        status: "initialising",
        iteration: 0,
        lowerBound: null,
        error: null,
        manifest: null,
        model: null,
        history: [],
        resumedAt: [],
        createdAt: Date.now(),
      };
      await this.storage.put("fit", fit);
      await this.storage.setAlarm(Date.now());
      return json({ id, status: fit.status }, 202);
    }
    const fit = await this.storage.get("fit");
    if (!fit) return json({ error: "no such fit" }, 404);
    if (pathname === "/model") {
      if (!fit.model) return json({ error: `fit ${fit.id} has no model yet (${fit.status})` }, 409);
      return json(fit.model);
    }
    const done =
      fit.manifest && !TERMINAL.has(fit.status)
        ? (await this.storage.list({ prefix: `stats:${fit.iteration + 1}:` })).size
        : null;
    const { model, manifest, options, ...status } = fit;
    return json({
      ...status,
      converged: fit.status === "converged",
      maxIter: options.maxIter,
      tol: options.tol,
      fanOut: options.fanOut,
      dataset: options.dataset,
      rows: manifest?.rows ?? null,
      shards: manifest?.shards.length ?? null,
      shardsDone: done ?? (fit.status === "failed" ? null : (manifest?.shards.length ?? null)),
    });
  }

  async alarm() {
    if (this.busy) return;
    this.busy = true;
    try {
      const fit = await this.storage.get("fit");
      if (!fit || TERMINAL.has(fit.status)) return;
      if (this.freshIsolate && fit.iteration > 0) fit.resumedAt.push(fit.iteration);
      this.freshIsolate = false;
      try {
        // several steps per alarm (each one persisted), up to a slice of wall time, then a new alarm
        const slice = Date.now() + 5_000;
        this.subrequests = 0;
        do {
          if (fit.status === "initialising") await this.initialise(fit);
          else await this.iterate(fit);
        } while (
          !TERMINAL.has(fit.status) &&
          Date.now() < slice &&
          this.subrequests + 2 * fit.manifest.shards.length < SUBREQUESTS_PER_ALARM
        );
      } catch (e) {
        fit.status = "failed";
        fit.error = e?.message ?? String(e);
        await this.storage.put("fit", fit);
        return;
      }
      if (!TERMINAL.has(fit.status)) await this.storage.setAlarm(Date.now());
    } finally {
      this.busy = false;
    }
  }

  /** Reads the manifest; the start is the given model, or EM on a seeded sample drawn from the shards. */
  async initialise(fit) {
    const o = fit.options;
    const manifest = await (await bucketFrom(this.env).get(`${o.dataset}/manifest.json`))?.json();
    if (!manifest)
      throw new Error(`no dataset ${JSON.stringify(o.dataset)}: ${o.dataset}/manifest.json is not in the bucket`);
    if (manifest.format !== MANIFEST_FORMAT || !Array.isArray(manifest.shards) || manifest.shards.length === 0)
      throw new Error(`${o.dataset}/manifest.json is not a dataset manifest`);
    fit.manifest = {
      rows: manifest.rows,
      cols: manifest.cols,
      header: manifest.header,
      shards: manifest.shards.map(({ key, rows }) => ({ key, rows })),
    };
    if (o.start) {
      if (o.start.n_features_in_ !== manifest.cols)
        throw new Error(`start has ${o.start.n_features_in_} features; the dataset has ${manifest.cols}`);
      fit.model = startModel(o.start, o);
    } else {
      const shares = sampleShares(
        fit.manifest.shards.map((s) => s.rows),
        o.sampleSize,
      );
      const parts = await Promise.all(
        fit.manifest.shards.map((s, i) =>
          shares[i] === 0
            ? { rows: [] }
            : this.ask(
                fit,
                i,
                "/sample",
                { key: s.key, n: shares[i], seed: (o.seed + Math.imul(i + 1, 0x9e3779b1)) >>> 0 },
                (r) => {
                  if (!Array.isArray(r.rows) || r.rows.length !== shares[i])
                    throw new Error(`answered ${r.rows?.length} sample rows, not ${shares[i]}`);
                },
              ),
        ),
      );
      const sample = parts.flatMap((p) => p.rows);
      const gmm = new GaussianMixture({
        nComponents: o.nComponents,
        covarianceType: o.covarianceType,
        initParams: "kmeans",
        randomState: o.seed,
        tol: o.tol,
        maxIter: o.maxIter,
        regCovar: o.regCovar,
      }).fit(sample);
      fit.model = startModel(gmm.toJSON(), o);
      fit.sample = { rows: sample.length, nIter: gmm.nIter, lowerBound: gmm.lowerBound };
    }
    fit.status = "running";
    await this.storage.put("fit", fit);
  }

  /** One EM iteration over all shards. */
  async iterate(fit) {
    const o = fit.options;
    const it = fit.iteration + 1;
    const shards = fit.manifest.shards;
    const stored = await this.storage.list({ prefix: `stats:${it}:` });
    const attempts = {};
    const retried = {}; // shard → the failures before its accepted answer
    const shardMs = {};
    const t0 = Date.now();
    const results = await Promise.allSettled(
      shards.map(async (s, i) => {
        const key = `stats:${it}:${i}`;
        if (stored.has(key)) return; // counted before a restart: not asked again
        const reply = await this.ask(
          fit,
          i,
          "/statistics",
          { fit: fit.id, iteration: it, shard: i, key: s.key, model: fit.model },
          (r) => {
            if (r.fit !== fit.id || r.iteration !== it || r.shard !== i || r.key !== s.key)
              throw new Error(
                `answered for fit ${r.fit}, iteration ${r.iteration}, shard ${r.shard}, not this request`,
              );
            if (r.rows !== s.rows) throw new Error(`read ${r.rows} rows of ${s.key}; the manifest says ${s.rows}`);
            const checked = GaussianMixture.mergeStatistics(r.statistics); // refuses malformed statistics
            if (
              checked.covarianceType !== o.covarianceType ||
              checked.nComponents !== o.nComponents ||
              checked.nFeatures !== fit.manifest.cols ||
              checked.rows !== s.rows
            ) {
              throw new Error(
                `statistics of a ${checked.covarianceType} model with ${checked.nComponents} components, ${checked.nFeatures} features and ${checked.rows} rows, not this fit's`,
              );
            }
          },
          attempts,
          retried,
        );
        shardMs[i] = reply.ms;
        await this.storage.put(key, reply.statistics);
      }),
    );
    const roundTripMs = Date.now() - t0;
    const failed = results.findIndex((r) => r.status === "rejected");
    if (failed >= 0) throw results[failed].reason;
    const t1 = Date.now();
    const all = await this.storage.list({ prefix: `stats:${it}:` });
    const parts = shards.map((_, i) => all.get(`stats:${it}:${i}`));
    const merged = GaussianMixture.mergeStatistics(...parts);
    const lowerBound = merged.logLikelihood / merged.sumWeights;
    const gmm = GaussianMixture.fromJSON(fit.model).mStep(merged);
    const model = gmm.toJSON();
    // scikit-learn's test: the change of the lower bound from the previous iteration (−∞ before the first)
    const converged = fit.lowerBound !== null && Math.abs(lowerBound - fit.lowerBound) < o.tol;
    model.converged_ = converged;
    fit.model = model;
    fit.iteration = it;
    fit.lowerBound = lowerBound;
    fit.status = converged ? "converged" : it >= o.maxIter ? "maxIter" : "running";
    fit.history.push({
      iteration: it,
      lowerBound,
      at: Date.now(),
      roundTripMs,
      mergeMs: Date.now() - t1,
      attempts,
      ...(Object.keys(retried).length ? { retried } : {}),
      shardMs,
    });
    // one write: the new state, and the iteration's statistics gone
    this.storage.put("fit", fit);
    this.storage.delete([...all.keys()]);
    await this.storage.sync?.();
  }

  /**
   * POSTs to shard i's service, with a timeout, checking the answer with
   * `check`; a failure (an exception, a non-2xx, a timeout, a refused
   * answer) is retried up to `retries` times, then the error names the shard.
   */
  async ask(fit, i, path, body, check, attempts = {}, retried = {}) {
    const o = fit.options;
    const shard = fit.manifest.shards[i];
    const fanOut = o.fanOut ?? "service"; // (fits started before the option existed)
    const route = fanOut === "objects" ? `/object${path}` : path;
    const failures = [];
    for (let attempt = 0; attempt <= o.retries; attempt++) {
      // back off before a retry (50 ms, then 200, 800, …): a dropped connection
      // ("Network connection lost.") tends to recur if retried at once
      if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, RETRY_DELAY_MS * 4 ** (attempt - 1)));
      attempts[i] = attempt + 1;
      this.subrequests = (this.subrequests ?? 0) + 1;
      try {
        const res = await shardService(this.env, i).fetch(`http://shard${route}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ ...body, attempt }),
          signal: AbortSignal.timeout(o.timeoutMs),
        });
        const text = await res.text();
        if (!res.ok) throw new Error(`HTTP ${res.status}: ${text.slice(0, 300)}`);
        const reply = JSON.parse(text);
        if (reply.servedBy !== FAN_OUTS[fanOut])
          throw new Error(
            `answered from ${JSON.stringify(reply.servedBy)}, not a shard ${FAN_OUTS[fanOut]} (fanOut ${fanOut})`,
          );
        check(reply);
        return reply;
      } catch (e) {
        const message =
          e?.name === "TimeoutError" || e?.name === "AbortError"
            ? `no answer within ${o.timeoutMs} ms`
            : (e?.message ?? String(e));
        failures.push(message);
        retried[i] = failures.slice();
      }
    }
    const what = path === "/sample" ? "the initialisation sample" : `iteration ${body.iteration}`;
    throw new Error(
      `shard ${i} (${shard.key}) failed ${failures.length} times at ${what}; last: ${failures[failures.length - 1]}`,
    );
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    try {
      if (pathname === "/fit") {
        if (request.method !== "POST") return json({ error: "POST /fit starts a fit" }, 405);
        let body;
        try {
          body = await request.json();
        } catch {
          throw new HttpError(400, "the body is not valid JSON");
        }
        const options = fitOptions(body);
        const id = typeof body.id === "string" && /^[\w.-]{1,64}$/.test(body.id) ? body.id : crypto.randomUUID();
        const stub = env.FIT.get(env.FIT.idFromName(id));
        return stub.fetch("http://fit/start", { method: "POST", body: JSON.stringify({ id, options }) });
      }
      const m = /^\/fit\/([\w.-]{1,64})(\/model)?$/.exec(pathname);
      if (m) {
        if (request.method !== "GET") return json({ error: "GET only" }, 405);
        return env.FIT.get(env.FIT.idFromName(m[1])).fetch(`http://fit/${m[2] ? "model" : "status"}`);
      }
      return json({ error: "POST /fit, GET /fit/:id, GET /fit/:id/model" }, 404);
    } catch (e) {
      return json({ error: e.message }, e instanceof HttpError ? e.status : 500);
    }
  },
};
