// `npm run example:anomaly`: anomaly detection at the edge, end to end. Bundles
// the worker (build.mjs), serves it with workerd (Cloudflare Workers' runtime,
// from npm) on a free 127.0.0.1 port, sends the 119 held-out benign rows and
// the 212 malignant rows of the breast-cancer data to POST /anomaly, prints
// the detection quality computed from the worker's answers, and stops workerd.
// Run from the repository root after `npm run build`.
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { createServer } from "node:net";
import { fileURLToPath } from "node:url";
import * as lib from "gmm-wasm";
import { anomalyReport } from "./anomaly-report.mjs";
import { bundle } from "./build.mjs";
import { loadBreastCancer } from "./fit-anomaly.mjs";

const here = fileURLToPath(new URL(".", import.meta.url));
const WORKERD = createRequire(import.meta.url)("workerd").default;

function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer().on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function waitUntilUp(origin, child) {
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`workerd exited with ${child.exitCode}`);
    try {
      await fetch(origin, { signal: AbortSignal.timeout(1000) });
      return;
    } catch {
      if (Date.now() > deadline) throw new Error(`workerd did not answer on ${origin}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }
}

await lib.init();
await bundle();
const port = await freePort();
const child = spawn(WORKERD, ["serve", `${here}config.capnp`, "--socket-addr", `http=127.0.0.1:${port}`], {
  stdio: ["ignore", "inherit", "inherit"],
});
const stop = () => {
  if (child.exitCode === null && child.signalCode === null) child.kill("SIGTERM");
};
process.on("SIGINT", () => {
  stop();
  process.exit(130);
});
try {
  const origin = `http://127.0.0.1:${port}`;
  await waitUntilUp(origin, child);
  const { heldOut, malignant } = loadBreastCancer();
  const ask = async (rows) => {
    const res = await fetch(`${origin}/anomaly`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ rows }),
    });
    if (!res.ok) throw new Error(`POST /anomaly: HTTP ${res.status} ${await res.text()}`);
    return res.json();
  };
  const t0 = performance.now();
  const benignAnswer = await ask(heldOut.map((r) => r.row));
  const malignantAnswer = await ask(malignant.map((r) => r.row));
  const ms = performance.now() - t0;
  const modelBundle = JSON.parse(readFileSync(`${here}src/anomaly-model.json`, "utf8"));
  const report = anomalyReport(lib, modelBundle, benignAnswer.logDensity, malignantAnswer.logDensity);
  console.log(
    `workerd on ${origin}: POST /anomaly scored ${heldOut.length + malignant.length} rows in two requests, ${ms.toFixed(0)} ms`,
  );
  console.log(
    `first malignant row: ${JSON.stringify({ anomaly: malignantAnswer.anomaly[0], logDensity: malignantAnswer.logDensity[0], threshold: malignantAnswer.threshold })}`,
  );
  console.log(
    `first held-out benign row: ${JSON.stringify({ anomaly: benignAnswer.anomaly[0], logDensity: benignAnswer.logDensity[0], threshold: benignAnswer.threshold })}`,
  );
  console.log("");
  console.log(report.markdown);
  console.log("");
  console.log(
    "Only the served contamination's threshold is in the worker; the other rows apply their thresholds to the worker's log-densities.",
  );
} finally {
  stop();
}
