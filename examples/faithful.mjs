// The main job in one command (`npm start`): fit Gaussian mixtures to the Old
// Faithful eruptions for K = 1…6 and every covariance type, print the BIC
// table, describe the model BIC picks, and draw it to faithful.svg (the
// eruptions coloured by component with 1σ and 2σ ellipses, beside BIC
// against K for each covariance type).
// Usage: node examples/faithful.mjs [output.svg]
import { readFileSync, writeFileSync } from "node:fs";
import { init, selectModel } from "../dist/index.js";
import { components2D, criterionSeries, lineChartPanel, renderSvg, scatterPanel } from "../dist/svg.js";

await init();
const text = readFileSync(new URL("../data/faithful.csv", import.meta.url), "utf8").trim();
const X = text
  .split("\n")
  .slice(1)
  .map((line) => line.split(",").map(Number));

const types = ["full", "tied", "diag", "spherical"];
const {
  best: g,
  bestRow,
  table,
} = selectModel(X, { nComponents: 6, covarianceTypes: types, criterion: "bic", nInit: 5, randomState: 0 });

const rows = [];
for (let k = 1; k <= 6; k++) {
  const row = { K: k };
  for (const t of types) {
    const r = table.find((x) => x.nComponents === k && x.covarianceType === t);
    row[t] = r.error ? "failed" : `${r.bic.toFixed(1)}${r.degenerate ? " (degenerate)" : ""}`;
  }
  rows.push(row);
}
console.log(`Old Faithful: ${X.length} eruptions × 2 features (eruption minutes, waiting minutes)`);
console.log("BIC (scikit-learn's sign: lower is better; mclust reports the negative)");
console.table(rows);
console.log(
  `Chosen: ${g.nComponents} components, covariance "${g.covarianceType}", BIC ${bestRow.bic.toFixed(2)}, log-likelihood ${bestRow.logLikelihood.toFixed(2)}`,
);
g.weights.forEach((w, c) => {
  console.log(`  component ${c}: weight ${w.toFixed(3)}, mean [${g.means[c].map((m) => m.toFixed(3)).join(", ")}]`);
});

const out = process.argv[2] ?? "faithful.svg";
const svg = renderSvg([
  scatterPanel({
    points: X,
    labels: g.predict(X),
    components: components2D(g),
    xLabel: "eruption time (minutes)",
    yLabel: "waiting time to next eruption (minutes)",
    title: `Old Faithful: ${g.nComponents} components, ${g.covarianceType} covariance`,
  }),
  lineChartPanel({
    series: criterionSeries(
      table.map((r) => ({ covarianceType: r.covarianceType, nComponents: r.nComponents, value: r.bic })),
    ),
    highlight: { series: g.covarianceType, x: g.nComponents },
    yLabel: "BIC (lower is better)",
    title: "BIC by number of components",
  }),
]);
writeFileSync(out, svg);
console.log(`Wrote ${out}: the eruptions coloured by component with 1σ and 2σ ellipses, and BIC against K.`);
