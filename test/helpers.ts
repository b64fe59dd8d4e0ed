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

/**
 * The tied pooled scatter Σ_c Σ_i r_ic (x_i − μ_c)(x_i − μ_c)ᵀ summed in plain
 * JavaScript, row by row and component by component, into the lower triangle
 * of a d×d matrix: the reference that neither the within/between split, the
 * kept row scatter nor a kernel takes part in. `rows` as the workspace holds
 * them (float32: rounded, and shifted as the means are), `r` the n×k
 * responsibilities as the scatter sums them (weighted, if the rows are).
 */
export function naivePooledScatter(
  rows: ArrayLike<number>[],
  r: ArrayLike<number>,
  means: ArrayLike<number>,
  k: number,
): Float64Array {
  const d = rows[0].length;
  const s = new Float64Array(d * d);
  for (let i = 0; i < rows.length; i++) {
    const row = rows[i];
    for (let c = 0; c < k; c++) {
      const ric = r[i * k + c];
      for (let a = 0; a < d; a++)
        for (let b = 0; b <= a; b++) s[a * d + b] += ric * (row[a] - means[c * d + a]) * (row[b] - means[c * d + b]);
    }
  }
  return s;
}

/** maxRelativeError over the lower triangles of two d×d matrices, relative to b's largest entry there (off-diagonals may be near 0). */
export function lowerError(a: ArrayLike<number>, b: ArrayLike<number>, d: number): number {
  const lower = (m: ArrayLike<number>) => {
    const out: number[] = [];
    for (let i = 0; i < d; i++) for (let j = 0; j <= i; j++) out.push(m[i * d + j]);
    return out;
  };
  const want = lower(b);
  return maxRelativeError(lower(a), want, Math.max(...want.map(Math.abs)));
}

export function expectClose(actual: unknown, expected: unknown, rel: number, floor?: number): void {
  expect(maxRelativeError(actual, expected, floor)).toBeLessThanOrEqual(rel);
}

/** A standard normal draw from the library's seeded generator (Box–Muller). */
export function normal(rng: Random): number {
  return Math.sqrt(-2 * Math.log(rng.floatOpen())) * Math.cos(2 * Math.PI * rng.float());
}
