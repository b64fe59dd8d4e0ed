# workerd configuration for the test-only scenario worker (bundled by workerd.test.ts).
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .scenarioWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8788", http = (), service = "main")],
);

const scenarioWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/scenario-worker.js"),
    (name = "gmm.wasm", wasm = embed "dist/gmm.wasm"),
  ],
  compatibilityDate = "2026-04-26",
);
