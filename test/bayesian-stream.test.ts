// BayesianGaussianMixture.fitAsync over a streamed source (#16): the data
// priors from a first pass over every row, each E-step a pass, and equality
// with fit(X); and dtype "float32" against float64.
import { describe, expect, it } from "vitest";
import { BayesianGaussianMixture, type BayesianGaussianMixtureOptions } from "../src/bayesian-mixture.js";
import { STREAM_SAMPLE_ROWS } from "../src/workspace.js";
import { datasets, expectClose } from "./helpers.js";

const TYPES = ["full", "tied", "diag", "spherical"] as const;
const PRIORS = ["dirichlet_process", "dirichlet_distribution"] as const;
const FITTED = [
  "weights",
  "means",
  "covariances",
  "precisionsCholesky",
  "weightConcentration",
  "meanPrecision",
  "degreesOfFreedom",
] as const;

/** A source yielding X in chunks of the given sizes (cycling), anew on every pass; with weights, as { rows, sampleWeight }. */
function chunked(X: number[][], sizes: number[], weights?: number[]) {
  let passes = 0;
  const source = function* () {
    passes++;
    for (let at = 0, t = 0; at < X.length; t++) {
      const size = sizes[t % sizes.length];
      const rows = X.slice(at, at + size);
      yield weights ? { rows, sampleWeight: weights.slice(at, at + size) } : rows;
      at += size;
    }
  };
  return { source, passes: () => passes };
}

function expectSameFit(a: BayesianGaussianMixture, b: BayesianGaussianMixture, X: number[][], rel: number): void {
  for (const key of FITTED) expectClose(a[key], b[key], rel, 1e-12);
  expectClose([a.lowerBound], [b.lowerBound], rel);
  const [pa, pb] = [a.priors, b.priors];
  for (const key of Object.keys(pb) as (keyof typeof pb)[]) expectClose(pa[key], pb[key], rel, 1e-12);
  expectClose(Array.from(a.scoreSamples(X)), Array.from(b.scoreSamples(X)), rel, 1);
}

describe("BayesianGaussianMixture.fitAsync over a streamed source", () => {
  for (const type of TYPES) {
    for (const prior of PRIORS) {
      it(`equals fit(X) to 1e-10 from the same k-means start (${type}, ${prior}, Old Faithful and iris, weighted chunks)`, async () => {
        for (const X of [datasets.faithful, datasets.iris]) {
          const options: BayesianGaussianMixtureOptions = {
            nComponents: 4,
            covarianceType: type,
            weightConcentrationPriorType: prior,
            tol: 0,
            maxIter: 12,
            randomState: 3,
          };
          const { source, passes } = chunked(X, [37, 1, 50]);
          const bounds: number[] = [];
          const streamed = await new BayesianGaussianMixture(options).fitAsync(source, {
            onIteration: (info) => bounds.push(info.lowerBound),
          });
          expect(passes()).toBe(1 + 12); // the first pass (count, priors, sample), then one per iteration
          expect(bounds.length).toBe(12);
          expect(streamed.nIter).toBe(12);
          expect(streamed.toJSON().n_samples_fit).toBe(X.length);
          expectSameFit(streamed, new BayesianGaussianMixture(options).fit(X), X, 1e-10);
          // weights travel with the rows: integer weights, each chunk its own slice
          const weights = X.map((_, i) => 1 + (i % 3));
          const w = await new BayesianGaussianMixture(options).fitAsync(chunked(X, [50, 7], weights).source);
          expectSameFit(w, new BayesianGaussianMixture(options).fit(X, { sampleWeight: weights }), X, 1e-10);
        }
      });
    }
  }

  it("equals fit(X) with the priors given, and with nInit restarts on the sample", async () => {
    const X = datasets.faithful;
    const options: BayesianGaussianMixtureOptions = {
      nComponents: 3,
      covarianceType: "full",
      meanPrior: [3, 70],
      covariancePrior: [
        [1, 2],
        [2, 30],
      ],
      degreesOfFreedomPrior: 4,
      meanPrecisionPrior: 0.5,
      weightConcentrationPrior: 0.2,
      nInit: 3,
      randomState: 11,
      maxIter: 30,
    };
    const streamed = await new BayesianGaussianMixture(options).fitAsync(chunked(X, [100]).source);
    const memory = new BayesianGaussianMixture(options).fit(X);
    expect(streamed.nIter).toBe(memory.nIter);
    expectSameFit(streamed, memory, X, 1e-10);
  });

  it("takes the data priors from every row of the stream, not from the start's sample", async () => {
    // more rows than the sample keeps, with a drift so that any subset has another mean
    const n = STREAM_SAMPLE_ROWS + 2_000;
    const X: number[][] = [];
    let s = 7;
    const u = () => (s = (s * 48271) % 2147483647) / 2147483647;
    for (let i = 0; i < n; i++) X.push([u() + i / n, 3 * u() - (i % 5), u() * u()]);
    const mean = [0, 1, 2].map((j) => X.reduce((a, r) => a + r[j], 0) / n);
    for (const type of ["full", "diag"] as const) {
      const b = await new BayesianGaussianMixture({
        nComponents: 2,
        covarianceType: type,
        maxIter: 1,
        randomState: 0,
      }).fitAsync(chunked(X, [4_096]).source);
      const cov = (a: number, c: number) => X.reduce((t, r) => t + (r[a] - mean[a]) * (r[c] - mean[c]), 0) / (n - 1);
      expectClose(b.priors.meanPrior, mean, 1e-12);
      const expected =
        type === "full" ? [0, 1, 2].map((a) => [0, 1, 2].map((c) => cov(a, c))) : [0, 1, 2].map((j) => cov(j, j));
      expectClose(b.priors.covariancePrior, expected, 1e-10);
      expect(b.toJSON().n_samples_fit).toBe(n);
    }
  });

  it("refuses responsibilitiesInit, a chunk of another width and an empty stream, naming them; the model is unchanged", async () => {
    const X = datasets.faithful;
    const b = new BayesianGaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const before = JSON.stringify(b);
    const resp = X.map(() => [0.5, 0.5]);
    await expect(
      new BayesianGaussianMixture({ nComponents: 2, responsibilitiesInit: resp }).fitAsync(chunked(X, [100]).source),
    ).rejects.toThrow(/responsibilitiesInit cannot start a streamed fit/);
    await expect(b.fitAsync(() => [X.slice(0, 10), [[1, 2, 3]]])).rejects.toThrow(
      /chunk 1 \(rows 10…\) of the stream: it has 3 columns but the first chunk had 2/,
    );
    await expect(b.fitAsync(() => [])).rejects.toThrow(/the stream has no rows/);
    await expect(b.fitAsync(() => [{ rows: X.slice(0, 3), sampleWeight: [1, -1, 1] }])).rejects.toThrow(
      /sampleWeight\[1\] \(row 1 of the stream\)/,
    );
    expect(JSON.stringify(b)).toBe(before);
  });
});

describe('BayesianGaussianMixture dtype: "float32"', () => {
  for (const type of TYPES) {
    it(`agrees with float64 from the same start to 1e-5 relative, in memory and streamed (${type})`, async () => {
      const X = datasets.faithful;
      const resp = X.map((r) => (r[0] < 3.3 ? [0.9, 0.05, 0.05] : r[1] < 80 ? [0.05, 0.9, 0.05] : [0.05, 0.05, 0.9]));
      const options: BayesianGaussianMixtureOptions = { nComponents: 3, covarianceType: type, tol: 0, maxIter: 20 };
      const f64 = new BayesianGaussianMixture({ ...options, responsibilitiesInit: resp }).fit(X);
      const f32 = new BayesianGaussianMixture({ ...options, responsibilitiesInit: resp, dtype: "float32" }).fit(X);
      expect(f32.dtype).toBe("float32");
      expectSameFit(f32, f64, X, 1e-5);
      // the stream's start is k-means on the sample, the same rows as X here
      const seeded = { ...options, randomState: 2 };
      const s64 = new BayesianGaussianMixture(seeded).fit(X);
      const s32 = await new BayesianGaussianMixture({ ...seeded, dtype: "float32" }).fitAsync(
        chunked(X, [64, 100]).source,
      );
      expectSameFit(s32, s64, X, 1e-5);
      // the JSON keeps the dtype, and the loaded model scores as the fitted one
      const back = BayesianGaussianMixture.fromJSON(JSON.parse(JSON.stringify(f32)));
      expect(back.dtype).toBe("float32");
      expect(Array.from(back.scoreSamples(X))).toEqual(Array.from(f32.scoreSamples(X)));
    });
  }
});
