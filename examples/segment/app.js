// The segmentation page: reads a photo into a canvas, sends its pixels to the
// Web Worker, shows progress and draws the two result images. For tests the
// state is mirrored in #status (data-state: loading, idle, fitting, done,
// error) and window.gmmSegment (the last result without its images, and the
// pixels that were segmented).
const $ = (id) => document.getElementById(id);
const status = $("status");
const progress = $("progress");
const MAX_WIDTH = 400,
  MAX_HEIGHT = 300;

const state = { image: null, name: "", fitId: 0, last: null, workerReady: false };
window.gmmSegment = {
  result: null,
  /** The segmented pixels as RGB bytes (a plain array, for the test). */
  pixelsRGB() {
    const p = state.image?.pixels;
    if (!p) return null;
    const rgb = new Array((p.length / 4) * 3);
    for (let i = 0, j = 0; i < p.length; i += 4) {
      rgb[j++] = p[i];
      rgb[j++] = p[i + 1];
      rgb[j++] = p[i + 2];
    }
    return rgb;
  },
};

function setStatus(kind, text) {
  status.dataset.state = kind;
  status.textContent = text;
}

function showProgress(value) {
  progress.hidden = value === null;
  if (value === undefined) progress.removeAttribute("value");
  else if (value !== null) progress.value = value;
}

/**
 * Decodes a photo and reads its pixels through a canvas, painted white first
 * so that transparent pixels become white ones. A PNG without a colour
 * profile is read exactly as stored (the test checks the shipped photo byte
 * for byte against Node's decoder); photos with a profile are converted to
 * sRGB, as the browser shows them.
 */
async function readPhoto(blob) {
  let bitmap = await createImageBitmap(blob);
  const scale = Math.min(1, MAX_WIDTH / bitmap.width, MAX_HEIGHT / bitmap.height);
  if (scale < 1) {
    const resizeWidth = Math.max(1, Math.round(bitmap.width * scale));
    const resizeHeight = Math.max(1, Math.round(bitmap.height * scale));
    bitmap.close();
    bitmap = await createImageBitmap(blob, { resizeWidth, resizeHeight, resizeQuality: "high" });
  }
  const { width, height } = bitmap;
  const canvas = $("original");
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext("2d", { willReadFrequently: true });
  ctx.fillStyle = "#fff";
  ctx.fillRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  return { width, height, pixels: ctx.getImageData(0, 0, width, height).data, scaled: scale < 1 };
}

async function loadPhoto(blob, name) {
  try {
    setStatus("loading", `Reading ${name}…`);
    state.image = await readPhoto(blob);
    state.name = name;
    const { width, height, scaled } = state.image;
    $("original-caption").textContent = `${name}: ${width} × ${height} pixels${scaled ? " (scaled down)" : ""}.`;
    for (const id of ["segmentation", "unusual"]) {
      const c = $(id);
      c.width = width;
      c.height = height;
    }
    $("summary").replaceChildren();
    run();
  } catch (e) {
    setStatus("error", `Could not read ${name}: ${e?.message ?? e}`);
  }
}

function run() {
  if (!state.image) {
    setStatus("error", "No photo yet: pick or drop one, or load the sample.");
    return;
  }
  if (!state.workerReady) return; // runs when the worker is ready
  const kValue = $("k").value;
  const k = kValue === "bic" ? "bic" : Number(kValue);
  const seed = Number($("seed").value) || 0;
  const id = ++state.fitId;
  window.gmmSegment.result = null;
  setStatus("fitting", k === "bic" ? "Choosing K by BIC…" : `Fitting K = ${k}…`);
  showProgress(0);
  const { width, height, pixels } = state.image;
  worker.postMessage({ type: "segment", id, width, height, pixels: pixels.slice(), k, seed });
}

function putImage(id, rgba, width, height) {
  $(id)
    .getContext("2d")
    .putImageData(new ImageData(rgba, width, height), 0, 0);
}

function ms(v) {
  return v < 1000 ? `${v.toFixed(0)} ms` : `${(v / 1000).toFixed(2)} s`;
}

function showSummary(msg) {
  const m = msg.model;
  const n = msg.width * msg.height;
  const rows = m.weights_.map((w, i) => {
    const c = m.means_[i].map((v) => Math.min(255, Math.max(0, Math.round(v))));
    return `<tr><th><span class="chip" style="background: rgb(${c.join(",")})"></span>${i}</th><td>${(100 * w).toFixed(1)} %</td><td>${((100 * msg.counts[i]) / n).toFixed(1)} %</td><td>${c.join(", ")}</td></tr>`;
  });
  const selection = msg.selection
    ? `<div><div>BIC on ${msg.selection.sampleSize} random pixels (${ms(msg.selection.ms)}):</div>
       <table><tr><th>K</th><td>BIC</td></tr>${msg.selection.table.map((r) => `<tr class="${r.selected ? "selected" : ""}"><th>${r.nComponents}</th><td>${r.bic.toFixed(0)}${r.degenerate ? " (collapsed)" : ""}</td></tr>`).join("")}</table></div>`
    : "";
  const warning = msg.degenerate.length
    ? `<div style="color:#b00020">Collapsed component(s): ${msg.degenerate.map((d) => `${d.component} (${d.reason})`).join("; ")}</div>`
    : "";
  $("summary").innerHTML = `
    <div>
      <div><b>K = ${m.n_components}</b>, ${m.n_iter_} EM iterations${m.converged_ ? "" : " (not converged)"}, lower bound ${m.lower_bound_.toFixed(4)} per pixel</div>
      <div>EM on ${n} pixels: ${ms(msg.fitMs)}; everything: ${ms(msg.totalMs)}</div>
      <table><tr><th>component</th><td>weight</td><td>pixels</td><td>mean R, G, B</td></tr>${rows.join("")}</table>
      ${warning}
    </div>
    ${selection}`;
}

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
worker.onmessage = ({ data: msg }) => {
  if (msg.type === "ready") {
    state.workerReady = true;
    $("run").disabled = false;
    if (state.image) run();
    else setStatus("idle", "Ready. Pick or drop a photo, or load the sample.");
    return;
  }
  if (msg.id !== state.fitId && msg.id !== 0) return; // from a run that was superseded
  if (msg.type === "select") {
    showProgress(msg.index / msg.total);
    setStatus("fitting", `Choosing K by BIC: fit ${msg.index + 1} of ${msg.total} (K = ${msg.nComponents})…`);
  } else if (msg.type === "iteration") {
    showProgress(undefined);
    status.dataset.iterations = String(msg.iteration);
    setStatus("fitting", `EM on every pixel: iteration ${msg.iteration}, lower bound ${msg.lowerBound.toFixed(4)}…`);
  } else if (msg.type === "done") {
    putImage("segmentation", msg.segmentation, msg.width, msg.height);
    putImage("unusual", msg.unusual, msg.width, msg.height);
    showSummary(msg);
    showProgress(null);
    const { segmentation, unusual, ...result } = msg;
    window.gmmSegment.result = result;
    setStatus("done", `Segmented ${state.name} into ${msg.model.n_components} colours in ${ms(msg.totalMs)}.`);
  } else if (msg.type === "error") {
    showProgress(null);
    setStatus("error", msg.message);
  }
};
worker.onerror = (e) => setStatus("error", `Worker failed: ${e.message}`);

$("file").addEventListener("change", (e) => {
  const file = e.target.files?.[0];
  if (file) loadPhoto(file, file.name);
});
$("sample").addEventListener("click", async () => {
  try {
    const res = await fetch("./coffee.png");
    if (!res.ok) throw new Error(`HTTP ${res.status}`);
    await loadPhoto(await res.blob(), "coffee.png");
  } catch (e) {
    setStatus("error", `Could not load the sample photo: ${e?.message ?? e}`);
  }
});
$("run").addEventListener("click", run);
const drop = $("drop");
for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (e) => {
    e.preventDefault();
    drop.classList.add("over");
  });
}
document.addEventListener("dragleave", (e) => {
  if (e.target === document.documentElement || !e.relatedTarget) drop.classList.remove("over");
});
document.addEventListener("drop", (e) => {
  e.preventDefault();
  drop.classList.remove("over");
  const file = [...(e.dataTransfer?.files ?? [])].find((f) => f.type.startsWith("image/"));
  if (file) loadPhoto(file, file.name);
  else setStatus("error", "Drop an image file (PNG, JPEG, WebP…).");
});
