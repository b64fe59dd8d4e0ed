// fitAsync with worker threads in each runtime that has them: worker_threads
// in Node, module Web Workers in Deno, Bun and Chromium. workerd has no
// threads; there fitAsync falls back to the calling thread (not tested here).
import { mkdtempSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { chromium } from "playwright-core";
import { describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, chromiumPath } from "./chromium-path.mjs";
import { DIST, HERE, requireBuild, run, serveStatic } from "./helpers.js";

const require = createRequire(import.meta.url);
type Agreement = Record<string, { worst: number; lowerBound: [number, number] }>;

function check(result: Agreement): void {
  expect(Object.keys(result)).toEqual(["full", "diag"]);
  for (const { worst, lowerBound } of Object.values(result)) {
    expect(worst).toBeLessThan(1e-10);
    expect(Math.abs(lowerBound[0] - lowerBound[1])).toBeLessThan(1e-10 * Math.abs(lowerBound[0]));
  }
}

async function cli(command: string, args: string[]): Promise<Agreement> {
  requireBuild();
  // run() rejects with the runtime's stderr when it exits non-zero.
  const r = await run(command, [...args, join(HERE, "threads-cli.mjs")], {
    env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" },
    timeoutMs: 60_000,
  });
  return JSON.parse(r.stdout.trim().split("\n").pop()!);
}

describe("fitAsync over worker threads equals the single-thread fit (1e-10)", () => {
  it("in Node (worker_threads)", async () => {
    check(await cli(process.execPath, []));
  });

  it("in Deno (module Web Workers)", async () => {
    const deno: string = require("deno/install_api.cjs").runInstall();
    // Workers need read access to their own bundle; no other permission.
    check(await cli(deno, ["run", "--no-prompt", "--no-lock", "--no-remote", `--allow-read=${DIST},${HERE}`]));
  });

  it("in Bun (Web Workers)", async () => {
    const bun = join(require.resolve("bun/package.json"), "..", "bin", "bun.exe");
    check(await cli(bun, ["run", "--no-install"]));
  });

  it("in Chromium (module Web Workers)", async () => {
    requireBuild();
    const server = await serveStatic(["dist/", "test/runtimes/"]);
    const userDataDir = mkdtempSync(join(tmpdir(), "gmm-threads-"));
    const context = await chromium.launchPersistentContext(userDataDir, {
      executablePath: await chromiumPath(),
      headless: true,
      args: CHROMIUM_ARGS,
    });
    try {
      const page = context.pages()[0] ?? (await context.newPage());
      const errors: string[] = [];
      page.on("pageerror", (e) => errors.push(e.message));
      await page.goto(`${server.origin}/test/runtimes/browser/threads.html`);
      await page.waitForFunction(
        () => typeof (window as unknown as { threaded?: unknown }).threaded === "function",
        undefined,
        { timeout: 15_000 },
      );
      const result = await page.evaluate(() => (window as unknown as { threaded(): Promise<Agreement> }).threaded());
      check(result);
      expect(errors).toEqual([]);
    } finally {
      await context.close();
      await server.close();
      rmSync(userDataDir, { recursive: true, force: true });
    }
  }, 60_000);
});
