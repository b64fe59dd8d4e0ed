// Tests import the TypeScript sources; load the freshly built core for them.
import { readFileSync } from "node:fs";
import { init } from "../src/index.js";

await init(readFileSync(new URL("../build/gmm.wasm", import.meta.url)));
