// Runs the threaded-fit check under node, deno or bun and prints JSON.
import { GaussianMixture, init } from "gmm-wasm";
import { threadedAgreement } from "./threads-scenario.mjs";

await init();
console.log(JSON.stringify(await threadedAgreement({ GaussianMixture })));
