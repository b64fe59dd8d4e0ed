// Out-of-core EM (#14 item 3): fitAsync over a source read in chunks, once per
// pass, and the chunked CSV readers of gmm-wasm/csv.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { csvChunks, parseTable, readCsvChunks, toCsv } from "../src/csv.js";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { kernels } from "../src/wasm.js";
import { datasets, maxRelativeError } from "./helpers.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** A source that yields X in chunks of the given sizes (cycling), anew on every pass. */
function chunked(X: number[][], sizes: number[]) {
  let passes = 0;
  const source = function* () {
    passes++;
    for (let at = 0, t = 0; at < X.length; t++) {
      const size = sizes[t % sizes.length];
      yield X.slice(at, at + size);
      at += size;
    }
  };
  return { source, passes: () => passes };
}

function startOf(X: number[][], type: CovarianceType, k: number) {
  const g = new GaussianMixture({ nComponents: k, covarianceType: type, randomState: 5, maxIter: 2 }).fit(X);
  return { weightsInit: g.weights, meansInit: g.means, precisionsInit: g.precisions };
}

describe("fitAsync over a chunked source", () => {
  for (const type of TYPES) {
    it(`equals the in-memory fit from the same given start to 1e-10 (${type}, iris and Old Faithful)`, async () => {
      for (const X of [datasets.iris, datasets.faithful]) {
        const options = { nComponents: 3, covarianceType: type, tol: 0, maxIter: 15, ...startOf(X, type, 3) };
        const { source, passes } = chunked(X, [37, 1, 50]);
        const streamed = await new GaussianMixture(options).fitAsync(source);
        const memory = new GaussianMixture(options).fit(X);
        expect(passes()).toBe(1 + 15); // one pass to count and sample, one per iteration
        expect(streamed.nIter).toBe(memory.nIter);
        expect(maxRelativeError(streamed.weights, memory.weights)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.means, memory.means)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.covariances, memory.covariances)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.lowerBound, memory.lowerBound)).toBeLessThan(1e-10);
        expect(streamed.toJSON().n_samples_fit).toBe(X.length);
      }
    });
  }

  it("starts without a given start from a seeded sample of the first pass, and converges as fit does", async () => {
    const X = datasets.faithful;
    const fit = () => new GaussianMixture({ nComponents: 2, randomState: 4 }).fitAsync(chunked(X, [100]).source);
    const a = await fit();
    const b = await fit();
    expect(a.toJSON()).toEqual(b.toJSON());
    expect(a.converged).toBe(true);
    // the sample is all 272 rows here, so the start is fit()'s own
    const memory = new GaussianMixture({ nComponents: 2, randomState: 4 }).fit(X);
    expect(maxRelativeError(a.means, memory.means)).toBeLessThan(1e-6);
    const auto = await new GaussianMixture({ nComponents: 3, initParams: "auto", randomState: 0 }).fitAsync(
      chunked(X, [64]).source,
    );
    expect(auto.lowerBound).toBeGreaterThan(
      new GaussianMixture({ nComponents: 3, randomState: 0 }).fit(X).lowerBound - 1e-6,
    );
  });

  it("fits 10^7 rows streamed in chunks with WebAssembly memory growing by less than 64 MiB", async () => {
    const n = 10_000_000;
    const rows = 1 << 16;
    const source = function* () {
      let s = 7;
      for (let at = 0; at < n; at += rows) {
        const m = Math.min(rows, n - at);
        const data = new Float64Array(m * 2);
        for (let t = 0; t < data.length; t++) {
          s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
          data[t] = ((at + (t >> 1)) % 2) * 6 + s / 2 ** 32;
        }
        yield { data, rows: m, cols: 2 };
      }
    };
    const before = kernels().memory.buffer.byteLength;
    const gmm = await new GaussianMixture({
      nComponents: 2,
      tol: 0,
      maxIter: 2,
      weightsInit: [0.5, 0.5],
      meansInit: [
        [0, 0],
        [6, 0],
      ],
      precisionsInit: [
        [
          [12, 0],
          [0, 12],
        ],
        [
          [12, 0],
          [0, 12],
        ],
      ],
    }).fitAsync(source);
    expect(gmm.toJSON().n_samples_fit).toBe(n);
    expect(gmm.means[1][0]).toBeCloseTo(6.5, 2);
    expect(kernels().memory.buffer.byteLength - before).toBeLessThan(64 * 2 ** 20);
  }, 120_000);

  it("refuses a chunk of other columns naming the chunk, an empty stream, and weights with a stream", async () => {
    const X = datasets.faithful;
    const bad = function* () {
      yield X.slice(0, 10);
      yield [[1, 2, 3]];
    };
    const gmm = new GaussianMixture({ nComponents: 2 });
    await expect(gmm.fitAsync(bad)).rejects.toThrow(
      /chunk 1 \(rows 10…\) of the stream: it has 3 columns but the first chunk had 2/,
    );
    await expect(gmm.fitAsync(function* () {})).rejects.toThrow(/the stream has no rows/);
    await expect(gmm.fitAsync(chunked(X, [50]).source, { sampleWeight: X.map(() => 1) })).rejects.toThrow(
      /sampleWeight cannot be given with a streamed source/,
    );
    const nan = function* () {
      yield X.slice(0, 10);
      yield [[1, NaN]];
    };
    await expect(gmm.fitAsync(nan)).rejects.toThrow(/chunk 1 \(rows 10…\) of the stream: X\[0\]\[1\] is NaN/);
    // dense chunks: the copy checks finiteness and the fit's ±1e100 limit in one pass
    for (const [value, message] of [
      [Number.POSITIVE_INFINITY, /X\[1\]\[0\] is Infinity: every value must be a finite number/],
      [-3e100, /X\[1\]\[0\] is -3e\+100: fit takes values within ±1e\+100/],
    ] as const) {
      for (const dtype of ["float64", "float32"] as const) {
        const data = Float64Array.from(X.slice(0, 20).flat());
        data[22] = value;
        const dense = function* () {
          yield { data: data.subarray(0, 20), rows: 10, cols: 2 };
          yield { data: data.subarray(20), rows: 10, cols: 2 };
        };
        await expect(new GaussianMixture({ nComponents: 2, dtype }).fitAsync(dense)).rejects.toThrow(
          new RegExp(`chunk 1 \\(rows 10…\\) of the stream: ${message.source}`),
        );
      }
    }
    expect(gmm.isFitted).toBe(false);
  });
});

describe("fitAsync over a chunked source with weights", () => {
  /** Weights 0 … 3 (zeros included), a fixed pattern. */
  const weightsOf = (n: number) => Array.from({ length: n }, (_, i) => (i * 7) % 4);

  /** Chunks of the given sizes; the odd-numbered ones are { rows, sampleWeight }, the others plain rows when their weights are all 1. */
  function weightedChunks(X: number[][], w: number[], sizes: number[]) {
    return function* () {
      for (let at = 0, t = 0; at < X.length; t++) {
        const size = sizes[t % sizes.length];
        const rows = X.slice(at, at + size);
        const sampleWeight = w.slice(at, at + size);
        if (sampleWeight.every((v) => v === 1)) yield rows;
        else yield t % 2 ? { rows, sampleWeight: Float64Array.from(sampleWeight) } : { rows, sampleWeight };
        at += size;
      }
    };
  }

  for (const type of TYPES) {
    it(`equals fit(X, { sampleWeight }) from the same given start to 1e-10 (${type}, iris and Old Faithful)`, async () => {
      for (const X of [datasets.iris, datasets.faithful]) {
        const w = weightsOf(X.length);
        // a run of weight-1 rows, so that plain chunks mix with weighted ones
        for (let i = 40; i < 80; i++) w[i] = 1;
        const options = { nComponents: 3, covarianceType: type, tol: 0, maxIter: 12, ...startOf(X, type, 3) };
        const streamed = await new GaussianMixture(options).fitAsync(weightedChunks(X, w, [40, 40, 13, 1]));
        const memory = new GaussianMixture(options).fit(X, { sampleWeight: w });
        const unweighted = new GaussianMixture(options).fit(X);
        expect(maxRelativeError(streamed.weights, memory.weights)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.means, memory.means)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.covariances, memory.covariances)).toBeLessThan(1e-10);
        expect(maxRelativeError(streamed.lowerBound, memory.lowerBound)).toBeLessThan(1e-10);
        // the weights did change the fit
        expect(maxRelativeError(streamed.means, unweighted.means)).toBeGreaterThan(1e-3);
      }
    });
  }

  it("starts from the weighted sample: with every row in it, fit(X, { sampleWeight })'s own start", async () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => 1 + (i % 5));
    const options = { nComponents: 2, randomState: 3, initParams: "kmeans" as const };
    const streamed = await new GaussianMixture(options).fitAsync(weightedChunks(X, w, [64]));
    const memory = new GaussianMixture(options).fit(X, { sampleWeight: w });
    expect(streamed.converged).toBe(true);
    expect(maxRelativeError(streamed.means, memory.means)).toBeLessThan(1e-6);
  });

  it("refuses bad weights naming sampleWeight, the chunk and the row, and a stream of zero weight; the model stays unfitted", async () => {
    const X = datasets.faithful;
    const gmm = new GaussianMixture({ nComponents: 2 });
    // bad weights as a JavaScript caller could pass them (the types would refuse undefined)
    const withBad = (bad: unknown) =>
      function* () {
        yield { rows: X.slice(0, 10), sampleWeight: X.slice(0, 10).map(() => 1) };
        yield { rows: X.slice(10, 20), sampleWeight: bad as number[] };
      };
    const w = Array.from({ length: 10 }, () => 1);
    await expect(gmm.fitAsync(withBad(w.map((v, i) => (i === 3 ? -1 : v))))).rejects.toThrow(
      /chunk 1 \(rows 10…\) of the stream: sampleWeight\[3\] \(row 13 of the stream\) is -1; every weight must be a finite number ≥ 0/,
    );
    await expect(gmm.fitAsync(withBad(w.map((v, i) => (i === 7 ? NaN : v))))).rejects.toThrow(
      /chunk 1 .*sampleWeight\[7\] \(row 17 of the stream\) is NaN/,
    );
    await expect(gmm.fitAsync(withBad(w.slice(1)))).rejects.toThrow(
      /chunk 1 \(rows 10…\) of the stream: sampleWeight has 9 weights but X has 10 rows/,
    );
    await expect(gmm.fitAsync(withBad(undefined))).rejects.toThrow(
      /chunk 1 .*sampleWeight must be an array of 10 numbers/,
    );
    // a chunk of zero weight is fine; a whole stream of zero weight is not
    const zeros = function* () {
      yield { rows: X.slice(0, 10), sampleWeight: new Float64Array(10) };
    };
    await expect(gmm.fitAsync(zeros)).rejects.toThrow(/the stream's sampleWeight is all zeros/);
    expect(gmm.isFitted).toBe(false);
    const someZero = function* () {
      yield { rows: X.slice(0, 10), sampleWeight: new Float64Array(10) };
      yield X.slice(10);
    };
    await gmm.fitAsync(someZero);
    expect(gmm.isFitted).toBe(true);
  });
});

describe("chunked CSV", () => {
  const bytesOf = (text: string, piece: number) =>
    (async function* () {
      const all = new TextEncoder().encode(text);
      for (let at = 0; at < all.length; at += piece) yield all.subarray(at, at + piece);
    })();

  it("csvChunks gives parseTable's rows in chunks, header and delimiter from the first line", async () => {
    const header = ["eruptions", "waiting"];
    const text = toCsv(header, datasets.faithful).replace(/\n/g, "\r\n").replace("\r\n", "\r\n# a comment\r\n\r\n");
    const whole = parseTable(text);
    for (const [piece, chunkRows] of [
      [7, 10],
      [4096, 100],
      [3, 272],
      [1 << 20, 1000],
    ]) {
      const chunks = [];
      for await (const t of csvChunks(bytesOf(text, piece), { chunkRows })) chunks.push(t);
      expect(chunks.every((t) => t.cols === 2 && t.header?.join() === header.join())).toBe(true);
      expect(chunks.reduce((a, t) => a + t.rows, 0)).toBe(272);
      expect(Array.from(chunks.flatMap((t) => Array.from(t.data)))).toEqual(Array.from(whole.data));
    }
    // semicolons, no header
    const plain = "1;2\n3;4\n5;6\n";
    const got = [];
    for await (const t of csvChunks(bytesOf(plain, 2), { chunkRows: 1 })) got.push(...t.data);
    expect(got).toEqual([1, 2, 3, 4, 5, 6]);
  });

  it("csvChunks reads NDJSON in chunks too", async () => {
    const X = datasets.faithful;
    const text = `# rows\n${X.map((r) => JSON.stringify(r)).join("\n")}\n\n`;
    const chunks = [];
    for await (const t of csvChunks(bytesOf(text, 33), { chunkRows: 50 })) chunks.push(t);
    expect(chunks.every((t) => t.format === "ndjson" && t.cols === 2)).toBe(true);
    expect(chunks.length).toBe(6);
    expect(chunks.flatMap((t) => Array.from(t.data))).toEqual(X.flat());
    const bad = text.split("\n");
    bad[120] = "[1.5, null]";
    const read = async (t: string) => {
      for await (const _ of csvChunks(bytesOf(t, 64), { chunkRows: 32 })) void _;
    };
    await expect(read(bad.join("\n"))).rejects.toThrow(/^row 121, column 2: missing value null/);
  });

  it("csvChunks reads one JSON document of rows in chunks, on one line or many, as parseTable reads it whole", async () => {
    const X = datasets.faithful;
    const layouts = [JSON.stringify(X), `[\n${X.map((r) => `  ${JSON.stringify(r)}`).join(",\n")}\n]\n`];
    for (const text of layouts) {
      for (const piece of [1, 7, 4096]) {
        const chunks = [];
        for await (const t of csvChunks(bytesOf(text, piece), { chunkRows: 50 })) chunks.push(t);
        expect(chunks.map((t) => t.rows)).toEqual([50, 50, 50, 50, 50, 22]);
        expect(chunks.every((t) => t.format === "json" && t.cols === 2)).toBe(true);
        expect(Float64Array.from(chunks.flatMap((t) => Array.from(t.data)))).toEqual(parseTable(text).data);
      }
    }
    const read = async (t: string) => {
      for await (const _ of csvChunks(bytesOf(t, 3), { chunkRows: 2 })) void _;
    };
    // the row is its position in the document, in any chunk; brackets in strings do not count
    await expect(read('[[1,2],[3,4],[5,"]"]]')).rejects.toThrow(/^row 3, column 2: "\]" is not a number/);
    await expect(read("[[1,2],[3,4],[5]]")).rejects.toThrow(/^row 3: 1 value, but the first row has 2/);
    await expect(read("[[1,2],[3,4],[5,6}]")).rejects.toThrow(/^row 3: not valid JSON/);
    await expect(read('[[1,2],{"a":1}]')).rejects.toThrow(/^row 2: this row is a JSON object/);
    await expect(read("[[1,2],,[3,4]]")).rejects.toThrow(/not valid JSON \(row 2 is missing/);
    await expect(read("[[1,2],[3,4]")).rejects.toThrow(/the document ends before its closing "\]"/);
    await expect(read("[[1,2],[3,4]] [5,6]")).rejects.toThrow(
      /text after the document's closing "\]", which followed row 2/,
    );
    await expect(read("[]")).rejects.toThrow(/^no data: the JSON array is empty/);
    await expect(read('{"a": 1}\n')).rejects.toThrow(/^row 1: this line is a JSON object/);
  });

  it("names the row in the whole file when a later chunk is malformed", async () => {
    const lines = ["a,b", ...Array.from({ length: 30 }, (_, i) => `${i},${i * 2}`)];
    lines[25] = "7,x";
    const read = async () => {
      for await (const _ of csvChunks(bytesOf(lines.join("\n"), 5), { chunkRows: 4 })) void _;
    };
    await expect(read()).rejects.toThrow(/row 26, column 2: "x" is not a number/);
  });

  it("weightColumn makes chunks { rows, sampleWeight }: the other columns and that column's values", async () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => i % 3);
    const text = toCsv(
      ["eruptions", "count", "waiting"],
      X.map((r, i) => [r[0], w[i], r[1]]),
    );
    const chunks = [];
    for await (const c of csvChunks(bytesOf(text, 100), { chunkRows: 50, weightColumn: "count" })) chunks.push(c);
    expect(chunks.length).toBe(6);
    expect(chunks.every((c) => c.rows.cols === 2 && c.rows.header?.join() === "eruptions,waiting")).toBe(true);
    expect(chunks.flatMap((c) => Array.from(c.sampleWeight))).toEqual(w);
    expect(chunks.flatMap((c) => Array.from(c.rows.data))).toEqual(X.flat());
    // by number too, and the fit is fit(X, { sampleWeight })
    const options = { nComponents: 2, tol: 0, maxIter: 8, ...startOf(X, "full", 2) };
    const streamed = await new GaussianMixture(options).fitAsync(() =>
      csvChunks(bytesOf(text, 4096), { chunkRows: 64, weightColumn: "2" }),
    );
    const memory = new GaussianMixture(options).fit(X, { sampleWeight: w });
    expect(maxRelativeError(streamed.means, memory.means)).toBeLessThan(1e-10);
    // a negative weight is named by its data row in the whole file; an unknown column by its name
    const bad = text.replace(`\n${X[70][0]},1,${X[70][1]}\n`, `\n${X[70][0]},-2,${X[70][1]}\n`);
    const read = async (t: string, column: string) => {
      for await (const _ of csvChunks(bytesOf(t, 64), { chunkRows: 32, weightColumn: column })) void _;
    };
    await expect(read(bad, "count")).rejects.toThrow(/weight column "count", data row 71: the weight is -2/);
    await expect(read(text, "n")).rejects.toThrow(/there is no column "n"/);
  });

  it("readCsvChunks streams a file into fitAsync: the fit of parseTable's rows", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gmm-stream-"));
    try {
      const path = join(dir, "faithful.csv");
      writeFileSync(path, toCsv(["eruptions", "waiting"], datasets.faithful));
      const options = { nComponents: 2, tol: 0, maxIter: 10, ...startOf(datasets.faithful, "full", 2) };
      const streamed = await new GaussianMixture(options).fitAsync(() => readCsvChunks(path, { chunkRows: 50 }));
      const memory = new GaussianMixture(options).fit(datasets.faithful);
      expect(maxRelativeError(streamed.means, memory.means)).toBeLessThan(1e-10);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
