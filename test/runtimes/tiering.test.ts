// V8 (Node, Deno, Chromium, workerd) runs a WebAssembly function's first
// calls in its baseline compiler, Liftoff, and optimises it in the background
// once it has run a while; a call already running keeps the baseline code to
// its end. A kernel that loops over every row inside one function therefore
// runs a first fit's first call unoptimised throughout: before session 12 the
// first iteration of a first fit at d = 64, K = 16 on 1e5 rows took 3–5× the
// same iteration with optimised code. The long kernels call their per-block
// work as functions of their own, which V8 optimises part-way through the
// call; Binaryen inlines a small function with one caller, so this checks
// that the optimised build kept each of them as a function (build/gmm.wat
// is the text of dist/gmm.wasm, with names).
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { ROOT, requireBuild } from "./helpers.js";

const PER_BLOCK = [
  "assembly/logprob/eStepFusedBlock", // full E-step, d > 8
  "assembly/logprob/eStep5", // full E-step, d = 5 … 8, one block per call
  "assembly/logprob/eStep8",
  "assembly/logprob/eStepScaledBlock", // diag and spherical E-steps
  "assembly/logprob/eStepTiedBlock", // tied E-step, d > 4
  "assembly/logprob/logProbFullBlock", // scoreSamples
  "assembly/estep32/logDensitiesF32", // float32 E-step
  "assembly/mstep/rankUpdate", // full scatter, d > 4, per group of rows
];

describe("per-block kernels V8 can optimise within a call", () => {
  it("keeps each long kernel's block work a function of its own in the optimised build", () => {
    requireBuild();
    const wat = readFileSync(join(ROOT, "build/gmm.wat"), "utf8");
    const functions = new Set([...wat.matchAll(/^ \(func \$(\S+)/gm)].map((m) => m[1]));
    expect(functions.size).toBeGreaterThan(50);
    for (const name of PER_BLOCK) expect(functions.has(name), `${name} was inlined into its caller`).toBe(true);
  });
});
