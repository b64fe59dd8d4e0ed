// Chromium (from the @sparticuz/chromium dev dependency, or CHROMIUM_PATH) driven by
// playwright-core: a page served over HTTP imports dist/index.js, init()
// fetches gmm.wasm beside it, and the shared scenario runs on the main thread
// and in a module Web Worker; both must give Node's bits. A long fit in the
// worker must leave the main thread ticking.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, chromiumPath } from "./chromium-path.mjs";
import {
  expectAgree,
  expectSameBits,
  faithful,
  nodeReference,
  requireBuild,
  type ScenarioResult,
  type StaticServer,
  serveStatic,
} from "./helpers.js";
import { fromBits, heavyFit } from "./scenario.mjs";

interface Measured {
  value: { lowerBound: number; nIter: number; fitMs: number };
  elapsed: number;
  ticksDuring: number;
  framesDuring: number;
  maxGap: number;
}

declare global {
  interface Window {
    gmmTest: {
      userAgent: string;
      mainThread(X: number[][]): Record<string, string>;
      worker(X: number[][]): Promise<Record<string, string>>;
      heavyOnMainThread(X: number[][]): Promise<Measured>;
      heavyInWorker(X: number[][]): Promise<Measured>;
    };
  }
}

describe("Chromium", () => {
  let reference: ScenarioResult;
  let server: StaticServer;
  let userDataDir: string;
  let context: BrowserContext;
  let page: Page;
  const pageErrors: string[] = [];

  beforeAll(async () => {
    requireBuild();
    const executablePath = await chromiumPath();
    reference = await nodeReference();
    server = await serveStatic(["dist/", "test/runtimes/"]);
    userDataDir = mkdtempSync(join(tmpdir(), "gmm-chromium-"));
    context = await chromium.launchPersistentContext(userDataDir, {
      executablePath,
      headless: true,
      args: CHROMIUM_ARGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    page.on("pageerror", (e) => pageErrors.push(e.message));
    page.on("console", (m) => {
      if (m.type() === "error") pageErrors.push(`${m.text()} (${m.location().url})`);
    });
    await page.goto(`${server.origin}/test/runtimes/browser/index.html`);
    try {
      await page.waitForFunction(() => window.gmmTest !== undefined, undefined, { timeout: 15_000 });
    } catch (e) {
      throw new Error(`the test page did not start: ${pageErrors.join("; ") || (e as Error).message}`);
    }
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    await server?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
  });

  it("loads the package in a page (headless Chromium, import map, init() fetching gmm.wasm)", async () => {
    expect(await page.evaluate(() => window.gmmTest.userAgent)).toMatch(/Chrome\/\d+/);
    const wasm = await fetch(`${server.origin}/dist/gmm.wasm`);
    expect(wasm.headers.get("content-type")).toBe("application/wasm");
  });

  it("the main thread computes Node's results, bit for bit", async () => {
    const result = fromBits(await page.evaluate((X) => window.gmmTest.mainThread(X), faithful));
    expectAgree(result, reference, 1e-12);
    expectSameBits(result, reference);
  });

  it("a module Web Worker computes Node's results, bit for bit", async () => {
    const result = fromBits(await page.evaluate((X) => window.gmmTest.worker(X), faithful));
    expectAgree(result, reference, 1e-12);
    expectSameBits(result, reference);
  });

  it("a long fit in the worker leaves the main thread free; the same fit on the main thread blocks it", async () => {
    const inWorker = await page.evaluate((X) => window.gmmTest.heavyInWorker(X), faithful);
    const onMain = await page.evaluate((X) => window.gmmTest.heavyOnMainThread(X), faithful);
    // The same work, bit for bit, wherever it ran.
    const lib = await import("gmm-wasm");
    expect(inWorker.value.nIter).toBe(100);
    expect(inWorker.value.lowerBound).toBe(heavyFit(lib, faithful).lowerBound);
    expect(onMain.value.lowerBound).toBe(inWorker.value.lowerBound);
    // Worker: the fit takes a while, and the page's timers keep firing meanwhile.
    expect(inWorker.value.fitMs).toBeGreaterThan(100);
    expect(inWorker.ticksDuring).toBeGreaterThanOrEqual(10);
    expect(inWorker.maxGap).toBeLessThan(inWorker.value.fitMs / 2);
    expect(inWorker.framesDuring).toBeGreaterThan(0);
    // Main thread (the control, showing the measurement detects blocking): no tick while fitting.
    expect(onMain.ticksDuring).toBe(0);
    expect(onMain.framesDuring).toBe(0);
    expect(onMain.maxGap).toBeGreaterThanOrEqual(onMain.value.fitMs);
  });

  it("the page logged no errors", () => {
    expect(pageErrors).toEqual([]);
  });
});
