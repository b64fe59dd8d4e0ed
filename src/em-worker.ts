// A worker thread's side of a sharded fit: it holds a slice of the rows in
// its own WebAssembly instance and, each EM iteration, returns that slice's
// sufficient statistics (statistics.ts), the same block statistics a
// single-thread fit computes over all its rows. Bundled on its own as
// dist/em-worker.js.
import { type CovarianceFamily, type CovarianceType, FAMILIES, type Workspace } from "./covariance.js";
import { allocWorkspace, eStepStatistics, loadParams } from "./em.js";
import { alloc, dataView, mark, release } from "./memory.js";
import type { ShardReply, ShardRequest } from "./parallel.js";
import { parentChannel } from "./threads.js";
import { init, kernels } from "./wasm.js";

const channel = parentChannel();
let shard: { ws: Workspace; family: CovarianceFamily } | undefined;
// the arena's bottom: a worker kept for another fit (parallel.ts) frees its last shard there
let base: number | undefined;

async function handle(message: ShardRequest): Promise<{ reply: ShardReply; transfer: Transferable[] }> {
  switch (message.type) {
    case "init": {
      await init(message.module);
      shard = undefined;
      base ??= mark();
      release(base);
      const { rows, n, d, k } = message;
      const family = FAMILIES[message.covarianceType as CovarianceType];
      const bytes = rows instanceof Float32Array ? 4 : 8;
      const x = alloc(n * d, bytes, "shard");
      dataView(x, n * d, bytes).set(rows);
      shard = {
        ws: allocWorkspace(family, x, n, d, k, { dtype: bytes === 4 ? "float32" : "float64" }, message.weights),
        family,
      };
      return { reply: { type: "ready" }, transfer: [] };
    }
    case "statistics": {
      const { ws, family } = shard!;
      const wasm = kernels();
      loadParams(wasm, family, ws, {
        weights: message.weights,
        logWeights: message.logWeights,
        means: message.means,
        covariances: new Float64Array(0),
        factor: message.factor,
      });
      const stats = eStepStatistics(wasm, family, ws);
      return {
        reply: { type: "statistics", stats },
        transfer: [stats.nk.buffer, stats.sums.buffer, stats.scatter.buffer],
      };
    }
  }
}

channel.onMessage((data) => {
  handle(data as ShardRequest).then(
    ({ reply, transfer }) => channel.post(reply, transfer),
    (e: unknown) =>
      channel.post({ type: "error", message: e instanceof Error ? e.message : String(e) } satisfies ShardReply),
  );
});
