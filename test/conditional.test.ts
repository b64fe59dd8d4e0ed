// Marginals, conditionals, GMM regression and conditional sampling
// (src/conditional.ts and the GaussianMixture methods): against numpy/scipy
// fixtures (test/fixtures/make_conditional.py), against a naive dense
// reference written here (explicit inverses and determinants, which the
// library never forms), and through identities between the calls.
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import { datasets, maxRelativeError } from "./helpers.js";

const TYPES: CovarianceType[] = ["full", "tied", "diag", "spherical"];
const iris = datasets.iris;

interface FixtureCondition {
  features: number[];
  values: number[];
  rest: number[];
  component_logpdf: number[];
  log_density: number;
  weights: number[];
  means: number[][];
  covariances_dense: number[][][];
  covariances: unknown;
}
interface FixtureType {
  model: Record<string, unknown>;
  marginals: { features: number[]; means: number[][]; covariances: unknown }[];
  conditions: FixtureCondition[];
  regression: { features: number[]; X: number[][]; predictions: number[][] };
}
const fixture = JSON.parse(readFileSync(new URL("./fixtures/conditional.json", import.meta.url), "utf8")) as {
  provenance: Record<string, string>;
  types: Record<CovarianceType, FixtureType>;
};

// ---- naive dense reference ------------------------------------------------

type Dense = number[][];

/** Component c's covariance as a dense d×d matrix, whatever the type. */
function denseCovariance(gmm: GaussianMixture, c: number): Dense {
  const d = gmm.nFeatures;
  const cov = gmm.covariances as never;
  const diagonal = (v: (j: number) => number) =>
    Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) => (i === j ? v(i) : 0)));
  switch (gmm.covarianceType) {
    case "full":
      return cov[c];
    case "tied":
      return cov;
    case "diag":
      return diagonal((j) => (cov[c] as number[])[j]);
    case "spherical":
      return diagonal(() => cov[c] as number);
  }
}

/** Inverse and log-determinant by Gauss–Jordan elimination with partial pivoting. */
function inverse(a: Dense): { inv: Dense; logDet: number } {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...Array.from({ length: n }, (_, j) => (i === j ? 1 : 0))]);
  let logDet = 0;
  for (let col = 0; col < n; col++) {
    let p = col;
    for (let i = col + 1; i < n; i++) if (Math.abs(m[i][col]) > Math.abs(m[p][col])) p = i;
    [m[col], m[p]] = [m[p], m[col]];
    const pivot = m[col][col];
    logDet += Math.log(Math.abs(pivot));
    for (let j = 0; j < 2 * n; j++) m[col][j] /= pivot;
    for (let i = 0; i < n; i++) {
      if (i === col) continue;
      const f = m[i][col];
      for (let j = 0; j < 2 * n; j++) m[i][j] -= f * m[col][j];
    }
  }
  return { inv: m.map((row) => row.slice(n)), logDet };
}

const pick = (a: Dense, rows: number[], cols: number[]): Dense => rows.map((i) => cols.map((j) => a[i][j]));
const matVec = (a: Dense, v: number[]) => a.map((row) => row.reduce((s, x, j) => s + x * v[j], 0));
const matMul = (a: Dense, b: Dense) => a.map((row) => b[0].map((_, j) => row.reduce((s, x, t) => s + x * b[t][j], 0)));

/** The conditional mixture by the textbook formulas, with explicit inverses. */
function naiveCondition(gmm: GaussianMixture, given: number[], values: number[]) {
  const d = gmm.nFeatures;
  const rest = Array.from({ length: d }, (_, j) => j).filter((j) => !given.includes(j));
  const logJoint: number[] = [];
  const means: number[][] = [];
  const covariances: Dense[] = [];
  gmm.weights.forEach((w, c) => {
    const s = denseCovariance(gmm, c);
    const mu = gmm.means[c];
    const { inv, logDet } = inverse(pick(s, given, given));
    const diff = given.map((f, i) => values[i] - mu[f]);
    const solved = matVec(inv, diff);
    const q = diff.reduce((t, v, i) => t + v * solved[i], 0);
    logJoint.push(Math.log(w) - 0.5 * (given.length * Math.log(2 * Math.PI) + logDet + q));
    const gain = matMul(pick(s, rest, given), inv);
    means.push(rest.map((f, i) => mu[f] + gain[i].reduce((t, g, j) => t + g * diff[j], 0)));
    const correction = matMul(gain, pick(s, given, rest));
    covariances.push(pick(s, rest, rest).map((row, i) => row.map((v, j) => v - correction[i][j])));
  });
  const top = Math.max(...logJoint);
  const total = logJoint.reduce((t, v) => t + Math.exp(v - top), 0);
  const weights = logJoint.map((v) => Math.exp(v - top) / total);
  return { rest, weights, means, covariances, logDensity: top + Math.log(total) };
}

/** A conditional model's covariances as dense matrices per component. */
function denseAll(gmm: GaussianMixture): Dense[] {
  return gmm.weights.map((_, c) => denseCovariance(gmm, c));
}

function fitted(type: CovarianceType, options: Record<string, unknown> = {}): GaussianMixture {
  return new GaussianMixture({ nComponents: 3, covarianceType: type, randomState: 0, ...options }).fit(iris);
}

// ---- numpy / scipy fixtures ----------------------------------------------

describe("against numpy/scipy (test/fixtures/conditional.json)", () => {
  it("records its provenance", () => {
    expect(fixture.provenance.script).toBe("test/fixtures/make_conditional.py");
    expect(fixture.provenance.numpy).toMatch(/^\d/);
    expect(fixture.provenance.scipy).toMatch(/^\d/);
  });

  for (const type of TYPES) {
    const f = fixture.types[type];
    const gmm = GaussianMixture.fromJSON(f.model);

    it(`marginal(features) slices ${type} means and covariances exactly, in the order given`, () => {
      for (const m of f.marginals) {
        const marginal = gmm.marginal(m.features);
        expect(marginal.covarianceType).toBe(type);
        expect(marginal.weights).toEqual(gmm.weights);
        expect(marginal.means).toEqual(m.means);
        expect(marginal.covariances).toEqual(m.covariances);
      }
    });

    it(`condition(features, values) matches numpy's weights, means and Schur complements to 1e-10 (${type}, stays ${type})`, () => {
      const worst = { weights: 0, means: 0, covariances: 0, logDensity: 0, components: 0 };
      for (const c of f.conditions) {
        const conditional = gmm.condition(c.features, c.values);
        expect(conditional.covarianceType).toBe(type);
        expect(conditional.nFeatures).toBe(c.rest.length);
        const errors = {
          weights: maxRelativeError(conditional.weights, c.weights),
          means: maxRelativeError(conditional.means, c.means),
          covariances: Math.max(
            maxRelativeError(conditional.covariances, c.covariances),
            maxRelativeError(denseAll(conditional), c.covariances_dense, 1e-300),
          ),
          logDensity: maxRelativeError([gmm.marginal(c.features).scoreSamples([c.values])[0]], [c.log_density]),
          components: componentLogDensityError(gmm, c),
        };
        for (const key of Object.keys(worst) as (keyof typeof worst)[]) worst[key] = Math.max(worst[key], errors[key]);
      }
      console.log(`${type}: largest relative differences from numpy/scipy: ${JSON.stringify(worst)}`);
      for (const v of Object.values(worst)) expect(v).toBeLessThan(1e-10);
    });

    it(`predictConditional(features, X) matches the fixture's GMM regression to 1e-10 (${type})`, () => {
      const { features, X, predictions } = f.regression;
      const out = gmm.predictConditional(features, X);
      expect([out.rows, out.cols]).toEqual([X.length, gmm.nFeatures - features.length]);
      const err = maxRelativeError(Array.from(out.data), predictions.flat());
      console.log(`${type}: predictConditional largest relative difference ${err.toExponential(2)}`);
      expect(err).toBeLessThan(1e-10);
    });
  }
});

/** Each component's log-density of the given values, via one-component models built from the marginal. */
function componentLogDensityError(gmm: GaussianMixture, c: FixtureCondition): number {
  const m = gmm.marginal(c.features);
  const cov = m.covariances as never;
  let worst = 0;
  m.weights.forEach((_, k) => {
    const single = GaussianMixture.fromJSON({
      covariance_type: m.covarianceType,
      weights_: [1],
      means_: [m.means[k]],
      covariances_: m.covarianceType === "tied" ? cov : [cov[k]],
    });
    worst = Math.max(worst, maxRelativeError([single.scoreSamples([c.values])[0]], [c.component_logpdf[k]]));
  });
  return worst;
}

// ---- the naive reference on fitted models ---------------------------------

describe("against a naive dense reference (explicit inverses), on iris fits", () => {
  const cases: [number[], number[]][] = [
    [
      [2, 0],
      [4.5, 6.0],
    ],
    [[3], [1.8]],
    [
      [1, 2, 3],
      [3.0, 5.1, 1.6],
    ],
    [[0], [7.9]],
  ];
  for (const type of TYPES) {
    it(`condition agrees with the textbook formulas (${type})`, () => {
      const gmm = fitted(type);
      for (const [given, values] of cases) {
        const ours = gmm.condition(given, values);
        const ref = naiveCondition(gmm, given, values);
        expect(maxRelativeError(ours.weights, ref.weights)).toBeLessThan(1e-9);
        expect(maxRelativeError(ours.means, ref.means)).toBeLessThan(1e-10);
        expect(maxRelativeError(denseAll(ours), ref.covariances, 1e-12)).toBeLessThan(1e-9);
        expect(maxRelativeError([gmm.marginal(given).scoreSamples([values])[0]], [ref.logDensity])).toBeLessThan(1e-12);
      }
    });

    it(`predictConditional equals Σ_k w_k(x) μ_k|x computed directly (${type})`, () => {
      const gmm = fitted(type);
      const given = [2, 3];
      const X = iris
        .slice(0, 150)
        .filter((_, i) => i % 10 === 0)
        .map((row) => given.map((f) => row[f]));
      const out = gmm.predictConditional(given, X);
      X.forEach((row, i) => {
        const ref = naiveCondition(gmm, given, row);
        const expected = ref.rest.map((_, j) => ref.weights.reduce((s, w, k) => s + w * ref.means[k][j], 0));
        expect(maxRelativeError(Array.from(out.data.subarray(i * 2, i * 2 + 2)), expected)).toBeLessThan(1e-9);
        // and the conditional model's own weights and means give the same numbers
        const conditional = gmm.condition(given, row);
        const direct = [0, 1].map((j) => conditional.weights.reduce((s, w, k) => s + w * conditional.means[k][j], 0));
        expect(maxRelativeError(Array.from(out.data.subarray(i * 2, i * 2 + 2)), direct)).toBeLessThan(1e-14);
      });
    });
  }
});

// ---- identities -----------------------------------------------------------

describe("identities", () => {
  it("marginal over all features in a permuted order is the permuted full model", () => {
    const gmm = fitted("full");
    const order = [2, 0, 3, 1];
    const permuted = gmm.marginal(order);
    expect(permuted.weights).toEqual(gmm.weights);
    expect(permuted.means).toEqual(gmm.means.map((m) => order.map((f) => m[f])));
    expect(permuted.covariances).toEqual((gmm.covariances as Dense[]).map((s) => pick(s, order, order)));
    const X = iris.map((row) => order.map((f) => row[f]));
    expect(maxRelativeError(Array.from(permuted.scoreSamples(X)), Array.from(gmm.scoreSamples(iris)))).toBeLessThan(
      1e-12,
    );
    expect(Array.from(permuted.predict(X))).toEqual(Array.from(gmm.predict(iris)));
  });

  for (const type of TYPES) {
    it(`marginal keeps the covariance type and its scores equal the sliced density (${type})`, () => {
      const gmm = fitted(type);
      const m = gmm.marginal([3, 1]);
      expect(m.covarianceType).toBe(type);
      const X = iris.map((row) => [row[3], row[1]]);
      const ref = X.map((x) => naiveCondition(gmm, [3, 1], x).logDensity);
      expect(maxRelativeError(Array.from(m.scoreSamples(X)), ref)).toBeLessThan(1e-12);
    });

    it(`conditioning in two steps equals conditioning at once, in any order of the features (${type})`, () => {
      const gmm = fitted(type);
      const once = gmm.condition([0, 3], [6.1, 1.7]);
      const swapped = gmm.condition([3, 0], [1.7, 6.1]);
      // after conditioning on feature 0 the columns are 1, 2, 3: feature 3 is column 2
      const twice = gmm.condition([0], [6.1]).condition([2], [1.7]);
      for (const other of [swapped, twice]) {
        expect(other.covarianceType).toBe(type);
        expect(maxRelativeError(other.weights, once.weights)).toBeLessThan(1e-10);
        expect(maxRelativeError(other.means, once.means)).toBeLessThan(1e-12);
        expect(maxRelativeError(other.covariances, once.covariances)).toBeLessThan(1e-12);
      }
    });

    it(`condition then marginal equals marginal then condition (${type})`, () => {
      const gmm = fitted(type);
      // rest of [3, 0] is [1, 2]; keep feature 2 (column 1)
      const a = gmm.condition([3, 0], [1.2, 5.8]).marginal([1]);
      const b = gmm.marginal([3, 0, 2]).condition([0, 1], [1.2, 5.8]);
      expect(maxRelativeError(a.weights, b.weights)).toBeLessThan(1e-12);
      expect(maxRelativeError(a.means, b.means)).toBeLessThan(1e-12);
      expect(maxRelativeError(a.covariances, b.covariances)).toBeLessThan(1e-12);
    });
  }

  for (const type of ["diag", "spherical"] as const) {
    it(`${type}: the conditional is the marginal of the other features with re-weighted weights`, () => {
      const gmm = fitted(type);
      const conditional = gmm.condition([1, 3], [3.1, 0.4]);
      const marginal = gmm.marginal([0, 2]);
      expect(conditional.covarianceType).toBe(type);
      expect(conditional.means).toEqual(marginal.means);
      expect(conditional.covariances).toEqual(marginal.covariances);
      expect(conditional.weights).not.toEqual(gmm.weights);
    });
  }

  it("tied: the conditional covariance is shared, and stays tied", () => {
    const gmm = fitted("tied");
    const conditional = gmm.condition([2], [5.0]);
    expect(conditional.covarianceType).toBe("tied");
    expect((conditional.covariances as Dense).length).toBe(3);
  });

  it("a float32 model conditions exactly as its float64 twin (weights are computed in float64)", () => {
    const json = fitted("full").toJSON();
    const f64 = GaussianMixture.fromJSON(json);
    const f32 = GaussianMixture.fromJSON({ ...json, params: { ...json.params, dtype: "float32" } });
    const a = f64.condition([1], [3.3]);
    const b = f32.condition([1], [3.3]);
    expect(b.dtype).toBe("float32");
    expect(b.weights).toEqual(a.weights);
    expect(b.means).toEqual(a.means);
    expect(Array.from(f32.predictConditional([1], [[3.3], [2.5]]).data)).toEqual(
      Array.from(f64.predictConditional([1], [[3.3], [2.5]]).data),
    );
  });

  it("results are ordinary models: feature names follow the columns, JSON round-trips, options carry over", () => {
    const gmm = new GaussianMixture({ nComponents: 2, randomState: 4, regCovar: 1e-5 }).fit(iris, {
      featureNames: ["sl", "sw", "pl", "pw"],
    });
    const m = gmm.marginal([3, 0]);
    expect(m.featureNames).toEqual(["pw", "sl"]);
    expect(m.regCovar).toBe(1e-5);
    expect(m.randomState).toBe(4);
    const c = gmm.condition([1], [3.0]);
    expect(c.featureNames).toEqual(["sl", "pl", "pw"]);
    const again = GaussianMixture.fromJSON(JSON.parse(JSON.stringify(c)));
    expect(again.means).toEqual(c.means);
    expect(Array.from(again.scoreSamples([[5.8, 4.0, 1.2]]))).toEqual(Array.from(c.scoreSamples([[5.8, 4.0, 1.2]])));
  });
});

// ---- sampling -------------------------------------------------------------

describe("sampleConditional", () => {
  for (const type of TYPES) {
    it(`draws whole rows with the given features fixed, and moments within 5 standard errors of the conditional model's (${type})`, () => {
      const gmm = fitted(type);
      const given = [2, 0];
      const values = [4.8, 6.1];
      const n = 40_000;
      const { X, labels } = gmm.sampleConditional(given, values, n, { randomState: 3 });
      expect([X.rows, X.cols, labels.length]).toEqual([n, 4, n]);
      let notFixed = 0;
      let unordered = 0;
      for (let i = 0; i < n; i++) {
        if (X.data[i * 4 + 2] !== 4.8 || X.data[i * 4 + 0] !== 6.1) notFixed++;
        if (i > 0 && labels[i] < labels[i - 1]) unordered++;
      }
      expect(notFixed).toBe(0);
      expect(unordered).toBe(0);
      // the conditional mixture's mean and covariance over the other features (1, 3)
      const cond = gmm.condition(given, values);
      const covs = denseAll(cond);
      const mean = [0, 1].map((j) => cond.weights.reduce((s, w, k) => s + w * cond.means[k][j], 0));
      const cov = [0, 1].map((a) =>
        [0, 1].map(
          (b) =>
            cond.weights.reduce((s, w, k) => s + w * (covs[k][a][b] + cond.means[k][a] * cond.means[k][b]), 0) -
            mean[a] * mean[b],
        ),
      );
      const cols = [1, 3];
      const m = cols.map((f) => {
        let s = 0;
        for (let i = 0; i < n; i++) s += X.data[i * 4 + f];
        return s / n;
      });
      cols.forEach((_, a) => expect(Math.abs(m[a] - mean[a])).toBeLessThan(5 * Math.sqrt(cov[a][a] / n)));
      for (let a = 0; a < 2; a++) {
        for (let b = 0; b <= a; b++) {
          // the standard error of a covariance entry from the products' own spread (the mixture is not Gaussian)
          let s = 0;
          let s2 = 0;
          for (let i = 0; i < n; i++) {
            const p = (X.data[i * 4 + cols[a]] - m[a]) * (X.data[i * 4 + cols[b]] - m[b]);
            s += p;
            s2 += p * p;
          }
          const empirical = s / n;
          const se = Math.sqrt((s2 / n - empirical * empirical) / n);
          expect(Math.abs(empirical - cov[a][b])).toBeLessThan(5 * se);
        }
      }
      // labels follow the conditional weights
      cond.weights.forEach((w, k) => {
        const count = labels.filter((l) => l === k).length;
        expect(Math.abs(count / n - w)).toBeLessThanOrEqual(5 * Math.sqrt((w * (1 - w)) / n) + 1e-12);
      });
    });
  }

  it("is reproducible with a seed, defaults to the model's randomState, and equals condition(...).sample for the drawn columns", () => {
    const gmm = fitted("full");
    const a = gmm.sampleConditional([1], [3.0], 50, { randomState: 9 });
    const b = gmm.sampleConditional([1], [3.0], 50, { randomState: 9 });
    expect(Array.from(a.X.data)).toEqual(Array.from(b.X.data));
    const drawn = gmm.condition([1], [3.0]).sample(50, { randomState: 9 });
    for (let i = 0; i < 50; i++) {
      expect([a.X.data[i * 4], a.X.data[i * 4 + 2], a.X.data[i * 4 + 3]]).toEqual(
        Array.from(drawn.X.data.subarray(i * 3, i * 3 + 3)),
      );
    }
    const seeded = gmm.sampleConditional([1], [3.0], 50);
    expect(Array.from(seeded.X.data)).toEqual(
      Array.from(gmm.sampleConditional([1], [3.0], 50, { randomState: 0 }).X.data),
    );
  });
});

// ---- bad input ------------------------------------------------------------

describe("bad input gets a clear error and changes nothing", () => {
  const gmm = fitted("full");
  const before = JSON.stringify(gmm);
  const cases: [string, () => unknown, ErrorConstructor, RegExp][] = [
    ["an index out of range", () => gmm.marginal([0, 4]), RangeError, /features\[1\] is 4, outside 0 … 3/],
    ["a negative index", () => gmm.condition([-1], [1]), RangeError, /features\[0\] is -1/],
    [
      "a non-integer index",
      () => gmm.marginal([1.5]),
      TypeError,
      /features\[0\] is 1\.5; feature indices are integers/,
    ],
    ["a string index", () => gmm.condition(["0"] as never, [1]), TypeError, /features\[0\] is "0"/],
    ["NaN as an index", () => gmm.predictConditional([NaN], [[1]]), TypeError, /features\[0\] is NaN/],
    [
      "a repeated index",
      () => gmm.condition([2, 0, 2], [1, 2, 3]),
      RangeError,
      /features\[2\] repeats feature 2 \(already features\[0\]\)/,
    ],
    [
      "too many indices",
      () => gmm.marginal([0, 1, 2, 3, 0]),
      RangeError,
      /features has 5 entries but the model has 4 features/,
    ],
    ["features not an array", () => gmm.marginal(2 as never), TypeError, /features must be an array/],
    ["an empty list for marginal", () => gmm.marginal([]), RangeError, /features is empty/],
    ["an empty list for condition", () => gmm.condition([], []), RangeError, /features is empty/],
    [
      "all features given",
      () => gmm.condition([3, 1, 0, 2], [1, 1, 1, 1]),
      RangeError,
      /features lists all 4 features: nothing is left/,
    ],
    [
      "all features given to predictConditional",
      () => gmm.predictConditional([0, 1, 2, 3], [[1, 1, 1, 1]]),
      RangeError,
      /nothing is left/,
    ],
    [
      "values of the wrong length",
      () => gmm.condition([0, 1], [5]),
      RangeError,
      /values has 1 entries but features lists 2/,
    ],
    ["values not an array", () => gmm.condition([0], 5 as never), TypeError, /values must be an array/],
    ["a NaN value", () => gmm.condition([0], [NaN]), RangeError, /values\[0\] is NaN; condition on finite values only/],
    ["an infinite value", () => gmm.sampleConditional([0, 1], [1, Infinity], 5), RangeError, /values\[1\] is Infinity/],
    ["a string value", () => gmm.condition([0], ["1"] as never), TypeError, /values\[0\] is "1"; expected a number/],
    [
      "X with the wrong columns",
      () => gmm.predictConditional([0], [[1, 2]]),
      RangeError,
      /X has 2 columns but features lists 1/,
    ],
    ["a NaN in X", () => gmm.predictConditional([0], [[NaN]]), RangeError, /X\[0\]\[0\] is NaN/],
    ["n not a positive integer", () => gmm.sampleConditional([0], [5], 0), RangeError, /n must be an integer ≥ 1/],
    ["a bad seed", () => gmm.sampleConditional([0], [5], 3, { randomState: -1 }), RangeError, /randomState/],
    [
      "an unknown option",
      () => gmm.sampleConditional([0], [5], 3, { seed: 1 } as never),
      RangeError,
      /Unknown sampleConditional option "seed"/,
    ],
  ];
  for (const [what, call, type, message] of cases) {
    it(`${what}`, () => {
      expect(call).toThrow(type);
      expect(call).toThrow(message);
      expect(JSON.stringify(gmm)).toBe(before);
    });
  }

  it("an unfitted model", () => {
    const g = new GaussianMixture({ nComponents: 2 });
    for (const call of [
      () => g.marginal([0]),
      () => g.condition([0], [1]),
      () => g.predictConditional([0], [[1]]),
      () => g.sampleConditional([0], [1], 2),
    ]) {
      expect(call).toThrow(/not fitted yet/);
    }
    expect(g.isFitted).toBe(false);
  });

  it("values so extreme that the conditional means leave the range a model holds", () => {
    expect(() => gmm.condition([0], [1e300])).toThrow(/conditional mean of .* beyond the ±1e\+100/);
  });
});
