// Cloudflare Workers, run locally by workerd (the npm package's binary).
// The example in examples/cloudflare-worker is bundled by its own build.mjs
// and served with its own config.capnp; its answers to POST /score and
// POST /anomaly must equal Node's for the same models, and bad requests must
// get 400s with the library's message. A test-only worker also fits inside workerd and must
// give Node's bits.
import { type ChildProcess, spawn } from "node:child_process";
import { copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { build } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { bundle } from "../../examples/cloudflare-worker/build.mjs";
import { loadBreastCancer } from "../../examples/cloudflare-worker/fit-anomaly.mjs";
import { scoreAnomalies } from "../../examples/cloudflare-worker/src/anomaly.js";
import {
  expectAgree,
  expectSameBits,
  faithful,
  freePort,
  HERE,
  nodeReference,
  ROOT,
  requireBuild,
  type ScenarioResult,
  waitForHttp,
} from "./helpers.js";
import { fromBits } from "./scenario.mjs";

// The binary itself, not node_modules/.bin/workerd: without the package's
// postinstall that is a Node wrapper, and killing it would orphan workerd.
const WORKERD: string = createRequire(import.meta.url)("workerd").default;
const EXAMPLE = join(ROOT, "examples/cloudflare-worker");

interface Workerd {
  origin: string;
  stop(): Promise<void>;
}

/**
 * Starts `workerd serve` on a free 127.0.0.1 port (overriding the config's
 * "http" socket) and waits until it answers. workerd cannot report a port it
 * picked itself, so a port taken in between is retried.
 */
async function startWorkerd(config: string): Promise<Workerd> {
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const child: ChildProcess = spawn(WORKERD, ["serve", config, "--socket-addr", `http=127.0.0.1:${port}`], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let output = "";
    child.stdout!.setEncoding("utf8").on("data", (s: string) => (output += s));
    child.stderr!.setEncoding("utf8").on("data", (s: string) => (output += s));
    const exited = new Promise<void>((done) => child.once("exit", () => done()));
    const origin = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(`${origin}/`, child);
    } catch (e) {
      child.kill("SIGKILL");
      await exited;
      if (attempt < 3 && /address already in use/i.test(output)) continue;
      throw new Error(`workerd did not start: ${(e as Error).message}\n${output}`);
    }
    return {
      origin,
      stop: async () => {
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill("SIGTERM");
        const timer = setTimeout(() => child.kill("SIGKILL"), 3000);
        await exited;
        clearTimeout(timer);
      },
    };
  }
}

async function post(url: string, body: string): Promise<{ status: number; type: string | null; json: any }> {
  const res = await fetch(url, { method: "POST", body, headers: { "content-type": "application/json" } });
  return { status: res.status, type: res.headers.get("content-type"), json: await res.json() };
}

describe("Cloudflare Workers (workerd)", () => {
  let dir: string;
  let example: Workerd | undefined;
  let scenario: Workerd | undefined;
  let lib: typeof import("gmm-wasm");

  beforeAll(async () => {
    requireBuild();
    dir = mkdtempSync(join(tmpdir(), "gmm-workerd-"));
    // The example exactly as a user runs it: build.mjs, then its config.capnp.
    mkdirSync(join(dir, "example"));
    await bundle(join(dir, "example/dist"));
    copyFileSync(join(EXAMPLE, "config.capnp"), join(dir, "example/config.capnp"));
    // The test-only scenario worker, bundled the same way.
    mkdirSync(join(dir, "scenario"));
    await build({
      entryPoints: [join(HERE, "workerd/scenario-worker.js")],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2022",
      outdir: join(dir, "scenario/dist"),
      loader: { ".wasm": "copy" },
      assetNames: "[name]",
      logLevel: "warning",
    });
    copyFileSync(join(HERE, "workerd/config.capnp"), join(dir, "scenario/config.capnp"));
    const started = await Promise.allSettled([
      startWorkerd(join(dir, "example/config.capnp")),
      startWorkerd(join(dir, "scenario/config.capnp")),
    ]);
    // Keep whichever started, so afterAll stops it even if the other failed.
    [example, scenario] = started.map((s) => (s.status === "fulfilled" ? s.value : undefined));
    for (const s of started) if (s.status === "rejected") throw s.reason;
    lib = await import("gmm-wasm");
    await nodeReference(); // initialises lib
  }, 60_000);

  afterAll(async () => {
    await Promise.all([example?.stop(), scenario?.stop()]);
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("fits inside workerd (init(module)) with Node's results, bit for bit", async () => {
    const res = await fetch(scenario!.origin, { method: "POST", body: JSON.stringify(faithful) });
    expect(res.status).toBe(200);
    const result: ScenarioResult = fromBits(await res.json());
    const reference = await nodeReference();
    expectAgree(result, reference, 1e-12);
    expectSameBits(result, reference);
  });

  it("POST /score answers Node's log-densities, labels and probabilities for the bundled model", async () => {
    const model = JSON.parse(readFileSync(join(EXAMPLE, "src/model.json"), "utf8"));
    const gmm = lib.GaussianMixture.fromJSON(model);
    const rows = [...faithful, [0, 0], [10, 200], [-1e6, 1e6]];
    const { status, type, json } = await post(`${example!.origin}/score`, JSON.stringify({ rows }));
    expect(status).toBe(200);
    expect(type).toBe("application/json");
    const logDensity = Array.from(gmm.scoreSamples(rows));
    const { data } = gmm.predictProba(rows);
    const expected = { logDensity, proba: Array.from(data) };
    const actual = { logDensity: json.logDensity, proba: json.proba.flat() };
    expect(json.proba).toHaveLength(rows.length);
    expect(json.proba.every((p: number[]) => p.length === model.n_components)).toBe(true);
    expectAgree(actual, expected, 1e-12);
    expectSameBits(actual, expected); // JSON carries doubles exactly
    expect(json.labels).toEqual(Array.from(gmm.predict(rows)));
  });

  it('POST /score gives a row far beyond every component the log-density "-Infinity", never null, and probabilities summing to 1', async () => {
    const { status, json } = await post(
      `${example!.origin}/score`,
      JSON.stringify({
        rows: [
          [1e160, 70],
          [3.6, 79],
        ],
      }),
    );
    expect(status).toBe(200);
    expect(json.logDensity[0]).toBe("-Infinity");
    expect(typeof json.logDensity[1]).toBe("number");
    expect(json.proba[0].reduce((a: number, b: number) => a + b, 0)).toBeCloseTo(1, 12);
  });

  it.each([
    ["not JSON", "rows=1,2", /not valid JSON/],
    ["NaN (not JSON either)", '{"rows": [[NaN, 70]]}', /not valid JSON/],
    ["no rows field", '{"data": [[3.6, 79]]}', /needs a "rows" field/],
    ["null body", "null", /needs a "rows" field/],
    ["rows not an array", '{"rows": "3.6,79"}', /^rows must be an array of rows/],
    ["no rows", '{"rows": []}', /^rows is empty/],
    ["a flat row", '{"rows": [3.6, 79]}', /^rows\[0\] must be an array of numbers/],
    ["ragged rows", '{"rows": [[3.6, 79], [1.8]]}', /^rows is ragged: row 1 has 1 values but row 0 has 2/],
    ["a string value", '{"rows": [[3.6, 79], [1.8, "54"]]}', /^rows\[1\]\[1\] is not a number \(string\)/],
    ["a null value", '{"rows": [[null, 79]]}', /^rows\[0\]\[0\] is not a number/],
    ["an infinite value", '{"rows": [[3.6, 1e999]]}', /^rows\[0\]\[1\] is Infinity/],
    ["the wrong feature count", '{"rows": [[3.6, 79, 1]]}', /^rows has 3 features but the model was fitted with 2/],
  ])("POST /score with %s is a 400 with the reason", async (_, body, message) => {
    const { status, type, json } = await post(`${example!.origin}/score`, body);
    expect(status).toBe(400);
    expect(type).toBe("application/json");
    expect(json.error).toMatch(message);
  });

  it("POST /score with more than 10 000 rows is a 413", async () => {
    const rows = Array.from({ length: 10_001 }, () => [3.6, 79]);
    const { status, json } = await post(`${example!.origin}/score`, JSON.stringify({ rows }));
    expect(status).toBe(413);
    expect(json.error).toMatch(/10001 rows is more than 10000/);
  });

  it("POST /anomaly answers Node's log-densities and flags for the held-out benign and the malignant rows, with the threshold", async () => {
    const anomalyBundle = JSON.parse(readFileSync(join(EXAMPLE, "src/anomaly-model.json"), "utf8"));
    const gmm = lib.GaussianMixture.fromJSON(anomalyBundle.model);
    const { heldOut, malignant } = loadBreastCancer();
    const rows = [...heldOut, ...malignant].map((r) => r.row);
    const { status, type, json } = await post(`${example!.origin}/anomaly`, JSON.stringify({ rows }));
    expect(status).toBe(200);
    expect(type).toBe("application/json");
    const expected = scoreAnomalies(gmm, anomalyBundle, rows);
    expectSameBits({ logDensity: json.logDensity }, { logDensity: expected.logDensity });
    expect(json.anomaly).toEqual(expected.anomaly);
    expect(json.threshold).toBe(anomalyBundle.threshold);
    expect(json.contamination).toBe(0.05);
    // most malignant rows are flagged, most held-out benign rows are not (the numbers: test/example-anomaly.test.ts)
    const flagged = (from: number, to: number) => json.anomaly.slice(from, to).filter(Boolean).length;
    expect(flagged(heldOut.length, rows.length)).toBeGreaterThan(0.85 * malignant.length);
    expect(flagged(0, heldOut.length)).toBeLessThan(0.15 * heldOut.length);
  });

  it('POST /anomaly flags a row far beyond every component with the log-density "-Infinity"', async () => {
    const row = loadBreastCancer().heldOut[0].row;
    const far = row.map((v: number, j: number) => (j === 3 ? 1e200 : v));
    const { status, json } = await post(`${example!.origin}/anomaly`, JSON.stringify({ rows: [far, row] }));
    expect(status).toBe(200);
    expect(json.logDensity[0]).toBe("-Infinity");
    expect(json.anomaly).toEqual([true, false]);
  });

  it.each([
    ["not JSON", "rows=1,2", /not valid JSON/],
    ["no rows field", '{"data": []}', /needs a "rows" field: an array of rows, each with 30 numbers/],
    ["rows not an array", '{"rows": {}}', /^rows must be an array of rows/],
    ["no rows", '{"rows": []}', /^rows is empty/],
    ["the wrong feature count", '{"rows": [[3.6, 79]]}', /^rows has 2 features but the model was fitted with 30/],
    [
      "a string value",
      JSON.stringify({ rows: [Array.from({ length: 30 }, (_, j) => (j === 7 ? "0.1" : 1))] }),
      /^rows\[0\]\[7\] is not a number \(string\)/,
    ],
    [
      "ragged rows",
      JSON.stringify({ rows: [Array(30).fill(1), Array(29).fill(1)] }),
      /^rows is ragged: row 1 has 29 values but row 0 has 30/,
    ],
    [
      "a value too large to standardise",
      JSON.stringify({ rows: [Array.from({ length: 30 }, (_, j) => (j === 19 ? 1e308 : 1))] }),
      /^rows\[0\]\[19\] = 1e\+308 is too large/,
    ],
  ])("POST /anomaly with %s is a 400 with the reason", async (_, body, message) => {
    const { status, type, json } = await post(`${example!.origin}/anomaly`, body);
    expect(status).toBe(400);
    expect(type).toBe("application/json");
    expect(json.error).toMatch(message);
  });

  it("other paths are 404 and other methods 405", async () => {
    expect((await fetch(`${example!.origin}/`)).status).toBe(404);
    expect((await post(`${example!.origin}/predict`, "{}")).status).toBe(404);
    const get = await fetch(`${example!.origin}/score`);
    expect(get.status).toBe(405);
    expect(get.headers.get("allow")).toBe("POST");
    expect((await fetch(`${example!.origin}/score`, { method: "PUT", body: "{}" })).status).toBe(405);
    const getAnomaly = await fetch(`${example!.origin}/anomaly`);
    expect(getAnomaly.status).toBe(405);
    expect(getAnomaly.headers.get("allow")).toBe("POST");
    expect((await fetch(`${example!.origin}/anomaly/x`)).status).toBe(404);
    expect((await fetch(`${example!.origin}/__proto__`)).status).toBe(404);
  });
});
