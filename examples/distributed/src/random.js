// A small seeded generator for drawing the initialisation sample: a 32-bit
// xorshift state advanced by a Weyl sequence and mixed (integer-only, so
// every runtime draws the same rows for the same seed).
export function seededRandom(seed) {
  let s = (seed ^ 0x5bd1e995) >>> 0;
  let weyl = 0;
  return () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    weyl = (weyl + 0x9e3779b9) >>> 0;
    let z = (s + weyl) >>> 0;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return ((z ^ (z >>> 16)) >>> 0) / 4294967296;
  };
}

/** m distinct indices of 0…n−1, drawn with `random`, in ascending order (partial Fisher–Yates). */
export function sampleIndices(n, m, random) {
  if (m >= n) return Array.from({ length: n }, (_, i) => i);
  const pool = new Uint32Array(n);
  for (let i = 0; i < n; i++) pool[i] = i;
  for (let i = 0; i < m; i++) {
    const j = i + Math.floor(random() * (n - i));
    const t = pool[i];
    pool[i] = pool[j];
    pool[j] = t;
  }
  return Array.from(pool.subarray(0, m)).sort((a, b) => a - b);
}
