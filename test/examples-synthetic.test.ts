// The synthetic-data example (`npm run example:synthetic`,
// examples/synthetic.mjs) run through its exported function against the
// built package (dist/; npm test builds it): the mixture's synthetic copies
// are closer to the real notes than a single Gaussian's, and conditional
// samples keep the given feature fixed with means at the conditional mean.
import { existsSync } from "node:fs";
import { beforeAll, describe, expect, it } from "vitest";
import { energyDistance, runSynthetic } from "../examples/synthetic.mjs";

type Result = {
  n: number;
  names: string[];
  chosen: { covarianceType: string; nComponents: number };
  energy: Record<"synthetic" | "halves" | "gaussian", { statistic: number; pValue: number }>;
  repeated: Record<"synthetic" | "halves" | "gaussian", { mean: number; sd: number }>;
  conditional: {
    feature: string;
    value: number;
    rows: number;
    fixed: boolean;
    weights: number[];
    columns: { name: string; conditionalMean: number; sampleMean: number; sampleSd: number }[];
  }[];
  markdown: string;
  elapsedMs: number;
};

let result: Result;

beforeAll(async () => {
  if (!existsSync(new URL("../dist/index.js", import.meta.url)))
    throw new Error("dist/index.js is missing: run `npm run build` first (npm test does)");
  result = await runSynthetic();
  console.log(`${result.markdown}\n(${Math.round(result.elapsedMs)} ms)`);
});

describe("examples/synthetic.mjs", () => {
  it("picks a mixture by BIC and samples a copy of the same size", () => {
    expect(result.n).toBe(200);
    expect(result.names).toEqual(["Length", "Left", "Right", "Bottom", "Top", "Diagonal"]);
    expect(result.chosen.nComponents).toBeGreaterThan(1);
  });

  it("the GMM copy's energy distance to the real notes is below the single-Gaussian copy's (one copy, and on average over 50)", () => {
    expect(result.energy.synthetic.statistic).toBeLessThan(result.energy.gaussian.statistic);
    expect(result.repeated.synthetic.mean).toBeLessThan(result.repeated.gaussian.mean);
    for (const e of Object.values(result.energy)) expect(e.pValue).toBeGreaterThan(0);
  });

  it("conditional samples have the requested feature fixed and means near the conditional mean", () => {
    expect(result.conditional.length).toBe(2);
    for (const c of result.conditional) {
      expect(c.fixed).toBe(true);
      expect(c.weights.reduce((s, w) => s + w, 0)).toBeCloseTo(1, 12);
      for (const col of c.columns) {
        expect(Math.abs(col.sampleMean - col.conditionalMean)).toBeLessThan((5 * col.sampleSd) / Math.sqrt(c.rows));
      }
    }
  });

  it("prints its measurements as markdown tables", () => {
    expect(result.markdown).toContain(
      "| comparison | largest Δ covariance / (σ_a σ_b) | largest Δ correlation | energy distance | permutation p |",
    );
    expect(result.markdown).toContain("| feature | real mean | GMM copy mean |");
    expect(result.markdown).toContain("Conditional sampling: 2000 notes given Diagonal = 139.6");
  });

  it("energyDistance separates a shifted sample and not an identical one", () => {
    const rows = Array.from({ length: 60 }, (_, i) => [Math.sin(i), Math.cos(3 * i)]);
    const shifted = rows.map(([a, b]) => [a + 1, b]);
    const far = energyDistance(rows, shifted, [1, 1], { permutations: 99, seed: 1 });
    expect(far.statistic).toBeGreaterThan(0.3);
    expect(far.pValue).toBe(0.01);
    const same = energyDistance(rows, rows.slice(), [1, 1], { permutations: 99, seed: 1 });
    expect(same.statistic).toBeLessThan(0);
    expect(same.pValue).toBe(1);
  });
});
