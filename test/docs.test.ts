// The API reference (docs/api, `npm run docs`) is TypeDoc's reading of the
// package's entry points (typedoc.json). TypeDoc's validation is the check:
// every public member reachable from an entry point has a doc comment, every
// type a public signature names is exported, and every {@link} resolves; a
// warning is an error here, so an undocumented addition fails npm test.
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, run } from "./runtimes/helpers.js";

const typedoc = join(ROOT, "node_modules/typedoc/bin/typedoc");
const validate = (...args: string[]) =>
  run(process.execPath, [typedoc, "--emit", "none", "--treatValidationWarningsAsErrors", ...args], {
    timeoutMs: 120_000,
  });

describe.concurrent("the API reference", () => {
  it("TypeDoc finds every public member of gmm-wasm, gmm-wasm/csv and gmm-wasm/svg documented, every named type exported", async () => {
    const { stdout, stderr } = await validate();
    expect(stdout + stderr).not.toMatch(/\[(warning|error)\]/);
  });

  it("the same check refuses an undocumented export and a public signature naming an unexported type", async () => {
    const dir = mkdtempSync(join(tmpdir(), "gmm-docs-"));
    try {
      // a package.json names the package, which TypeDoc needs to tell its own unexported types from others'
      writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "scratch", version: "1.0.0" }));
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({ compilerOptions: { strict: true, target: "ES2022", module: "ES2022" }, include: ["*.ts"] }),
      );
      writeFileSync(
        join(dir, "entry.ts"),
        `/**
 * An entry point.
 * @module
 */
interface Hidden { a: number }
/** Documented, but names a type that is not exported. */
export function shown(h: Hidden): number { return h.a; }
export function bare(): number { return 1; }
`,
      );
      // the project's options, with this entry point and tsconfig (an options
      // file's tsconfig would win over the command line's)
      writeFileSync(
        join(dir, "typedoc.json"),
        JSON.stringify({ extends: [join(ROOT, "typedoc.json")], entryPoints: ["entry.ts"], tsconfig: "tsconfig.json" }),
      );
      const failure = await validate("--options", join(dir, "typedoc.json")).then(
        () => "passed",
        (e: Error) => e.message,
      );
      expect(failure).toMatch(/bare \(CallSignature\).*does not have any documentation/);
      expect(failure).toMatch(
        /Hidden, defined in scratch\/entry\.ts, is referenced by shown\.h but not included in the documentation/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
