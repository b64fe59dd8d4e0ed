// Zero-configuration bundling. The packed package (`npm pack`, as the registry
// would serve it) is installed into a scratch application whose page imports
// "gmm-wasm" by name and calls init() with no argument. esbuild (platform
// "browser"), Rollup (with only node-resolve, to find bare imports) and Vite
// (build, and its dev server) bundle it with no loaders, plugins or copied
// files: the "default" export condition gives them dist/inline.js, with
// gmm.wasm and the thread worker inlined. In Chromium each page must compute
// Node's results bit for bit, and fitAsync's inlined worker must match the
// single-thread fit.
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { createServer, type Server } from "node:http";
import { tmpdir } from "node:os";
import { extname, join, relative } from "node:path";
import { nodeResolve } from "@rollup/plugin-node-resolve";
import { build as esbuild } from "esbuild";
import { type BrowserContext, chromium } from "playwright-core";
import { rollup } from "rollup";
import { type ViteDevServer, build as viteBuild, createServer as viteServer } from "vite";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { CHROMIUM_ARGS, chromiumPath } from "./chromium-path.mjs";
import {
  expectSameBits,
  faithful,
  HERE,
  nodeReference,
  ROOT,
  requireBuild,
  run,
  type ScenarioResult,
} from "./helpers.js";
import { fromBits } from "./scenario.mjs";

let app: string;
let context: BrowserContext;
let reference: ScenarioResult;
const HTML =
  '<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script type="module" src="./main.mjs"></script>\n';

/** Every file under `dir`, relative, sorted. */
function listFiles(dir: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out.push(relative(dir, p));
    }
  };
  walk(dir);
  return out.sort();
}

/** Serves `dir` on 127.0.0.1; anything not there is a 404. */
async function serve(dir: string): Promise<{ origin: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const name = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).slice(1) || "index.html";
    const file = join(dir, name);
    if (!file.startsWith(dir) || !existsSync(file) || !statSync(file).isFile())
      return void res.writeHead(404, { "content-type": "text/plain" }).end("not found");
    res
      .writeHead(200, { "content-type": extname(name) === ".html" ? "text/html" : "text/javascript" })
      .end(readFileSync(file));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  return {
    origin: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

type Agreement = Record<string, { worst: number; lowerBound: [number, number] }>;
interface PageResults {
  scenario: Record<string, string>;
  threads: Agreement;
  missingWorker: string;
  errors: string[];
}

/** Opens the page, runs the three checks in it and returns what they gave. */
async function runPage(url: string): Promise<PageResults> {
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (e) => errors.push(e.message));
  try {
    await page.goto(url);
    await page.waitForFunction(() => (window as unknown as { bundled?: unknown }).bundled !== undefined, undefined, {
      timeout: 30_000,
    });
    type Bundled = {
      scenario(X: number[][]): Promise<Record<string, string>>;
      threads(): Promise<Agreement>;
      missingWorker(X: number[][]): Promise<string>;
    };
    const results = await page.evaluate(async (X) => {
      const b = (window as unknown as { bundled: Bundled }).bundled;
      return { scenario: await b.scenario(X), threads: await b.threads(), missingWorker: await b.missingWorker(X) };
    }, faithful);
    return { ...results, errors };
  } finally {
    await page.close();
  }
}

function checkPage(r: PageResults, origin: string): void {
  expectSameBits(fromBits(r.scenario), reference);
  expect(Object.keys(r.threads)).toEqual(["full", "diag"]);
  for (const { worst, lowerBound } of Object.values(r.threads)) {
    expect(worst).toBeLessThan(1e-10);
    expect(Math.abs(lowerBound[0] - lowerBound[1])).toBeLessThan(1e-10 * Math.abs(lowerBound[0]));
  }
  expect(r.missingWorker).toContain(`fitAsync: the worker thread ${origin}/no/such/em-worker.js failed`);
  expect(r.missingWorker).toContain("workerUrl");
  expect(r.errors).toEqual([]);
}

/** The bundle must not point at files that were not emitted. */
function expectSelfContained(out: string): void {
  const js = listFiles(out).filter((f) => f.endsWith(".js"));
  expect(js.length).toBeGreaterThan(0);
  for (const f of js) {
    const text = readFileSync(join(out, f), "utf8");
    // the file-based entry's `new URL("./gmm.wasm", import.meta.url)` and its worker's twin
    expect(text).not.toMatch(/["']\.\/(gmm\.wasm|em-worker\.js)["']/);
  }
  expect(listFiles(out).filter((f) => f.endsWith(".wasm"))).toEqual([]);
}

beforeAll(async () => {
  requireBuild();
  reference = await nodeReference();
  app = mkdtempSync(join(tmpdir(), "gmm-bundlers-"));
  // the package as npm installs it: the packed tarball, unpacked into node_modules/gmm-wasm
  const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", app], { timeoutMs: 60_000 });
  const tarball = join(app, stdout.trim().split("\n").pop()!);
  mkdirSync(join(app, "node_modules", "gmm-wasm"), { recursive: true });
  execFileSync("tar", ["-xzf", tarball, "-C", join(app, "node_modules", "gmm-wasm"), "--strip-components=1"]);
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  for (const f of ["scenario.mjs", "threads-scenario.mjs"]) copyFileSync(join(HERE, f), join(app, f));
  // bundled/entry.mjs imports ../scenario.mjs: keep that layout
  mkdirSync(join(app, "src"));
  copyFileSync(join(HERE, "bundled", "entry.mjs"), join(app, "src", "entry.mjs"));
  writeFileSync(join(app, "main.mjs"), 'import "./src/entry.mjs";\n');
  writeFileSync(join(app, "index.html"), HTML);
  context = await chromium.launchPersistentContext(join(app, "profile"), {
    executablePath: await chromiumPath(),
    headless: true,
    args: CHROMIUM_ARGS,
  });
}, 120_000);

afterAll(async () => {
  await context?.close();
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("bundlers, no configuration, the packed package", () => {
  it("the tarball ships dist/inline.js, and Node still resolves the file-based entry", () => {
    const pkg = join(app, "node_modules", "gmm-wasm");
    expect(existsSync(join(pkg, "dist", "inline.js"))).toBe(true);
    expect(existsSync(join(pkg, "dist", "em-worker.js"))).toBe(true);
  });

  it("Node: gmm-wasm/inline needs no file beside it (its worker is a data: URL); a workerUrl that does not load is named", async () => {
    writeFileSync(
      join(app, "node-inline.mjs"),
      `import * as lib from "gmm-wasm/inline";
import { threadedAgreement } from "./threads-scenario.mjs";
await lib.init();
const agreement = await threadedAgreement(lib);
let missing = "resolved";
try {
  await new lib.GaussianMixture({ nComponents: 2 }).fitAsync([[0, 0], [1, 1], [2, 2], [3, 3]], { nThreads: 2, workerUrl: new URL("file:///no/such/em-worker.js") });
} catch (e) { missing = e.message; }
console.log(JSON.stringify({ agreement, missing }));
`,
    );
    // the package's own files hidden: only inline.js may be read
    rmSync(join(app, "node_modules", "gmm-wasm", "dist", "gmm.wasm"));
    rmSync(join(app, "node_modules", "gmm-wasm", "dist", "em-worker.js"));
    try {
      const { stdout } = await run(process.execPath, [join(app, "node-inline.mjs")], { cwd: app });
      const { agreement, missing } = JSON.parse(stdout) as { agreement: Agreement; missing: string };
      for (const { worst } of Object.values(agreement)) expect(worst).toBeLessThan(1e-10);
      expect(missing).toMatch(
        /^fitAsync: the worker thread file:\/\/\/no\/such\/em-worker\.js failed: Cannot find module '\/no\/such\/em-worker\.js'.*workerUrl/,
      );
    } finally {
      const dist = join(app, "node_modules", "gmm-wasm", "dist");
      copyFileSync(join(ROOT, "dist", "gmm.wasm"), join(dist, "gmm.wasm"));
      copyFileSync(join(ROOT, "dist", "em-worker.js"), join(dist, "em-worker.js"));
    }
  });

  it("esbuild (platform browser)", async () => {
    const out = join(app, "out-esbuild");
    await esbuild({
      entryPoints: [join(app, "main.mjs")],
      bundle: true,
      platform: "browser",
      format: "esm",
      outdir: out,
      logLevel: "silent",
    });
    writeFileSync(join(out, "index.html"), HTML.replace("main.mjs", "main.js"));
    expectSelfContained(out);
    const server = await serve(out);
    try {
      checkPage(await runPage(`${server.origin}/`), server.origin);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("Rollup (node-resolve only)", async () => {
    const out = join(app, "out-rollup");
    const bundle = await rollup({ input: join(app, "main.mjs"), plugins: [nodeResolve()], logLevel: "silent" });
    await bundle.write({ dir: out, format: "es" });
    await bundle.close();
    writeFileSync(join(out, "index.html"), HTML.replace("main.mjs", "main.js"));
    expectSelfContained(out);
    const server = await serve(out);
    try {
      checkPage(await runPage(`${server.origin}/`), server.origin);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("Vite build", async () => {
    const out = join(app, "out-vite");
    await viteBuild({ root: app, configFile: false, logLevel: "silent", build: { outDir: out, emptyOutDir: true } });
    expectSelfContained(out);
    const server = await serve(out);
    try {
      checkPage(await runPage(`${server.origin}/`), server.origin);
    } finally {
      await server.close();
    }
  }, 60_000);

  it("Vite dev server (dependency pre-bundling)", async () => {
    let dev: ViteDevServer | undefined;
    try {
      dev = await viteServer({
        root: app,
        configFile: false,
        logLevel: "silent",
        server: { host: "127.0.0.1", port: 0, strictPort: false, hmr: false },
        cacheDir: join(app, ".vite"),
      });
      await dev.listen();
      const address = dev.httpServer!.address() as { port: number };
      const origin = `http://127.0.0.1:${address.port}`;
      checkPage(await runPage(`${origin}/`), origin);
    } finally {
      await dev?.close();
    }
  }, 90_000);
});
