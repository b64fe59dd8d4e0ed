// The `gmm-wasm` command, run as users run it: `node dist/cli.js …` in a
// temporary directory (npm test builds dist/ first).
import { execFile, spawn, spawnSync } from "node:child_process";
import {
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { blockSeed, main, ProgressBar, sampleBlocks, writeSamples } from "../src/cli.js";
import { parseTable, toCsv } from "../src/csv.js";
import { BayesianGaussianMixture, GaussianMixture, selectModel } from "../src/index.js";
import { datasets, expectClose } from "./helpers.js";
import { checkWellFormed } from "./well-formed.js";

const CLI = fileURLToPath(new URL("../dist/cli.js", import.meta.url));
const FAITHFUL = fileURLToPath(new URL("../data/faithful.csv", import.meta.url));
let dir: string;

function run(args: string[], input?: string) {
  const r = spawnSync(process.execPath, [CLI, ...args], { cwd: dir, input, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** As run, without blocking, so independent cases can run side by side. */
function runAsync(args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      { cwd: dir, encoding: "utf8", timeout: 30_000 },
      (error, stdout, stderr) => {
        resolve({ code: error ? (typeof error.code === "number" ? error.code : null) : 0, stdout, stderr });
      },
    );
  });
}

function csvRows(text: string): { header: string[] | undefined; rows: number[][] } {
  const t = parseTable(text);
  return {
    header: t.header,
    rows: Array.from({ length: t.rows }, (_, i) => Array.from(t.data.subarray(i * t.cols, (i + 1) * t.cols))),
  };
}

beforeAll(() => {
  expect(existsSync(CLI), "dist/cli.js is missing: run `npm run build` first").toBe(true);
  dir = mkdtempSync(join(tmpdir(), "gmm-cli-"));
  writeFileSync(join(dir, "faithful.csv"), readFileSync(FAITHFUL));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("gmm-wasm fit → predict → proba → score", () => {
  let model: GaussianMixture;

  beforeAll(() => {
    const r = run([
      "fit",
      "faithful.csv",
      "--components",
      "3",
      "--covariance",
      "full",
      "--seed",
      "0",
      "--out",
      "model.json",
    ]);
    expect(r.stderr).toMatch(
      /^fitted K=3 full: log-likelihood -\d+\.\d+, BIC \d+\.\d+, converged in \d+ iterations\n$/,
    );
    expect(r.code).toBe(0);
    model = GaussianMixture.fromJSON(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")));
  });

  // dist/gmm.wasm (the command's) and build/gmm.wasm (the tests') come from the
  // same build under `npm test`; a tolerance keeps the comparison meaningful
  // when the core is rebuilt between the two.
  it("fit writes the same model as the library with the same options and seed", () => {
    // the command searches (initParams "auto") unless --init says otherwise
    const g = new GaussianMixture({ nComponents: 3, covarianceType: "full", randomState: 0, initParams: "auto" }).fit(
      datasets.faithful,
    );
    expectClose(model.means, g.means, 1e-9);
    expectClose(model.weights, g.weights, 1e-9);
    expectClose(model.covariances, g.covariances, 1e-9);
    expect(model.lowerBound).toBeCloseTo(g.lowerBound, 9);
  });

  it("fit --init picks the start method: kmeans and hc give the library's fits with those starts", () => {
    for (const method of ["kmeans", "hc"] as const) {
      const r = run([
        "fit",
        "faithful.csv",
        "-k",
        "3",
        "--seed",
        "0",
        "--init",
        method,
        "--quiet",
        "--out",
        `model-${method}.json`,
      ]);
      expect(r.code).toBe(0);
      const saved = JSON.parse(readFileSync(join(dir, `model-${method}.json`), "utf8"));
      expect(saved.params.init_params).toBe(method);
      const g = new GaussianMixture({ nComponents: 3, randomState: 0, initParams: method }).fit(datasets.faithful);
      expectClose(saved.means_, g.means, 1e-9);
    }
    expect(run(["fit", "faithful.csv", "--init", "best"]).stderr).toMatch(/--init must be one of .*auto.*got "best"/);
  });

  it("GMM_WASM_STREAM_BYTES and GMM_WASM_CHUNK_ROWS that are not whole numbers ≥ 1 are refused by name", () => {
    if (!existsSync(join(dir, "model.json")))
      run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "model.json"]);
    const cases: [string, string, string[]][] = [
      ["GMM_WASM_STREAM_BYTES", "lots", ["fit", "faithful.csv", "-k", "2", "--quiet", "--out", "env.json"]],
      ["GMM_WASM_CHUNK_ROWS", "0", ["predict", "model.json", "faithful.csv"]],
      ["GMM_WASM_CHUNK_ROWS", "2.5", ["score", "model.json", "faithful.csv"]],
    ];
    for (const [name, value, args] of cases) {
      const r = spawnSync(process.execPath, [CLI, ...args], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, [name]: value },
      });
      expect(r.status, r.stderr).toBe(2);
      expect(r.stderr).toContain(`${name} is "${value}"; set it to a whole number ≥ 1, or unset it`);
      expect(r.stdout).toBe("");
    }
  });

  it("fit streams a file above GMM_WASM_STREAM_BYTES chunk by chunk, with the in-memory fit's result", () => {
    const args = ["fit", "faithful.csv", "-k", "2", "--seed", "0", "--init", "kmeans", "--tol", "0.000001", "--quiet"];
    const streamed = spawnSync(process.execPath, [CLI, ...args, "--out", "streamed.json"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, GMM_WASM_STREAM_BYTES: "100" },
    });
    expect(streamed.status).toBe(0);
    const whole = run([...args, "--out", "whole.json"]);
    expect(whole.code).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "streamed.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "whole.json"), "utf8"));
    expect(a.n_samples_fit).toBe(272);
    expect(a.feature_names_in_).toEqual(b.feature_names_in_);
    expectClose(a.means_, b.means_, 1e-9);
    expectClose(a.covariances_, b.covariances_, 1e-9);
    const loud = spawnSync(
      process.execPath,
      [CLI, "fit", "faithful.csv", "-k", "2", "--seed", "0", "--out", "loud.json"],
      { cwd: dir, encoding: "utf8", env: { ...process.env, GMM_WASM_STREAM_BYTES: "100" } },
    );
    expect(loud.stderr).toMatch(/fitted K=2 full streamed from faithful\.csv \(272 rows, read once per iteration\)/);
  });

  it("a JSON document of rows is streamed too: fit above GMM_WASM_STREAM_BYTES, predict in chunks", () => {
    writeFileSync(join(dir, "faithful-doc.json"), JSON.stringify(datasets.faithful));
    const args = ["faithful-doc.json", "-k", "2", "--seed", "0", "--init", "kmeans", "--tol", "0.000001", "--quiet"];
    const env = { ...process.env, GMM_WASM_STREAM_BYTES: "100", GMM_WASM_CHUNK_ROWS: "7" };
    const streamed = spawnSync(process.execPath, [CLI, "fit", ...args, "--out", "doc-streamed.json"], {
      cwd: dir,
      encoding: "utf8",
      env,
    });
    expect(streamed.status, streamed.stderr).toBe(0);
    expect(run(["fit", ...args, "--out", "doc-whole.json"]).code).toBe(0);
    const a = JSON.parse(readFileSync(join(dir, "doc-streamed.json"), "utf8"));
    const b = JSON.parse(readFileSync(join(dir, "doc-whole.json"), "utf8"));
    expect(a.n_samples_fit).toBe(272);
    expectClose(a.means_, b.means_, 1e-9);
    expectClose(a.covariances_, b.covariances_, 1e-9);
    const g = GaussianMixture.fromJSON(b);
    const labels = spawnSync(process.execPath, [CLI, "predict", "doc-whole.json", "faithful-doc.json"], {
      cwd: dir,
      encoding: "utf8",
      env,
    });
    expect(labels.status, labels.stderr).toBe(0);
    expect(csvRows(labels.stdout).rows.map((r) => r[0])).toEqual(Array.from(g.predict(datasets.faithful)));
  });

  it("fit --bayesian streams a file above GMM_WASM_STREAM_BYTES too, with the in-memory fit's result (weighted, float32)", () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => 1 + (i % 3));
    writeFileSync(
      join(dir, "bayes-weighted.csv"),
      toCsv(
        ["eruptions", "count", "waiting"],
        X.map((r, i) => [r[0], w[i], r[1]]),
      ),
    );
    const args = ["fit", "bayes-weighted.csv", "--bayesian", "-k", "5", "--seed", "1", "--weights-column", "count"];
    const streamed = spawnSync(process.execPath, [CLI, ...args, "--out", "bayes-streamed.json"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, GMM_WASM_STREAM_BYTES: "100" },
    });
    expect(streamed.status).toBe(0);
    expect(streamed.stderr).toMatch(
      /^fitted Bayesian K≤5 full \(dirichlet_process\) streamed from bayes-weighted\.csv \(272 rows, weighted, read once per iteration and once for the priors\): \d+ effective components?/,
    );
    const a = JSON.parse(readFileSync(join(dir, "bayes-streamed.json"), "utf8"));
    const b = new BayesianGaussianMixture({ nComponents: 5, randomState: 1 }).fit(X, { sampleWeight: w });
    expect(a.n_samples_fit).toBe(272);
    expect(a.feature_names_in_).toEqual(["eruptions", "waiting"]);
    expectClose(a.means_, b.means, 1e-9);
    expectClose(a.covariances_, b.covariances, 1e-9);
    expectClose([a.lower_bound_], [b.lowerBound], 1e-9);
    // --dtype goes with --bayesian, in memory and streamed
    const f32 = spawnSync(process.execPath, [CLI, ...args, "--dtype", "float32", "--quiet"], {
      cwd: dir,
      encoding: "utf8",
      env: { ...process.env, GMM_WASM_STREAM_BYTES: "100" },
    });
    expect(f32.status).toBe(0);
    const c = JSON.parse(f32.stdout);
    expect(c.params.dtype).toBe("float32");
    // a whole fit with tol: float32 may stop an iteration apart from float64 (the library test checks tol 0 to 1e-5)
    expectClose(c.means_, b.means, 1e-3);
    expect(JSON.parse(run([...args, "--dtype", "float32", "--quiet"]).stdout).params.dtype).toBe("float32");
  });

  it("fit --weights-column fits with those row weights, in memory and streamed, and names a bad weight's row", () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => 1 + (i % 3));
    writeFileSync(
      join(dir, "weighted.csv"),
      toCsv(
        ["eruptions", "count", "waiting"],
        X.map((r, i) => [r[0], w[i], r[1]]),
      ),
    );
    const args = ["fit", "weighted.csv", "-k", "2", "--seed", "0", "--init", "kmeans", "--tol", "0.000001"];
    const whole = run([...args, "--weights-column", "count", "--out", "weighted.json"]);
    expect(whole.code).toBe(0);
    expect(whole.stderr).toMatch(/^fitted K=2 full: weighted log-likelihood -\d+\.\d+, BIC/);
    const a = JSON.parse(readFileSync(join(dir, "weighted.json"), "utf8"));
    const g = new GaussianMixture({ nComponents: 2, randomState: 0, initParams: "kmeans", tol: 1e-6 }).fit(X, {
      sampleWeight: w,
    });
    expect(a.feature_names_in_).toEqual(["eruptions", "waiting"]);
    expectClose(a.means_, g.means, 1e-9);
    expectClose(a.covariances_, g.covariances, 1e-9);
    // the same by column number, streamed chunk by chunk
    const streamed = spawnSync(
      process.execPath,
      [CLI, ...args, "--weights-column", "2", "--quiet", "--out", "weighted-streamed.json"],
      { cwd: dir, encoding: "utf8", env: { ...process.env, GMM_WASM_STREAM_BYTES: "100" } },
    );
    expect(streamed.status).toBe(0);
    const b = JSON.parse(readFileSync(join(dir, "weighted-streamed.json"), "utf8"));
    expect(b.feature_names_in_).toEqual(["eruptions", "waiting"]);
    expectClose(b.means_, g.means, 1e-9);
    expectClose(b.covariances_, g.covariances, 1e-9);
    // --columns still picks the features; the weight column cannot be one
    expect(run([...args, "--weights-column", "count", "--columns", "waiting", "--quiet"]).code).toBe(0);
    expect(run([...args, "--weights-column", "count", "--columns", "count,waiting"]).stderr).toBe(
      'weighted.csv: the weight column "count" cannot also be a feature column\n',
    );
    expect(run([...args, "--weights-column", "n"]).stderr).toMatch(/^weighted\.csv: there is no column "n"/);
    const lines = readFileSync(join(dir, "weighted.csv"), "utf8").split("\n");
    lines[5] = lines[5].replace(/,\d,/, ",-1,");
    writeFileSync(join(dir, "bad-weight.csv"), lines.join("\n"));
    for (const env of [{}, { GMM_WASM_STREAM_BYTES: "100" }]) {
      const r = spawnSync(process.execPath, [CLI, "fit", "bad-weight.csv", "--weights-column", "count"], {
        cwd: dir,
        encoding: "utf8",
        env: { ...process.env, ...env },
      });
      expect(r.status).toBe(1);
      expect(r.stderr).toBe(
        'bad-weight.csv: weight column "count", data row 5: the weight is -1; weights must be ≥ 0\n',
      );
    }
  });

  it("score --weights-column leaves the weights out of the features and weighs the --summary totals", () => {
    const X = datasets.faithful;
    const w = X.map((_, i) => i % 4); // zeros included
    writeFileSync(
      join(dir, "score-weighted.csv"),
      toCsv(
        ["eruptions", "w", "waiting"],
        X.map((r, i) => [r[0], w[i], r[1]]),
      ),
    );
    const g = new GaussianMixture({ nComponents: 2, randomState: 0 }).fit(X);
    writeFileSync(join(dir, "score-model.json"), JSON.stringify(g.toJSON()));
    const perRow = csvRows(run(["score", "score-model.json", "score-weighted.csv", "--weights-column", "w"]).stdout);
    expectClose(
      perRow.rows.map((r) => r[0]),
      Array.from(g.scoreSamples(X)),
      1e-12,
    );
    for (const env of [{}, { GMM_WASM_STREAM_BYTES: "100", GMM_WASM_CHUNK_ROWS: "7" }]) {
      const r = spawnSync(
        process.execPath,
        [
          CLI,
          "score",
          "score-model.json",
          "score-weighted.csv",
          "--weights-column",
          "w",
          "--summary",
          "--format",
          "json",
        ],
        { cwd: dir, encoding: "utf8", env: { ...process.env, ...env } },
      );
      expect(r.status).toBe(0);
      const summary = JSON.parse(r.stdout);
      expect(summary.n).toBe(w.reduce((a, b) => a + b, 0));
      expectClose(summary.mean_log_likelihood, g.score(X, { sampleWeight: w }), 1e-12);
      expectClose(summary.bic, g.bic(X, { sampleWeight: w }), 1e-12);
      expectClose(summary.aic, g.aic(X, { sampleWeight: w }), 1e-12);
    }
    expect(run(["predict", "score-model.json", "score-weighted.csv", "--weights-column", "w"]).code).toBe(2);
    writeFileSync(join(dir, "score-zero.csv"), toCsv(["eruptions", "w", "waiting"], [[1, 0, 50]]));
    expect(run(["score", "score-model.json", "score-zero.csv", "--weights-column", "w", "--summary"]).stderr).toBe(
      'score-zero.csv: every row\'s weight (column "w") is 0; the totals need a positive weight\n',
    );
  });

  it("fit --dtype float32 writes a float32 model that the library reproduces", () => {
    const r = run([
      "fit",
      "faithful.csv",
      "-k",
      "3",
      "--seed",
      "0",
      "--dtype",
      "float32",
      "--quiet",
      "--out",
      "model32.json",
    ]);
    expect(r.code).toBe(0);
    const saved = JSON.parse(readFileSync(join(dir, "model32.json"), "utf8"));
    expect(saved.params.dtype).toBe("float32");
    const g = new GaussianMixture({ nComponents: 3, randomState: 0, dtype: "float32", initParams: "auto" }).fit(
      datasets.faithful,
    );
    expectClose(saved.means_, g.means, 1e-9);
    expect(run(["fit", "faithful.csv", "--dtype", "float16"]).stderr).toMatch(
      /--dtype must be one of float64, float32; got "float16"/,
    );
  });

  it("fit --bayesian writes the library's BayesianGaussianMixture; predict, proba and score take its file", () => {
    const X = datasets.faithful;
    const r = run(["fit", "faithful.csv", "--bayesian", "-k", "6", "--seed", "0", "--out", "bayes.json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(
      /^fitted Bayesian K≤6 full \(dirichlet_process\): 2 effective components \(weight above 0\.01\), lower bound -?\d+\.\d+, converged in \d+ iterations\n$/,
    );
    const saved = JSON.parse(readFileSync(join(dir, "bayes.json"), "utf8"));
    const b = new BayesianGaussianMixture({ nComponents: 6, randomState: 0 }).fit(X);
    expect(saved.format).toBe("gmm-wasm/BayesianGaussianMixture");
    expect(saved.feature_names_in_).toEqual(["eruptions", "waiting"]);
    expectClose(saved.means_, b.means, 1e-9);
    expectClose(saved.weight_concentration_, b.weightConcentration, 1e-9);
    const labels = csvRows(run(["predict", "bayes.json", "faithful.csv"]).stdout).rows.map((row) => row[0]);
    expect(labels).toEqual(Array.from(b.predict(X)));
    const proba = JSON.parse(run(["proba", "bayes.json", "faithful.csv", "--format", "json"]).stdout);
    expect(proba[0]).toHaveLength(6);
    expectClose(proba.flat(), Array.from(b.predictProba(X).data), 1e-9, 1e-12);
    const score = csvRows(run(["score", "bayes.json", "faithful.csv"]).stdout).rows.map((row) => row[0]);
    expectClose(score, Array.from(b.scoreSamples(X)), 1e-9);
    // no parameter count, so no BIC or AIC in the summary
    const summary = JSON.parse(run(["score", "bayes.json", "faithful.csv", "--summary", "--format", "json"]).stdout);
    expect(Object.keys(summary)).toEqual(["n", "mean_log_likelihood", "log_likelihood"]);
    expectClose(summary.mean_log_likelihood, b.score(X), 1e-9);
    // plot draws it; sample and --start name what they take
    const plot = run(["plot", "bayes.json", "faithful.csv"]);
    expect(plot.code).toBe(0);
    checkWellFormed(plot.stdout);
    expect(run(["sample", "bayes.json"]).stderr).toBe(
      "bayes.json: a BayesianGaussianMixture model; sample takes a GaussianMixture model (predict, proba, score and plot take either)\n",
    );
    expect(run(["fit", "faithful.csv", "--start", "bayes.json"]).stderr).toMatch(
      /^bayes\.json: a BayesianGaussianMixture model; --start takes a GaussianMixture model/,
    );
    // the prior's type and value, and the options shared with fit
    const args = [
      "--weight-concentration-prior-type",
      "dirichlet_distribution",
      "--weight-concentration-prior",
      "0.01",
    ];
    const dd = run(["fit", "faithful.csv", "--bayesian", "-k", "4", "--covariance", "diag", "--seed", "2", ...args]);
    expect(dd.code).toBe(0);
    const ddModel = JSON.parse(dd.stdout);
    const ddLib = new BayesianGaussianMixture({
      nComponents: 4,
      covarianceType: "diag",
      randomState: 2,
      weightConcentrationPriorType: "dirichlet_distribution",
      weightConcentrationPrior: 0.01,
    }).fit(X);
    expect(ddModel.weight_concentration_prior_type).toBe("dirichlet_distribution");
    expect(ddModel.weight_concentration_prior_).toBe(0.01);
    expectClose(ddModel.means_, ddLib.means, 1e-9);
    // what does not go together is refused before any work
    const refused = (extra: string[]) => run(["fit", "faithful.csv", ...extra]);
    expect(refused(["--weight-concentration-prior", "0.1"]).stderr).toBe(
      "gmm-wasm fit: --weight-concentration-prior needs --bayesian\n",
    );
    expect(refused(["--bayesian", "--select", "bic"]).stderr).toBe(
      "gmm-wasm fit: --select does not go with --bayesian; use gmm-wasm select --bayesian\n",
    );
    expect(refused(["--bayesian", "--init", "auto"]).stderr).toMatch(/--init auto is not available with --bayesian/);
    expect(refused(["--bayesian", "--weight-concentration-prior", "0"]).stderr).toMatch(
      /--weight-concentration-prior must be a decimal number > 0; got "0"/,
    );
    expect(refused(["--bayesian", "--weight-concentration-prior-type", "dp"]).stderr).toMatch(
      /--weight-concentration-prior-type must be one of dirichlet_process, dirichlet_distribution; got "dp"/,
    );
    expect(refused(["--bayesian", "--weight-concentration-prior", "0"]).code).toBe(2);
  });

  it("reads options as node:util's parseArgs does: --name=value, -k, -h, and -- before a file that starts with -", () => {
    writeFileSync(join(dir, "-dash.csv"), readFileSync(join(dir, "faithful.csv")));
    const a = run(["fit", "--seed=0", "-k", "2", "--init=kmeans", "--quiet", "--", "-dash.csv"]);
    const b = run(["fit", "faithful.csv", "--components=2", "--seed", "0", "--init", "kmeans", "--quiet"]);
    expect(a.code).toBe(0);
    expect(a.stdout).toBe(b.stdout);
    expect(run(["score", "-h"]).stdout).toMatch(/^Print each row's log-density/);
  });

  it("fit with the same seed writes the same file twice", () => {
    run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "again.json"]);
    expect(readFileSync(join(dir, "again.json"), "utf8")).toBe(readFileSync(join(dir, "model.json"), "utf8"));
  });

  it("predict prints the model's labels, one per row, under a `label` header", () => {
    const r = run(["predict", "model.json", "faithful.csv"]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("label");
    expect(lines.slice(1).map(Number)).toEqual(Array.from(model.predict(datasets.faithful)));
  });

  it("proba prints rows of K probabilities that sum to one and match predictProba", () => {
    const { header, rows } = csvRows(run(["proba", "model.json", "faithful.csv"]).stdout);
    expect(header).toEqual(["p0", "p1", "p2"]);
    expect(rows).toHaveLength(272);
    const p = model.predictProba(datasets.faithful);
    rows.forEach((r, i) => {
      expect(Math.abs(r[0] + r[1] + r[2] - 1)).toBeLessThan(1e-12);
      expectClose(r, Array.from(p.data.subarray(i * 3, i * 3 + 3)), 1e-9, 1e-12);
    });
  });

  it("score prints log-densities; --summary prints n, log-likelihood, BIC and AIC", () => {
    const { header, rows } = csvRows(run(["score", "model.json", "faithful.csv"]).stdout);
    expect(header).toEqual(["log_density"]);
    expectClose(
      rows.map((r) => r[0]),
      Array.from(model.scoreSamples(datasets.faithful)),
      1e-12,
    );
    const summary = JSON.parse(run(["score", "model.json", "faithful.csv", "--summary", "--format", "json"]).stdout);
    expect(summary.n).toBe(272);
    expectClose(summary.mean_log_likelihood, model.score(datasets.faithful), 1e-12);
    expectClose(summary.bic, model.bic(datasets.faithful), 1e-12);
    expectClose(summary.aic, model.aic(datasets.faithful), 1e-12);
    expectClose(summary.log_likelihood, summary.mean_log_likelihood * 272, 1e-12);
  });

  it("--format json prints a JSON array", () => {
    const labels = JSON.parse(run(["predict", "model.json", "faithful.csv", "--format", "json"]).stdout);
    expect(labels).toEqual(Array.from(model.predict(datasets.faithful)));
  });

  it("sample --n 500 --seed 1 draws 500 rows with labels, the same each time", () => {
    const a = run(["sample", "model.json", "--n", "500", "--seed", "1"]);
    expect(a.code).toBe(0);
    const { header, rows } = csvRows(a.stdout);
    expect(header).toEqual(["eruptions", "waiting", "label"]); // the model keeps the header as feature_names_in_
    expect(rows).toHaveLength(500);
    expect(new Set(rows.map((r) => r[2]))).toEqual(new Set([0, 1, 2]));
    expect(run(["sample", "model.json", "--n", "500", "--seed", "1"]).stdout).toBe(a.stdout);
    const json = JSON.parse(run(["sample", "model.json", "--n", "5", "--seed", "1", "--format", "json"]).stdout);
    expect(json.X).toHaveLength(5);
    expect(json.labels).toHaveLength(5);
  });

  it("plot writes an SVG with the points and 1σ and 2σ ellipses of every component", () => {
    const r = run(["plot", "model.json", "faithful.csv", "--out", "plot.svg"]);
    expect(r.code).toBe(0);
    const svg = readFileSync(join(dir, "plot.svg"), "utf8");
    checkWellFormed(svg);
    expect(svg.match(/<ellipse /g)).toHaveLength(6);
    expect(svg).toContain(">eruptions</text>");
    expect(svg).toContain(">waiting</text>");
  });
});

describe("gmm-wasm input", () => {
  it("reads the data from standard input when the file is -", () => {
    run(["fit", "faithful.csv", "-k", "2", "--seed", "0", "--quiet", "--out", "m2.json"]);
    const fromFile = run(["predict", "m2.json", "faithful.csv"]).stdout;
    const fromStdin = run(["predict", "m2.json", "-"], readFileSync(FAITHFUL, "utf8"));
    expect(fromStdin.code).toBe(0);
    expect(fromStdin.stdout).toBe(fromFile);
    const fitted = run(["fit", "-", "-k", "2", "--seed", "0", "--quiet"], readFileSync(FAITHFUL, "utf8"));
    expect(fitted.stdout).toBe(readFileSync(join(dir, "m2.json"), "utf8"));
  });

  it("fits NDJSON and semicolon CSV to the same model as comma CSV", () => {
    writeFileSync(join(dir, "faithful.ndjson"), datasets.faithful.map((r) => JSON.stringify(r)).join("\n") + "\n");
    writeFileSync(join(dir, "faithful-semi.csv"), "e;w\n" + datasets.faithful.map((r) => r.join(";")).join("\n"));
    const csv = run(["fit", "faithful.csv", "-k", "2", "--covariance", "diag", "--seed", "4"]);
    const ndjson = run(["fit", "faithful.ndjson", "-k", "2", "--covariance", "diag", "--seed", "4"]);
    const semi = run(["fit", "faithful-semi.csv", "-k", "2", "--covariance", "diag", "--seed", "4"]);
    expect(csv.code).toBe(0);
    // Identical but for the column names each file carried (NDJSON has none).
    const parsed = [csv, ndjson, semi].map((r) => JSON.parse(r.stdout));
    expect(parsed.map((m) => m.feature_names_in_)).toEqual([["eruptions", "waiting"], undefined, ["e", "w"]]);
    for (const m of parsed) delete m.feature_names_in_;
    expect(parsed[1]).toEqual(parsed[0]);
    expect(parsed[2]).toEqual(parsed[0]);
    expect(parsed[0].covariance_type).toBe("diag");
  });

  it("--columns picks and orders columns by name", () => {
    writeFileSync(
      join(dir, "three.csv"),
      "id,waiting,eruptions\n" + datasets.faithful.map((r, i) => `${i},${r[1]},${r[0]}`).join("\n"),
    );
    const picked = run(["fit", "three.csv", "--columns", "eruptions,waiting", "-k", "2", "--seed", "0", "--quiet"]);
    expect(picked.code).toBe(0);
    expect(picked.stdout).toBe(readFileSync(join(dir, "m2.json"), "utf8"));
  });
});

describe("gmm-wasm errors: one line on stderr, a non-zero exit, no stack trace", () => {
  it("a bad value names the file, the row and the column", () => {
    const lines = readFileSync(FAITHFUL, "utf8").split("\n");
    lines[16] = "3.1,abc"; // line 17 of the file
    writeFileSync(join(dir, "bad.csv"), lines.join("\n"));
    for (const args of [
      ["fit", "bad.csv", "-k", "2"],
      ["predict", "model.json", "bad.csv"],
    ]) {
      const r = run(args);
      expect(r.code).toBe(1);
      expect(r.stderr).toBe('bad.csv: row 17, column 2: "abc" is not a number\n');
      expect(r.stdout).toBe("");
    }
  });

  beforeAll(() => {
    if (!existsSync(join(dir, "model.json")))
      run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "model.json"]);
    writeFileSync(join(dir, "ragged.csv"), "a,b\n1,2\n3\n");
    writeFileSync(join(dir, "one.csv"), "a\n1\n2\n");
    writeFileSync(join(dir, "empty.csv"), "");
  });

  it.concurrent.each([
    [["fit", "missing.csv"], 1, "missing.csv: cannot read it (no such file)\n"],
    [
      ["fit", "faithful.csv", "--components", "three"],
      2,
      'gmm-wasm fit: --components must be an integer ≥ 1; got "three"\n',
    ],
    [
      ["fit", "faithful.csv", "--covariance", "round"],
      2,
      'gmm-wasm fit: --covariance must be one of full, tied, diag, spherical; got "round"\n',
    ],
    [["fit", "faithful.csv", "--bogus"], 2, "gmm-wasm fit: unknown option --bogus; see gmm-wasm fit --help\n"],
    [["fit", "faithful.csv", "-x"], 2, "gmm-wasm fit: unknown option -x; see gmm-wasm fit --help\n"],
    [["fit", "faithful.csv", "--seed"], 2, "gmm-wasm fit: --seed needs a value (N)\n"],
    [["fit", "faithful.csv", "--quiet=yes"], 2, "gmm-wasm fit: --quiet takes no value\n"],
    [
      ["fit", "faithful.csv", "--seed", "--quiet"],
      2,
      "gmm-wasm fit: --seed needs a value (N), not the option after it; write --seed=VALUE for a value that starts with -\n",
    ],
    [
      ["predict", "m.json", "faithful.csv", "-k", "3"],
      2,
      "gmm-wasm predict: unknown option -k; see gmm-wasm predict --help\n",
    ],
    [["fit"], 2, /^gmm-wasm fit: missing <data>; usage: gmm-wasm fit <data>/],
    [
      ["frobnicate"],
      2,
      /^gmm-wasm: unknown command "frobnicate"; commands: fit, predict, proba, score, sample, select, plot/,
    ],
    [["predict", "faithful.csv", "faithful.csv"], 1, /^faithful.csv: not a model file: it is not valid JSON \(/],
    [["predict", "ragged.csv", "faithful.csv"], 1, /^ragged.csv: not a model file/],
    [
      ["predict", "model.json", "ragged.csv"],
      1,
      "ragged.csv: row 3: 1 value, but the header has 2; every row needs the same number of columns\n",
    ],
    [
      ["predict", "model.json", "one.csv"],
      1,
      "one.csv: has 1 column but the model was fitted on 2; pick them with --columns\n",
    ],
    [["fit", "faithful.csv", "-k", "300"], 1, /^gmm-wasm fit: X has 272 rows but nComponents is 300/],
    [["fit", "empty.csv"], 1, "empty.csv: no data: the input is empty\n"],
  ])("gmm-wasm %j exits %d with %s", async (args, code, message) => {
    const r = await runAsync(args as string[]);
    expect(r.code).toBe(code);
    if (typeof message === "string") expect(r.stderr).toBe(message);
    else expect(r.stderr).toMatch(message);
    expect(r.stderr.trimEnd().split("\n")).toHaveLength(1);
    expect(r.stderr).not.toMatch(/\n\s+at /);
  });

  it("--help works for every command", async () => {
    // In-process (main() with a recording CliIO): the same code as dist/cli.js, without 8 process starts.
    const call = async (args: string[]) => {
      const out: string[] = [];
      const err: string[] = [];
      const io = {
        readFile: async () => new Uint8Array(),
        readStdin: async () => new Uint8Array(),
        writeFile: async () => {},
        stdout: (s: string) => void out.push(s),
        stderr: (s: string) => void err.push(s),
        stderrIsTTY: false,
        now: () => 0,
        env: {},
      };
      return { code: await main(args, io), stdout: out.join(""), stderr: err.join("") };
    };
    for (const command of ["fit", "predict", "proba", "score", "sample", "select", "plot"]) {
      const r = await call([command, "--help"]);
      expect(r.code).toBe(0);
      expect(r.stdout).toContain(`Usage: gmm-wasm ${command} `);
      expect(r.stdout).toContain("--help");
      expect(r.stderr).toBe("");
    }
    const top = run(["--help"]);
    expect(top.code).toBe(0);
    expect(top.stdout).toContain("Commands:");
    const none = run([]);
    expect(none.code).toBe(2);
    expect(none.stderr).toContain("Usage: gmm-wasm <command>");
  });
});

/** main() in this process, reading files from the test directory, with every stdout piece recorded. */
async function callMain(args: string[]) {
  const pieces: string[] = [];
  const err: string[] = [];
  const written: string[] = [];
  const io = {
    readFile: async (path: string) => readFileSync(join(dir, path)),
    readStdin: async () => new Uint8Array(),
    writeFile: async (path: string) => void written.push(path),
    stdout: (s: string) => void pieces.push(s),
    stderr: (s: string) => void err.push(s),
    stderrIsTTY: false,
    now: () => 0,
    env: {},
  };
  return { code: await main(args, io), pieces, stdout: pieces.join(""), stderr: err.join(""), written };
}

describe("gmm-wasm predict, proba and score stream their output", () => {
  let g: GaussianMixture;
  beforeAll(() => {
    if (!existsSync(join(dir, "model.json")))
      run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "model.json"]);
    g = GaussianMixture.fromJSON(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")));
  });

  /** Runs the command with extra node flags and environment, stdout to a file (returned as text). */
  function runTo(nodeFlags: string[], args: string[], env: Record<string, string> = {}, input?: string) {
    return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
      const out = join(dir, `out-${args[0]}-${Math.random().toString(36).slice(2)}.txt`);
      const fd = openSync(out, "w");
      const child = spawn(process.execPath, [...nodeFlags, CLI, ...args], {
        cwd: dir,
        stdio: [input === undefined ? "ignore" : "pipe", fd, "pipe"],
        env: { ...process.env, ...env },
      });
      if (input !== undefined) child.stdin!.end(input);
      let stderr = "";
      child.stderr!.on("data", (b) => (stderr += b));
      child.on("close", (code) => {
        closeSync(fd);
        resolve({ code, stdout: readFileSync(out, "utf8"), stderr });
        rmSync(out);
      });
    });
  }

  it("1,200,000 rows under a 48 MB heap: every row's result, as the library computes it", async () => {
    // Before, each command held the whole file as one string, its values in an
    // array, and all of its output at once: all three die with "JavaScript
    // heap out of memory" here (checked on the build before the change). The
    // streamed commands hold a chunk at a time; with a tighter heap (24 MB,
    // 400,000 rows) they passed alone but ran out when the machine was loaded
    // (the garbage collector's concurrent marking falls behind), so the margin
    // is in the heap and the size of the file, not in the timing.
    const n = 1_200_000;
    const X = new Float64Array(n * 2);
    let seed = 11;
    const lines = ["eruptions,waiting"];
    for (let i = 0; i < n; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      X[2 * i] = Math.round(((i % 2 ? 4.3 : 2.0) + (seed / 2 ** 32) * 0.5) * 1000) / 1000;
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0;
      X[2 * i + 1] = Math.round(((i % 2 ? 80 : 54) + (seed / 2 ** 32) * 10) * 10) / 10;
      lines.push(`${X[2 * i]},${X[2 * i + 1]}`);
    }
    writeFileSync(join(dir, "big.csv"), lines.join("\n") + "\n");
    const heap = ["--max-old-space-size=48"];
    const [labels, proba, score] = await Promise.all([
      runTo(heap, ["predict", "model.json", "big.csv"]),
      runTo(heap, ["proba", "model.json", "big.csv", "--format", "json"]),
      runTo(heap, ["score", "model.json", "big.csv"]),
    ]);
    const matrix = { data: X, rows: n, cols: 2 };
    for (const r of [labels, proba, score]) expect([r.code, r.stderr]).toEqual([0, ""]);
    expect(labels.stdout).toBe(
      toCsv(
        ["label"],
        Array.from(g.predict(matrix), (l) => [l]),
      ),
    );
    expect(score.stdout).toBe(
      toCsv(
        ["log_density"],
        Array.from(g.scoreSamples(matrix), (v) => [v]),
      ),
    );
    const p = g.predictProba(matrix);
    const rows = Array.from({ length: n }, (_, i) => Array.from(p.data.subarray(i * 3, i * 3 + 3)));
    expect(proba.stdout).toBe(JSON.stringify(rows) + "\n");
  }, 60_000);

  it("the text is the same in chunks of any size, from a file or standard input, CSV or NDJSON", async () => {
    const ndjson = datasets.faithful.map((r) => JSON.stringify(r)).join("\n") + "\n";
    writeFileSync(join(dir, "faithful.ndjson"), ndjson);
    writeFileSync(join(dir, "faithful.json"), JSON.stringify(datasets.faithful, null, 1));
    const csv = readFileSync(join(dir, "faithful.csv"), "utf8");
    for (const args of [
      ["predict"],
      ["proba"],
      ["score"],
      ["predict", "--format", "json"],
      ["proba", "--format", "json"],
      ["score", "--format", "json"],
      ["score", "--summary"],
    ]) {
      const [command, ...rest] = args;
      const whole = run([command, "model.json", "faithful.csv", ...rest]);
      expect(whole.code).toBe(0);
      const runs = await Promise.all([
        runTo([], [command, "model.json", "faithful.csv", ...rest], { GMM_WASM_CHUNK_ROWS: "7" }),
        runTo([], [command, "model.json", "-", ...rest], { GMM_WASM_CHUNK_ROWS: "50" }, csv),
        runTo([], [command, "model.json", "faithful.ndjson", ...rest], { GMM_WASM_CHUNK_ROWS: "7" }),
        runTo([], [command, "model.json", "-", ...rest], { GMM_WASM_CHUNK_ROWS: "9" }, ndjson),
        // a JSON document is read whole
        runTo([], [command, "model.json", "faithful.json", ...rest], { GMM_WASM_CHUNK_ROWS: "7" }),
      ]);
      for (const r of runs) expect(r.stdout).toBe(whole.stdout);
    }
    // the chunks are read as they come: a bad value after the first chunk ends the output there
    const bad = csv.split("\n");
    bad[200] = "1.5,abc";
    writeFileSync(join(dir, "bad-late.csv"), bad.join("\n"));
    const r = await runTo([], ["predict", "model.json", "bad-late.csv"], { GMM_WASM_CHUNK_ROWS: "50" });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('bad-late.csv: row 201, column 2: "abc" is not a number\n');
    expect(r.stdout.split("\n").length).toBeLessThan(201);
    expect(r.stdout.startsWith("label\n")).toBe(true);
    const badNdjson = ndjson.split("\n");
    badNdjson[150] = '[1.5, "x"]';
    writeFileSync(join(dir, "bad-late.ndjson"), badNdjson.join("\n"));
    const n = await runTo([], ["score", "model.json", "bad-late.ndjson"], { GMM_WASM_CHUNK_ROWS: "50" });
    expect([n.code, n.stderr]).toEqual([1, 'bad-late.ndjson: row 151, column 2: "x" is not a number\n']);
  });
});

describe("gmm-wasm sample: large draws are written in pieces", () => {
  let g: GaussianMixture;
  beforeAll(() => {
    if (!existsSync(join(dir, "model.json")))
      run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "model.json"]);
    g = GaussianMixture.fromJSON(JSON.parse(readFileSync(join(dir, "model.json"), "utf8")));
  });

  it("--n 1000000 under a 64 MB heap exits 0 with a header and 1000000 rows", () => {
    // Before, the command built an array per row and one string of all rows:
    // it died with "JavaScript heap out of memory" here (from --n 200000 on).
    const out = join(dir, "big-sample.csv");
    const fd = openSync(out, "w");
    const r = spawnSync(
      process.execPath,
      ["--max-old-space-size=64", CLI, "sample", "model.json", "--n", "1000000", "--seed", "1"],
      {
        cwd: dir,
        stdio: ["ignore", fd, "pipe"],
        encoding: "utf8",
        timeout: 60_000,
      },
    );
    closeSync(fd);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const bytes = readFileSync(out);
    let lines = 0;
    for (let i = 0; i < bytes.length; i++) if (bytes[i] === 10) lines++;
    expect(lines).toBe(1_000_001);
    expect(bytes[bytes.length - 1]).toBe(10);
    const text = bytes.subarray(0, 200).toString("utf8");
    expect(text.split("\n")[0]).toBe("eruptions,waiting,label");
    rmSync(out);
  });

  it("the pieces join to exactly the text of one toCsv / JSON.stringify of model.sample(n) (the output before pieces)", async () => {
    const n = 150_000;
    const { X, labels } = g.sample(n, { randomState: 3 });
    const rows = Array.from({ length: n }, (_, i) => [X.data[2 * i], X.data[2 * i + 1]]);
    const csv = await callMain(["sample", "model.json", "--n", String(n), "--seed", "3"]);
    expect(csv.code).toBe(0);
    expect(csv.pieces.length).toBeGreaterThan(2);
    expect(csv.stdout).toBe(
      toCsv(
        ["eruptions", "waiting", "label"],
        rows.map((r, i) => [...r, labels[i]]),
      ),
    );
    const m = 70_000;
    const small = g.sample(m, { randomState: 4 });
    const json = await callMain(["sample", "model.json", "--n", String(m), "--seed", "4", "--format", "json"]);
    expect(json.pieces.length).toBeGreaterThan(2);
    const want = {
      X: Array.from({ length: m }, (_, i) => [small.X.data[2 * i], small.X.data[2 * i + 1]]),
      labels: Array.from(small.labels),
    };
    expect(json.stdout).toBe(JSON.stringify(want) + "\n");
  });

  it("pieces hold a bounded count of numbers, not of rows, so wide models are cut too", async () => {
    const d = 600;
    const data = Array.from({ length: 50 }, (_, i) => Array.from({ length: d }, (_, j) => Math.sin(i * 7.1 + j * 1.3)));
    const wide = new GaussianMixture({ nComponents: 1, covarianceType: "diag", randomState: 0 }).fit(data);
    const { X, labels } = wide.sample(500, { randomState: 2 });
    const pieces: string[] = [];
    await writeSamples({ stdout: (s) => void pieces.push(s) }, wide, sampleBlocks(wide, 500, 2), false);
    expect(pieces.length).toBe(1 + Math.ceil(500 / Math.floor(2 ** 17 / d))); // the header, then 3 pieces of ≤ 218 rows
    const rows = Array.from({ length: 500 }, (_, i) => [...X.data.subarray(i * d, (i + 1) * d), labels[i]]);
    expect(pieces.join("")).toBe(toCsv([...Array.from({ length: d }, (_, j) => `x${j}`), "label"], rows));
  });

  it("up to the exact limit sampleBlocks is one model.sample(n, { randomState: seed })", () => {
    const blocks = [...sampleBlocks(g, 5000, 9)];
    expect(blocks).toHaveLength(1);
    expect(blocks[0]).toEqual(g.sample(5000, { randomState: 9 }));
  });

  it("beyond it, blocks of their own draws: n rows, reproducible, the blocks differ, the model's weights and means", async () => {
    const n = 20_500;
    const draw = (seed: number | undefined) => [...sampleBlocks(g, n, seed, 100, 1000)];
    const a = draw(5);
    expect(a.map((b) => b.X.rows)).toEqual([...Array(20).fill(1000), 500]);
    expect(a[3]).toEqual(g.sample(1000, { randomState: blockSeed(5, 3) }));
    expect(draw(5)).toEqual(a);
    expect(draw(6)[0].X.data).not.toEqual(a[0].X.data);
    expect(a[1].X.data).not.toEqual(a[0].X.data);
    // No seed: sample() would use the model's random_state (0 here) for every block.
    const unseeded = draw(undefined);
    expect(unseeded[1].X.data).not.toEqual(unseeded[0].X.data);

    // Written out, CSV and JSON hold the same n rows and labels.
    const all = {
      X: a.flatMap((b) => Array.from({ length: b.X.rows }, (_, i) => [b.X.data[2 * i], b.X.data[2 * i + 1]])),
      labels: a.flatMap((b) => Array.from(b.labels)),
    };
    const out: string[] = [];
    await writeSamples({ stdout: (s) => void out.push(s) }, g, a, true);
    expect(JSON.parse(out.join(""))).toEqual(all);
    out.length = 0;
    await writeSamples({ stdout: (s) => void out.push(s) }, g, a, false);
    expect(csvRows(out.join("")).rows).toEqual(all.X.map((r, i) => [...r, all.labels[i]]));

    // Component counts within 5 standard deviations of n·w, component means within 5 standard errors.
    const means = g.means;
    const cov = g.covariances as number[][][];
    g.weights.forEach((w, c) => {
      const mine = all.X.filter((_, i) => all.labels[i] === c);
      expect(Math.abs(mine.length - n * w)).toBeLessThan(5 * Math.sqrt(n * w * (1 - w)));
      for (let j = 0; j < 2; j++) {
        const mean = mine.reduce((s, r) => s + r[j], 0) / mine.length;
        expect(Math.abs(mean - means[c][j])).toBeLessThan(5 * Math.sqrt(cov[c][j][j] / mine.length));
      }
    });
  });
});

describe("gmm-wasm refuses to write over its own inputs", () => {
  beforeAll(() => {
    if (!existsSync(join(dir, "model.json")))
      run(["fit", "faithful.csv", "-k", "3", "--seed", "0", "--quiet", "--out", "model.json"]);
    writeFileSync(join(dir, "keep.csv"), readFileSync(FAITHFUL));
    writeFileSync(join(dir, "keep.json"), readFileSync(join(dir, "model.json")));
    symlinkSync("keep.csv", join(dir, "keep-link.csv"));
  });

  it.each([
    [
      ["fit", "keep.csv", "--out", "keep.csv"],
      "gmm-wasm fit: --out keep.csv is the data file this command reads; refusing to overwrite it, choose another name\n",
    ],
    [
      ["fit", "keep.csv", "--out", "m.json", "--plot", "./keep.csv"],
      "gmm-wasm fit: --plot ./keep.csv is the data file this command reads (keep.csv); refusing to overwrite it, choose another name\n",
    ],
    [
      ["fit", "keep.csv", "--out", "keep-link.csv"],
      "gmm-wasm fit: --out keep-link.csv is the data file this command reads (keep.csv); refusing to overwrite it, choose another name\n",
    ],
    [
      ["fit", "keep.csv", "--select", "bic", "--out", "new.json", "--plot", "new.json"],
      "gmm-wasm fit: --out and --plot name the same file (new.json); the second would overwrite the first\n",
    ],
    [
      ["select", "keep.csv", "--plot", "keep.csv"],
      "gmm-wasm select: --plot keep.csv is the data file this command reads; refusing to overwrite it, choose another name\n",
    ],
    [
      ["plot", "keep.json", "keep.csv", "--out", "keep.json"],
      "gmm-wasm plot: --out keep.json is the model file this command reads; refusing to overwrite it, choose another name\n",
    ],
    [
      ["plot", "keep.json", "keep.csv", "--out", "keep.csv"],
      "gmm-wasm plot: --out keep.csv is the data file this command reads; refusing to overwrite it, choose another name\n",
    ],
  ])("gmm-wasm %j exits 2, names the file, and leaves it alone", async (args, message) => {
    const r = await runAsync(args);
    expect(r.stderr).toBe(message);
    expect(r.code).toBe(2);
    expect(readFileSync(join(dir, "keep.csv"))).toEqual(readFileSync(FAITHFUL));
    expect(readFileSync(join(dir, "keep.json"))).toEqual(readFileSync(join(dir, "model.json")));
    expect(existsSync(join(dir, "new.json"))).toBe(false);
  });

  it("checks before any work, also without file identities (by name, in-process)", async () => {
    const r = await callMain(["fit", "keep.csv", "--out", "./keep.csv"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gmm-wasm fit: --out \.\/keep\.csv is the data file this command reads \(keep\.csv\)/);
    expect(r.written).toEqual([]);
    expect((await callMain(["plot", "keep.json", "keep.csv", "--out", "plot2.svg"])).written).toEqual(["plot2.svg"]);
  });
});

describe("gmm-wasm errors: numeric flags that are not plain decimal numbers, NDJSON of objects", () => {
  it.each(["0x10", "0b11", "0o17", "Infinity", "-Infinity", "", " ", "1e-3x", "0.5 ", "1e999", "NaN", "-1"])(
    "--tol %j",
    async (v) => {
      const r = await callMain(["fit", "faithful.csv", "--tol", v]);
      expect(r.stderr).toBe(`gmm-wasm fit: --tol must be a decimal number ≥ 0; got ${JSON.stringify(v)}\n`);
      expect(r.code).toBe(2);
    },
  );

  it("--reg-covar and --time-budget too; decimal forms are still read", async () => {
    expect((await callMain(["fit", "faithful.csv", "--reg-covar", "0x1"])).stderr).toBe(
      'gmm-wasm fit: --reg-covar must be a decimal number ≥ 0; got "0x1"\n',
    );
    expect((await callMain(["fit", "faithful.csv", "--time-budget", "Infinity"])).stderr).toBe(
      'gmm-wasm fit: --time-budget must be a decimal number ≥ 0; got "Infinity"\n',
    );
    for (const tol of ["1e-3", ".001", "0.001", "1.E-3", "+1e-3"]) {
      const r = await callMain(["fit", "faithful.csv", "-k", "2", "--seed", "0", "--quiet", "--tol", tol]);
      expect(r.code, tol).toBe(0);
      expect(JSON.parse(r.stdout).params.tol).toBe(0.001);
    }
  });

  it.each([
    ["--n", "0x10", ""],
    ["--n", "0b1", ""],
    ["--n", "Infinity", ""],
    ["--n", "", ""],
    ["--n", "12abc", ""],
    ["--n", "1e3", " written in plain digits"],
    ["--n", "+5", " written in plain digits"],
    ["--seed", "0o7", ""],
    ["--seed", "1.5", ""],
  ])("sample %s %j (integers are plain digits only)", async (flag, v, how) => {
    const r = await callMain(["sample", "model.json", flag, v]);
    expect(r.stderr).toBe(
      `gmm-wasm sample: ${flag} must be an integer ≥ ${flag === "--n" ? 1 : 0}${how}; got ${JSON.stringify(v)}\n`,
    );
    expect(r.code).toBe(2);
  });

  it("NDJSON of objects: the message says lines must be arrays of numbers and names the line", () => {
    writeFileSync(join(dir, "objects.ndjson"), '{"a":1,"b":2}\n{"a":3,"b":4}\n');
    const r = run(["fit", "objects.ndjson"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "objects.ndjson: row 1: this line is a JSON object; NDJSON lines must be JSON arrays of numbers, such as [3.6, 79] (objects with named fields are not read)\n",
    );
  });
});

describe("gmm-wasm select", () => {
  it("select --bayesian ranks BayesianGaussianMixture fits by their evidence lower bound, as selectModel does", () => {
    const args = ["select", "faithful.csv", "--bayesian", "--max-components", "3", "--covariance", "full,diag"];
    const r = run([...args, "--seed", "0", "--format", "json", "--out", "best-bayes.json", "--plot", "elbo.svg"]);
    expect(r.code, r.stderr).toBe(0);
    const printed = JSON.parse(r.stdout);
    expect(printed.criterion).toBe("elbo");
    const expected = selectModel(datasets.faithful, {
      models: ["bgmm"],
      criterion: "elbo",
      nComponents: [1, 2, 3],
      covarianceTypes: ["full", "diag"],
      randomState: 0,
    });
    expect(printed.table).toHaveLength(6);
    expectClose(
      printed.table.map((row: { lower_bound: number }) => row.lower_bound),
      expected.table.map((row) => row.lowerBound),
      1e-12,
    );
    expect(printed.table.map((row: { effective_components: number }) => row.effective_components)).toEqual(
      expected.table.map((row) => row.effectiveComponents),
    );
    const best = expected.bestRow;
    expect([printed.selected.covariance_type, printed.selected.n_components]).toEqual([
      best.covarianceType,
      best.nComponents,
    ]);
    const model = BayesianGaussianMixture.fromJSON(JSON.parse(readFileSync(join(dir, "best-bayes.json"), "utf8")));
    expectClose(model.means, (expected.best as BayesianGaussianMixture).means, 1e-12);
    expect(r.stderr).toMatch(
      /^selected by evidence lower bound: Bayesian K≤\d full|^selected by evidence lower bound: Bayesian K≤\d diag/m,
    );
    expect(readFileSync(join(dir, "elbo.svg"), "utf8")).toContain("higher is better");
    // the flags that need --bayesian, and elbo without it
    expect(run(["select", "faithful.csv", "--criterion", "elbo"]).stderr).toMatch(/--criterion elbo needs --bayesian/);
    expect(run(["select", "faithful.csv", "--weight-concentration-prior", "0.1"]).stderr).toMatch(
      /--weight-concentration-prior needs --bayesian/,
    );
    expect(run([...args, "--init", "auto"]).stderr).toMatch(/--init auto is not available with --bayesian/);
    expect(run(["fit", "faithful.csv", "--bayesian", "--select", "bic"]).stderr).toMatch(
      /--select does not go with --bayesian; use gmm-wasm select --bayesian/,
    );
  });

  it("select prints one row per (type, K), marks the lowest-BIC non-degenerate row, and draws the chart", () => {
    const r = run([
      "select",
      "faithful.csv",
      "--max-components",
      "4",
      "--seed",
      "0",
      "--out",
      "best.json",
      "--plot",
      "bic.svg",
    ]);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    const header = lines[0].split(",");
    expect(header.slice(0, 7)).toEqual([
      "covariance_type",
      "n_components",
      "log_likelihood",
      "n_parameters",
      "bic",
      "aic",
      "icl",
    ]);
    const rows = lines.slice(1).map((l) => l.split(","));
    expect(rows).toHaveLength(16);
    const col = (name: string) => header.indexOf(name);
    const usable = rows.filter((x) => x[col("degenerate")] === "false" && x[col("bic")] !== "");
    const best = usable.reduce((a, b) => (Number(b[col("bic")]) < Number(a[col("bic")]) ? b : a));
    const selected = rows.filter((x) => x[col("selected")] === "true");
    expect(selected).toEqual([best]);
    const model = JSON.parse(readFileSync(join(dir, "best.json"), "utf8"));
    expect([model.covariance_type, model.n_components]).toEqual([best[0], Number(best[1])]);
    const svg = readFileSync(join(dir, "bic.svg"), "utf8");
    checkWellFormed(svg);
    expect(svg.match(/<g class="series"/g)).toHaveLength(4);
    expect(svg).toContain('class="highlight"');
    expect(r.stderr).toMatch(/^selected by BIC: K=\d /);
    // --format json: the same columns under the same (snake_case) names, numbers as numbers
    const json = JSON.parse(
      run(["select", "faithful.csv", "--max-components", "4", "--seed", "0", "--format", "json"]).stdout,
    );
    expect(json.criterion).toBe("bic");
    expect(json.table).toHaveLength(16);
    for (const [i, row] of json.table.entries()) {
      expect(Object.keys(row)).toEqual(header);
      expect(row.covariance_type).toBe(rows[i][0]);
      expect(row.n_components).toBe(Number(rows[i][1]));
      expect(row.bic === null ? "" : String(row.bic)).toBe(rows[i][col("bic")]);
      expect(String(row.selected)).toBe(rows[i][col("selected")]);
    }
    expect(json.selected).toEqual(json.table.find((row: { selected: boolean }) => row.selected));
  });

  it("fit --select bic chooses the model select marks", () => {
    const r = run([
      "fit",
      "faithful.csv",
      "--select",
      "bic",
      "--max-components",
      "4",
      "--seed",
      "0",
      "--quiet",
      "--plot",
      "fit.svg",
    ]);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(readFileSync(join(dir, "best.json"), "utf8"));
    const svg = readFileSync(join(dir, "fit.svg"), "utf8");
    checkWellFormed(svg);
    expect(svg).toContain('class="highlight"');
    expect(svg).toContain("<ellipse ");
  });

  it("--components and --select together are refused", () => {
    const r = run(["fit", "faithful.csv", "--select", "bic", "-k", "2"]);
    expect(r.code).toBe(2);
    expect(r.stderr).toMatch(/^gmm-wasm fit: --components and --select do not go together/);
  });
});

describe("progress bar", () => {
  function fakeIO(enabled: boolean) {
    let t = 0;
    const out: string[] = [];
    const io = { stderr: (s: string) => void out.push(s), now: () => t, stderrColumns: 120 };
    const bar = new ProgressBar(io, enabled, { nInit: 2, maxIter: 100 });
    return { bar, out, tick: (ms: number) => (t += ms) };
  }
  const info = (iteration: number, init = 0) => ({
    init,
    iteration,
    lowerBound: -4.1234567,
    change: 0.1,
    params: () => ({ weights: [], means: [], covariances: [] }),
  });

  it("stays silent for the first second, then redraws one line at most every 100 ms, and erases it at the end", () => {
    const { bar, out, tick } = fakeIO(true);
    tick(999);
    bar.update(info(1));
    expect(out).toEqual([]);
    tick(1);
    bar.update(info(2));
    expect(out).toHaveLength(1);
    expect(out[0]).toMatch(
      /^\rfitting [█░]{20} {2}init 1\/2 {2}iteration 2\/100 {2}lower bound -4\.12346 {2}1\.0 s\x1b\[K$/,
    );
    tick(50);
    bar.update(info(3));
    expect(out).toHaveLength(1);
    tick(50);
    bar.update(info(50, 1));
    expect(out[1]).toContain("init 2/2  iteration 50/100");
    expect(out[1]).toContain("███████████████░░░░░"); // 75% of 20 cells
    bar.finish();
    expect(out[2]).toBe("\r\x1b[K");
  });

  it("shows progress through a selection grid, one step per fit", () => {
    const { bar, out, tick } = fakeIO(true);
    tick(1500);
    bar.updateGrid({ index: 9, total: 36, nComponents: 2, covarianceType: "tied" });
    expect(out[0]).toMatch(/^\rselecting █{5}░{15} {2}fit 10\/36 \(tied, K=2\) {2}1\.5 s\x1b\[K$/);
    bar.finish();
    expect(out[1]).toBe("\r\x1b[K");
  });

  it("draws nothing when disabled (stderr not a terminal, or --quiet)", () => {
    const { bar, out, tick } = fakeIO(false);
    tick(5000);
    bar.update(info(1));
    bar.finish();
    expect(out).toEqual([]);
  });

  it("a fit through the command writes no control characters to a piped stderr", () => {
    const r = run(["fit", "faithful.csv", "-k", "4", "--n-init", "3", "--seed", "0", "--out", "q.json"]);
    expect(r.code).toBe(0);
    expect(r.stderr).not.toMatch(/[\r\x1b]/);
  });
});
