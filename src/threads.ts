// The two worker APIs behind one small interface: Web Workers (browsers,
// Deno, Bun) and Node's worker_threads. Cloudflare Workers have neither, so
// there a fit runs in the calling thread.
import { nodeBuiltin } from "./wasm.js";

/**
 * A worker as the pool sees it: post a message, receive messages and errors,
 * stop. `hold(false)` lets the process exit while the worker is alive (unref
 * in Node and Bun; nothing to do in a browser); it is undefined in Deno,
 * where a live Web Worker always keeps the process running.
 */
export interface ThreadHandle {
  post(message: unknown, transfer?: Transferable[]): void;
  onMessage(listener: (data: unknown) => void): void;
  onError(listener: (error: Error) => void): void;
  terminate(): Promise<unknown> | undefined;
  hold?: (keep: boolean) => void;
}

interface NodeWorkerThreads {
  Worker: new (
    url: URL,
  ) => {
    postMessage(m: unknown, t?: readonly unknown[]): void;
    on(event: string, l: (v: never) => void): void;
    terminate(): Promise<number>;
    ref(): void;
    unref(): void;
  };
  parentPort: {
    postMessage(m: unknown, t?: readonly unknown[]): void;
    on(event: "message", l: (v: unknown) => void): void;
  } | null;
  isMainThread: boolean;
}

function webWorkerAvailable(): boolean {
  return typeof (globalThis as { Worker?: unknown }).Worker === "function";
}

/** True when this runtime can start worker threads. */
export function threadsAvailable(): boolean {
  return webWorkerAvailable() || nodeBuiltin<NodeWorkerThreads>("node:worker_threads") !== undefined;
}

/** Logical cores: the default for nThreads where threads exist, else 1. */
export function availableCores(): number {
  if (!threadsAvailable()) return 1;
  const nav = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator;
  if (nav?.hardwareConcurrency) return nav.hardwareConcurrency;
  const os = nodeBuiltin<{ availableParallelism?: () => number; cpus(): unknown[] }>("node:os");
  return os ? (os.availableParallelism?.() ?? os.cpus().length) : 1;
}

/** The error for a worker that failed to load or run, naming its script and the remedy. */
function workerError(url: URL, detail: string | undefined): Error {
  // inlined workers are data: or blob: URLs, too long or meaningless to quote whole
  const where = url.protocol === "data:" ? "the inlined worker" : url.href;
  return new Error(
    `fitAsync: the worker thread ${where} failed${detail ? `: ${detail}` : " to load, with no detail from the runtime (the script is missing (404), is not JavaScript, or a Content-Security-Policy blocks it)"}. ` +
      `Serve gmm-wasm's em-worker.js (the gmm-wasm/em-worker.js export) and pass its URL as fitAsync(X, { workerUrl }), use the gmm-wasm/inline entry, or nThreads: 1.`,
  );
}

export function spawnThread(url: URL): ThreadHandle {
  if (webWorkerAvailable()) {
    let worker: Worker;
    try {
      worker = new (globalThis as unknown as { Worker: typeof Worker }).Worker(url, { type: "module" });
    } catch (e) {
      throw workerError(url, (e as Error).message);
    }
    return {
      post: (m, t) => worker.postMessage(m, t ?? []),
      onMessage: (l) => worker.addEventListener("message", (e) => l((e as MessageEvent).data)),
      onError: (l) =>
        worker.addEventListener("error", (e) => {
          (e as Event).preventDefault?.();
          l(workerError(url, (e as ErrorEvent).message || undefined));
        }),
      terminate: () => void worker.terminate(),
      hold: holdOf(worker as unknown as { ref?: () => void; unref?: () => void }),
    };
  }
  const wt = nodeBuiltin<NodeWorkerThreads>("node:worker_threads");
  if (!wt) throw new Error("This runtime has no worker threads: use nThreads: 1");
  let worker: InstanceType<NodeWorkerThreads["Worker"]>;
  try {
    worker = new wt.Worker(url);
  } catch (e) {
    throw workerError(url, (e as Error).message);
  }
  return {
    post: (m, t) => worker.postMessage(m, t),
    onMessage: (l) => worker.on("message", l as (v: never) => void),
    onError: (l) => worker.on("error", ((e: Error) => l(workerError(url, e.message))) as (v: never) => void),
    terminate: () => worker.terminate(),
    hold: (keep) => (keep ? worker.ref() : worker.unref()),
  };
}

/**
 * ref/unref for a Web Worker: Bun has them; browsers have no process to
 * keep alive, so nothing to do; Deno has neither, and an idle worker there
 * keeps the process running, so it gets none (the pool then stops it).
 */
function holdOf(worker: { ref?: () => void; unref?: () => void }): ((keep: boolean) => void) | undefined {
  if (typeof worker.unref === "function") return (keep) => (keep ? worker.ref?.() : worker.unref?.());
  if ((globalThis as { Deno?: unknown }).Deno !== undefined) return undefined;
  return () => {};
}

/** Inside a worker: the channel back to the thread that started it. */
export function parentChannel(): {
  post(m: unknown, t?: Transferable[]): void;
  onMessage(l: (data: unknown) => void): void;
} {
  const wt = nodeBuiltin<NodeWorkerThreads>("node:worker_threads");
  if (wt && !wt.isMainThread && wt.parentPort) {
    const port = wt.parentPort;
    return { post: (m, t) => port.postMessage(m, t), onMessage: (l) => port.on("message", l) };
  }
  const scope = globalThis as unknown as {
    postMessage(m: unknown, t?: Transferable[]): void;
    addEventListener(t: "message", l: (e: MessageEvent) => void): void;
  };
  return {
    post: (m, t) => scope.postMessage(m, t ?? []),
    onMessage: (l) => scope.addEventListener("message", (e) => l(e.data)),
  };
}
