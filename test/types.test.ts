// The package's types as a consumer's TypeScript sees them: the packed
// tarball installed into a scratch project, `tsc --noEmit` on a file that
// uses it, under the compiler settings consumers use.
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ROOT, requireBuild, run } from "./runtimes/helpers.js";

const TSC = createRequire(import.meta.url).resolve("typescript/bin/tsc");
let app: string;

beforeAll(async () => {
  requireBuild();
  app = mkdtempSync(join(tmpdir(), "gmm-types-"));
  const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", app], { timeoutMs: 60_000 });
  mkdirSync(join(app, "node_modules", "gmm-wasm"), { recursive: true });
  execFileSync("tar", [
    "-xzf",
    join(app, stdout.trim().split("\n").pop()!),
    "-C",
    join(app, "node_modules", "gmm-wasm"),
    "--strip-components=1",
  ]);
}, 60_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

/** Type-checks `code` in its own folder of `app` with these compiler options; returns tsc's complaints ("" when none). */
async function typecheck(
  name: string,
  code: string,
  compilerOptions: Record<string, unknown>,
  pkg: Record<string, unknown> = { type: "module" },
): Promise<string> {
  const dir = join(app, name);
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...pkg }));
  writeFileSync(join(dir, "main.ts"), code);
  writeFileSync(
    join(dir, "tsconfig.json"),
    JSON.stringify({
      compilerOptions: {
        strict: true,
        noEmit: true,
        skipLibCheck: false,
        types: [],
        typeRoots: [],
        ...compilerOptions,
      },
      files: ["main.ts"],
    }),
  );
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
    expect(
      await typecheck("worker", code, {
        target: "ES2022",
        module: "ES2022",
        moduleResolution: "bundler",
        lib: ["ES2022", "WebWorker"],
      }),
    ).toBe("");
  }, 60_000);

  it("a Node project with no DOM lib (lib ES2022 and @types/node, skipLibCheck off) type-checks the whole API", async () => {
    const code = `import { init, GaussianMixture, KMeans, selectModel, type WasmSource } from "gmm-wasm";
import { parseTable } from "gmm-wasm/csv";
import { renderSvg, scatterPanel } from "gmm-wasm/svg";
await init(new Uint8Array(0) satisfies WasmSource);
const X = [[0, 0], [1, 1], [2, 2]];
const gmm = new GaussianMixture({ nComponents: 2, covarianceType: "tied" }).fit(X);
export const tied: number[][] = gmm.covariances;
export const fitted = await gmm.fitAsync(X, { nThreads: 2, workerUrl: new URL("file:///srv/em-worker.js") });
export const k = new KMeans({ nClusters: 2 }).fit(X).clusterCenters;
export const table = parseTable("a,b\\n1,2\\n");
export const svg: string = renderSvg([]);
export { selectModel, scatterPanel };
`;
    expect(
      await typecheck("node-no-dom", code, {
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        lib: ["ES2022"],
        types: ["node"],
        typeRoots: [join(ROOT, "node_modules", "@types")],
      }),
    ).toBe("");
  }, 60_000);

  it("covariances, precisions and precisionsCholesky have the covariance type's shape", async () => {
    const code = `import { GaussianMixture, type CovarianceType } from "gmm-wasm";
const X = [[0, 0], [1, 1], [2, 2]];
export const full: number[][][] = new GaussianMixture({ covarianceType: "full" }).fit(X).covariances;
export const tied: number[][] = new GaussianMixture({ covarianceType: "tied" }).fit(X).precisions;
export const diag: number[][] = new GaussianMixture({ covarianceType: "diag" }).fit(X).precisionsCholesky;
export const spherical: number[] = new GaussianMixture({ covarianceType: "spherical" }).fit(X).covariances;
// @ts-expect-error: a diagonal model's covariances are k × d, not k × d × d
export const wrong: number[][][] = new GaussianMixture({ covarianceType: "diag" }).fit(X).covariances;
declare const type: CovarianceType;
export const any: number[] | number[][] | number[][][] = new GaussianMixture({ covarianceType: type }).fit(X).covariances;
export const loaded: number[] | number[][] | number[][][] = GaussianMixture.fromJSON({}).covariances;
export const t: "diag" = new GaussianMixture({ covarianceType: "diag" }).covarianceType;
// precisionsInit takes a model's precisions, typed arrays or a flat array, not any value
const fitted = new GaussianMixture({ covarianceType: "full" }).fit(X);
export const again = new GaussianMixture({ precisionsInit: fitted.precisions });
export const typed = new GaussianMixture({ precisionsInit: [[Float64Array.of(1, 0), Float64Array.of(0, 1)]] });
export const flat = new GaussianMixture({ covarianceType: "spherical", precisionsInit: new Float64Array(2) });
// @ts-expect-error: a string is no precision array
export const text = new GaussianMixture({ precisionsInit: "identity" });
`;
    expect(
      await typecheck("covariances", code, {
        target: "ES2022",
        module: "ES2022",
        moduleResolution: "bundler",
        lib: ["ES2022", "DOM"],
      }),
    ).toBe("");
  }, 60_000);

  it('node10 resolution (no exports map) finds "gmm-wasm/csv", "gmm-wasm/svg", "gmm-wasm/inline" and "gmm-wasm/gmm.wasm" through typesVersions', async () => {
    const code = `import { parseTable } from "gmm-wasm/csv";
import { renderSvg } from "gmm-wasm/svg";
import { GaussianMixture } from "gmm-wasm/inline";
import wasm from "gmm-wasm/gmm.wasm";
export { parseTable, renderSvg, GaussianMixture, wasm };
`;
    expect(
      await typecheck("node10", code, {
        target: "ES2022",
        module: "ESNext",
        moduleResolution: "node10",
        lib: ["ES2022", "DOM"],
      }),
    ).toBe("");
  }, 60_000);
});
