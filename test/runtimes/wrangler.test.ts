// The Cloudflare Workers recipe as users run it: examples/cloudflare-worker
// (its src/ and wrangler.toml, unchanged) in a scratch project with the packed
// package installed, built by Wrangler itself (`wrangler deploy --dry-run
// --outdir`: Wrangler's own module rules, which the esbuild imitation in
// build.mjs does not exercise) and served by `wrangler dev` (its local
// workerd). Its answers must equal Node's for the same model.
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, ROOT, requireBuild, run, waitForHttp } from "./helpers.js";

const require = createRequire(import.meta.url);
const WRANGLER = join(require.resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
const EXAMPLE = join(ROOT, "examples", "cloudflare-worker");
let app: string;
let env: NodeJS.ProcessEnv;

beforeAll(async () => {
  requireBuild();
  app = mkdtempSync(join(tmpdir(), "gmm-wrangler-"));
  cpSync(join(EXAMPLE, "src"), join(app, "src"), { recursive: true });
  cpSync(join(EXAMPLE, "wrangler.toml"), join(app, "wrangler.toml"));
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "gmm-score", private: true, type: "module" }));
  const { stdout } = await run("npm", ["pack", "--silent", "--pack-destination", app], { timeoutMs: 60_000 });
  mkdirSync(join(app, "node_modules", "gmm-wasm"), { recursive: true });
  execFileSync("tar", [
    "-xzf",
    join(app, stdout.trim().split("\n").pop()!),
    "-C",
    join(app, "node_modules", "gmm-wasm"),
    "--strip-components=1",
  ]);
  // no telemetry, no update check, logs and caches inside the scratch folder
  env = {
    ...process.env,
    CI: "true",
    NO_COLOR: "1",
    WRANGLER_SEND_METRICS: "false",
    WRANGLER_SEND_ERROR_REPORTS: "false",
    WRANGLER_HIDE_BANNER: "true",
    WRANGLER_LOG_PATH: join(app, "logs"),
    WRANGLER_CACHE_DIR: join(app, "cache"),
    XDG_CONFIG_HOME: join(app, "config"),
  };
}, 60_000);

afterAll(() => {
  if (app) rmSync(app, { recursive: true, force: true });
});

describe("Cloudflare Workers recipe with Wrangler", () => {
  it("`wrangler deploy --dry-run --outdir` builds the example: the worker, and gmm.wasm as a module beside it", async () => {
    await run(process.execPath, [WRANGLER, "deploy", "--dry-run", "--outdir", "out"], {
      cwd: app,
      env,
      timeoutMs: 60_000,
    });
    const files = readdirSync(join(app, "out"));
    const wasm = files.filter((f) => f.endsWith(".wasm"));
    expect(wasm).toHaveLength(1);
    expect(files).toContain("worker.js");
    const worker = readFileSync(join(app, "out", "worker.js"), "utf8");
    expect(worker).toContain(`import wasm from "./${wasm[0]}"`);
    // the "workerd" export condition: the file-based entry, not the one with the bytes inlined
    expect(worker).not.toContain("const WASM =");
    expect(readFileSync(join(app, "out", wasm[0]))).toEqual(readFileSync(join(ROOT, "dist", "gmm.wasm")));
  }, 90_000);

  it("`wrangler dev` serves it: POST /score answers as the library does in Node", async () => {
    const port = await freePort();
    // its own process group, so stopping it also stops the workerd it starts
    const child: ChildProcess = spawn(
      process.execPath,
      [
        WRANGLER,
        "dev",
        "--ip",
        "127.0.0.1",
        "--port",
        String(port),
        "--inspector-port",
        String(await freePort()),
        "--show-interactive-dev-session=false",
      ],
      { cwd: app, env, stdio: ["ignore", "pipe", "pipe"], detached: true },
    );
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (output += s));
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    try {
      const origin = `http://127.0.0.1:${port}`;
      try {
        await waitForHttp(`${origin}/`, child, 60_000);
      } catch (e) {
        throw new Error(`wrangler dev did not answer: ${(e as Error).message}\n${output}`);
      }
      const rows = [
        [3.6, 79],
        [1.8, 54],
        [4.5, 85],
      ];
      const res = await fetch(`${origin}/score`, {
        method: "POST",
        body: JSON.stringify({ rows }),
        headers: { "content-type": "application/json" },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { logDensity: number[]; labels: number[] };
      const lib = await import("gmm-wasm");
      await lib.init();
      const gmm = lib.GaussianMixture.fromJSON(JSON.parse(readFileSync(join(EXAMPLE, "src", "model.json"), "utf8")));
      expect(body.logDensity).toEqual(Array.from(gmm.scoreSamples(rows)));
      expect(body.labels).toEqual(Array.from(gmm.predict(rows)));
      const bad = await fetch(`${origin}/score`, { method: "POST", body: "not json" });
      expect(bad.status).toBe(400);
    } finally {
      if (child.exitCode === null && child.signalCode === null) {
        process.kill(-child.pid!, "SIGTERM");
        const timer = setTimeout(() => {
          try {
            process.kill(-child.pid!, "SIGKILL");
          } catch {
            /* gone */
          }
        }, 5000);
        await exited;
        clearTimeout(timer);
      }
    }
  }, 90_000);
});
