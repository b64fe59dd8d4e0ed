// The image-segmentation example (`npm run example:segment`) in headless
// Chromium (the @sparticuz/chromium dev dependency's, or CHROMIUM_PATH): the page is given
// the shipped photo through its file input, reads it through a canvas,
// chooses K by BIC and fits in its module Web Worker. Its pixels must be the
// bytes Node's PNG decoder reads from the file, and its fitted model (the BIC
// table, weights, means, covariances, lower bound) the bits of the same fit in
// Node (the built package, same pixels, options and seed). Saves the
// screenshot the README shows (docs/segment.png). Needs dist/ (npm test builds it).
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { decodePng, encodePng } from "../examples/segment/png.mjs";
// @ts-expect-error: a plain ES module without type declarations
import { K_RANGE, samplePixels, segment } from "../examples/segment/segment.js";
import { startServer } from "../examples/segment/serve.mjs";
import { CHROMIUM_ARGS, chromiumPath } from "./runtimes/chromium-path.mjs";
import { ROOT, requireBuild } from "./runtimes/helpers.js";

const PHOTO = join(ROOT, "examples/segment/coffee.png");
// The README's picture is rewritten only on request (UPDATE_SCREENSHOTS=1 npm test):
// otherwise every test run would leave the working tree changed (timings on the page differ)
const SCREENSHOT =
  process.env.UPDATE_SCREENSHOTS === "1"
    ? join(ROOT, "docs/segment.png")
    : join(tmpdir(), `gmm-segment-${process.pid}.png`);

interface PageResult {
  width: number;
  height: number;
  model: Record<string, any>;
  selection?: {
    sampleSize: number;
    ms: number;
    table: { nComponents: number; bic: number; degenerate: boolean; selected: boolean }[];
  };
  fitMs: number;
  totalMs: number;
  degenerate: unknown[];
  counts: number[];
  logDensitySum: number;
  typical: number;
  rare: number;
}

declare global {
  interface Window {
    gmmSegment: { result: PageResult | null; pixelsRGB(): number[] | null };
  }
}

let server: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
let profile: string;
let lib: typeof import("gmm-wasm");
let photo: { width: number; height: number; rgb: Uint8Array };
const problems: string[] = [];

beforeAll(async () => {
  requireBuild();
  lib = await import("gmm-wasm");
  await lib.init();
  photo = decodePng(readFileSync(PHOTO));
  server = await startServer({ port: 0 });
  profile = mkdtempSync(join(tmpdir(), "gmm-segment-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: await chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1000, height: 600 },
  });
  page = context.pages()[0] ?? (await context.newPage());
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error") problems.push(`console error: ${m.text()}`);
  });
  await page.goto(server.url);
  await page.waitForSelector('#status[data-state="idle"]', { timeout: 20_000 });
}, 60_000);

afterAll(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

/** Waits for the page's next result (window.gmmSegment.result is null while a run is pending). */
async function waitForResult(): Promise<PageResult> {
  await page.waitForFunction(
    () => window.gmmSegment.result !== null || document.getElementById("status")!.dataset.state === "error",
    undefined,
    { timeout: 30_000 },
  );
  if ((await page.getAttribute("#status", "data-state")) === "error")
    throw new Error(`the page says: ${await page.textContent("#status")}`);
  return (await page.evaluate(() => window.gmmSegment.result))!;
}

/** Forgets the last result, so that waitForResult waits for the next one. */
function forgetResult() {
  return page.evaluate(() => {
    window.gmmSegment.result = null;
  });
}

/** Flattens the fitted parameters of a model JSON for comparison. */
function parameters(json: Record<string, any>): Record<string, number[]> {
  return {
    weights: json.weights_,
    means: json.means_.flat(),
    covariances: json.covariances_.flat(2),
    precisionsCholesky: json.precisions_cholesky_.flat(2),
    lowerBound: [json.lower_bound_],
    nIter: [json.n_iter_],
  };
}

/** Same bits, value by value (and so within any tolerance); reports the largest relative difference first. */
function expectSameFit(actual: Record<string, number[]>, expected: Record<string, number[]>) {
  let worst = 0;
  let where = "";
  const differ: string[] = [];
  for (const [name, b] of Object.entries(expected)) {
    const a = actual[name];
    expect(a.length, name).toBe(b.length);
    b.forEach((v, i) => {
      const err = Math.abs(a[i] - v) / Math.max(Math.abs(v), 1e-300);
      if (!(err <= worst)) {
        worst = err;
        where = `${name}[${i}]: ${a[i]} vs Node's ${v}`;
      }
      if (!Object.is(a[i], v)) differ.push(`${name}[${i}]`);
    });
  }
  expect(worst, `largest relative difference at ${where}`).toBeLessThanOrEqual(1e-9);
  expect(differ, `values whose bits differ from Node's: ${differ.slice(0, 5).join(", ")}`).toEqual([]);
}

/** The same segmentation in Node, with the summaries the page reports. */
function nodeSegment(k: number | "bic", seed: number) {
  const result = segment(lib, photo.rgb, { k, seed });
  const counts = new Array(result.gmm.nComponents).fill(0);
  for (const l of result.labels) counts[l]++;
  let logDensitySum = 0;
  for (const v of result.logDensity) logDensitySum += v;
  return { ...result, model: result.gmm.toJSON(), counts, logDensitySum };
}

describe("PNG reader (Node side)", () => {
  it("round-trips through the writer, and the shipped photo is 300 × 200 RGB with no colour chunks", () => {
    expect([photo.width, photo.height, photo.rgb.length]).toEqual([300, 200, 180_000]);
    const again = decodePng(encodePng(photo.rgb, photo.width, photo.height));
    expect(Buffer.from(again.rgb).equals(Buffer.from(photo.rgb))).toBe(true);
    const chunks: string[] = [];
    const bytes = readFileSync(PHOTO);
    for (let o = 8; o < bytes.length; o += 12 + bytes.readUInt32BE(o))
      chunks.push(bytes.toString("latin1", o + 4, o + 8));
    expect(chunks).toEqual(["IHDR", "IDAT", "IEND"]);
  });

  it("samplePixels draws distinct indices, in order, the same for the same seed", () => {
    const a: Int32Array = samplePixels(60_000, 3000, 0);
    expect(a.length).toBe(3000);
    expect(new Set(a).size).toBe(3000);
    expect(Array.from(a).every((v: number, i: number) => i === 0 || v > a[i - 1])).toBe(true);
    expect(Array.from(samplePixels(60_000, 3000, 0))).toEqual(Array.from(a));
    expect(Array.from(samplePixels(60_000, 3000, 1))).not.toEqual(Array.from(a));
  });
});

describe("segmentation page", () => {
  let bic: PageResult;
  let node: ReturnType<typeof nodeSegment>;

  it("picks the shipped photo through the file input, chooses K by BIC and fits in its Web Worker, reporting progress", async () => {
    // Record every progress report the page shows (one worker message each).
    await page.evaluate(() => {
      const status = document.getElementById("status")!;
      const seen: { iterations: number[]; texts: string[] } = ((window as any).progressSeen = {
        iterations: [],
        texts: [],
      });
      new MutationObserver((records) => {
        for (const r of records) {
          if (r.type === "attributes" && status.dataset.iterations)
            seen.iterations.push(Number(status.dataset.iterations));
          if (r.type === "childList") seen.texts.push(status.textContent ?? "");
        }
      }).observe(status, { attributes: true, attributeFilter: ["data-iterations"], childList: true });
    });
    await page.setInputFiles("#file", PHOTO);
    bic = await waitForResult();
    node = nodeSegment("bic", 0);
    const seen = await page.evaluate(() => (window as any).progressSeen as { iterations: number[]; texts: string[] });
    expect([bic.width, bic.height]).toEqual([300, 200]);
    expect(bic.model.n_components).toBe(node.gmm.nComponents);
    expect(bic.selection!.table.map((r) => r.nComponents)).toEqual(K_RANGE);
    // one progress report per fit of the BIC grid, then one per EM iteration of the final fit
    const total = K_RANGE.length;
    for (let i = 1; i <= total; i++)
      expect(seen.texts.some((t) => t.startsWith(`Choosing K by BIC: fit ${i} of ${total}`))).toBe(true);
    expect(seen.iterations).toEqual(Array.from({ length: bic.model.n_iter_ }, (_, i) => i + 1));
    console.log(
      `segmentation in Chromium: K = ${bic.model.n_components} by BIC (${bic.selection!.ms.toFixed(0)} ms on ${bic.selection!.sampleSize} pixels), EM on ${bic.width * bic.height} pixels ${bic.fitMs.toFixed(0)} ms (${bic.model.n_iter_} iterations), in all ${bic.totalMs.toFixed(0)} ms; Node: EM ${node.fitMs.toFixed(0)} ms`,
    );
  });

  it("reads the photo's pixels exactly as Node's PNG decoder (no colour management, no premultiplication)", async () => {
    const rgb = (await page.evaluate(() => window.gmmSegment.pixelsRGB()))!;
    expect(rgb.length).toBe(photo.rgb.length);
    let differ = 0;
    for (let i = 0; i < rgb.length; i++) if (rgb[i] !== photo.rgb[i]) differ++;
    expect(differ, "bytes that differ from Node's decoding").toBe(0);
  });

  it("the BIC table and the fitted model are Node's, bit for bit", () => {
    const table = node.selection!.table;
    expectSameFit({ bic: bic.selection!.table.map((r) => r.bic) }, { bic: table.map((r: { bic: number }) => r.bic) });
    expect(bic.selection!.table.map((r) => r.selected)).toEqual(table.map((r: { selected: boolean }) => r.selected));
    expectSameFit(parameters(bic.model), parameters(node.model));
    expect(bic.model.converged_).toBe(node.model.converged_);
    expect(bic.counts).toEqual(node.counts);
    expect(
      Object.is(bic.logDensitySum, node.logDensitySum),
      `${bic.logDensitySum} vs Node's ${node.logDensitySum}`,
    ).toBe(true);
    expect(bic.degenerate).toEqual([]);
  });

  it("paints the segmentation in the component means' colours and the unusual-pixel map, then saves the screenshot", async () => {
    const colours = await page.evaluate(() => {
      const read = (id: string) => {
        const c = document.getElementById(id) as HTMLCanvasElement;
        return Array.from(c.getContext("2d")!.getImageData(0, 0, c.width, c.height).data);
      };
      const distinct = (d: number[]) => {
        const s = new Set<string>();
        for (let i = 0; i < d.length; i += 4) s.add(`${d[i]},${d[i + 1]},${d[i + 2]}`);
        return [...s];
      };
      const unusual = read("unusual");
      let bright = 0,
        black = 0;
      for (let i = 0; i < unusual.length; i += 4) {
        if (unusual[i] === 0 && unusual[i + 1] === 0 && unusual[i + 2] === 0) black++;
        if (unusual[i + 1] > 200) bright++;
      }
      return { segmentation: distinct(read("segmentation")), black, bright };
    });
    const means = (bic.model.means_ as number[][]).map((m) =>
      m.map((v) => Math.min(255, Math.max(0, Math.round(v)))).join(","),
    );
    expect(colours.segmentation.sort()).toEqual([...new Set(means)].sort());
    // at or above the median log-density is black: at least half the pixels; the rarest 0.1 % or so are pale
    expect(colours.black).toBeGreaterThanOrEqual(30_000);
    expect(colours.bright).toBeGreaterThan(0);
    expect(colours.bright).toBeLessThan(3000);
    await page.screenshot({ path: SCREENSHOT, fullPage: true });
    expect(existsSync(SCREENSHOT)).toBe(true);
    if (process.env.UPDATE_SCREENSHOTS !== "1") rmSync(SCREENSHOT);
  });

  it("a K chosen by the user (4, seed 3) gives Node's fit, bit for bit", async () => {
    await page.selectOption("#k", "4");
    await page.fill("#seed", "3");
    await forgetResult();
    await page.click("#run");
    const chosen = await waitForResult();
    const expected = nodeSegment(4, 3);
    expect(chosen.selection).toBeUndefined();
    expect(chosen.model.n_components).toBe(4);
    expectSameFit(parameters(chosen.model), parameters(expected.model));
    expect(chosen.counts).toEqual(expected.counts);
  });

  it("the sample button loads the same photo", async () => {
    await page.selectOption("#k", "3");
    await forgetResult();
    await page.click("#sample");
    const result = await waitForResult();
    expect(result.model.n_components).toBe(3);
    expect(await page.textContent("#original-caption")).toBe("coffee.png: 300 × 200 pixels.");
  });

  it("logged no page or console errors", () => {
    expect(problems).toEqual([]);
  });
});
