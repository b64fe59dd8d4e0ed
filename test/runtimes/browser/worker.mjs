// Module Web Worker: loads the package itself (import maps do not reach
// workers, so by path) and runs what the page asks for.
import * as lib from "/dist/index.js";
import { heavyFit, runScenario, toBits } from "/test/runtimes/scenario.mjs";

const ready = lib.init();
const tasks = {
  scenario: (X) => toBits(runScenario(lib, X)),
  heavy: (X) => heavyFit(lib, X),
};

self.onmessage = async ({ data: { id, task, X } }) => {
  try {
    await ready;
    self.postMessage({ id, value: tasks[task](X) });
  } catch (e) {
    self.postMessage({ id, error: String(e?.stack ?? e) });
  }
};
