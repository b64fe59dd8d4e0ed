// Runs the segmentation off the main thread (a module Web Worker). Messages in:
// { type: "segment", id, width, height, pixels (RGBA bytes), k ("bic" or a
// number), seed }. Messages out: "ready"; "select" before each fit of the BIC
// grid; "iteration" after each EM iteration of the final fit; "done" with the
// model, the two result images and the timings; "error".
import * as lib from "/dist/index.js";
import { segment, segmentationImage, unusualImage } from "./segment.js";

const ready = lib.init();
ready.then(
  () => postMessage({ type: "ready" }),
  (e) => postMessage({ type: "error", id: 0, message: String(e?.message ?? e) }),
);

self.onmessage = async ({ data: msg }) => {
  if (msg.type !== "segment") return;
  const { id, width, height, pixels, k, seed } = msg;
  try {
    await ready;
    const t0 = performance.now();
    const result = segment(lib, pixels, {
      k,
      seed,
      stride: 4,
      onSelect: ({ index, total, nComponents }) => postMessage({ type: "select", id, index, total, nComponents }),
      onIteration: ({ iteration, lowerBound, change }) =>
        postMessage({ type: "iteration", id, iteration, lowerBound, change }),
    });
    const { gmm, labels, logDensity } = result;
    const segmentation = segmentationImage(labels, gmm.means);
    const unusual = unusualImage(logDensity);
    const counts = new Array(gmm.nComponents).fill(0);
    for (const l of labels) counts[l]++;
    let logDensitySum = 0;
    for (const v of logDensity) logDensitySum += v;
    const totalMs = performance.now() - t0;
    postMessage(
      {
        type: "done",
        id,
        width,
        height,
        model: gmm.toJSON(),
        selection: result.selection,
        fitMs: result.fitMs,
        totalMs,
        degenerate: gmm.degenerate,
        counts,
        logDensitySum,
        typical: unusual.typical,
        rare: unusual.rare,
        segmentation,
        unusual: unusual.rgba,
      },
      [segmentation.buffer, unusual.rgba.buffer],
    );
  } catch (e) {
    let message = String(e?.message ?? e);
    // An image of a few exact colours (a flat graphic) collapses every component of every K.
    if (k === "bic" && message.startsWith("selectModel: no usable fit"))
      message = `No K from 2 to 8 gave a usable fit: with few distinct colours each component collapses onto one exact colour. Choose K instead. (${message})`;
    postMessage({ type: "error", id, message });
  }
};
