// Bun (the npm package's binary; JavaScriptCore, not V8): the built package
// imported by name, compared with Node to 1e-12 and bit for bit.
import { statSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import {
  expectAgree,
  expectSameBits,
  nodeReference,
  ROOT,
  requireBuild,
  run,
  runCliScenario,
  type ScenarioResult,
} from "./helpers.js";

const BUN = join(ROOT, "node_modules/bun/bin/bun.exe");

/**
 * The npm package ships a 450-byte placeholder that its postinstall replaces
 * with the real binary. When install scripts did not run (--ignore-scripts,
 * or an npm that blocks scripts missing from `allowScripts`), run it now; it
 * links the binary from the already-installed @oven/bun-<platform> package,
 * offline. It is not rerun over a real binary.
 */
async function ensureBunBinary(): Promise<void> {
  if (statSync(BUN).size > 1_000_000) return;
  await run(process.execPath, ["install.js"], { cwd: join(ROOT, "node_modules/bun") });
  if (statSync(BUN).size <= 1_000_000)
    throw new Error("node_modules/bun/install.js did not put the Bun binary in place");
}

describe("Bun", () => {
  let reference: ScenarioResult;
  let bun: { runtime: string; result: ScenarioResult };
  beforeAll(async () => {
    requireBuild();
    await ensureBunBinary();
    reference = await nodeReference();
    bun = await runCliScenario(BUN, ["run", "--no-install"]);
  });

  it("runs the scenario with `bun run`", () => {
    expect(bun.runtime).toMatch(/^bun 1\./);
  });

  it("agrees with Node to 1e-12", () => {
    expectAgree(bun.result, reference, 1e-12);
  });

  it("gives bit-identical results to Node for the same randomState", () => {
    expectSameBits(bun.result, reference);
  });
});
