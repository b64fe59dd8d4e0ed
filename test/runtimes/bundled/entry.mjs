// A page's code as an application writes it: the package imported by name,
// init() with no argument, nothing else configured. bundlers.test.ts bundles
// this with esbuild for the browser into a folder holding only the bundle
// (no gmm.wasm, no em-worker.js) and runs it in Chromium.
import * as lib from "gmm-wasm";
import { runScenario, toBits } from "../scenario.mjs";
import { threadedAgreement } from "../threads-scenario.mjs";

window.bundled = {
  async scenario(X) {
    await lib.init();
    return toBits(runScenario(lib, X));
  },
  async threads() {
    await lib.init();
    return threadedAgreement(lib);
  },
  async missingWorker(X) {
    await lib.init();
    try {
      await new lib.GaussianMixture({ nComponents: 2 }).fitAsync(X, {
        nThreads: 2,
        workerUrl: "/no/such/em-worker.js",
      });
      return "resolved";
    } catch (e) {
      return e.message;
    }
  },
};
