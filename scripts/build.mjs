// Bundles src/ with esbuild, places gmm.wasm beside the bundles (esbuild keeps
// `new URL("./gmm.wasm", import.meta.url)` but does not copy the file) and
// emits .d.ts declarations with tsc. Outputs:
//   dist/index.js  the library (platform-neutral ESM)
//   dist/svg.js    the SVG plots, dependency-free (the demos import it)
//   dist/csv.js    the CSV/NDJSON reader (the web demo imports it)
//   dist/cli.js    the `gmm-wasm` command (Node, executable)
import { build } from "esbuild";
import { chmodSync, copyFileSync, mkdirSync, rmSync } from "node:fs";
import { execFileSync } from "node:child_process";
import { createRequire } from "node:module";

rmSync("dist", { recursive: true, force: true });
mkdirSync("dist", { recursive: true });
const common = {
  bundle: true,
  format: "esm",
  target: "es2022",
  sourcemap: true,
  legalComments: "none",
  // the size budget (test/runtimes/size.test.ts) counts what users download;
  // keepNames so classes and functions keep their names in stacks and errors
  minify: true,
  keepNames: true,
};
await build({
  ...common,
  entryPoints: ["src/index.ts", "src/em-worker.ts", "src/svg.ts", "src/csv.ts"],
  platform: "neutral",
  outdir: "dist",
});
// The CLI module only exports; this entry runs it.
await build({
  ...common,
  stdin: {
    contents: 'import { runNode } from "./src/cli.ts";\nawait runNode();\n',
    resolveDir: ".",
    sourcefile: "cli-entry.ts",
    loader: "ts",
  },
  platform: "node",
  outfile: "dist/cli.js",
  banner: { js: "#!/usr/bin/env node" },
});
chmodSync("dist/cli.js", 0o755);
copyFileSync("build/gmm.wasm", "dist/gmm.wasm");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
execFileSync(process.execPath, [tsc, "-p", "tsconfig.json"], { stdio: "inherit" });
