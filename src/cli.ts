// The `gmm-wasm` command: fit, predict, proba, score, sample, select and plot
// on CSV or NDJSON files (or stdin). Everything the command does goes through
// a small CliIO, so the same code runs under Node (nodeIO/runNode, used by
// the dist/cli.js entry) and in tests. Failures end in ONE line on stderr
// naming the file, row and column, and a non-zero exit: 2 for a wrong command
// line, 1 for anything else. Set GMM_WASM_DEBUG=1 to see stack traces.

import { COVARIANCE_TYPES } from "./covariance.js";
import {
  csvChunks,
  DataError,
  type Delimiter,
  isDecimalNumber,
  parseTable,
  selectColumns,
  splitWeights,
  type Table,
  toCsv,
} from "./csv.js";
import {
  BayesianGaussianMixture,
  type CovarianceType,
  type Criterion,
  GaussianMixture,
  INIT_PARAMS,
  type IterationInfo,
  init,
  type Matrix,
  type SelectionResult,
  type SelectionRow,
  type SelectModelOptions,
  selectModel,
} from "./index.js";
import { BAYESIAN_FORMAT, BAYESIAN_INIT_PARAMS, DTYPES, WEIGHT_PRIOR_TYPES } from "./options.js";
import { ALL_CRITERIA, CRITERIA } from "./selection.js";
import {
  components2D,
  criterionSeries,
  lineChartPanel,
  type MixtureLike,
  type Panel,
  renderSvg,
  scatterPanel,
} from "./svg.js";

/** What the command needs from its environment. */
export interface CliIO {
  readFile(path: string): Promise<Uint8Array>;
  /** A file's size in bytes and its bytes as a stream, for files too large to read whole (optional: without them every file is read whole). */
  fileSize?(path: string): Promise<number>;
  readStream?(path: string): AsyncIterable<Uint8Array>;
  readStdin(): Promise<Uint8Array>;
  /** Standard input as a stream (optional: without it, standard input is read whole). */
  stdinStream?(): AsyncIterable<Uint8Array>;
  writeFile(path: string, text: string): Promise<void>;
  stdout(text: string): void;
  /** Resolves once stdout can take more (long outputs are written in pieces). */
  drain?(): Promise<void>;
  /** Identifies the file at `path` (same value for two names of one file); undefined when there is none. */
  fileId?(path: string): Promise<string | undefined>;
  stderr(text: string): void;
  /** Progress bars only go to a terminal. */
  stderrIsTTY: boolean;
  stderrColumns?: number;
  now(): number;
  env: Record<string, string | undefined>;
}

const INITS = INIT_PARAMS;

/** A wrong command line (exit code 2). */
class UsageError extends Error {}

/** A problem with one input or output file; the message is prefixed with its name. */
class FileError extends Error {}

// ---------------------------------------------------------------- options

interface OptionSpec {
  name: string;
  /** Placeholder for the value; a flag when absent. */
  value?: string;
  help: string;
}

interface Command {
  name: string;
  summary: string;
  usage: string;
  /** Names of positional arguments, all required. */
  positional: string[];
  options: OptionSpec[];
  run(ctx: Context): Promise<void>;
}

interface Context {
  io: CliIO;
  args: string[];
  values: Map<string, string>;
  flags: Set<string>;
}

const READ_OPTIONS: OptionSpec[] = [
  {
    name: "columns",
    value: "LIST",
    help: "use these columns, named from the header or numbered from 1 (e.g. eruptions,waiting or 2,3)",
  },
  { name: "delimiter", value: "D", help: "CSV delimiter: , ; tab or space (default: detected)" },
  { name: "header", help: "the first CSV row is a header even if it looks numeric" },
];
const WEIGHTS: OptionSpec = {
  name: "weights-column",
  value: "COLUMN",
  help: "a column of row weights ≥ 0 (name or number from 1), left out of the features: an integer weight counts as that many copies of the row",
};
const FORMAT: OptionSpec = { name: "format", value: "csv|json", help: "output format (default csv)" };
const QUIET: OptionSpec = { name: "quiet", help: "no progress bar or summary on stderr" };
const HELP: OptionSpec = { name: "help", help: "show this help" };
const FIT_OPTIONS: OptionSpec[] = [
  { name: "seed", value: "N", help: "random seed; the same seed gives the same model" },
  { name: "n-init", value: "N", help: "initialisations per fit; the best lower bound wins (default 1)" },
  { name: "max-iter", value: "N", help: "EM iterations per initialisation (default 100)" },
  { name: "tol", value: "X", help: "stop when the mean log-likelihood changes by less (default 0.001)" },
  { name: "reg-covar", value: "X", help: "added to covariance diagonals (default 1e-6)" },
  {
    name: "init",
    value: "METHOD",
    help: "auto (default: the search over starts with split-and-merge moves), hc, kmeans, k-means++, random or random_from_data",
  },
  {
    name: "dtype",
    value: "TYPE",
    help: "float64 (default) or float32: half the memory, faster E-step, ~1e-6 relative accuracy",
  },
];

function option(ctx: Context, name: string): string | undefined {
  return ctx.values.get(name);
}

function intOption(ctx: Context, name: string, least: number): number | undefined {
  const v = option(ctx, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v) || Number(v) < least || !Number.isSafeInteger(Number(v))) {
    // "1e3" and "+5" are integers, but seeds and counts are taken as written digits only.
    const how =
      isDecimalNumber(v) && Number.isInteger(Number(v)) && Number(v) >= least ? " written in plain digits" : "";
    throw new UsageError(`--${name} must be an integer ≥ ${least}${how}; got ${JSON.stringify(v)}`);
  }
  return Number(v);
}

function numberOption(ctx: Context, name: string): number | undefined {
  const v = option(ctx, name);
  if (v === undefined) return undefined;
  // Decimal notation only, as in data files: Number() would take "0x10", "0b1", "Infinity" and "".
  const x = Number(v);
  if (!isDecimalNumber(v) || !Number.isFinite(x) || x < 0)
    throw new UsageError(`--${name} must be a decimal number ≥ 0; got ${JSON.stringify(v)}`);
  return x;
}

function choiceOption<T extends string>(ctx: Context, name: string, choices: readonly T[]): T | undefined {
  const v = option(ctx, name);
  if (v === undefined) return undefined;
  if (!choices.includes(v as T))
    throw new UsageError(`--${name} must be one of ${choices.join(", ")}; got ${JSON.stringify(v)}`);
  return v as T;
}

function listOption<T extends string>(ctx: Context, name: string, choices: readonly T[]): T[] | undefined {
  const v = option(ctx, name);
  if (v === undefined) return undefined;
  const items = v
    .split(",")
    .map((s) => s.trim())
    .filter(Boolean);
  for (const item of items) {
    if (!choices.includes(item as T))
      throw new UsageError(`--${name} takes ${choices.join(", ")} (comma-separated); got ${JSON.stringify(item)}`);
  }
  if (items.length === 0) throw new UsageError(`--${name} needs a value`);
  return items as T[];
}

/** What parseArgs needs of node:util's (typed here: the package has no @types/node). */
interface NodeUtil {
  parseArgs(config: {
    args: string[];
    options: Record<string, { type: "string" | "boolean"; short?: string }>;
    strict: true;
    allowPositionals: true;
  }): { values: Record<string, string | boolean | undefined>; positionals: string[] };
}

/**
 * Splits argv with node:util's parseArgs (`--name value`, `--name=value`,
 * flags, `-k K` for --components, `-h`, `--` before positionals that start
 * with -), checked against the command; its errors are reworded to name the
 * option and what it takes.
 */
function parseArgs(command: Command, argv: readonly string[]): Omit<Context, "io"> {
  const specs = new Map<string, OptionSpec>();
  for (const o of command.options) specs.set(o.name, o);
  const options: Record<string, { type: "string" | "boolean"; short?: string }> = {};
  for (const o of command.options) {
    options[o.name] = { type: o.value === undefined ? "boolean" : "string" };
    if (o.name === "components") options[o.name].short = "k";
    if (o.name === "help") options[o.name].short = "h";
  }
  // parseArgs takes "-1" after --tol for an option, not a value: a value that
  // starts with - and cannot be an option (a number, "-Infinity") is joined
  // to its option, so that the option's own check says what it takes.
  const args: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--") {
      args.push(...argv.slice(i));
      break;
    }
    const name = a.startsWith("--") ? a.slice(2) : a === "-k" ? "components" : undefined;
    const next = argv[i + 1];
    if (
      name !== undefined &&
      specs.get(name)?.value !== undefined &&
      next?.startsWith("-") &&
      next !== "-" &&
      !/^--[A-Za-z]|^-[A-Za-z]$/.test(next)
    ) {
      args.push(`--${name}=${next}`);
      i++;
    } else args.push(a);
  }
  const util = (globalThis as unknown as { process: NodeProcess }).process.getBuiltinModule("node:util");
  let parsed: ReturnType<NodeUtil["parseArgs"]>;
  try {
    parsed = util.parseArgs({ args, options, strict: true, allowPositionals: true });
  } catch (e) {
    const { code, message } = e as { code?: string; message: string };
    const raw = /'(-[^' ,]+)/.exec(message)?.[1] ?? "";
    const name = /--([A-Za-z0-9-]+)/.exec(message)?.[1] ?? raw.replace(/^-+/, "");
    const spec = specs.get(name);
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
      throw new UsageError(`unknown option ${raw}; see gmm-wasm ${command.name} --help`);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE" && spec) {
      if (spec.value === undefined) throw new UsageError(`--${name} takes no value`);
      if (/ambiguous/.test(message))
        throw new UsageError(
          `--${name} needs a value (${spec.value}), not the option after it; write --${name}=VALUE for a value that starts with -`,
        );
      throw new UsageError(`--${name} needs a value (${spec.value})`);
    }
    throw new UsageError(message.replace(/\s*\n\s*/g, " "));
  }
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (const [name, v] of Object.entries(parsed.values)) {
    if (typeof v === "string") values.set(name, v);
    else if (v === true) flags.add(name);
  }
  return { args: parsed.positionals, values, flags };
}

function commandHelp(c: Command): string {
  const width = Math.max(...c.options.map((o) => o.name.length + (o.value ? o.value.length + 1 : 0))) + 4;
  const lines = c.options.map((o) => `  ${`--${o.name}${o.value ? ` ${o.value}` : ""}`.padEnd(width)}${o.help}`);
  return `${c.summary}\n\nUsage: gmm-wasm ${c.usage}\n\nOptions:\n${lines.join("\n")}\n`;
}

function mainHelp(): string {
  const rows = Object.values(COMMANDS).map((c) => `  ${c.name.padEnd(9)}${c.summary}`);
  return [
    "gmm-wasm: Gaussian mixture models (EM, WebAssembly) from the command line.",
    "",
    "Usage: gmm-wasm <command> [options]      gmm-wasm <command> --help",
    "",
    "Commands:",
    ...rows,
    "",
    "Data: CSV (delimiter , ; tab or space, detected; header row optional) or",
    "NDJSON (one JSON array per line). A file name of - reads standard input.",
    "Results go to standard output as CSV, or JSON with --format json.",
    "",
  ].join("\n");
}

// ---------------------------------------------------------------- input and output

function displayName(path: string): string {
  return path === "-" ? "<stdin>" : path;
}

async function readBytes(io: CliIO, path: string): Promise<Uint8Array> {
  if (path === "-") return io.readStdin();
  try {
    return await io.readFile(path);
  } catch (e) {
    throw new FileError(`${path}: cannot read it (${systemMessage(e)})`);
  }
}

function systemMessage(e: unknown): string {
  const code = (e as { code?: string }).code;
  const known: Record<string, string> = {
    ENOENT: "no such file",
    EACCES: "permission denied",
    EISDIR: "it is a directory",
    ENOTDIR: "a part of the path is not a directory",
    EMFILE: "too many open files",
  };
  return (code && known[code]) || (e instanceof Error ? e.message : String(e));
}

const DELIMITERS: Record<string, Delimiter> = {
  ",": ",",
  comma: ",",
  ";": ";",
  semicolon: ";",
  tab: "\t",
  "\t": "\t",
  "\\t": "\t",
  space: " ",
  " ": " ",
};

/** --delimiter and --header as parseTable / csvChunks take them. */
function parseOptions(ctx: Context): { delimiter?: Delimiter; header?: true } {
  const delimiter = option(ctx, "delimiter");
  if (delimiter !== undefined && !DELIMITERS[delimiter])
    throw new UsageError(`--delimiter must be , ; tab or space; got ${JSON.stringify(delimiter)}`);
  return {
    delimiter: delimiter === undefined ? undefined : DELIMITERS[delimiter],
    header: ctx.flags.has("header") ? true : undefined,
  };
}

/** A data file's features: the --columns picked, else every column but the --weights-column; and its weights. */
interface Data {
  X: Table;
  sampleWeight?: Float64Array;
}

/** Applies --columns and --weights-column to a table (the whole file, or a chunk after `firstRow` data rows). */
function dataOf(ctx: Context, table: Table, firstRow = 0): Data {
  const columns = option(ctx, "columns")
    ?.split(",")
    .map((c) => c.trim());
  const weights = option(ctx, "weights-column");
  if (weights !== undefined) {
    const { rows, sampleWeight } = splitWeights(table, weights, { features: columns, firstRow });
    return { X: rows, sampleWeight };
  }
  return { X: columns === undefined ? table : selectColumns(table, columns) };
}

/** Names the file in a DataError. */
function inFile<T>(path: string, f: () => T): T {
  try {
    return f();
  } catch (e) {
    if (e instanceof DataError) throw new FileError(`${displayName(path)}: ${e.message}`);
    throw e;
  }
}

async function readData(ctx: Context, path: string): Promise<Table> {
  return (await readWeightedData(ctx, path)).X;
}

async function readWeightedData(ctx: Context, path: string): Promise<Data> {
  const bytes = await readBytes(ctx.io, path);
  const options = parseOptions(ctx);
  return inFile(path, () => dataOf(ctx, parseTable(bytes, options)));
}

/** A GaussianMixture model file (what sample and fit --start take). */
async function readModel(ctx: Context, path: string, use: string): Promise<GaussianMixture> {
  const model = await readAnyModel(ctx, path);
  if (model instanceof GaussianMixture) return model;
  throw new FileError(
    `${displayName(path)}: a BayesianGaussianMixture model; ${use} takes a GaussianMixture model (predict, proba, score and plot take either)`,
  );
}

/** What predict, proba and score take: either estimator's model JSON. */
type Model = GaussianMixture | BayesianGaussianMixture;

/** A GaussianMixture or a BayesianGaussianMixture file (by its `format`, or a scikit-learn dump's weight_concentration_). */
async function readAnyModel(ctx: Context, path: string): Promise<Model> {
  const bytes = await readBytes(ctx.io, path);
  const name = displayName(path);
  let json: unknown;
  try {
    json = JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new FileError(`${name}: not a model file: it is not valid JSON (${(e as Error).message})`);
  }
  const o = json as Record<string, unknown> | null;
  const bayesian =
    o !== null &&
    typeof o === "object" &&
    (o.format === BAYESIAN_FORMAT || (o.format === undefined && "weight_concentration_" in o));
  try {
    return bayesian ? BayesianGaussianMixture.fromJSON(json) : GaussianMixture.fromJSON(json);
  } catch (e) {
    throw new FileError(`${name}: not a valid model: ${(e as Error).message.replace(/^fromJSON: /, "")}`);
  }
}

function checkFeatures(model: Model, table: Table, path: string): void {
  if (table.cols !== model.nFeatures) {
    throw new FileError(
      `${displayName(path)}: has ${table.cols} column${table.cols === 1 ? "" : "s"} but the model was fitted on ${model.nFeatures}; pick them with --columns`,
    );
  }
}

async function writeOutput(ctx: Context, path: string | undefined, text: string): Promise<void> {
  if (path === undefined || path === "-") {
    ctx.io.stdout(text);
    return;
  }
  try {
    await ctx.io.writeFile(path, text);
  } catch (e) {
    throw new FileError(`${path}: cannot write it (${systemMessage(e)})`);
  }
}

/**
 * Refuses (before any work) to write an output over a file the command reads,
 * or two outputs to one file: `fit data.csv --out data.csv` would replace the
 * data with the model. Existing files are compared by identity when the CliIO
 * can tell it (so ./a, a and a link to a are one file), others by name.
 */
async function checkOutputs(ctx: Context, inputs: [what: string, path: string][], outputs: string[]): Promise<void> {
  const key = async (path: string) => (await ctx.io.fileId?.(path)) ?? `name:${normalizePath(path)}`;
  const read: { what: string; path: string; key: string }[] = [];
  for (const [what, path] of inputs) if (path !== "-") read.push({ what, path, key: await key(path) });
  const written: { flag: string; key: string }[] = [];
  for (const flag of outputs) {
    const path = option(ctx, flag);
    if (path === undefined || path === "-") continue;
    const k = await key(path);
    const input = read.find((r) => r.key === k);
    if (input) {
      const alias = input.path === path ? "" : ` (${input.path})`;
      throw new UsageError(
        `--${flag} ${path} is the ${input.what} file this command reads${alias}; refusing to overwrite it, choose another name`,
      );
    }
    const other = written.find((w) => w.key === k);
    if (other)
      throw new UsageError(
        `--${other.flag} and --${flag} name the same file (${path}); the second would overwrite the first`,
      );
    written.push({ flag, key: k });
  }
}

/** "./a//b/" → "a/b": the same name written differently (".." is left alone: it depends on links). */
function normalizePath(path: string): string {
  const parts = path.split("/").filter((p, i) => p !== "." && (p !== "" || i === 0));
  return parts.join("/") || ".";
}

function format(ctx: Context): "csv" | "json" {
  return choiceOption(ctx, "format", ["csv", "json"] as const) ?? "csv";
}

function note(ctx: Context, text: string): void {
  if (!ctx.flags.has("quiet")) ctx.io.stderr(text + "\n");
}

const fixed = (v: number, d = 2) => (Number.isFinite(v) ? v.toFixed(d) : "n/a");

// ---------------------------------------------------------------- progress

/**
 * A one-line progress bar on stderr for fits that run longer than `delayMs`:
 * initialisation, iteration, lower bound and elapsed time, redrawn at most
 * every `intervalMs` and erased when the fit ends. Silent when disabled.
 */
export class ProgressBar {
  private readonly started: number;
  private lastDraw = -Infinity;
  private shown = false;

  constructor(
    private readonly io: Pick<CliIO, "stderr" | "now" | "stderrColumns">,
    private readonly enabled: boolean,
    private readonly plan: { nInit: number; maxIter: number },
    private readonly delayMs = 1000,
    private readonly intervalMs = 100,
  ) {
    this.started = io.now();
  }

  update(info: IterationInfo): void {
    if (!this.enabled) return;
    const t = this.io.now();
    if (t - this.started < this.delayMs || t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.shown = true;
    this.io.stderr(`\r${this.line(info, t)}\x1b[K`);
  }

  line(info: IterationInfo, t: number): string {
    const { nInit, maxIter } = this.plan;
    const done = Math.min(1, (info.init + Math.min(info.iteration / Math.max(maxIter, 1), 1)) / nInit);
    const cells = 20;
    const filled = Math.round(done * cells);
    const bar = "█".repeat(filled) + "░".repeat(cells - filled);
    const initText = nInit > 1 ? `  init ${info.init + 1}/${nInit}` : "";
    const text = `fitting ${bar}${initText}  iteration ${info.iteration}/${maxIter}  lower bound ${info.lowerBound.toFixed(5)}  ${((t - this.started) / 1000).toFixed(1)} s`;
    const columns = this.io.stderrColumns || 100; // 0 when the terminal size is unknown
    return text.length >= columns ? text.slice(0, Math.max(columns - 1, 0)) : text;
  }

  /** Progress through a model-selection grid: one step per fit. */
  updateGrid(info: { index: number; total: number; nComponents: number; covarianceType: string }): void {
    if (!this.enabled) return;
    const t = this.io.now();
    if (t - this.started < this.delayMs || t - this.lastDraw < this.intervalMs) return;
    this.lastDraw = t;
    this.shown = true;
    const cells = 20;
    const filled = Math.round((info.index / Math.max(info.total, 1)) * cells);
    const text = `selecting ${"█".repeat(filled)}${"░".repeat(cells - filled)}  fit ${info.index + 1}/${info.total} (${info.covarianceType}, K=${info.nComponents})  ${((t - this.started) / 1000).toFixed(1)} s`;
    const columns = this.io.stderrColumns || 100;
    this.io.stderr(`\r${text.length >= columns ? text.slice(0, Math.max(columns - 1, 0)) : text}\x1b[K`);
  }

  finish(): void {
    if (this.shown) this.io.stderr("\r\x1b[K");
    this.shown = false;
  }
}

// ---------------------------------------------------------------- commands

function gmmOptions(ctx: Context) {
  return {
    randomState: intOption(ctx, "seed", 0),
    nInit: intOption(ctx, "n-init", 1),
    maxIter: intOption(ctx, "max-iter", 1),
    tol: numberOption(ctx, "tol"),
    regCovar: numberOption(ctx, "reg-covar"),
    // the command line's job is the best model, so it searches by default (README: Best fit)
    initParams: choiceOption(ctx, "init", INITS) ?? "auto",
    dtype: choiceOption(ctx, "dtype", DTYPES),
    // the command reports convergence and degeneracy itself (describeModel, warnDegenerate)
    onWarning: () => {},
  };
}

function describeModel(g: GaussianMixture, X: Table, sampleWeight?: Float64Array): string {
  const w = sampleWeight ? { sampleWeight } : {};
  const n = sampleWeight ? sampleWeight.reduce((a, b) => a + b, 0) : X.rows;
  const ll = g.score(X, w) * n;
  const its = `${g.nIter} iteration${g.nIter === 1 ? "" : "s"}`;
  const stop = g.converged
    ? `converged in ${its}`
    : g.stopReason === "timeBudget"
      ? `stopped by --time-budget after ${its} (not converged)`
      : `did NOT converge in ${its} (raise --max-iter or --tol)`;
  return `K=${g.nComponents} ${g.covarianceType}: ${sampleWeight ? "weighted " : ""}log-likelihood ${fixed(ll)}, BIC ${fixed(g.bic(X, w))}, ${stop}`;
}

function warnDegenerate(ctx: Context, g: GaussianMixture): void {
  const list = (g as { degenerate?: { reason: string }[] }).degenerate;
  if (list && list.length > 0) note(ctx, `warning: degenerate fit: ${list.map((d) => d.reason).join("; ")}`);
}

function selectionOptions(ctx: Context, defaultTypes: readonly CovarianceType[]) {
  const criterion = ctx.flags.has("bayesian")
    ? undefined // select --bayesian reads --criterion itself ("elbo" by default)
    : (choiceOption(ctx, ctx.values.has("select") ? "select" : "criterion", CRITERIA) ?? "bic");
  const maxK = intOption(ctx, "max-components", 1) ?? 9;
  const o = gmmOptions(ctx);
  return {
    nComponents: Array.from({ length: maxK }, (_, i) => i + 1),
    covarianceTypes: listOption(ctx, "covariance", COVARIANCE_TYPES) ?? [...defaultTypes],
    criterion,
    nInit: o.nInit,
    randomState: o.randomState,
    folds: intOption(ctx, "folds", 2),
    allowDegenerate: ctx.flags.has("allow-degenerate"),
    fitOptions: { maxIter: o.maxIter, tol: o.tol, regCovar: o.regCovar, initParams: o.initParams, dtype: o.dtype },
  };
}

function criterionValue(row: SelectionRow, criterion: Criterion): number {
  if (criterion === "elbo") return row.lowerBound ?? NaN; // select --bayesian's default
  return criterion === "cv" ? (row.cvLogLikelihood ?? NaN) : row[criterion];
}

function criterionLabel(criterion: Criterion): string {
  if (criterion === "elbo") return "evidence lower bound";
  return criterion === "cv" ? "held-out log-likelihood per row" : criterion.toUpperCase();
}

function criterionChart(result: SelectionResult<GaussianMixture | BayesianGaussianMixture>): Panel {
  const rows = result.table.map((r) => ({
    covarianceType: r.covarianceType,
    nComponents: r.nComponents,
    value: criterionValue(r, result.criterion),
  }));
  return lineChartPanel({
    series: criterionSeries(rows),
    highlight: { series: result.bestRow.covarianceType, x: result.bestRow.nComponents },
    yLabel: criterionLabel(result.criterion),
    title: `${criterionLabel(result.criterion)} by number of components${result.criterion === "cv" || result.criterion === "elbo" ? " (higher is better)" : " (lower is better)"}`,
  });
}

function scatterOf(ctx: Context, model: Model, X: Table): Panel {
  if (X.cols < 2) throw new FileError("plot needs at least two features; this model has one");
  const pick = (name: string, fallback: number) => {
    const v = option(ctx, name);
    if (v === undefined) return fallback;
    const named = X.header?.indexOf(v) ?? -1;
    if (named >= 0) return named;
    if (/^\d+$/.test(v) && Number(v) >= 1 && Number(v) <= X.cols) return Number(v) - 1;
    throw new UsageError(
      `--${name} must be a column name${X.header ? ` (${X.header.join(", ")})` : ""} or a number from 1 to ${X.cols}; got ${JSON.stringify(v)}`,
    );
  };
  const dims: [number, number] = [pick("x", 0), pick("y", 1)];
  const label = (j: number) => X.header?.[j] ?? `feature ${j + 1}`;
  return scatterPanel({
    points: X,
    labels: model.predict(X),
    components: components2D(model as unknown as MixtureLike, dims),
    dims,
    xLabel: label(dims[0]),
    yLabel: label(dims[1]),
    title:
      option(ctx, "title") ??
      `${model.nComponents} component${model.nComponents === 1 ? "" : "s"}, ${model.covarianceType} covariance (1σ and 2σ ellipses)`,
  });
}

/**
 * select --bayesian: BayesianGaussianMixture over the grid, ranked by the
 * evidence lower bound unless --criterion says otherwise (bic, aic, icl and
 * cv then score the plug-in mixtures, as selectModel does).
 */
function selectBayesianWithProgress(
  ctx: Context,
  X: Table,
  sampleWeight?: Float64Array,
): SelectionResult<GaussianMixture | BayesianGaussianMixture> {
  const criterion = choiceOption(ctx, "criterion", ALL_CRITERIA) ?? "elbo";
  const { fitOptions, ...options } = selectionOptions(ctx, COVARIANCE_TYPES);
  const { maxIter, tol, regCovar, dtype } = fitOptions;
  const bayesianOptions = { ...weightPriorOptions(ctx), maxIter, tol, regCovar, dtype };
  return withGridProgress(ctx, options.nInit, X, sampleWeight, (common) =>
    selectModel(X, { ...options, ...common, criterion, models: ["bgmm"], bayesianOptions }),
  );
}

function selectWithProgress(ctx: Context, X: Table, sampleWeight?: Float64Array): SelectionResult {
  const options = selectionOptions(ctx, COVARIANCE_TYPES);
  return withGridProgress(ctx, options.nInit, X, sampleWeight, (common) => selectModel(X, { ...options, ...common }));
}

/** Runs a selectModel call with a progress bar over its grid; `common` holds the weights, names and onFit. */
function withGridProgress<T>(
  ctx: Context,
  nInit: number | undefined,
  X: Table,
  sampleWeight: Float64Array | undefined,
  select: (common: Pick<SelectModelOptions, "sampleWeight" | "featureNames" | "onFit">) => T,
): T {
  const bar = new ProgressBar(ctx.io, ctx.io.stderrIsTTY && !ctx.flags.has("quiet"), { nInit: nInit ?? 1, maxIter: 0 });
  try {
    return select({
      ...(sampleWeight ? { sampleWeight } : {}),
      featureNames: X.header,
      onFit: (info) => bar.updateGrid(info),
    });
  } finally {
    bar.finish();
  }
}

/** --time-budget SECONDS as fit's timeBudgetMs. */
function timeBudgetMs(ctx: Context): number | undefined {
  const budget = numberOption(ctx, "time-budget");
  return budget === undefined ? undefined : budget * 1000;
}

/** One in-memory fit of either estimator, with the progress bar over its nInit × maxIter iterations. */
function fitWithProgress(
  ctx: Context,
  g: GaussianMixture | BayesianGaussianMixture,
  X: Table,
  sampleWeight: Float64Array | undefined,
  counts: { nInit: number; maxIter: number },
): void {
  const bar = new ProgressBar(ctx.io, ctx.io.stderrIsTTY && !ctx.flags.has("quiet"), counts);
  try {
    g.fit(X, {
      onIteration: (info) => bar.update(info),
      timeBudgetMs: timeBudgetMs(ctx),
      featureNames: X.header,
      ...(sampleWeight ? { sampleWeight } : {}),
    });
  } finally {
    bar.finish();
  }
}

/** --start model.json: its weights, means and precisions as weightsInit / meansInit / precisionsInit. */
async function startOptions(ctx: Context, path: string, k: number | undefined, type: CovarianceType | undefined) {
  if (ctx.values.has("init")) throw new UsageError("--start gives the start; --init does not go with it");
  const m = await readModel(ctx, path, "--start");
  if (k !== undefined && k !== m.nComponents)
    throw new UsageError(`--components ${k} but the --start model has ${m.nComponents} components`);
  if (type !== undefined && type !== m.covarianceType)
    throw new UsageError(`--covariance ${type} but the --start model is ${m.covarianceType}`);
  return {
    nComponents: m.nComponents,
    covarianceType: m.covarianceType,
    initParams: "kmeans" as const,
    weightsInit: m.weights,
    meansInit: m.means,
    precisionsInit: m.precisions,
  };
}

/** The weight prior's flags, for fit --bayesian and select --bayesian. */
const WEIGHT_PRIOR_OPTIONS: OptionSpec[] = [
  {
    name: "weight-concentration-prior-type",
    value: "TYPE",
    help: "with --bayesian: dirichlet_process (default, stick-breaking) or dirichlet_distribution",
  },
  {
    name: "weight-concentration-prior",
    value: "X",
    help: "with --bayesian: the weight prior γ₀ > 0 (default 1/K); smaller keeps fewer components",
  },
];

/** Refuses the weight prior's flags without --bayesian. */
function checkBayesianFlags(ctx: Context): boolean {
  const bayesian = ctx.flags.has("bayesian");
  if (!bayesian)
    for (const name of ["weight-concentration-prior-type", "weight-concentration-prior"])
      if (ctx.values.has(name)) throw new UsageError(`--${name} needs --bayesian`);
  return bayesian;
}

/** --weight-concentration-prior-type and --weight-concentration-prior, checked. */
function weightPriorOptions(ctx: Context) {
  const prior = option(ctx, "weight-concentration-prior");
  if (prior !== undefined && !(numberOption(ctx, "weight-concentration-prior")! > 0))
    throw new UsageError(`--weight-concentration-prior must be a decimal number > 0; got ${JSON.stringify(prior)}`);
  const init = option(ctx, "init");
  if (init === "auto")
    throw new UsageError(`--init auto is not available with --bayesian; use ${BAYESIAN_INIT_PARAMS.join(", ")}`);
  return {
    weightConcentrationPriorType: choiceOption(ctx, "weight-concentration-prior-type", WEIGHT_PRIOR_TYPES),
    weightConcentrationPrior: prior === undefined ? undefined : Number(prior),
    // the library's default start (kmeans): the search of --init auto is GaussianMixture's
    initParams: choiceOption(ctx, "init", BAYESIAN_INIT_PARAMS),
  };
}

const fit: Command = {
  name: "fit",
  summary: "Fit a Gaussian mixture (or with --bayesian a BayesianGaussianMixture) to a data file and save it as JSON.",
  usage:
    "fit <data> [--components K] [--covariance TYPE] [--select bic --max-components N] [--bayesian] [--weights-column COLUMN] [--seed N] [--n-init N] --out model.json",
  positional: ["data"],
  options: [
    { name: "components", value: "K", help: "number of components (default 1; also -k)" },
    {
      name: "covariance",
      value: "TYPE",
      help: "full (default), tied, diag or spherical; with --select, a comma-separated list to try (default all)",
    },
    { name: "select", value: "CRITERION", help: "choose K (and the covariance type) by bic, aic, icl or cv" },
    { name: "max-components", value: "N", help: "with --select, try K = 1 … N (default 9)" },
    { name: "folds", value: "N", help: "with --select cv, the number of folds (default 5)" },
    { name: "allow-degenerate", help: "with --select, let a degenerate (collapsed) fit be chosen" },
    ...FIT_OPTIONS,
    WEIGHTS,
    {
      name: "start",
      value: "FILE",
      help: "start EM from this model JSON's weights, means and precisions (K and the covariance type default to its own)",
    },
    {
      name: "time-budget",
      value: "SECONDS",
      help: "stop EM early after this long, keeping the best parameters so far",
    },
    {
      name: "bayesian",
      help: "fit a BayesianGaussianMixture (variational; --components is then an upper bound the prior can switch components off below)",
    },
    ...WEIGHT_PRIOR_OPTIONS,
    { name: "out", value: "FILE", help: "write the model JSON here (default: standard output)" },
    { name: "plot", value: "FILE", help: "also draw the fit (and the criterion chart, with --select) as SVG" },
    ...READ_OPTIONS,
    QUIET,
    HELP,
  ],
  async run(ctx) {
    const path = ctx.args[0];
    const start = option(ctx, "start");
    await checkOutputs(
      ctx,
      start === undefined
        ? [["data", path]]
        : [
            ["data", path],
            ["start model", start],
          ],
      ["out", "plot"],
    );
    const bayesian = checkBayesianFlags(ctx);
    if (bayesian)
      for (const [name, instead] of [
        ["select", "; use gmm-wasm select --bayesian"],
        ["start", ""],
      ])
        if (ctx.values.has(name)) throw new UsageError(`--${name} does not go with --bayesian${instead}`);
    if (await streamable(ctx, path)) return bayesian ? fitBayesianStreamed(ctx, path) : fitStreamed(ctx, path, start);
    const { X, sampleWeight } = await readWeightedData(ctx, path);
    if (bayesian) return fitBayesian(ctx, X, sampleWeight);
    let g: GaussianMixture;
    let chart: Panel | undefined;
    if (ctx.values.has("select")) {
      if (ctx.values.has("components"))
        throw new UsageError("--components and --select do not go together: --select tries K = 1 … --max-components");
      if (ctx.values.has("time-budget")) throw new UsageError("--time-budget applies to a single fit, not to --select");
      if (start !== undefined) throw new UsageError("--start and --select do not go together");
      const result = selectWithProgress(ctx, X, sampleWeight);
      g = result.best;
      chart = criterionChart(result);
      note(
        ctx,
        `selected by ${criterionLabel(result.criterion)} among ${result.table.length} fits: ${describeModel(g, X, sampleWeight)}`,
      );
    } else {
      if (ctx.values.has("max-components")) throw new UsageError("--max-components needs --select");
      const nComponents = intOption(ctx, "components", 1);
      const covarianceType = choiceOption(ctx, "covariance", COVARIANCE_TYPES);
      g = new GaussianMixture({
        ...gmmOptions(ctx),
        nComponents: nComponents ?? 1,
        covarianceType: covarianceType ?? "full",
        ...(start === undefined ? {} : await startOptions(ctx, start, nComponents, covarianceType)),
      });
      fitWithProgress(ctx, g, X, sampleWeight, { nInit: g.nInit, maxIter: g.maxIter });
      note(ctx, `fitted ${describeModel(g, X, sampleWeight)}`);
    }
    warnDegenerate(ctx, g);
    await writeOutput(ctx, option(ctx, "out"), JSON.stringify(g) + "\n");
    const plot = option(ctx, "plot");
    if (plot !== undefined)
      await writeOutput(ctx, plot, renderSvg(chart ? [scatterOf(ctx, g, X), chart] : [scatterOf(ctx, g, X)]));
  },
};

/** The BayesianGaussianMixture `fit --bayesian` asks for (its flags checked). */
function bayesianModel(ctx: Context): BayesianGaussianMixture {
  if (ctx.values.has("max-components")) throw new UsageError("--max-components needs --select");
  const priors = weightPriorOptions(ctx);
  const o = gmmOptions(ctx);
  return new BayesianGaussianMixture({
    nComponents: intOption(ctx, "components", 1) ?? 1,
    covarianceType: choiceOption(ctx, "covariance", COVARIANCE_TYPES) ?? "full",
    ...priors,
    randomState: o.randomState,
    nInit: o.nInit,
    maxIter: o.maxIter,
    tol: o.tol,
    regCovar: o.regCovar,
    dtype: o.dtype,
  });
}

/** The summary line of a Bayesian fit; `streamed` says where the rows came from. */
function noteBayesian(ctx: Context, g: BayesianGaussianMixture, streamed?: string): void {
  const its = `${g.nIter} iteration${g.nIter === 1 ? "" : "s"}`;
  note(
    ctx,
    `fitted Bayesian K≤${g.nComponents} ${g.covarianceType} (${g.weightConcentrationPriorType})${streamed ?? ""}: ${g.effectiveComponents} effective component${g.effectiveComponents === 1 ? "" : "s"} (weight above 0.01), lower bound ${fixed(g.lowerBound, 4)}, ${g.converged ? `converged in ${its}` : g.stopReason === "timeBudget" ? `stopped by --time-budget after ${its} (not converged)` : `did NOT converge in ${its} (raise --max-iter or --tol)`}`,
  );
}

/** `fit --bayesian`: a BayesianGaussianMixture on the rows in memory, written as its JSON. */
async function fitBayesian(ctx: Context, X: Table, sampleWeight: Float64Array | undefined): Promise<void> {
  const g = bayesianModel(ctx);
  const o = gmmOptions(ctx);
  fitWithProgress(ctx, g, X, sampleWeight, { nInit: o.nInit ?? 1, maxIter: o.maxIter ?? 100 });
  noteBayesian(ctx, g);
  await writeOutput(ctx, option(ctx, "out"), JSON.stringify(g) + "\n");
  const plot = option(ctx, "plot");
  if (plot !== undefined) await writeOutput(ctx, plot, renderSvg([scatterOf(ctx, g, X)]));
}

/**
 * `fit --bayesian` on a file too large to hold, as plain `fit` streams it:
 * BayesianGaussianMixture.fitAsync over the file read in chunks (a first pass
 * for the data priors and the start's sample, then one per iteration).
 */
async function fitBayesianStreamed(ctx: Context, path: string): Promise<void> {
  const g = bayesianModel(ctx);
  const { source, header } = fileSource(ctx, path);
  await g.fitAsync(source, { timeBudgetMs: timeBudgetMs(ctx) });
  noteBayesian(
    ctx,
    g,
    ` streamed from ${path} (${g.toJSON().n_samples_fit} rows${ctx.values.has("weights-column") ? ", weighted" : ""}, read once per iteration and once for the priors)`,
  );
  const json = g.toJSON();
  const names = header();
  if (names) json.feature_names_in_ = names.slice();
  await writeOutput(ctx, option(ctx, "out"), JSON.stringify(json) + "\n");
}

/** A positive integer from the environment variable `name`, or `fallback` when it is not set. */
function envInteger(io: CliIO, name: string, fallback: number): number {
  const raw = io.env[name];
  if (raw === undefined || raw === "") return fallback;
  const v = Number(raw);
  if (!Number.isSafeInteger(v) || v < 1)
    throw new UsageError(`${name} is ${JSON.stringify(raw)}; set it to a whole number ≥ 1, or unset it`);
  return v;
}

/** Files above this size are fitted streamed, chunk by chunk (GMM_WASM_STREAM_BYTES overrides it). */
const STREAM_BYTES = 256 * 2 ** 20;

/** Whether `fit` should stream this file: a large plain file, a single fit, no plot. */
async function streamable(ctx: Context, path: string): Promise<boolean> {
  const { io } = ctx;
  if (path === "-" || !io.fileSize || !io.readStream) return false;
  if (ctx.values.has("select") || ctx.values.has("plot")) return false;
  const limit = envInteger(io, "GMM_WASM_STREAM_BYTES", STREAM_BYTES);
  let size: number;
  try {
    size = await io.fileSize(path);
  } catch (e) {
    throw new FileError(`${path}: cannot read it (${systemMessage(e)})`);
  }
  return size > limit;
}

/**
 * `fit` on a file too large to hold: exact EM over the file read in chunks,
 * once per iteration (GaussianMixture.fitAsync with a source), the start from
 * a seeded sample of 10,000 rows of the first pass.
 */
async function fitStreamed(ctx: Context, path: string, start: string | undefined): Promise<void> {
  if (ctx.values.has("max-components")) throw new UsageError("--max-components needs --select");
  const { source, header } = fileSource(ctx, path);
  const nComponents = intOption(ctx, "components", 1);
  const covarianceType = choiceOption(ctx, "covariance", COVARIANCE_TYPES);
  const g = new GaussianMixture({
    ...gmmOptions(ctx),
    nComponents: nComponents ?? 1,
    covarianceType: covarianceType ?? "full",
    ...(start === undefined ? {} : await startOptions(ctx, start, nComponents, covarianceType)),
  });
  await g.fitAsync(source, { timeBudgetMs: timeBudgetMs(ctx) });
  note(
    ctx,
    `fitted K=${g.nComponents} ${g.covarianceType} streamed from ${path} (${g.toJSON().n_samples_fit} rows${ctx.values.has("weights-column") ? ", weighted" : ""}, read once per iteration): lower bound ${fixed(g.lowerBound)} per row, ${g.converged ? `converged in ${g.nIter} iterations` : `${g.nIter} iterations (not converged)`}`,
  );
  warnDegenerate(ctx, g);
  const json = g.toJSON();
  const names = header();
  if (names) json.feature_names_in_ = names.slice();
  await writeOutput(ctx, option(ctx, "out"), JSON.stringify(json) + "\n");
}

/** The data file as a streamed source, one pass per call (weighted chunks with --weights-column), and its header once read. */
function fileSource(ctx: Context, path: string) {
  const options = parseOptions(ctx);
  let header: string[] | undefined;
  const source = async function* () {
    try {
      let rows = 0;
      for await (const t of csvChunks(ctx.io.readStream!(path), options)) {
        const { X, sampleWeight } = dataOf(ctx, t, rows);
        rows += t.rows;
        header = X.header;
        yield sampleWeight ? { rows: X, sampleWeight } : X;
      }
    } catch (e) {
      if (e instanceof DataError) throw new FileError(`${displayName(path)}: ${e.message}`);
      throw e;
    }
  };
  return { source, header: () => header };
}

/** Numbers per piece of text written by predict, proba and score. */
const OUTPUT_VALUES = 2 ** 14;

/** Rows per chunk of predict, proba and score (GMM_WASM_CHUNK_ROWS overrides it). */
const CHUNK_ROWS = 65_536;

/**
 * The data file's rows in chunks, after --columns: CSV, NDJSON and JSON
 * documents of rows are read CHUNK_ROWS rows at a time from a stream (memory
 * bounded by the chunk; everything is read whole when the CliIO has no streams).
 */
async function* dataChunks(ctx: Context, path: string): AsyncGenerator<Table> {
  for await (const { X } of weightedDataChunks(ctx, path)) yield X;
}

/** dataChunks with each chunk's --weights-column weights (when given). */
async function* weightedDataChunks(ctx: Context, path: string): AsyncGenerator<Data> {
  const { io } = ctx;
  const options = parseOptions(ctx);
  const stream = path === "-" ? io.stdinStream?.() : io.readStream?.(path);
  if (!stream) {
    yield await readWeightedData(ctx, path);
    return;
  }
  const chunkRows = envInteger(io, "GMM_WASM_CHUNK_ROWS", CHUNK_ROWS);
  try {
    // CSV, NDJSON or one JSON document of rows, in chunks
    let rows = 0;
    for await (const t of csvChunks(stream, { ...options, chunkRows })) {
      yield inFile(path, () => dataOf(ctx, t, rows));
      rows += t.rows;
    }
  } catch (e) {
    if (e instanceof DataError) throw new FileError(`${displayName(path)}: ${e.message}`);
    if (e instanceof FileError || e instanceof UsageError || !(e as { code?: string }).code) throw e;
    throw new FileError(`${path}: cannot read it (${systemMessage(e)})`);
  }
}

/**
 * Writes one result per row, chunk by chunk as the rows are read: CSV under
 * `header`, or one JSON array (of numbers, or of arrays for `width` > 0).
 * The text is what one toCsv / JSON.stringify of all rows gave. Returns the
 * rows written.
 */
async function writeRowResults(
  ctx: Context,
  model: Model,
  dataPath: string,
  header: string[],
  width: number,
  compute: (X: Table) => ArrayLike<number>,
): Promise<number> {
  const json = format(ctx) === "json";
  let rows = 0;
  for await (const X of dataChunks(ctx, dataPath)) {
    checkFeatures(model, X, dataPath);
    const values = compute(X);
    // written in pieces of about OUTPUT_VALUES numbers: the text of a whole chunk would be megabytes
    const step = Math.max(1, Math.floor(OUTPUT_VALUES / Math.max(width, 1)));
    for (let a = 0; a < X.rows; a += step) {
      const b = Math.min(a + step, X.rows);
      const out: number[][] = new Array(b - a);
      for (let i = a; i < b; i++) {
        const row: number[] = new Array(Math.max(width, 1));
        if (width === 0) row[0] = values[i];
        else for (let j = 0; j < width; j++) row[j] = values[i * width + j];
        out[i - a] = row;
      }
      if (json) {
        const text = JSON.stringify(width === 0 ? out.map((r) => r[0]) : out).slice(1, -1);
        ctx.io.stdout((rows === 0 ? "[" : ",") + text);
      } else {
        const text = toCsv(rows === 0 ? header : [], out);
        ctx.io.stdout(rows === 0 ? text : text.slice(1)); // toCsv([], rows) is "\n" + the rows' lines
      }
      rows += b - a;
      await ctx.io.drain?.();
    }
  }
  if (json) ctx.io.stdout("]\n");
  return rows;
}

async function modelAndData(ctx: Context): Promise<{ model: Model; X: Table }> {
  const [modelPath, dataPath] = ctx.args;
  if (modelPath === "-" && dataPath === "-")
    throw new UsageError("only one of the model and the data can come from standard input");
  const model = await readAnyModel(ctx, modelPath);
  const X = await readData(ctx, dataPath);
  checkFeatures(model, X, dataPath);
  return { model, X };
}

/** The model of predict, proba and score (either estimator's JSON), and its data path. */
async function scoringModel(ctx: Context): Promise<{ model: Model; dataPath: string }> {
  const [modelPath, dataPath] = ctx.args;
  if (modelPath === "-" && dataPath === "-")
    throw new UsageError("only one of the model and the data can come from standard input");
  format(ctx); // a bad --format is refused before any reading
  return { model: await readAnyModel(ctx, modelPath), dataPath };
}

const predict: Command = {
  name: "predict",
  summary: "Print the most probable component (0 … K−1) of each row.",
  usage: "predict <model.json> <data> [--format csv|json]",
  positional: ["model", "data"],
  options: [FORMAT, ...READ_OPTIONS, HELP],
  async run(ctx) {
    const { model, dataPath } = await scoringModel(ctx);
    await writeRowResults(ctx, model, dataPath, ["label"], 0, (X) => model.predict(X));
  },
};

const proba: Command = {
  name: "proba",
  summary: "Print each row's posterior probability of every component (columns p0 … pK−1).",
  usage: "proba <model.json> <data> [--format csv|json]",
  positional: ["model", "data"],
  options: [FORMAT, ...READ_OPTIONS, HELP],
  async run(ctx) {
    const { model, dataPath } = await scoringModel(ctx);
    const k = model.nComponents;
    const header = Array.from({ length: k }, (_, c) => `p${c}`);
    await writeRowResults(ctx, model, dataPath, header, k, (X) => model.predictProba(X).data);
  },
};

const score: Command = {
  name: "score",
  summary: "Print each row's log-density log p(x), or with --summary the totals (log-likelihood, BIC, AIC).",
  usage: "score <model.json> <data> [--summary] [--weights-column COLUMN] [--format csv|json]",
  positional: ["model", "data"],
  options: [
    {
      name: "summary",
      help: "one row: n, mean and total log-likelihood, BIC, AIC (weighted with --weights-column: n is the sum of the weights)",
    },
    FORMAT,
    ...READ_OPTIONS,
    WEIGHTS,
    HELP,
  ],
  async run(ctx) {
    const { model, dataPath } = await scoringModel(ctx);
    if (!ctx.flags.has("summary")) {
      await writeRowResults(ctx, model, dataPath, ["log_density"], 0, (X) => model.scoreSamples(X));
      return;
    }
    // the totals over the chunks, summed row by row in order as score() and
    // bic() sum them (with weights: Σ w·log p and n = Σ w, a row of weight 0
    // left out even at −∞, as score(X, { sampleWeight }) does)
    let n = 0;
    let logL = 0;
    for await (const { X, sampleWeight: w } of weightedDataChunks(ctx, dataPath)) {
      checkFeatures(model, X, dataPath);
      const s = model.scoreSamples(X);
      for (let i = 0; i < s.length; i++) {
        if (w && w[i] === 0) continue;
        logL += w ? w[i] * s[i] : s[i];
        n += w ? w[i] : 1;
      }
    }
    if (n === 0)
      throw new FileError(
        `${displayName(dataPath)}: every row's weight (column ${JSON.stringify(option(ctx, "weights-column"))}) is 0; the totals need a positive weight`,
      );
    const summary: Record<string, number> = { n, mean_log_likelihood: logL / n, log_likelihood: (logL / n) * n };
    // BIC and AIC count a GaussianMixture's free parameters; a variational model has no such count
    if (model instanceof GaussianMixture) {
      summary.bic = -2 * logL + model.nParameters * Math.log(n);
      summary.aic = -2 * logL + 2 * model.nParameters;
    }
    ctx.io.stdout(
      format(ctx) === "json" ? JSON.stringify(summary) + "\n" : toCsv(Object.keys(summary), [Object.values(summary)]),
    );
  },
};

const sample: Command = {
  name: "sample",
  summary: "Draw rows from a fitted model (columns x0 … xD−1 and the component label).",
  usage: "sample <model.json> [--n N] [--seed N] [--format csv|json]",
  positional: ["model"],
  options: [
    { name: "n", value: "N", help: "how many rows (default 1)" },
    { name: "seed", value: "N", help: "random seed for a reproducible draw" },
    FORMAT,
    HELP,
  ],
  async run(ctx) {
    const model = await readModel(ctx, ctx.args[0], "sample");
    const n = intOption(ctx, "n", 1) ?? 1;
    const seed = intOption(ctx, "seed", 0);
    await writeSamples(ctx.io, model, sampleBlocks(model, n, seed), format(ctx) === "json");
  },
};

/**
 * Writes drawn rows as CSV (x0 … xD−1, label) or as JSON {"X": […], "labels": […]},
 * about PIECE_VALUES numbers at a time: the text is the one toCsv or
 * JSON.stringify of all rows at once gave, without holding it (or an array per
 * row) in the JS heap.
 */
export async function writeSamples(
  io: Pick<CliIO, "stdout" | "drain">,
  model: GaussianMixture,
  blocks: Iterable<{ X: Matrix; labels: Int32Array }>,
  json: boolean,
): Promise<void> {
  const d = model.nFeatures;
  const names = model.featureNames;
  const step = pieceRows(d);
  const runs: number[] = []; // (label, count) pairs: JSON's labels come after all of X
  let first = true;
  io.stdout(json ? '{"X":[' : toCsv([...Array.from({ length: d }, (_, j) => names?.[j] ?? `x${j}`), "label"], []));
  for (const { X, labels } of blocks) {
    for (let a = 0; a < X.rows; a += step) {
      const b = Math.min(a + step, X.rows);
      const rows: number[][] = new Array(b - a);
      for (let i = a; i < b; i++) {
        const r = Array.from(X.data.subarray(i * d, (i + 1) * d));
        if (!json) r.push(labels[i]);
        rows[i - a] = r;
      }
      // toCsv([], rows) is "\n" + the rows' lines.
      io.stdout(json ? (first ? "" : ",") + JSON.stringify(rows).slice(1, -1) : toCsv([], rows).slice(1));
      first = false;
      await io.drain?.();
    }
    if (json) {
      for (let i = 0; i < labels.length; i++) {
        const last = runs.length - 2;
        if (last >= 0 && runs[last] === labels[i]) runs[last + 1]++;
        else runs.push(labels[i], 1);
      }
    }
  }
  if (!json) return;
  io.stdout('],"labels":[');
  first = true;
  for (let r = 0; r < runs.length; r += 2) {
    for (let left = runs[r + 1]; left > 0; left -= PIECE_VALUES) {
      io.stdout((first ? "" : ",") + new Array(Math.min(left, PIECE_VALUES)).fill(runs[r]).join(","));
      first = false;
      await io.drain?.();
    }
  }
  io.stdout("]}\n");
}

/** Numbers formatted and written per piece by `sample` (a few MB of text). */
const PIECE_VALUES = 2 ** 17;

/** Rows per piece: 65,536 of two features; at least one row, however wide. */
function pieceRows(d: number): number {
  return Math.max(1, Math.floor(PIECE_VALUES / d));
}

/**
 * The draws of `gmm-wasm sample`. Up to `exactValues` numbers (n × features)
 * it is one `model.sample(n, { randomState: seed })`, as the command always
 * drew (its typed arrays live outside the JS heap). Beyond, where printing it
 * all in one string would exceed V8's longest string, it is blocks of
 * `blockRows` rows, each its own `model.sample` call with a seed derived from
 * the seed and the block's index, so memory stays bounded for any n; rows are
 * then grouped by component within each block, not overall.
 */
export function* sampleBlocks(
  model: GaussianMixture,
  n: number,
  seed: number | undefined,
  exactValues = 2 ** 25,
  blockRows = pieceRows(model.nFeatures),
): Generator<{ X: Matrix; labels: Int32Array }> {
  if (n * model.nFeatures <= exactValues) {
    yield model.sample(n, { randomState: seed });
    return;
  }
  // Without --seed, sample() falls back on the model's own random_state: deriving
  // from it keeps the blocks different from each other (and the draw reproducible).
  const base = seed ?? model.randomState;
  for (let block = 0, done = 0; done < n; block++) {
    const m = Math.min(blockRows, n - done);
    yield model.sample(m, { randomState: base === undefined ? undefined : blockSeed(base, block) });
    done += m;
  }
}

/** A 32-bit seed for block `block` of a draw seeded with `seed` (SplitMix32's finaliser over both). */
export function blockSeed(seed: number, block: number): number {
  let z = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x27d4eb2d) ^ Math.imul(block + 1, 0x9e3779b9);
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

const SELECT_COLUMNS: [string, (r: SelectionRow) => number | string | undefined][] = [
  ["covariance_type", (r) => r.covarianceType],
  ["n_components", (r) => r.nComponents],
  ["log_likelihood", (r) => r.logLikelihood],
  ["n_parameters", (r) => r.nParameters],
  ["bic", (r) => r.bic],
  ["aic", (r) => r.aic],
  ["icl", (r) => r.icl],
  ["cv_log_likelihood", (r) => r.cvLogLikelihood],
  ["degenerate", (r) => String(r.degenerate)],
  ["selected", (r) => String(r.selected)],
  ["note", (r) => r.error ?? r.note ?? ""],
];

/** select --bayesian's extra columns. */
const BAYESIAN_SELECT_COLUMNS: [string, (r: SelectionRow) => number | string | undefined][] = [
  ["effective_components", (r) => r.effectiveComponents],
  ["lower_bound", (r) => r.lowerBound],
];

const select: Command = {
  name: "select",
  summary: "Fit K = 1 … N for each covariance type and print the criterion table (best row marked selected).",
  usage:
    "select <data> [--max-components 9] [--criterion bic|aic|icl|cv|elbo] [--covariance full,tied,...] [--bayesian] [--out best.json] [--plot chart.svg]",
  positional: ["data"],
  options: [
    { name: "max-components", value: "N", help: "largest K to try (default 9)" },
    {
      name: "criterion",
      value: "NAME",
      help: "bic (default), aic, icl or cv (cross-validated log-likelihood); with --bayesian also elbo (its default)",
    },
    {
      name: "bayesian",
      help: "fit BayesianGaussianMixture over the grid, ranked by the evidence lower bound (columns effective_components, lower_bound)",
    },
    ...WEIGHT_PRIOR_OPTIONS,
    { name: "covariance", value: "TYPES", help: "comma-separated covariance types to try (default all four)" },
    { name: "folds", value: "N", help: "with --criterion cv, the number of folds (default 5)" },
    { name: "allow-degenerate", help: "let a degenerate (collapsed) fit be chosen" },
    ...FIT_OPTIONS,
    WEIGHTS,
    { name: "out", value: "FILE", help: "save the chosen model as JSON" },
    { name: "plot", value: "FILE", help: "draw the criterion against K, one line per covariance type, as SVG" },
    FORMAT,
    ...READ_OPTIONS,
    QUIET,
    HELP,
  ],
  async run(ctx) {
    await checkOutputs(ctx, [["data", ctx.args[0]]], ["out", "plot"]);
    const bayesian = checkBayesianFlags(ctx);
    if (!bayesian && option(ctx, "criterion") === "elbo")
      throw new UsageError(
        "--criterion elbo needs --bayesian (a lower bound on ln p(X) and a BIC are not on one scale)",
      );
    const { X, sampleWeight } = await readWeightedData(ctx, ctx.args[0]);
    const result: SelectionResult<GaussianMixture | BayesianGaussianMixture> = bayesian
      ? selectBayesianWithProgress(ctx, X, sampleWeight)
      : selectWithProgress(ctx, X, sampleWeight);
    const cv = result.criterion === "cv";
    const columns = [...SELECT_COLUMNS, ...(bayesian ? BAYESIAN_SELECT_COLUMNS : [])].filter(
      ([name]) => cv || name !== "cv_log_likelihood",
    );
    if (format(ctx) === "json") {
      // the CSV's columns, under the CSV's names; a missing number is null, flags are booleans
      const row = (r: SelectionRow) =>
        Object.fromEntries(
          columns.map(([name, get]) => {
            const v = get(r);
            if (name === "degenerate" || name === "selected") return [name, v === "true"];
            return [name, typeof v === "number" && !Number.isFinite(v) ? null : (v ?? null)];
          }),
        );
      ctx.io.stdout(
        JSON.stringify({ criterion: result.criterion, selected: row(result.bestRow), table: result.table.map(row) }) +
          "\n",
      );
    } else {
      const cell = (v: number | string | undefined) =>
        (typeof v === "number" && !Number.isFinite(v)) || v === undefined ? "" : v;
      ctx.io.stdout(
        toCsv(
          columns.map(([name]) => name),
          result.table.map((r) => columns.map(([, get]) => cell(get(r)))),
        ),
      );
    }
    const best = result.best;
    if (best instanceof GaussianMixture) {
      note(ctx, `selected by ${criterionLabel(result.criterion)}: ${describeModel(best, X, sampleWeight)}`);
      warnDegenerate(ctx, best);
    } else {
      note(
        ctx,
        `selected by ${criterionLabel(result.criterion)}: Bayesian K≤${best.nComponents} ${best.covarianceType} (${best.weightConcentrationPriorType}), ${best.effectiveComponents} effective component${best.effectiveComponents === 1 ? "" : "s"}, evidence lower bound ${fixed(best.evidenceLowerBound)}`,
      );
    }
    const out = option(ctx, "out");
    if (out !== undefined) await writeOutput(ctx, out, JSON.stringify(result.best) + "\n");
    const plot = option(ctx, "plot");
    if (plot !== undefined) await writeOutput(ctx, plot, renderSvg([criterionChart(result)]));
  },
};

const plot: Command = {
  name: "plot",
  summary: "Draw the data coloured by component with each component's 1σ and 2σ ellipses, as SVG.",
  usage: "plot <model.json> <data> [--out plot.svg] [--x COLUMN] [--y COLUMN] [--title TEXT]",
  positional: ["model", "data"],
  options: [
    { name: "out", value: "FILE", help: "write the SVG here (default: standard output)" },
    {
      name: "x",
      value: "COLUMN",
      help: "feature on the horizontal axis, by name or number from 1 (default the first)",
    },
    { name: "y", value: "COLUMN", help: "feature on the vertical axis (default the second)" },
    { name: "title", value: "TEXT", help: "title above the plot" },
    ...READ_OPTIONS,
    HELP,
  ],
  async run(ctx) {
    await checkOutputs(
      ctx,
      [
        ["model", ctx.args[0]],
        ["data", ctx.args[1]],
      ],
      ["out"],
    );
    const { model, X } = await modelAndData(ctx);
    await writeOutput(ctx, option(ctx, "out"), renderSvg([scatterOf(ctx, model, X)]));
  },
};

const COMMANDS: Record<string, Command> = { fit, predict, proba, score, sample, select, plot };

// ---------------------------------------------------------------- entry points

/** Runs one command line; returns the exit code (0 ok, 1 failure, 2 wrong usage). */
export async function main(argv: readonly string[], io: CliIO): Promise<number> {
  const name = argv[0];
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    (name === undefined ? io.stderr : io.stdout)(mainHelp());
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    io.stdout("gmm-wasm 0.1.0\n");
    return 0;
  }
  const command = COMMANDS[name];
  const prefix = command ? `gmm-wasm ${name}` : "gmm-wasm";
  try {
    if (!command)
      throw new UsageError(
        `unknown command ${JSON.stringify(name)}; commands: ${Object.keys(COMMANDS).join(", ")} (see gmm-wasm --help)`,
      );
    const parsed = parseArgs(command, argv.slice(1));
    if (parsed.flags.has("help")) {
      io.stdout(commandHelp(command));
      return 0;
    }
    if (parsed.args.length !== command.positional.length) {
      const want = command.positional.map((p) => `<${p}>`).join(" ");
      throw new UsageError(
        parsed.args.length < command.positional.length
          ? `missing ${want.split(" ").slice(parsed.args.length).join(" ")}; usage: gmm-wasm ${command.usage}`
          : `too many arguments (${parsed.args.slice(command.positional.length).join(" ")}); usage: gmm-wasm ${command.usage}`,
      );
    }
    await init();
    await command.run({ io, ...parsed });
    return 0;
  } catch (e) {
    if (io.env.GMM_WASM_DEBUG && e instanceof Error) io.stderr(`${e.stack}\n`);
    const message = (e instanceof Error ? e.message : String(e)).replace(/\s*\n\s*/g, " ");
    io.stderr(`${e instanceof FileError ? message : `${prefix}: ${message}`}\n`);
    return e instanceof UsageError ? 2 : 1;
  }
}

// What dist/cli.js uses of Node, typed here because the package has no @types/node.
interface NodeProcess {
  argv: string[];
  env: Record<string, string | undefined>;
  exitCode?: number;
  exit(code?: number): never;
  stdin: AsyncIterable<Uint8Array>;
  stdout: {
    write(s: string): boolean;
    on(event: "error", f: (e: { code?: string }) => void): void;
    once(event: "drain", f: () => void): void;
    writableNeedDrain: boolean;
  };
  stderr: { write(s: string): boolean; isTTY?: boolean; columns?: number };
  getBuiltinModule(id: "node:fs/promises"): {
    readFile(path: string): Promise<Uint8Array>;
    writeFile(path: string, data: string): Promise<void>;
    stat(path: string, options: { bigint: true }): Promise<{ dev: bigint; ino: bigint; size: bigint }>;
  };
  getBuiltinModule(id: "node:util"): NodeUtil;
  getBuiltinModule(id: "node:fs"): {
    createReadStream(path: string, o: { highWaterMark: number }): AsyncIterable<Uint8Array>;
  };
}

/** The CliIO of the running Node process. */
export function nodeIO(): CliIO {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  const fs = proc.getBuiltinModule("node:fs/promises");
  // `gmm-wasm predict … | head` closes the pipe early: that is not an error.
  proc.stdout.on("error", (e) => {
    if (e.code === "EPIPE") proc.exit(proc.exitCode ?? 0);
    throw e;
  });
  return {
    readFile: (path) => fs.readFile(path),
    fileSize: async (path) => Number((await fs.stat(path, { bigint: true })).size),
    readStream: (path) => proc.getBuiltinModule("node:fs").createReadStream(path, { highWaterMark: 1 << 20 }),
    stdinStream: () => proc.stdin,
    async readStdin() {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of proc.stdin) {
        chunks.push(chunk);
        size += chunk.length;
      }
      const all = new Uint8Array(size);
      let at = 0;
      for (const c of chunks) {
        all.set(c, at);
        at += c.length;
      }
      return all;
    },
    writeFile: (path, text) => fs.writeFile(path, text),
    stdout: (text) => void proc.stdout.write(text),
    // Waits for a full pipe to empty; otherwise yields a turn of the event loop,
    // so that a closed pipe (`| head`) is noticed before the next piece.
    drain: () =>
      new Promise((resolve) => {
        if (proc.stdout.writableNeedDrain) proc.stdout.once("drain", resolve);
        else (globalThis as unknown as { setImmediate(f: () => void): void }).setImmediate(resolve);
      }),
    async fileId(path) {
      try {
        const st = await fs.stat(path, { bigint: true });
        return `${st.dev}:${st.ino}`;
      } catch {
        return undefined; // missing (or unreadable: reading it will say so)
      }
    },
    stderr: (text) => void proc.stderr.write(text),
    stderrIsTTY: proc.stderr.isTTY === true,
    stderrColumns: proc.stderr.columns,
    now: () => performance.now(),
    env: proc.env,
  };
}

/** Entry point of dist/cli.js. */
export async function runNode(): Promise<void> {
  const proc = (globalThis as unknown as { process: NodeProcess }).process;
  proc.exitCode = await main(proc.argv.slice(2), nodeIO());
}
