// Fits the anomaly model the worker serves on POST /anomaly and writes
// src/anomaly-model.json. Data: the Breast Cancer Wisconsin (Diagnostic) rows
// of data/breast_cancer.csv (30 raw features) with their diagnosis from
// data/breast_cancer_labels.csv (scikit-learn's target: 0 = malignant,
// 1 = benign; see data/README.md).
//
// - Only benign rows are used for fitting. Every third benign row (the 3rd,
//   6th, … in file order) is held out for the detection test; the other 238
//   are the training rows. Malignant rows are never seen by the fit.
// - Features are standardised with the training rows' mean and population
//   standard deviation (their raw scales span 1e-3 … 1e3, variances 7e-6 …
//   3e5); the scaler is part of the bundle and the worker applies it.
// - The model is chosen by BIC on the training rows (selectModel over
//   K = 1…6 and the four covariance types, its default best-fit search,
//   collapsed fits skipped).
// - The threshold is the CONTAMINATION quantile of the training rows'
//   log-densities (anomalyThreshold).
// Run from the repository root after `npm run build`:
//   node examples/cloudflare-worker/fit-anomaly.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { init, selectModel } from "gmm-wasm";
import { standardise } from "./src/anomaly.js";

export const CONTAMINATION = 0.05;
const SEED = 0;
const root = new URL("../../", import.meta.url);

function readCsv(path) {
  const [header, ...lines] = readFileSync(new URL(path, root), "utf8").trim().split("\n");
  return { header: header.split(","), rows: lines.map((line) => line.split(",").map(Number)) };
}

/**
 * The data set split as the fit uses it: raw feature rows of the training
 * and held-out benign rows and of all malignant rows, with their row numbers
 * in data/breast_cancer.csv (0-based, header not counted).
 */
export function loadBreastCancer() {
  const { header: features, rows } = readCsv("data/breast_cancer.csv");
  const { rows: labels } = readCsv("data/breast_cancer_labels.csv");
  if (labels.length !== rows.length) throw new Error(`${labels.length} labels for ${rows.length} rows`);
  const split = { features, train: [], heldOut: [], malignant: [] };
  let benignSeen = 0;
  rows.forEach((row, index) => {
    const target = labels[index][0];
    if (target === 0) split.malignant.push({ index, row });
    else if (target === 1) (benignSeen++ % 3 === 2 ? split.heldOut : split.train).push({ index, row });
    else throw new Error(`label ${target} in row ${index}: expected 0 (malignant) or 1 (benign)`);
  });
  return split;
}

/** Column means and population standard deviations. */
function scalerOf(rows) {
  const d = rows[0].length;
  const mean = Array.from({ length: d }, (_, j) => rows.reduce((s, r) => s + r[j], 0) / rows.length);
  const scale = Array.from({ length: d }, (_, j) =>
    Math.sqrt(rows.reduce((s, r) => s + (r[j] - mean[j]) ** 2, 0) / rows.length),
  );
  return { mean, scale };
}

/** Fits the bundle (the library must be initialised). */
export function fitAnomalyModel() {
  const { features, train, heldOut, malignant } = loadBreastCancer();
  const X = train.map((r) => r.row);
  const scaler = scalerOf(X);
  const Z = standardise(X, scaler);
  const { best, bestRow, table } = selectModel(Z, {
    nComponents: [1, 2, 3, 4, 5, 6],
    criterion: "bic",
    randomState: SEED,
    featureNames: features,
  });
  return {
    description:
      "Gaussian mixture of benign Breast Cancer Wisconsin (Diagnostic) rows, for anomaly detection; written by examples/cloudflare-worker/fit-anomaly.mjs",
    data: {
      features: "data/breast_cancer.csv (30 raw features)",
      labels: "data/breast_cancer_labels.csv (0 = malignant, 1 = benign)",
      trainingRows: train.length,
      heldOutBenignRows: heldOut.length,
      malignantRows: malignant.length,
      split: "benign rows only; every third benign row in file order (benign index % 3 == 2) held out, the rest fitted",
    },
    scaler: {
      ...scaler,
      note: "z = (x - mean) / scale per feature (training rows' mean and population standard deviation); the model and the threshold are in z units",
    },
    selection: {
      criterion: "bic",
      chosen: { nComponents: bestRow.nComponents, covarianceType: bestRow.covarianceType, bic: bestRow.bic },
      table: table.map((r) => ({
        nComponents: r.nComponents,
        covarianceType: r.covarianceType,
        bic: r.bic,
        degenerate: r.degenerate,
      })),
    },
    contamination: CONTAMINATION,
    threshold: best.anomalyThreshold(Z, { contamination: CONTAMINATION }),
    model: best.toJSON(),
  };
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await init();
  const bundle = fitAnomalyModel();
  writeFileSync(new URL("./src/anomaly-model.json", import.meta.url), JSON.stringify(bundle, null, 2) + "\n");
  const { nComponents, covarianceType } = bundle.selection.chosen;
  console.log(
    `src/anomaly-model.json: ${nComponents} components (${covarianceType}) on ${bundle.data.trainingRows} benign rows, threshold ${bundle.threshold.toFixed(3)} (contamination ${CONTAMINATION})`,
  );
}
