// The only code that touches WebAssembly memory. A stack-like arena above
// the module's static data: a call marks the top, allocates what it needs and
// releases back to its mark when done, so repeated calls reuse the same bytes
// and nested calls (a callback that scores mid-fit) do not clobber each other.
// Memory only grows to the high-water mark; it is never given back (WASM
// cannot shrink memory) but it is reused.
import { type Kernels, kernels } from "./wasm.js";

const PAGE = 65536;
const MAX_BYTES = 4 * 1024 * 1024 * 1024; // wasm32 address space

let top = -1;

function align16(p: number): number {
  return Math.ceil(p / 16) * 16;
}

function kernelsWithArena(): Kernels {
  const k = kernels();
  if (top < 0) top = align16(k.heapBase());
  return k;
}

/** Current top of the arena, to pass to `release` when a call is done. */
export function mark(): number {
  kernelsWithArena();
  return top;
}

export function release(m: number): void {
  top = m;
}

function formatBytes(b: number): string {
  return b >= 2 ** 30 ? `${(b / 2 ** 30).toFixed(2)} GiB` : `${(b / 2 ** 20).toFixed(1)} MiB`;
}

/** Allocates `count` values of `bytesPer` bytes (16-byte aligned); returns the pointer. */
export function alloc(count: number, bytesPer = 8, what = "buffer"): number {
  const k = kernelsWithArena();
  const bytes = align16(Math.max(count, 1) * bytesPer);
  const ptr = top;
  const end = ptr + bytes;
  if (end > MAX_BYTES) {
    throw new RangeError(
      `This call needs ${formatBytes(end)} of WebAssembly memory (${what}: ${formatBytes(bytes)}), more than the 4 GiB a 32-bit WebAssembly module can address. Use fewer rows (fit on a subsample, score in chunks) or fewer components.`,
    );
  }
  const have = k.memory.buffer.byteLength;
  if (end > have) {
    try {
      k.memory.grow(Math.ceil((end - have) / PAGE));
    } catch {
      throw new RangeError(
        `Could not grow WebAssembly memory to ${formatBytes(end)} for ${what}: the runtime refused. Use fewer rows or score in chunks.`,
      );
    }
  }
  top = end;
  return ptr;
}

/** A fresh Float64Array view (views die when memory grows, so never keep one across an alloc). */
export function f64(ptr: number, length: number): Float64Array {
  return new Float64Array(kernels().memory.buffer, ptr, length);
}

export function f32(ptr: number, length: number): Float32Array {
  return new Float32Array(kernels().memory.buffer, ptr, length);
}

/** A view of X as stored: float64 or float32 values. */
export function dataView(ptr: number, length: number, bytes: 4 | 8): Float64Array | Float32Array {
  return bytes === 4 ? f32(ptr, length) : f64(ptr, length);
}

export function i32(ptr: number, length: number): Int32Array {
  return new Int32Array(kernels().memory.buffer, ptr, length);
}

/** Allocates and fills with a copy of `values`. */
export function allocFrom(values: ArrayLike<number>, what?: string): number {
  const p = alloc(values.length, 8, what);
  f64(p, values.length).set(values);
  return p;
}

/** Runs `body` with an arena scope: everything it allocates is released after. */
export function scoped<T>(body: () => T): T {
  const m = mark();
  try {
    return body();
  } finally {
    release(m);
  }
}
