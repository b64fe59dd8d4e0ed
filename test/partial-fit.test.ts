// One-pass (stepwise) EM, #14 item 4: how close one pass over real data gets
// to the batch fit, measured and printed.
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { Random } from "../src/random.js";
import { readCsv } from "./helpers.js";

const quakes = readCsv("../data/quakes.csv");

/** quakes in a seeded random order, cut into chunks of `size` rows. */
function chunks(size: number, seed: number): number[][][] {
  const rng = new Random(seed);
  const order = quakes.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = rng.int(i + 1);
    [order[i], order[j]] = [order[j], order[i]];
  }
  const out: number[][][] = [];
  for (let at = 0; at < order.length; at += size) out.push(order.slice(at, at + size).map((i) => quakes[i]));
  return out;
}

describe("partialFit", () => {
  it("one pass over quakes (1000 rows, chunks of 100) gets close to the batch fit: measured per row", () => {
    const lines = [
      "| covariance | first chunk only | one pass of partialFit | batch fit | gap to batch (nats/row) |",
      "|---|---:|---:|---:|---:|",
    ];
    for (const type of ["full", "diag"] as CovarianceType[]) {
      const options = { nComponents: 3, covarianceType: type, randomState: 0 };
      const parts = chunks(100, 1);
      const online = new GaussianMixture(options);
      for (const part of parts) online.partialFit(part);
      const first = new GaussianMixture(options).fit(parts[0]);
      const batch = new GaussianMixture({ ...options, initParams: "kmeans" }).fit(quakes);
      const [a, b, c] = [first.score(quakes), online.score(quakes), batch.score(quakes)];
      lines.push(`| ${type} | ${a.toFixed(4)} | ${b.toFixed(4)} | ${c.toFixed(4)} | ${(c - b).toFixed(4)} |`);
      expect(online.nIter).toBe(first.nIter + parts.length - 1);
      expect(online.toJSON().n_samples_fit).toBe(1000);
      // one pass improves on the start it had and ends near the batch optimum
      expect(b).toBeGreaterThan(a);
      expect(c - b).toBeLessThan(0.2);
    }
    console.log(lines.join("\n"));
  });

  it("starts from a given start, is deterministic, and refuses bad chunks leaving the model as it was", () => {
    const X = quakes;
    const start = new GaussianMixture({ nComponents: 2, randomState: 0, maxIter: 3 }).fit(X);
    const options = {
      nComponents: 2,
      weightsInit: start.weights,
      meansInit: start.means,
      precisionsInit: start.precisions,
    };
    const run = () => {
      const g = new GaussianMixture(options);
      for (const part of chunks(200, 2)) g.partialFit(part);
      return g;
    };
    expect(run().toJSON()).toEqual(run().toJSON());
    const g = run();
    const before = g.toJSON();
    expect(() => g.partialFit([[1, 2]])).toThrow(/X has 2 features but the model has 4/);
    expect(() => g.partialFit(X.slice(0, 10), { sampleWeight: [1] })).toThrow(
      /sampleWeight has 1 weights but X has 10 rows/,
    );
    expect(() => g.partialFit(X.slice(0, 10), { weights: [1] } as never)).toThrow(
      /Unknown partialFit option "weights"/,
    );
    expect(g.toJSON()).toEqual(before);
  });
});
