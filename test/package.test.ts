// What `npm pack` would publish: the files the exports map and typesVersions
// point at are all in it, no shipped .js points at a source map that is not,
// and the metadata a registry page and bundlers read is there.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, requireBuild, run } from "./runtimes/helpers.js";

const pkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8"));

async function packedFiles(): Promise<string[]> {
  requireBuild();
  const { stdout } = await run("npm", ["pack", "--dry-run", "--json", "--silent"], { timeoutMs: 60_000 });
  return (JSON.parse(stdout)[0].files as { path: string }[]).map((f) => f.path).sort();
}

/** Every string leaf of an exports / typesVersions value. */
function targets(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(targets);
  if (value && typeof value === "object") return Object.values(value).flatMap(targets);
  return [];
}

describe("the published package", () => {
  it("ships LICENSE (MIT), CHANGELOG.md with a versioning policy, README.md", async () => {
    const files = await packedFiles();
    expect(files).toEqual(expect.arrayContaining(["LICENSE", "CHANGELOG.md", "README.md", "package.json"]));
    expect(pkg.license).toBe("MIT");
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/^MIT License/);
    expect(readFileSync(join(ROOT, "CHANGELOG.md"), "utf8")).toMatch(/## Versioning[\s\S]*Semantic Versioning/);
  });

  it("every file the exports map, typesVersions, main, types and bin name is in the tarball", async () => {
    const files = new Set(await packedFiles());
    const named = [
      ...targets(pkg.exports),
      ...targets(pkg.typesVersions),
      pkg.main,
      pkg.types,
      ...targets(pkg.bin),
    ].map((p: string) => p.replace(/^\.\//, ""));
    expect(named.filter((p) => !files.has(p))).toEqual([]);
  });

  it("no shipped .js file references a source map the tarball leaves out", async () => {
    const files = await packedFiles();
    const dangling = files
      .filter((f) => f.endsWith(".js"))
      .filter((f) => {
        const m = /\/\/# sourceMappingURL=(\S+)\s*$/.exec(readFileSync(join(ROOT, f), "utf8"));
        return m !== null && !m[1].startsWith("data:") && !files.includes(join(f, "..", m[1]));
      });
    expect(dangling).toEqual([]);
  });

  it("declares its side effects (only the worker and the CLI) and has keywords", () => {
    expect(pkg.sideEffects).toEqual(["./dist/em-worker.js", "./dist/cli.js"]);
    expect(pkg.keywords).toEqual(expect.arrayContaining(["gaussian-mixture", "webassembly", "scikit-learn"]));
  });
});
