// Anomaly scoring with the bundled breast-cancer model (anomaly-model.json,
// written by ../fit-anomaly.mjs): rows of the 30 raw features are
// standardised with the bundle's scaler, scored by the mixture, and flagged
// when their log-density is below the bundle's threshold. Plain ES module,
// no imports: the worker, the fitting script, the demo and the tests share it.

/**
 * Standardises rows with the scaler ((x − mean) / scale per column). Values
 * that are not numbers, and rows that are not arrays of the model's width,
 * are passed through unchanged, so that the library's own checks report them
 * (naming the row and column) when the rows are scored. Throws a RangeError
 * for a finite value whose standardised value overflows.
 */
export function standardise(rows, { mean, scale }) {
  if (!Array.isArray(rows)) return rows;
  return rows.map((row, i) => {
    if (!Array.isArray(row) || row.length !== mean.length) return row;
    return row.map((v, j) => {
      if (typeof v !== "number") return v;
      const z = (v - mean[j]) / scale[j];
      if (Number.isFinite(v) && !Number.isFinite(z))
        throw new RangeError(`rows[${i}][${j}] = ${v} is too large: standardised it overflows`);
      return z;
    });
  });
}

/**
 * Scores raw rows: each row's log-density under the model (of the
 * standardised features), whether it is below the threshold, and the
 * threshold. `gmm` is the bundle's model loaded with GaussianMixture.fromJSON.
 */
export function scoreAnomalies(gmm, bundle, rows) {
  const logDensity = gmm.scoreSamples(standardise(rows, bundle.scaler));
  return {
    logDensity: Array.from(logDensity),
    // Below the threshold, as gmm.isAnomaly (a log-density of −∞ included).
    anomaly: Array.from(logDensity, (v) => v < bundle.threshold),
    threshold: bundle.threshold,
  };
}

/**
 * Detection quality of anomaly scores (higher = more anomalous, here
 * −log-density) of malignant rows (positives) against benign rows
 * (negatives): the ROC AUC (the Mann–Whitney statistic, ties counted half),
 * and at a score threshold the precision, recall (true positive rate) and
 * false positive rate.
 */
export function detectionQuality(benignScores, malignantScores, threshold) {
  let wins = 0;
  for (const p of malignantScores) for (const n of benignScores) wins += p > n ? 1 : p === n ? 0.5 : 0;
  const auc = wins / (malignantScores.length * benignScores.length);
  const tp = malignantScores.filter((s) => s > threshold).length;
  const fp = benignScores.filter((s) => s > threshold).length;
  return {
    auc,
    precision: tp + fp === 0 ? NaN : tp / (tp + fp),
    recall: tp / malignantScores.length,
    falsePositiveRate: fp / benignScores.length,
    truePositives: tp,
    falsePositives: fp,
  };
}
