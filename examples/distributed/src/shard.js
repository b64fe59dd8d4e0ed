// Shard Worker: computes one shard's EM statistics under the model it is sent.
//
//   POST /statistics {fit, iteration, shard, key, model}
//     → 200 {fit, iteration, shard, key, rows, ms, servedBy, statistics}
//     statistics = GaussianMixture.fromJSON(model).statistics(rows of object `key`)
//   POST /sample {key, n, seed} → 200 {key, servedBy, rows: number[][]}
//     n distinct rows of the object, drawn with the seed, in object order
//   POST /object/statistics, POST /object/sample: the same, computed in the
//     Durable Object ShardObject named after the key (a retry, `attempt` ≥ 1,
//     in another one), so each shard's work runs in an object of its own,
//     placed and scheduled independently of the caller (README: fan-out)
//   anything else → 404; a failure → 500 {error}
//
// servedBy is "worker" or "object": where the statistics were computed.
// Decoded rows are kept in the isolate (objects are immutable), up to 32 MiB
// (least recently used out first), so later iterations read no bytes from the
// bucket while one isolate's memory stays bounded: on Cloudflare one isolate
// may well serve several shards of a fit (README: what bounds a deployment),
// and Durable Objects of one class may share an isolate too.

import { GaussianMixture, init } from "gmm-wasm";
import wasm from "gmm-wasm/gmm.wasm";
import { bucketFrom } from "./bucket.js";
import { injectFault } from "./faults.js";
import { decodeRows } from "./layout.js";
import { sampleIndices, seededRandom } from "./random.js";

await init(wasm);

const CACHE_BYTES = 32 * 2 ** 20;
const OBJECT_TRIES = 3; // a ShardObject's retryable infrastructure errors, before the coordinator's own retries
const cache = new Map(); // key → rows, in order of use

async function rowsOf(env, key) {
  let rows = cache.get(key);
  if (rows) {
    cache.delete(key);
  } else {
    const object = await bucketFrom(env).get(key);
    if (!object) throw new Error(`no object ${JSON.stringify(key)} in the bucket`);
    rows = decodeRows(await object.arrayBuffer(), key);
  }
  cache.set(key, rows);
  let bytes = 0;
  for (const r of cache.values()) bytes += r.data.byteLength;
  for (const [k, r] of cache) {
    if (bytes <= CACHE_BYTES || k === key) break;
    cache.delete(k);
    bytes -= r.data.byteLength;
  }
  return rows;
}

const json = (body, status = 200) => Response.json(body, { status });

/** Answers /statistics and /sample; `servedBy` says where (the Worker, or a ShardObject). */
async function handle(request, env, pathname, servedBy) {
  if (request.method !== "POST" || (pathname !== "/statistics" && pathname !== "/sample")) {
    return json(
      {
        error: `${request.method} ${pathname}: this shard answers POST /statistics and POST /sample (and both under /object/)`,
      },
      404,
    );
  }
  try {
    const body = await request.json();
    if (typeof body?.key !== "string") throw new Error('the request needs a "key" (the shard object)');
    if (pathname === "/sample") {
      const X = await rowsOf(env, body.key);
      const picked = sampleIndices(X.rows, body.n, seededRandom(body.seed));
      return json({
        key: body.key,
        servedBy,
        rows: picked.map((i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols))),
      });
    }
    const fault = await injectFault(env, body);
    const t0 = Date.now();
    const X = await rowsOf(env, body.key);
    const statistics = GaussianMixture.fromJSON(body.model).statistics(X);
    const reply = {
      fit: body.fit,
      iteration: body.iteration,
      shard: body.shard,
      key: body.key,
      rows: X.rows,
      ms: Date.now() - t0,
      servedBy,
      statistics,
    };
    return json(fault ? fault(reply) : reply);
  } catch (e) {
    return json({ error: `${env.SHARD_NAME ?? "shard"}: ${e?.message ?? e}` }, 500);
  }
}

/**
 * One shard's home: the statistics of the object it is named after. It keeps
 * no storage; the Durable Object is there for its placement (its own thread,
 * its own CPU limit per request), not its state.
 */
export class ShardObject {
  constructor(_state, env) {
    this.env = env;
  }

  fetch(request) {
    return handle(request, this.env, new URL(request.url).pathname, "object");
  }
}

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (!pathname.startsWith("/object/")) return handle(request, env, pathname, "worker");
    if (!env.SHARD_OBJECT)
      return json({ error: `${pathname}: this shard Worker has no SHARD_OBJECT Durable Object binding` }, 500);
    const text = await request.text();
    let body;
    try {
      body = JSON.parse(text);
    } catch {
      return json({ error: "the body is not valid JSON" }, 400);
    }
    if (typeof body?.key !== "string") return json({ error: 'the request needs a "key" (the shard object)' }, 400);
    // the first try in the key's own object (its rows stay cached there); a retry in a fresh one
    const name = body.attempt > 0 ? `${body.key}#retry-${body.attempt}` : body.key;
    // Errors of the Durable Object infrastructure (not the object's own) marked retryable, such
    // as "Network connection lost.", are retried here with a new stub and a backoff, as
    // Cloudflare advises for idempotent requests (these are); overloaded ones are not.
    for (let tries = 1; ; tries++) {
      try {
        const stub = env.SHARD_OBJECT.get(env.SHARD_OBJECT.idFromName(name));
        const res = await stub.fetch(`http://shard-object${pathname.slice("/object".length)}`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: text,
        });
        // read here, not streamed through: a connection lost mid-body is then caught and retried
        return new Response(await res.text(), { status: res.status, headers: res.headers });
      } catch (e) {
        if (!e?.retryable || e?.overloaded || tries >= OBJECT_TRIES)
          return json({ error: `ShardObject ${name}: ${e?.message ?? e} (after ${tries} tries)` }, 500);
        await new Promise((resolve) => setTimeout(resolve, 10 * 2 ** tries));
      }
    }
  },
};
