# workerd configuration for the bundled worker (node build.mjs first).
# Serve it with: npx workerd serve config.capnp
# then: curl -X POST localhost:8787/score -d '{"rows": [[3.6, 79], [1.8, 54]]}'
using Workerd = import "/workerd/workerd.capnp";

const config :Workerd.Config = (
  services = [(name = "main", worker = .gmmWorker)],
  sockets = [(name = "http", address = "127.0.0.1:8787", http = (), service = "main")],
);

const gmmWorker :Workerd.Worker = (
  modules = [
    (name = "worker.js", esModule = embed "dist/worker.js"),
    (name = "gmm.wasm", wasm = embed "dist/gmm.wasm"),
  ],
  compatibilityDate = "2026-04-26",
);
