import { readFileSync } from "node:fs";
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import {
  DataError,
  detectDelimiter,
  isDecimalNumber,
  parseTable,
  selectColumns,
  type Table,
  toCsv,
} from "../src/csv.js";

const faithfulText = readFileSync(new URL("../data/faithful.csv", import.meta.url), "utf8");

function rows(t: Table): number[][] {
  return Array.from({ length: t.rows }, (_, i) => Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols)));
}

function errorOf(input: string | Uint8Array): DataError {
  try {
    parseTable(input);
  } catch (e) {
    expect(e).toBeInstanceOf(DataError);
    return e as DataError;
  }
  throw new Error(`parseTable accepted ${JSON.stringify(input)}`);
}

describe("parseTable: CSV", () => {
  it("parseTable(faithful.csv) reads the quoted header and 272 rows of two numbers", () => {
    const t = parseTable(faithfulText);
    expect(t.format).toBe("csv");
    expect(t.delimiter).toBe(",");
    expect(t.header).toEqual(["eruptions", "waiting"]);
    expect([t.rows, t.cols]).toEqual([272, 2]);
    expect(rows(t)[0]).toEqual([3.6, 79]);
    expect(rows(t)[271]).toEqual([4.467, 74]);
  });

  it("a first row of numbers is data, not a header", () => {
    const t = parseTable("1,2\n3,4\n");
    expect(t.header).toBeUndefined();
    expect(rows(t)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it("header: true keeps a numeric first row as the header", () => {
    const t = parseTable("2019,2020\n3,4\n", { header: true });
    expect(t.header).toEqual(["2019", "2020"]);
    expect(rows(t)).toEqual([[3, 4]]);
  });

  it.each([
    ["semicolon", "a;b\n1.5;2\n3;-4e2\n", ";"],
    ["tab", "a\tb\n1.5\t2\n3\t-4e2\n", "\t"],
    ["runs of spaces", "  a   b\n 1.5  2  \n3 \t -4e2\n", " "],
    ["comma and spaces", "a, b\n1.5, 2\n3 ,-4e2\n", ","],
  ])("detects the delimiter: %s", (_, text, delimiter) => {
    const t = parseTable(text);
    expect(t.delimiter).toBe(delimiter);
    expect(t.header).toEqual(["a", "b"]);
    expect(rows(t)).toEqual([
      [1.5, 2],
      [3, -400],
    ]);
  });

  it("detectDelimiter ignores delimiters inside quotes", () => {
    expect(detectDelimiter('"a,b" "c"')).toBe(" ");
    expect(detectDelimiter('"a;b",c')).toBe(",");
  });

  it("reads CRLF and lone CR line ends, a byte-order mark, blank lines and # comments", () => {
    const t = parseTable("\uFEFF# made by hand\r\nx,y\r\n1,2\r\n\r\n3,4\r5,6");
    expect(t.header).toEqual(["x", "y"]);
    expect(rows(t)).toEqual([
      [1, 2],
      [3, 4],
      [5, 6],
    ]);
  });

  it("undoes RFC 4180 quoting in names and values", () => {
    const t = parseTable('"say ""hi""","a,b"\n"1","2.5"\n');
    expect(t.header).toEqual(['say "hi"', "a,b"]);
    expect(rows(t)).toEqual([[1, 2.5]]);
  });

  it("reads UTF-8 bytes as well as text", () => {
    const t = parseTable(new TextEncoder().encode("größe,x\n1,2\n"));
    expect(t.header).toEqual(["größe", "x"]);
  });

  it("a single column needs no delimiter", () => {
    const t = parseTable("value\n1\n2\n3\n");
    expect([t.rows, t.cols]).toEqual([3, 1]);
  });
});

describe("parseTable: errors name the row (line of the file) and the column", () => {
  it.each([
    ["a,b\n1,2\n3,abc\n", 'row 3, column 2: "abc" is not a number'],
    ["a,b\n1,2\n\n3,4,5\n", "row 4: 3 values, but the header has 2; every row needs the same number of columns"],
    ["1,2\n3\n", "row 2: 1 value, but the first row has 2; every row needs the same number of columns"],
    ["a,b\n1,\n", "row 2, column 2: empty value: remove or impute missing values first"],
    ["a,b\n1,NA\n", 'row 2, column 2: missing value "NA": remove or impute missing values first'],
    ["a;b\n1;2,5\n", 'row 2, column 2: "2,5" is not a number (decimal commas are not read: use a point)'],
    ["a,b\n1,1e999\n", 'row 2, column 2: "1e999" is too large to be a finite number'],
    ["a,b\n1,0x1f\n", 'row 2, column 2: "0x1f" is not a number'],
    ['a,b\n1,"2\n', "row 2, column 2: a quoted field is not closed (a quoted value cannot span lines)"],
    ['a,b\n"1"x,2\n', 'row 2, column 1: unexpected "x" after a closing quote'],
    ["", "no data: the input is empty"],
    [" \n\t\n", "no data: the input is empty"],
    ["# only a comment\n", "no data: the input has only blank lines and # comments"],
    ["x,y\n", "no data: there is a header row but no rows of numbers after it"],
  ])("parseTable(%j) throws %j", (input, message) => {
    const e = errorOf(input);
    expect(e.message).toBe(message);
  });

  it("a very long bad value is shortened in the message", () => {
    const e = errorOf(`a\n${"z".repeat(10_000)}\n`);
    expect(e.message.length).toBeLessThan(80);
    expect([e.row, e.column]).toEqual([2, 1]);
  });
});

describe("parseTable: NDJSON and JSON", () => {
  it("reads one JSON array per line", () => {
    const t = parseTable("[1, 2]\n[3.5, -4]\n\n[5e-3, 6]\n");
    expect(t.format).toBe("ndjson");
    expect(rows(t)).toEqual([
      [1, 2],
      [3.5, -4],
      [0.005, 6],
    ]);
  });

  it("reads a whole JSON document of rows, on one line or several", () => {
    expect(rows(parseTable("[[1,2],[3,4]]"))).toEqual([
      [1, 2],
      [3, 4],
    ]);
    const t = parseTable("[\n  [1, 2],\n  [3, 4]\n]\n");
    expect(t.format).toBe("json");
    expect(rows(t)).toEqual([
      [1, 2],
      [3, 4],
    ]);
  });

  it.each([
    ["[1,2]\n[3,\n", /^row 2: not valid JSON/],
    ['[1,2]\n[3,"x"]\n', /^row 2, column 2: "x" is not a number$/],
    ["[1,2]\n[3,null]\n", /^row 2, column 2: missing value null/],
    ["[1,2]\n[3]\n", /^row 2: 1 value, but the first row has 2/],
    ['[1,2]\n{"a":1}\n', /^row 2: this line is a JSON object; NDJSON lines must be JSON arrays of numbers/],
    ["[1,2]\n3\n", /^row 2: expected a JSON array of numbers, got number$/],
    ["[1,[[[2]]]]\n", /^row 1, column 2: "\[\.\.\.\]" is not a number$/],
    ["[]", /^no data: the JSON array is empty$/],
    ["[\n[1,2],\n[3,\n", /^not valid JSON/],
  ])("parseTable(%j) throws %s", (input, message) => {
    expect(errorOf(input).message).toMatch(message);
  });
});

describe("parseTable: JSON objects instead of arrays", () => {
  // These used to fail on the CSV fields ("unexpected ':' after a closing
  // quote", "there is a header row but no rows of numbers after it").
  it.each([
    ['{"a":1,"b":2}\n{"a":3,"b":4}\n', 1],
    ['{"a":1}\n', 1],
    ['{"a":1}\n{"a":3}\n', 1],
    ['\n\n  {"a": 1, "b": 2}\n', 3],
  ])("NDJSON of objects %j: the message says lines must be arrays and names line %d", (input, row) => {
    const e = errorOf(input);
    expect(e.message).toBe(
      `row ${row}: this line is a JSON object; NDJSON lines must be JSON arrays of numbers, such as [3.6, 79] (objects with named fields are not read)`,
    );
    expect(e.row).toBe(row);
  });

  it("one JSON object, and a JSON array of objects, say what is read instead", () => {
    expect(errorOf('{\n  "x": [1, 2]\n}\n').message).toBe(
      "the input is one JSON object; NDJSON lines must be JSON arrays of numbers, such as [3.6, 79], one per line, or a JSON array of such rows",
    );
    for (const input of ['[{"a":1},{"a":2}]', '[\n  {"a": 1},\n  {"a": 2}\n]\n']) {
      expect(errorOf(input).message).toBe(
        "row 1: this row is a JSON object; every row must be a JSON array of numbers, such as [3.6, 79]",
      );
    }
  });

  it("a CSV whose header starts with { is still CSV", () => {
    const t = parseTable("{a},b\n1,2\n");
    expect(t.header).toEqual(["{a}", "b"]);
    expect(rows(t)).toEqual([[1, 2]]);
  });
});

describe("number recognition", () => {
  // The pattern the reader used before the scanner (quadratic on long digit runs): the reference for short strings.
  const OLD = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?$/;

  it("isDecimalNumber accepts exactly what the old pattern accepted", () => {
    const text = fc.string({ unit: fc.constantFrom(..."0123456789+-.eE ,x\u0660"), maxLength: 12 });
    fc.assert(
      fc.property(text, (s) => isDecimalNumber(s) === OLD.test(s)),
      { numRuns: 20_000, seed: 3 },
    );
    for (const s of [
      "1",
      "-1.5",
      "+.5",
      "5.",
      "1e5",
      "1.E-5",
      "0x1f",
      "",
      ".",
      "-",
      "1e",
      "e1",
      "Infinity",
      " 1",
      "1 ",
      "1_000",
      "١",
    ]) {
      expect(isDecimalNumber(s), s).toBe(OLD.test(s));
    }
  });

  it("time is linear in the length of a long digit run followed by a letter", () => {
    // Seconds per call, the best of 3 windows of ≥ 20 ms (robust to a slow machine and to GC).
    const perCall = (input: string) => {
      let best = Infinity;
      for (let rep = 0; rep < 3; rep++) {
        const t0 = performance.now();
        let calls = 0;
        let t = t0;
        do {
          expect(() => parseTable(input)).toThrow(DataError);
          calls++;
          t = performance.now();
        } while (t - t0 < 20);
        best = Math.min(best, (t - t0) / calls);
      }
      return best;
    };
    const shapes: [string, (digits: string) => string][] = [
      ["a data cell", (d) => `a\n${d}x\n`],
      ["the decimal-comma check", (d) => `a;b\n1;${d},x\n`],
      ["header detection", (d) => `${d}x\n`],
    ];
    for (const [where, make] of shapes) {
      // Quadratic matching made this ratio about 100 (20k digits took over a second).
      const ratio = perCall(make("1".repeat(20_000))) / perCall(make("1".repeat(2_000)));
      expect(ratio, `${where}: 10× the digits took ${ratio.toFixed(1)}× the time`).toBeLessThan(30);
    }
  });
});

describe("selectColumns and toCsv", () => {
  it("selectColumns picks columns by header name or by number from 1, in the order given", () => {
    const t = parseTable("a,b,c\n1,2,3\n4,5,6\n");
    const s = selectColumns(t, ["c", "1"]);
    expect(s.header).toEqual(["c", "a"]);
    expect(rows(s)).toEqual([
      [3, 1],
      [6, 4],
    ]);
    expect(() => selectColumns(t, ["d"])).toThrow(
      'there is no column "d": use columns "a", "b", "c" or numbers 1 to 3',
    );
    expect(() => selectColumns(t, ["4"])).toThrow(DataError);
  });

  it("toCsv then parseTable gives back the same doubles and names", () => {
    fc.assert(
      fc.property(
        fc.array(fc.array(fc.double({ noNaN: true, noDefaultInfinity: true }), { minLength: 2, maxLength: 2 }), {
          minLength: 1,
          maxLength: 20,
        }),
        (data) => {
          const t = parseTable(toCsv(["x, the first", 'y "2"'], data));
          expect(t.header).toEqual(["x, the first", 'y "2"']);
          expect(rows(t)).toEqual(data);
        },
      ),
      { numRuns: 200, seed: 7 },
    );
  });
});

describe("parseTable on hostile input", () => {
  const check = (input: string | Uint8Array) => {
    let t: Table;
    try {
      t = parseTable(input);
    } catch (e) {
      expect(e).toBeInstanceOf(DataError);
      expect((e as Error).message.length).toBeGreaterThan(0);
      expect((e as Error).message).not.toMatch(/\n/);
      return;
    }
    expect(t.rows).toBeGreaterThan(0);
    expect(t.cols).toBeGreaterThan(0);
    expect(t.data.length).toBe(t.rows * t.cols);
    expect(t.data.every((v) => Number.isFinite(v))).toBe(true);
  };

  it("random bytes either parse to a consistent table or throw a DataError", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (bytes) => check(bytes)),
      { numRuns: 3000, seed: 1 },
    );
  });

  it("random strings of delimiters, quotes, brackets, digits and line ends do the same", () => {
    const alphabet = [
      ",",
      ";",
      "\t",
      " ",
      '"',
      "\n",
      "\r",
      "[",
      "]",
      "{",
      "}",
      "1",
      "2",
      ".",
      "e",
      "-",
      "+",
      "a",
      "#",
      "N",
      "A",
      "\uFEFF",
      "null",
    ];
    const text = fc.array(fc.constantFrom(...alphabet), { maxLength: 120 }).map((a) => a.join(""));
    fc.assert(
      fc.property(text, (s) => check(s)),
      { numRuns: 5000, seed: 2 },
    );
  });

  it("large adversarial inputs finish quickly", () => {
    const started = performance.now();
    for (const s of [
      "[".repeat(200_000),
      `[${"[".repeat(100_000)}1${"]".repeat(100_000)}]`,
      '"'.repeat(200_000),
      `a\n${",".repeat(200_000)}`,
      `${"1,".repeat(100_000)}1\n`.repeat(3),
      "\r".repeat(200_000) + "x",
      `a\n"${'""'.repeat(100_000)}`,
    ])
      check(s);
    expect(performance.now() - started).toBeLessThan(3000);
  });
});
