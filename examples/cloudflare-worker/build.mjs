// Bundles the worker for workerd: dist/worker.js (the worker, the library and
// the model in one ES module) importing ./gmm.wasm, copied beside it. This is
// the bundling Wrangler does on `wrangler deploy`; config.capnp serves the
// result with plain workerd. Run: node examples/cloudflare-worker/build.mjs

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));

/** Writes worker.js and gmm.wasm to `outdir` (default: dist/ beside this file). */
export async function bundle(outdir = `${here}dist`) {
  await build({
    entryPoints: [`${here}src/worker.js`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    // the export condition Wrangler uses: gmm-wasm's file-based entry, not
    // the one with the bytes inlined (Workers import the .wasm as a module)
    conditions: ["workerd", "worker", "browser"],
    target: "es2022",
    outdir,
    // Keep `import wasm from "./gmm.wasm"`: workerd compiles it as a module.
    loader: { ".wasm": "copy" },
    assetNames: "[name]",
    legalComments: "none",
    logLevel: "warning",
  });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
