// A worker thread's side of a sharded fit: it holds a slice of the rows in
// its own WebAssembly instance and, each EM iteration, returns that slice's
// sufficient statistics. Bundled on its own as dist/em-worker.js.
import { FAMILIES, type CovarianceFamily, type CovarianceType, type Workspace } from "./covariance.js";
import { NK_FLOOR, allocWorkspace, eStep, loadParams } from "./em.js";
import { alloc, dataView, f64 } from "./memory.js";
import { init, kernels } from "./wasm.js";
import { parentChannel } from "./threads.js";
import type { ShardReply, ShardRequest } from "./parallel.js";

const channel = parentChannel();
let shard: { ws: Workspace; family: CovarianceFamily } | undefined;

async function handle(message: ShardRequest): Promise<{ reply: ShardReply; transfer: Transferable[] }> {
  switch (message.type) {
    case "init": {
      await init(message.module);
      const { rows, n, d, k } = message;
      const family = FAMILIES[message.covarianceType as CovarianceType];
      const bytes = rows instanceof Float32Array ? 4 : 8;
      const x = alloc(n * d, bytes, "shard");
      dataView(x, n * d, bytes).set(rows);
      shard = { ws: allocWorkspace(family, x, n, d, k, { dtype: bytes === 4 ? "float32" : "float64" }), family };
      return { reply: { type: "ready" }, transfer: [] };
    }
    case "iterate": {
      const { ws, family } = shard!;
      const w = kernels();
      loadParams(w, family, ws, { weights: message.weights, means: message.means, covariances: new Float64Array(0), factor: message.factor });
      const total = eStep(w, family, ws) * ws.n;
      ws.xk.componentSums(ws.x, ws.resp, ws.n, ws.d, ws.k, ws.nk, ws.means);
      // The shard's scatter about its own means; then undo componentSums'
      // normalisation: the main thread needs raw Σ r and Σ r·x.
      const scatter = family.shardScatter(w, ws);
      const nk = f64(ws.nk, ws.k).slice();
      const sums = f64(ws.means, ws.k * ws.d).slice();
      for (let c = 0; c < ws.k; c++) {
        for (let j = 0; j < ws.d; j++) sums[c * ws.d + j] *= nk[c];
        nk[c] -= NK_FLOOR;
      }
      return { reply: { type: "iterate", total, nk, sums, scatter }, transfer: [nk.buffer, sums.buffer, scatter.buffer] };
    }
  }
}

channel.onMessage((data) => {
  handle(data as ShardRequest).then(
    ({ reply, transfer }) => channel.post(reply, transfer),
    (e: unknown) => channel.post({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies ShardReply),
  );
});
