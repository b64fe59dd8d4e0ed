// The package's types as a consumer's TypeScript sees them: the packed
// tarball installed into a scratch project, `tsc --noEmit` on a file that
// uses it, under the compiler settings consumers use.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { requireBuild, run } from "./runtimes/helpers.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
let app: string;

beforeAll(async () => {
  requireBuild();
  app = mkdtempSync(join(tmpdir(), "gmm-types-"));
  const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", app], { timeoutMs: 60_000 });
  mkdirSync(join(app, "node_modules", "gmm-wasm"), { recursive: true });
  execFileSync("tar", ["-xzf", join(app, stdout.trim().split("\n").pop()!), "-C", join(app, "node_modules", "gmm-wasm"), "--strip-components=1"]);
}, 60_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Type-checks `code` in its own folder of `app` with these compiler options; returns tsc's complaints ("" when none). */
async function typecheck(name: string, code: string, compilerOptions: Record<string, unknown>, pkg: Record<string, unknown> = { type: "module" }): Promise<string> {
  const dir = join(app, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...pkg }));
  writeFileSync(join(dir, "main.ts"), code);
  writeFileSync(join(dir, "tsconfig.json"), JSON.stringify({ compilerOptions: { strict: true, noEmit: true, skipLibCheck: false, types: [], typeRoots: [], ...compilerOptions }, files: ["main.ts"] }));
  try {
    await run(process.execPath, [TSC, "-p", dir], { cwd: dir, timeoutMs: 60_000 });
    return "";
  } catch (e) {
    return (e as Error).message;
  }
}

describe("the package's types in a consumer's tsc", () => {
  it('a Worker: `import wasm from "gmm-wasm/gmm.wasm"` is a WebAssembly.Module that init() takes', async () => {
    const code = `import wasm from "gmm-wasm/gmm.wasm";
import { init, GaussianMixture } from "gmm-wasm";
const module: WebAssembly.Module = wasm;
await init(module);
export const gmm = new GaussianMixture({ nComponents: 2 });
`;
    expect(await typecheck("worker", code, { target: "ES2022", module: "ES2022", moduleResolution: "bundler", lib: ["ES2022", "WebWorker"] })).toBe("");
  }, 60_000);
});
