// The anomaly-detection example (examples/cloudflare-worker, POST /anomaly),
// in Node against the built package: the labels file is scikit-learn's, the
// committed model bundle is exactly what fit-anomaly.mjs fits, and the
// detection quality on the held-out rows (ROC AUC, precision and recall at
// the thresholds) is measured here and must be the table the README shows.
// The same route in workerd is tested in test/runtimes/workerd.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { anomalyReport } from "../examples/cloudflare-worker/anomaly-report.mjs";
import { fitAnomalyModel, loadBreastCancer } from "../examples/cloudflare-worker/fit-anomaly.mjs";
import { detectionQuality, scoreAnomalies, standardise } from "../examples/cloudflare-worker/src/anomaly.js";
import { ROOT, requireBuild } from "./runtimes/helpers.js";

const bundle = JSON.parse(readFileSync(join(ROOT, "examples/cloudflare-worker/src/anomaly-model.json"), "utf8"));
let lib: typeof import("gmm-wasm");

beforeAll(async () => {
  requireBuild();
  lib = await import("gmm-wasm");
  await lib.init();
});

describe("breast-cancer labels", () => {
  const labels = readFileSync(join(ROOT, "data/breast_cancer_labels.csv"), "utf8").trim().split("\n");

  it("one label per row of data/breast_cancer.csv: 212 malignant (0), 357 benign (1)", () => {
    const rows = readFileSync(join(ROOT, "data/breast_cancer.csv"), "utf8").trim().split("\n");
    expect(labels[0]).toBe("target");
    expect(labels.length).toBe(rows.length);
    const values = labels.slice(1);
    expect(values.filter((v) => v === "0").length).toBe(212);
    expect(values.filter((v) => v === "1").length).toBe(357);
  });
});

describe("anomaly model", () => {
  it("the split: 238 benign rows fitted, 119 held out (every third benign row), 212 malignant never fitted", () => {
    const { train, heldOut, malignant } = loadBreastCancer();
    expect([train.length, heldOut.length, malignant.length]).toEqual([238, 119, 212]);
    const fitted = new Set(train.map((r: { index: number }) => r.index));
    expect(heldOut.some((r: { index: number }) => fitted.has(r.index))).toBe(false);
    expect(malignant.some((r: { index: number }) => fitted.has(r.index))).toBe(false);
    expect(bundle.data).toMatchObject({ trainingRows: 238, heldOutBenignRows: 119, malignantRows: 212 });
  });

  it("the committed src/anomaly-model.json is exactly what fit-anomaly.mjs fits", () => {
    expect(JSON.parse(JSON.stringify(fitAnomalyModel()))).toEqual(bundle);
  });

  it("the model is BIC's choice, not collapsed, and the threshold is the 5 % quantile of the training rows' log-densities", () => {
    const gmm = lib.GaussianMixture.fromJSON(bundle.model);
    const { nComponents, covarianceType } = bundle.selection.chosen;
    expect([gmm.nComponents, gmm.covarianceType]).toEqual([nComponents, covarianceType]);
    const usable = bundle.selection.table.filter((r: { degenerate: boolean }) => !r.degenerate);
    expect(Math.min(...usable.map((r: { bic: number }) => r.bic))).toBe(bundle.selection.chosen.bic);
    expect(gmm.isDegenerate).toBe(false);
    const Z = standardise(
      loadBreastCancer().train.map((r: { row: number[] }) => r.row),
      bundle.scaler,
    );
    expect(bundle.contamination).toBe(0.05);
    expect(gmm.anomalyThreshold(Z, { contamination: 0.05 })).toBe(bundle.threshold);
    const flagged = gmm.isAnomaly(Z, bundle.threshold).filter(Boolean).length;
    // the quantile sits at 0.05 · 237 = 11.85 in the sorted log-densities: the 12 below it are flagged
    expect(flagged).toBe(12);
  });

  it("scoreAnomalies standardises with the bundle's scaler and flags as isAnomaly does", () => {
    const gmm = lib.GaussianMixture.fromJSON(bundle.model);
    const { heldOut, malignant } = loadBreastCancer();
    const rows = [...heldOut, ...malignant].map((r) => r.row);
    const scored = scoreAnomalies(gmm, bundle, rows);
    const Z = rows.map((row) =>
      row.map((v: number, j: number) => (v - bundle.scaler.mean[j]) / bundle.scaler.scale[j]),
    );
    expect(scored.logDensity).toEqual(Array.from(gmm.scoreSamples(Z)));
    expect(scored.anomaly).toEqual(gmm.isAnomaly(Z, bundle.threshold));
    expect(scored.threshold).toBe(bundle.threshold);
  });

  it("standardise passes what it cannot standardise through for the library to report", () => {
    const scaler = { mean: [1, 2], scale: [2, 4] };
    expect(standardise([[3, 6]], scaler)).toEqual([[1, 1]]);
    expect(standardise("x", scaler)).toBe("x");
    expect(standardise([[1], "r", [1, "2"]], scaler)).toEqual([[1], "r", [0, "2"]]);
    expect(standardise([[Infinity, NaN]], scaler)).toEqual([[Infinity, NaN]]);
    expect(() => standardise([[1, 1e308]], { mean: [0, 0], scale: [1, 1e-3] })).toThrow(
      /rows\[0\]\[1\] = 1e\+308 is too large/,
    );
  });

  it("detectionQuality: AUC by pairs (ties half), precision and recall at a threshold", () => {
    const q = detectionQuality([0, 1, 2], [1, 3], 1.5);
    expect(q.auc).toBeCloseTo((1.5 + 3) / 6, 15);
    expect(q).toMatchObject({
      truePositives: 1,
      falsePositives: 1,
      precision: 0.5,
      recall: 0.5,
      falsePositiveRate: 1 / 3,
    });
  });
});

describe("detection quality on the held-out rows", () => {
  let report: ReturnType<typeof anomalyReport>;

  beforeAll(() => {
    const gmm = lib.GaussianMixture.fromJSON(bundle.model);
    const { heldOut, malignant } = loadBreastCancer();
    const ld = (rows: { row: number[] }[]) =>
      scoreAnomalies(
        gmm,
        bundle,
        rows.map((r) => r.row),
      ).logDensity;
    report = anomalyReport(lib, bundle, ld(heldOut), ld(malignant));
  });

  it("ROC AUC of −log-density, malignant against held-out benign, is above 0.95", () => {
    expect(report.auc).toBeGreaterThan(0.95);
  });

  it("at the served threshold (5 %): recall above 85 %, false positive rate on held-out benign rows below 15 %", () => {
    const served = report.rows.find((r: { served: boolean }) => r.served)!;
    expect(served.contamination).toBe(0.05);
    expect(served.threshold).toBe(bundle.threshold);
    expect(served.recall).toBeGreaterThan(0.85);
    expect(served.falsePositiveRate).toBeLessThan(0.15);
  });

  it("a larger contamination flags more rows of both kinds", () => {
    for (let i = 1; i < report.rows.length; i++) {
      expect(report.rows[i].threshold).toBeGreaterThan(report.rows[i - 1].threshold);
      expect(report.rows[i].truePositives).toBeGreaterThanOrEqual(report.rows[i - 1].truePositives);
      expect(report.rows[i].falsePositives).toBeGreaterThanOrEqual(report.rows[i - 1].falsePositives);
    }
  });

  it("the README shows this table, as measured", () => {
    const readme = readFileSync(join(ROOT, "README.md"), "utf8");
    expect(readme.includes(report.markdown), `README.md should contain the measured table:\n${report.markdown}`).toBe(
      true,
    );
  });
});
