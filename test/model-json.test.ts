// fromJSON treats its input as untrusted: every malformed model is refused
// with a message, and none can make scoring return a wrong number silently.
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets } from "./helpers.js";

const X = datasets.iris;
const fitted = (type: CovarianceType) =>
  JSON.parse(JSON.stringify(new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0 }).fit(X)));

describe("toJSON / fromJSON", () => {
  for (const type of ["full", "tied", "diag", "spherical"] as CovarianceType[]) {
    it(`round-trips a ${type} model: same scores, parameters and options`, () => {
      const json = fitted(type);
      expect(json.format).toBe("gmm-wasm/GaussianMixture");
      expect(json.covariance_type).toBe(type);
      const back = GaussianMixture.fromJSON(JSON.stringify(json));
      const original = GaussianMixture.fromJSON(json);
      expect(Array.from(back.scoreSamples(X))).toEqual(Array.from(original.scoreSamples(X)));
      expect(JSON.parse(JSON.stringify(back))).toEqual(json);
      expect(back.randomState).toBe(0);
    });
  }
});

describe("fromJSON refuses malformed models with a clear message", () => {
  const full = fitted("full");
  const mutate = (f: (m: Record<string, any>) => void) => {
    const m = JSON.parse(JSON.stringify(full));
    f(m);
    return m;
  };
  const cases: [string, unknown, RegExp][] = [
    ["not an object", 42, /expected a model object/],
    ["invalid JSON text", "{weights_: [1]", /not valid JSON/],
    [
      "an unknown covariance type",
      mutate((m) => (m.covariance_type = "blocky")),
      /covariance_type is "blocky"; expected one of full, tied, diag, spherical/,
    ],
    ["an extra field", mutate((m) => (m.evil = true)), /unknown field "evil"/],
    ["another format", mutate((m) => (m.format = "pickle")), /format is "pickle"/],
    ["a future version", mutate((m) => (m.version = 99)), /version 99 is not supported/],
    ["negative weights", mutate((m) => (m.weights_ = [1.2, -0.2, 0])), /weights_\[1\] is -0.2; weights must be ≥ 0/],
    ["weights that do not sum to 1", mutate((m) => (m.weights_ = [0.5, 0.5, 0.5])), /weights_ sums to 1.5/],
    ["a NaN weight (as null)", mutate((m) => (m.weights_[0] = null)), /weights_\[0\] is null/],
    ["a string in the means", mutate((m) => (m.means_[1][2] = "7")), /means_\[1\]\[2\] is "7"/],
    ["means of the wrong shape", mutate((m) => m.means_.pop()), /means_ has length 2; expected 3/],
    [
      "a ragged covariance",
      mutate((m) => m.covariances_[0][1].pop()),
      /covariances_\[0\]\[1\] has length 3; expected 4/,
    ],
    [
      "a non-symmetric covariance",
      mutate((m) => (m.covariances_[1][0][2] += 0.1)),
      /covariances_\[1\] is not symmetric at \[2\]\[0\]/,
    ],
    [
      "a covariance that is not positive definite",
      mutate((m) => {
        m.covariances_[2][0][0] = -1;
      }),
      /covariances_ of component 2 is not positive definite/,
    ],
    [
      "precisions_cholesky_ that disagree with covariances_",
      mutate((m) => (m.precisions_cholesky_[0][0][0] *= 1.5)),
      /describe different Gaussians/,
    ],
    [
      "n_components that disagrees with the weights",
      mutate((m) => (m.n_components = 4)),
      /n_components is 4 but weights_ has 3 entries/,
    ],
    [
      "an absurd claimed feature count",
      mutate((m) => (m.n_features_in_ = 1e9)),
      /n_features_in_ is 1000000000 but means_ rows have 4 entries/,
    ],
    [
      "too many components",
      { ...full, weights_: new Array(70000).fill(1 / 70000) },
      /weights_ has 70000 entries; expected 1 to 65536/,
    ],
    ["missing covariances", mutate((m) => delete m.covariances_), /covariances_ is missing/],
  ];
  for (const [what, json, message] of cases) {
    it(`${what}`, () => {
      expect(() => GaussianMixture.fromJSON(json)).toThrow(message);
    });
  }

  it("a claimed shape far larger than the data is refused without allocating it", () => {
    const m = JSON.parse(JSON.stringify(full));
    m.means_ = [new Array(16384).fill(0), [0], [0]];
    m.n_features_in_ = undefined;
    expect(() => GaussianMixture.fromJSON(m)).toThrow(/means_\[1\] has length 1; expected 16384/);
  });

  it("diag and spherical models with a non-positive variance are refused", () => {
    const diag = fitted("diag");
    diag.covariances_[0][1] = 0;
    expect(() => GaussianMixture.fromJSON(diag)).toThrow(/not positive definite/);
    const sph = fitted("spherical");
    sph.precisions_cholesky_[2] = -1;
    expect(() => GaussianMixture.fromJSON(sph)).toThrow(/precisions_cholesky_ value 2 is -1/);
  });
});

describe("fuzzing fromJSON", () => {
  it("random bytes and random JSON values never crash or hang: a model or a TypeError/RangeError", () => {
    const outcome = (input: unknown) => {
      try {
        const gmm = GaussianMixture.fromJSON(input);
        // Anything accepted must score finitely.
        expect(gmm.scoreSamples([new Array(gmm.nFeatures).fill(0)]).every(Number.isFinite)).toBe(true);
      } catch (e) {
        expect(e).toBeInstanceOf(Error);
        expect((e as Error).message).toMatch(/^fromJSON: |must|expected|has length|is /);
      }
    };
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => outcome(new TextDecoder().decode(bytes))),
      { numRuns: 300, seed: 1 },
    );
    fc.assert(
      fc.property(fc.jsonValue({ maxDepth: 4 }), (v) => outcome(v)),
      { numRuns: 300, seed: 2 },
    );
    // Structure-aware: a valid model with one field replaced by a random JSON value.
    const base = fitted("full");
    const keys = Object.keys(base);
    fc.assert(
      fc.property(fc.constantFrom(...keys), fc.jsonValue({ maxDepth: 3 }), (key, v) => outcome({ ...base, [key]: v })),
      { numRuns: 300, seed: 3 },
    );
  });
});

describe("feature names", () => {
  it("fit(X, { featureNames }) keeps them, writes feature_names_in_ and reads them back", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(datasets.faithful, {
      featureNames: ["eruptions", "waiting"],
    });
    expect(gmm.featureNames).toEqual(["eruptions", "waiting"]);
    const json = JSON.parse(JSON.stringify(gmm));
    expect(json.feature_names_in_).toEqual(["eruptions", "waiting"]);
    expect(GaussianMixture.fromJSON(json).featureNames).toEqual(["eruptions", "waiting"]);
    expect(new GaussianMixture({ nComponents: 2 }).fit(datasets.faithful).featureNames).toBeUndefined();
  });

  it("refuses names that do not match the columns", () => {
    expect(() => new GaussianMixture().fit(datasets.faithful, { featureNames: ["only one"] })).toThrow(
      /featureNames must be 2 strings/,
    );
    const json = JSON.parse(JSON.stringify(new GaussianMixture().fit(datasets.faithful)));
    json.feature_names_in_ = ["a", 3];
    expect(() => GaussianMixture.fromJSON(json)).toThrow(/feature_names_in_ must be 2 strings/);
  });
});
