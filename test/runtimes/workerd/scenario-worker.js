// Test-only worker: fits inside workerd. POST the data (number[][] as JSON)
// and get the shared scenario's result bits back.

import * as lib from "gmm-wasm";
import wasm from "gmm-wasm/gmm.wasm";
import { runScenario, toBits } from "../scenario.mjs";

await lib.init(wasm);

export default {
  async fetch(request) {
    return Response.json(toBits(runScenario(lib, await request.json())));
  },
};
