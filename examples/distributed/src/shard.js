// Shard Worker: computes one shard's EM statistics under the model it is sent.
//
//   POST /statistics {fit, iteration, shard, key, model}
//     → 200 {fit, iteration, shard, key, rows, ms, statistics}
//     statistics = GaussianMixture.fromJSON(model).statistics(rows of object `key`)
//   POST /sample {key, n, seed} → 200 {key, rows: number[][]}
//     n distinct rows of the object, drawn with the seed, in object order
//   anything else → 404; a failure → 500 {error}
//
// Decoded rows are kept in the isolate (objects are immutable), up to 32 MiB
// (least recently used out first), so later iterations read no bytes from the
// bucket while one isolate's memory stays bounded: on Cloudflare one isolate
// may well serve several shards of a fit (README: what bounds a deployment).

import { GaussianMixture, init } from "gmm-wasm";
import wasm from "gmm-wasm/gmm.wasm";
import { bucketFrom } from "./bucket.js";
import { injectFault } from "./faults.js";
import { decodeRows } from "./layout.js";
import { sampleIndices, seededRandom } from "./random.js";

await init(wasm);

const CACHE_BYTES = 32 * 2 ** 20;
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

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || (pathname !== "/statistics" && pathname !== "/sample")) {
      return json(
        { error: `${request.method} ${pathname}: this shard answers POST /statistics and POST /sample` },
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
        statistics,
      };
      return json(fault ? fault(reply) : reply);
    } catch (e) {
      return json({ error: `${env.SHARD_NAME ?? "shard"}: ${e?.message ?? e}` }, 500);
    }
  },
};
