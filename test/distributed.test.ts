// examples/distributed: EM over shards with a coordinator Durable Object and
// shard Workers, on a local cluster (one workerd process per shard and one for
// the coordinator, 127.0.0.1 only; the bucket is workerd's disk service).
// From the same start, the distributed fit must equal `gmm-wasm fit --start`
// to 1e-10 relative for all four covariance types with 1, 3 and 8 shards on
// Old Faithful and iris; a shard that throws once, hangs once or answers
// malformed statistics once, and a coordinator killed mid-fit, must end with
// the clean run's model; a shard that keeps failing must stop the fit with an
// error naming it. One cluster serves every fit; the tests stop it. Then the
// Cloudflare deployment: both wrangler configs built by `wrangler deploy
// --dry-run` and served together by `wrangler dev` for one fit.
import { type ChildProcess, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFit, startCluster, waitForFit, writeDataset } from "../examples/distributed/cluster.mjs";
import { parseTable } from "../src/csv.js";
import { GaussianMixture } from "../src/index.js";
import { freePort, ROOT, requireBuild, run, waitForHttp } from "./runtimes/helpers.js";

const TYPES = ["full", "tied", "diag", "spherical"] as const;
const SHARDS = [1, 3, 8];
const DATA = { faithful: "data/faithful.csv", iris: "data/iris.csv" } as const;
const TOL = 1e-4;
const FAULTY = "faulty"; // dataset prefixes whose shard 1 misbehaves (shard process 1's FAULTS)
// where the shards' statistics are computed: in the shard Worker, or in a Durable Object per shard object
const FAN_OUTS = ["service", "objects"] as const;
type FanOut = (typeof FAN_OUTS)[number];
const LOST = "Network connection lost.";
const FAULTS = ["clean", "throw-once", "hang-once", "malformed-once", "malformed-always", "throw-always", "slow"];

type Model = Record<string, any>;
type Outcome = { status: Record<string, any>; model: Model | null };

let dir: string;
let cluster: Awaited<ReturnType<typeof startCluster>> | undefined;
const tables = Object.fromEntries(
  Object.entries(DATA).map(([name, path]) => [name, parseTable(readFileSync(join(ROOT, path)))]),
);
const starts = new Map<string, Model>();
const references = new Map<string, Promise<Model>>();
const parity = new Map<string, Promise<Outcome>>();

/** A start that is not an optimum: one EM iteration from random rows as means. */
function startFor(data: string, type: string): Model {
  const key = `${data}/${type}`;
  if (!starts.has(key)) {
    starts.set(
      key,
      new GaussianMixture({
        nComponents: 3,
        covarianceType: type as any,
        initParams: "random_from_data",
        maxIter: 1,
        randomState: 7,
      })
        .fit(tables[data])
        .toJSON(),
    );
  }
  return starts.get(key)!;
}

/** `gmm-wasm fit FILE --start start.json`: the reference every distributed fit must equal. */
function cliFit(data: keyof typeof DATA, type: string): Promise<Model> {
  const key = `${data}/${type}`;
  if (!references.has(key)) {
    const start = join(dir, `start-${data}-${type}.json`);
    const out = join(dir, `cli-${data}-${type}.json`);
    writeFileSync(start, JSON.stringify(startFor(data, type)));
    references.set(
      key,
      run(process.execPath, [
        join(ROOT, "dist/cli.js"),
        "fit",
        join(ROOT, DATA[data]),
        "--start",
        start,
        "--tol",
        String(TOL),
        "--max-iter",
        "500",
        "--quiet",
        "--out",
        out,
      ]).then(() => JSON.parse(readFileSync(out, "utf8"))),
    );
  }
  return references.get(key)!;
}

function distributedFit(
  dataset: string,
  data: string,
  type: string,
  extra: Record<string, unknown> = {},
): Promise<Outcome> {
  return runFit(cluster!.origin, {
    dataset,
    start: startFor(data, type),
    tol: TOL,
    maxIter: 500,
    ...extra,
  }) as Promise<Outcome>;
}

/** Worst |a − b| / scale over the arrays, scale = max(|b|, 1e-3 · max |b| of the array). */
function worstRelative(a: unknown, b: unknown): number {
  const fa = [a].flat(3) as number[];
  const fb = [b].flat(3) as number[];
  expect(fa.length).toBe(fb.length);
  const big = Math.max(...fb.map(Math.abs));
  let worst = 0;
  for (let i = 0; i < fb.length; i++)
    worst = Math.max(worst, Math.abs(fa[i] - fb[i]) / Math.max(Math.abs(fb[i]), 1e-3 * big));
  return worst;
}

function expectSameModel(actual: Model | null, expected: Model, tolerance = 1e-10): void {
  expect(actual).not.toBeNull();
  for (const field of ["weights_", "means_", "covariances_", "lower_bound_"]) {
    expect(worstRelative(actual![field], expected[field]), field).toBeLessThanOrEqual(tolerance);
  }
  expect([actual!.n_iter_, actual!.converged_, actual!.n_samples_fit]).toEqual([
    expected.n_iter_,
    expected.converged_,
    expected.n_samples_fit,
  ]);
}

beforeAll(async () => {
  requireBuild();
  dir = mkdtempSync(join(tmpdir(), "gmm-distributed-test-"));
  const bucket = join(dir, "bucket");
  for (const [name, table] of Object.entries(tables))
    for (const s of SHARDS) writeDataset(bucket, `${name}-${s}`, table, s);
  // each fan-out has datasets of its own: a rule's "times" counts every request it matched
  for (const fanOut of FAN_OUTS)
    for (const fault of FAULTS) writeDataset(bucket, `${FAULTY}-${fanOut}-${fault}`, tables.faithful, 3);
  cluster = await startCluster({
    dir,
    shards: 8,
    faults: {
      1: FAN_OUTS.flatMap((fanOut) => [
        { match: `${FAULTY}-${fanOut}-throw-once/`, mode: "throw", iteration: 2, times: 1 },
        { match: `${FAULTY}-${fanOut}-hang-once/`, mode: "hang", iteration: 2, times: 1 },
        { match: `${FAULTY}-${fanOut}-malformed-once/`, mode: "malformed", iteration: 3, times: 1 },
        { match: `${FAULTY}-${fanOut}-malformed-always/`, mode: "malformed" },
        { match: `${FAULTY}-${fanOut}-throw-always/`, mode: "throw" },
        { match: `${FAULTY}-${fanOut}-slow/`, mode: "delay", ms: 60 },
      ]),
    },
  });
  // every parity fit of a fan-out and its reference at once (the cluster and the CLI runs
  // overlap), one fan-out after the other: all 48 at once overload this 2-core machine
  let before: Promise<unknown> = Promise.resolve();
  for (const fanOut of FAN_OUTS) {
    const fits: Promise<Outcome>[] = [];
    for (const data of Object.keys(DATA) as (keyof typeof DATA)[]) {
      for (const type of TYPES) {
        void cliFit(data, type).catch(() => {});
        for (const s of SHARDS) {
          const p = before.then(() => distributedFit(`${data}-${s}`, data, type, { fanOut }));
          p.catch(() => {});
          parity.set(`${fanOut}/${data}/${type}/${s}`, p);
          fits.push(p);
        }
      }
    }
    before = Promise.allSettled(fits);
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
}, 30_000);

describe.each(FAN_OUTS)("distributed EM equals gmm-wasm fit --start (fanOut %s)", (fanOut) => {
  for (const data of Object.keys(DATA) as (keyof typeof DATA)[]) {
    for (const type of TYPES) {
      it(`${data}, ${type}: 1, 3 and 8 shards give the CLI's model to 1e-10`, async () => {
        const expected = await cliFit(data, type);
        expect(expected.n_iter_).toBeGreaterThan(2);
        for (const s of SHARDS) {
          const { status, model } = await parity.get(`${fanOut}/${data}/${type}/${s}`)!;
          expect(status.error, status.error).toBeNull();
          expect([status.shards, status.fanOut]).toEqual([s, fanOut]);
          expectSameModel(model, expected);
          // the history: one entry per iteration, each shard asked once
          expect(status.history.map((h: any) => h.iteration)).toEqual(
            Array.from({ length: model!.n_iter_ }, (_, i) => i + 1),
          );
          for (const h of status.history) {
            // On a loaded machine the coordinator's requests to several shard processes now and then
            // fail at once with workerd's "Network connection lost." (most often with fanOut objects;
            // unexplained, the processes log nothing); the retry, after a back-off, answers, and the
            // model above shows nothing was counted twice. Any other retry in a clean run is a failure.
            const lost = Object.entries(h.retried ?? {}).filter(([, failures]) =>
              (failures as string[]).every((f) => f === LOST),
            );
            for (const [shard] of lost) expect(h.attempts[shard]).toBeLessThanOrEqual(3);
            const others = Object.entries(h.attempts).filter(([shard]) => !lost.some(([l]) => l === shard));
            expect(
              others.map(([, tries]) => tries),
              JSON.stringify(h.retried),
            ).toEqual(Array(s - lost.length).fill(1));
          }
        }
      });
    }
  }
});

describe.each(FAN_OUTS)("faults (fanOut %s)", (fanOut: FanOut) => {
  const prefix = `${FAULTY}-${fanOut}`;
  const faultyFit = (fault: string, extra: Record<string, unknown> = {}) =>
    distributedFit(`${prefix}-${fault}`, "faithful", "full", { fanOut, ...extra });
  const clean = () => faultyFit("clean");

  it("a shard that throws once is retried and the model is the clean run's", async () => {
    const [ok, faulty] = await Promise.all([clean(), faultyFit("throw-once")]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[1].attempts).toEqual({ 0: 1, 1: 2, 2: 1 });
  });

  it("a shard that hangs is abandoned after the timeout, retried, and the model is the clean run's", async () => {
    const [ok, faulty] = await Promise.all([clean(), faultyFit("hang-once", { timeoutMs: 1000 })]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[1].attempts[1]).toBe(2); // (the others: 1, unless the machine is slower than the timeout)
    expect(faulty.status.history[1].roundTripMs).toBeGreaterThanOrEqual(1000);
  });

  it("malformed statistics are refused (mergeStatistics) and retried; counted once", async () => {
    const [ok, faulty] = await Promise.all([clean(), faultyFit("malformed-once")]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[2].attempts).toEqual({ 0: 1, 1: 2, 2: 1 });
  });

  it("a shard whose statistics stay malformed stops the fit with an error naming it", async () => {
    const { status, model } = await faultyFit("malformed-always", { retries: 2 });
    expect(model).toBeNull();
    expect(status.status).toBe("failed");
    expect(status.error).toMatch(
      new RegExp(
        `^shard 1 \\(${prefix}-malformed-always/shard-1\\.f64\\) failed 3 times at iteration 1; last: mergeStatistics: argument 0: .*nk`,
      ),
    );
    expect(status.iteration).toBe(0);
  });

  it("a shard that keeps throwing stops the fit with an error naming it", async () => {
    const { status } = await faultyFit("throw-always", { retries: 1 });
    expect(status.status).toBe("failed");
    expect(status.error).toMatch(
      new RegExp(
        `^shard 1 \\(${prefix}-throw-always/shard-1\\.f64\\) failed 2 times at iteration 1; last: HTTP 500: .*injected fault`,
      ),
    );
  });

  it("a coordinator killed mid-fit resumes from the last completed iteration and ends with the clean run's model", async () => {
    const ok = await clean();
    const id = `restarted-${fanOut}`;
    const res = await fetch(`${cluster!.origin}/fit`, {
      method: "POST",
      body: JSON.stringify({
        dataset: `${prefix}-slow`,
        start: startFor("faithful", "full"),
        tol: TOL,
        maxIter: 500,
        fanOut,
        id,
      }),
    });
    expect(res.status).toBe(202);
    await waitForIteration(id, 3);
    await cluster!.restartCoordinator({ kill: true });
    const status = await waitForFit(cluster!.origin, id);
    expect(status.fanOut).toBe(fanOut);
    const model = await (await fetch(`${cluster!.origin}/fit/${id}/model`)).json();
    expectSameModel(model, ok.model!, 0);
    expect(status.resumedAt.length).toBe(1);
    expect(status.resumedAt[0]).toBeGreaterThanOrEqual(3);
    expect(status.resumedAt[0]).toBeLessThan(model.n_iter_);
    expect(status.history.map((h: any) => h.iteration)).toEqual(Array.from({ length: model.n_iter_ }, (_, i) => i + 1));
  });
});

async function waitForIteration(id: string, iteration: number): Promise<void> {
  for (const deadline = Date.now() + 20_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 10))) {
    const status = await (await fetch(`${cluster!.origin}/fit/${id}`)).json();
    if (status.iteration >= iteration) return;
  }
  throw new Error(`fit ${id} never reached iteration ${iteration}`);
}

describe("routes", () => {
  it("POST /fit without a start draws a seeded sample from the shards; the same seed gives the same model, whatever the fan-out", async () => {
    const request = { dataset: "faithful-3", nComponents: 2, covarianceType: "diag", seed: 5, sampleSize: 100 };
    const [a, b, c] = await Promise.all([
      runFit(cluster!.origin, request),
      runFit(cluster!.origin, request),
      runFit(cluster!.origin, { ...request, fanOut: "objects" }),
    ]);
    expect(a.status.status).toBe("converged");
    expect(a.status.sample.rows).toBe(100);
    expect(a.model).toEqual(b.model);
    expect(c.model).toEqual(a.model);
    expect(a.model!.n_samples_fit).toBe(272);
  });

  it("bad requests and unknown fits", async () => {
    const post = (body: string) => fetch(`${cluster!.origin}/fit`, { method: "POST", body });
    expect((await post("{")).status).toBe(400);
    const noData = await post(JSON.stringify({ nComponents: 2 }));
    expect([noData.status, (await noData.json()).error]).toEqual([400, expect.stringMatching(/^dataset/)]);
    expect((await post(JSON.stringify({ dataset: "x", nComponents: 0 }))).status).toBe(400);
    const badFanOut = await post(JSON.stringify({ dataset: "x", fanOut: "queues" }));
    expect([badFanOut.status, (await badFanOut.json()).error]).toEqual([
      400,
      'fanOut must be one of service, objects; got "queues"',
    ]);
    const missing = await runFit(cluster!.origin, { dataset: "no-such-data", nComponents: 2 });
    expect(missing.status.error).toMatch(/no dataset "no-such-data"/);
    expect((await fetch(`${cluster!.origin}/fit/nope`)).status).toBe(404);
    expect((await fetch(`${cluster!.origin}/fit/nope/model`)).status).toBe(404);
  });
});

describe("npm run example:distributed", () => {
  it("splits the CSV, starts its own cluster, fits from --start, writes the CLI's model", async () => {
    const start = join(dir, "start-iris-tied.json");
    writeFileSync(start, JSON.stringify(startFor("iris", "tied")));
    const out = join(dir, "example-iris-tied.json");
    const { stderr } = await run(process.execPath, [
      join(ROOT, "examples/distributed/run.mjs"),
      "--data",
      join(ROOT, DATA.iris),
      "--shards",
      "3",
      "--start",
      start,
      "--tol",
      String(TOL),
      "--max-iter",
      "500",
      "--out",
      out,
    ]);
    expect(stderr).toMatch(/150 rows × 4 in 3 shards/);
    expectSameModel(JSON.parse(readFileSync(out, "utf8")), await cliFit("iris", "tied"));
  });
});

describe("gmm-wasm fit --start", () => {
  it("refuses a start of another K or covariance type, and --init", async () => {
    const start = join(dir, "start-faithful-full.json");
    writeFileSync(start, JSON.stringify(startFor("faithful", "full")));
    const cli = (...args: string[]) =>
      run(process.execPath, [join(ROOT, "dist/cli.js"), "fit", join(ROOT, DATA.faithful), "--start", start, ...args]);
    await expect(cli("--components", "2")).rejects.toThrow(/--components 2 but the --start model has 3 components/);
    await expect(cli("--covariance", "diag")).rejects.toThrow(/--covariance diag but the --start model is full/);
    await expect(cli("--init", "kmeans")).rejects.toThrow(/--start gives the start; --init does not go with it/);
  });
});

// The Cloudflare deployment as wrangler builds it: both configs, unchanged, in a
// scratch project whose node_modules/gmm-wasm is this checkout (a symlink, so
// wrangler bundles the built dist/ through the package's exports map, as an
// installed package would be). `wrangler dev` then serves the two Workers
// together (the service binding, the Durable Object, and R2 simulated locally,
// filled by `wrangler r2 bulk put --local`): the real R2 code path, which the
// workerd cluster (the disk service) does not take.
describe("the Cloudflare deployment, built and served by wrangler", () => {
  const WRANGLER = join(createRequire(import.meta.url).resolve("wrangler/package.json"), "..", "bin", "wrangler.js");
  const EXAMPLE = join(ROOT, "examples", "distributed");
  let app: string;
  let env: NodeJS.ProcessEnv;
  const wrangler = (...args: string[]) =>
    run(process.execPath, [WRANGLER, ...args], { cwd: app, env, timeoutMs: 60_000 });

  beforeAll(() => {
    app = join(dir, "wrangler-app");
    mkdirSync(join(app, "node_modules"), { recursive: true });
    cpSync(join(EXAMPLE, "src"), join(app, "src"), { recursive: true });
    for (const f of ["wrangler.toml", "wrangler.shard.toml"]) cpSync(join(EXAMPLE, f), join(app, f));
    writeFileSync(join(app, "package.json"), JSON.stringify({ name: "gmm-em", private: true, type: "module" }));
    symlinkSync(ROOT, join(app, "node_modules", "gmm-wasm"), "dir");
    // no telemetry, no update check, no Request.cf download; logs and caches in the scratch folder
    env = {
      ...process.env,
      CI: "true",
      NO_COLOR: "1",
      WRANGLER_SEND_METRICS: "false",
      WRANGLER_SEND_ERROR_REPORTS: "false",
      WRANGLER_HIDE_BANNER: "true",
      CLOUDFLARE_CF_FETCH_ENABLED: "false",
      WRANGLER_LOG_PATH: join(app, "logs"),
      WRANGLER_CACHE_DIR: join(app, "cache"),
      XDG_CONFIG_HOME: join(app, "config"),
    };
  });

  for (const [config, main, bindings] of [
    [
      "wrangler.toml",
      "coordinator.js",
      ["env.FIT (Fit)", "Durable Object", "env.BUCKET (gmm-rows)", "env.SHARD (gmm-shard)"],
    ],
    ["wrangler.shard.toml", "shard.js", ["env.SHARD_OBJECT (ShardObject)", "Durable Object", "env.BUCKET (gmm-rows)"]],
  ] as const) {
    it(`\`wrangler deploy --dry-run\` builds ${config}: ${main} importing gmm.wasm as a module beside it, with its bindings`, async () => {
      const out = join(app, `out-${main}`);
      const { stdout, stderr } = await wrangler("deploy", "--dry-run", "-c", config, "--outdir", out);
      for (const b of bindings) expect(stdout).toContain(b);
      expect(stdout + stderr).not.toMatch(/WARNING|ERROR/);
      const files = readdirSync(out);
      const wasm = files.filter((f) => f.endsWith(".wasm"));
      expect(wasm).toHaveLength(1);
      expect(files).toContain(main);
      const code = readFileSync(join(out, main), "utf8");
      expect(code).toContain(`import wasm from "./${wasm[0]}"`);
      expect(code).not.toContain("const WASM ="); // the workerd entry, not the one with the bytes inlined
      expect(code).toContain("export {"); // the fetch handler (and the coordinator's Fit class) exported
      expect(code).toMatch(main === "coordinator.js" ? /export \{[^}]*\bFit\b/ : /export \{[^}]*\bShardObject\b/);
      expect(readFileSync(join(out, wasm[0]))).toEqual(readFileSync(join(ROOT, "dist", "gmm.wasm")));
    });
  }

  it("`wrangler dev` runs both Workers with a local R2 and Durable Objects: a fit from a start, with either fan-out, gives the CLI's model to 1e-10", async () => {
    const rows = join(app, "rows");
    const manifest = writeDataset(rows, "faithful-2", tables.faithful, 2);
    const keys = [...manifest.shards.map((s: { key: string }) => s.key), "faithful-2/manifest.json"];
    writeFileSync(join(app, "objects.json"), JSON.stringify(keys.map((key) => ({ key, file: join(rows, key) }))));
    await wrangler("r2", "bulk", "put", "gmm-rows", "--filename", "objects.json", "--local", "--persist-to", "state");
    const port = await freePort();
    // its own process group, so stopping it also stops the workerd it starts
    const child: ChildProcess = spawn(
      process.execPath,
      [
        WRANGLER,
        "dev",
        "-c",
        "wrangler.toml",
        "-c",
        "wrangler.shard.toml",
        "--persist-to",
        "state",
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
        await waitForHttp(`${origin}/`, child, 45_000);
      } catch (e) {
        throw new Error(`wrangler dev did not answer: ${(e as Error).message}\n${output}`);
      }
      const fits = (await Promise.all(
        FAN_OUTS.map((fanOut) =>
          runFit(origin, {
            dataset: "faithful-2",
            start: startFor("faithful", "full"),
            tol: TOL,
            maxIter: 500,
            fanOut,
          }),
        ),
      )) as Outcome[];
      for (const [i, { status, model }] of fits.entries()) {
        expect(status.error, output).toBeNull();
        expect([status.shards, status.fanOut]).toEqual([2, FAN_OUTS[i]]);
        expectSameModel(model, await cliFit("faithful", "full"));
      }
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
  });
});
