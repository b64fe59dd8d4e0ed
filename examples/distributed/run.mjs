// `npm run example:distributed -- --data FILE.csv --shards 4 --components K
//   --covariance T --seed S [--start model.json] [--tol X] [--max-iter N] --out model.json`
// Splits the CSV (read as `gmm-wasm fit` reads it) into shard objects in a
// temporary bucket directory, starts the local cluster (one workerd process
// per shard and one for the coordinator, on 127.0.0.1), fits through
// POST /fit, writes the model JSON, and stops every process it started.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { parseTable } from "gmm-wasm/csv";
import { runFit, startCluster, writeDataset } from "./cluster.mjs";

const { values } = parseArgs({
  options: {
    data: { type: "string" },
    shards: { type: "string", default: "4" },
    components: { type: "string" },
    covariance: { type: "string" },
    seed: { type: "string", default: "0" },
    start: { type: "string" },
    tol: { type: "string" },
    "max-iter": { type: "string" },
    out: { type: "string" },
    help: { type: "boolean" },
  },
});
const usage =
  "usage: npm run example:distributed -- --data FILE.csv [--shards 4] [--components K] [--covariance full|tied|diag|spherical] [--seed S] [--start model.json] [--tol X] [--max-iter N] --out model.json";
if (values.help) {
  console.log(usage);
  process.exit(0);
}
if (!values.data || !values.out) {
  console.error(usage);
  process.exit(2);
}
const int = (name) => {
  const v = values[name];
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) {
    console.error(`--${name} must be an integer; got ${JSON.stringify(v)}\n${usage}`);
    process.exit(2);
  }
  return Number(v);
};

const table = parseTable(readFileSync(values.data));
const shards = int("shards");
const request = {
  dataset: "data",
  nComponents: int("components") ?? 1,
  covarianceType: values.covariance ?? "full",
  seed: int("seed"),
  maxIter: int("max-iter"),
  tol: values.tol === undefined ? undefined : Number(values.tol),
  start: values.start ? JSON.parse(readFileSync(values.start, "utf8")) : undefined,
};
if (request.start) {
  // as `gmm-wasm fit --start`: K and the covariance type default to the start's
  if (values.components === undefined) request.nComponents = request.start.n_components;
  if (values.covariance === undefined) request.covarianceType = request.start.covariance_type;
}

const dir = mkdtempSync(join(tmpdir(), "gmm-distributed-"));
let cluster;
const cleanUp = async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
};
process.on("SIGINT", () => cleanUp().then(() => process.exit(130)));
try {
  writeDataset(join(dir, "bucket"), "data", table, shards);
  const t0 = performance.now();
  cluster = await startCluster({ dir, shards });
  const t1 = performance.now();
  const { status, model } = await runFit(cluster.origin, request);
  const t2 = performance.now();
  if (!model) throw new Error(`the fit failed: ${status.error}`);
  writeFileSync(values.out, JSON.stringify(model) + "\n");
  const trips = status.history.map((h) => h.roundTripMs);
  console.error(`${table.rows} rows × ${table.cols} in ${shards} shards; cluster up in ${(t1 - t0).toFixed(0)} ms`);
  console.error(
    `${status.status} after ${status.iteration} iterations, lower bound ${status.lowerBound}; fit ${(t2 - t1).toFixed(0)} ms, ` +
      `median round trip ${trips.sort((a, b) => a - b)[trips.length >> 1]} ms per iteration`,
  );
  console.error(`wrote ${values.out}`);
} catch (e) {
  console.error(`example:distributed: ${e.message}`);
  process.exitCode = 1;
} finally {
  await cleanUp();
}
