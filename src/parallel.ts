// Multi-core EM. The E-step and the sufficient statistics are sums over
// rows, so the rows are split into one shard per worker thread; each worker
// computes its shard's statistics (statistics.ts) in its own WebAssembly
// instance, and the calling thread merges them for the M-step (em.ts) and
// sends out the new parameters: one round trip per iteration.
import { type CovarianceType, covarianceSize, FAMILIES, type Workspace } from "./covariance.js";
import { dataView, f64 } from "./memory.js";
import { mergeStatistics, type Statistics } from "./statistics.js";
import { spawnThread, type ThreadHandle } from "./threads.js";
import { wasmModule } from "./wasm.js";

export type ShardRequest =
  | {
      type: "init";
      module: WebAssembly.Module;
      rows: Float64Array | Float32Array;
      weights?: Float64Array;
      n: number;
      d: number;
      k: number;
      covarianceType: string;
    }
  | {
      type: "statistics";
      weights: Float64Array;
      /** The E-step's log weights as ws holds them (a Bayesian mixture's are not log(weights)). */
      logWeights: Float64Array;
      means: Float64Array;
      factor: Float64Array;
    };

export type ShardReply =
  | { type: "ready" }
  | { type: "statistics"; stats: Statistics }
  | { type: "error"; message: string };

class Shard {
  private pending?: { resolve: (r: ShardReply) => void; reject: (e: Error) => void };
  private failure?: Error;

  constructor(private readonly thread: ThreadHandle) {
    thread.onMessage((data) => {
      const p = this.pending;
      this.pending = undefined;
      const reply = data as ShardReply;
      if (reply.type === "error") p?.reject(new Error(`worker thread: ${reply.message}`));
      else p?.resolve(reply);
    });
    thread.onError((e) => {
      this.failure = e;
      this.pending?.reject(e);
      this.pending = undefined;
    });
  }

  request(message: ShardRequest, transfer: Transferable[] = []): Promise<ShardReply> {
    if (this.failure) return Promise.reject(this.failure);
    return new Promise((resolve, reject) => {
      this.pending = { resolve, reject };
      this.thread.post(message, transfer);
    });
  }

  close(): void {
    this.thread.terminate();
  }
}

/** Worker threads holding the rows of one fit, one shard each. */
export class ShardPool {
  private constructor(
    private readonly shards: Shard[],
    private readonly type: CovarianceType,
  ) {}

  /** Starts `threads` workers and hands each its contiguous slice of the n×d rows at ws.x. */
  static async start(ws: Workspace, type: CovarianceType, threads: number, workerUrl: URL): Promise<ShardPool> {
    const module = wasmModule();
    const shards: Shard[] = [];
    const pool = new ShardPool(shards, type);
    try {
      const ready: Promise<ShardReply>[] = [];
      for (let t = 0; t < threads; t++) {
        const lo = Math.floor((t * ws.n) / threads);
        const hi = Math.floor(((t + 1) * ws.n) / threads);
        // float32 rows go as they are stored (centred): the shards work in
        // those coordinates and only ws's means are ever shifted back
        const rows = dataView(ws.x + lo * ws.d * ws.rowKernels.bytes, (hi - lo) * ws.d, ws.rowKernels.bytes).slice();
        const weights = ws.sampleWeight ? f64(ws.sampleWeight + lo * 8, hi - lo).slice() : undefined;
        const shard = new Shard(spawnThread(workerUrl));
        shards.push(shard);
        ready.push(
          shard.request(
            { type: "init", module, rows, weights, n: hi - lo, d: ws.d, k: ws.k, covarianceType: type },
            weights ? [rows.buffer, weights.buffer] : [rows.buffer],
          ),
        );
      }
      await Promise.all(ready);
      return pool;
    } catch (e) {
      pool.close();
      throw e;
    }
  }

  /** The E-step statistics of all shards under the parameters in ws, merged. */
  async statistics(ws: Workspace): Promise<Statistics> {
    const family = FAMILIES[this.type];
    const { k, d } = ws;
    const size = covarianceSize(family, k, d);
    const params = {
      weights: f64(ws.weights, k).slice(),
      logWeights: f64(ws.logWeights, k).slice(),
      means: f64(ws.means, k * d).slice(),
      factor: f64(ws.factor, size).slice(),
    };
    const replies = (await Promise.all(
      this.shards.map((s) => s.request({ type: "statistics", ...params })),
    )) as Extract<ShardReply, { type: "statistics" }>[];
    return mergeStatistics(
      family,
      k,
      d,
      replies.map((r) => r.stats),
    );
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}
