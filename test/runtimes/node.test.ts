// Node 20, ESM: the built package, imported by its own name, loads gmm.wasm
// from beside dist/index.js when init() has no argument.
import { beforeAll, describe, expect, it } from "vitest";
import * as sources from "../../src/index.js";
import {
  expectSameBits,
  faithful,
  nodeReference,
  requireBuild,
  runCliScenario,
  type ScenarioResult,
} from "./helpers.js";
import { runScenario } from "./scenario.mjs";

describe("Node (ESM)", () => {
  let reference: ScenarioResult;
  beforeAll(async () => {
    requireBuild();
    reference = await nodeReference();
  });

  it("import('gmm-wasm') + init() with no argument fits, scores and samples Old Faithful", () => {
    const proba = reference["full.predictProba"];
    expect(proba).toHaveLength(faithful.length * 3);
    for (let i = 0; i < faithful.length; i++) {
      expect(proba[3 * i] + proba[3 * i + 1] + proba[3 * i + 2]).toBeCloseTo(1, 12);
    }
    // Two kinds of eruption: short ones near 2 minutes and long ones above 4.
    const means = reference["full.means"];
    const eruptions = [means[0], means[2], means[4]].sort((a, b) => a - b);
    expect(eruptions[0]).toBeGreaterThan(1.5);
    expect(eruptions[0]).toBeLessThan(2.5);
    expect(eruptions[2]).toBeGreaterThan(4);
    expect(reference["full.scoreSamples"].every(Number.isFinite)).toBe(true);
    expect(reference["full.sample.X"]).toHaveLength(80);
    expect(reference["full.fromJSON.scoreSamples"]).toEqual(reference["full.scoreSamples"]);
  });

  it("the bundle in dist/ computes the same bits as the TypeScript sources", () => {
    // test/setup.ts has initialised the sources with build/gmm.wasm.
    expectSameBits(runScenario(sources, faithful), reference);
  });

  it("a plain `node` process (Node's own ESM loader, no vitest) computes the same bits", async () => {
    const node = await runCliScenario(process.execPath, []);
    expect(node.runtime).toContain(`node ${process.version}`);
    expectSameBits(node.result, reference);
  });
});
