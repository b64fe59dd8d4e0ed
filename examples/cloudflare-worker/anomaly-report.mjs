// The detection-quality table of the anomaly model, from log-densities of the
// held-out benign rows and the malignant rows (however they were computed:
// by the worker in anomaly-demo.mjs, by the library in Node in the test).
// The thresholds for other contaminations than the served one are the
// corresponding quantiles of the training rows' log-densities, as the
// served threshold is.
import { loadBreastCancer } from "./fit-anomaly.mjs";
import { detectionQuality, standardise } from "./src/anomaly.js";

export const CONTAMINATIONS = [0.01, 0.02, 0.05, 0.1];

const pct = (v) => `${(100 * v).toFixed(1)} %`;
const minus = (v) => v.toFixed(2).replace("-", "−");

/**
 * @param lib the gmm-wasm module (initialised)
 * @param bundle the parsed anomaly-model.json
 * @param {number[]} heldOut log-densities of the held-out benign rows
 * @param {number[]} malignant log-densities of the malignant rows
 */
export function anomalyReport(lib, bundle, heldOut, malignant) {
  const gmm = lib.GaussianMixture.fromJSON(bundle.model);
  const Z = standardise(
    loadBreastCancer().train.map((r) => r.row),
    bundle.scaler,
  );
  const benignScores = heldOut.map((v) => -v);
  const malignantScores = malignant.map((v) => -v);
  const rows = CONTAMINATIONS.map((contamination) => {
    const threshold = gmm.anomalyThreshold(Z, { contamination });
    return {
      contamination,
      threshold,
      served: contamination === bundle.contamination,
      ...detectionQuality(benignScores, malignantScores, -threshold),
    };
  });
  const { auc } = detectionQuality(benignScores, malignantScores, Infinity);
  const median = (values) => {
    const sorted = Float64Array.from(values).sort();
    const m = sorted.length >> 1;
    return sorted.length % 2 ? sorted[m] : (sorted[m - 1] + sorted[m]) / 2;
  };
  const medians = { training: median(gmm.scoreSamples(Z)), heldOut: median(heldOut), malignant: median(malignant) };
  const { nComponents, covarianceType } = bundle.selection.chosen;
  const lines = [
    `ROC AUC of −log-density, ${malignant.length} malignant against ${heldOut.length} held-out benign rows: **${auc.toFixed(3)}** (model: ${covarianceType}, K = ${nComponents}, on ${bundle.data.trainingRows} benign rows).`,
    "",
    "| contamination | threshold (log-density) | malignant flagged (recall) | held-out benign flagged (false positive rate) | precision |",
    "|---|---:|---:|---:|---:|",
    ...rows.map(
      (r) =>
        `| ${+(100 * r.contamination).toFixed(4)} %${r.served ? " (served)" : ""} | ${minus(r.threshold)} | ${r.truePositives} / ${malignant.length} (${pct(r.recall)}) | ${r.falsePositives} / ${heldOut.length} (${pct(r.falsePositiveRate)}) | ${pct(r.precision)} |`,
    ),
  ];
  lines.push(
    "",
    `Median log-density: training rows ${minus(medians.training)}, held-out benign rows ${minus(medians.heldOut)}, malignant rows ${minus(medians.malignant)}.`,
  );
  return { auc, rows, medians, markdown: lines.join("\n") };
}
