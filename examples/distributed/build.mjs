// Bundles the two Workers for workerd: dist/shard.js and dist/coordinator.js
// (each with the library inlined) importing ./gmm.wasm, copied beside them.
// Wrangler does the same bundling itself on `wrangler deploy`.

import { fileURLToPath } from "node:url";
import { build } from "esbuild";

const here = fileURLToPath(new URL(".", import.meta.url));

export async function bundle(outdir = `${here}dist`) {
  await build({
    entryPoints: [`${here}src/shard.js`, `${here}src/coordinator.js`],
    bundle: true,
    format: "esm",
    platform: "neutral",
    target: "es2022",
    outdir,
    loader: { ".wasm": "copy" },
    assetNames: "[name]",
    legalComments: "none",
    logLevel: "warning",
  });
  return outdir;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await bundle();
