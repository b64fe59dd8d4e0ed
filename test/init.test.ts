// init()'s checks: what it says when it is handed something that is not the
// core (an HTML page, another WebAssembly module), when Node is too old and
// when Deno may not read the file. Each test loads a fresh copy of
// src/wasm.ts (the suite's setup has already initialised the shared one).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { DIST, requireBuild, run } from "./runtimes/helpers.js";

const WASM = readFileSync(new URL("../build/gmm.wasm", import.meta.url));
const HTML = "<!DOCTYPE html><html><head><title>App</title></head><body></body></html>";
// (module (func (export "heapBase") (result i32) i32.const 0)): valid, but not the core
const OTHER = new Uint8Array([
  0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f, 0x03, 0x02, 0x01, 0x00,
  0x07, 0x0c, 0x01, 0x08, 0x68, 0x65, 0x61, 0x70, 0x42, 0x61, 0x73, 0x65, 0x00, 0x00, 0x0a, 0x06, 0x01, 0x04, 0x00,
  0x41, 0x00, 0x0b,
]);

async function freshWasm(): Promise<typeof import("../src/wasm.js")> {
  vi.resetModules();
  return import("../src/wasm.js");
}

let server: Server;
let origin: string;
beforeAll(async () => {
  // A server that answers every path with an HTML page, as SPA dev servers do for unknown files.
  server = createServer((req, res) => {
    if (req.url === "/gmm.wasm") res.writeHead(200, { "content-type": "application/wasm" }).end(WASM);
    else res.writeHead(200, { "content-type": "text/html" }).end(HTML);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  origin = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

describe("init() checks what it loads", () => {
  it("an HTML page served instead of the wasm: names the URL, the content type and what came back", async () => {
    const wasm = await freshWasm();
    const url = `${origin}/assets/gmm.wasm`;
    const error = await wasm.init(url).catch((e: Error) => e);
    expect(error).toBeInstanceOf(Error);
    const message = (error as Error).message;
    expect(message).toContain(url);
    expect(message).toContain("content-type text/html");
    expect(message).toContain("3c 21 44 4f");
    expect(message).toContain('"<!DOCTYPE html>');
    expect(message).toMatch(/HTML page.*does not serve gmm\.wasm at that URL/);
    // and the same URL fixed loads
    await wasm.init(`${origin}/gmm.wasm`);
    expect(typeof wasm.kernels().heapBase()).toBe("number");
  });

  it("bytes, a file and a Response that are not WebAssembly are refused the same way", async () => {
    const wasm = await freshWasm();
    await expect(wasm.init(new TextEncoder().encode(HTML))).rejects.toThrow(
      /the bytes given is not WebAssembly: got 72 bytes starting 3c 21 44 4f/,
    );
    const dir = mkdtempSync(join(tmpdir(), "gmm-init-"));
    try {
      writeFileSync(join(dir, "gmm.wasm"), "not found\n");
      await expect(wasm.init(new URL(`file://${dir}/gmm.wasm`))).rejects.toThrow(
        new RegExp(`file://${dir}/gmm.wasm is not WebAssembly: got 10 bytes starting 6e 6f 74 20 "not found "`),
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    await expect(wasm.init(new Response(HTML, { headers: { "content-type": "text/html" } }))).rejects.toThrow(
      /the Response is not WebAssembly.*content-type text\/html.*HTML page/,
    );
    await expect(wasm.init(new Uint8Array(0))).rejects.toThrow(/got 0 bytes starting "" instead of 00 61 73 6d/);
    await expect(wasm.init(42 as never)).rejects.toThrow(/cannot load WebAssembly from \[object Number\]/);
  });

  it("a valid but different WebAssembly module is refused, and init() then succeeds with the right one", async () => {
    const wasm = await freshWasm();
    // the other module shares one export name (memory is counted in) with the core
    await expect(wasm.init(OTHER)).rejects.toThrow(
      /not gmm-wasm's core: it lacks (\d+) of its \d+ exports \(memory, cholesky, invertLower, precisionCholeskyFull, …\)/,
    );
    await expect(wasm.init(new WebAssembly.Module(OTHER))).rejects.toThrow(/not gmm-wasm's core/);
    expect(() => wasm.kernels()).toThrow(/not initialised/);
    await wasm.init(WASM);
    expect(wasm.kernels().cholesky).toBeTypeOf("function");
  });

  it("every export init() requires is in build/gmm.wasm (the compiler ties the list to the Kernels interface)", () => {
    const exported = WebAssembly.Module.exports(new WebAssembly.Module(WASM))
      .map((e) => e.name)
      .sort();
    const source = readFileSync(new URL("../src/wasm.ts", import.meta.url), "utf8");
    const block = source.slice(
      source.indexOf("const KERNEL_EXPORTS"),
      source.indexOf("};", source.indexOf("const KERNEL_EXPORTS")),
    );
    const required = [...block.matchAll(/(\w+): true/g)].map((m) => m[1]);
    // more than a handful: a truncated parse of the list would pass the check below vacuously
    expect(required.length).toBeGreaterThan(30);
    expect(["memory", ...required].filter((name) => !exported.includes(name))).toEqual([]);
  });

  it("Node older than 20.16 is named, with the minimum", async () => {
    const wasm = await freshWasm();
    expect(wasm.runtimeProblem({ process: { versions: { node: "20.15.1" } } })).toBe(
      "gmm-wasm needs Node ≥ 20.16 (or ≥ 22.3), which has process.getBuiltinModule; this is Node 20.15.1. Upgrade Node.",
    );
    expect(
      wasm.runtimeProblem({ process: { versions: { node: "20.16.0" }, getBuiltinModule: () => undefined } }),
    ).toBeUndefined();
    // Deno and Bun report a Node version too; browsers and workerd have no process.versions.node
    expect(wasm.runtimeProblem({ process: { versions: { node: "20.11.1" } }, Deno: {} })).toBeUndefined();
    expect(wasm.runtimeProblem({ process: { versions: { node: "18.0.0" } }, Bun: {} })).toBeUndefined();
    expect(wasm.runtimeProblem({})).toBeUndefined();
    expect(wasm.runtimeProblem()).toBeUndefined(); // this Node
    // and init() says so in such a Node (simulated by hiding getBuiltinModule)
    const saved = process.getBuiltinModule;
    (process as { getBuiltinModule?: unknown }).getBuiltinModule = undefined;
    try {
      await expect(wasm.init(WASM)).rejects.toThrow(
        `gmm-wasm needs Node ≥ 20.16 (or ≥ 22.3), which has process.getBuiltinModule; this is Node ${process.versions.node}`,
      );
    } finally {
      process.getBuiltinModule = saved;
    }
    await wasm.init(WASM);
  });

  it("Deno without --allow-read names the permission to add", async () => {
    requireBuild();
    const deno: string = createRequire(import.meta.url)("deno/install_api.cjs").runInstall();
    const dir = mkdtempSync(join(tmpdir(), "gmm-deno-"));
    try {
      const script = join(dir, "main.mjs");
      writeFileSync(
        script,
        `import { init } from ${JSON.stringify(`file://${DIST}/index.js`)};\ntry { await init(); console.log("loaded"); } catch (e) { console.log(e.message); }\n`,
      );
      // read access to the script's folder only, not to dist/
      const { stdout } = await run(
        deno,
        ["run", "--no-prompt", "--no-lock", "--no-remote", `--allow-read=${dir}`, script],
        { env: { ...process.env, NO_COLOR: "1", DENO_NO_UPDATE_CHECK: "1" } },
      );
      expect(stdout.trim()).toBe(
        `init(): Deno may not read ${DIST}/gmm.wasm: run with --allow-read=${DIST} (the package's folder, e.g. --allow-read=node_modules), or pass init() the .wasm bytes or a WebAssembly.Module`,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
