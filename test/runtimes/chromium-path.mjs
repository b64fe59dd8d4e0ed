// Where the browser tests find Chromium: CHROMIUM_PATH when it is set, else
// the headless Chromium shipped inside the @sparticuz/chromium dev dependency
// (a brotli-compressed binary in the npm package itself: nothing is
// downloaded at install time or run time). It is inflated once into
// node_modules/.cache/, keyed by the package's version, and reused after.
//
// The package's own executablePath() is not used: it writes to a fixed
// /tmp/chromium shared by every project and process on the machine and
// returns whatever binary is already there; inflating into our own cache
// with a write-then-rename keeps parallel test files from racing.
import { createReadStream, createWriteStream, existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pipeline } from "node:stream/promises";
import { fileURLToPath } from "node:url";
import { createBrotliDecompress } from "node:zlib";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** Flags for headless Chromium on this kind of machine (root, no GPU, no network). */
export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];

/**
 * The path of a Chromium binary: CHROMIUM_PATH if set, else the one from
 * @sparticuz/chromium (inflated on first use, about 1.5 s).
 * @returns {Promise<string>}
 */
export async function chromiumPath() {
  const given = process.env.CHROMIUM_PATH;
  if (given) {
    if (!existsSync(given))
      throw new Error(
        `CHROMIUM_PATH is ${given}, which does not exist (unset it to use the Chromium from the @sparticuz/chromium dev dependency)`,
      );
    return given;
  }
  const require = createRequire(join(ROOT, "package.json"));
  let entry;
  try {
    entry = require.resolve("@sparticuz/chromium");
  } catch {
    throw new Error(
      "@sparticuz/chromium is not installed: run `npm ci` (it is a dev dependency that ships the browser for these tests), or set CHROMIUM_PATH",
    );
  }
  // Its exports map hides package.json: walk up from the entry to the package's folder.
  let dir = dirname(entry);
  while (
    !existsSync(join(dir, "package.json")) ||
    JSON.parse(readFileSync(join(dir, "package.json"), "utf8")).name !== "@sparticuz/chromium"
  ) {
    if (dirname(dir) === dir) throw new Error(`cannot find @sparticuz/chromium's folder above ${entry}`);
    dir = dirname(dir);
  }
  const { version } = JSON.parse(readFileSync(join(dir, "package.json"), "utf8"));
  const source = join(dir, "bin", "chromium.br");
  const target = join(ROOT, "node_modules", ".cache", "gmm-wasm-chromium", version, "chromium");
  if (existsSync(target)) return target;
  mkdirSync(dirname(target), { recursive: true });
  const partial = `${target}.${process.pid}.${Date.now()}.partial`;
  try {
    await pipeline(createReadStream(source), createBrotliDecompress(), createWriteStream(partial, { mode: 0o755 }));
    renameSync(partial, target); // atomic: another process sees all of it or none
  } finally {
    rmSync(partial, { force: true });
  }
  return target;
}
