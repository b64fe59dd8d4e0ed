// Where the user's rows meet WebAssembly memory: X is read once (matrix.ts
// snapshots its structure and checks every value) straight into the arena,
// and the estimators' fits, scores and draws run here, so they never hold a
// pointer themselves.
import {
  blockEntropy,
  dataMoments,
  type Priors,
  type VariationalParams,
  type VariationalPlan,
  variationalSetup,
} from "./bayesian.js";
import { type CovarianceFamily, FAMILIES, type Workspace } from "./covariance.js";
import {
  allocWorkspace,
  argmaxLabels,
  eStep,
  eStepStatistics,
  type FitControl,
  type FitOutcome,
  fitEm,
  fitEmWith,
  type GivenStart,
  initialize,
  loadParams,
  type MixtureParams,
  mStep,
  readParams,
  type StopReason,
} from "./em.js";
import { abortError } from "./errors.js";
import {
  copyRows,
  describe,
  MAX_FIT_MAGNITUDE,
  type Matrix,
  type MatrixLike,
  nest,
  type RowSource,
  readMatrix,
  readRow,
  readWeights,
  refusedValue,
  rowSource,
} from "./matrix.js";
import { alloc, f32, f64, mark, release, scoped } from "./memory.js";
import {
  ASYNC_FIT_OPTIONS,
  checkFitOptions,
  checkInteger,
  type Dtype,
  MAX_THREADS,
  type ResolvedOptions,
} from "./options.js";
import { ShardPool } from "./parallel.js";
import { Random } from "./random.js";
import { searchFit } from "./search.js";
import { mergeStatistics, type Statistics } from "./statistics.js";
import type { CovarianceArray, SearchReport } from "./types.js";
import { type Kernels, kernels } from "./wasm.js";
import { defaultWorkerUrl } from "./wasm-source.js";

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
 * A fit passes MAX_FIT_MAGNITUDE as `limit`: values beyond it are refused in
 * the same pass (tooLargeToFit names the row and column).
 */
export function loadMatrix(x: MatrixLike, name = "X", dtype: Dtype = "float64", limit?: number): LoadedMatrix {
  const src = rowSource(x, name);
  const { rows, cols } = src;
  if (dtype === "float32") return loadFloat32(src, name, limit);
  const ptr = alloc(rows * cols, 8, name);
  if (src.dense) {
    // one bulk copy, then the module's check of the copy: a JavaScript loop that does
    // both runs unoptimised on a process's first large input (matrix.ts, copyBounded)
    f64(ptr, rows * cols).set(src.dense);
    const t = kernels().firstBeyond(ptr, rows * cols, limit ?? Number.MAX_VALUE);
    if (t >= 0) throw refusedValue(name, src.dense, t, cols);
  } else copyRows(src, f64(ptr, rows * cols), name, undefined, undefined, limit);
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
function loadFloat32(src: RowSource, name: string, limit?: number): LoadedMatrix {
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
  copyRows(src, dest, name, shift, sampled, limit);
  return { ptr, rows, cols, dtype: "float32", shift };
}

/**
 * Whether the loaded rows hold at least k distinct rows. Stops as soon as it
 * has seen k, so it reads all rows only when there are fewer (rows are
 * hashed on their bits, and equal hashes compared value by value).
 */
export function distinctRowsAtLeast(x: LoadedMatrix, k: number, weights?: Float64Array): boolean {
  const { ptr, rows, cols } = x;
  const values = x.dtype === "float32" ? f32(ptr, rows * cols) : f64(ptr, rows * cols);
  const bits = new Uint32Array(2);
  const scalar = new Float64Array(bits.buffer);
  const seen = new Map<number, number[]>();
  let distinct = 0;
  for (let i = 0; i < rows && distinct < k; i++) {
    if (weights && weights[i] === 0) continue; // a row of weight 0 is not in the data
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

// ------------------------------------------------------------------
// The estimators' back end: rows in, results out. Estimators call these and
// never see a pointer; everything allocated here is released before return.

/** What a fit needs from the estimator once X's shape is known (its checks run there). */
export interface FitPlan {
  k: number;
  given: GivenStart;
  start?: { params: MixtureParams; lowerBound: number };
}

export interface FitResult {
  outcome: FitOutcome;
  report?: SearchReport;
  labels?: Int32Array;
  n: number;
  d: number;
}

/** Loads X (once), checks it against the estimator's plan and allocates the fit's workspace, in the caller's arena scope. */
function loadFit<T extends { k: number }>(
  X: MatrixLike,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => T,
  sampleWeight: unknown,
): { x: LoadedMatrix; ws: Workspace; plan: T } {
  const x = loadMatrix(X, "X", opts.dtype, MAX_FIT_MAGNITUDE);
  const weights = sampleWeight === undefined ? undefined : readWeights(sampleWeight, x.rows);
  const p = plan(x.rows, x.cols);
  if (!distinctRowsAtLeast(x, p.k, weights)) {
    throw new RangeError(
      `X has fewer than nComponents = ${p.k} distinct rows${weights ? " of positive weight" : ""}: a mixture needs at least one distinct row per component (use fewer components, or check for duplicated data)`,
    );
  }
  const ws = allocWorkspace(FAMILIES[opts.covarianceType], x.ptr, x.rows, x.cols, p.k, x, weights);
  return { x, ws, plan: p };
}

/** The rows' labels under fitted parameters (a final E-step). */
function labelsUnder(ws: Workspace, opts: ResolvedOptions, params: MixtureParams): Int32Array {
  const family = FAMILIES[opts.covarianceType];
  loadParams(kernels(), family, ws, params);
  eStep(kernels(), family, ws, false);
  return argmaxLabels(kernels(), ws);
}

/**
 * Runs `fit` with the E-step's statistics from `threads` worker shards of the
 * workspace's rows (each its own WebAssembly instance). The workspace stays in
 * the arena across awaits, so the caller must run such fits one at a time.
 */
async function withShards<L extends { ws: Workspace }, R>(
  opts: ResolvedOptions,
  threads: number,
  workerUrl: URL,
  load: () => L,
  fit: (loaded: L, statistics: () => Promise<Statistics>) => Promise<R>,
): Promise<R> {
  const top = mark();
  let pool: ShardPool | undefined;
  try {
    const loaded = load();
    const { ws } = loaded;
    pool = await ShardPool.start(ws, opts.covarianceType, threads, workerUrl);
    const shards = pool;
    return await fit(loaded, () => shards.statistics(ws));
  } finally {
    pool?.close();
    release(top);
  }
}

/** Fits on X in this thread (reading X once); with `wantLabels`, also labels the rows after a final E-step. */
export function fitRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => FitPlan,
  control: FitControl,
  wantLabels: boolean,
  sampleWeight?: unknown,
): FitResult {
  return scoped(() => {
    const { x, ws, plan: p } = loadFit(X, opts, plan, sampleWeight);
    let outcome: FitOutcome;
    let report: SearchReport | undefined;
    if (opts.initParams === "auto" && !p.start) ({ outcome, report } = searchFit(ws, opts, control));
    else outcome = fitEm(ws, opts, p.given, p.start, control);
    const labels = wantLabels ? labelsUnder(ws, opts, outcome.params) : undefined;
    return { outcome, report, labels, n: x.rows, d: x.cols };
  });
}

/** fitRows sharded over `threads` worker threads (one fit at a time: see withShards). */
export async function fitRowsThreaded(
  X: MatrixLike,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => FitPlan,
  control: FitControl,
  threads: number,
  workerUrl: URL,
  sampleWeight?: Float64Array,
): Promise<FitResult> {
  return withShards(
    opts,
    threads,
    workerUrl,
    () => loadFit(X, opts, plan, sampleWeight),
    async ({ x, ws, plan: p }, statistics) => ({
      outcome: await fitEmWith(ws, opts, p.given, p.start, control, statistics),
      n: x.rows,
      d: x.cols,
    }),
  );
}

/** A variational fit's result: the driver's outcome and the priors it used (read from the rows). */
export interface VariationalResult {
  outcome: FitOutcome<VariationalParams>;
  priors: Priors;
  labels?: Int32Array;
  n: number;
  d: number;
  /** Σ of the rows' sample weights (n without weights). */
  sumWeights: number;
}

/**
 * A variational fit (BayesianGaussianMixture) on X in this thread: fitRows'
 * loading and checks, then the data priors and the variational hooks from
 * the loaded rows (bayesian.ts); with `wantLabels`, the rows' labels after a
 * final E-step.
 */
export function fitVariationalRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => VariationalPlan,
  control: FitControl,
  wantLabels: boolean,
  sampleWeight?: unknown,
): VariationalResult {
  return scoped(() => {
    const { x, ws, plan: p } = loadFit(X, opts, plan, sampleWeight);
    const { priors, hooks } = variationalSetup(FAMILIES[opts.covarianceType], ws, p);
    const outcome = fitEm(ws, opts, {}, p.start, control, hooks);
    const labels = wantLabels ? labelsUnder(ws, opts, outcome.params) : undefined;
    return { outcome, priors, labels, n: x.rows, d: x.cols, sumWeights: ws.sumWeights };
  });
}

/** fitVariationalRows sharded over `threads` worker threads (one fit at a time: see withShards). */
export async function fitVariationalRowsThreaded(
  X: MatrixLike,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => VariationalPlan,
  control: FitControl,
  threads: number,
  workerUrl: URL,
  sampleWeight?: Float64Array,
): Promise<VariationalResult> {
  return withShards(
    opts,
    threads,
    workerUrl,
    () => loadFit(X, opts, plan, sampleWeight),
    async ({ x, ws, plan: p }, statistics) => {
      const { priors, hooks } = variationalSetup(FAMILIES[opts.covarianceType], ws, p);
      const outcome = await fitEmWith(ws, opts, {}, p.start, control, statistics, hooks);
      return { outcome, priors, n: x.rows, d: x.cols, sumWeights: ws.sumWeights };
    },
  );
}

/** What scoreRows computes for each row. */
export type Scores = "labels" | "proba" | "density";

/** An E-step of X under a fitted model; X must have `nFeatures` columns. */
export function scoreRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  params: MixtureParams,
  nFeatures: number,
  what: "labels",
): Int32Array;
export function scoreRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  params: MixtureParams,
  nFeatures: number,
  what: "proba",
): Matrix;
export function scoreRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  params: MixtureParams,
  nFeatures: number,
  what: "density",
): Float64Array;
export function scoreRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  params: MixtureParams,
  nFeatures: number,
  what: Scores,
): Int32Array | Matrix | Float64Array {
  const family = FAMILIES[opts.covarianceType];
  return scoped(() => {
    const x = loadMatrix(X, "X", opts.dtype);
    const { rows: n, cols: d } = x;
    if (d !== nFeatures) {
      throw new RangeError(
        `X has ${d} features but the model was fitted with ${nFeatures}; pass rows with the same columns, in the same order`,
      );
    }
    const k = opts.nComponents;
    const ws = allocWorkspace(family, x.ptr, n, d, k, x);
    loadParams(kernels(), family, ws, params);
    eStep(kernels(), family, ws, what === "proba");
    if (what === "labels") return argmaxLabels(kernels(), ws);
    if (what === "proba") return { data: f64(ws.resp, n * k).slice(), rows: n, cols: k };
    return f64(ws.logProbNorm, n).slice();
  });
}

/**
 * Draws counts[c] rows from each component c (in component order), from the
 * uniforms of `rng` (two per value, Box–Muller in the module).
 */
export function drawRows(
  opts: ResolvedOptions,
  params: MixtureParams,
  d: number,
  counts: readonly number[],
  rng: Random,
): { X: Matrix; labels: Int32Array } {
  const family = FAMILIES[opts.covarianceType];
  const k = opts.nComponents;
  const n = counts.reduce((a, b) => a + b, 0);
  const dPadded = d + (d % 2);
  const wasm = kernels();
  return scoped(() => {
    const ws = allocWorkspace(family, 0, 0, d, k);
    loadParams(wasm, family, ws, params);
    const { ptr: factors, bad } = family.samplingFactors(wasm, ws);
    if (bad >= 0) throw new RangeError(`Cannot sample: ${family.blockName(bad, d)} is not positive definite`);
    const out = alloc(n * d, 8, "samples");
    const u = alloc(Math.max(...counts) * dPadded, 8, "uniforms");
    const labels = new Int32Array(n);
    let row = 0;
    for (let c = 0; c < k; c++) {
      const m = counts[c];
      if (m === 0) continue;
      const uv = f64(u, m * dPadded);
      for (let t = 0; t < uv.length; t++) uv[t] = rng.floatOpen();
      family.sampleRows(wasm, ws, factors, c, u, m, dPadded, out + row * d * 8);
      labels.fill(c, row, row + m);
      row += m;
    }
    return { X: { data: f64(out, n * d).slice(), rows: n, cols: d }, labels };
  });
}

/**
 * The sufficient statistics of X's rows under a fitted model (an E-step and
 * the sums), in the user's coordinates: float32 rows are held centred, so
 * their Σ r·x is moved back by N_k·shift (the scatter about the block's
 * means does not move), and blocks held with different centres still merge.
 */
export function statisticsOfRows(
  X: MatrixLike,
  opts: ResolvedOptions,
  params: MixtureParams,
  nFeatures: number,
  sampleWeight?: unknown,
): Statistics {
  const family = FAMILIES[opts.covarianceType];
  return scoped(() => {
    const x = loadMatrix(X, "X", opts.dtype);
    const { rows: n, cols: d } = x;
    if (d !== nFeatures) {
      throw new RangeError(
        `X has ${d} features but the model has ${nFeatures}; pass rows with the same columns, in the same order`,
      );
    }
    const weights = sampleWeight === undefined ? undefined : readWeights(sampleWeight, n);
    const ws = allocWorkspace(family, x.ptr, n, d, opts.nComponents, x, weights);
    loadParams(kernels(), family, ws, params);
    return chunkStatistics(kernels(), family, ws);
  });
}

/** The M-step from statistics (in the user's coordinates): new parameters, or a CovarianceError. */
export function parametersFromStatistics(opts: ResolvedOptions, stats: Statistics, d: number): MixtureParams {
  const family = FAMILIES[opts.covarianceType];
  return scoped(() => {
    const ws = allocWorkspace(family, 0, 0, d, opts.nComponents);
    mStep(kernels(), family, ws, stats, opts.regCovar, "sum", "in mStep");
    return readParams(family, ws);
  });
}

/**
 * One chunk of a streamed source: rows (a matrix or `number[][]`), or rows
 * with one weight ≥ 0 each, `{ rows, sampleWeight }` (what `csvChunks` yields
 * with `weightColumn`). A source may mix both; unweighted rows weigh 1.
 */
export type Chunk = MatrixLike | WeightedChunk;

/** Rows and their weights, as one chunk of a streamed source. */
export interface WeightedChunk {
  /** The chunk's rows (a matrix or number[][]). */
  rows: MatrixLike;
  /** One weight ≥ 0 per row; a row of weight 0 is not in the data. */
  sampleWeight: ArrayLike<number>;
}

/** A data source read in passes: each call starts a new pass over the same rows, in chunks. */
export type ChunkSource = () => AsyncIterable<Chunk> | Iterable<Chunk>;

/** Rows of the first pass kept (by reservoir sampling) to initialise a streamed fit. */
export const STREAM_SAMPLE_ROWS = 10_000;

/** `{ rows, sampleWeight }` rather than a matrix (whose `rows` is a number) or an array of rows. */
function isWeightedChunk(c: unknown): c is WeightedChunk {
  if (c === null || typeof c !== "object" || Array.isArray(c) || ArrayBuffer.isView(c)) return false;
  return "sampleWeight" in c || ("rows" in c && typeof (c as { rows: unknown }).rows !== "number");
}

/** A source read pass by pass: `pass` loads each chunk (released after `each`), checking shapes, values and weights. */
function chunkReader(source: ChunkSource, dtype: Dtype) {
  const reader = {
    /** Columns of the first chunk (−1 before it). */
    d: -1,
    /** Whether any chunk came with weights. */
    weighted: false,
    async pass(each: (x: LoadedMatrix, weights: Float64Array | undefined) => void): Promise<number> {
      let rows = 0;
      let chunk = 0;
      for await (const c of source()) {
        scoped(() => {
          let x: LoadedMatrix;
          let weights: Float64Array | undefined;
          try {
            const withWeights = isWeightedChunk(c);
            x = loadMatrix(withWeights ? c.rows : c, "X", dtype, MAX_FIT_MAGNITUDE);
            if (reader.d >= 0 && x.cols !== reader.d)
              throw new RangeError(
                `it has ${x.cols} columns but the first chunk had ${reader.d}; every chunk needs the same features`,
              );
            // a chunk may be all zeros; the stream as a whole may not (checked after the first pass)
            if (withWeights) weights = readWeights(c.sampleWeight, x.rows, "sampleWeight", true);
          } catch (e) {
            const message = (e as Error).message.replace(/^sampleWeight\[(\d+)\]/, (_, i) => {
              return `sampleWeight[${i}] (row ${rows + Number(i)} of the stream)`;
            });
            throw new RangeError(`chunk ${chunk} (rows ${rows}…) of the stream: ${message}`);
          }
          reader.d = x.cols;
          if (weights) reader.weighted = true;
          each(x, weights);
          rows += x.rows;
        });
        chunk++;
      }
      return rows;
    },
  };
  return reader;
}

/**
 * A stream's first pass: counts the rows and keeps a seeded uniform sample of
 * STREAM_SAMPLE_ROWS of those of positive weight (reservoir sampling, each
 * kept with its weight); `each` sees every loaded chunk too.
 */
async function samplePass(
  reader: ReturnType<typeof chunkReader>,
  rng: Random,
  each?: (x: LoadedMatrix, weights: Float64Array | undefined) => void,
): Promise<{ n: number; positive: number; sample: Matrix; sampleWeight?: Float64Array }> {
  const reservoir: { row: Float64Array; weight: number }[] = [];
  let positive = 0;
  const n = await reader.pass((x, weights) => {
    each?.(x, weights);
    const v = x.dtype === "float32" ? f32(x.ptr, x.rows * x.cols) : f64(x.ptr, x.rows * x.cols);
    // A row is copied out only when the reservoir keeps it (about S·ln(n/S)
    // times in all, not n): a copy of every row made this pass cost as much
    // as an EM pass, mostly in allocation and garbage collection.
    const copy = (i: number) => {
      const row = new Float64Array(x.cols);
      const o = i * x.cols;
      if (x.shift) for (let j = 0; j < x.cols; j++) row[j] = v[o + j] + x.shift[j];
      else for (let j = 0; j < x.cols; j++) row[j] = v[o + j];
      return row;
    };
    for (let i = 0; i < x.rows; i++) {
      const weight = weights ? weights[i] : 1;
      if (weight === 0) continue;
      if (reservoir.length < STREAM_SAMPLE_ROWS) reservoir.push({ row: copy(i), weight });
      else {
        const t = rng.int(positive + 1);
        if (t < STREAM_SAMPLE_ROWS) reservoir[t] = { row: copy(i), weight };
      }
      positive++;
    }
  });
  if (n === 0) throw new RangeError("the stream has no rows: its first pass gave no chunks");
  if (positive === 0)
    throw new RangeError("the stream's sampleWeight is all zeros: at least one row must have a positive weight");
  const d = reader.d;
  const sample: Matrix = { data: new Float64Array(reservoir.length * d), rows: reservoir.length, cols: d };
  reservoir.forEach(({ row }, i) => (sample.data as Float64Array).set(row, i * d));
  const sampleWeight = reader.weighted ? Float64Array.from(reservoir, (r) => r.weight) : undefined;
  return { n, positive, sample, sampleWeight };
}

/** Moves statistics' Σ r·x by sign·N_k·shift: float32 rows are held minus a shift, statistics merge in user coordinates. */
function moveSums(s: Statistics, shift: Float64Array | undefined, d: number, sign: 1 | -1): void {
  if (shift) for (let t = 0; t < s.sums.length; t++) s.sums[t] += sign * s.nk[Math.floor(t / d)] * shift[t % d];
}

/** A chunk's statistics under the parameters loaded in its workspace, in user coordinates. */
function chunkStatistics(wasm: Kernels, family: CovarianceFamily, ws: Workspace): Statistics {
  const s = eStepStatistics(wasm, family, ws);
  moveSums(s, ws.shift, ws.d, 1);
  return s;
}

/**
 * Exact EM over data too large to hold: every pass reads the source chunk by
 * chunk, each chunk's statistics under the current parameters are computed
 * and merged (statistics.ts), and one M-step follows the pass. So memory is
 * bounded by the largest chunk, and from the same given start the fit equals
 * the in-memory one up to the order of sums. The start comes from a seeded
 * uniform sample of STREAM_SAMPLE_ROWS rows of the first pass (reservoir
 * sampling over the rows of positive weight, each kept with its weight): the
 * start method (or the "auto" search) runs on the sample, weighted, so when
 * the whole stream fits in the sample the start is fit()'s own.
 */
export async function fitStream(
  source: ChunkSource,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => FitPlan,
  control: FitControl,
): Promise<FitResult> {
  const family = FAMILIES[opts.covarianceType];
  const wasm = kernels();
  const rng = new Random(opts.randomState);
  const reader = chunkReader(source, opts.dtype);
  const deadline = control.timeBudgetMs === undefined ? Infinity : Date.now() + control.timeBudgetMs;
  if (control.signal?.aborted) throw abortError(control.signal);
  // Pass 0: count the rows and keep a uniform sample of those of positive weight (reservoir sampling, seeded)
  const { n, positive, sample, sampleWeight } = await samplePass(reader, rng);
  const d = reader.d;
  const p = plan(positive, d);
  // The start: given (or warm) parameters as they are; otherwise the start method (or the search) on the sample
  let params: MixtureParams;
  if (p.start) params = p.start.params;
  else if (opts.initParams === "auto") params = fitRows(sample, opts, () => p, {}, false, sampleWeight).outcome.params;
  else {
    params = scoped(() => {
      const x = loadMatrix(sample, "X", opts.dtype);
      const ws = allocWorkspace(family, x.ptr, x.rows, d, p.k, x, sampleWeight);
      initialize(wasm, family, ws, opts, p.given, rng);
      return readParams(family, ws);
    });
  }
  let lowerBound = p.start ? p.start.lowerBound : -Infinity;
  let stopReason: StopReason = "maxIter";
  let nIter = 0;
  for (let iteration = 1; iteration <= opts.maxIter; iteration++) {
    nIter = iteration;
    let merged: Statistics | undefined;
    const current = params;
    await reader.pass((x, weights) => {
      const ws = allocWorkspace(family, x.ptr, x.rows, x.cols, p.k, x, weights);
      loadParams(wasm, family, ws, current);
      const s = chunkStatistics(wasm, family, ws);
      merged = merged ? mergeStatistics(family, p.k, d, [merged, s]) : s;
    });
    const previous = lowerBound;
    lowerBound = merged!.logLikelihood / merged!.sumWeights;
    params = parametersFromStatistics(opts, merged!, d);
    const change = lowerBound - previous;
    control.onIteration?.({
      init: 0,
      iteration,
      lowerBound,
      change,
      params: () => ({
        weights: Array.from(params.weights),
        means: nest(params.means, [p.k, d]) as number[][],
        covariances: nest(params.covariances, family.shape(p.k, d)) as CovarianceArray,
      }),
    });
    if (Math.abs(change) < opts.tol) {
      stopReason = "converged";
      break;
    }
    if (control.signal?.aborted) throw abortError(control.signal);
    if (Date.now() >= deadline) {
      stopReason = "timeBudget";
      break;
    }
  }
  return { outcome: { params, converged: stopReason === "converged", nIter, lowerBound, stopReason }, n, d };
}

/**
 * A variational fit (BayesianGaussianMixture.fitAsync) over a streamed
 * source. The first pass counts the rows, keeps fitStream's seeded sample and
 * sums the data priors' moments chunk by chunk (merged exactly, so the priors
 * are those of every row, not of the sample). Then the one EM driver runs on
 * a workspace holding the sample (the start method and nInit restarts run
 * there, as fitStream's start), with every E-step a pass: each chunk's
 * statistics and Σ r log r under the current posterior, merged. So from the
 * same start the fit equals the in-memory one up to the order of sums.
 */
export async function fitVariationalStream(
  source: ChunkSource,
  opts: ResolvedOptions,
  plan: (n: number, d: number) => VariationalPlan,
  control: FitControl,
): Promise<VariationalResult> {
  const family = FAMILIES[opts.covarianceType];
  const wasm = kernels();
  const reader = chunkReader(source, opts.dtype);
  if (control.signal?.aborted) throw abortError(control.signal);
  let moments: Statistics | undefined;
  const { n, positive, sample, sampleWeight } = await samplePass(reader, new Random(opts.randomState), (x, w) => {
    const values = x.dtype === "float32" ? f32(x.ptr, x.rows * x.cols) : f64(x.ptr, x.rows * x.cols);
    const m = dataMoments(family, values, x.rows, x.cols, w, x.shift);
    moments = moments ? mergeStatistics(family, 1, x.cols, [moments, m]) : m;
  });
  const d = reader.d;
  const p = plan(positive, d);
  const top = mark();
  try {
    const x = loadMatrix(sample, "X", opts.dtype);
    const ws = allocWorkspace(family, x.ptr, x.rows, d, p.k, x, sampleWeight);
    const { priors, hooks } = variationalSetup(family, ws, p, moments);
    const statistics = async (): Promise<Statistics> => {
      const current = hooks.read(family, ws);
      let merged: Statistics | undefined;
      let entropy = 0;
      await reader.pass((chunk, weights) => {
        const block = allocWorkspace(family, chunk.ptr, chunk.rows, chunk.cols, p.k, chunk, weights);
        loadParams(wasm, family, block, current);
        const means = f64(block.means, p.k * d).slice();
        const s = eStepStatistics(wasm, family, block);
        entropy += blockEntropy(wasm, family, block, s, means);
        moveSums(s, block.shift, d, 1);
        merged = merged ? mergeStatistics(family, p.k, d, [merged, s]) : s;
      });
      hooks.useEntropy(entropy);
      // the driver's workspace holds the sample minus its own shift (float32)
      moveSums(merged!, ws.shift, d, -1);
      return merged!;
    };
    const outcome = await fitEmWith(ws, opts, {}, p.start, control, statistics, hooks);
    return { outcome, priors, n, d, sumWeights: moments!.sumWeights };
  } finally {
    release(top);
  }
}

/** The per-call options both estimators' fitAsync take. */
interface AsyncCall {
  nThreads?: number;
  workerUrl?: URL | string;
  signal?: AbortSignal;
  sampleWeight?: ArrayLike<number>;
}

/**
 * fitAsync's door, one for both estimators: checks the per-call options, then
 * hands a streamed source back as it is (its weights travel with its rows, so
 * a separate sampleWeight is refused) or reads X and its weights now, since
 * the fit may wait behind another one and the caller may change X meanwhile.
 */
export function asyncFitInput(
  X: MatrixLike | ChunkSource,
  options: AsyncCall,
): { source: ChunkSource } | { snapshot: Matrix & { data: Float64Array }; sampleWeight?: Float64Array } {
  checkFitOptions(options, ASYNC_FIT_OPTIONS);
  if (options.nThreads !== undefined) checkInteger(options.nThreads, "nThreads", 1, MAX_THREADS);
  if (options.workerUrl !== undefined) resolveWorkerUrl(options.workerUrl);
  if (options.signal?.aborted) throw abortError(options.signal);
  if (typeof X === "function") {
    if (options.sampleWeight !== undefined)
      throw new RangeError(
        "sampleWeight cannot be given with a streamed source: the weights travel with the rows, so yield chunks as { rows, sampleWeight } (csvChunks and readCsvChunks do with weightColumn)",
      );
    return { source: X };
  }
  const snapshot = readMatrix(X, "X");
  const w = options.sampleWeight;
  return { snapshot, sampleWeight: w === undefined ? undefined : readWeights(w, snapshot.rows) };
}

/** Where fitAsync's worker script is: the given URL (relative to the page, if any) or the default beside the bundle. */
export function resolveWorkerUrl(given: URL | string | undefined): URL {
  if (given === undefined) return defaultWorkerUrl();
  if (given instanceof URL) return given;
  if (typeof given !== "string") throw new TypeError(`workerUrl must be a URL or a string; got ${describe(given)}`);
  const base = (globalThis as { location?: { href: string } }).location?.href;
  try {
    return new URL(given, base);
  } catch {
    throw new TypeError(
      `workerUrl ${describe(given)} is not a URL${base ? "" : " (outside a page it must be absolute, e.g. a file: URL)"}`,
    );
  }
}
