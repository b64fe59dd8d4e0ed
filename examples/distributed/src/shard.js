// Shard Worker: computes one shard's EM statistics under the model it is sent.
//
//   POST /statistics {fit, iteration, shard, key, model}
//     → 200 {fit, iteration, shard, key, rows, ms, statistics}
//     statistics = GaussianMixture.fromJSON(model).statistics(rows of object `key`)
//   POST /sample {key, n, seed} → 200 {key, rows: number[][]}
//     n distinct rows of the object, drawn with the seed, in object order
//   anything else → 404; a failure → 500 {error}
//
// The decoded rows of an object are kept in the isolate (objects are
// immutable), so an iteration after the first reads no bytes from the bucket.
import wasm from "gmm-wasm/gmm.wasm";
import { init, GaussianMixture } from "gmm-wasm";
import { bucketFrom } from "./bucket.js";
import { decodeRows } from "./layout.js";
import { sampleIndices, seededRandom } from "./random.js";
import { injectFault } from "./faults.js";

await init(wasm);

const cache = new Map();

async function rowsOf(env, key) {
  let rows = cache.get(key);
  if (!rows) {
    const object = await bucketFrom(env).get(key);
    if (!object) throw new Error(`no object ${JSON.stringify(key)} in the bucket`);
    rows = decodeRows(await object.arrayBuffer(), key);
    cache.set(key, rows);
  }
  return rows;
}

const json = (body, status = 200) => Response.json(body, { status });

export default {
  async fetch(request, env) {
    const { pathname } = new URL(request.url);
    if (request.method !== "POST" || (pathname !== "/statistics" && pathname !== "/sample")) {
      return json({ error: `${request.method} ${pathname}: this shard answers POST /statistics and POST /sample` }, 404);
    }
    try {
      const body = await request.json();
      if (typeof body?.key !== "string") throw new Error("the request needs a \"key\" (the shard object)");
      if (pathname === "/sample") {
        const X = await rowsOf(env, body.key);
        const picked = sampleIndices(X.rows, body.n, seededRandom(body.seed));
        return json({ key: body.key, rows: picked.map((i) => Array.from(X.data.subarray(i * X.cols, (i + 1) * X.cols))) });
      }
      const fault = await injectFault(env, body);
      const t0 = Date.now();
      const X = await rowsOf(env, body.key);
      const statistics = GaussianMixture.fromJSON(body.model).statistics(X);
      const reply = { fit: body.fit, iteration: body.iteration, shard: body.shard, key: body.key, rows: X.rows, ms: Date.now() - t0, statistics };
      return json(fault ? fault(reply) : reply);
    } catch (e) {
      return json({ error: `${env.SHARD_NAME ?? "shard"}: ${e?.message ?? e}` }, 500);
    }
  },
};
