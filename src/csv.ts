// Reading numeric tables for the command-line tool: CSV (delimiter detected
// among comma, semicolon, tab and space; header row optional) and NDJSON (one
// JSON array per line). The input is untrusted: every path through here is
// linear in its length and the only exception it throws is a DataError whose
// message names the row and column, e.g. `row 17, column 2: "abc" is not a number`.
// Rows are counted as lines of the input (1-based, header and blank lines
// included), so the number is the one an editor shows.

/**
 * Numeric tables from CSV (delimiter and header detected), NDJSON or a JSON
 * array of rows, with no dependencies and no WebAssembly. A {@link Table} is
 * a `Matrix`, so it goes straight to `fit`; {@link csvChunks} and
 * {@link readCsvChunks} read a file too large for memory in chunks, for
 * `fitAsync` and `partialFit`. Malformed input throws a {@link DataError}
 * naming the line and column.
 *
 * @example
 * import { parseTable, readCsvChunks } from "gmm-wasm/csv";
 * const table = parseTable(readFileSync("data.csv", "utf8")); // { data, rows, cols, header, … }
 * new GaussianMixture({ nComponents: 3 }).fit(table);
 * await new GaussianMixture({ nComponents: 3 }).fitAsync(() => readCsvChunks("big.csv"));
 *
 * @module gmm-wasm/csv
 */

/** A CSV field separator: comma, semicolon, tab or space. */
export type Delimiter = "," | ";" | "\t" | " ";

/** A dense numeric table, usable directly as the library's `Matrix`. */
export interface Table {
  /** The values, row-major (`rows × cols`). */
  data: Float64Array;
  /** Data rows (the header excluded). */
  rows: number;
  /** Columns per row. */
  cols: number;
  /** Column names from the header row, when there was one. */
  header?: string[];
  /** What the input was: CSV, NDJSON (one JSON array per line) or one JSON array of rows. */
  format: "csv" | "ndjson" | "json";
  /** The CSV delimiter used (detected or given). */
  delimiter?: Delimiter;
}

/** How `parseTable` reads CSV; everything is detected when omitted. */
export interface ParseOptions {
  /** Skip detection and split on this. */
  delimiter?: Delimiter;
  /** true: the first CSV row is a header; false: it is data; default: detected (a header has a non-numeric field). */
  header?: boolean;
}

/** A malformed input. `row` and `column` are 1-based when known. */
export class DataError extends Error {
  /** 1-based line of the input (header and blank lines counted, as an editor shows it). */
  readonly row?: number;
  /** 1-based column. */
  readonly column?: number;
  /**
   * An error whose message starts with "row R, column C: " when they are known.
   *
   * @param message what is wrong with the value
   * @param row 1-based line, when known (the message is prefixed with it)
   * @param column 1-based column, when known
   */
  constructor(message: string, row?: number, column?: number) {
    const where = row === undefined ? "" : column === undefined ? `row ${row}: ` : `row ${row}, column ${column}: `;
    super(where + message);
    this.name = "DataError";
    this.row = row;
    this.column = column;
  }
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * True when `text` is a decimal number as the reader takes it: an optional
 * sign, digits with an optional point (at least one digit in all), and an
 * optional exponent; `Number()` would also take "", "0x1f", "Infinity" and " ".
 * A hand-written scan, one pass: the regex it replaces
 * (`\d+\.?\d*` could split a digit run in many ways) was quadratic on a long run
 * of digits followed by a letter.
 *
 * @param text one field, without surrounding spaces
 * @example
 * isDecimalNumber("-1.5e3"); // true
 * isDecimalNumber("0x1f");   // false
 */
export function isDecimalNumber(text: string): boolean {
  const n = text.length;
  let i = 0;
  let c = text.charCodeAt(0);
  if (c === 43 || c === 45) i++; // + -
  let digits = 0;
  for (; i < n && isDigit(text.charCodeAt(i)); i++) digits++;
  if (i < n && text.charCodeAt(i) === 46) {
    // .
    for (i++; i < n && isDigit(text.charCodeAt(i)); i++) digits++;
  }
  if (digits === 0) return false;
  if (i < n && (text.charCodeAt(i) | 32) === 101) {
    // e E
    i++;
    c = text.charCodeAt(i);
    if (c === 43 || c === 45) i++;
    const from = i;
    while (i < n && isDigit(text.charCodeAt(i))) i++;
    if (i === from) return false;
  }
  return i === n;
}

const MISSING = new Set(["", "na", "nan", "n/a", "null", "none", "?", "-"]);

/** Shows a field in an error message: quoted, escaped, and cut to a readable length. */
function show(text: string): string {
  return JSON.stringify(text.length > 40 ? `${text.slice(0, 37)}...` : text);
}

function toNumber(text: string, row: number, column: number): number {
  if (isDecimalNumber(text)) {
    const v = Number(text);
    if (Number.isFinite(v)) return v;
    throw new DataError(`${show(text)} is too large to be a finite number`, row, column);
  }
  if (MISSING.has(text.toLowerCase())) {
    throw new DataError(
      `${text === "" ? "empty value" : `missing value ${show(text)}`}: remove or impute missing values first`,
      row,
      column,
    );
  }
  if (text.includes(",") && isDecimalNumber(text.replace(",", "."))) {
    throw new DataError(`${show(text)} is not a number (decimal commas are not read: use a point)`, row, column);
  }
  return badNumber(text, row, column);
}

function badNumber(text: string, row: number, column: number): never {
  throw new DataError(`${show(text)} is not a number`, row, column);
}

function isNumeric(text: string): boolean {
  return isDecimalNumber(text) && Number.isFinite(Number(text));
}

/**
 * Reads a numeric table from CSV, NDJSON or a JSON array of arrays (text or UTF-8 bytes).
 *
 * @param input the whole file, as text or UTF-8 bytes
 * @param options the CSV delimiter and whether there is a header (detected when omitted)
 * @example
 * const t = parseTable("x,y\n1,2\n3,4\n"); // { data: Float64Array [1, 2, 3, 4], rows: 2, cols: 2, header: ["x", "y"], format: "csv", delimiter: "," }
 * parseTable("[1,2]\n[3,4]\n").format;     // "ndjson"
 */
export function parseTable(input: string | Uint8Array, options: ParseOptions = {}): Table {
  if (typeof input !== "string" && !(input instanceof Uint8Array))
    throw new TypeError("parseTable takes a string or a Uint8Array of UTF-8 bytes");
  let text = typeof input === "string" ? input : new TextDecoder("utf-8").decode(input);
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  let start = 0;
  while (start < text.length && isSpace(text.charCodeAt(start))) start++;
  if (start === text.length) throw new DataError("no data: the input is empty");
  if (text[start] === "[") return parseJsonRows(text);
  if (text[start] === "{") rejectObjects(text);
  return parseCsv(text, options);
}

function isSpace(c: number): boolean {
  return c === 32 || c === 9 || c === 10 || c === 13 || c === 11 || c === 12;
}

// ---------------------------------------------------------------- lines

interface Line {
  text: string;
  row: number; // 1-based line number
}

/** Physical lines (\n, \r\n or \r), blank lines and `#` comments left out. */
function* lines(text: string, firstRow = 0): Generator<Line> {
  let row = firstRow;
  let at = 0;
  while (at <= text.length) {
    row++;
    let end = at;
    while (end < text.length && text.charCodeAt(end) !== 10 && text.charCodeAt(end) !== 13) end++;
    const line = text.slice(at, end);
    if (end < text.length && text.charCodeAt(end) === 13 && text.charCodeAt(end + 1) === 10) end++;
    at = end + 1;
    const trimmed = line.trim();
    if (trimmed !== "" && trimmed[0] !== "#") yield { text: line, row };
  }
}

// ---------------------------------------------------------------- JSON

/** A JSON value in an error message, without walking into arrays or objects (they may be nested arbitrarily deep). */
function describe(x: unknown): string {
  if (typeof x === "string") return x;
  if (Array.isArray(x)) return "[...]";
  if (x !== null && typeof x === "object") return "{...}";
  return String(x);
}

function parseJson(s: string, row?: number): unknown {
  try {
    return JSON.parse(s);
  } catch (e) {
    // The engine's message may quote the input, line breaks and all.
    const why = (e instanceof Error ? e.message : String(e)).replace(/\s+/g, " ");
    throw new DataError(`not valid JSON (${why.length > 100 ? `${why.slice(0, 97)}...` : why})`, row);
  }
}

const ROWS_AS_ARRAYS = "NDJSON lines must be JSON arrays of numbers, such as [3.6, 79]";

/** An object where a row should be: name the line and say what is read instead. */
function objectRow(row: number): DataError {
  return new DataError(`this line is a JSON object; ${ROWS_AS_ARRAYS} (objects with named fields are not read)`, row);
}

/**
 * Input starting with "{" is JSON objects (NDJSON of objects, or one
 * object), not CSV: say so instead of failing on the CSV fields. Anything
 * else starting with "{" is left to the CSV reader.
 */
function rejectObjects(text: string): void {
  const first = lines(text).next().value;
  if (!first) return;
  if (isObject(tryJson(first.text))) throw objectRow(first.row);
  if (isObject(tryJson(text)))
    throw new DataError(`the input is one JSON object; ${ROWS_AS_ARRAYS}, one per line, or a JSON array of such rows`);
}

function tryJson(s: string): unknown {
  try {
    return JSON.parse(s);
  } catch {
    return undefined;
  }
}

function isObject(x: unknown): boolean {
  return x !== null && typeof x === "object" && !Array.isArray(x);
}

/**
 * Collects parsed JSON rows into a table's values, checking each: an array of
 * finite numbers, as long as the first. `isDocument` picks the messages (a
 * row of a JSON document, or an NDJSON line).
 */
class JsonRows {
  readonly values: number[] = [];
  cols: number;
  rows = 0;
  /** @param cols the row length already set (by an earlier chunk), or −1 */
  constructor(
    private readonly isDocument: boolean,
    cols = -1,
  ) {
    this.cols = cols;
  }

  add(v: unknown, row: number): void {
    if (isObject(v))
      throw this.isDocument
        ? new DataError("this row is a JSON object; every row must be a JSON array of numbers, such as [3.6, 79]", row)
        : objectRow(row);
    if (!Array.isArray(v))
      throw new DataError(`expected a JSON array of numbers, got ${v === null ? "null" : typeof v}`, row);
    if (this.cols < 0) {
      if (v.length === 0) throw new DataError("an empty row: every row needs at least one value", row);
      this.cols = v.length;
    } else if (v.length !== this.cols) {
      throw new DataError(
        `${v.length} value${v.length === 1 ? "" : "s"}, but the first row has ${this.cols}; every row needs the same number of values`,
        row,
      );
    }
    for (let j = 0; j < v.length; j++) {
      const x = v[j];
      if (typeof x === "number" && Number.isFinite(x)) this.values.push(x);
      else if (x === null) throw new DataError("missing value null: remove or impute missing values first", row, j + 1);
      else badNumber(describe(x), row, j + 1);
    }
    this.rows++;
  }

  table(format: "json" | "ndjson"): Table {
    return { data: Float64Array.from(this.values), rows: this.rows, cols: this.cols, format };
  }
}

/** NDJSON (one array per line), or one JSON document holding an array of row arrays; lines counted after `firstRow`. */
function parseJsonRows(text: string, firstRow = 0): Table {
  const all = [...lines(text, firstRow)];
  let whole: unknown;
  let isDocument = false;
  try {
    whole = JSON.parse(text);
    // An array of objects is a document too, so that its rows are named as such.
    isDocument = Array.isArray(whole) && (whole.length === 0 || Array.isArray(whole[0]) || isObject(whole[0]));
  } catch {
    // NDJSON, or a broken document: the lines say which.
    if (all.length > 1 && all[0].text.trim() === "[") parseJson(text);
  }
  const rows = new JsonRows(isDocument);
  if (isDocument) {
    const doc = whole as unknown[];
    if (doc.length === 0) throw new DataError("no data: the JSON array is empty");
    // In a document, "row" is the 1-based position in the outer array.
    for (let i = 0; i < doc.length; i++) rows.add(doc[i], i + 1);
    return rows.table("json");
  }
  for (const line of all) rows.add(parseJson(line.text, line.row), line.row);
  return rows.table("ndjson");
}

// ---------------------------------------------------------------- CSV

/** Counts `ch` outside double quotes in one line. */
function countOutsideQuotes(line: string, ch: string): number {
  let n = 0;
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (c === '"') quoted = !quoted;
    else if (c === ch && !quoted) n++;
  }
  return n;
}

/**
 * Tab, then semicolon (European exports, where the comma is the decimal
 * mark), then comma, each if it occurs in the first line outside quotes;
 * otherwise whitespace-separated columns.
 *
 * @param firstLine the file's first line
 */
export function detectDelimiter(firstLine: string): Delimiter {
  for (const d of ["\t", ";", ","] as const) if (countOutsideQuotes(firstLine, d) > 0) return d;
  return " ";
}

/**
 * Splits one line into fields, undoing RFC 4180 quoting ("" inside quotes is
 * one "). Spaces around a field are dropped; with the space delimiter any run
 * of spaces and tabs separates fields.
 */
function splitLine(line: Line, delimiter: Delimiter): string[] {
  const s = line.text;
  const n = s.length;
  const ws = delimiter === " ";
  const isSep = (c: string) => (ws ? c === " " || c === "\t" : c === delimiter);
  const isPad = (c: string) => (c === " " || c === "\t") && !isSep(c);
  const fields: string[] = [];
  let i = 0;
  if (ws) while (i < n && isSep(s[i])) i++;
  for (;;) {
    while (i < n && isPad(s[i])) i++;
    if (s[i] === '"') {
      const column = fields.length + 1;
      let out = "";
      let from = ++i;
      for (;;) {
        const q = s.indexOf('"', i);
        if (q < 0)
          throw new DataError("a quoted field is not closed (a quoted value cannot span lines)", line.row, column);
        if (s[q + 1] === '"') {
          out += s.slice(from, q + 1);
          i = from = q + 2;
        } else {
          out += s.slice(from, q);
          i = q + 1;
          break;
        }
      }
      while (i < n && isPad(s[i])) i++;
      if (i < n && !isSep(s[i]))
        throw new DataError(`unexpected ${show(s[i])} after a closing quote`, line.row, column);
      fields.push(out);
    } else {
      let end = i;
      while (end < n && !isSep(s[end])) end++;
      fields.push(s.slice(i, end).trim());
      i = end;
    }
    if (i >= n) break;
    if (ws) {
      while (i < n && isSep(s[i])) i++;
      if (i >= n) break;
    } else if (++i >= n) {
      fields.push(""); // a trailing delimiter leaves an empty last field
      break;
    }
  }
  return fields;
}

/** A header has a field that is text: not a number and not a missing-value marker. */
function looksLikeHeader(fields: readonly string[]): boolean {
  return fields.some((f) => !isNumeric(f) && !MISSING.has(f.toLowerCase()));
}

function parseCsv(text: string, options: ParseOptions, firstRow = 0): Table {
  const it = lines(text, firstRow);
  const first = it.next().value;
  if (!first) throw new DataError("no data: the input has only blank lines and # comments");
  const delimiter = options.delimiter ?? detectDelimiter(first.text);
  const firstFields = splitLine(first, delimiter);
  const hasHeader = options.header ?? looksLikeHeader(firstFields);
  const cols = firstFields.length;
  const values: number[] = [];
  let rows = 0;
  const addRow = (fields: string[], row: number) => {
    if (fields.length !== cols) {
      const what = hasHeader ? "the header has" : "the first row has";
      throw new DataError(
        `${fields.length} value${fields.length === 1 ? "" : "s"}, but ${what} ${cols}; every row needs the same number of columns`,
        row,
      );
    }
    for (let j = 0; j < cols; j++) values.push(toNumber(fields[j], row, j + 1));
    rows++;
  };
  if (!hasHeader) addRow(firstFields, first.row);
  for (const line of it) addRow(splitLine(line, delimiter), line.row);
  if (rows === 0) throw new DataError("no data: there is a header row but no rows of numbers after it");
  return {
    data: Float64Array.from(values),
    rows,
    cols,
    header: hasHeader ? firstFields : undefined,
    format: "csv",
    delimiter,
  };
}

// ---------------------------------------------------------------- writing

function quoteField(s: string): string {
  return /[",;\t\n\r ]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * CSV text with a header row. Numbers are written in JavaScript's shortest
 * round-trip form, so reading the file back gives the same doubles.
 *
 * @param header the column names
 * @param rows the values, numbers or strings (quoted when needed)
 * @example
 * toCsv(["x", "label"], [[0.1, "a"], [2, "b c"]]); // 'x,label\n0.1,a\n2,"b c"\n'
 */
export function toCsv(header: readonly string[], rows: ReadonlyArray<ArrayLike<number | string>>): string {
  const out: string[] = [header.map(quoteField).join(",")];
  for (const r of rows) {
    const cells: string[] = new Array(r.length);
    for (let j = 0; j < r.length; j++) {
      const v = r[j];
      cells[j] = typeof v === "number" ? (Object.is(v, -0) ? "-0" : String(v)) : quoteField(v);
    }
    out.push(cells.join(","));
  }
  return out.join("\n") + "\n";
}

/** The 0-based index of a column named in the header or numbered from 1. */
function columnIndex(table: Table, c: string): number {
  const named = table.header?.indexOf(c) ?? -1;
  if (named >= 0) return named;
  if (/^\d+$/.test(c) && Number(c) >= 1 && Number(c) <= table.cols) return Number(c) - 1;
  const names = table.header ? `columns ${table.header.map((h) => JSON.stringify(h)).join(", ")} or ` : "";
  throw new DataError(`there is no column ${JSON.stringify(c)}: use ${names}numbers 1 to ${table.cols}`);
}

/**
 * Keeps the listed columns, named (from the header) or numbered from 1, in the order given.
 *
 * @param table a parsed table
 * @param columns header names or 1-based numbers, as strings
 * @example
 * selectColumns(table, ["waiting", "1"]); // two columns: "waiting", then the first
 */
export function selectColumns(table: Table, columns: readonly string[]): Table {
  return pickColumns(
    table,
    columns.map((c) => columnIndex(table, c)),
  );
}

function pickColumns(table: Table, picks: readonly number[]): Table {
  const data = new Float64Array(table.rows * picks.length);
  for (let i = 0; i < table.rows; i++) {
    for (let j = 0; j < picks.length; j++) data[i * picks.length + j] = table.data[i * table.cols + picks[j]];
  }
  return { ...table, data, cols: picks.length, header: table.header ? picks.map((p) => table.header![p]) : undefined };
}

/**
 * Rows with one weight each: what the chunked readers yield with
 * `weightColumn`, and a chunk `fitAsync` takes from a source as it is.
 */
export interface WeightedTable {
  /** The table without its weight column. */
  rows: Table;
  /** The weight column's values, one ≥ 0 per row. */
  sampleWeight: Float64Array;
}

/**
 * Takes a weight column out of a table: its values (each ≥ 0) become the
 * rows' `sampleWeight`, and the rows are the other columns, or the
 * `features` listed (named or numbered from 1, as selectColumns takes them;
 * the weight column cannot be one). `firstRow` counts the data rows before
 * this table, so that a bad weight is named by its row in the whole input.
 *
 * @example
 * const { rows, sampleWeight } = splitWeights(parseTable(text), "count");
 * gmm.fit(rows, { sampleWeight });
 */
export function splitWeights(
  table: Table,
  column: string,
  options: { features?: readonly string[]; firstRow?: number } = {},
): WeightedTable {
  const w = columnIndex(table, column);
  const picks = options.features
    ? options.features.map((c) => columnIndex(table, c))
    : Array.from({ length: table.cols }, (_, j) => j).filter((j) => j !== w);
  if (picks.includes(w))
    throw new DataError(`the weight column ${JSON.stringify(column)} cannot also be a feature column`);
  if (picks.length === 0)
    throw new DataError(`the weight column ${JSON.stringify(column)} is the only column: there are no features left`);
  const sampleWeight = new Float64Array(table.rows);
  for (let i = 0; i < table.rows; i++) {
    const v = table.data[i * table.cols + w];
    if (v < 0)
      throw new DataError(
        `weight column ${JSON.stringify(column)}, data row ${(options.firstRow ?? 0) + i + 1}: the weight is ${v}; weights must be ≥ 0`,
      );
    sampleWeight[i] = v;
  }
  return { rows: pickColumns(table, picks), sampleWeight };
}

// ---------------------------------------------------------------- chunks

/** Options of the chunked readers. */
export interface ChunkOptions extends ParseOptions {
  /** Data rows per chunk (default 65,536). */
  chunkRows?: number;
  /**
   * A column of row weights (a header name or a number from 1): each chunk is
   * then `{ rows, sampleWeight }` (splitWeights), the rows being the other
   * columns, which fitAsync takes as weighted rows.
   */
  weightColumn?: string;
}

/**
 * Reads CSV, or NDJSON (one JSON array of numbers per line), from a stream of
 * UTF-8 bytes (a ReadableStream in browsers and Workers, any async iterable of
 * Uint8Array elsewhere) as tables of `chunkRows` rows (the first one more when
 * the file has no header), holding one chunk's text at a time. The format, the
 * delimiter and the header are detected on the first line, as parseTable does,
 * and apply to every chunk; errors name the row in the whole file. One JSON
 * document of rows (`[[…], […], …]`, as parseTable reads it) is read in
 * chunks too, however its lines are laid out (all on one line included).
 *
 * @param bytes the file's bytes, e.g. `(await fetch(url)).body` or `createReadStream(path)`
 * @param options the delimiter, the header and `chunkRows`
 * @example
 * for await (const chunk of csvChunks((await fetch(url)).body!, { chunkRows: 10_000 })) gmm.partialFit(chunk);
 */
export function csvChunks(
  bytes: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ChunkOptions & { weightColumn: string },
): AsyncGenerator<WeightedTable>;
export function csvChunks(
  bytes: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options?: ChunkOptions,
): AsyncGenerator<Table>;
export async function* csvChunks(
  bytes: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ChunkOptions = {},
): AsyncGenerator<Table | WeightedTable> {
  const { weightColumn } = options;
  if (weightColumn === undefined) {
    yield* tableChunks(bytes, options);
    return;
  }
  if (typeof weightColumn !== "string")
    throw new TypeError(`weightColumn must be a column name or number (a string); got ${String(weightColumn)}`);
  let rows = 0;
  for await (const table of tableChunks(bytes, options)) {
    yield splitWeights(table, weightColumn, { firstRow: rows });
    rows += table.rows;
  }
}

async function* tableChunks(
  bytes: ReadableStream<Uint8Array> | AsyncIterable<Uint8Array>,
  options: ChunkOptions,
): AsyncGenerator<Table> {
  const chunkRows = options.chunkRows ?? 65_536;
  if (!Number.isInteger(chunkRows) || chunkRows < 1)
    throw new RangeError(`chunkRows must be an integer ≥ 1; got ${String(chunkRows)}`);
  const decoder = new TextDecoder("utf-8");
  let pending = "";
  let block: string[] = [];
  let blockStart = 0; // physical lines before the block
  let linesSeen = 0;
  let settings: { delimiter: Delimiter; header: boolean; names?: string[] } | "ndjson" | undefined;
  const flush = (): Table | undefined => {
    // a block of blank lines and comments only (the file's tail) holds no rows
    if (
      !block.some((line) => {
        const t = line.trim();
        return t !== "" && !t.startsWith("#");
      })
    ) {
      blockStart = linesSeen;
      block = [];
      return undefined;
    }
    const text = block.join("\n");
    if (settings === undefined && isNdjson(block, blockStart)) settings = "ndjson";
    if (settings === "ndjson") {
      const table = parseJsonRows(text, blockStart);
      blockStart = linesSeen;
      block = [];
      return table;
    }
    const first = settings === undefined;
    const table = parseCsv(text, first ? options : { delimiter: settings!.delimiter, header: false }, blockStart);
    if (first) settings = { delimiter: table.delimiter!, header: table.header !== undefined, names: table.header };
    else table.header = settings!.names;
    blockStart = linesSeen;
    block = [];
    return table;
  };
  const iterable: AsyncIterable<Uint8Array> =
    Symbol.asyncIterator in bytes
      ? (bytes as AsyncIterable<Uint8Array>)
      : readerOf(bytes as ReadableStream<Uint8Array>);
  let dataLines = 0;
  const take = function* (text: string): Generator<Table> {
    let at = 0;
    for (;;) {
      const nl = text.indexOf("\n", at);
      if (nl < 0) break;
      let line = text.slice(at, nl);
      if (line.endsWith("\r")) line = line.slice(0, -1);
      at = nl + 1;
      if (linesSeen === 0 && line.charCodeAt(0) === 0xfeff) line = line.slice(1);
      linesSeen++;
      block.push(line);
      const trimmed = line.trim();
      if (trimmed !== "" && !trimmed.startsWith("#")) dataLines++;
      // the first block also holds the header line, which is not a data row
      if (dataLines >= chunkRows + (settings === undefined ? 1 : 0)) {
        const t = flush();
        dataLines = 0;
        if (t) yield t;
      }
    }
    pending = text.slice(at);
  };
  // The first characters decide: one JSON document of rows ("[" then a row
  // array, as parseTable decides) is read by its own scanner; anything else
  // by lines.
  const texts = decoded(iterable, decoder);
  let head = "";
  for await (const text of texts) {
    head += text;
    const kind = jsonDocumentAhead(head, false);
    if (kind === undefined) continue;
    if (kind) {
      yield* documentChunks(head, texts, chunkRows);
      return;
    }
    yield* take(head);
    for await (const more of texts) yield* take(pending + more);
    break;
  }
  if (head !== "" && pending === "" && linesSeen === 0) {
    // the input ended before the first characters decided (a short file)
    if (jsonDocumentAhead(head, true)) {
      yield* documentChunks(head, texts, chunkRows);
      return;
    }
    yield* take(head);
  }
  yield* take(pending + "\n");
  const last = flush();
  if (last) yield last;
}

/** The bytes as text, piece by piece, the decoder's tail last. */
async function* decoded(iterable: AsyncIterable<Uint8Array>, decoder: TextDecoder): AsyncGenerator<string> {
  for await (const piece of iterable) {
    const text = decoder.decode(piece, { stream: true });
    if (text !== "") yield text;
  }
  const tail = decoder.decode();
  if (tail !== "") yield tail;
}

/**
 * Whether the input starting with `head` is one JSON document of rows: "["
 * and then, after white space, a row ("[", or "{" for parseTable's message
 * on objects). An NDJSON line's values are not arrays, so its second
 * character is not. undefined while `head` cannot tell yet; decided within
 * the first characters, so a document on one line is not read whole first.
 */
function jsonDocumentAhead(head: string, atEnd: boolean): boolean | undefined {
  let at = 0;
  while (at < head.length && isSpace(head.charCodeAt(at))) at++;
  if (at < head.length && head[at] !== "[") return false;
  if (at < head.length) at++;
  while (at < head.length && isSpace(head.charCodeAt(at))) at++;
  // at the end, "[" alone is a document cut short ("" is no input: the lines say so)
  if (at === head.length) return atEnd ? head.trim() !== "" : undefined;
  return head[at] === "[" || head[at] === "{";
}

/**
 * One JSON document of rows ([[…], […], …]) in tables of `chunkRows` rows,
 * read as its text arrives: a scanner follows the nesting (brackets inside
 * strings do not count) and cuts the outer array at its commas, so one
 * chunk's rows are held at a time. Rows are numbered by their position in
 * the document and checked as parseTable checks them.
 */
async function* documentChunks(head: string, rest: AsyncIterable<string>, chunkRows: number): AsyncGenerator<Table> {
  let depth = 0; // 0 before the outer "[", 1 between rows, ≥ 2 inside a row
  let inString = false;
  let escaped = false;
  let closed = false; // the outer "]" was read
  let row = ""; // the current row's text so far
  let afterComma = false;
  let batch: string[] = [];
  let position = 0; // rows before the batch
  let cols = -1; // the first row's length, for every chunk's rows
  const broken = (why: string) => new DataError(`not valid JSON (${why})`);
  const table = (): Table => {
    const rows = new JsonRows(true, cols);
    let parsed: unknown[] | undefined;
    try {
      parsed = JSON.parse(`[${batch.join(",")}]`);
    } catch {
      // find the row that does not parse, and name it
      batch.forEach((text, i) => parseJson(text, position + i + 1));
    }
    parsed!.forEach((v, i) => rows.add(v, position + i + 1));
    cols = rows.cols;
    position += batch.length;
    batch = [];
    return rows.table("json");
  };
  const endRow = () => {
    if (row.trim() === "")
      throw broken(`row ${position + batch.length + 1} is missing: two commas, or a comma before "]"`);
    batch.push(row);
    row = "";
  };
  const scan = function* (text: string): Generator<Table> {
    let from = 0; // where the current row's text starts in `text`
    for (let at = 0; at < text.length; at++) {
      const c = text.charCodeAt(at);
      if (closed) {
        if (!isSpace(c))
          throw broken(`text after the document's closing "]", which followed row ${position + batch.length}`);
        continue;
      }
      if (depth === 0) {
        if (isSpace(c)) continue;
        if (c !== 91) throw broken('a JSON document of rows starts with "["');
        depth = 1;
        from = at + 1;
        continue;
      }
      if (inString) {
        if (escaped) escaped = false;
        else if (c === 92) escaped = true;
        else if (c === 34) inString = false;
        continue;
      }
      if (c === 34) inString = true;
      else if (c === 91 || c === 123) depth++;
      else if ((c === 93 || c === 125) && depth > 1) depth--;
      else if (depth === 1 && (c === 44 || c === 93)) {
        row += text.slice(from, at);
        from = at + 1;
        if (c === 44) {
          endRow();
          afterComma = true;
          if (batch.length >= chunkRows) yield table();
        } else {
          closed = true;
          if (row.trim() !== "" || afterComma) endRow();
          else if (position + batch.length === 0) throw new DataError("no data: the JSON array is empty");
        }
      }
    }
    if (depth >= 1 && !closed) row += text.slice(from);
  };
  yield* scan(head);
  for await (const text of rest) yield* scan(text);
  if (!closed) throw broken(depth === 0 ? "the input is empty" : 'the document ends before its closing "]"');
  if (batch.length > 0) yield table();
}

/**
 * Whether a block's first data line is an NDJSON row (a JSON array of
 * non-arrays). Input starting with "[" that is not (one JSON document of
 * rows) cannot be cut into chunks at line ends: it is refused.
 */
function isNdjson(block: readonly string[], firstRow = 0): boolean {
  const at = block.findIndex((l) => {
    const t = l.trim();
    return t !== "" && !t.startsWith("#");
  });
  const t = at < 0 ? "" : block[at].trim();
  if (!t.startsWith("[") && !t.startsWith("{")) return false;
  const v = tryJson(t);
  if (Array.isArray(v) && !Array.isArray(v[0])) return true;
  if (isObject(v)) throw objectRow(firstRow + at + 1);
  throw new DataError(
    "the chunked readers take CSV, NDJSON (one JSON array of numbers per line) or one JSON document of rows ([[…], […]] from its first character); this input is JSON of another shape",
  );
}

/** Whether a text that starts this way is NDJSON the chunked readers take: its first data line a JSON array of non-arrays. */
export function startsNdjson(firstLine: string): boolean {
  try {
    return isNdjson([firstLine]);
  } catch {
    return false;
  }
}

async function* readerOf(stream: ReadableStream<Uint8Array>): AsyncGenerator<Uint8Array> {
  const reader = stream.getReader();
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return;
      yield value;
    }
  } finally {
    reader.releaseLock();
  }
}

/**
 * A CSV file in Node, Deno or Bun, in chunks (csvChunks over the file's bytes):
 * pass `() => readCsvChunks(path)` to fitAsync for an out-of-core fit.
 *
 * @param path a file path
 * @param options the delimiter, the header and `chunkRows`
 * @example
 * await new GaussianMixture({ nComponents: 4, randomState: 0 }).fitAsync(() => readCsvChunks("big.csv"));
 */
export function readCsvChunks(
  path: string,
  options: ChunkOptions & { weightColumn: string },
): AsyncGenerator<WeightedTable>;
export function readCsvChunks(path: string, options?: ChunkOptions): AsyncGenerator<Table>;
export async function* readCsvChunks(path: string, options: ChunkOptions = {}): AsyncGenerator<Table | WeightedTable> {
  const fs = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process?.getBuiltinModule?.(
    "node:fs",
  ) as { createReadStream(path: string, o?: { highWaterMark?: number }): AsyncIterable<Uint8Array> } | undefined;
  if (!fs)
    throw new Error(
      "readCsvChunks needs a file system (Node ≥ 20.16, Deno or Bun); elsewhere pass a ReadableStream to csvChunks",
    );
  yield* csvChunks(fs.createReadStream(path, { highWaterMark: 1 << 20 }), options);
}
