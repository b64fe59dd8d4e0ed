// examples/distributed: EM over shards with a coordinator Durable Object and
// shard Workers, on a local cluster (one workerd process per shard and one for
// the coordinator, 127.0.0.1 only; the bucket is workerd's disk service).
// From the same start, the distributed fit must equal `gmm-wasm fit --start`
// to 1e-10 relative for all four covariance types with 1, 3 and 8 shards on
// Old Faithful and iris; a shard that throws once, hangs once or answers
// malformed statistics once, and a coordinator killed mid-fit, must end with
// the clean run's model; a shard that keeps failing must stop the fit with an
// error naming it. One cluster serves every fit; the tests stop it.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runFit, startCluster, waitForFit, writeDataset } from "../examples/distributed/cluster.mjs";
import { parseTable } from "../src/csv.js";
import { GaussianMixture } from "../src/index.js";
import { ROOT, requireBuild, run } from "./runtimes/helpers.js";

const TYPES = ["full", "tied", "diag", "spherical"] as const;
const SHARDS = [1, 3, 8];
const DATA = { faithful: "data/faithful.csv", iris: "data/iris.csv" } as const;
const TOL = 1e-4;
const FAULTY = "faulty"; // dataset prefixes whose shard 1 misbehaves (shard process 1's FAULTS)

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
  for (const fault of [
    "clean",
    "throw-once",
    "hang-once",
    "malformed-once",
    "malformed-always",
    "throw-always",
    "slow",
  ]) {
    writeDataset(bucket, `${FAULTY}-${fault}`, tables.faithful, 3);
  }
  cluster = await startCluster({
    dir,
    shards: 8,
    faults: {
      1: [
        { match: `${FAULTY}-throw-once/`, mode: "throw", iteration: 2, times: 1 },
        { match: `${FAULTY}-hang-once/`, mode: "hang", iteration: 2, times: 1 },
        { match: `${FAULTY}-malformed-once/`, mode: "malformed", iteration: 3, times: 1 },
        { match: `${FAULTY}-malformed-always/`, mode: "malformed" },
        { match: `${FAULTY}-throw-always/`, mode: "throw" },
        { match: `${FAULTY}-slow/`, mode: "delay", ms: 60 },
      ],
    },
  });
  // every parity fit and its reference at once: the cluster and the CLI runs overlap
  for (const data of Object.keys(DATA) as (keyof typeof DATA)[]) {
    for (const type of TYPES) {
      void cliFit(data, type).catch(() => {});
      for (const s of SHARDS) {
        const p = distributedFit(`${data}-${s}`, data, type);
        p.catch(() => {});
        parity.set(`${data}/${type}/${s}`, p);
      }
    }
  }
}, 60_000);

afterAll(async () => {
  await cluster?.stop();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe("distributed EM equals gmm-wasm fit --start", () => {
  for (const data of Object.keys(DATA) as (keyof typeof DATA)[]) {
    for (const type of TYPES) {
      it(`${data}, ${type}: 1, 3 and 8 shards give the CLI's model to 1e-10`, async () => {
        const expected = await cliFit(data, type);
        expect(expected.n_iter_).toBeGreaterThan(2);
        for (const s of SHARDS) {
          const { status, model } = await parity.get(`${data}/${type}/${s}`)!;
          expect(status.error).toBeNull();
          expect(status.shards).toBe(s);
          expectSameModel(model, expected);
          // the history: one entry per iteration, each shard asked once
          expect(status.history.map((h: any) => h.iteration)).toEqual(
            Array.from({ length: model!.n_iter_ }, (_, i) => i + 1),
          );
          for (const h of status.history) expect(Object.values(h.attempts)).toEqual(Array(s).fill(1));
        }
      });
    }
  }
});

describe("faults", () => {
  const clean = () => distributedFit(`${FAULTY}-clean`, "faithful", "full");

  it("a shard that throws once is retried and the model is the clean run's", async () => {
    const [ok, faulty] = await Promise.all([clean(), distributedFit(`${FAULTY}-throw-once`, "faithful", "full")]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[1].attempts).toEqual({ 0: 1, 1: 2, 2: 1 });
  });

  it("a shard that hangs is abandoned after the timeout, retried, and the model is the clean run's", async () => {
    const [ok, faulty] = await Promise.all([
      clean(),
      distributedFit(`${FAULTY}-hang-once`, "faithful", "full", { timeoutMs: 1000 }),
    ]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[1].attempts[1]).toBe(2); // (the others: 1, unless the machine is slower than the timeout)
    expect(faulty.status.history[1].roundTripMs).toBeGreaterThanOrEqual(1000);
  });

  it("malformed statistics are refused (mergeStatistics) and retried; counted once", async () => {
    const [ok, faulty] = await Promise.all([clean(), distributedFit(`${FAULTY}-malformed-once`, "faithful", "full")]);
    expectSameModel(faulty.model, ok.model!, 0);
    expect(faulty.status.history[2].attempts).toEqual({ 0: 1, 1: 2, 2: 1 });
  });

  it("a shard whose statistics stay malformed stops the fit with an error naming it", async () => {
    const { status, model } = await distributedFit(`${FAULTY}-malformed-always`, "faithful", "full", { retries: 2 });
    expect(model).toBeNull();
    expect(status.status).toBe("failed");
    expect(status.error).toMatch(
      /^shard 1 \(faulty-malformed-always\/shard-1\.f64\) failed 3 times at iteration 1; last: mergeStatistics: argument 0: .*nk/,
    );
    expect(status.iteration).toBe(0);
  });

  it("a shard that keeps throwing stops the fit with an error naming it", async () => {
    const { status } = await distributedFit(`${FAULTY}-throw-always`, "faithful", "full", { retries: 1 });
    expect(status.status).toBe("failed");
    expect(status.error).toMatch(
      /^shard 1 \(faulty-throw-always\/shard-1\.f64\) failed 2 times at iteration 1; last: HTTP 500: .*injected fault/,
    );
  });

  it("a coordinator killed mid-fit resumes from the last completed iteration and ends with the clean run's model", async () => {
    const ok = await clean();
    const res = await fetch(`${cluster!.origin}/fit`, {
      method: "POST",
      body: JSON.stringify({
        dataset: `${FAULTY}-slow`,
        start: startFor("faithful", "full"),
        tol: TOL,
        maxIter: 500,
        id: "restarted",
      }),
    });
    expect(res.status).toBe(202);
    await waitForIteration("restarted", 3);
    await cluster!.restartCoordinator({ kill: true });
    const status = await waitForFit(cluster!.origin, "restarted");
    const model = await (await fetch(`${cluster!.origin}/fit/restarted/model`)).json();
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
  it("POST /fit without a start draws a seeded sample from the shards; the same seed gives the same model", async () => {
    const request = { dataset: "faithful-3", nComponents: 2, covarianceType: "diag", seed: 5, sampleSize: 100 };
    const [a, b] = await Promise.all([runFit(cluster!.origin, request), runFit(cluster!.origin, request)]);
    expect(a.status.status).toBe("converged");
    expect(a.status.sample.rows).toBe(100);
    expect(a.model).toEqual(b.model);
    expect(a.model!.n_samples_fit).toBe(272);
  });

  it("bad requests and unknown fits", async () => {
    const post = (body: string) => fetch(`${cluster!.origin}/fit`, { method: "POST", body });
    expect((await post("{")).status).toBe(400);
    const noData = await post(JSON.stringify({ nComponents: 2 }));
    expect([noData.status, (await noData.json()).error]).toEqual([400, expect.stringMatching(/^dataset/)]);
    expect((await post(JSON.stringify({ dataset: "x", nComponents: 0 }))).status).toBe(400);
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
