// Loads the SIMD WebAssembly core once and gives the rest of the library a
// typed view of its exports. Every cast to the raw ABI lives in this file.

type Ptr = number;

/** The kernels exported by `assembly/index.ts` (pointers are byte offsets). */
export interface Kernels {
  readonly memory: WebAssembly.Memory;
  heapBase(): Ptr;
  cholesky(a: Ptr, d: number): number;
  invertLower(l: Ptr, w: Ptr, d: number): void;
  precisionCholeskyFull(cov: Ptr, w: Ptr, logDet: Ptr, count: number, d: number, scratch: Ptr): number;
  precisionFactorFromPrecision(prec: Ptr, w: Ptr, logDet: Ptr, count: number, d: number, scratch: Ptr): number;
  precisionCholeskyDiag(variances: Ptr, prec: Ptr, logDet: Ptr, count: number, m: number, scale: number): number;
  choleskyMany(cov: Ptr, out: Ptr, count: number, d: number): number;
  factorLogDet(p: Ptr, count: number, m: number, compStride: number, elemStride: number, scale: number, out: Ptr): void;
  logOf(src: Ptr, dst: Ptr, n: number): void;
  logProbFull(x: Ptr, n: number, d: number, means: Ptr, w: Ptr, wStride: number, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr, diff: Ptr): void;
  eStepFull(x: Ptr, n: number, d: number, means: Ptr, w: Ptr, wStride: number, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr, diff: Ptr, logProbNorm: Ptr, writeResp: boolean): number;
  logProbDiag(x: Ptr, n: number, d: number, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr): void;
  logProbSpherical(x: Ptr, n: number, d: number, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr): void;
  eStepDiag(x: Ptr, n: number, d: number, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr, logProbNorm: Ptr, writeResp: boolean): number;
  eStepSpherical(x: Ptr, n: number, d: number, means: Ptr, prec: Ptr, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr, logProbNorm: Ptr, writeResp: boolean): number;
  eStepF32(family: number, x: Ptr, n: number, d: number, means: Ptr, factor: Ptr, wStride: number, logDet: Ptr, logWeights: Ptr, k: number, out: Ptr, logProbNorm: Ptr, writeResp: boolean, params: Ptr): number;
  normalizeLogProb(logp: Ptr, n: number, k: number, logProbNorm: Ptr, writeResp: boolean): number;
  argmaxRows(m: Ptr, n: number, k: number, labels: Ptr): void;
  expRows(src: Ptr, dst: Ptr, n: number): void;
  componentSums(x: Ptr, resp: Ptr, n: number, d: number, k: number, nk: Ptr, sums: Ptr): void;
  componentSumsF32(x: Ptr, resp: Ptr, n: number, d: number, k: number, nk: Ptr, sums: Ptr): void;
  scatterFull(x: Ptr, resp: Ptr, means: Ptr, n: number, d: number, k: number, nk: Ptr, logProbNorm: Ptr, logDet: Ptr, out: Ptr, outStride: number, diff: Ptr): void;
  scatterFullF32(x: Ptr, resp: Ptr, means: Ptr, n: number, d: number, k: number, nk: Ptr, logProbNorm: Ptr, logDet: Ptr, out: Ptr, outStride: number, diff: Ptr): void;
  finishScatter(s: Ptr, d: number, nk: Ptr, k: number, reg: number, pooled: boolean): void;
  scatterDiag(x: Ptr, resp: Ptr, means: Ptr, n: number, d: number, k: number, out: Ptr): void;
  scatterDiagF32(x: Ptr, resp: Ptr, means: Ptr, n: number, d: number, k: number, out: Ptr): void;
  assignNearest(x: Ptr, n: number, d: number, centers: Ptr, k: number, labels: Ptr, minDist: Ptr): number;
  assignNearestF32(x: Ptr, n: number, d: number, centers: Ptr, k: number, labels: Ptr, minDist: Ptr): number;
  updateCenters(x: Ptr, n: number, d: number, labels: Ptr, k: number, centers: Ptr, counts: Ptr): void;
  updateCentersF32(x: Ptr, n: number, d: number, labels: Ptr, k: number, centers: Ptr, counts: Ptr): void;
  seedPotential(x: Ptr, n: number, d: number, center: Ptr, minDist: Ptr, commit: boolean): number;
  seedPotentialF32(x: Ptr, n: number, d: number, center: Ptr, minDist: Ptr, commit: boolean): number;
  sampleGaussian(u: Ptr, count: number, d: number, dPadded: number, mean: Ptr, c: Ptr, out: Ptr): void;
  sampleDiagonal(u: Ptr, count: number, d: number, dPadded: number, mean: Ptr, sd: Ptr, sdStride: number, out: Ptr): void;
  hcAgglomerate(z: Ptr, n: number, d: number, alpha: number, beta: number, cost: Ptr, scatter: Ptr, slotF64: Ptr, slotI32: Ptr, flags: Ptr, work: Ptr, merges: Ptr, costs: Ptr): void;
}

/**
 * The kernels that read the data matrix X, for the type it is stored in
 * (dtype "float64" or "float32"); everything else they read is float64.
 */
export interface DataKernels {
  /** Bytes per value of X. */
  readonly bytes: 4 | 8;
  readonly componentSums: Kernels["componentSums"];
  readonly scatterFull: Kernels["scatterFull"];
  readonly scatterDiag: Kernels["scatterDiag"];
  readonly assignNearest: Kernels["assignNearest"];
  readonly updateCenters: Kernels["updateCenters"];
  readonly seedPotential: Kernels["seedPotential"];
}

export function dataKernels(dtype: "float64" | "float32"): DataKernels {
  const k = kernels();
  return dtype === "float32"
    ? { bytes: 4, componentSums: k.componentSumsF32, scatterFull: k.scatterFullF32, scatterDiag: k.scatterDiagF32, assignNearest: k.assignNearestF32, updateCenters: k.updateCentersF32, seedPotential: k.seedPotentialF32 }
    : { bytes: 8, componentSums: k.componentSums, scatterFull: k.scatterFull, scatterDiag: k.scatterDiag, assignNearest: k.assignNearest, updateCenters: k.updateCenters, seedPotential: k.seedPotential };
}

/** Anything `init` can load the core from. */
export type WasmSource = WebAssembly.Module | BufferSource | URL | string | Response;

let kernelsInstance: Kernels | undefined;
let compiledModule: WebAssembly.Module | undefined;
let loading: Promise<void> | undefined;

// The smallest module using a v128 instruction: validates only where SIMD is on.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03,
  0x02, 0x01, 0x00, 0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0b,
]);

/** True when this runtime's WebAssembly supports fixed-width SIMD. */
export function simdSupported(): boolean {
  return typeof WebAssembly === "object" && WebAssembly.validate(SIMD_PROBE);
}

/**
 * A Node built-in module, where the runtime has them (Node ≥ 20.16, Deno 2,
 * Bun), fetched without an `import()`, which bundlers and Miniflare's module
 * discovery would try to resolve.
 */
export function nodeBuiltin<T>(id: string): T | undefined {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  return proc?.getBuiltinModule?.(id) as T | undefined;
}

async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const fs = nodeBuiltin<{ readFile(path: URL): Promise<Uint8Array<ArrayBuffer>> }>("node:fs/promises");
  if (!fs) throw new Error(`init(): cannot read ${url.href}: this runtime has no file system; pass the .wasm bytes, a WebAssembly.Module or an http(s) URL`);
  return fs.readFile(url);
}

async function compile(source: WasmSource | undefined): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) source = new URL("./gmm.wasm", import.meta.url);
  if (typeof source === "string") {
    const base = (globalThis as { location?: { href: string } }).location?.href ?? import.meta.url;
    source = new URL(source, base);
  }
  if (source instanceof URL) {
    if (source.protocol === "file:") return WebAssembly.compile(await readFileUrl(source));
    source = await fetch(source);
  }
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) throw new Error(`init(): fetching ${source.url} gave HTTP ${source.status}`);
    return WebAssembly.compile(await source.arrayBuffer());
  }
  return WebAssembly.compile(source as BufferSource);
}

/**
 * Loads and instantiates the WebAssembly core. Idempotent: later calls return
 * at once. With no argument the `gmm.wasm` beside this module is read (file
 * system or fetch); Cloudflare Workers, which refuse to compile bytes at run
 * time, pass the `WebAssembly.Module` they imported from `gmm-wasm/gmm.wasm`.
 *
 * @example
 * await init();                       // Node, Deno, Bun, browsers
 * import wasm from "gmm-wasm/gmm.wasm"; await init(wasm); // Workers
 */
export function init(source?: WasmSource): Promise<void> {
  if (kernelsInstance) return Promise.resolve();
  if (!loading) {
    loading = (async () => {
      if (!simdSupported()) {
        throw new Error("This JavaScript runtime's WebAssembly has no SIMD support, which gmm-wasm needs (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Deno, Bun, workerd all have it).");
      }
      const module = await compile(source);
      const instance = await WebAssembly.instantiate(module, {});
      compiledModule = module;
      kernelsInstance = instance.exports as unknown as Kernels;
    })();
    // A failed load may be retried with another source.
    loading.catch(() => { loading = undefined; });
  }
  return loading;
}

/** The compiled module, so worker threads can instantiate it without fetching again. */
export function wasmModule(): WebAssembly.Module {
  kernels();
  return compiledModule!;
}

/** The loaded kernels; throws a clear error before `init()` has finished. */
export function kernels(): Kernels {
  if (!kernelsInstance) throw new Error("gmm-wasm is not initialised: `await init()` once before fitting or scoring.");
  return kernelsInstance;
}
