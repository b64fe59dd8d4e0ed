// Bad input gets a clear Error naming the problem; the instance and the
// module keep working afterwards.
import { describe, expect, it } from "vitest";
import { CovarianceError, GaussianMixture, KMeans } from "../src/index.js";
import { kernels } from "../src/wasm.js";
import { datasets } from "./helpers.js";

const X = datasets.faithful;

describe("GaussianMixture rejects bad input with a clear message", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "NaN",
      [
        [1, 2],
        [3, NaN],
        [4, 5],
      ],
      /X\[1\]\[1\] is NaN/,
    ],
    [
      "Infinity",
      [
        [1, 2],
        [3, 4],
        [Infinity, 5],
      ],
      /X\[2\]\[0\] is Infinity/,
    ],
    [
      "a string",
      [
        [1, 2],
        [3, "4"],
        [4, 5],
      ],
      /X\[1\]\[1\] is not a number \(string\)/,
    ],
    [
      "ragged rows",
      [
        [1, 2],
        [3, 4, 5],
        [6, 7],
      ],
      /ragged: row 1 has 3 values but row 0 has 2/,
    ],
    ["empty X", [], /X is empty/],
    ["empty rows", [[], []], /0 columns/],
    ["not an array", "1,2,3", /must be an array of rows/],
    ["a NaN in a dense matrix", { data: new Float64Array([1, 2, 3, NaN]), rows: 2, cols: 2 }, /X\[1\]\[1\] is NaN/],
    [
      "−∞ in a dense matrix",
      { data: new Float64Array([1, 2, -Infinity, 4]), rows: 2, cols: 2 },
      /X\[1\]\[0\] is -Infinity/,
    ],
    [
      "a value beyond ±1e100 in a dense matrix",
      { data: new Float64Array([1, 2, 3, 4, 5, 6, 7, 8, 9, -2e100]), rows: 5, cols: 2 },
      /X\[4\]\[1\] is -2e\+100: fit takes values within ±1e\+100/,
    ],
    [
      "a dense matrix of the wrong size",
      { data: new Float64Array(5), rows: 2, cols: 3 },
      /has 5 values but rows × cols = 2 × 3 = 6/,
    ],
  ];
  for (const [what, data, message] of cases) {
    it(`fit(X) with ${what} throws an Error that says so`, () => {
      const gmm = new GaussianMixture({ nComponents: 1 });
      expect(() => gmm.fit(data as never)).toThrow(message);
      // The same instance still fits good data afterwards.
      gmm.fit(X);
      expect(gmm.isFitted).toBe(true);
    });
  }

  it("fewer samples than components is refused with the counts", () => {
    expect(() =>
      new GaussianMixture({ nComponents: 5 }).fit([
        [1, 2],
        [3, 4],
      ]),
    ).toThrow(/X has 2 rows but nComponents is 5/);
  });

  it("predicting before fit says to call fit first", () => {
    const gmm = new GaussianMixture({ nComponents: 2 });
    for (const call of [
      () => gmm.predict(X),
      () => gmm.predictProba(X),
      () => gmm.scoreSamples(X),
      () => gmm.sample(3),
      () => gmm.weights,
      () => gmm.toJSON(),
    ]) {
      expect(call).toThrow(/not fitted yet: call fit\(X\) first/);
    }
  });

  // dense input is copied in bulk and checked by the module (firstBeyond); nested rows
  // value by value: both refuse ±∞ and NaN wherever they stand, scoring included
  it("scoring dense rows holding ±∞ or NaN is refused naming the row and column, and the model keeps working", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const before = gmm.scoreSamples(X);
    const rows = 21; // 42 values: five blocks of eight checked together, then two alone
    for (const [at, v] of [
      [0, Infinity],
      [7, -Infinity],
      [8, NaN],
      [39, Infinity],
      [40, NaN],
      [41, -Infinity],
    ] as const) {
      const data = Float64Array.from({ length: 2 * rows }, (_, t) => (t === at ? v : 1 + t / 10));
      const where = new RegExp(
        `X\\[${Math.floor(at / 2)}\\]\\[${at % 2}\\] is ${String(v)}: every value must be a finite number`,
      );
      for (const call of [
        () => gmm.scoreSamples({ data, rows, cols: 2 }),
        () => gmm.predict({ data, rows, cols: 2 }),
        () => gmm.predictProba({ data, rows, cols: 2 }),
      ])
        expect(call).toThrow(where);
    }
    expect(Array.from(gmm.scoreSamples(X))).toEqual(Array.from(before));
    // a large finite value is scored (its log-density underflows to −∞), as nested rows are
    const far = gmm.scoreSamples({ data: Float64Array.from([1, 2, 1e200, 3]), rows: 2, cols: 2 });
    expect(far[1]).toBe(-Infinity);
    expect(far[0]).toBe(gmm.scoreSamples([[1, 2]])[0]);
  });

  it("a feature count at predict that differs from fit is refused, and the model keeps working", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const before = gmm.scoreSamples(X);
    expect(() => gmm.predict(datasets.iris)).toThrow(/X has 4 features but the model was fitted with 2/);
    expect(Array.from(gmm.scoreSamples(X))).toEqual(Array.from(before));
  });

  it("a covariance that cannot be factored names the component and the fix (more regCovar)", () => {
    // Two exact copies of each of three points: with regCovar 0 every component collapses.
    const collapsed = [
      [0, 0],
      [0, 0],
      [1, 1],
      [1, 1],
      [5, 2],
      [5, 2],
    ];
    const gmm = new GaussianMixture({ nComponents: 3, regCovar: 0, randomState: 0 });
    let error: unknown;
    try {
      gmm.fit(collapsed);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(CovarianceError);
    expect((error as Error).message).toMatch(/Component \d's covariance is not positive definite/);
    expect((error as Error).message).toMatch(/Increase regCovar \(now 0\)/);
    expect(gmm.isFitted).toBe(false);
    // The module is unharmed: the same data fits with a regularised model.
    const ok = new GaussianMixture({ nComponents: 3, regCovar: 1e-6, randomState: 0 }).fit(collapsed);
    expect(ok.weights.every(Number.isFinite)).toBe(true);
    expect(Array.from(ok.scoreSamples(collapsed)).every(Number.isFinite)).toBe(true);
  });

  it("a failed fit leaves a previously fitted model unchanged", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    const json = JSON.stringify(gmm);
    expect(() =>
      gmm.fit([
        [1, 2],
        [NaN, 3],
        [4, 5],
      ]),
    ).toThrow(/NaN/);
    expect(JSON.stringify(gmm)).toBe(json);
  });

  it("bad options are refused at construction with the valid choices", () => {
    expect(() => new GaussianMixture({ covarianceType: "banana" as never })).toThrow(
      /covarianceType must be one of "full", "tied", "diag", "spherical"/,
    );
    expect(() => new GaussianMixture({ nComponents: 0 })).toThrow(/nComponents must be an integer ≥ 1/);
    expect(() => new GaussianMixture({ tol: -1 })).toThrow(/tol must be a finite number ≥ 0/);
    expect(() => new GaussianMixture({ initParams: "kmeans2" as never })).toThrow(/initParams must be one of/);
    expect(() => new GaussianMixture({ ncomponents: 3 } as never)).toThrow(
      /Unknown GaussianMixture option "ncomponents"/,
    );
    expect(() => new GaussianMixture({ randomState: 1.5 })).toThrow(/randomState must be a non-negative integer/);
  });

  it("given starts with the wrong shape or values are refused", () => {
    expect(() => new GaussianMixture({ nComponents: 2, weightsInit: [0.5, 0.6] }).fit(X)).toThrow(
      /weightsInit sums to 1.1/,
    );
    expect(() =>
      new GaussianMixture({
        nComponents: 2,
        meansInit: [
          [1, 2, 3],
          [4, 5, 6],
        ],
      }).fit(X),
    ).toThrow(/meansInit has shape \[2, 3\]; expected \[nComponents, features\] = \[2, 2\]/);
    expect(() =>
      new GaussianMixture({
        nComponents: 2,
        precisionsInit: [
          [
            [1, 0],
            [0, 1],
          ],
        ],
      }).fit(X),
    ).toThrow(/precisionsInit has length 1; expected 2/);
    expect(() =>
      new GaussianMixture({
        nComponents: 1,
        precisionsInit: [
          [
            [1, 0.5],
            [0, 1],
          ],
        ],
      }).fit(X),
    ).toThrow(/not symmetric/);
    expect(() =>
      new GaussianMixture({
        nComponents: 1,
        precisionsInit: [
          [
            [1, 2],
            [2, 1],
          ],
        ],
      }).fit(X),
    ).toThrow(/not positive definite/);
  });

  it("memory does not grow across repeated fit/predict calls", () => {
    const gmm = new GaussianMixture({ nComponents: 3, randomState: 0 });
    gmm.fit(datasets.synthetic);
    gmm.predictProba(datasets.synthetic);
    const bytes = kernels().memory.buffer.byteLength;
    for (let i = 0; i < 200; i++) {
      gmm.fit(datasets.synthetic);
      gmm.predictProba(datasets.synthetic);
      gmm.sample(100);
      try {
        gmm.predict([[1, NaN, 3]]);
      } catch {
        // errors must release their memory too
      }
    }
    expect(kernels().memory.buffer.byteLength).toBe(bytes);
  });
});

describe("KMeans rejects bad input", () => {
  it("names the problem and keeps working", () => {
    const km = new KMeans({ nClusters: 3, randomState: 0 });
    expect(() =>
      km.fit([
        [1, 2],
        [2, 3],
      ]),
    ).toThrow(/X has 2 rows but nClusters is 3/);
    expect(() => km.predict(X)).toThrow(/not fitted yet/);
    km.fit(X);
    expect(() => km.predict(datasets.iris)).toThrow(/X has 4 features but this KMeans was fitted with 2/);
    expect(km.predict(X).length).toBe(X.length);
  });

  it("refuses options it does not know, naming the key and the known ones (a misspelt name would leave its default)", () => {
    expect(() => new KMeans({ nclusters: 3 } as never)).toThrow(
      /Unknown KMeans option "nclusters"; known options: nClusters, init, nInit, maxIter, tol, randomState/,
    );
    expect(() => new KMeans({ nClusters: 3, dtype: "float32" } as never)).toThrow(/Unknown KMeans option "dtype"/);
    expect(() => new KMeans(null as never)).toThrow(/KMeans options must be an object; got null/);
    expect(new KMeans({ nClusters: 3, randomState: 0 }).fit(X).nIter).toBeGreaterThan(0);
  });
});
