// Issue #18's findings, one test each: inputs that change while read, huge
// finite values, cost of the degeneracy check, scratch sized to the family,
// thread counts, error messages and silent coercions.
import { describe, expect, it } from "vitest";
// fitAsync's worker is its own bundle: thread tests run against the built package
import * as built from "../dist/index.js";
import { type CovarianceType, GaussianMixture, selectModel } from "../src/index.js";

await built.init();

import { COVARIANCE_TYPES } from "../src/covariance.js";
import { hasRelativeEigenvalueAtMost } from "../src/dense.js";
import { kernels } from "../src/wasm.js";
import { datasets, expectClose, readCsv } from "./helpers.js";

const faithful = datasets.faithful;
const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];

/** A Proxy over nested rows that counts every read of an index, at both levels. */
function counted(rows: number[][]): { X: number[][]; reads: Map<string, number>; setLength(n: number): void } {
  const reads = new Map<string, number>();
  let length = rows.length;
  const bump = (key: string) => reads.set(key, (reads.get(key) ?? 0) + 1);
  const wrapRow = (row: number[], i: number) =>
    new Proxy(row, {
      get(target, p, r) {
        if (typeof p === "string" && /^\d+$/.test(p)) bump(`${i},${p}`);
        return Reflect.get(target, p, r);
      },
    });
  const wrapped = rows.map(wrapRow);
  const X = new Proxy(wrapped, {
    get(target, p, r) {
      if (p === "length") {
        bump("length");
        return length;
      }
      if (typeof p === "string" && /^\d+$/.test(p)) bump(p);
      return Reflect.get(target, p, r);
    },
  });
  return { X, reads, setLength: (n) => (length = n) };
}

describe("X is read exactly once per call", () => {
  for (const dtype of ["float64", "float32"] as const) {
    it(`fit and predict read every row and value once (${dtype})`, () => {
      const { X, reads } = counted(faithful);
      const gmm = new GaussianMixture({ nComponents: 2, randomState: 0, dtype });
      gmm.fit(X);
      expect(Math.max(...reads.values())).toBe(1);
      reads.clear();
      const labels = gmm.predict(X);
      expect(Math.max(...reads.values())).toBe(1);
      expect(Array.from(labels)).toEqual(Array.from(gmm.predict(faithful)));
    });
  }

  it("a length that shrinks after the first read gives the rows of the first read, never another caller's", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    // leave other rows in the arena, as a previous caller would
    gmm.scoreSamples(faithful);
    const rows = faithful.slice(0, 30);
    const { X, reads } = counted(rows);
    let first = true;
    const shrinking = new Proxy(X, {
      get(target, p, r) {
        if (p === "length") {
          const v = first ? 30 : 1;
          first = false;
          return v;
        }
        return Reflect.get(target, p, r);
      },
    });
    const scores = gmm.scoreSamples(shrinking);
    expect(scores.length).toBe(30);
    expect(Array.from(scores)).toEqual(Array.from(gmm.scoreSamples(rows)));
    void reads;
  });

  it("fitAsync copies X when called: truncating it afterwards changes nothing", async () => {
    const rows = Array.from({ length: 4000 }, (_, i) =>
      faithful[i % faithful.length].map((v, j) => v + ((i * 7 + j) % 13) * 0.01),
    );
    const X = rows.map((r) => r.slice());
    const options = { nComponents: 2, covarianceType: "full" as const, randomState: 1, tol: 0, maxIter: 5 };
    const threaded = new built.GaussianMixture(options);
    const pending = threaded.fitAsync(X, { nThreads: 2 });
    X.length = 1000; // the caller reuses its array
    await pending;
    const reference = new GaussianMixture(options).fit(rows);
    expect(threaded.toJSON().n_samples_fit).toBe(4000);
    expectClose(threaded.weights, reference.weights, 1e-10);
    expectClose(threaded.means, reference.means, 1e-10);
  });

  it("fitAsync queued behind another fitAsync still fits the rows it was given", async () => {
    const big = Array.from({ length: 3000 }, (_, i) => [Math.sin(i) * 3 + (i % 2) * 8, Math.cos(i * 1.3) * 2]);
    const X = faithful.map((r) => r.slice());
    const first = new built.GaussianMixture({ nComponents: 2, randomState: 0, tol: 0, maxIter: 5 }).fitAsync(big, {
      nThreads: 2,
    });
    const second = new built.GaussianMixture({ nComponents: 2, randomState: 0, tol: 0, maxIter: 5 });
    const queued = second.fitAsync(X, { nThreads: 2 });
    X.length = 10;
    await Promise.all([first, queued]);
    const reference = new GaussianMixture({ nComponents: 2, randomState: 0, tol: 0, maxIter: 5 }).fit(faithful);
    expect(second.toJSON().n_samples_fit).toBe(faithful.length);
    expectClose(second.means, reference.means, 1e-10);
  });
});

/** One standard normal component at the origin in d dimensions. */
function standard(d: number, type: CovarianceType = "spherical"): GaussianMixture {
  const cov =
    type === "spherical"
      ? [1]
      : type === "diag"
        ? [Array(d).fill(1)]
        : Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
  return GaussianMixture.fromJSON({
    covariance_type: type,
    weights_: [1],
    means_: [Array(d).fill(0)],
    covariances_: type === "tied" ? cov : type === "full" ? [cov] : cov,
  });
}

describe("huge finite values", () => {
  it("a log-density is −∞ only when it is below −1.8e308, and then the row still has responsibilities", () => {
    for (const type of TYPES) {
      const gmm = standard(1, type);
      // q = 2.25e308 overflows a double, q/2 does not: log p = −1.125e308 − ½ log 2π
      const s = gmm.scoreSamples([[1.5e154]]);
      expect(s[0]).toBeCloseTo(-1.125e308 - 0.5 * Math.log(2 * Math.PI), -300);
      expect(Number.isFinite(s[0])).toBe(true);
      expect(gmm.scoreSamples([[1e160]])[0]).toBe(-Infinity);
    }
  });

  it("predictProba rows sum to 1 and predict picks the nearest component for rows ~1e160 away", () => {
    for (const type of TYPES) {
      const gmm = new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0 }).fit(faithful);
      const far = [
        [1e160, 70],
        [-1e200, 70],
        [3, 1e180],
        [1e300, -1e300],
      ];
      const near = [
        [1e150, 70],
        [-1e150, 70],
        [3, 1e150],
        [1e150, -1e150],
      ];
      const p = gmm.predictProba(far);
      for (let i = 0; i < far.length; i++) {
        let sum = 0;
        for (let c = 0; c < 3; c++) sum += p.data[i * 3 + c];
        expect(sum).toBeCloseTo(1, 12);
      }
      // along the same direction the nearest component does not change with the distance
      expect(Array.from(gmm.predict(far))).toEqual(Array.from(gmm.predict(near)));
      expect(Array.from(gmm.scoreSamples(far)).every((v) => v === -Infinity || Number.isFinite(v))).toBe(true);
    }
  });

  it("anomalyThreshold is never NaN and isAnomaly flags the far row", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    const calibration = [...faithful, [1e160, 70]];
    const threshold = gmm.anomalyThreshold(calibration, { contamination: 0 });
    expect(threshold).toBe(-Infinity);
    const t = gmm.anomalyThreshold(calibration, { contamination: 0.01 });
    expect(Number.isNaN(t)).toBe(false);
    expect(
      gmm.isAnomaly(
        [
          [1e160, 70],
          [4.4, 80],
        ],
        t,
      ),
    ).toEqual([true, false]);
  });

  it("a row far out in every feature (1e20 … 1e99) fits in all four types, its component's mean exactly on it", () => {
    // Before session 5 full and tied refused it: the 10ε floor on N_k put a lone
    // row's mean 1e-15·|x| off the row, and that offset's outer product swamped regCovar.
    for (const v of [1e20, 1e30, 1e60, 1e99]) {
      for (const covarianceType of COVARIANCE_TYPES) {
        const X = [...faithful, [v, -v]];
        const gmm = new GaussianMixture({ nComponents: 3, covarianceType, randomState: 0 }).fit(X);
        const far = gmm.predict([[v, -v]])[0];
        expect(gmm.means[far]).toEqual([v, -v]);
        expect(gmm.weights[far]).toBeCloseTo(1 / X.length, 12);
        expect(gmm.predict(faithful).every((c) => c !== far)).toBe(true);
      }
    }
  });

  it("fit refuses values beyond ±1e100 with the row and column, and keeps the model", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    const before = gmm.toJSON();
    expect(() => gmm.fit([...faithful, [1e200, 70]])).toThrow(
      /X\[272\]\[0\] is 1e\+200: fit takes values within ±1e\+100.*rescale/,
    );
    expect(() => gmm.fit(faithful.map((r) => r.map((v) => v * 1e154)))).toThrow(/X\[0\]\[0\] is .*rescale/);
    expect(gmm.toJSON()).toEqual(before);
    for (const dtype of ["float32", "float64"] as const) {
      expect(() =>
        new GaussianMixture({ dtype }).fit([
          [1, 2],
          [3, -2e100],
        ]),
      ).toThrow(/X\[1\]\[1\]/);
    }
  });

  it("fromJSON refuses means no fit could have produced", () => {
    expect(() =>
      GaussianMixture.fromJSON({
        covariance_type: "spherical",
        weights_: [1],
        means_: [[1e300, 0]],
        covariances_: [1],
      }),
    ).toThrow(/means_\[0\]\[0\] is 1e\+300/);
  });
});

describe("the degeneracy check", () => {
  /** Q·diag(λ)·Qᵀ with Q a product of seeded Householder reflections. */
  function withEigenvalues(lambda: number[], seed: number): Float64Array {
    const d = lambda.length;
    let s = seed;
    const u = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32 - 0.5;
    const a = new Float64Array(d * d);
    for (let i = 0; i < d; i++) a[i * d + i] = lambda[i];
    for (let r = 0; r < 3; r++) {
      const v = Array.from({ length: d }, u);
      const norm2 = v.reduce((t, x) => t + x * x, 0);
      // H a H with H = I − 2vvᵀ/‖v‖²
      const h = (i: number, j: number) => (i === j ? 1 : 0) - (2 * v[i] * v[j]) / norm2;
      const ha = new Float64Array(d * d);
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let t = 0;
          for (let m = 0; m < d; m++) t += h(i, m) * a[m * d + j];
          ha[i * d + j] = t;
        }
      for (let i = 0; i < d; i++)
        for (let j = 0; j < d; j++) {
          let t = 0;
          for (let m = 0; m < d; m++) t += ha[i * d + m] * h(m, j);
          a[i * d + j] = t;
        }
    }
    return a;
  }

  it("hasRelativeEigenvalueAtMost says whether E keeps at most epsilon of M's spread along some direction, in any units", () => {
    for (const [d, seed] of [
      [2, 1],
      [5, 2],
      [12, 3],
    ]) {
      const lambda = Array.from({ length: d }, (_, i) => 1 + i);
      lambda[d - 1] = 3e-6;
      for (const scale of [1, 1e-6, 1e6]) {
        // E and M in the same units: the answer does not depend on them
        const e = withEigenvalues(lambda, seed).map((v) => v * scale);
        const m = new Float64Array(d * d);
        for (let j = 0; j < d; j++) m[j * d + j] = scale;
        expect(hasRelativeEigenvalueAtMost(e, 0, m, d, 1e-5, 0)).toBe(true);
        expect(hasRelativeEigenvalueAtMost(e, 0, m, d, 1e-6, 0)).toBe(false);
        const flat = withEigenvalues(
          lambda.map(() => 2),
          seed,
        ).map((v) => v * scale);
        expect(hasRelativeEigenvalueAtMost(flat, 0, m, d, 1.9, 0)).toBe(false);
        expect(hasRelativeEigenvalueAtMost(flat, 0, m, d, 2.1, 0)).toBe(true);
      }
    }
  });

  it("a collapsed full component is flagged at d = 400 (one Cholesky, not Jacobi sweeps)", () => {
    const d = 400;
    const lambda = Array.from({ length: d }, () => 1);
    // 1e-6 above regCovar: a millionth of the mixture's variance along that direction
    lambda[7] = 2e-6;
    const cov = withEigenvalues(lambda, 9);
    const rows = Array.from({ length: d }, (_, i) => Array.from(cov.subarray(i * d, (i + 1) * d)));
    const identity = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? 1 : 0)));
    const gmm = GaussianMixture.fromJSON({
      covariance_type: "full",
      weights_: [0.5, 0.5],
      means_: [Array(d).fill(0), Array.from({ length: d }, (_, j) => (j === 0 ? 3 : 0))],
      covariances_: [rows, identity],
    });
    expect(gmm.degenerate.map((c) => [c.component, c.kind])).toEqual([[0, "variance-at-floor"]]);
  });

  it("a single Gaussian is never collapsed, however small the data's variance along some direction (breast cancer, raw)", () => {
    // its true smallest eigenvalue is 7e-7, below the old floor of 10 × regCovar
    for (const covarianceType of TYPES) {
      const gmm = new GaussianMixture({ nComponents: 1, covarianceType }).fit(readCsv("../data/breast_cancer.csv"));
      expect(gmm.degenerate, covarianceType).toEqual([]);
    }
  });

  it("a component on identical rows is flagged, and only it, in any units", () => {
    // Old Faithful plus six copies of one row, in units s times larger, with regCovar
    // scaled alike so every fit is the same one (the old floor, 10 × regCovar
    // unscaled, flagged both components at s = 1e-3 and neither at s = 1e3)
    for (const s of [1e-3, 1, 1e3]) {
      const X = [...faithful, ...Array.from({ length: 6 }, () => [6, 30])].map(([a, b]) => [a * s, b * s]);
      for (const covarianceType of TYPES) {
        // a broad component and a tight one on the copies (precision 1/(0.01 s)²)
        const broad = 1 / (100 * s * s);
        const tight = 1 / (1e-4 * s * s);
        const precisionsInit = {
          full: [
            [
              [broad, 0],
              [0, broad],
            ],
            [
              [tight, 0],
              [0, tight],
            ],
          ],
          tied: [
            [broad, 0],
            [0, broad],
          ],
          diag: [
            [broad, broad],
            [tight, tight],
          ],
          spherical: [broad, tight],
        }[covarianceType];
        const gmm = new GaussianMixture({
          nComponents: 2,
          covarianceType,
          meansInit: [
            [3.5 * s, 71 * s],
            [6 * s, 30 * s],
          ],
          weightsInit: [0.98, 0.02],
          precisionsInit,
          regCovar: 1e-6 * s * s,
          maxIter: 200,
        }).fit(X);
        expectClose(gmm.means[1], [6 * s, 30 * s], 1e-9);
        const expected = covarianceType === "tied" ? [] : [[1, "variance-at-floor"]];
        expect(
          gmm.degenerate.filter((c) => c.kind === "variance-at-floor").map((c) => [c.component, c.kind]),
          `${covarianceType} at scale ${s}`,
        ).toEqual(expected);
      }
    }
  });
});

describe("memory in proportion to the input", () => {
  it("a spherical model with d = 16384 loads and scores without a d×d scratch", () => {
    const d = 16384;
    const before = kernels().memory.buffer.byteLength;
    const gmm = GaussianMixture.fromJSON({
      covariance_type: "spherical",
      weights_: [0.5, 0.5],
      means_: [Array(d).fill(0), Array(d).fill(1)],
      covariances_: [1, 2],
    });
    const s = gmm.scoreSamples([Array(d).fill(0.5)]);
    expect(Number.isFinite(s[0])).toBe(true);
    const { X } = gmm.sample(3, { randomState: 0 });
    expect(X.rows).toBe(3);
    // d² doubles would be 2 GiB; the model, a row and samples are a few MB
    expect(kernels().memory.buffer.byteLength - before).toBeLessThan(64 * 2 ** 20);
  });

  it("a diag fit of 3 rows × 24,000 features needs O(n·d) memory", () => {
    const d = 24_000;
    const X = [0, 1, 2].map((i) => Array.from({ length: d }, (_, j) => Math.sin(i * 7 + j)));
    const before = kernels().memory.buffer.byteLength;
    const gmm = new GaussianMixture({ nComponents: 1, covarianceType: "diag" }).fit(X);
    expect(gmm.means[0].length).toBe(d);
    expect(kernels().memory.buffer.byteLength - before).toBeLessThan(64 * 2 ** 20);
  });
});

describe("fitAsync threads", () => {
  it("refuses absurd nThreads and checks the signal before starting workers", async () => {
    const gmm = new built.GaussianMixture({ nComponents: 2, randomState: 0 });
    await expect(gmm.fitAsync(faithful, { nThreads: 1000 })).rejects.toThrow(
      /nThreads must be an integer from 1 to 256; got 1000/,
    );
    await expect(gmm.fitAsync(faithful, { nThreads: 1.5 })).rejects.toThrow(/nThreads/);
    const controller = new AbortController();
    controller.abort();
    await expect(gmm.fitAsync(faithful, { nThreads: 2, signal: controller.signal })).rejects.toMatchObject({
      name: "AbortError",
    });
    expect(gmm.isFitted).toBe(false);
  });

  it("more threads than cores are capped at the cores and give the same fit", async () => {
    const options = { nComponents: 2, randomState: 0, tol: 0, maxIter: 4 };
    const gmm = await new built.GaussianMixture(options).fitAsync(faithful, { nThreads: 200 });
    expectClose(gmm.means, new GaussianMixture(options).fit(faithful).means, 1e-10);
  });
});

describe("error messages name the problem without crashing on the value", () => {
  const cyclic: Record<string, unknown> = {};
  cyclic.self = cyclic;
  const cases: [string, () => unknown, RegExp][] = [
    [
      "a BigInt option",
      () => new GaussianMixture({ nComponents: 3n as never }),
      /nComponents must be an integer ≥ 1; got 3n \(a BigInt\)/,
    ],
    [
      "a cyclic option",
      () => new GaussianMixture({ tol: cyclic as never }),
      /tol must be a finite number ≥ 0; got an object/,
    ],
    ["NaN", () => new GaussianMixture({ tol: NaN }), /got NaN/],
    ["Infinity", () => new GaussianMixture({ maxIter: Infinity }), /got Infinity/],
    [
      "a 50 MB string",
      () => new GaussianMixture({ covarianceType: "x".repeat(5e7) as never }),
      /covarianceType must be one of .*"x{57}\.\.\."$/,
    ],
    [
      "covarianceTypes: []",
      () => selectModel(faithful, { covarianceTypes: [] }),
      /covarianceTypes must be a non-empty list/,
    ],
    [
      "nComponents beyond the rows",
      () => selectModel(faithful.slice(0, 30), { nComponents: 1e6 }),
      /nComponents must be an integer from 1 to 30; got 1000000/,
    ],
    [
      "a listed K beyond the rows",
      () => selectModel(faithful.slice(0, 30), { nComponents: [2, 31] }),
      /nComponents includes 31 but X has only 30 rows/,
    ],
    [
      "a cyclic featureNames",
      () => new GaussianMixture().fit(faithful, { featureNames: cyclic as never }),
      /featureNames must be 2 strings.*got an object/,
    ],
  ];
  for (const [what, call, message] of cases) {
    it(`${what}`, () => {
      let error: Error | undefined;
      try {
        call();
      } catch (e) {
        error = e as Error;
      }
      expect(error?.message).toMatch(message);
      expect(error!.message.length).toBeLessThan(600);
    });
  }

  it("weightsInit: null means not given (Python's None)", () => {
    const a = new GaussianMixture({ nComponents: 2, randomState: 0, weightsInit: null as never }).fit(faithful);
    const b = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful);
    expect(a.means).toEqual(b.means);
  });

  it("fromJSON of a value nested 100,000 deep says where, not 'Maximum call stack size exceeded'", () => {
    let deep: unknown = 1;
    for (let i = 0; i < 100_000; i++) deep = [deep];
    expect(() =>
      GaussianMixture.fromJSON({ covariance_type: "spherical", weights_: [1], means_: [[deep]], covariances_: [1] }),
    ).toThrow(/means_\[0\]\[0\] is an array of length 1; every value must be a finite number/);
    const text = `{"covariance_type": "spherical", "weights_": [1], "means_": [[0]], "covariances_": [1], "params": {"tol": ${"[".repeat(100_000)}1${"]".repeat(100_000)}}}`;
    expect(() => GaussianMixture.fromJSON(text)).toThrow(/params\.tol is an array of length 1; expected a number/);
  });
});

describe("no silent coercions", () => {
  it("options of the wrong type are refused, not coerced", () => {
    expect(() => new GaussianMixture({ warmStart: "false" as never })).toThrow(
      /warmStart must be true or false; got "false"/,
    );
    for (const bad of [NaN, "10", -5]) {
      expect(() => new GaussianMixture().fit(faithful, { timeBudgetMs: bad as never })).toThrow(
        /timeBudgetMs must be a finite number ≥ 0/,
      );
    }
    expect(() => new GaussianMixture().fit(faithful, { tiemBudgetMs: 5 } as never)).toThrow(
      /Unknown fit option "tiemBudgetMs"/,
    );
    expect(() => selectModel(faithful, { ninit: 3 } as never)).toThrow(/Unknown selectModel option "ninit"/);
  });

  it("randomState is a 32-bit seed: 2³² is refused rather than folded onto another seed", () => {
    expect(() => new GaussianMixture({ randomState: 2 ** 32 })).toThrow(
      /randomState must be a non-negative integer up to 2³² − 1/,
    );
    const a = new GaussianMixture({ nComponents: 3, randomState: 2 ** 32 - 1 }).fit(faithful);
    const b = new GaussianMixture({ nComponents: 3, randomState: 668265261 }).fit(faithful);
    expect(a.lowerBound).not.toBe(b.lowerBound);
  });

  it("fromJSON refuses fields no model has", () => {
    const model = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(faithful).toJSON();
    const cases: [(m: Record<string, any>) => void, RegExp][] = [
      [(m) => (m.params.dtype = "float16"), /params\.dtype is "float16"/],
      [(m) => (m.params.init_params = "evil"), /params\.init_params is "evil"/],
      [(m) => (m.lower_bound_ = NaN), /lower_bound_ is NaN/],
      [(m) => (m.n_iter_ = -5), /n_iter_ is -5/],
      [(m) => (m.version = NaN), /version NaN is not supported/],
      [
        (m) =>
          (m.precisions_ = [
            [
              [1, 0],
              [0, 1],
            ],
            [
              [1, 0],
              [0, 1],
            ],
          ]),
        /precisions_ and covariances_ describe different Gaussians/,
      ],
      [(m) => (m.params.evil = 1), /unknown field params\.evil/],
    ];
    for (const [change, message] of cases) {
      const m = JSON.parse(JSON.stringify(model));
      change(m);
      expect(() => GaussianMixture.fromJSON(m)).toThrow(message);
    }
    // and accepts precisions_ that match
    const ok = JSON.parse(JSON.stringify(model));
    ok.precisions_ = GaussianMixture.fromJSON(model).precisions;
    expect(GaussianMixture.fromJSON(ok).means).toEqual(GaussianMixture.fromJSON(model).means);
  });
});
