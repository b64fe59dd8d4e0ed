// A static server for the segmentation example (`npm run example:segment`):
// the page and its scripts from examples/segment/, the sample photo and the
// built library from dist/, on 127.0.0.1 only. Nothing else is served.
// Usage: node examples/segment/serve.mjs [port]   (default 8081, or PORT)

import { readFile } from "node:fs/promises";
import { createServer } from "node:http";
import { extname } from "node:path";
import { fileURLToPath } from "node:url";

const root = new URL("../../", import.meta.url);
const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".map": "application/json",
  ".wasm": "application/wasm",
  ".png": "image/png",
};

/** The file behind a request path, or undefined: only listed names, never a path with `..`. */
function resolve(pathname) {
  if (pathname === "/" || pathname === "/index.html") return new URL("examples/segment/index.html", root);
  let m = /^\/(app\.js|worker\.js|segment\.js|coffee\.png)$/.exec(pathname);
  if (m) return new URL(`examples/segment/${m[1]}`, root);
  m = /^\/dist\/([\w-]+\.(?:js|wasm|map))$/.exec(pathname);
  if (m) return new URL(`dist/${m[1]}`, root);
  return undefined;
}

/**
 * Starts the server; resolves to its URL and a close function.
 * @param {{ port?: number, host?: string }} options port 0 picks a free one
 */
export function startServer({ port = 0, host = "127.0.0.1" } = {}) {
  const server = createServer(async (req, res) => {
    const { pathname } = new URL(req.url ?? "/", "http://localhost");
    const file = req.method === "GET" || req.method === "HEAD" ? resolve(pathname) : undefined;
    if (!file) {
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end("not found\n");
      return;
    }
    try {
      const body = await readFile(fileURLToPath(file));
      res.writeHead(200, {
        "content-type": TYPES[extname(file.pathname)] ?? "application/octet-stream",
        "cache-control": "no-store",
      });
      res.end(req.method === "HEAD" ? undefined : body);
    } catch {
      const hint = pathname.startsWith("/dist/") ? " (run `npm run build` first)" : "";
      res.writeHead(404, { "content-type": "text/plain; charset=utf-8" }).end(`not found${hint}\n`);
    }
  });
  return new Promise((resolveStart, reject) => {
    server.once("error", reject);
    server.listen(port, host, () => {
      const { port: actual } = server.address();
      resolveStart({
        url: `http://${host}:${actual}/`,
        close: () =>
          new Promise((done) => {
            server.closeAllConnections();
            server.close(() => done());
          }),
      });
    });
  });
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const wanted = Number(process.argv[2] ?? process.env.PORT ?? 8081);
  let started;
  try {
    started = await startServer({ port: wanted });
  } catch (e) {
    if (e.code !== "EADDRINUSE") throw e;
    started = await startServer({ port: 0 });
    console.log(`Port ${wanted} is taken; using another.`);
  }
  console.log(`gmm-wasm image segmentation: ${started.url}  (Ctrl-C to stop)`);
}
