// Development aid: instructions per call of one kernel, counted by valgrind's
// callgrind, so that kernel changes can be compared on a shared, noisy machine
// (instruction counts do not depend on what the other core is doing).
//
//   node bench/icount.mjs KERNEL [type=full] [d=2] [k=8] [n=20000] [wasm=build/gmm.wasm,...]
//
// Each wasm file given (comma-separated) is run in two processes under
// `valgrind --tool=callgrind --dump-instr=yes`, one calling the kernel REPS
// times (ICOUNT_REPS, default 3) and one 0 times, with V8 printing the
// machine code it compiled (--print-wasm-code); only instructions at the
// addresses of that code are counted, so the JavaScript around the calls
// (its garbage collector and JIT vary from run to run) is not, and the
// difference of the two runs over REPS is exact and repeatable. Node runs
// with --predictable and address-space randomisation off (setarch -R), so
// both processes lay out code alike; wasm is compiled by TurboFan only (no
// Liftoff, no tier-up, eagerly), which is the code a long fit runs. Per
// function figures use the names in the .wat beside the .wasm, if there is one.
//
// Kernels and their set-up: bench/kernel-call.mjs.
//
// The same file run with --child does the work inside the counted process.
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { prepareKernel } from "./kernel-call.mjs";

const REPS = Number(process.env.ICOUNT_REPS ?? 3);

if (process.argv[2] === "--child") {
  const [, , , wasm, kernel, type, d, k, n, reps] = process.argv;
  await child(wasm, kernel, type, Number(d), Number(k), Number(n), Number(reps));
  process.exit(0);
}

const [kernel = "estep", type = "full", d = "2", k = "8", n = "20000", wasms = "build/gmm.wasm"] =
  process.argv.slice(2);
const self = fileURLToPath(import.meta.url);
const tmp = mkdtempSync(join(tmpdir(), "icount-"));
process.on("exit", () => rmSync(tmp, { recursive: true, force: true }));

/** Instructions executed at each address of wasm code, by function index. */
function counted(wasm, reps) {
  const cg = join(tmp, "cg.out");
  const listing = execFileSync(
    "setarch",
    [
      "-R",
      "valgrind",
      "--tool=callgrind",
      "--dump-instr=yes",
      `--callgrind-out-file=${cg}`,
      process.execPath,
      "--predictable",
      "--hash-seed=1",
      "--random-seed=1",
      "--no-liftoff",
      "--no-wasm-tier-up",
      "--no-wasm-lazy-compilation",
      "--print-wasm-code",
      self,
      "--child",
      wasm,
      kernel,
      type,
      d,
      k,
      n,
      String(reps),
    ],
    { stdio: ["ignore", "pipe", "ignore"], maxBuffer: 1 << 30 },
  ).toString();
  const owner = new Map(); // address → function index
  const text = new Map(); // address → its disassembly line
  let fn = -1;
  for (const line of listing.split("\n")) {
    const name = /^name: wasm-function\[(\d+)\]/.exec(line);
    if (name) {
      fn = Number(name[1]);
      continue;
    }
    if (line.startsWith("--- End code")) {
      fn = -1;
      continue;
    }
    const ins = fn >= 0 && /^0x([0-9a-f]+)\s/.exec(line);
    if (ins) {
      owner.set(parseInt(ins[1], 16), fn);
      text.set(parseInt(ins[1], 16), line);
    }
  }
  // callgrind's format: "positions: instr line", so cost lines are
  // "<address> <line> <Ir>", addresses absolute (0x…), relative (+n, −n) or
  // repeated (*); the line after a calls= line is the call's inclusive cost
  const byFn = new Map();
  const byAddress = new Map();
  let last = 0;
  let skip = false;
  const pos = (p) =>
    p.startsWith("0x")
      ? parseInt(p, 16)
      : p[0] === "+"
        ? last + Number(p.slice(1))
        : p[0] === "-"
          ? last - Number(p.slice(1))
          : p === "*"
            ? last
            : Number(p);
  for (const line of readFileSync(cg, "utf8").split("\n")) {
    if (line.startsWith("calls=")) {
      skip = true;
      continue;
    }
    const c = line.charCodeAt(0);
    if (!(c === 43 || c === 45 || c === 42 || (c >= 48 && c <= 57))) continue;
    const parts = line.split(" ");
    last = pos(parts[0]);
    if (skip) {
      skip = false;
      continue;
    }
    const f = owner.get(last);
    if (f !== undefined && parts.length > 2) {
      byFn.set(f, (byFn.get(f) ?? 0) + Number(parts[2]));
      byAddress.set(last, (byAddress.get(last) ?? 0) + Number(parts[2]));
    }
  }
  return Object.assign(byFn, { byAddress, owner, text });
}

function names(wasm) {
  const wat = wasm.replace(/\.wasm$/, ".wat");
  if (!existsSync(wat)) return [];
  return readFileSync(wat, "utf8")
    .split("\n")
    .filter((l) => l.startsWith(" (func "))
    .map((l) => l.split(" ")[2]);
}

for (const wasm of wasms.split(",")) {
  const a = counted(wasm, REPS);
  const b = counted(wasm, 0);
  const fnNames = names(wasm);
  const per = [...a]
    .map(([f, v]) => [fnNames[f] ?? `wasm-function[${f}]`, (v - (b.get(f) ?? 0)) / REPS])
    .filter(([, v]) => v !== 0)
    .sort((x, y) => y[1] - x[1]);
  const total = per.reduce((s, [, v]) => s + v, 0);
  if (process.env.ICOUNT_ANNOTATE) annotate(wasm, a, b, fnNames, process.env.ICOUNT_ANNOTATE);
  console.log(
    `${wasm}: ${kernel} ${type} d=${d} K=${k} n=${n}: ${(total / 1e6).toFixed(3)} M instructions per call, ${(total / Number(n)).toFixed(1)} per row` +
      (per.length > 1
        ? ` (${per
            .slice(0, 4)
            .map(([f, v]) => `${f.replace(/^\$assembly\//, "")} ${(v / Number(n)).toFixed(1)}`)
            .join(", ")})`
        : ""),
  );
}

/**
 * ICOUNT_ANNOTATE=file: the machine code of every function that ran, each
 * instruction with its count per row (the counted run minus the empty one),
 * so a kernel's hot loops can be read instruction by instruction.
 */
function annotate(wasm, a, b, fnNames, file) {
  const out = [];
  const rows = Number(n) * REPS;
  const fns = [...new Set(a.owner.values())].filter((f) => (a.get(f) ?? 0) > (b.get(f) ?? 0));
  for (const f of fns) {
    out.push(`== ${fnNames[f] ?? `wasm-function[${f}]`} (${wasm})`);
    for (const [address, line] of a.text) {
      if (a.owner.get(address) !== f) continue;
      const per = ((a.byAddress.get(address) ?? 0) - (b.byAddress.get(address) ?? 0)) / rows;
      out.push(`${per.toFixed(2).padStart(8)}  ${line}`);
    }
  }
  writeFileSync(file, `${out.join("\n")}\n`, { flag: "a" });
}

async function child(wasm, kernel, type, d, k, n, reps) {
  const call = await prepareKernel(readFileSync(wasm), kernel, type, d, k, n);
  for (let r = 0; r < reps; r++) call();
}
