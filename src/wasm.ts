// Loads the SIMD WebAssembly core once and gives the rest of the library a
// typed view of its exports. Every cast to the raw ABI lives in this file.
import { defaultWasmSource } from "./wasm-source.js";

type Ptr = number;

/**
 * A compiled WebAssembly module: `WebAssembly.Module` where the consumer's
 * TypeScript declares it (the DOM and WebWorker libs, Cloudflare's and Deno's
 * types), else any object. Written this way so that the declarations need no
 * DOM lib: a Node project with only `@types/node` has no `WebAssembly` types.
 */
export type WasmModule = typeof globalThis extends {
  /** The global namespace, where declared. */
  WebAssembly: {
    /** Its module class. */
    Module: {
      /** The type of its instances. */
      prototype: infer M;
    };
  };
}
  ? M
  : object;

/** The core's linear memory, as the library uses it. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  grow(pages: number): number;
}

/** The kernels exported by `assembly/index.ts` (pointers are byte offsets). */
export interface Kernels {
  readonly memory: WasmMemory;
  heapBase(): Ptr;
  cholesky(a: Ptr, d: number): number;
  invertLower(l: Ptr, w: Ptr, d: number): void;
  precisionCholeskyFull(cov: Ptr, w: Ptr, logDet: Ptr, count: number, d: number, scratch: Ptr): number;
  precisionFactorFromPrecision(prec: Ptr, w: Ptr, logDet: Ptr, count: number, d: number, scratch: Ptr): number;
  precisionCholeskyDiag(variances: Ptr, prec: Ptr, logDet: Ptr, count: number, m: number, scale: number): number;
  choleskyMany(cov: Ptr, out: Ptr, count: number, d: number): number;
  factorLogDet(p: Ptr, count: number, m: number, compStride: number, elemStride: number, scale: number, out: Ptr): void;
  logOf(src: Ptr, dst: Ptr, n: number): void;
  logProbFull(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    w: Ptr,
    wStride: number,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    diff: Ptr,
  ): void;
  eStepFull(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    w: Ptr,
    wStride: number,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    diff: Ptr,
    logProbNorm: Ptr,
    writeResp: boolean,
  ): number;
  eStepF32Stats(
    family: number,
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    factor: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    params: Ptr,
    stats: Ptr,
  ): number;
  eStepDiagonalStats(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    prec: Ptr,
    spherical: boolean,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    stats: Ptr,
    /** n sample weights scaling the sums (not the stored responsibilities), or 0 for none */
    weights: Ptr,
  ): number;
  /** Tied, d > 4: the E-step plus N_k and Σ r·x per component (k·(1 + d), room for twice that); NaN outside the blocked path. */
  eStepTiedStats(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    w: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    stats: Ptr,
  ): number;
  eStepFullStats(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    w: Ptr,
    wStride: number,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    stats: Ptr,
  ): number;
  logProbDiag(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    prec: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
  ): void;
  logProbSpherical(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    prec: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
  ): void;
  eStepDiag(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    prec: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    writeResp: boolean,
  ): number;
  eStepSpherical(
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    prec: Ptr,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    writeResp: boolean,
  ): number;
  eStepF32(
    family: number,
    x: Ptr,
    n: number,
    d: number,
    means: Ptr,
    factor: Ptr,
    wStride: number,
    logDet: Ptr,
    logWeights: Ptr,
    k: number,
    out: Ptr,
    logProbNorm: Ptr,
    writeResp: boolean,
    params: Ptr,
  ): number;
  normalizeLogProb(logp: Ptr, n: number, k: number, logProbNorm: Ptr, writeResp: boolean): number;
  argmaxRows(m: Ptr, n: number, k: number, labels: Ptr): void;
  rowSums(m: Ptr, n: number, k: number, out: Ptr): void;
  /** Index of the first of n float64 values at p not within ±limit (NaN, ±∞ included), or −1. */
  firstBeyond(p: Ptr, n: number, limit: number): number;
  componentSums(x: Ptr, resp: Ptr, n: number, d: number, k: number, nk: Ptr, sums: Ptr): void;
  componentSumsF32: Kernels["componentSums"];
  scatterFull(
    x: Ptr,
    resp: Ptr,
    means: Ptr,
    n: number,
    d: number,
    k: number,
    nk: Ptr,
    logProbNorm: Ptr,
    logDet: Ptr,
    out: Ptr,
    outStride: number,
    diff: Ptr,
  ): void;
  scatterFullF32: Kernels["scatterFull"];
  finishScatter(s: Ptr, d: number, nk: Ptr, k: number, reg: number, pooled: boolean): void;
  weighRows(resp: Ptr, logProbNorm: Ptr, weights: Ptr, n: number, k: number): number;
  scatterDiag(x: Ptr, resp: Ptr, means: Ptr, n: number, d: number, k: number, out: Ptr): void;
  scatterDiagF32: Kernels["scatterDiag"];
  /** With means and counts (k × d, k), also Lloyd's update from the new labels, in the same pass. */
  assignNearest(
    x: Ptr,
    n: number,
    d: number,
    centers: Ptr,
    k: number,
    labels: Ptr,
    minDist: Ptr,
    means?: Ptr,
    counts?: Ptr,
  ): number;
  assignNearestF32: Kernels["assignNearest"];
  /**
   * Lloyd's step with Hamerly's bounds: labels and counts as assignNearest's, means
   * summed by blocks of rows kept in `sums` (boundedSumsValues(n, k, d) values) from one call to
   * the next (weighted means with `weights`); `previous` must be the last call's labels unless
   * shift is 0. Returns the rows scanned.
   */
  assignBounded(
    x: Ptr,
    n: number,
    d: number,
    centers: Ptr,
    k: number,
    labels: Ptr,
    previous: Ptr,
    upper: Ptr,
    lower: Ptr,
    shift: Ptr,
    sums: Ptr,
    means: Ptr,
    counts: Ptr,
    weights?: Ptr,
  ): number;
  assignBoundedF32: Kernels["assignBounded"];
  /** Size (f64 values) of assignBounded's `sums` for n rows and k centres. */
  boundedSumsValues(n: number, k: number, d: number): number;
  /** With `cumulative` (and commit), also the potential's partial sums, row by row. */
  /** With `weights` (n values), each row's term is weighted; minDist stays unweighted. */
  seedPotential(
    x: Ptr,
    n: number,
    d: number,
    center: Ptr,
    minDist: Ptr,
    commit: boolean,
    cumulative?: Ptr,
    weights?: Ptr,
  ): number;
  seedPotentialF32: Kernels["seedPotential"];
  /** k-means++'s trials: out[t] = seedPotential (not committing) of the centre at row rows[t], t < count ≤ 4. */
  seedTrials(x: Ptr, n: number, d: number, rows: Ptr, count: number, minDist: Ptr, out: Ptr, weights?: Ptr): void;
  seedTrialsF32: Kernels["seedTrials"];
  sampleGaussian(u: Ptr, count: number, d: number, dPadded: number, mean: Ptr, c: Ptr, out: Ptr): void;
  sampleDiagonal(
    u: Ptr,
    count: number,
    d: number,
    dPadded: number,
    mean: Ptr,
    sd: Ptr,
    sdStride: number,
    out: Ptr,
  ): void;
  /** ψ(x), log Γ(x) and log x for x > 0 (assembly/special.ts): variational inference. */
  digamma(x: number): number;
  lgamma(x: number): number;
  ln(x: number): number;
  hcAgglomerate(
    z: Ptr,
    n: number,
    d: number,
    alpha: number,
    beta: number,
    cost: Ptr,
    scatter: Ptr,
    slotF64: Ptr,
    slotI32: Ptr,
    flags: Ptr,
    work: Ptr,
    merges: Ptr,
    costs: Ptr,
  ): void;
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
  readonly assignBounded: Kernels["assignBounded"];
  readonly seedPotential: Kernels["seedPotential"];
  readonly seedTrials: Kernels["seedTrials"];
}

export function dataKernels(dtype: "float64" | "float32"): DataKernels {
  const k = kernels();
  return dtype === "float32"
    ? {
        bytes: 4,
        componentSums: k.componentSumsF32,
        scatterFull: k.scatterFullF32,
        scatterDiag: k.scatterDiagF32,
        assignNearest: k.assignNearestF32,
        assignBounded: k.assignBoundedF32,
        seedPotential: k.seedPotentialF32,
        seedTrials: k.seedTrialsF32,
      }
    : {
        bytes: 8,
        componentSums: k.componentSums,
        scatterFull: k.scatterFull,
        scatterDiag: k.scatterDiag,
        assignNearest: k.assignNearest,
        assignBounded: k.assignBounded,
        seedPotential: k.seedPotential,
        seedTrials: k.seedTrials,
      };
}

/**
 * Anything `init` can load the core from: a compiled module (Workers), the
 * bytes, a URL or URL string (file: URLs are read from disk), or a fetch
 * `Response`.
 */
export type WasmSource = WasmModule | ArrayBufferView | ArrayBuffer | URL | string | Response;

let kernelsInstance: Kernels | undefined;
let compiledModule: WebAssembly.Module | undefined;
let loading: Promise<void> | undefined;

// The smallest module using a v128 instruction: validates only where SIMD is on.
const SIMD_PROBE = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7b, 0x03, 0x02, 0x01, 0x00,
  0x0a, 0x16, 0x01, 0x14, 0x00, 0xfd, 0x0c, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
  0x00, 0x00, 0x00, 0x00, 0x0b,
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

/** The oldest Node this package runs on: the first 20.x with `process.getBuiltinModule`. */
export const MIN_NODE = "20.16";

interface RuntimeGlobals {
  process?: { versions?: { node?: string }; getBuiltinModule?: unknown };
  Deno?: unknown;
  Bun?: unknown;
}

/**
 * Why this runtime cannot run the package, or undefined. Only Node is
 * checked: Node before 20.16 (and 22.0–22.2) lacks `process.getBuiltinModule`,
 * through which the package reads files and starts threads. Deno and Bun
 * report a Node version too, so they are told apart first.
 */
export function runtimeProblem(g: RuntimeGlobals = globalThis as RuntimeGlobals): string | undefined {
  const node = g.process?.versions?.node;
  if (node === undefined || g.Deno !== undefined || g.Bun !== undefined) return undefined;
  if (typeof g.process?.getBuiltinModule === "function") return undefined;
  return `gmm-wasm needs Node ≥ ${MIN_NODE} (or ≥ 22.3), which has process.getBuiltinModule; this is Node ${node}. Upgrade Node.`;
}

async function readFileUrl(url: URL): Promise<Uint8Array<ArrayBuffer>> {
  const fs = nodeBuiltin<{ readFile(path: URL): Promise<Uint8Array<ArrayBuffer>> }>("node:fs/promises");
  if (!fs)
    throw new Error(
      `init(): cannot read ${url.href}: this runtime has no file system; pass the .wasm bytes, a WebAssembly.Module or an http(s) URL`,
    );
  try {
    return await fs.readFile(url);
  } catch (e) {
    // Deno without read permission: NotCapable (Deno 2) or PermissionDenied (Deno 1)
    const name = (e as { name?: string }).name;
    if ((globalThis as RuntimeGlobals).Deno !== undefined && (name === "NotCapable" || name === "PermissionDenied")) {
      const path = decodeURIComponent(url.pathname);
      const dir = path.slice(0, path.lastIndexOf("/")) || "/";
      throw new Error(
        `init(): Deno may not read ${path}: run with --allow-read=${dir} (the package's folder, e.g. --allow-read=node_modules), or pass init() the .wasm bytes or a WebAssembly.Module`,
      );
    }
    throw e;
  }
}

const MAGIC = [0x00, 0x61, 0x73, 0x6d];

/** Throws a clear error unless `bytes` start with WebAssembly's magic number (\0asm). */
function checkMagic(bytes: Uint8Array, from: string, contentType?: string | null): void {
  if (bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b)) return;
  const hex = Array.from(bytes.subarray(0, 4), (b) => b.toString(16).padStart(2, "0")).join(" ");
  let text = "";
  for (const b of bytes.subarray(0, 40))
    text += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : b === 0x0a || b === 0x0d || b === 0x09 ? " " : "\ufffd";
  const html = /^\s*</.test(text) || /html/i.test(contentType ?? "");
  throw new Error(
    `init(): ${from} is not WebAssembly: got ${bytes.length} bytes${contentType ? ` (content-type ${contentType})` : ""} starting ${hex ? `${hex} ` : ""}${JSON.stringify(text)}` +
      ` instead of 00 61 73 6d ("\\0asm")` +
      (html
        ? ". That is an HTML page: the server (or a dev server's fallback) answered with a page because it does not serve gmm.wasm at that URL. Serve dist/gmm.wasm there, pass init() the URL where it is served, or use a bundler build of gmm-wasm with the bytes inlined (see the README, Bundlers)."
        : ". Pass init() the gmm.wasm file that ships with this package."),
  );
}

async function compile(source: WasmSource | undefined): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  if (source === undefined) source = defaultWasmSource();
  if (source instanceof WebAssembly.Module) return source;
  if (typeof source === "string") {
    const base = (globalThis as { location?: { href: string } }).location?.href ?? import.meta.url;
    source = new URL(source, base);
  }
  if (source instanceof URL) {
    if (source.protocol === "file:") {
      const bytes = await readFileUrl(source);
      checkMagic(bytes, source.href);
      return WebAssembly.compile(bytes);
    }
    const url = source.href;
    try {
      source = await fetch(source);
    } catch (e) {
      throw new Error(`init(): fetching ${url} failed: ${(e as Error).message}`);
    }
  }
  if (typeof Response !== "undefined" && source instanceof Response) {
    if (!source.ok) throw new Error(`init(): fetching ${source.url} gave HTTP ${source.status}`);
    const bytes = new Uint8Array(await source.arrayBuffer());
    checkMagic(bytes, source.url || "the Response", source.headers.get("content-type"));
    return WebAssembly.compile(bytes);
  }
  const view = ArrayBuffer.isView(source)
    ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
    : source instanceof ArrayBuffer || (typeof SharedArrayBuffer !== "undefined" && source instanceof SharedArrayBuffer)
      ? new Uint8Array(source)
      : undefined;
  if (!view)
    throw new TypeError(
      `init(): cannot load WebAssembly from ${Object.prototype.toString.call(source)}; pass a WebAssembly.Module, bytes (Uint8Array, ArrayBuffer), a URL, a URL string or a Response`,
    );
  checkMagic(view, "the bytes given");
  return WebAssembly.compile(view as Uint8Array<ArrayBuffer>);
}

// Every export the library calls. A Record over the interface's keys, so the
// compiler fails when a kernel is added to or removed from `Kernels` and not here.
const KERNEL_EXPORTS: Record<Exclude<keyof Kernels, "memory">, true> = {
  heapBase: true,
  cholesky: true,
  invertLower: true,
  precisionCholeskyFull: true,
  precisionFactorFromPrecision: true,
  precisionCholeskyDiag: true,
  choleskyMany: true,
  factorLogDet: true,
  logOf: true,
  logProbFull: true,
  eStepFull: true,
  eStepFullStats: true,
  eStepDiagonalStats: true,
  eStepTiedStats: true,
  eStepF32Stats: true,
  logProbDiag: true,
  logProbSpherical: true,
  eStepF32: true,
  normalizeLogProb: true,
  argmaxRows: true,
  rowSums: true,
  firstBeyond: true,
  componentSums: true,
  componentSumsF32: true,
  scatterFull: true,
  scatterFullF32: true,
  finishScatter: true,
  scatterDiag: true,
  scatterDiagF32: true,
  assignNearest: true,
  assignNearestF32: true,
  assignBounded: true,
  assignBoundedF32: true,
  boundedSumsValues: true,
  seedPotential: true,
  seedPotentialF32: true,
  seedTrials: true,
  seedTrialsF32: true,
  sampleGaussian: true,
  sampleDiagonal: true,
  hcAgglomerate: true,
  weighRows: true,
  digamma: true,
  lgamma: true,
  ln: true,
  eStepDiag: true,
  eStepSpherical: true,
};

/** Refuses a module that is not this package's core before it is instantiated. */
function checkExports(module: WebAssembly.Module): void {
  const exports = new Map(WebAssembly.Module.exports(module).map((e) => [e.name, e.kind]));
  const missing = Object.keys(KERNEL_EXPORTS).filter((name) => exports.get(name) !== "function");
  if (exports.get("memory") !== "memory") missing.unshift("memory");
  const imports = WebAssembly.Module.imports(module);
  if (missing.length > 0 || imports.length > 0) {
    const what =
      missing.length > 0
        ? `it lacks ${missing.length} of its ${Object.keys(KERNEL_EXPORTS).length + 1} exports (${missing.slice(0, 4).join(", ")}${missing.length > 4 ? ", …" : ""})`
        : `it imports ${imports
            .slice(0, 3)
            .map((i) => `${i.module}.${i.name}`)
            .join(", ")} (the core imports nothing)`;
    throw new Error(
      `init(): this WebAssembly module is not gmm-wasm's core: ${what}. Pass the gmm.wasm that ships with this version of the package (gmm-wasm/gmm.wasm).`,
    );
  }
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
      const problem = runtimeProblem();
      if (problem) throw new Error(problem);
      if (!simdSupported()) {
        throw new Error(
          "This JavaScript runtime's WebAssembly has no SIMD support, which gmm-wasm needs (Node ≥ 16.4, Chrome ≥ 91, Firefox ≥ 89, Safari ≥ 16.4, Deno, Bun, workerd all have it).",
        );
      }
      const module = await compile(source);
      checkExports(module);
      const instance = await WebAssembly.instantiate(module, {});
      compiledModule = module;
      kernelsInstance = instance.exports as unknown as Kernels;
    })();
    // A failed load may be retried with another source.
    loading.catch(() => {
      loading = undefined;
    });
  }
  return loading;
}

/** The compiled module, so worker threads can instantiate it without fetching again. */
export function wasmModule(): WasmModule {
  kernels();
  return compiledModule!;
}

/** The loaded kernels; throws a clear error before `init()` has finished. */
export function kernels(): Kernels {
  if (!kernelsInstance) throw new Error("gmm-wasm is not initialised: `await init()` once before fitting or scoring.");
  return kernelsInstance;
}
