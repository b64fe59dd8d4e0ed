// The demo page: points on a canvas, a Worker that runs EM, and the model's
// 1σ/2σ ellipses redrawn after each iteration. The ellipse geometry and the
// CSV reader are the library's own (dist/svg.js, dist/csv.js). The page's
// state is mirrored in data attributes (canvas: data-points, data-ellipses,
// data-frames, data-active, data-active-history; #status: data-state,
// data-iterations, data-log-likelihood, data-lower-bound) so a test can read it.

import { parseTable } from "/dist/csv.js";
import { components2D, niceTicks, PALETTE, screenEllipse } from "/dist/svg.js";

const $ = (id) => document.getElementById(id);
const canvas = $("plot");
const status = $("status");
const ctx = canvas.getContext("2d");
const W = 720,
  H = 480;
const M = { left: 58, right: 14, top: 14, bottom: 46 };
const PW = W - M.left - M.right,
  PH = H - M.top - M.bottom;

// High-density screens: draw at device resolution, lay out in CSS pixels.
const dpr = window.devicePixelRatio || 1;
canvas.width = W * dpr;
canvas.height = H * dpr;
ctx.scale(dpr, dpr);

const DEFAULT_VIEW = { x0: 0, x1: 10, y0: 0, y1: 10 };
/** A Bayesian fit's component is on while its weight exceeds this (the library's effectiveComponents threshold). */
const ON_WEIGHT = 0.01;
const state = {
  points: [],
  names: ["x", "y"],
  view: { ...DEFAULT_VIEW },
  labels: null,
  model: null,
  fitId: 0,
  frames: 0,
  bayesian: false,
  // components on after each iteration of a Bayesian fit
  activeHistory: [],
};

const px = (x) => M.left + ((x - state.view.x0) / (state.view.x1 - state.view.x0)) * PW;
const py = (y) => M.top + PH - ((y - state.view.y0) / (state.view.y1 - state.view.y0)) * PH;
const fromPx = (X, Y) => [
  state.view.x0 + ((X - M.left) / PW) * (state.view.x1 - state.view.x0),
  state.view.y0 + ((M.top + PH - Y) / PH) * (state.view.y1 - state.view.y0),
];

function setStatus(kind, text) {
  status.dataset.state = kind;
  status.textContent = text;
}

function formatTick(v, decimals) {
  return v.toFixed(decimals).replace("-", "−");
}

function drawAxes() {
  ctx.font = "12px system-ui, sans-serif";
  ctx.fillStyle = "#222";
  ctx.lineWidth = 1;
  const xt = niceTicks(state.view.x0, state.view.x1, 8);
  const yt = niceTicks(state.view.y0, state.view.y1, 6);
  ctx.textAlign = "center";
  ctx.textBaseline = "top";
  for (const t of xt.ticks) {
    const x = Math.round(px(t)) + 0.5;
    ctx.strokeStyle = "#e8e8e8";
    ctx.beginPath();
    ctx.moveTo(x, M.top);
    ctx.lineTo(x, M.top + PH);
    ctx.stroke();
    ctx.strokeStyle = "#333";
    ctx.beginPath();
    ctx.moveTo(x, M.top + PH);
    ctx.lineTo(x, M.top + PH + 5);
    ctx.stroke();
    ctx.fillText(formatTick(t, xt.decimals), x, M.top + PH + 8);
  }
  ctx.textAlign = "right";
  ctx.textBaseline = "middle";
  for (const t of yt.ticks) {
    const y = Math.round(py(t)) + 0.5;
    ctx.strokeStyle = "#e8e8e8";
    ctx.beginPath();
    ctx.moveTo(M.left, y);
    ctx.lineTo(M.left + PW, y);
    ctx.stroke();
    ctx.strokeStyle = "#333";
    ctx.beginPath();
    ctx.moveTo(M.left - 5, y);
    ctx.lineTo(M.left, y);
    ctx.stroke();
    ctx.fillText(formatTick(t, yt.decimals), M.left - 8, y);
  }
  ctx.strokeStyle = "#333";
  ctx.strokeRect(M.left + 0.5, M.top + 0.5, PW, PH);
  ctx.font = "13px system-ui, sans-serif";
  ctx.textAlign = "center";
  ctx.textBaseline = "alphabetic";
  ctx.fillText(state.names[0], M.left + PW / 2, H - 8);
  ctx.save();
  ctx.translate(16, M.top + PH / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText(state.names[1], 0, 0);
  ctx.restore();
}

function draw() {
  ctx.clearRect(0, 0, W, H);
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, W, H);
  drawAxes();
  ctx.save();
  ctx.beginPath();
  ctx.rect(M.left, M.top, PW, PH);
  ctx.clip();
  state.points.forEach(([x, y], i) => {
    const label = state.labels?.[i];
    ctx.fillStyle = label === undefined ? "#777" : PALETTE[label % PALETTE.length];
    ctx.globalAlpha = 0.65;
    ctx.beginPath();
    ctx.arc(px(x), py(y), 3, 0, 2 * Math.PI);
    ctx.fill();
  });
  ctx.globalAlpha = 1;
  let ellipses = 0;
  if (state.model) {
    const sx = PW / (state.view.x1 - state.view.x0);
    const sy = PH / (state.view.y1 - state.view.y0);
    components2D(state.model).forEach((c, index) => {
      const weight = state.model.weights[index];
      // a switched-off component is not drawn; one on its way out fades with its weight
      if (state.bayesian && !(weight > ON_WEIGHT)) return;
      ctx.globalAlpha = state.bayesian ? Math.min(1, 0.25 + weight * 7.5) : 1;
      ctx.strokeStyle = PALETTE[index % PALETTE.length];
      for (const sigma of [1, 2]) {
        const e = screenEllipse([px(c.mean[0]), py(c.mean[1])], c.cov, sigma, sx, sy);
        if (!(Number.isFinite(e.rx) && Number.isFinite(e.ry))) continue;
        ctx.lineWidth = sigma === 1 ? 2.2 : 1.5;
        ctx.setLineDash(sigma === 1 ? [] : [6, 4]);
        ctx.beginPath();
        ctx.ellipse(e.cx, e.cy, e.rx, e.ry, (e.angle * Math.PI) / 180, 0, 2 * Math.PI);
        ctx.stroke();
        ellipses++;
      }
      ctx.setLineDash([]);
      ctx.strokeStyle = "#111";
      ctx.lineWidth = 2;
      const mx = px(c.mean[0]),
        my = py(c.mean[1]);
      ctx.beginPath();
      ctx.moveTo(mx - 6, my);
      ctx.lineTo(mx + 6, my);
      ctx.moveTo(mx, my - 6);
      ctx.lineTo(mx, my + 6);
      ctx.stroke();
      ctx.globalAlpha = 1;
    });
  }
  ctx.restore();
  canvas.dataset.points = String(state.points.length);
  canvas.dataset.ellipses = String(ellipses);
  canvas.dataset.frames = String(state.frames);
  canvas.dataset.active = state.model && state.bayesian ? String(activeComponents(state.model)) : "";
  canvas.dataset.activeHistory = state.activeHistory.join(",");
}

function activeComponents(model) {
  return model.weights.filter((w) => w > ON_WEIGHT).length;
}

/** Fits the view to the points, with a margin. */
function frame() {
  if (state.points.length === 0) {
    state.view = { ...DEFAULT_VIEW };
    return;
  }
  const xs = state.points.map((p) => p[0]),
    ys = state.points.map((p) => p[1]);
  const [x0, x1, y0, y1] = [Math.min(...xs), Math.max(...xs), Math.min(...ys), Math.max(...ys)];
  const padX = (x1 - x0 || 1) * 0.12,
    padY = (y1 - y0 || 1) * 0.12;
  state.view = { x0: x0 - padX, x1: x1 + padX, y0: y0 - padY, y1: y1 + padY };
}

function forgetModel() {
  state.model = null;
  state.labels = null;
  state.frames = 0;
  state.activeHistory = [];
  $("loglik").textContent = "—";
  $("active").textContent = "—";
  delete status.dataset.logLikelihood;
  delete status.dataset.lowerBound;
  delete status.dataset.iterations;
}

function cancelFit() {
  worker.postMessage({ type: "cancel" });
  state.fitId++;
}

canvas.addEventListener("click", (event) => {
  const r = canvas.getBoundingClientRect();
  const X = ((event.clientX - r.left) / r.width) * W;
  const Y = ((event.clientY - r.top) / r.height) * H;
  if (X < M.left || X > M.left + PW || Y < M.top || Y > M.top + PH) return;
  state.points.push(fromPx(X, Y));
  // The new point stays grey (it has no label) until the next fit.
  draw();
});

$("load-faithful").addEventListener("click", async () => {
  cancelFit();
  try {
    const response = await fetch("/data/faithful.csv");
    if (!response.ok) throw new Error(`GET /data/faithful.csv: HTTP ${response.status}`);
    const table = parseTable(await response.text());
    state.points = Array.from({ length: table.rows }, (_, i) => [
      table.data[i * table.cols],
      table.data[i * table.cols + 1],
    ]);
    state.names = table.header ? [`${table.header[0]} (minutes)`, `${table.header[1]} (minutes)`] : ["x", "y"];
    forgetModel();
    frame();
    draw();
    setStatus("idle", `Loaded Old Faithful: ${table.rows} eruptions.`);
  } catch (e) {
    setStatus("error", String(e.message ?? e));
  }
});

$("clear").addEventListener("click", () => {
  cancelFit();
  state.points = [];
  state.names = ["x", "y"];
  forgetModel();
  frame();
  draw();
  setStatus("idle", "Cleared. Click the canvas to add points.");
});

$("fit").addEventListener("click", () => {
  const k = Number($("k").value);
  const covarianceType = $("covariance").value;
  const seed = Number($("seed").value);
  const delay = Math.max(0, Number($("delay").value) || 0);
  const bayesian = $("bayesian").checked;
  if (state.points.length === 0) {
    setStatus("error", "No points: click the canvas or load Old Faithful first.");
    return;
  }
  forgetModel();
  state.bayesian = bayesian;
  $("loglik-label").textContent = bayesian ? "lower bound (ELBO)" : "log-likelihood";
  $("active-line").hidden = !bayesian;
  const id = ++state.fitId;
  status.dataset.fitId = String(id);
  setStatus(
    "fitting",
    `Fitting ${bayesian ? "at most " : ""}K = ${k}, ${covarianceType}${bayesian ? ", Dirichlet process" : ""}…`,
  );
  worker.postMessage({ type: "fit", id, X: state.points, k, covarianceType, seed, delay, bayesian });
  draw();
});

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onmessage = ({ data: msg }) => {
  if (msg.type === "ready") {
    $("fit").disabled = false;
    setStatus("idle", "Ready. Load Old Faithful or click to add points, then press Fit.");
    return;
  }
  if (msg.id !== state.fitId) return; // from a fit that was superseded
  const n = state.points.length;
  if (msg.type === "iteration") {
    state.model = msg.model;
    state.labels = msg.labels;
    state.frames++;
    status.dataset.iterations = String(msg.iteration);
    // GaussianMixture's lower bound is per row; the variational one is a total
    const shown = state.bayesian ? msg.lowerBound : msg.lowerBound * n;
    $("loglik").textContent = `${shown.toFixed(3)} (iteration ${msg.iteration})`;
    if (state.bayesian) {
      const on = activeComponents(msg.model);
      state.activeHistory.push(on);
      $("active").textContent = `${on} of ${msg.model.weights.length}`;
    }
    draw();
  } else if (msg.type === "done") {
    state.model = msg.model;
    state.labels = msg.labels;
    status.dataset.iterations = String(msg.iteration);
    const after = `${msg.converged ? "Converged" : "Stopped (not converged)"} after ${msg.iteration} iteration${msg.iteration === 1 ? "" : "s"}.`;
    if (state.bayesian) {
      status.dataset.lowerBound = String(msg.lowerBound);
      $("loglik").textContent = msg.lowerBound.toFixed(3);
      $("active").textContent = `${msg.effectiveComponents} of ${msg.model.weights.length}`;
      setStatus("done", `${after} ${msg.effectiveComponents} of ${msg.model.weights.length} components on.`);
    } else {
      status.dataset.logLikelihood = String(msg.logLikelihood);
      $("loglik").textContent = msg.logLikelihood.toFixed(3);
      setStatus("done", `${after} BIC ${msg.bic.toFixed(2)}.`);
    }
    draw();
  } else if (msg.type === "error") {
    setStatus("error", msg.message);
    draw();
  }
};
worker.onerror = (e) => setStatus("error", `Worker failed: ${e.message}`);

draw();
