// Model-based hierarchical clustering (src/hc.ts, assembly/hc.ts) against R
// mclust 6.0.0's hc(X, modelName = "VVV", use = "SVD") and hclass(tree, 1:6)
// (test/fixtures/hc.json, written by test/fixtures/make_hc.R), against the
// slow reference in test/hc-reference.ts, and on degenerate input.
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { describe, expect, it } from "vitest";
import { cutTree, HC_MAX_ROWS, type HcTree, hcTree, scaledSvd } from "../src/hc.js";
import { mark } from "../src/memory.js";
import { Random } from "../src/random.js";
import { kernels } from "../src/wasm.js";
import { mclustAlpha, naiveHc } from "./hc-reference.js";
import { datasets, normal } from "./helpers.js";
import { ROOT, run } from "./runtimes/helpers.js";

interface HcFixture {
  n: number;
  d: number;
  merges: [number[], number[]];
  partitions: Record<string, number[]>;
  transformed: number[][];
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/hc.json", import.meta.url), "utf8")) as Record<
  "faithful" | "iris",
  HcFixture
>;

const flatRows = (rows: number[][]) => Float64Array.from(rows.flat());
/** mclust's 2 × (n − 1) merge matrix as hcTree's flat 0-based pairs. */
const mclustMerges = (f: HcFixture) => f.merges[0].flatMap((lo, m) => [lo - 1, f.merges[1][m] - 1]);

/** The clusters a tree forms (each as its sorted rows), in merge order. */
function clustersFormed(merges: ArrayLike<number>, n: number): string[] {
  const members = new Map<number, number[]>();
  for (let i = 0; i < n; i++) members.set(i, [i]);
  const out: string[] = [];
  for (let m = 0; m < n - 1; m++) {
    const lo = merges[2 * m];
    const hi = merges[2 * m + 1];
    const joined = [...members.get(lo)!, ...members.get(hi)!].sort((a, b) => a - b);
    members.delete(hi);
    members.set(lo, joined);
    out.push(joined.join(","));
  }
  return out;
}

/** Every merge joins two current clusters, named by their smallest rows; costs are finite. */
function expectWellFormed(tree: HcTree): void {
  const { n, merges, costs } = tree;
  expect(merges.length).toBe(2 * (n - 1));
  expect(costs.length).toBe(n - 1);
  const alive = new Set(Array.from({ length: n }, (_, i) => i));
  for (let m = 0; m < n - 1; m++) {
    const lo = merges[2 * m];
    const hi = merges[2 * m + 1];
    expect(lo).toBeLessThan(hi);
    expect(alive.has(lo) && alive.has(hi)).toBe(true);
    alive.delete(hi);
    expect(Number.isFinite(costs[m])).toBe(true);
  }
}

function gaussianRows(n: number, d: number, seed: number): Float64Array {
  const rng = new Random(seed);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    const centre = (i % 3) * 3;
    for (let j = 0; j < d; j++) {
      const r = normal(rng);
      x[i * d + j] = centre * (j + 1) + r * (1 + j * 0.5);
    }
  }
  return x;
}

describe("hcTree against R mclust 6.0.0", () => {
  for (const name of ["faithful", "iris"] as const) {
    const f = fixture[name];
    const x = flatRows(datasets[name]);

    it(`scaledSvd(X) equals mclust's SVD-transformed ${name} up to column signs`, () => {
      const { z, d } = scaledSvd(x, f.n, f.d);
      expect(d).toBe(f.d);
      for (let j = 0; j < d; j++) {
        const sign = Math.sign(z[j]) * Math.sign(f.transformed[0][j]);
        for (let i = 0; i < f.n; i++) expect(Math.abs(z[i * d + j] - sign * f.transformed[i][j])).toBeLessThan(5e-15);
      }
    });

    it(`hcTree(X) gives mclust's ${f.n - 1} merges on ${name}, in mclust's order`, () => {
      const tree = hcTree(x, f.n, f.d);
      expectWellFormed(tree);
      // Iris has exact-arithmetic ties (pairs of rows with the same decimal
      // difference, e.g. rows 18/41 and 128/139), which both programs decide
      // by rounding; if a change of summation order ever swaps such merges,
      // the hierarchy test below is the one that must still hold.
      expect(Array.from(tree.merges)).toEqual(mclustMerges(f));
    });

    it(`hcTree(X) forms the same clusters as mclust on ${name}`, () => {
      const tree = hcTree(x, f.n, f.d);
      expect(new Set(clustersFormed(tree.merges, f.n))).toEqual(new Set(clustersFormed(mclustMerges(f), f.n)));
    });

    it(`hcTree on mclust's own transformed ${name} (use: "VARS") gives its merges`, () => {
      const tree = hcTree(flatRows(f.transformed), f.n, f.d, { use: "VARS" });
      expect(Array.from(tree.merges)).toEqual(mclustMerges(f));
    });

    it(`cutTree(tree, K) equals mclust's hclass(tree, K) on ${name} for K = 1…6, labels included`, () => {
      const tree = hcTree(x, f.n, f.d);
      for (let k = 1; k <= 6; k++) {
        expect(Array.from(cutTree(tree, k), (l) => l + 1)).toEqual(f.partitions[String(k)]);
      }
    });
  }
});

describe("hcTree against the naive reference", () => {
  for (const [n, d, seed] of [
    [36, 1, 1],
    [40, 2, 2],
    [40, 3, 3],
    [30, 5, 4],
  ]) {
    it(`gives the reference's merges on ${n} Gaussian rows in ${d}-D (as given and after the SVD transformation)`, () => {
      const x = gaussianRows(n, d, seed);
      expect(Array.from(hcTree(x, n, d, { use: "VARS" }).merges)).toEqual(
        Array.from(naiveHc(x, n, d, mclustAlpha(x, n, d))),
      );
      const { z, d: p } = scaledSvd(x, n, d);
      expect(Array.from(hcTree(x, n, d).merges)).toEqual(Array.from(naiveHc(z, n, p, mclustAlpha(z, n, p))));
    });
  }

  it("breaks the exact ties of duplicated rows as mclust does (last pair in packed order)", () => {
    const n = 40;
    const d = 2;
    const x = gaussianRows(n, d, 7);
    for (const [to, from] of [
      [5, 1],
      [9, 1],
      [20, 3],
      [33, 30],
      [39, 2],
      [12, 11],
    ])
      x.copyWithin(to * d, from * d, from * d + d);
    const tree = hcTree(x, n, d, { use: "VARS" });
    expectWellFormed(tree);
    expect(Array.from(tree.merges)).toEqual(Array.from(naiveHc(x, n, d, mclustAlpha(x, n, d))));
    // the first merge is a duplicated pair, the one whose upper row is largest
    expect(Array.from(tree.merges.subarray(0, 2))).toEqual([2, 39]);
  });

  it("with every row identical (all costs tie), follows the slot rule exactly", () => {
    const n = 12;
    const x = new Float64Array(n * 3).fill(1.5);
    const tree = hcTree(x, n, 3, { use: "VARS" });
    expectWellFormed(tree);
    expect(Array.from(tree.merges)).toEqual(Array.from(naiveHc(x, n, 3, mclustAlpha(x, n, 3))));
  });

  it("handles determinants beyond 1e300 (rows scaled by 1e60) in log space, as the reference does", () => {
    const n = 30;
    const d = 3;
    const x = gaussianRows(n, d, 5).map((v) => v * 1e60);
    const tree = hcTree(x, n, d, { use: "VARS" });
    expectWellFormed(tree);
    expect(Array.from(tree.merges)).toEqual(Array.from(naiveHc(x, n, d, mclustAlpha(x, n, d))));
  });
});

describe("cutTree", () => {
  const f = fixture.iris;
  const tree = hcTree(flatRows(datasets.iris), f.n, f.d);

  it("cutTree(tree, k) has k clusters labelled 0 … k−1 in order of first appearance, for every k", () => {
    for (let k = 1; k <= f.n; k++) {
      const labels = cutTree(tree, k);
      let next = 0;
      for (const l of labels) {
        expect(l).toBeLessThanOrEqual(next);
        if (l === next) next++;
      }
      expect(next).toBe(k);
    }
  });

  it("cutTree partitions are nested: each cluster for k lies inside one cluster for k − 1", () => {
    let coarse = cutTree(tree, 1);
    for (let k = 2; k <= f.n; k++) {
      const fine = cutTree(tree, k);
      const parent = new Map<number, number>();
      for (let i = 0; i < f.n; i++) {
        if (!parent.has(fine[i])) parent.set(fine[i], coarse[i]);
        expect(parent.get(fine[i])).toBe(coarse[i]);
      }
      coarse = fine;
    }
  });

  it("cutTree(tree, n) gives singletons and cutTree(tree, 1) one cluster", () => {
    expect(Array.from(cutTree(tree, f.n))).toEqual(Array.from({ length: f.n }, (_, i) => i));
    expect(Array.from(cutTree(tree, 1))).toEqual(new Array(f.n).fill(0));
  });

  it("cutTree refuses k outside 1 … n", () => {
    for (const k of [0, f.n + 1, 2.5, NaN]) expect(() => cutTree(tree, k)).toThrow(RangeError);
  });
});

describe("hcTree on degenerate input", () => {
  const faithful = flatRows(datasets.faithful);

  it("with every row the same, gives a tree of finite costs and any k clusters", () => {
    const n = 10;
    const x = new Float64Array(n * 2).fill(3);
    const tree = hcTree(x, n, 2);
    expectWellFormed(tree);
    for (let k = 1; k <= n; k++) expect(new Set(cutTree(tree, k)).size).toBe(k);
  });

  it("drops a constant column: the tree equals the tree without it", () => {
    const n = datasets.faithful.length;
    const withConstant = Float64Array.from(datasets.faithful.flatMap(([a, b]) => [a, 7, b]));
    expect(scaledSvd(withConstant, n, 3).d).toBe(2);
    expect(Array.from(hcTree(withConstant, n, 3).merges)).toEqual(Array.from(hcTree(faithful, n, 2).merges));
  });

  it("drops the zero singular value of a repeated column and stays finite", () => {
    const n = 60;
    const x = Float64Array.from(datasets.iris.slice(0, n).flatMap((r) => [...r, r[0]]));
    const { z, d } = scaledSvd(x, n, 5);
    expect(d).toBe(4);
    expect(z.every(Number.isFinite)).toBe(true);
    expectWellFormed(hcTree(x, n, 5));
  });

  it("with n = K rows, cutTree(tree, n) is every row on its own", () => {
    const x = faithful.slice(0, 5 * 2);
    const tree = hcTree(x, 5, 2);
    expectWellFormed(tree);
    expect(Array.from(cutTree(tree, 5))).toEqual([0, 1, 2, 3, 4]);
  });

  it("takes n = 1, n = 2 and fewer rows than columns", () => {
    expect(cutTree(hcTree(new Float64Array([1, 2]), 1, 2), 1)).toEqual(new Int32Array([0]));
    const two = hcTree(new Float64Array([1, 2, 3, 5]), 2, 2);
    expect(Array.from(two.merges)).toEqual([0, 1]);
    const wide = flatRows(datasets.iris.slice(0, 3));
    expect(scaledSvd(wide, 3, 4).d).toBeLessThanOrEqual(2);
    expectWellFormed(hcTree(wide, 3, 4));
  });

  it("with every column constant, returns a tree without NaN", () => {
    const tree = hcTree(new Float64Array(8 * 3).fill(-2), 8, 3);
    expectWellFormed(tree);
  });

  it("refuses non-finite values, a wrong length, more than HC_MAX_ROWS rows and bad options", () => {
    expect(() => hcTree(new Float64Array([1, NaN, 2, 3]), 2, 2)).toThrow(/x\[0\]\[1\] is NaN/);
    expect(() => hcTree(new Float64Array(5), 2, 2)).toThrow(RangeError);
    expect(() => hcTree(new Float64Array((HC_MAX_ROWS + 1) * 2), HC_MAX_ROWS + 1, 2)).toThrow(/HC_MAX_ROWS/);
    expect(() => hcTree(faithful, 272, 2, { alpha: 0 })).toThrow(RangeError);
    expect(() => hcTree(faithful, 272, 2, { use: "PCS" as "SVD" })).toThrow(RangeError);
  });

  it("gives the same tree on every call and leaves WebAssembly memory where it was", () => {
    const a = hcTree(faithful, 272, 2);
    const before = mark();
    const bytes = kernels().memory.buffer.byteLength;
    for (let i = 0; i < 20; i++) expect(hcTree(faithful, 272, 2)).toEqual(a);
    expect(mark()).toBe(before);
    expect(kernels().memory.buffer.byteLength).toBe(bytes);
  });
});

// The same rows through src/hc.ts in Bun (JavaScriptCore): the transformation
// uses only IEEE-exact operations and the logs run in WebAssembly, so the
// transformed rows, merges and costs must match Node's (V8) bit for bit.
const SCENARIO = `
import { init } from "./src/wasm.ts";
import { hcTree, scaledSvd } from "./src/hc.ts";
const bytes = (a) => Array.from(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), (b) => b.toString(16).padStart(2, "0")).join("");
export async function scenario(wasm, cases) {
  await init(wasm);
  return cases.map(({ x, n, d }) => {
    const rows = Float64Array.from(x);
    const tree = hcTree(rows, n, d);
    return bytes(scaledSvd(rows, n, d).z) + ":" + bytes(tree.merges) + ":" + bytes(tree.costs);
  });
}
`;

/** Rows from integer arithmetic only (no Math.log or Math.cos, whose bits differ between engines). */
function lcgRows(n: number, d: number): Float64Array {
  let s = 12345;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const x = new Float64Array(n * d);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < d; j++) {
      let v = 0;
      for (let r = 0; r < 6; r++) v += u();
      x[i * d + j] = v * (1 + (j % 3)) + (i % 4) * (j + 1);
    }
  }
  return x;
}

describe("hcTree across engines", () => {
  it("gives Node's transformed rows, merges and costs bit for bit in Bun (JavaScriptCore)", async () => {
    const bun = join(ROOT, "node_modules/bun/bin/bun.exe");
    // the npm package's placeholder until its postinstall links the binary (as test/runtimes/bun.test.ts)
    if (statSync(bun).size <= 1_000_000)
      await run(process.execPath, ["install.js"], { cwd: join(ROOT, "node_modules/bun") });
    const dir = mkdtempSync(join(tmpdir(), "gmm-hc-"));
    try {
      await build({
        stdin: { contents: SCENARIO, resolveDir: ROOT, loader: "js" },
        bundle: true,
        format: "esm",
        platform: "neutral",
        outfile: join(dir, "scenario.mjs"),
        logLevel: "warning",
      });
      const cases = [
        { x: Array.from(flatRows(datasets.iris)), n: 150, d: 4 },
        { x: Array.from(flatRows(datasets.faithful)), n: 272, d: 2 },
        { x: Array.from(lcgRows(300, 13)), n: 300, d: 13 },
        { x: Array.from(lcgRows(400, 3)), n: 400, d: 3 },
      ];
      const main = join(dir, "main.mjs");
      writeFileSync(
        main,
        `import { readFileSync } from "node:fs";
import { scenario } from "./scenario.mjs";
const cases = JSON.parse(readFileSync(0, "utf8"));
console.log(JSON.stringify(await scenario(readFileSync(${JSON.stringify(join(ROOT, "build/gmm.wasm"))}), cases)));
`,
      );
      const input = JSON.stringify(cases);
      const inBun = JSON.parse(
        (await run(bun, ["run", "--no-install", main], { input, timeoutMs: 60_000 })).stdout,
      ) as string[];
      const inNode = JSON.parse((await run(process.execPath, [main], { input, timeoutMs: 60_000 })).stdout) as string[];
      expect(inBun.length).toBe(cases.length);
      expect(inBun).toEqual(inNode);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
