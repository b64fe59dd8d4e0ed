// Multi-core EM. The E-step and the sufficient statistics are sums over
// rows, so the rows are split into one shard per worker thread; each worker
// computes its shard's statistics (statistics.ts) in its own WebAssembly
// instance, and the calling thread merges them for the M-step (em.ts) and
// sends out the new parameters: one round trip per iteration.
import { type CovarianceType, covarianceSize, FAMILIES, type Workspace } from "./covariance.js";
import { dataView, f64 } from "./memory.js";
import { mergeStatistics, type Statistics } from "./statistics.js";
import { availableCores, spawnThread, type ThreadHandle, threadsAvailable } from "./threads.js";
import { type WasmModule, wasmModule } from "./wasm.js";

export type ShardRequest =
  | {
      type: "init";
      module: WasmModule;
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

  constructor(
    private readonly thread: ThreadHandle,
    readonly url: string,
  ) {
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

  /** Whether it may wait in the idle pool: healthy, no reply outstanding, and able to let the process exit. */
  get reusable(): boolean {
    return !this.failure && !this.pending && this.thread.hold !== undefined;
  }

  hold(keep: boolean): void {
    this.thread.hold?.(keep);
  }

  close(): Promise<unknown> | undefined {
    return this.thread.terminate();
  }
}

// Workers kept between fitAsync calls, so that a second call starts none:
// each waits here unref'd (it does not keep Node or Bun from exiting) and
// holding its last shard's memory, until the next threaded fit takes it, or
// IDLE_MS pass with none, or releaseWorkers() is called. Deno's workers
// cannot be unref'd, so there every fit stops its own.
const idle: Shard[] = [];
const IDLE_MS = 10_000;
let idleTimer: ReturnType<typeof setTimeout> | undefined;

function takeShard(url: URL): Shard {
  // one that failed while idle stays there until released
  const i = idle.findIndex((s) => s.url === url.href && s.reusable);
  if (i >= 0) {
    const [shard] = idle.splice(i, 1);
    shard.hold(true);
    return shard;
  }
  return new Shard(spawnThread(url), url.href);
}

function giveBack(shard: Shard): void {
  if (!shard.reusable) {
    shard.close();
    return;
  }
  shard.hold(false);
  idle.push(shard);
  clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void releaseWorkers(), IDLE_MS);
  // the timer must not keep Node or Bun alive either
  (idleTimer as { unref?: () => void }).unref?.();
}

/**
 * Stops the worker threads that `fitAsync` keeps between calls (they stop on
 * their own after 10 s unused, and never keep Node or Bun from exiting), to
 * free their memory at once; the next threaded fit starts new ones. The
 * promise resolves when they have stopped.
 *
 * @example
 * await gmm.fitAsync(X, { nThreads: 4 });
 * await releaseWorkers();
 */
export async function releaseWorkers(): Promise<void> {
  clearTimeout(idleTimer);
  idleTimer = undefined;
  await Promise.all(idle.splice(0).map((shard) => shard.close()));
}

/** Worker threads holding the rows of one fit, one shard each, taken from the idle pool when it has them. */
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
        const shard = takeShard(workerUrl);
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

  /** Returns the workers to the idle pool (or stops those that failed or are still busy). */
  close(): void {
    for (const s of this.shards) giveBack(s);
  }
}

/**
 * How many worker threads a fit of n rows, k components and d features gets:
 * `requested` (default: the cores when n·K·d² ≥ 5e7, else 1), capped at the
 * cores and at one shard per k rows; 1 where there are no threads. Threads pay
 * off when the fit is long next to starting the workers and copying the
 * shards (bench/threads.mjs, 2 cores: ~100 ms for a first call, against
 * 1.7–1.9× per iteration; whole fits gain from d = 8, K = 8, N = 1e5 and lose
 * at d = 2).
 */
export function shardCount(requested: number | undefined, n: number, k: number, d: number): number {
  if (!threadsAvailable()) return 1;
  const cores = availableCores();
  const threads = Math.min(requested ?? (n * k * d * d >= 5e7 ? cores : 1), cores);
  return Math.min(threads, Math.max(1, Math.floor(n / k)));
}
