// Test page: runs the shared scenario on the main thread and in a module Web
// Worker, and measures whether the main thread keeps ticking while a fit runs.
// chromium.test.ts drives it through `window.gmmTest`.
import * as lib from "gmm-wasm";
import { heavyFit, runScenario, toBits } from "/test/runtimes/scenario.mjs";

const worker = new Worker(new URL("./worker.mjs", import.meta.url), { type: "module" });
let nextId = 0;
const pending = new Map();
worker.onmessage = ({ data }) => {
  const { id, error, value } = data;
  const { resolve, reject } = pending.get(id);
  pending.delete(id);
  if (error) reject(new Error(`worker: ${error}`));
  else resolve(value);
};
worker.onerror = (e) => {
  // A worker that fails to load never answers: fail whatever waits for it.
  for (const { reject } of pending.values()) reject(new Error(`worker failed: ${e.message}`));
  pending.clear();
};

function inWorker(task, X) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, task, X });
  });
}

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Runs `job` while a setTimeout(0) loop and requestAnimationFrame record
 * when the main thread gets control; returns the job's value, how often each
 * fired during the run and the longest gap between timer ticks.
 */
async function measureMainThread(job) {
  const ticks = [];
  let frames = 0;
  let running = true;
  const tick = () => {
    ticks.push(performance.now());
    if (running) setTimeout(tick, 0);
  };
  const frame = () => {
    frames++;
    if (running) requestAnimationFrame(frame);
  };
  tick();
  requestAnimationFrame(frame);
  await pause(30);
  const start = performance.now();
  const ticksBefore = ticks.length;
  const framesBefore = frames;
  const value = await job();
  const end = performance.now();
  const ticksDuring = ticks.length - ticksBefore;
  const framesDuring = frames - framesBefore;
  await pause(30);
  running = false;
  let maxGap = 0;
  for (let i = 1; i < ticks.length; i++) maxGap = Math.max(maxGap, ticks[i] - ticks[i - 1]);
  return { value, elapsed: end - start, ticksDuring, framesDuring, maxGap };
}

await lib.init();

window.gmmTest = {
  userAgent: navigator.userAgent,
  mainThread: (X) => toBits(runScenario(lib, X)),
  worker: (X) => inWorker("scenario", X),
  heavyOnMainThread: (X) => measureMainThread(async () => heavyFit(lib, X)),
  heavyInWorker: (X) => measureMainThread(() => inWorker("heavy", X)),
};
