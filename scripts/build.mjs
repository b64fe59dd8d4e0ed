// Bundles src/ into one ESM file with esbuild, places gmm.wasm beside it
// (esbuild keeps `new URL("./gmm.wasm", import.meta.url)` but does not copy
// the file) and emits .d.ts declarations with tsc.
import { build } from "esbuild";
import { copyFileSync, mkdirSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
await build({
  // The worker of multi-threaded fits is its own bundle (dist/em-worker.js).
  entryPoints: ["src/index.ts", "src/em-worker.ts"],
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2022",
  outdir: "dist",
  sourcemap: true,
  legalComments: "none",
});
copyFileSync("build/gmm.wasm", "dist/gmm.wasm");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { stdio: "inherit" });
