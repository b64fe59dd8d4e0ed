// Where the user's rows meet WebAssembly memory: X is read once (matrix.ts
// snapshots its structure and checks every value) straight into the arena.
import { alloc, f32, f64 } from "./memory.js";
import { copyRows, readRow, rowSource, type MatrixLike, type RowSource } from "./matrix.js";
import type { Dtype } from "./options.js";

/** Rows loaded into WASM memory; float32 rows are stored minus `shift`. */
export interface LoadedMatrix {
  ptr: number;
  rows: number;
  cols: number;
  dtype: Dtype;
  /** Column centres subtracted before rounding to float32 (float32 only). */
  shift?: Float64Array;
}

/**
 * Validates `x` and copies it into freshly allocated WASM memory, reading
 * each value once; the shape returned is the shape of what was copied.
 */
export function loadMatrix(x: MatrixLike, name = "X", dtype: Dtype = "float64"): LoadedMatrix {
  const src = rowSource(x, name);
  const { rows, cols } = src;
  if (dtype === "float32") return loadFloat32(src, name);
  const ptr = alloc(rows * cols, 8, name);
  copyRows(src, f64(ptr, rows * cols), name);
  return { ptr, rows, cols, dtype };
}

/**
 * float32 rows, centred first: float32 keeps 24 bits of each value, so data
 * far from the origin (coordinates, timestamps) would lose their spread to
 * rounding. A centre per column is subtracted in float64 and kept as
 * `shift`; the density is translation-invariant, so the fit only moves its
 * means. The centre is the median of up to 1001 evenly spaced rows, not the
 * mean: one extreme row would drag a mean (and every other row's precision)
 * far from the bulk of the data.
 */
function loadFloat32(src: RowSource, name: string): LoadedMatrix {
  const { rows, cols } = src;
  const picks = Math.min(rows, 1001);
  // The sampled rows are read (and checked) once here and reused by the copy.
  const sampled = new Map<number, Float64Array>();
  for (let t = 0; t < picks; t++) {
    const i = Math.floor((t * rows) / picks);
    const row = new Float64Array(cols);
    readRow(src, i, row, name);
    sampled.set(i, row);
  }
  const shift = new Float64Array(cols);
  const column = new Float64Array(sampled.size);
  for (let j = 0; j < cols; j++) {
    let t = 0;
    for (const row of sampled.values()) column[t++] = row[j];
    column.sort();
    shift[j] = column[column.length >> 1];
  }
  const ptr = alloc(rows * cols, 4, name);
  const dest = f32(ptr, rows * cols);
  copyRows(src, dest, name, shift, sampled);
  return { ptr, rows, cols, dtype: "float32", shift };
}

/**
 * Largest |value| a fit accepts. Squared Mahalanobis distances, k-means
 * inertia and scatter sums of rows this far out overflow float64 (1e100² ·
 * n rows is still finite; 1e154² is not), and the fit would silently turn
 * to NaN. Scoring takes any finite value (see em.ts, repairOverflowRows).
 */
export const MAX_FIT_MAGNITUDE = 1e100;

/** Refuses rows a fit cannot sum without overflow, naming the first. */
export function checkFitValues(x: LoadedMatrix, name = "X"): void {
  const { ptr, rows, cols, shift } = x;
  const values = x.dtype === "float32" ? f32(ptr, rows * cols) : f64(ptr, rows * cols);
  for (let t = 0; t < values.length; t++) {
    const v = shift ? values[t] + shift[t % cols] : values[t];
    if (Math.abs(v) > MAX_FIT_MAGNITUDE) {
      throw new RangeError(`${name}[${Math.floor(t / cols)}][${t % cols}] is ${v}: fit takes values within ±${MAX_FIT_MAGNITUDE} (the squared distances of larger ones overflow float64); rescale the feature (e.g. divide it by a power of ten)`);
    }
  }
}

/**
 * Whether the loaded rows hold at least k distinct rows. Stops as soon as it
 * has seen k, so it reads all rows only when there are fewer (rows are
 * hashed on their bits, and equal hashes compared value by value).
 */
export function distinctRowsAtLeast(x: LoadedMatrix, k: number): boolean {
  const { ptr, rows, cols } = x;
  const values = x.dtype === "float32" ? f32(ptr, rows * cols) : f64(ptr, rows * cols);
  const bits = new Uint32Array(2);
  const scalar = new Float64Array(bits.buffer);
  const seen = new Map<number, number[]>();
  let distinct = 0;
  for (let i = 0; i < rows && distinct < k; i++) {
    let h = 0x811c9dc5;
    for (let j = 0; j < cols; j++) {
      scalar[0] = values[i * cols + j] + 0; // −0 and 0 are the same value
      h = Math.imul(h ^ bits[0], 0x01000193);
      h = Math.imul(h ^ bits[1], 0x01000193);
    }
    const bucket = seen.get(h);
    const same = bucket?.some((r) => {
      for (let j = 0; j < cols; j++) if (values[r * cols + j] !== values[i * cols + j]) return false;
      return true;
    });
    if (same) continue;
    if (bucket) bucket.push(i);
    else seen.set(h, [i]);
    distinct++;
  }
  return distinct >= k;
}
