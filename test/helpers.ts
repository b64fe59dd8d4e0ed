import { readFileSync } from "node:fs";
import { expect } from "vitest";
import type { Random } from "../src/random.js";

/** Reads a numeric CSV with a header row. */
export function readCsv(path: string): number[][] {
  const text = readFileSync(new URL(path, import.meta.url), "utf8").trim();
  return text
    .split("\n")
    .slice(1)
    .map((line) => line.split(",").map(Number));
}

export const datasets: Record<string, number[][]> = {
  faithful: readCsv("../data/faithful.csv"),
  iris: readCsv("../data/iris.csv"),
  synthetic: readCsv("./fixtures/synthetic.csv"),
};

export function flat(v: unknown): number[] {
  return Array.isArray(v) ? v.flatMap(flat) : [v as number];
}

/** Largest |a − b| / max(|b|, floor) over two nested arrays of equal shape. */
export function maxRelativeError(actual: unknown, expected: unknown, floor = 1e-300): number {
  const a = flat(actual);
  const b = flat(expected);
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const err = Math.abs(a[i] - b[i]) / Math.max(Math.abs(b[i]), floor);
    if (!(err <= worst)) worst = Number.isNaN(err) ? Infinity : Math.max(worst, err);
  }
  return worst;
}

export function expectClose(actual: unknown, expected: unknown, rel: number, floor?: number): void {
  expect(maxRelativeError(actual, expected, floor)).toBeLessThanOrEqual(rel);
}

/** A standard normal draw from the library's seeded generator (Box–Muller). */
export function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(rng.floatOpen())) * Math.cos(2 * Math.PI * rng.float());
}
