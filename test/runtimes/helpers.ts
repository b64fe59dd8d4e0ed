// Shared by the runtime tests: paths, the Old Faithful data, Node's reference
// results for the shared scenario, comparisons, child processes, free ports
// and a static file server.
import { type ChildProcess, spawn } from "node:child_process";
import { createReadStream, existsSync, readFileSync, statSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createServer as createNetServer } from "node:net";
import { extname, join, resolve, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { expect } from "vitest";
import { fromBits, parseCsv, runScenario } from "./scenario.mjs";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const DIST = join(ROOT, "dist");
export const HERE = fileURLToPath(new URL("./", import.meta.url));

export type ScenarioResult = Record<string, number[]>;

export const faithful: number[][] = parseCsv(readFileSync(join(ROOT, "data/faithful.csv"), "utf8"));

/** Fails early, with the fix, when the package has not been built. */
export function requireBuild(): void {
  for (const file of ["index.js", "gmm.wasm"]) {
    if (!existsSync(join(DIST, file)))
      throw new Error(`dist/${file} is missing: run \`npm run build\` first (npm test does)`);
  }
}

let reference: Promise<ScenarioResult> | undefined;

/**
 * The scenario run in this Node process against the built package, loaded by
 * its own name through the exports map, with init() reading the gmm.wasm
 * beside dist/index.js. Every other runtime is compared with this.
 */
export function nodeReference(): Promise<ScenarioResult> {
  reference ??= (async () => {
    requireBuild();
    const lib = await import("gmm-wasm");
    await lib.init();
    return runScenario(lib, faithful);
  })();
  return reference;
}

/** Asserts every value agrees to `tolerance`: |a − b| ≤ tolerance · max(|b|, 1). */
export function expectAgree(actual: ScenarioResult, expected: ScenarioResult, tolerance = 1e-12): void {
  expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
  let worst = 0;
  let where = "";
  for (const [name, b] of Object.entries(expected)) {
    const a = actual[name];
    expect(a.length, `${name} has ${a.length} values, Node's ${b.length}`).toBe(b.length);
    for (let i = 0; i < b.length; i++) {
      const err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), 1);
      if (!(err <= worst)) {
        worst = Number.isNaN(err) ? Infinity : err;
        where = `${name}[${i}]: ${a[i]} vs Node's ${b[i]}`;
      }
    }
  }
  expect(worst, `largest difference at ${where}`).toBeLessThanOrEqual(tolerance);
}

/**
 * Asserts every value has exactly the same bits (Object.is: −0 ≠ 0, NaN = NaN).
 * On failure lists, per result, how many values differ and the first one.
 */
export function expectSameBits(actual: ScenarioResult, expected: ScenarioResult): void {
  const differences: string[] = [];
  for (const [name, b] of Object.entries(expected)) {
    const a = actual[name] ?? [];
    let count = 0;
    let first = -1;
    for (let i = 0; i < Math.max(a.length, b.length); i++) {
      if (!Object.is(a[i], b[i])) {
        count++;
        if (first < 0) first = i;
      }
    }
    if (count > 0)
      differences.push(`${name}: ${count} of ${b.length} differ, first [${first}] ${a[first]} vs Node's ${b[first]}`);
  }
  expect(differences, differences.join("; ")).toEqual([]);
}

export interface RunResult {
  stdout: string;
  stderr: string;
}

/** Runs a command to completion; rejects with its stderr when it fails or times out. */
export function run(
  command: string,
  args: string[],
  options: { input?: string; cwd?: string; env?: NodeJS.ProcessEnv; timeoutMs?: number } = {},
): Promise<RunResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd ?? ROOT,
      env: options.env ?? process.env,
      stdio: ["pipe", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (s: string) => (stdout += s));
    child.stderr.setEncoding("utf8").on("data", (s: string) => (stderr += s));
    const timer = setTimeout(() => child.kill("SIGKILL"), options.timeoutMs ?? 30_000);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) resolvePromise({ stdout, stderr });
      else reject(new Error(`${command} ${args.join(" ")} exited with ${signal ?? code}:\n${stderr}${stdout}`));
    });
    child.stdin.end(options.input ?? "");
  });
}

/**
 * Runs cli-scenario.mjs in a command-line runtime (node, deno, bun) on Old
 * Faithful and returns the runtime's description and its results.
 */
export async function runCliScenario(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Promise<{ runtime: string; result: ScenarioResult }> {
  const script = join(HERE, "cli-scenario.mjs");
  const { stdout } = await run(command, [...args, script], {
    input: JSON.stringify(faithful),
    env: { ...process.env, NO_COLOR: "1", ...env },
  });
  const { runtime, bits } = JSON.parse(stdout);
  return { runtime, result: fromBits(bits) };
}

/** A TCP port that was free a moment ago on 127.0.0.1 (for servers that cannot report theirs). */
export function freePort(): Promise<number> {
  return new Promise((resolvePromise, reject) => {
    const server = createNetServer();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolvePromise(port));
    });
  });
}

/** Polls `url` until it answers (any status), failing early if `child` exits. */
export async function waitForHttp(url: string, child: ChildProcess, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let exited: string | undefined;
  child.once("exit", (code, signal) => {
    exited = `exited with ${signal ?? code}`;
  });
  for (;;) {
    if (exited) throw new Error(`server ${exited} before answering ${url}`);
    try {
      await fetch(url, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`no answer from ${url} after ${timeoutMs} ms`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

const MIME: Record<string, string> = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".mjs": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".json": "application/json",
  ".wasm": "application/wasm",
  ".csv": "text/csv; charset=utf-8",
};

export interface StaticServer {
  origin: string;
  close(): Promise<void>;
}

/**
 * Serves files from ROOT on 127.0.0.1 (a port the OS picks), only under the
 * given top-level prefixes such as "dist/"; anything else is 404.
 */
export function serveStatic(prefixes: string[]): Promise<StaticServer> {
  const server: Server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? "/", "http://x").pathname).slice(1);
    const file = resolve(ROOT, path);
    const allowed = prefixes.some((p) => path.startsWith(p)) && file.startsWith(ROOT.endsWith(sep) ? ROOT : ROOT + sep);
    if (!allowed || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { "content-type": "text/plain" }).end(`not found: /${path}`);
      return;
    }
    res.writeHead(200, {
      "content-type": MIME[extname(file)] ?? "application/octet-stream",
      "cache-control": "no-store",
    });
    createReadStream(file).pipe(res);
  });
  return new Promise((resolvePromise) => {
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      resolvePromise({
        origin: `http://127.0.0.1:${port}`,
        close: () =>
          new Promise<void>((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}
