// The release ABI plus hooks for the bench and the tests only, built as
// build/gmm-instrumented.wasm so they do not ship in gmm.wasm (about 1.2 kB
// gzipped): the machine's f64x2 multiply-add peak and the vector exp's
// throughput (peak.ts, for bench/), and the vector exp on a whole array
// (expRows, for its ULP test in test/kernels.test.ts).
export * from "./index";
export { expRows } from "./estep";
export { peakMultiplyAdd, peakExp } from "./peak";
