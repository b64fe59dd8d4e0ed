// Runs the shared scenario in whichever command-line runtime executes this
// file (node, deno, bun): imports the built package by its own name (the
// package's exports map, as a user's code would), calls init() with no
// argument so gmm.wasm is read from beside dist/index.js, reads the data
// (number[][] as JSON) from stdin and prints the result bits as JSON.
import { GaussianMixture, init, KMeans } from "gmm-wasm";
import { runScenario, toBits } from "./scenario.mjs";

async function readStdin() {
  if (typeof Deno !== "undefined") return new Response(Deno.stdin.readable).text();
  if (typeof Bun !== "undefined") return Bun.stdin.text();
  const chunks = [];
  for await (const chunk of process.stdin) chunks.push(chunk);
  return Buffer.concat(chunks).toString("utf8");
}

function runtime() {
  if (typeof Deno !== "undefined") return `deno ${Deno.version.deno} (V8 ${Deno.version.v8})`;
  if (typeof Bun !== "undefined") return `bun ${Bun.version} (JavaScriptCore)`;
  return `node ${process.version} (V8 ${process.versions.v8})`;
}

const X = JSON.parse(await readStdin());
await init();
const bits = toBits(runScenario({ GaussianMixture, KMeans }, X));
console.log(JSON.stringify({ runtime: runtime(), bits }));
