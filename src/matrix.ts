// Input normalisation: the two shapes a user may hand us, checked once at the
// door with messages that name the row, the column and what to change.
import { alloc, f32, f64 } from "./memory.js";
import type { Dtype } from "./options.js";

/** A dense row-major matrix. Results come back in this shape (Float64Array). */
export interface Matrix {
  data: Float64Array | Float32Array;
  rows: number;
  cols: number;
}

/** What the API accepts as data: nested rows or a dense row-major matrix. */
export type MatrixLike = ReadonlyArray<ArrayLike<number>> | Matrix;

export interface Shape {
  rows: number;
  cols: number;
}

function isDense(x: unknown): x is Matrix {
  return typeof x === "object" && x !== null && !Array.isArray(x) && "data" in x && "rows" in x && "cols" in x;
}

/** Checks structure (not values) and returns the shape. */
export function shapeOf(x: MatrixLike, name = "X"): Shape {
  if (isDense(x)) {
    const { data, rows, cols } = x;
    if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      throw new TypeError(`${name}.data must be a Float64Array or Float32Array`);
    }
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new TypeError(`${name}.rows and ${name}.cols must be non-negative integers (got rows=${rows}, cols=${cols})`);
    }
    if (data.length !== rows * cols) {
      throw new RangeError(`${name}.data has ${data.length} values but rows × cols = ${rows} × ${cols} = ${rows * cols}`);
    }
    if (rows === 0) throw new RangeError(`${name} is empty: it has 0 rows`);
    if (cols === 0) throw new RangeError(`${name} has 0 columns (features)`);
    return { rows, cols };
  }
  if (!Array.isArray(x)) {
    throw new TypeError(`${name} must be an array of rows (number[][]) or a dense matrix { data: Float64Array, rows, cols }`);
  }
  if (x.length === 0) throw new RangeError(`${name} is empty: it has 0 rows`);
  const first = x[0];
  if (first === null || typeof first !== "object" || typeof first.length !== "number") {
    throw new TypeError(`${name}[0] must be an array of numbers (one row), got ${first === null ? "null" : typeof first}`);
  }
  const cols = first.length;
  if (cols === 0) throw new RangeError(`${name} has 0 columns (features): row 0 is empty`);
  for (let i = 1; i < x.length; i++) {
    const row = x[i];
    if (row === null || typeof row !== "object" || typeof row.length !== "number") {
      throw new TypeError(`${name}[${i}] must be an array of numbers (one row), got ${row === null ? "null" : typeof row}`);
    }
    if (row.length !== cols) {
      throw new RangeError(`${name} is ragged: row ${i} has ${row.length} values but row 0 has ${cols}; every row needs the same number of features`);
    }
  }
  return { rows: x.length, cols };
}

function badValue(name: string, i: number, j: number, v: unknown): Error {
  const what = typeof v !== "number" ? `not a number (${typeof v})` : Number.isNaN(v) ? "NaN" : `${v}`;
  return new RangeError(`${name}[${i}][${j}] is ${what}: every value must be a finite number; remove or impute missing and infinite values first`);
}

/** Copies (and checks every value of) `x` into `dest`, row-major. */
export function copyInto(x: MatrixLike, shape: Shape, dest: Float64Array, name = "X"): void {
  const { rows, cols } = shape;
  if (isDense(x)) {
    const src = x.data;
    dest.set(src);
    for (let t = 0; t < dest.length; t++) {
      if (!Number.isFinite(dest[t])) throw badValue(name, Math.floor(t / cols), t % cols, src[t]);
    }
    return;
  }
  for (let i = 0; i < rows; i++) {
    const row = x[i];
    const o = i * cols;
    for (let j = 0; j < cols; j++) {
      const v = row[j];
      if (typeof v !== "number" || !Number.isFinite(v)) throw badValue(name, i, j, v);
      dest[o + j] = v;
    }
  }
}

/** Rows loaded into WASM memory; float32 rows are stored minus `shift`. */
export interface LoadedMatrix {
  ptr: number;
  rows: number;
  cols: number;
  dtype: Dtype;
  /** Column centres subtracted before rounding to float32 (float32 only). */
  shift?: Float64Array;
}

/** Validates `x` and copies it into freshly allocated WASM memory. */
export function loadMatrix(x: MatrixLike, name = "X", dtype: Dtype = "float64"): LoadedMatrix {
  const shape = shapeOf(x, name);
  if (dtype === "float32") return loadFloat32(x, shape, name);
  const ptr = alloc(shape.rows * shape.cols, 8, name);
  copyInto(x, shape, f64(ptr, shape.rows * shape.cols), name);
  return { ptr, ...shape, dtype };
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
function loadFloat32(x: MatrixLike, shape: Shape, name: string): LoadedMatrix {
  const { rows, cols } = shape;
  const dense = isDense(x) ? x.data : undefined;
  const nested = x as ReadonlyArray<ArrayLike<number>>;
  const value = (i: number, j: number): unknown => (dense ? dense[i * cols + j] : nested[i][j]);
  const picks = Math.min(rows, 1001);
  const shift = new Float64Array(cols);
  const column: number[] = [];
  for (let j = 0; j < cols; j++) {
    column.length = 0;
    for (let t = 0; t < picks; t++) {
      const v = value(Math.floor((t * rows) / picks), j);
      if (typeof v === "number" && Number.isFinite(v)) column.push(v);
    }
    column.sort((a, b) => a - b);
    shift[j] = column.length ? column[column.length >> 1] : 0;
  }
  const ptr = alloc(rows * cols, 4, name);
  const dest = f32(ptr, rows * cols);
  if (dense) {
    for (let t = 0; t < dest.length; t += cols) for (let j = 0; j < cols; j++) dest[t + j] = dense[t + j] - shift[j];
  } else {
    for (let i = 0, t = 0; i < rows; i++, t += cols) {
      const row = nested[i];
      for (let j = 0; j < cols; j++) {
        const v = row[j];
        // not a number ("5", true, null, 5n): NaN here, named below
        dest[t + j] = typeof v === "number" ? v - shift[j] : NaN;
      }
    }
  }
  // NaN, ±∞ or a non-number in X, or a centred value beyond float32's range, left a non-finite value
  for (let t = 0; t < dest.length; t++) {
    if (Number.isFinite(dest[t])) continue;
    for (let u = 0; u < dest.length; u++) {
      const v = value(Math.floor(u / cols), u % cols);
      if (typeof v !== "number" || !Number.isFinite(v)) throw badValue(name, Math.floor(u / cols), u % cols, v);
    }
    const i = Math.floor(t / cols);
    const j = t % cols;
    throw new RangeError(`${name}[${i}][${j}] is ${value(i, j)}, ${(value(i, j) as number) - shift[j]} from its column's centre: beyond float32's range (±3.4e38); use dtype "float64" or rescale the feature`);
  }
  return { ptr, rows, cols, dtype: "float32", shift };
}

/** Nests a flat row-major array to `shape` (1-D gives number[]). */
export function nest(data: ArrayLike<number>, shape: readonly number[]): unknown {
  const build = (axis: number, offset: number): unknown => {
    const length = shape[axis];
    if (axis === shape.length - 1) return Array.from({ length }, (_, j) => data[offset + j]);
    const inner = shape.slice(axis + 1).reduce((a, b) => a * b, 1);
    return Array.from({ length }, (_, i) => build(axis + 1, offset + i * inner));
  };
  return build(0, 0);
}

/** Rows of a row-major array as nested arrays. */
export function toRows(data: ArrayLike<number>, rows: number, cols: number): number[][] {
  return nest(data, [rows, cols]) as number[][];
}

/**
 * Checks that each of `blocks` d×d matrices is symmetric to `rel` (relative);
 * returns a message naming the first asymmetric entry, or undefined.
 */
export function asymmetry(p: ArrayLike<number>, blocks: number, d: number, name: string, rel: number): string | undefined {
  for (let b = 0; b < blocks; b++) {
    const o = b * d * d;
    for (let i = 0; i < d; i++) {
      for (let j = 0; j < i; j++) {
        const a = p[o + i * d + j];
        const c = p[o + j * d + i];
        if (Math.abs(a - c) > rel * Math.max(Math.abs(a), Math.abs(c))) {
          return `${name}${blocks > 1 ? `[${b}]` : ""} is not symmetric at [${i}][${j}] (${a} vs ${c})`;
        }
      }
    }
  }
  return undefined;
}

/**
 * Flattens a nested array (or a flat typed array of the right length) of the
 * given shape, checking every level and value; `name` appears in errors.
 * Values are collected as they are found, so a claimed shape far larger than
 * the data is refused before anything of that size is allocated.
 */
export function flatten(value: unknown, shape: readonly number[], name: string): Float64Array {
  const where = `${name} has shape [${shape.join(", ")}]`;
  if (ArrayBuffer.isView(value) && !(value instanceof DataView)) {
    const arr = value as unknown as ArrayLike<number>;
    const size = shape.reduce((a, b) => a * b, 1);
    if (arr.length !== size) throw new RangeError(`${name} has ${arr.length} values; expected ${size} (${where})`);
    for (let t = 0; t < size; t++) {
      if (!Number.isFinite(arr[t])) throw new RangeError(`${name} value ${t} is ${arr[t]}; every value must be finite`);
    }
    return Float64Array.from(arr);
  }
  const out: number[] = [];
  const walk = (v: unknown, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(`${path} is ${typeof v === "number" ? v : (JSON.stringify(v) ?? typeof v)}; every value must be a finite number`);
      }
      out.push(v);
      return;
    }
    if (!Array.isArray(v)) throw new TypeError(`${path} must be an array of length ${shape[axis]} (${where})`);
    if (v.length !== shape[axis]) throw new RangeError(`${path} has length ${v.length}; expected ${shape[axis]} (${where})`);
    for (let i = 0; i < v.length; i++) walk(v[i], axis + 1, `${path}[${i}]`);
  };
  walk(value, 0, name);
  return Float64Array.from(out);
}
