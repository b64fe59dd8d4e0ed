// Multi-core EM. The E-step and the sufficient statistics are sums over
// rows, so the rows are split into one shard per worker thread; each worker
// computes its shard's sums in its own WebAssembly instance and the calling
// thread adds them up, finishes the M-step and broadcasts the parameters.
// One round trip per iteration: each shard returns its log-likelihood, N_k,
// Σ r·x and its scatter about its own means m_s; with the pooled means μ the
// scatters merge exactly as S = Σ_s S_s + N_s (m_s − μ)(m_s − μ)ᵀ (the
// parallel form of the centred two-pass sums the single-thread path uses).
import { FAMILIES, covarianceSize, type CovarianceType, type Workspace } from "./covariance.js";
import { NK_FLOOR, factorCovariances, weightsFromCounts } from "./em.js";
import { dataView, f64 } from "./memory.js";
import { spawnThread, type ThreadHandle } from "./threads.js";
import { kernels, wasmModule } from "./wasm.js";

export type ShardRequest =
  | { type: "init"; module: WebAssembly.Module; rows: Float64Array | Float32Array; n: number; d: number; k: number; covarianceType: string }
  | { type: "iterate"; weights: Float64Array; means: Float64Array; factor: Float64Array };

export type ShardReply =
  | { type: "ready" }
  | { type: "iterate"; total: number; nk: Float64Array; sums: Float64Array; scatter: Float64Array }
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
    const replies = (await Promise.all(this.shards.map((s) => s.request({ type: "iterate", ...params })))) as Extract<ShardReply, { type: "iterate" }>[];
    let total = 0;
    const nk = new Float64Array(k);
    const sums = new Float64Array(k * d);
    for (const r of replies) {
      total += r.total;
      for (let c = 0; c < k; c++) nk[c] += r.nk[c];
      for (let t = 0; t < k * d; t++) sums[t] += r.sums[t];
    }
    // N_k and means as componentSums gives them (with scikit-learn's 10ε)
    for (let c = 0; c < k; c++) nk[c] += NK_FLOOR;
    const means = f64(ws.means, k * d);
    for (let c = 0; c < k; c++) for (let j = 0; j < d; j++) means[c * d + j] = sums[c * d + j] / nk[c];
    f64(ws.nk, k).set(nk);
    weightsFromCounts(w, ws, "sum");
    // Each shard's scatter is about its own means m = Σ r·x / (N_s + 10ε);
    // moving it to the pooled mean μ adds N_s (m − μ)(m − μ)ᵀ.
    const full = family.transposed;
    const block = full ? d * d : d;
    const scatter = new Float64Array(k * block);
    const delta = new Float64Array(d);
    for (const r of replies) {
      for (let c = 0; c < k; c++) {
        const ns = r.nk[c];
        for (let j = 0; j < d; j++) delta[j] = r.sums[c * d + j] / (ns + NK_FLOOR) - means[c * d + j];
        const o = c * block;
        for (let t = 0; t < block; t++) scatter[o + t] += r.scatter[o + t];
        if (full) {
          for (let a = 0; a < d; a++) for (let b = 0; b <= a; b++) scatter[o + a * d + b] += ns * delta[a] * delta[b];
        } else {
          for (let j = 0; j < d; j++) scatter[o + j] += ns * delta[j] * delta[j];
        }
      }
    }
    family.covarianceFromScatter(w, ws, scatter, reg);
    factorCovariances(w, family, ws, reg, when);
    return total / n;
  }

  close(): void {
    for (const s of this.shards) s.close();
  }
}
