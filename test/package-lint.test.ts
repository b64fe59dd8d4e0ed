// The packed tarball as the registry's own linters see it: publint (the
// package.json fields, the exports map, the files they name) and
// arethetypeswrong (whether each entry's types resolve, and to the right
// module format, under node10, node16 and bundler resolution). The package
// is ESM only, so the one finding let through is attw's CJSResolvesToESM: a
// require() from CommonJS gets ESM (Node ≥ 20.19 loads it; older ones need
// import()). `npm run check:package` runs both by hand.
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuild, run } from "./runtimes/helpers.js";

const bin = (name: string) => join(ROOT, "node_modules/.bin", name);
let dir: string;
let tarball: string;

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "gmm-pack-"));
  await run("npm", ["pack", "--silent", "--pack-destination", dir], { timeoutMs: 60_000 });
  tarball = join(dir, readdirSync(dir).find((f) => f.endsWith(".tgz"))!);
}, 90_000);
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe.concurrent("the packed tarball", () => {
  it("publint --strict reports nothing", async () => {
    const { stdout } = await run(bin("publint"), ["--strict"], { timeoutMs: 90_000 });
    expect(stdout).toMatch(/All good!/);
  });

  it("arethetypeswrong (esm-only profile) finds every entry's types under node10, node16 and bundler resolution", async () => {
    const { stdout } = await run(bin("attw"), [tarball, "--profile", "esm-only", "--format", "json"], {
      timeoutMs: 90_000,
    });
    const result = JSON.parse(stdout);
    // the JSON lists what the profile ignores too; only require() from CommonJS is let through (node10 stays checked)
    const problems = (result.analysis.problems as { kind: string; resolutionKind?: string }[]).filter(
      (p) => !(p.kind === "CJSResolvesToESM" && p.resolutionKind === "node16-cjs"),
    );
    expect(problems).toEqual([]);
    const entries = Object.keys(result.analysis.entrypoints);
    expect(entries).toEqual(expect.arrayContaining([".", "./inline", "./csv", "./svg", "./gmm.wasm"]));
  });
});
