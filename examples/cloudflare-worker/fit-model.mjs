// Fits the model the worker serves and writes src/model.json: Old Faithful
// (data/faithful.csv), three components with one shared ("tied")
// covariance, the lowest-BIC model in `npm start`'s table. Run from the
// repository root after `npm run build`: node examples/cloudflare-worker/fit-model.mjs
import { readFileSync, writeFileSync } from "node:fs";
import { GaussianMixture, init } from "gmm-wasm";

await init();
const text = readFileSync(new URL("../../data/faithful.csv", import.meta.url), "utf8").trim();
const X = text
  .split("\n")
  .slice(1)
  .map((line) => line.split(",").map(Number));
const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "tied", nInit: 5, randomState: 0 }).fit(X);
writeFileSync(new URL("./src/model.json", import.meta.url), JSON.stringify(gmm, null, 2) + "\n");
console.log(`src/model.json: ${gmm.nComponents} components (${gmm.covarianceType}), BIC ${gmm.bic(X).toFixed(2)}`);
