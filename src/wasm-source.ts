// Where init() finds the core, and fitAsync its worker, when given nothing:
// the files beside this bundle (dist/gmm.wasm, dist/em-worker.js). Written as
// `new URL("./…", import.meta.url)` so that bundlers which understand the
// pattern (Vite, webpack, Parcel) emit the files themselves.
//
// scripts/build.mjs swaps this module out for dist/inline.js (the entry
// bundlers get through the "default" export condition): there the bytes and
// the worker's code are inlined, so nothing needs to be served or copied.
import type { WasmSource } from "./wasm.js";

/** The core's default source. */
export function defaultWasmSource(): WasmSource {
  return new URL("./gmm.wasm", import.meta.url);
}

/** The default script for fitAsync's worker threads. */
export function defaultWorkerUrl(): URL {
  return new URL("./em-worker.js", import.meta.url);
}
