// Multi-core EM. The E-step and the sufficient statistics are sums over
// rows, so the rows are split into one shard per worker thread; each worker
// computes its shard's sums in its own WebAssembly instance and the calling
// thread adds them up, finishes the M-step and broadcasts the parameters.
// Two round trips per iteration: (1) log-likelihood, N_k and Σ r·x, from
// which the means follow; (2) the scatter about those means (centred, as in
// the single-thread path).
import { FAMILIES, covarianceSize, type CovarianceType, type Workspace } from "./covariance.js";
import { NK_FLOOR, factorCovariances, weightsFromCounts } from "./em.js";
import { dataView, f64 } from "./memory.js";
import { spawnThread, type ThreadHandle } from "./threads.js";
import { kernels, wasmModule } from "./wasm.js";

export type ShardRequest =
  | { type: "init"; module: WebAssembly.Module; rows: Float64Array | Float32Array; n: number; d: number; k: number; covarianceType: string }
  | { type: "estep"; weights: Float64Array; means: Float64Array; factor: Float64Array }
  | { type: "scatter"; means: Float64Array; nk: Float64Array; size: number };

export type ShardReply =
  | { type: "ready" }
  | { type: "estep"; total: number; nk: Float64Array; sums: Float64Array }
  | { type: "scatter"; cov: Float64Array }
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
  private constructor(private readonly shards: Shard[], private readonly type: CovarianceType) {}

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
        const rows = dataView(ws.x + lo * ws.d * ws.xk.bytes, (hi - lo) * ws.d, ws.xk.bytes).slice();
        const shard = new Shard(spawnThread(workerUrl));
        shards.push(shard);
        ready.push(shard.request({ type: "init", module, rows, n: hi - lo, d: ws.d, k: ws.k, covarianceType: type }, [rows.buffer]));
      }
      await Promise.all(ready);
      return pool;
    } catch (e) {
      pool.close();
      throw e;
    }
  }

  /**
   * One EM iteration over all shards with the parameters in ws; leaves the
   * M-step's parameters in ws and returns the lower bound (mean log-likelihood).
   */
  async iterate(ws: Workspace, reg: number, when: string): Promise<number> {
    const w = kernels();
    const family = FAMILIES[this.type];
    const { k, d, n } = ws;
    const size = covarianceSize(family, k, d);
    const params = {
      weights: f64(ws.weights, k).slice(),
      means: f64(ws.means, k * d).slice(),
      factor: f64(ws.factor, size).slice(),
    };
    const first = (await Promise.all(this.shards.map((s) => s.request({ type: "estep", ...params })))) as Extract<ShardReply, { type: "estep" }>[];
    let total = 0;
    const nk = new Float64Array(k);
    const sums = new Float64Array(k * d);
    for (const r of first) {
      total += r.total;
      for (let c = 0; c < k; c++) nk[c] += r.nk[c];
      for (let t = 0; t < k * d; t++) sums[t] += r.sums[t];
    }
    for (let c = 0; c < k; c++) nk[c] += NK_FLOOR;
    const means = f64(ws.means, k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] = sums[c * d + j] / nk[c];
    f64(ws.nk, k).set(nk);
    weightsFromCounts(w, ws, "sum");

    const meansCopy = f64(ws.means, k * d).slice();
    const second = (await Promise.all(this.shards.map((s) => s.request({ type: "scatter", means: meansCopy, nk, size })))) as Extract<ShardReply, { type: "scatter" }>[];
    const cov = new Float64Array(size);
    for (const r of second) for (let t = 0; t < size; t++) cov[t] += r.cov[t];
    // regCovar on every variance: the diagonal of each d×d block, or every entry of diag/spherical.
    if (family.transposed) {
      for (let b = 0; b < size / (d * d); b++) for (let j = 0; j < d; j++) cov[b * d * d + j * d + j] += reg;
    } else {
      for (let t = 0; t < size; t++) cov[t] += reg;
    }
    f64(ws.cov, size).set(cov);
    factorCovariances(w, family, ws, reg, when);
    return total / n;
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}
