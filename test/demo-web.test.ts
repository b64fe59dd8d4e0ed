// The web demo (`npm run demo:web`) in headless Chromium: the page loads Old
// Faithful, fits in its Web Worker, draws the ellipses, and shows the same
// log-likelihood as the library computes here for the same data, options and
// seed. Needs dist/ (npm test builds it); Chromium comes from the
// @sparticuz/chromium dev dependency (or CHROMIUM_PATH).
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startServer } from "../examples/web/serve.mjs";
import { BayesianGaussianMixture, type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets } from "./helpers.js";
import { CHROMIUM_ARGS, chromiumPath } from "./runtimes/chromium-path.mjs";

let server: { url: string; close(): Promise<void> };
let context: BrowserContext;
let page: Page;
let profile: string;
const problems: string[] = [];

beforeAll(async () => {
  server = await startServer({ port: 0 });
  profile = mkdtempSync(join(tmpdir(), "gmm-demo-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: await chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: { width: 1100, height: 700 },
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

async function fitInPage(k: number, covarianceType: CovarianceType, seed: number) {
  await page.fill("#k", String(k));
  await page.selectOption("#covariance", covarianceType);
  await page.fill("#seed", String(seed));
  await page.fill("#delay", "0");
  await page.click("#fit");
  await page.waitForSelector('#status[data-state="done"]', { timeout: 20_000 });
  return page.evaluate(() => {
    const canvas = document.getElementById("plot")!;
    const status = document.getElementById("status")!;
    return {
      points: Number(canvas.dataset.points),
      ellipses: Number(canvas.dataset.ellipses),
      frames: Number(canvas.dataset.frames),
      iterations: Number(status.dataset.iterations),
      logLikelihood: Number(status.dataset.logLikelihood),
      shown: document.getElementById("loglik")!.textContent,
    };
  });
}

/** Pixels of the canvas close to a colour, to see that something was drawn in it. */
function countColour(hex: string): Promise<number> {
  return page.evaluate((hex) => {
    const canvas = document.getElementById("plot") as HTMLCanvasElement;
    const { data } = canvas.getContext("2d")!.getImageData(0, 0, canvas.width, canvas.height);
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(hex.slice(i, i + 2), 16));
    let n = 0;
    for (let i = 0; i < data.length; i += 4) {
      if (Math.abs(data[i] - r) < 12 && Math.abs(data[i + 1] - g) < 12 && Math.abs(data[i + 2] - b) < 12) n++;
    }
    return n;
  }, hex);
}

describe("web demo", () => {
  it("loads Old Faithful: 272 points, no ellipses yet", async () => {
    await page.click("#load-faithful");
    await page.waitForSelector('#plot[data-points="272"]');
    expect(await page.getAttribute("#plot", "data-ellipses")).toBe("0");
  });

  it.each([
    [3, "full", 0],
    [2, "diag", 5],
  ] as const)(
    "fit K=%d %s seed %d: ellipses drawn after every iteration, log-likelihood equal to the library's",
    async (k, covarianceType, seed) => {
      const page = await fitInPage(k, covarianceType, seed);
      const g = new GaussianMixture({ nComponents: k, covarianceType, randomState: seed }).fit(datasets.faithful);
      const expected = g.score(datasets.faithful) * datasets.faithful.length;
      expect(page.points).toBe(272);
      expect(page.ellipses).toBe(2 * k);
      expect(page.iterations).toBe(g.nIter);
      expect(page.frames).toBe(g.nIter); // one redraw per EM iteration
      expect(Math.abs(page.logLikelihood - expected)).toBeLessThan(1e-9 * Math.abs(expected));
      expect(page.shown).toBe(expected.toFixed(3));
      expect(await countColour("#0072B2")).toBeGreaterThan(100); // component 0's points and ellipses
    },
  );

  it("Bayesian (Dirichlet process) K=10: components switch off as the fit runs, ending at the library's effective components and lower bound", async () => {
    await page.check("#bayesian");
    await page.fill("#k", "10");
    await page.selectOption("#covariance", "full");
    await page.fill("#seed", "0");
    await page.fill("#delay", "0");
    await page.click("#fit");
    await page.waitForSelector('#status[data-state="done"]', { timeout: 30_000 });
    const shown = await page.evaluate(() => {
      const canvas = document.getElementById("plot")!;
      const status = document.getElementById("status")!;
      return {
        history: canvas.dataset.activeHistory!.split(",").map(Number),
        active: Number(canvas.dataset.active),
        ellipses: Number(canvas.dataset.ellipses),
        frames: Number(canvas.dataset.frames),
        iterations: Number(status.dataset.iterations),
        lowerBound: Number(status.dataset.lowerBound),
        text: status.textContent,
      };
    });
    const b = new BayesianGaussianMixture({ nComponents: 10, covarianceType: "full", randomState: 0 }).fit(
      datasets.faithful,
    );
    expect(shown.iterations).toBe(b.nIter);
    expect(shown.frames).toBe(b.nIter);
    expect(shown.history.length).toBe(b.nIter);
    expect(Math.abs(shown.lowerBound - b.lowerBound)).toBeLessThan(1e-9 * Math.abs(b.lowerBound));
    // more components on early in the fit than at its end, where the prior has switched the rest off
    expect(shown.history[0]).toBeGreaterThan(b.effectiveComponents);
    expect(shown.history.at(-1)).toBe(b.effectiveComponents);
    expect(shown.active).toBe(b.effectiveComponents);
    expect(shown.ellipses).toBe(2 * b.effectiveComponents); // switched-off components are not drawn
    expect(shown.text).toContain(`${b.effectiveComponents} of 10 components on`);
    await page.uncheck("#bayesian");
  });

  it("clicks on the canvas add points where the axes say", async () => {
    await page.click("#clear");
    await page.waitForSelector('#plot[data-points="0"]');
    const box = (await page.locator("#plot").boundingBox())!;
    for (const [x, y] of [
      [200, 150],
      [400, 300],
      [600, 200],
    ])
      await page.mouse.click(box.x + x, box.y + y);
    expect(await page.getAttribute("#plot", "data-points")).toBe("3");
    expect(await page.getAttribute("#plot", "data-ellipses")).toBe("0");
  });

  it("a fit with too few points shows the library's message", async () => {
    await page.fill("#k", "5");
    await page.click("#fit");
    await page.waitForSelector('#status[data-state="error"]', { timeout: 20_000 });
    expect(await page.textContent("#status")).toMatch(/X has 3 rows but nComponents is 5/);
  });

  it("logged no page or console errors", () => {
    expect(problems).toEqual([]);
  });
});
