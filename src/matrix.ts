// Input normalisation: the two shapes a user may hand us, checked once at the
// door with messages that name the row, the column and what to change.

/**
 * Largest |value| a fit accepts. Squared Mahalanobis distances, k-means
 * inertia and scatter sums of rows this far out overflow float64 (1e100² ·
 * n rows is still finite; 1e154² is not), and the fit would silently turn
 * to NaN. Scoring takes any finite value (em.ts, repairOverflowRows).
 */
export const MAX_FIT_MAGNITUDE = 1e100;

/** A dense row-major matrix. Results come back in this shape (Float64Array). */
export interface Matrix {
  /** The values, row-major: entry (i, j) is `data[i * cols + j]`. */
  data: Float64Array | Float32Array;
  /** Number of rows. */
  rows: number;
  /** Number of columns. */
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

/**
 * X's structure, read once: the shape, and the dense values or a snapshot of
 * the row references. Everything after works from this snapshot, so an input
 * that changes while we read it (a getter, a Proxy, a caller truncating an
 * array during an async fit) cannot make the shape and the values disagree.
 */
export interface RowSource {
  rows: number;
  cols: number;
  dense?: Float64Array | Float32Array;
  nested?: ArrayLike<number>[];
}

/** Reads X's structure (not its values) exactly once. */
export function rowSource(x: MatrixLike, name = "X"): RowSource {
  if (isDense(x)) {
    const { data, rows, cols } = x;
    if (!(data instanceof Float64Array || data instanceof Float32Array)) {
      throw new TypeError(`${name}.data must be a Float64Array or Float32Array`);
    }
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols < 0) {
      throw new TypeError(
        `${name}.rows and ${name}.cols must be non-negative integers (got rows=${describe(rows)}, cols=${describe(cols)})`,
      );
    }
    const length = data.length;
    if (length !== rows * cols) {
      throw new RangeError(`${name}.data has ${length} values but rows × cols = ${rows} × ${cols} = ${rows * cols}`);
    }
    if (rows === 0) throw new RangeError(`${name} is empty: it has 0 rows`);
    if (cols === 0) throw new RangeError(`${name} has 0 columns (features)`);
    return { rows, cols, dense: data };
  }
  if (!Array.isArray(x)) {
    throw new TypeError(
      `${name} must be an array of rows (number[][]) or a dense matrix { data: Float64Array, rows, cols }`,
    );
  }
  const n = x.length;
  if (n === 0) throw new RangeError(`${name} is empty: it has 0 rows`);
  const nested = new Array<ArrayLike<number>>(n);
  let cols = -1;
  for (let i = 0; i < n; i++) {
    const row = x[i];
    const length = row !== null && typeof row === "object" ? row.length : undefined;
    if (typeof length !== "number") {
      throw new TypeError(
        `${name}[${i}] must be an array of numbers (one row), got ${row === null ? "null" : typeof row}`,
      );
    }
    if (i === 0) {
      cols = length;
      if (cols === 0) throw new RangeError(`${name} has 0 columns (features): row 0 is empty`);
    } else if (length !== cols) {
      throw new RangeError(
        `${name} is ragged: row ${i} has ${length} values but row 0 has ${cols}; every row needs the same number of features`,
      );
    }
    nested[i] = row;
  }
  return { rows: n, cols, nested };
}

/** Checks structure (not values) and returns the shape. */
export function shapeOf(x: MatrixLike, name = "X"): Shape {
  const { rows, cols } = rowSource(x, name);
  return { rows, cols };
}

/**
 * A value for an error message: never throws (BigInt, cycles, symbols) and
 * never quotes more than a few dozen characters of a huge string or array.
 */
export function describe(v: unknown): string {
  const cap = (s: string) => (s.length > 60 ? `${s.slice(0, 57)}...` : s);
  switch (typeof v) {
    case "number":
      return String(v); // NaN, Infinity and -0 as they are
    case "bigint":
      return `${cap(String(v))}n (a BigInt)`;
    case "string":
      return JSON.stringify(cap(v));
    case "undefined":
      return "undefined";
    case "symbol":
      return "a symbol";
    case "function":
      return "a function";
    case "boolean":
      return String(v);
  }
  if (v === null) return "null";
  if (Array.isArray(v)) return `an array of length ${v.length}`;
  if (ArrayBuffer.isView(v)) return `a ${v.constructor.name}`;
  return "an object";
}

function badValue(name: string, i: number, j: number, v: unknown): Error {
  const what = typeof v !== "number" ? `not a number (${typeof v})` : Number.isNaN(v) ? "NaN" : `${v}`;
  return new RangeError(
    `${name}[${i}][${j}] is ${what}: every value must be a finite number; remove or impute missing and infinite values first`,
  );
}

/** The error for a value beyond MAX_FIT_MAGNITUDE, at row i, column j. */
export function tooLargeToFit(name: string, i: number, j: number, v: number): Error {
  return new RangeError(
    `${name}[${i}][${j}] is ${v}: fit takes values within ±${MAX_FIT_MAGNITUDE} (the squared distances of larger ones overflow float64); rescale the feature (e.g. divide it by a power of ten)`,
  );
}

/**
 * The error for the t-th value (row-major, `cols` to a row) of a dense input
 * that a bounded copy refused: not finite, or beyond MAX_FIT_MAGNITUDE.
 */
export function refusedValue(name: string, data: ArrayLike<number>, t: number, cols: number): Error {
  const [i, j, v] = [Math.floor(t / cols), t % cols, data[t]];
  return Number.isFinite(v) ? tooLargeToFit(name, i, j, v) : badValue(name, i, j, v);
}

/**
 * Copies `src` into `dest` up to the first value that is not within ±limit
 * and returns its index (−1 when all are). One loop does both, as fast as
 * `dest.set` alone; NaN and ±∞ fail the `<=` as large values do (the largest
 * limit is Number.MAX_VALUE, so ±∞ always fail). A small
 * function of its own, so V8 optimises it apart from copyRows' other paths
 * (inline, the loop ran at half the speed).
 */
function copyBounded(src: Float64Array | Float32Array, dest: Float64Array | Float32Array, limit: number): number {
  const n = dest.length;
  for (let t = 0; t < n; t++) {
    const v = src[t];
    if (!(Math.abs(v) <= limit)) return t;
    dest[t] = v;
  }
  return -1;
}

/**
 * Copies (and checks) every value of the snapshot into `dest`, row-major,
 * reading each value once. float32 destinations get `value − shift[column]`;
 * rows already read (the float32 centre's sample) come from `readRows`.
 * `limit` (MAX_FIT_MAGNITUDE for a fit) refuses larger values in the same
 * pass, so a fit does not read its rows twice.
 */
export function copyRows(
  src: RowSource,
  dest: Float64Array | Float32Array,
  name = "X",
  shift?: Float64Array,
  readRows?: Map<number, Float64Array>,
  limit = Number.MAX_VALUE,
): void {
  const { rows, cols, dense } = src;
  if (dense && !shift) {
    const t = copyBounded(dense, dest, limit);
    if (t >= 0) throw refusedValue(name, dense, t, cols);
    return;
  }
  const row = new Float64Array(cols);
  for (let i = 0, o = 0; i < rows; i++, o += cols) {
    const cached = readRows?.get(i);
    if (cached) row.set(cached);
    else readRow(src, i, row, name);
    for (let j = 0; j < cols; j++) if (Math.abs(row[j]) > limit) throw tooLargeToFit(name, i, j, row[j]);
    if (!shift) {
      dest.set(row, o);
      continue;
    }
    for (let j = 0; j < cols; j++) {
      const v = row[j] - shift[j];
      dest[o + j] = v;
      if (!Number.isFinite(dest[o + j])) {
        throw new RangeError(
          `${name}[${i}][${j}] is ${row[j]}, ${v} from its column's centre: beyond float32's range (±3.4e38); use dtype "float64" or rescale the feature`,
        );
      }
    }
  }
}

/** Reads row i of the snapshot into `out`, checking each value. */
export function readRow(src: RowSource, i: number, out: Float64Array, name = "X"): void {
  const cols = src.cols;
  if (src.dense) {
    const data = src.dense;
    for (let j = 0; j < cols; j++) {
      const v = data[i * cols + j];
      if (!Number.isFinite(v)) throw badValue(name, i, j, v);
      out[j] = v;
    }
    return;
  }
  const r = src.nested![i];
  for (let j = 0; j < cols; j++) {
    const v: unknown = r[j];
    if (typeof v !== "number" || !Number.isFinite(v)) throw badValue(name, i, j, v);
    out[j] = v;
  }
}

/** X read once into a private dense copy (for calls that use X after they return, or many times). */
export function readMatrix(x: MatrixLike, name = "X"): Matrix & { data: Float64Array } {
  const src = rowSource(x, name);
  const data = new Float64Array(src.rows * src.cols);
  copyRows(src, data, name);
  return { data, rows: src.rows, cols: src.cols };
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

/**
 * A matrix result as nested rows: `toRows(gmm.predictProba(X))[i][j]` is
 * `data[i * cols + j]`. Also takes a flat row-major array and its shape.
 *
 * @example
 * import { toRows } from "gmm-wasm";
 * const proba = toRows(gmm.predictProba(X)); // number[][], n × k
 * const { X: drawn } = gmm.sample(100);
 * toRows(drawn);                             // number[][], 100 × d
 */
export function toRows(matrix: Matrix): number[][];
export function toRows(data: ArrayLike<number>, rows: number, cols: number): number[][];
export function toRows(a: Matrix | ArrayLike<number>, rows?: number, cols?: number): number[][] {
  if (rows === undefined) {
    if (!isDense(a))
      throw new TypeError(
        `toRows expects a matrix { data, rows, cols } (as predictProba and sample return); got ${describe(a)}`,
      );
    ({ rows, cols } = a);
    const { data } = a;
    if (!Number.isInteger(rows) || rows < 0 || !Number.isInteger(cols) || cols! < 0 || data.length !== rows * cols!) {
      throw new RangeError(
        `toRows: data has ${data.length} values but rows × cols = ${describe(rows)} × ${describe(cols)}`,
      );
    }
    return rows === 0 ? [] : (nest(data, [rows, cols!]) as number[][]);
  }
  return nest(a as ArrayLike<number>, [rows, cols!]) as number[][];
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
      if (!Number.isFinite(arr[t]))
        throw new RangeError(`${name} value ${t} is ${describe(arr[t])}; every value must be finite`);
    }
    return Float64Array.from(arr);
  }
  const out: number[] = [];
  const walk = (v: unknown, axis: number, path: string): void => {
    if (axis === shape.length) {
      if (typeof v !== "number" || !Number.isFinite(v)) {
        throw new RangeError(`${path} is ${describe(v)}; every value must be a finite number`);
      }
      out.push(v);
      return;
    }
    if (!Array.isArray(v)) throw new TypeError(`${path} must be an array of length ${shape[axis]} (${where})`);
    if (v.length !== shape[axis])
      throw new RangeError(`${path} has length ${v.length}; expected ${shape[axis]} (${where})`);
    for (let i = 0; i < v.length; i++) walk(v[i], axis + 1, `${path}[${i}]`);
  };
  walk(value, 0, name);
  return Float64Array.from(out);
}

/**
 * Sample weights for n rows, read once into a private copy: an array (or
 * typed array) of n finite numbers ≥ 0, not all 0. Errors name
 * `sampleWeight` and the first bad index.
 */
export function readWeights(value: unknown, n: number, name = "sampleWeight", allowAllZero = false): Float64Array {
  if (!(Array.isArray(value) || (ArrayBuffer.isView(value) && !(value instanceof DataView)))) {
    throw new TypeError(`${name} must be an array of ${n} numbers, one weight per row of X; got ${describe(value)}`);
  }
  const source = value as ArrayLike<unknown>;
  const length = source.length;
  if (length !== n) throw new RangeError(`${name} has ${length} weights but X has ${n} rows; give one weight per row`);
  const out = new Float64Array(n);
  let any = false;
  for (let i = 0; i < n; i++) {
    const v = source[i];
    if (typeof v !== "number" || !Number.isFinite(v) || v < 0) {
      throw new RangeError(`${name}[${i}] is ${describe(v)}; every weight must be a finite number ≥ 0`);
    }
    out[i] = v;
    if (v > 0) any = true;
  }
  if (!any && !allowAllZero) throw new RangeError(`${name} is all zeros: at least one row must have a positive weight`);
  return out;
}
