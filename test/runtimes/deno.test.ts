// Deno (the npm package's binary): the built package imported by name from a
// script with read access to dist/ only and no network, compared bit for bit
// with Node.
import { createRequire } from "node:module";
import { beforeAll, describe, expect, it } from "vitest";
import {
  DIST,
  expectAgree,
  expectSameBits,
  nodeReference,
  requireBuild,
  runCliScenario,
  type ScenarioResult,
} from "./helpers.js";

// The binary itself: without the package's postinstall node_modules/.bin/deno
// is a Node wrapper. runInstall() is what that wrapper and the postinstall
// call; it returns the binary's path, linking it in place first if needed.
const DENO: string = createRequire(import.meta.url)("deno/install_api.cjs").runInstall();

describe("Deno", () => {
  let reference: ScenarioResult;
  let deno: { runtime: string; result: ScenarioResult };
  beforeAll(async () => {
    requireBuild();
    reference = await nodeReference();
    deno = await runCliScenario(DENO, ["run", "--no-prompt", "--no-lock", "--no-remote", `--allow-read=${DIST}`], {
      DENO_NO_UPDATE_CHECK: "1",
    });
  });

  it("runs the scenario under `deno run --allow-read=dist` (no other permission)", () => {
    expect(deno.runtime).toMatch(/^deno 2\./);
  });

  it("agrees with Node to 1e-12", () => {
    expectAgree(deno.result, reference, 1e-12);
  });

  it("gives bit-identical results to Node for the same randomState", () => {
    expectSameBits(deno.result, reference);
  });
});
