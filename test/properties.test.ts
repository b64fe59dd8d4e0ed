// Property tests on random mixtures and random data (fast-check, fixed seed).
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];
const RUNS = { numRuns: 40, seed: 20261125 };

/** Random data: k clusters in d dimensions, n rows, from a seeded generator. */
const dataArb = fc.record({
  d: fc.integer({ min: 1, max: 5 }),
  k: fc.integer({ min: 1, max: 4 }),
  n: fc.integer({ min: 12, max: 120 }),
  seed: fc.integer({ min: 0, max: 2 ** 31 - 1 }),
  spread: fc.double({ min: 0.1, max: 20, noNaN: true }),
  type: fc.constantFrom(...TYPES),
});

function makeData({
  d,
  k,
  n,
  seed,
  spread,
}: {
  d: number;
  k: number;
  n: number;
  seed: number;
  spread: number;
}): number[][] {
  let s = seed >>> 0;
  const u = () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) + 0.5) / 2 ** 32;
  const normal = () => Math.sqrt(-2 * Math.log(u())) * Math.cos(2 * Math.PI * u());
  const centres = Array.from({ length: k }, () => Array.from({ length: d }, () => spread * normal()));
  return Array.from({ length: n }, (_, i) => centres[i % k].map((c) => c + normal()));
}

function startFor(X: number[][], k: number, type: CovarianceType) {
  const d = X[0].length;
  const means = Array.from({ length: k }, (_, c) => X[Math.floor((c * (X.length - 1)) / Math.max(k - 1, 1))].slice());
  const eye = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  const precisions =
    type === "full"
      ? Array.from({ length: k }, () => eye)
      : type === "tied"
        ? eye
        : type === "diag"
          ? Array.from({ length: k }, () => new Array(d).fill(1))
          : new Array(k).fill(1);
  return { weightsInit: new Array(k).fill(1 / k), meansInit: means, precisionsInit: precisions };
}

describe("properties on random data", () => {
  it("predictProba rows sum to 1 within 1e-12 and scoreSamples is finite", () => {
    fc.assert(
      fc.property(dataArb, (p) => {
        const X = makeData(p);
        const gmm = new GaussianMixture({ nComponents: p.k, covarianceType: p.type, randomState: p.seed }).fit(X);
        const proba = gmm.predictProba(X);
        for (let i = 0; i < proba.rows; i++) {
          let s = 0;
          for (let c = 0; c < proba.cols; c++) s += proba.data[i * proba.cols + c];
          expect(Math.abs(s - 1)).toBeLessThan(1e-12);
        }
        expect(gmm.scoreSamples(X).every(Number.isFinite)).toBe(true);
        // Far-away finite points score finitely too (log-space all the way).
        expect(gmm.scoreSamples([new Array(p.d).fill(1e6)]).every(Number.isFinite)).toBe(true);
        for (const v of [gmm.weights, gmm.means, gmm.covariances, gmm.precisionsCholesky].flatMap(
          (a) => [a].flat(3) as number[],
        )) {
          expect(Number.isFinite(v)).toBe(true);
        }
      }),
      RUNS,
    );
  });

  it("EM never lowers the lower bound (regCovar 0 from a given start)", () => {
    fc.assert(
      fc.property(dataArb, (p) => {
        const X = makeData(p);
        const bounds: number[] = [];
        try {
          new GaussianMixture({
            nComponents: p.k,
            covarianceType: p.type,
            regCovar: 0,
            tol: 0,
            maxIter: 30,
            ...startFor(X, p.k, p.type),
          }).fit(X, { onIteration: ({ lowerBound }) => bounds.push(lowerBound) });
        } catch (e) {
          // Without regularisation a component may legitimately collapse; that must be the clear error.
          expect((e as Error).name).toBe("CovarianceError");
        }
        for (let t = 1; t < bounds.length; t++)
          expect(bounds[t]).toBeGreaterThanOrEqual(bounds[t - 1] - 1e-12 * Math.abs(bounds[t - 1]));
      }),
      RUNS,
    );
  });

  it("a fit from a given start is invariant to row order (1e-10)", () => {
    fc.assert(
      fc.property(dataArb, fc.integer({ min: 1, max: 1000 }), (p, shuffleSeed) => {
        const X = makeData(p);
        const start = startFor(X, p.k, p.type);
        let s = shuffleSeed;
        const perm = X.map((_, i) => i);
        for (let i = perm.length - 1; i > 0; i--) {
          s = (Math.imul(s, 48271) + 11) >>> 0;
          const j = s % (i + 1);
          [perm[i], perm[j]] = [perm[j], perm[i]];
        }
        const shuffled = perm.map((i) => X[i]);
        const a = new GaussianMixture({ nComponents: p.k, covarianceType: p.type, tol: 0, maxIter: 10, ...start }).fit(
          X,
        );
        const b = new GaussianMixture({ nComponents: p.k, covarianceType: p.type, tol: 0, maxIter: 10, ...start }).fit(
          shuffled,
        );
        const sa = a.scoreSamples(X);
        const sb = b.scoreSamples(X);
        for (let i = 0; i < sa.length; i++)
          expect(Math.abs(sa[i] - sb[i])).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(sa[i])));
      }),
      RUNS,
    );
  });

  it("is equivariant under a shift and a scale of X: log-density shifts by −d·log(scale)", () => {
    fc.assert(
      fc.property(
        dataArb,
        fc.double({ min: 0.01, max: 100, noNaN: true }),
        fc.double({ min: -1000, max: 1000, noNaN: true }),
        (p, a, b) => {
          const X = makeData(p);
          const Y = X.map((r) => r.map((v) => a * v + b));
          const start = startFor(X, p.k, p.type);
          const scaled = {
            weightsInit: start.weightsInit,
            meansInit: start.meansInit.map((r) => r.map((v) => a * v + b)),
            // Precisions scale by 1/a².
            precisionsInit: JSON.parse(JSON.stringify(start.precisionsInit), (_k, v) =>
              typeof v === "number" ? v / (a * a) : v,
            ),
          };
          const reg = 1e-6;
          const gx = new GaussianMixture({
            nComponents: p.k,
            covarianceType: p.type,
            tol: 0,
            maxIter: 8,
            regCovar: reg,
            ...start,
          }).fit(X);
          const gy = new GaussianMixture({
            nComponents: p.k,
            covarianceType: p.type,
            tol: 0,
            maxIter: 8,
            regCovar: reg * a * a,
            ...scaled,
          }).fit(Y);
          const sx = gx.scoreSamples(X);
          const sy = gy.scoreSamples(Y);
          const jacobian = p.d * Math.log(a);
          for (let i = 0; i < sx.length; i++)
            expect(Math.abs(sy[i] + jacobian - sx[i])).toBeLessThanOrEqual(1e-7 * Math.max(1, Math.abs(sx[i])));
        },
      ),
      RUNS,
    );
  });

  it("fromJSON(toJSON(m)) scores identically", () => {
    fc.assert(
      fc.property(dataArb, (p) => {
        const X = makeData(p);
        const gmm = new GaussianMixture({ nComponents: p.k, covarianceType: p.type, randomState: p.seed }).fit(X);
        const copy = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(gmm)));
        expect(Array.from(copy.scoreSamples(X))).toEqual(Array.from(gmm.scoreSamples(X)));
        expect(copy.predictProba(X).data).toEqual(gmm.predictProba(X).data);
        expect(copy.sample(20, { randomState: 1 }).X.data).toEqual(gmm.sample(20, { randomState: 1 }).X.data);
      }),
      RUNS,
    );
  });
});

describe("degenerate data: a good fit or a clear Error, never a NaN", () => {
  const noNaN = (gmm: GaussianMixture) => {
    for (const v of [gmm.weights, gmm.means, gmm.covariances, gmm.precisionsCholesky, gmm.lowerBound].flatMap(
      (a) => [a].flat(3) as number[],
    )) {
      expect(Number.isFinite(v)).toBe(true);
    }
  };
  const cases: Record<string, number[][]> = {
    "duplicated points": Array.from({ length: 40 }, (_, i) => [i % 4, (i % 4) * 2]),
    "a constant feature": Array.from({ length: 40 }, (_, i) => [Math.sin(i), 7, Math.cos(i * 1.3)]),
    "one point per component": [
      [0, 0],
      [5, 5],
      [10, 0],
    ],
    "features at scales 1e-8 and 1e8": Array.from({ length: 60 }, (_, i) => [
      1e-8 * Math.sin(i),
      1e8 * Math.cos(i * 0.7) + (i % 3) * 1e8,
    ]),
    "more features than rows": Array.from({ length: 6 }, (_, i) =>
      Array.from({ length: 10 }, (_, j) => Math.sin(i * 10 + j)),
    ),
  };
  for (const [name, X] of Object.entries(cases)) {
    for (const type of TYPES) {
      it(`${name} (${type})`, () => {
        const k = Math.min(3, X.length);
        const gmm = new GaussianMixture({ nComponents: k, covarianceType: type, randomState: 0 });
        gmm.fit(X);
        noNaN(gmm);
        expect(gmm.scoreSamples(X).every(Number.isFinite)).toBe(true);
      });
    }
  }

  it("a component that loses all its points keeps finite parameters", () => {
    // Start a third component far from every point: its responsibilities underflow to 0.
    const X = Array.from({ length: 50 }, (_, i) => [i % 2 === 0 ? Math.sin(i) : 10 + Math.cos(i), Math.sin(i * 3)]);
    // One iteration: afterwards its N_k is scikit-learn's floor of 10ε, its mean
    // 0/10ε = 0 and its covariance regCovar·I: all finite.
    const gmm = new GaussianMixture({
      nComponents: 3,
      tol: 0,
      maxIter: 1,
      meansInit: [
        [0, 0],
        [10, 0],
        [1e6, 1e6],
      ],
      weightsInit: [0.4, 0.4, 0.2],
    }).fit(X);
    noNaN(gmm);
    expect(gmm.weights[2]).toBeLessThan(1e-10);
    expect(gmm.isDegenerate).toBe(true);
  });

  it("with regCovar 0, duplicated points give the clear CovarianceError naming regCovar", () => {
    const X = Array.from({ length: 40 }, (_, i) => [i % 4, (i % 4) * 2]);
    expect(() => new GaussianMixture({ nComponents: 4, regCovar: 0, randomState: 0 }).fit(X)).toThrow(
      /Increase regCovar/,
    );
  });
});

describe("properties on hostile input (issue #18's classes)", () => {
  const model = new GaussianMixture({ nComponents: 3, covarianceType: "full", randomState: 0 }).fit(
    makeData({ d: 2, k: 3, n: 90, seed: 5, spread: 6 }),
  );
  const magnitude = fc.oneof(
    fc.double({ min: -1e308, max: 1e308, noNaN: true }),
    fc.constantFrom(1e154, -1.5e154, 1e200, 1.7e308, -1.7e308),
  );

  it("rows of huge finite values score −∞ or finite, never NaN, with probabilities summing to 1", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(magnitude, magnitude), { minLength: 1, maxLength: 6 }), (rows) => {
        const X = rows.map(([a, b]) => [a, b]);
        const s = model.scoreSamples(X);
        expect(Array.from(s).every((v) => v === -Infinity || Number.isFinite(v))).toBe(true);
        const p = model.predictProba(X);
        for (let i = 0; i < p.rows; i++) {
          let sum = 0;
          for (let c = 0; c < 3; c++) sum += p.data[i * 3 + c];
          expect(sum).toBeCloseTo(1, 12);
        }
        const labels = model.predict(X);
        for (let i = 0; i < p.rows; i++)
          expect(p.data[i * 3 + labels[i]]).toBe(Math.max(...p.data.subarray(i * 3, i * 3 + 3)));
      }),
      RUNS,
    );
  });

  it("a fit on rows with a value beyond ±1e100 is refused naming that value, never NaN", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 29 }),
        fc.integer({ min: 0, max: 1 }),
        fc.double({ min: 1.0001e100, max: 1e308, noNaN: true }),
        fc.boolean(),
        (i, j, v, negative) => {
          const X = makeData({ d: 2, k: 2, n: 30, seed: i, spread: 4 });
          X[i][j] = negative ? -v : v;
          expect(() => new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X)).toThrow(
            new RegExp(`X\\[${i}\\]\\[${j}\\] is`),
          );
        },
      ),
      RUNS,
    );
  });

  it("rows whose values change on every read give the values of one read", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 20 }), fc.integer({ min: 0, max: 1000 }), (n, seed) => {
        const rows = makeData({ d: 2, k: 1, n, seed, spread: 1 });
        let reads = 0;
        const seen: number[][] = rows.map((r) => r.slice());
        const changing = rows.map(
          (row, i) =>
            new Proxy(row, {
              get(target, p, r) {
                if (typeof p === "string" && /^\d+$/.test(p)) {
                  reads++;
                  const v = target[Number(p)] + reads; // a different value every time
                  seen[i][Number(p)] = v;
                  return v;
                }
                return Reflect.get(target, p, r);
              },
            }),
        );
        const scores = model.scoreSamples(changing);
        expect(reads).toBe(2 * n);
        expect(Array.from(scores)).toEqual(Array.from(model.scoreSamples(seen)));
      }),
      RUNS,
    );
  });

  it("deep, huge and odd JSON is refused with an error that names the field, never a stack overflow", () => {
    const leaf = fc.oneof(
      fc.integer({ min: 1000, max: 50_000 }).map((depth) => JSON.parse(`${"[".repeat(depth)}1${"]".repeat(depth)}`)),
      fc.integer({ min: 1, max: 2_000_000 }).map((length) => "x".repeat(length)),
      // biome-ignore lint/correctness/noPrecisionLoss: 1e400 is the literal a user writes for an overflowing value
      fc.constantFrom(null, true, {}, NaN, -Infinity, 1e400),
    );
    const field = fc.constantFrom(
      "weights_",
      "means_",
      "covariances_",
      "precisions_cholesky_",
      "n_iter_",
      "lower_bound_",
      "version",
      "params",
    );
    fc.assert(
      fc.property(field, leaf, (name, value) => {
        const json: Record<string, unknown> = {
          covariance_type: "spherical",
          weights_: [1],
          means_: [[0]],
          covariances_: [1],
          [name]: value,
        };
        let error: Error | undefined;
        try {
          GaussianMixture.fromJSON(json);
        } catch (e) {
          error = e as Error;
        }
        expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
        expect(error!.message).toContain(name);
        expect(error!.message.length).toBeLessThan(600);
      }),
      { ...RUNS, numRuns: 30 },
    );
  });

  it("options of any value give a TypeError or RangeError with a short message, never a crash in the message builder", () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    const odd = fc.oneof(
      fc.bigInt(),
      fc.constantFrom(cyclic, NaN, Infinity, -1, 1.5, "10", "x".repeat(100_000), [], {}, Symbol("s"), () => 1),
    );
    const key = fc.constantFrom(
      "nComponents",
      "covarianceType",
      "tol",
      "regCovar",
      "maxIter",
      "nInit",
      "initParams",
      "randomState",
      "warmStart",
      "dtype",
    );
    fc.assert(
      fc.property(key, odd, (name, value) => {
        let error: Error | undefined;
        try {
          new GaussianMixture({ [name]: value } as never);
        } catch (e) {
          error = e as Error;
        }
        if (error === undefined) return; // a legitimate value for that option (tol: 1.5)
        expect(error instanceof TypeError || error instanceof RangeError).toBe(true);
        expect(error.message).toContain(name);
        expect(error.message.length).toBeLessThan(600);
      }),
      RUNS,
    );
  });
});
