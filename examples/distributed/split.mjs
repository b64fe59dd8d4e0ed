// Splits a CSV into shard objects and a manifest under DIR/DATASET/, for
// uploading to R2 (README.md: Deploy). Reads the file as `gmm-wasm fit` does.
//   node examples/distributed/split.mjs FILE.csv --shards 4 --dataset data --out DIR
import { readFileSync } from "node:fs";
import { parseArgs } from "node:util";
import { parseTable } from "gmm-wasm/csv";
import { writeDataset } from "./cluster.mjs";

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    shards: { type: "string", default: "4" },
    dataset: { type: "string", default: "data" },
    out: { type: "string" },
  },
});
if (positionals.length !== 1 || !values.out) {
  console.error("usage: node examples/distributed/split.mjs FILE.csv --shards 4 --dataset data --out DIR");
  process.exit(2);
}
const manifest = writeDataset(
  values.out,
  values.dataset,
  parseTable(readFileSync(positionals[0])),
  Number(values.shards),
);
for (const s of manifest.shards) console.log(s.key);
console.log(`${values.dataset}/manifest.json`);
