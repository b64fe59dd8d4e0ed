// Synthetic data from a Gaussian mixture (issue #20, item 4), one command:
// `npm run example:synthetic`. Fits a mixture to the Swiss banknote
// measurements (data/banknote.csv: 200 notes × 6 lengths in mm; K and the
// covariance type by BIC, initParams "auto"), samples a synthetic copy of the
// same size and measures how close it is: per-feature means and standard
// deviations, the largest covariance and correlation differences, and the
// two-sample energy distance, beside two yardsticks (two halves of the real
// data; a copy drawn from one Gaussian fitted to the same rows). Then
// conditional sampling: rows like these, given the diagonal = v.
// Usage: node examples/synthetic.mjs
import { readFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
import { GaussianMixture, init, selectModel } from "../dist/index.js";

const DATA = new URL("../data/banknote.csv", import.meta.url);

function readCsv(url) {
  const [header, ...lines] = readFileSync(url, "utf8").trim().split("\n");
  return { names: header.split(","), rows: lines.map((line) => line.split(",").map(Number)) };
}

/** Rows of a { data, rows, cols } matrix as arrays. */
function rowsOf(m) {
  return Array.from({ length: m.rows }, (_, i) => Array.from(m.data.subarray(i * m.cols, (i + 1) * m.cols)));
}

function columnMeans(X) {
  const d = X[0].length;
  return Array.from({ length: d }, (_, j) => X.reduce((s, r) => s + r[j], 0) / X.length);
}

/** Sample covariance (n − 1). */
function covariance(X) {
  const m = columnMeans(X);
  const d = m.length;
  return Array.from({ length: d }, (_, a) =>
    Array.from({ length: d }, (_, b) => X.reduce((s, r) => s + (r[a] - m[a]) * (r[b] - m[b]), 0) / (X.length - 1)),
  );
}

function correlation(c) {
  return c.map((row, a) => row.map((v, b) => v / Math.sqrt(c[a][a] * c[b][b])));
}

/**
 * The largest differences between two data sets' second moments: of the
 * covariances (each entry divided by the real data's σ_a σ_b, so the features'
 * units cancel) and of the correlations.
 */
function momentGaps(real, copy) {
  const cr = covariance(real);
  const cc = covariance(copy);
  const rr = correlation(cr);
  const rc = correlation(cc);
  let cov = 0;
  let cor = 0;
  for (let a = 0; a < cr.length; a++) {
    for (let b = 0; b < cr.length; b++) {
      cov = Math.max(cov, Math.abs(cc[a][b] - cr[a][b]) / Math.sqrt(cr[a][a] * cr[b][b]));
      if (a !== b) cor = Math.max(cor, Math.abs(rc[a][b] - rr[a][b]));
    }
  }
  return { cov, cor };
}

/** A small seeded generator for the example's own shuffles (mulberry32). */
function generator(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function shuffle(n, random) {
  const order = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j], order[i]];
  }
  return order;
}

/**
 * The two-sample energy distance (Székely & Rizzo) between X (n rows) and Y
 * (m rows), each feature divided by `scale` (the real data's σ, so no unit
 * dominates): 2 E|X − Y| − E|X − X'| − E|Y − Y'|, with the within-sample means
 * over distinct pairs (the unbiased form, so samples of different sizes are
 * comparable; it can dip below 0 when the two are alike). `permutations`
 * relabelings of the pooled rows give a permutation p-value.
 */
export function energyDistance(X, Y, scale, { permutations = 0, seed = 1 } = {}) {
  const pooled = [...X, ...Y].map((r) => r.map((v, j) => v / scale[j]));
  const N = pooled.length;
  const dist = new Float64Array(N * N);
  for (let i = 0; i < N; i++) {
    for (let j = 0; j < i; j++) {
      let s = 0;
      for (let t = 0; t < pooled[i].length; t++) s += (pooled[i][t] - pooled[j][t]) ** 2;
      dist[i * N + j] = dist[j * N + i] = Math.sqrt(s);
    }
  }
  const n = X.length;
  const m = Y.length;
  const statistic = (inX) => {
    let xy = 0;
    let xx = 0;
    let yy = 0;
    for (let i = 0; i < N; i++) {
      for (let j = 0; j < i; j++) {
        const v = dist[i * N + j];
        if (inX[i] && inX[j]) xx += v;
        else if (!inX[i] && !inX[j]) yy += v;
        else xy += v;
      }
    }
    return (2 * xy) / (n * m) - (2 * xx) / (n * (n - 1)) - (2 * yy) / (m * (m - 1));
  };
  const labels = Array.from({ length: N }, (_, i) => i < n);
  const observed = statistic(labels);
  if (permutations === 0) return { statistic: observed };
  const random = generator(seed);
  let atLeast = 0;
  for (let p = 0; p < permutations; p++) {
    const order = shuffle(N, random);
    const relabeled = new Array(N);
    order.forEach((row, i) => {
      relabeled[row] = i < n;
    });
    if (statistic(relabeled) >= observed) atLeast++;
  }
  return { statistic: observed, pValue: (atLeast + 1) / (permutations + 1) };
}

const fmt = (v) => v.toFixed(3);

/**
 * The whole example; returns the measurements and the markdown it prints.
 * `draws`: synthetic copies (and random halvings) averaged for the
 * energy-distance yardstick column.
 */
export async function runSynthetic({ seed = 0, draws = 50, permutations = 199, conditionalRows = 2000 } = {}) {
  await init();
  const { names, rows: X } = readCsv(DATA);
  const n = X.length;
  const d = names.length;
  const started = performance.now();
  const { best, bestRow } = selectModel(X, {
    nComponents: [1, 2, 3, 4],
    covarianceTypes: ["full", "tied", "diag", "spherical"],
    criterion: "bic",
    randomState: seed,
    fitOptions: { initParams: "auto" },
  });
  const fitMs = performance.now() - started;
  const single = new GaussianMixture({ nComponents: 1, covarianceType: "full", randomState: seed }).fit(X);

  const synthetic = rowsOf(best.sample(n, { randomState: seed + 1 }).X);
  const gaussian = rowsOf(single.sample(n, { randomState: seed + 1 }).X);

  const sd = (rows) => covariance(rows).map((row, j) => Math.sqrt(row[j]));
  const scale = sd(X);
  const features = names.map((name, j) => ({
    name,
    realMean: columnMeans(X)[j],
    syntheticMean: columnMeans(synthetic)[j],
    gaussianMean: columnMeans(gaussian)[j],
    realSd: scale[j],
    syntheticSd: sd(synthetic)[j],
    gaussianSd: sd(gaussian)[j],
  }));

  // Halves of the real data: the distance two samples of the same notes have.
  const random = generator(seed + 7);
  const halves = () => {
    const order = shuffle(n, random);
    return [order.slice(0, n / 2).map((i) => X[i]), order.slice(n / 2).map((i) => X[i])];
  };
  const [h1, h2] = halves();
  const energy = {
    synthetic: energyDistance(X, synthetic, scale, { permutations, seed: seed + 2 }),
    halves: energyDistance(h1, h2, scale, { permutations, seed: seed + 3 }),
    gaussian: energyDistance(X, gaussian, scale, { permutations, seed: seed + 4 }),
  };
  // the same over more draws, since one energy distance of 200 rows is noisy
  const repeated = { synthetic: [], halves: [], gaussian: [] };
  for (let t = 0; t < draws; t++) {
    repeated.synthetic.push(
      energyDistance(X, rowsOf(best.sample(n, { randomState: seed + 100 + t }).X), scale).statistic,
    );
    repeated.gaussian.push(
      energyDistance(X, rowsOf(single.sample(n, { randomState: seed + 100 + t }).X), scale).statistic,
    );
    const [a, b] = halves();
    repeated.halves.push(energyDistance(a, b, scale).statistic);
  }
  const summary = (v) => {
    const mean = v.reduce((s, x) => s + x, 0) / v.length;
    return { mean, sd: Math.sqrt(v.reduce((s, x) => s + (x - mean) ** 2, 0) / (v.length - 1)) };
  };
  const gaps = { synthetic: momentGaps(X, synthetic), gaussian: momentGaps(X, gaussian), halves: momentGaps(h1, h2) };

  // Conditional sampling: notes like these, given the diagonal = v. The real
  // notes with a diagonal within ±0.2 mm of v stand beside them.
  const j = names.indexOf("Diagonal");
  const conditional = [139.6, 141.6].map((v, t) => {
    const { X: drawn } = best.sampleConditional([j], [v], conditionalRows, { randomState: seed + 10 + t });
    const rows = rowsOf(drawn);
    const mean = best.predictConditional([j], [[v]]);
    const others = names.map((_, f) => f).filter((f) => f !== j);
    const near = X.filter((r) => Math.abs(r[j] - v) <= 0.2);
    const sampleMean = columnMeans(rows);
    const sampleSd = sd(rows);
    return {
      feature: names[j],
      value: v,
      rows: conditionalRows,
      fixed: rows.every((r) => r[j] === v),
      weights: best.condition([j], [v]).weights,
      columns: others.map((f, t2) => ({
        name: names[f],
        index: f,
        conditionalMean: mean.data[t2],
        sampleMean: sampleMean[f],
        sampleSd: sampleSd[f],
        realNear: near.length ? columnMeans(near)[f] : NaN,
      })),
      nearCount: near.length,
    };
  });

  const lines = [];
  lines.push(`Swiss banknotes (data/banknote.csv): ${n} notes × ${d} measurements (mm)`);
  lines.push(
    `Chosen by BIC over K = 1…4 and four covariance types (initParams "auto"): ${best.covarianceType}, K = ${best.nComponents} (BIC ${bestRow.bic.toFixed(1)}; the grid took ${Math.round(fitMs)} ms)`,
  );
  lines.push("");
  lines.push(
    `Per feature, real against a synthetic copy of ${n} rows from the mixture and one from a single Gaussian:`,
  );
  lines.push("");
  lines.push(
    "| feature | real mean | GMM copy mean | 1-Gaussian copy mean | real sd | GMM copy sd | 1-Gaussian copy sd |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|---:|");
  for (const f of features) {
    lines.push(
      `| ${f.name} | ${fmt(f.realMean)} | ${fmt(f.syntheticMean)} | ${fmt(f.gaussianMean)} | ${fmt(f.realSd)} | ${fmt(f.syntheticSd)} | ${fmt(f.gaussianSd)} |`,
    );
  }
  lines.push("");
  lines.push(
    `Two-sample comparisons (energy distance on features scaled by the real σ; p: ${permutations} permutations; last column: mean ± sd over ${draws} more copies or halvings):`,
  );
  lines.push("");
  lines.push(
    "| comparison | largest Δ covariance / (σ_a σ_b) | largest Δ correlation | energy distance | permutation p | energy distance, mean ± sd |",
  );
  lines.push("|---|---:|---:|---:|---:|---:|");
  const row = (label, key) => {
    const s = summary(repeated[key]);
    lines.push(
      `| ${label} | ${gaps[key].cov.toFixed(3)} | ${gaps[key].cor.toFixed(3)} | ${energy[key].statistic.toFixed(4)} | ${energy[key].pValue.toFixed(3)} | ${s.mean.toFixed(4)} ± ${s.sd.toFixed(4)} |`,
    );
  };
  row(`real vs GMM copy (${best.covarianceType}, K = ${best.nComponents})`, "synthetic");
  row("real half vs real half (yardstick)", "halves");
  row("real vs single-Gaussian copy", "gaussian");
  for (const c of conditional) {
    lines.push("");
    lines.push(
      `Conditional sampling: ${c.rows} notes given ${c.feature} = ${c.value} (component weights given it: ${c.weights.map((w) => w.toFixed(3)).join(", ")}; ${c.nearCount} real notes within ±0.2 mm):`,
    );
    lines.push("");
    lines.push(
      "| feature | conditional mean (predictConditional) | sample mean | sample sd | mean of the real notes near |",
    );
    lines.push("|---|---:|---:|---:|---:|");
    for (const col of c.columns) {
      lines.push(
        `| ${col.name} | ${fmt(col.conditionalMean)} | ${fmt(col.sampleMean)} | ${fmt(col.sampleSd)} | ${Number.isNaN(col.realNear) ? "none" : fmt(col.realNear)} |`,
      );
    }
  }
  return {
    names,
    n,
    chosen: { covarianceType: best.covarianceType, nComponents: best.nComponents, bic: bestRow.bic },
    features,
    gaps,
    energy,
    repeated: Object.fromEntries(Object.entries(repeated).map(([k, v]) => [k, summary(v)])),
    conditional,
    markdown: lines.join("\n"),
    elapsedMs: performance.now() - started,
  };
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const result = await runSynthetic();
  console.log(result.markdown);
  console.log(`\n(${Math.round(result.elapsedMs)} ms)`);
}
