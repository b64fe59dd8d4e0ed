// Lloyd's k-means and the distance updates of k-means++ seeding.
//
// Generic over T, the element type of X (f64, or f32 for dtype "float32");
// each kernel is exported as itself (T = f64) and with an F32 suffix. The
// centres are always f64.
import { KERNEL_SCRATCH, KERNEL_SCRATCH_VALUES, addr, addrOf, axpyOf, fill, ld, ldOf, pairOf, scale, sqDistOf, st } from "./vector-math";

/**
 * labels[i] = nearest centre, minDist[i] = its squared distance.
 * Returns the inertia Σ_i minDist[i]. Ties go to the lowest index.
 *
 * With `means` (k × d) and `counts` (k) given (non-zero), Lloyd's update in
 * the same pass: means[c] = mean of the rows labelled c, counts[c] = how many
 * (a centre with none is left at zero, count 0): each centre's rows added
 * in row order, then times 1/count. Each row is added while it is in cache, and the additions
 * (a chain through memory when neighbouring rows share a label, as pixels do)
 * overlap the next rows' distances instead of running as a pass of their own.
 */
export function assignNearest(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  return assignNearestOf<f64>(x, n, d, centers, k, labels, minDist, means, counts);
}

/** assignNearest with X stored as f32. */
export function assignNearestF32(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  return assignNearestOf<f32>(x, n, d, centers, k, labels, minDist, means, counts);
}

// Rows go two to an f64x2 (lane 0 = an even row, lane 1 the next), in
// blocks of ASSIGN_ROWS transposed once into KERNEL_SCRATCH, so each centre
// is compared with two rows per vector operation and the running minimum
// and its index are kept lane-wise (no branch per row and centre).
const ASSIGN_ROWS: i32 = 8;

function assignNearestOf<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  if (means) {
    fill(means, 0.0, k * d);
    fill(counts, 0.0, k);
  }
  let inertia: f64;
  if (d <= 3) inertia = assignSmall<T>(x, n, d, centers, k, labels, minDist, means, counts);
  else if (d * ASSIGN_ROWS > KERNEL_SCRATCH_VALUES) inertia = assignNearestRows<T>(x, n, d, centers, k, labels, minDist, means, counts);
  else inertia = assignBlocked<T>(x, n, d, centers, k, labels, minDist, means, counts);
  if (means) divideByCounts(means, counts, k, d);
  return inertia;
}

/** Adds row i of X to the sum of centre c (1.0 · x is x: a plain row-order sum). */
@inline function addToSum<T>(x: usize, i: i32, d: i32, c: i32, means: usize, counts: usize): void {
  st(counts, c, ld(counts, c) + 1.0);
  axpyOf<T>(addr(means, c * d), 1.0, addrOf<T>(x, i * d), d);
}

/** Sums → means, by the reciprocal of the count; an empty centre stays at zero. */
function divideByCounts(means: usize, counts: usize, k: i32, d: i32): void {
  for (let c = 0; c < k; c++) {
    const m = ld(counts, c);
    if (m > 0.0) scale(addr(means, c * d), 1.0 / m, d);
  }
}

/**
 * d ≤ 3 (plots, pixels): a row pair's features stay in registers while
 * every centre is compared, and the distance is sqDistOf's sum written out:
 * (t₀² + t₁²) + t₂² (its additions of +0 dropped, which changes no bit).
 */
function assignSmall<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  // one copy per d, so the distance has no test of d per feature and centre
  // (float32 too: one generic float32 copy beside three float64 ones
  // compresses worse than six specialised copies)
  if (d == 1) return assignSmallOf<T>(x, n, centers, k, labels, minDist, means, counts, 1);
  if (d == 2) return assignSmallOf<T>(x, n, centers, k, labels, minDist, means, counts, 2);
  return assignSmallOf<T>(x, n, centers, k, labels, minDist, means, counts, 3);
}

@inline function assignSmallOf<T>(x: usize, n: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize, d: i32): f64 {
  const xt = KERNEL_SCRATCH;
  const stride = <usize>(ASSIGN_ROWS / 2) << 4;
  const centreBytes = <usize>d << 3;
  const minusOne = i64x2.splat(-1); // all ones, one instruction to make (1 needs three)
  let inertia = 0.0;
  for (let i0 = 0; i0 < n; i0 += ASSIGN_ROWS) {
    const rows = min(ASSIGN_ROWS, n - i0);
    transposeRows<T>(x, i0, rows, d, xt, stride);
    for (let p = 0; p < ASSIGN_ROWS / 2; p++) {
      const i = i0 + 2 * p;
      if (i >= i0 + rows) break;
      const xp = xt + (<usize>p << 4);
      const x0 = v128.load(xp);
      const x1 = d > 1 ? v128.load(xp + stride) : x0;
      const x2 = d > 2 ? v128.load(xp + 2 * stride) : x0;
      let best = smallDistance(x0, x1, x2, centers, d);
      let arg = i64x2.splat(0);
      let cv = arg;
      let pc = centers;
      for (let c = 1; c < k; c++) {
        pc += centreBytes;
        cv = i64x2.sub(cv, minusOne);
        const v = smallDistance(x0, x1, x2, pc, d);
        // pmin(best, v) is v < best ? v : best: the same rule
        arg = v128.bitselect(cv, arg, f64x2.lt(v, best));
        best = f64x2.pmin(best, v);
      }
      const two = i + 1 < i0 + rows;
      storePair(labels, minDist, i, two, arg, best);
      if (means) {
        // the rows' features are in registers already, transposed: pair them back up
        addSmall(means, counts, d, <i32>i64x2.extract_lane(arg, 0), i64x2.shuffle(x0, x1, 0, 2), f64x2.extract_lane(x2, 0));
        if (two) addSmall(means, counts, d, <i32>i64x2.extract_lane(arg, 1), i64x2.shuffle(x0, x1, 1, 3), f64x2.extract_lane(x2, 1));
      }
      // the inertia adds the rows one by one, in order, as the row-at-a-time loop
      inertia += f64x2.extract_lane(best, 0);
      if (two) inertia += f64x2.extract_lane(best, 1);
    }
  }
  return inertia;
}

@inline function smallDistance(x0: v128, x1: v128, x2: v128, c: usize, d: i32): v128 {
  const t0 = f64x2.sub(x0, v128.load64_splat(c));
  let r = f64x2.mul(t0, t0);
  if (d > 1) {
    const t1 = f64x2.sub(x1, v128.load64_splat(c, 8));
    r = f64x2.add(r, f64x2.mul(t1, t1));
  }
  if (d > 2) {
    const t2 = f64x2.sub(x2, v128.load64_splat(c, 16));
    r = f64x2.add(r, f64x2.mul(t2, t2));
  }
  return r;
}

/**
 * addToSum for d ≤ 3 from a row held in registers: features 0, 1 in x01
 * (d = 1: lane 0), feature 2 in x2; added as axpyOf adds them.
 */
@inline function addSmall(means: usize, counts: usize, d: i32, c: i32, x01: v128, x2: f64): void {
  st(counts, c, ld(counts, c) + 1.0);
  const p = addr(means, c * d);
  if (d == 1) store<f64>(p, load<f64>(p) + f64x2.extract_lane(x01, 0));
  else v128.store(p, f64x2.add(v128.load(p), x01));
  if (d == 3) store<f64>(p, load<f64>(p, 16) + x2, 16);
}

/** labels and minDist of rows i (lane 0) and, if `two`, i + 1 (lane 1). */
@inline function storePair(labels: usize, minDist: usize, i: i32, two: bool, arg: v128, best: v128): void {
  store<i32>(labels + (<usize>i << 2), <i32>i64x2.extract_lane(arg, 0));
  st(minDist, i, f64x2.extract_lane(best, 0));
  if (two) {
    store<i32>(labels + (<usize>(i + 1) << 2), <i32>i64x2.extract_lane(arg, 1));
    st(minDist, i + 1, f64x2.extract_lane(best, 1));
  }
}

/**
 * Lloyd's assignment with Hamerly's bounds (2010): upper[i] bounds
 * row i's distance (not squared) to its centre previous[i] from above,
 * lower[i] its distance to every other centre from below. After the centres
 * move by shift[c] (shift[k] = the largest), the triangle inequality gives
 * upper + shift[label] and lower − shift[k]; when the first is clearly the
 * smaller, the label cannot change and the k distances are skipped; else
 * the row is scanned as assignNearest scans it, and its bounds reset to
 * its nearest and second-nearest distances. shift = 0: every row is
 * scanned (the first step). "Clearly": by a relative 1e-9 and an absolute
 * 1e-150 (where squares underflow), far more than the rounding of the
 * distances and of the bounds (each rounded outwards by 1e-12 as it is
 * updated), so that a skipped row's label is the one a scan would find:
 * labels (and, without weights, counts) are assignNearest's; minDist is not
 * written. Each
 * stretch of rows takes two passes: the bounds of every row moved and the
 * rows that need a scan listed, without a branch, then the listed rows
 * scanned two at a time (a branch per row pair on whether to scan, which
 * the data decides, cost more in mispredictions than the scans: paired on
 * the photo's Lloyd steps 5–16, 1.33× for the two passes). d ≤ 3 holds a
 * row pair in registers (one copy of the step per d); beyond, the listed
 * rows are transposed in blocks as assignBlocked's are (assignBoundedRows).
 *
 * The means are summed by blocks of boundedBlockRows(k) rows: each block's
 * sums per centre (its rows in order, from zero), then the blocks' sums in
 * block order, then times 1/count. With `weights` (n values; 0: none) they
 * are weighted means: Σ w·x over Σ w, the count being Σ w (0 for a centre
 * whose rows all weigh 0: empty). `sums` (boundedSumsValues(n, k, d) values)
 * keeps every block's sums from one call to the next, and a block whose
 * labels all equal `previous` takes them as they are (with the same labels
 * they are the same sums, bit for bit): late in a fit most blocks do, so a
 * step that skips a row's distances mostly skips its additions too. Hence
 * the contract: `previous` is the labels the last call wrote, with the same
 * x, n, k, sums and weights, or shift = 0 (which sums every block afresh). upper and
 * lower hold n values and have room for n + 1. Returns the number of rows
 * scanned.
 */
export function assignBounded(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, sums: usize, means: usize, counts: usize, weights: usize): i32 {
  return assignBoundedOf<f64>(x, n, d, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights);
}

/** assignBounded with X stored as f32. */
export function assignBoundedF32(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, sums: usize, means: usize, counts: usize, weights: usize): i32 {
  return assignBoundedOf<f32>(x, n, d, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights);
}

/**
 * Rows per block of assignBounded's kept sums: 64 (late in a fit of the
 * sample photo, 14–20 % of its 64-row blocks hold a row whose label
 * changed, against 40–55 % of 256-row ones), and at least 8k, so that the
 * kept sums (8·max(4, d + 1) bytes per centre and block) take at most
 * max(4, d + 1) bytes a row, against the rows' own 8d.
 * Even, so that a row pair never straddles two blocks.
 */
@inline function boundedBlockRows(k: i32): i32 {
  return max(64, 8 * k);
}

/**
 * Values (f64) assignBounded's `sums` holds for n rows of d features and k
 * centres: the totals and a spare slot (one slot per centre and one), then
 * each block's sums, a slot per centre: its d feature sums and its count
 * (4 values at d ≤ 3: three features and the count).
 */
export function boundedSumsValues(n: i32, k: i32, d: i32): i32 {
  const b = boundedBlockRows(k);
  const slot = boundedSlot(d);
  return slot * k + slot + ((n + b - 1) / b) * slot * k;
}

/** Values per centre in assignBounded's block sums. */
@inline function boundedSlot(d: i32): i32 {
  return d <= 3 ? 4 : d + 1;
}

/** Rows per stretch of assignBounded's two passes (even; its row list fits KERNEL_SCRATCH). */
const BOUNDED_STRETCH: i32 = 64;

function assignBoundedOf<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, sums: usize, means: usize, counts: usize, weights: usize): i32 {
  if (d > 3) return assignBoundedRows<T>(x, n, d, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights);
  // one copy per d ≤ 3, as assignSmall
  if (d == 1) return assignBoundedD<T>(x, n, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights, 1);
  if (d == 2) return assignBoundedD<T>(x, n, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights, 2);
  return assignBoundedD<T>(x, n, centers, k, labels, previous, upper, lower, shift, sums, means, counts, weights, 3);
}

@inline function assignBoundedD<T>(x: usize, n: i32, centers: usize, k: i32, labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, sums: usize, means: usize, counts: usize, weights: usize, d: i32): i32 {
  const centreBytes = <usize>d << 3;
  const minusOne = i64x2.splat(-1);
  const out = f64x2.splat(1.0 + 1e-12); // rounding a bound outwards
  const inward = f64x2.splat(1.0 - 1e-12);
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1.0);
  // sums: the totals (s₀, s₁, s₂, count) per centre, a spare slot, then the blocks'
  const totals = sums;
  const spare = sums + (<usize>k << 5);
  const blockBytes = <usize>k << 5;
  const rowsPerBlock = boundedBlockRows(k);
  fill(totals, 0.0, 4 * k);
  let scanned = 0;
  let block = spare + 32;
  const list = KERNEL_SCRATCH; // the rows of a stretch that need their distances
  for (let b0 = 0; b0 < n; b0 += rowsPerBlock, block += blockBytes) {
    const b1 = min(b0 + rowsPerBlock, n);
    let changed = !shift; // the first step sums every block
    for (let s0 = b0; s0 < b1; s0 += BOUNDED_STRETCH) {
      const s1 = min(s0 + BOUNDED_STRETCH, b1);
      // pass 1: the bounds moved, the rows that need their distances listed
      const m = listRowsToScan(labels, previous, upper, lower, shift, k, s0, s1, n, list);
      // Pass 2: the listed rows, two at a time (an odd last one with itself)
      for (let q = 0; q < m; q += 2) {
        const i = load<i32>(list + (<usize>q << 2));
        const j = load<i32>(list + (<usize>min(q + 1, m - 1) << 2));
        const ra = addrOf<T>(x, i * d);
        const rb = addrOf<T>(x, j * d);
        const x0 = f64x2.replace_lane(f64x2.splat(ldOf<T>(ra, 0)), 1, ldOf<T>(rb, 0));
        const x1 = d > 1 ? f64x2.replace_lane(f64x2.splat(ldOf<T>(ra, 1)), 1, ldOf<T>(rb, 1)) : x0;
        const x2 = d > 2 ? f64x2.replace_lane(f64x2.splat(ldOf<T>(ra, 2)), 1, ldOf<T>(rb, 2)) : x0;
        let best = smallDistance(x0, x1, x2, centers, d);
        let second = f64x2.splat(Infinity);
        let arg = i64x2.splat(0);
        let cv = arg;
        let pc = centers;
        for (let c = 1; c < k; c++) {
          pc += centreBytes;
          cv = i64x2.sub(cv, minusOne);
          const v = smallDistance(x0, x1, x2, pc, d);
          second = f64x2.pmin(second, f64x2.pmax(best, v));
          arg = v128.bitselect(cv, arg, f64x2.lt(v, best));
          best = f64x2.pmin(best, v);
        }
        const u = f64x2.mul(f64x2.sqrt(best), out);
        const l = f64x2.mul(f64x2.sqrt(second), inward);
        // (where j = i both lanes hold the same row)
        st(upper, j, f64x2.extract_lane(u, 1));
        st(lower, j, f64x2.extract_lane(l, 1));
        st(upper, i, f64x2.extract_lane(u, 0));
        st(lower, i, f64x2.extract_lane(l, 0));
        const la = <i32>i64x2.extract_lane(arg, 0);
        const lb = <i32>i64x2.extract_lane(arg, 1);
        store<i32>(labels + (<usize>j << 2), lb);
        store<i32>(labels + (<usize>i << 2), la);
        changed = changed || la != load<i32>(previous + (<usize>i << 2)) || lb != load<i32>(previous + (<usize>j << 2));
      }
      scanned += m;
    }
    if (changed) sumBlock<T>(x, b0, b1, d, labels, weights, block, k, spare, one, zero);
    // the block's sums into the totals, in block order
    for (let c = 0; c < k; c++) {
      const t = totals + (<usize>c << 5);
      const s = block + (<usize>c << 5);
      v128.store(t, f64x2.add(v128.load(t), v128.load(s)));
      v128.store(t, f64x2.add(v128.load(t, 16), v128.load(s, 16)), 16);
    }
  }
  for (let c = 0; c < k; c++) {
    const from = totals + (<usize>c << 5);
    for (let f = 0; f < d; f++) st(means, c * d + f, load<f64>(from + (<usize>f << 3)));
    st(counts, c, load<f64>(from, 24));
  }
  divideByCounts(means, counts, k, d);
  return scanned;
}

/**
 * assignBounded beyond d = 3: the same first pass, then the listed rows'
 * distances as assignBlocked computes them (pairDistance on the rows
 * transposed ASSIGN_ROWS at a time; one row at a time with sqDistOf, whose
 * bits those match, where d is too large for the block), so the labels and
 * counts are assignNearest's; the means by blocks as at d ≤ 3, each block's
 * sums (d features and the count per centre) kept while its labels stay.
 */
function assignBoundedRows<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, sums: usize, means: usize, counts: usize, weights: usize): i32 {
  const list = KERNEL_SCRATCH;
  // the listed rows transposed, ASSIGN_ROWS at a time, after the list
  const xt = KERNEL_SCRATCH + BOUNDED_LIST_BYTES;
  const blocked = d * ASSIGN_ROWS <= KERNEL_SCRATCH_VALUES - (BOUNDED_LIST_BYTES >> 3);
  const stride = <usize>(ASSIGN_ROWS / 2) << 4;
  const centreBytes = <usize>d << 3;
  const minusOne = i64x2.splat(-1);
  const outs = f64x2.splat(1.0 + 1e-12); // rounding a bound outwards
  const inwards = f64x2.splat(1.0 - 1e-12);
  // sums: the totals per centre (d sums, the count), a spare slot, then the blocks'
  const per = k * (d + 1);
  const totals = sums;
  const rowsPerBlock = boundedBlockRows(k);
  fill(totals, 0.0, per);
  let block = sums + (<usize>(per + d + 1) << 3);
  let scanned = 0;
  for (let b0 = 0; b0 < n; b0 += rowsPerBlock, block += <usize>per << 3) {
    const b1 = min(b0 + rowsPerBlock, n);
    let changed = !shift; // the first step sums every block
    for (let s0 = b0; s0 < b1; s0 += BOUNDED_STRETCH) {
      const s1 = min(s0 + BOUNDED_STRETCH, b1);
      const m = listRowsToScan(labels, previous, upper, lower, shift, k, s0, s1, n, list);
      scanned += m;
      if (!blocked) {
        for (let q = 0; q < m; q++) {
          const i = load<i32>(list + (<usize>q << 2));
          scanRow<T>(x, i, d, centers, k, labels, upper, lower);
          changed = changed || load<i32>(labels + (<usize>i << 2)) != load<i32>(previous + (<usize>i << 2));
        }
        continue;
      }
      // as assignBlocked, on the listed rows: pairDistance sums in sqDistOf's order
      for (let q0 = 0; q0 < m; q0 += ASSIGN_ROWS) {
        const rows = min(ASSIGN_ROWS, m - q0);
        transposeListed<T>(x, list, q0, rows, d, xt, stride);
        for (let p = 0; p < ASSIGN_ROWS / 2; p++) {
          const q = q0 + 2 * p;
          if (q >= q0 + rows) break;
          const xp = xt + (<usize>p << 4);
          // from best = +∞ (one copy of the distance: centre 0 then wins, as the
          // distances are finite)
          let best = f64x2.splat(Infinity);
          let second = best;
          let arg = i64x2.splat(0);
          let cv = i64x2.splat(-1);
          let pc = centers;
          for (let c = 0; c < k; c++, pc += centreBytes) {
            cv = i64x2.sub(cv, minusOne);
            const v = pairDistance(xp, pc, d, stride);
            second = f64x2.pmin(second, f64x2.pmax(best, v));
            arg = v128.bitselect(cv, arg, f64x2.lt(v, best));
            best = f64x2.pmin(best, v);
          }
          const u = f64x2.mul(f64x2.sqrt(best), outs);
          const l = f64x2.mul(f64x2.sqrt(second), inwards);
          const i = load<i32>(list + (<usize>q << 2));
          const la = <i32>i64x2.extract_lane(arg, 0);
          store<i32>(labels + (<usize>i << 2), la);
          st(upper, i, f64x2.extract_lane(u, 0));
          st(lower, i, f64x2.extract_lane(l, 0));
          changed = changed || la != load<i32>(previous + (<usize>i << 2));
          if (q + 1 < q0 + rows) {
            const j = load<i32>(list + (<usize>(q + 1) << 2));
            const lb = <i32>i64x2.extract_lane(arg, 1);
            store<i32>(labels + (<usize>j << 2), lb);
            st(upper, j, f64x2.extract_lane(u, 1));
            st(lower, j, f64x2.extract_lane(l, 1));
            changed = changed || lb != load<i32>(previous + (<usize>j << 2));
          }
        }
      }
    }
    if (changed) {
      // the block's rows summed afresh per centre, in row order (w·x and w with weights)
      fill(block, 0.0, per);
      for (let r = b0; r < b1; r++) {
        const slot = block + (<usize>(load<i32>(labels + (<usize>r << 2)) * (d + 1)) << 3);
        const w = weights ? ld(weights, r) : 1.0; // (1 · x is x)
        axpyOf<T>(slot, w, addrOf<T>(x, r * d), d);
        st(slot, d, ld(slot, d) + w);
      }
    }
    // the block's sums into the totals, in block order
    let t = 0;
    for (; t + 2 <= per; t += 2) v128.store(addr(totals, t), f64x2.add(v128.load(addr(totals, t)), v128.load(addr(block, t))));
    if (t < per) st(totals, t, ld(totals, t) + ld(block, t));
  }
  for (let c = 0; c < k; c++) {
    memory.copy(addr(means, c * d), addr(totals, c * (d + 1)), centreBytes);
    st(counts, c, ld(totals, c * (d + 1) + d));
  }
  divideByCounts(means, counts, k, d);
  return scanned;
}

/** Bytes of KERNEL_SCRATCH that assignBounded's row list takes (BOUNDED_STRETCH + 1 values, rounded to 16). */
const BOUNDED_LIST_BYTES: i32 = ((BOUNDED_STRETCH + 1) * 4 + 15) & ~15;

/** Rows ra and rb as f64 pairs (ra[l], rb[l]) at t, `stride` bytes per feature l. */
@inline function transposePair<T>(ra: usize, rb: usize, d: i32, t: usize, stride: usize): void {
  let l = 0;
  for (; l + 2 <= d; l += 2) {
    const a = pairOf<T>(addrOf<T>(ra, l), 0);
    const b = pairOf<T>(addrOf<T>(rb, l), 0);
    v128.store(t, i64x2.shuffle(a, b, 0, 2));
    v128.store(t + stride, i64x2.shuffle(a, b, 1, 3));
    t += 2 * stride;
  }
  if (l < d) v128.store(t, f64x2.replace_lane(f64x2.splat(ldOf<T>(ra, l)), 1, ldOf<T>(rb, l)));
}

/** transposeRows for the rows list[q0 … q0 + rows − 1] (rows past the end repeat the last). */
@inline function transposeListed<T>(x: usize, list: usize, q0: i32, rows: i32, d: i32, xt: usize, stride: usize): void {
  const last = q0 + rows - 1;
  for (let p = 0; p < ASSIGN_ROWS / 2; p++) {
    const ra = addrOf<T>(x, load<i32>(list + (<usize>min(q0 + 2 * p, last) << 2)) * d);
    const rb = addrOf<T>(x, load<i32>(list + (<usize>min(q0 + 2 * p + 1, last) << 2)) * d);
    transposePair<T>(ra, rb, d, xt + (<usize>p << 4), stride);
  }
}

/** One row's k distances (sqDistOf, as assignNearestRows), its label and bounds: d too large for the transposed block. */
function scanRow<T>(x: usize, i: i32, d: i32, centers: usize, k: i32, labels: usize, upper: usize, lower: usize): void {
  const xi = addrOf<T>(x, i * d);
  let best = 0;
  let bd = sqDistOf<T, f64>(xi, centers, d);
  let second = Infinity;
  for (let c = 1; c < k; c++) {
    const v = sqDistOf<T, f64>(xi, addr(centers, c * d), d);
    // strictly less: ties keep the lower index, as assignNearest
    if (v < bd) {
      second = bd;
      bd = v;
      best = c;
    } else second = min(second, v);
  }
  store<i32>(labels + (<usize>i << 2), best);
  st(upper, i, sqrt(bd) * (1.0 + 1e-12));
  st(lower, i, sqrt(second) * (1.0 - 1e-12));
}

/**
 * assignBounded's first pass over rows s0 … s1 − 1 (s0 even), without a
 * branch per row (which rows need a scan is data, and a mispredicted branch
 * per such row cost more than its scan): every row's bounds moved by the
 * centres' shifts (shift[k] the largest, by which a row's other centres
 * moved at most), its label kept, and the rows whose bounds do not clear
 * listed at `list`; shift = 0 lists every row. Returns how many were listed.
 */
@inline function listRowsToScan(labels: usize, previous: usize, upper: usize, lower: usize, shift: usize, k: i32, s0: i32, s1: i32, n: i32, list: usize): i32 {
  let m = 0;
  if (!shift) {
    for (let i = s0; i < s1; i++, m++) store<i32>(list + (<usize>m << 2), i);
    return m;
  }
  const out = f64x2.splat(1.0 + 1e-12); // rounding a bound outwards
  const inward = f64x2.splat(1.0 - 1e-12);
  const margin = f64x2.splat(1.0 + 1e-9);
  const tiny = f64x2.splat(1e-150);
  const zero = f64x2.splat(0);
  const largest = f64x2.splat(ld(shift, k));
  for (let i = s0; i < s1; i += 2) {
    const j = min(i + 1, n - 1); // an odd last row is paired with itself
    // (upper and lower have room for n + 1 values: lane 1 of an odd last
    // row is spare, and only lane 0 decides for it)
    const pu = addr(upper, i);
    const pl = addr(lower, i);
    const a = load<i32>(previous + (<usize>i << 2));
    const b = load<i32>(previous + (<usize>j << 2));
    store<i32>(labels + (<usize>j << 2), b);
    store<i32>(labels + (<usize>i << 2), a);
    const u = f64x2.mul(f64x2.add(v128.load(pu), f64x2.replace_lane(f64x2.splat(ld(shift, a)), 1, ld(shift, b))), out);
    const l = f64x2.mul(f64x2.pmax(f64x2.sub(v128.load(pl), largest), zero), inward);
    v128.store(pu, u);
    v128.store(pl, l);
    const bits = i8x16.bitmask(f64x2.lt(f64x2.add(f64x2.mul(u, margin), tiny), l));
    store<i32>(list + (<usize>m << 2), i);
    m += ~bits & 1;
    store<i32>(list + (<usize>m << 2), j);
    m += select((~bits >> 8) & 1, 0, j > i);
  }
  return m;
}

/**
 * Rows b0 … b1 − 1 summed per centre into `block` (s₀, s₁, s₂, count per
 * centre, from zero; with `weights`, w·x and w), each centre's rows in row order. In memory each
 * row's addition would wait for the previous row's store when both have
 * one label (neighbouring pixels do), so a centre's running sums stay in
 * registers while its run lasts. Without a branch (runs end every few
 * rows, unpredictably): each row loads its centre's stored sums, or the
 * spare slot if it continues the run and keeps the registers instead, then
 * adds itself and stores.
 */
@inline function sumBlock<T>(x: usize, b0: i32, b1: i32, d: i32, labels: usize, weights: usize, block: usize, k: i32, spare: usize, one: v128, zero: v128): void {
  fill(block, 0.0, 4 * k);
  let run = -1; // the current run's label
  let run01 = zero; // (s₀, s₁)
  let run2c = zero; // (s₂, count)
  for (let r = b0; r < b1; r++) {
    const c = load<i32>(labels + (<usize>r << 2));
    const p = addrOf<T>(x, r * d);
    const same = c == run;
    const keep = i32x4.splat(-<i32>same);
    const slot = block + (<usize>c << 5);
    const src = select<usize>(spare, slot, same);
    let x01 = d == 1 ? f64x2.splat(ldOf<T>(p, 0)) : pairOf<T>(p, 0);
    let x2c = d == 3 ? f64x2.replace_lane(one, 0, ldOf<T>(p, 2)) : one;
    if (weights) {
      // w·x and w, as the weighted centre adds them
      const w = v128.load64_splat(addr(weights, r));
      x01 = f64x2.mul(w, x01);
      x2c = f64x2.mul(w, x2c);
    }
    run01 = f64x2.add(v128.bitselect(run01, v128.load(src), keep), x01);
    run2c = f64x2.add(v128.bitselect(run2c, v128.load(src, 16), keep), x2c);
    v128.store(slot, run01);
    v128.store(slot, run2c, 16);
    run = c;
  }
}

function assignBlocked<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  const xt = KERNEL_SCRATCH;
  const stride = <usize>(ASSIGN_ROWS / 2) << 4; // one transposed feature of a block
  const centreBytes = <usize>d << 3;
  const minusOne = i64x2.splat(-1); // all ones, one instruction to make (1 needs three)
  let inertia = 0.0;
  for (let i0 = 0; i0 < n; i0 += ASSIGN_ROWS) {
    const rows = min(ASSIGN_ROWS, n - i0);
    transposeRows<T>(x, i0, rows, d, xt, stride);
    for (let p = 0; p < ASSIGN_ROWS / 2; p++) {
      const i = i0 + 2 * p;
      if (i >= i0 + rows) break;
      const xp = xt + (<usize>p << 4);
      let best = pairDistance(xp, centers, d, stride);
      let arg = i64x2.splat(0);
      let cv = arg;
      let pc = centers;
      for (let c = 1; c < k; c++) {
        pc += centreBytes;
        cv = i64x2.sub(cv, minusOne);
        const v = pairDistance(xp, pc, d, stride);
        // strictly less: ties keep the lower index, NaN never wins (as the
        // row-at-a-time loop); pmin(best, v) is v < best ? v : best, the same rule
        arg = v128.bitselect(cv, arg, f64x2.lt(v, best));
        best = f64x2.pmin(best, v);
      }
      const two = i + 1 < i0 + rows;
      storePair(labels, minDist, i, two, arg, best);
      if (means) {
        addToSum<T>(x, i, d, <i32>i64x2.extract_lane(arg, 0), means, counts);
        if (two) addToSum<T>(x, i + 1, d, <i32>i64x2.extract_lane(arg, 1), means, counts);
      }
      inertia += f64x2.extract_lane(best, 0);
      if (two) inertia += f64x2.extract_lane(best, 1);
    }
  }
  return inertia;
}

/**
 * xt[l][p] = (x[i0+2p][l], x[i0+2p+1][l]) as f64 for l < d, p < ASSIGN_ROWS/2,
 * `stride` bytes per feature. Rows past the end repeat the last row.
 */
@inline function transposeRows<T>(x: usize, i0: i32, rows: i32, d: i32, xt: usize, stride: usize): void {
  const last = i0 + rows - 1;
  for (let p = 0; p < ASSIGN_ROWS / 2; p++) {
    const ra = addrOf<T>(x, min(i0 + 2 * p, last) * d);
    const rb = addrOf<T>(x, min(i0 + 2 * p + 1, last) * d);
    transposePair<T>(ra, rb, d, xt + (<usize>p << 4), stride);
  }
}

/**
 * ‖x − c‖² for the two rows of a transposed pair (xp, features `stride`
 * bytes apart), summed in exactly sqDistOf's order, so that every distance,
 * label and the inertia are those of the row-at-a-time loop, bit for bit:
 * sqDistOf keeps features 4g, 4g+1 in the lanes of one accumulator and
 * 4g+2, 4g+3 in another, a trailing pair in the first, then adds
 * (acc0[0] + acc1[0]) + (acc0[1] + acc1[1]) and a last odd feature.
 */
@inline function pairDistance(xp: usize, c: usize, d: i32, stride: usize): v128 {
  let s0 = f64x2.splat(0), s1 = f64x2.splat(0), s2 = f64x2.splat(0), s3 = f64x2.splat(0);
  let px = xp;
  let pc = c;
  let l = 0;
  for (; l + 4 <= d; l += 4) {
    const t0 = f64x2.sub(v128.load(px), v128.load64_splat(pc));
    const t1 = f64x2.sub(v128.load(px + stride), v128.load64_splat(pc, 8));
    const t2 = f64x2.sub(v128.load(px + 2 * stride), v128.load64_splat(pc, 16));
    const t3 = f64x2.sub(v128.load(px + 3 * stride), v128.load64_splat(pc, 24));
    s0 = f64x2.add(s0, f64x2.mul(t0, t0));
    s1 = f64x2.add(s1, f64x2.mul(t1, t1));
    s2 = f64x2.add(s2, f64x2.mul(t2, t2));
    s3 = f64x2.add(s3, f64x2.mul(t3, t3));
    px += 4 * stride;
    pc += 32;
  }
  if (l + 2 <= d) {
    const t0 = f64x2.sub(v128.load(px), v128.load64_splat(pc));
    const t1 = f64x2.sub(v128.load(px + stride), v128.load64_splat(pc, 8));
    s0 = f64x2.add(s0, f64x2.mul(t0, t0));
    s1 = f64x2.add(s1, f64x2.mul(t1, t1));
    px += 2 * stride;
    pc += 16;
    l += 2;
  }
  let r = f64x2.add(f64x2.add(s0, s2), f64x2.add(s1, s3));
  if (l < d) {
    const t = f64x2.sub(v128.load(px), v128.load64_splat(pc));
    r = f64x2.add(r, f64x2.mul(t, t));
  }
  return r;
}

/** One row at a time (d too large for the transposed block). */
function assignNearestRows<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize, means: usize, counts: usize): f64 {
  let inertia = 0.0;
  for (let i = 0; i < n; i++) {
    const xi = addrOf<T>(x, i * d);
    let best = 0;
    let bd = sqDistOf<T, f64>(xi, centers, d);
    for (let c = 1; c < k; c++) {
      const dist = sqDistOf<T, f64>(xi, addr(centers, c * d), d);
      if (dist < bd) { bd = dist; best = c; }
    }
    store<i32>(labels + (<usize>i << 2), best);
    st(minDist, i, bd);
    if (means) addToSum<T>(x, i, d, best, means, counts);
    inertia += bd;
  }
  return inertia;
}

/**
 * k-means++: the potential Σ_i min(minDist[i], ‖x_i − centre‖²) a candidate
 * centre would give. With `commit` set, minDist is updated in place, and if
 * `cumulative` is given (non-zero), cumulative[i] = the potential's partial
 * sum up to row i (what the next draw searches), from the same additions.
 * `center` points at d values of X's element type (f64 here): candidates
 * are rows of X, passed in place. With `weights` (n values; 0: none) each
 * row's term is w_i · min(minDist[i], ‖x_i − centre‖²), minDist itself
 * unweighted.
 */
export function seedPotential(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool, cumulative: usize, weights: usize): f64 {
  return seedPotentialOf<f64>(x, n, d, center, minDist, commit, cumulative, weights);
}

/** seedPotential with X, and so `center`, stored as f32. */
export function seedPotentialF32(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool, cumulative: usize, weights: usize): f64 {
  return seedPotentialOf<f32>(x, n, d, center, minDist, commit, cumulative, weights);
}

// d ≤ 3: rows i and i + 1 are 2d contiguous values, loaded as d vectors
// and subtracted from the centre's values laid out to match (promoted to
// f64, exactly); the squares are then regrouped by row, and summed in
// sqDistOf<T, T>'s order ((t₀² + t₁²) + t₂², its additions of +0 dropped,
// which changes no bit); the minimum is f64x2.pmin (one instruction, where
// V8 spends seven on f64x2.min's NaN and −0 rules: neither can occur, as the
// rows are finite and under 1e100 in magnitude, so a distance is +0 or more,
// +∞ at worst, and minDist starts at +∞), which then agrees with f64.min; and
// the potential adds the rows in order: the row-at-a-time loop's results,
// bit for bit

/**
 * The centre's values laid out against a row pair's vector `which` (0–2):
 * d = 1: (c0, c0); d = 2: (c0, c1) twice; d = 3: (c0, c1), (c2, c0), (c1, c2).
 */
@inline function seedLayout<T>(center: usize, d: i32, which: i32): v128 {
  const c0 = ldOf<T>(center, 0);
  const c1 = d > 1 ? ldOf<T>(center, 1) : c0;
  const c2 = d > 2 ? ldOf<T>(center, 2) : c0;
  if (which == 0) return d == 1 ? f64x2.splat(c0) : f64x2.replace_lane(f64x2.splat(c0), 1, c1);
  if (which == 1) return f64x2.replace_lane(f64x2.splat(c2), 1, c0);
  return f64x2.replace_lane(f64x2.splat(c1), 1, c2);
}

/** ‖x − centre‖² of rows i, i + 1 at p (d ≤ 3), from seedLayout's vectors. */
@inline function seedPairDistance<T>(p: usize, d: i32, ca: v128, cb: v128, cc: v128): v128 {
  if (d == 1) {
    const t = f64x2.sub(pairOf<T>(p, 0), ca);
    return f64x2.mul(t, t);
  }
  if (d == 2) {
    const t0 = f64x2.sub(pairOf<T>(p, 0), ca);
    const t1 = f64x2.sub(pairOf<T>(p, 2), ca);
    const q0 = f64x2.mul(t0, t0);
    const q1 = f64x2.mul(t1, t1);
    return f64x2.add(i64x2.shuffle(q0, q1, 0, 2), i64x2.shuffle(q0, q1, 1, 3));
  }
  const t0 = f64x2.sub(pairOf<T>(p, 0), ca);
  const t1 = f64x2.sub(pairOf<T>(p, 2), cb);
  const t2 = f64x2.sub(pairOf<T>(p, 4), cc);
  const q0 = f64x2.mul(t0, t0);
  const q1 = f64x2.mul(t1, t1);
  const q2 = f64x2.mul(t2, t2);
  return f64x2.add(f64x2.add(i64x2.shuffle(q0, q1, 0, 3), i64x2.shuffle(q0, q2, 1, 2)), i64x2.shuffle(q1, q2, 0, 3));
}

function seedPotentialOf<T>(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool, cumulative: usize, weights: usize): f64 {
  if (d > 3) return seedPotentialRows<T>(x, n, d, center, minDist, commit, cumulative, weights);
  const ca = seedLayout<T>(center, d, 0);
  const cb = seedLayout<T>(center, d, 1);
  const cc = seedLayout<T>(center, d, 2);
  let pot = 0.0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const pm = addr(minDist, i);
    const v = f64x2.pmin(v128.load(pm), seedPairDistance<T>(addrOf<T>(x, i * d), d, ca, cb, cc));
    if (commit) v128.store(pm, v);
    const e = weights ? f64x2.mul(v128.load(addr(weights, i)), v) : v;
    pot += f64x2.extract_lane(e, 0);
    if (cumulative) st(cumulative, i, pot);
    pot += f64x2.extract_lane(e, 1);
    if (cumulative) st(cumulative, i + 1, pot);
  }
  if (i < n) {
    const dist = min(ld(minDist, i), sqDistOf<T, T>(addrOf<T>(x, i * d), center, d));
    if (commit) st(minDist, i, dist);
    pot += weights ? ld(weights, i) * dist : dist;
    if (cumulative) st(cumulative, i, pot);
  }
  return pot;
}

/**
 * k-means++'s greedy trials: out[t] = the potential seedPotential
 * (not committing) gives for the candidate centre at row rows[t] of X, for
 * t < count ≤ 4, each summed over the rows in row order as seedPotential
 * sums it (weighted as it weighs), so the same bits. One pass serves them all: each
 * potential is a chain of dependent additions, and four chains side by side
 * take little longer than one, while X and minDist are read once, not
 * `count` times (the trials of one centre were most of k-means++'s time).
 */
export function seedTrials(x: usize, n: i32, d: i32, rows: usize, count: i32, minDist: usize, out: usize, weights: usize): void {
  seedTrialsOf<f64>(x, n, d, rows, count, minDist, out, weights);
}

/** seedTrials with X stored as f32. */
export function seedTrialsF32(x: usize, n: i32, d: i32, rows: usize, count: i32, minDist: usize, out: usize, weights: usize): void {
  seedTrialsOf<f32>(x, n, d, rows, count, minDist, out, weights);
}

/**
 * A transposed row pair's squared distances ((t₀² + t₁²) + t₂²) to the
 * splatted centre at c; below d = 3 the missing features are 0 in both, and
 * adding +0 to a square changes no bit.
 */
@inline function trialDistance(f0: v128, f1: v128, f2: v128, c: usize): v128 {
  const t0 = f64x2.sub(f0, v128.load(c));
  const t1 = f64x2.sub(f1, v128.load(c, 16));
  const t2 = f64x2.sub(f2, v128.load(c, 32));
  return f64x2.add(f64x2.add(f64x2.mul(t0, t0), f64x2.mul(t1, t1)), f64x2.mul(t2, t2));
}

function seedTrialsOf<T>(x: usize, n: i32, d: i32, rows: usize, count: i32, minDist: usize, out: usize, weights: usize): void {
  if (d > 3) {
    seedTrialsRows<T>(x, n, d, rows, count, minDist, out, weights);
    return;
  }
  // Each centre's features splatted (0 past d), kept in memory: built in the
  // loop from scalars in registers, they cost more than loads. Slots past
  // count repeat the last candidate (their sums are not stored).
  const lay = KERNEL_SCRATCH;
  for (let t = 0; t < 4; t++) {
    const c = addrOf<T>(x, load<i32>(rows + (<usize>min(t, count - 1) << 2)) * d);
    for (let j = 0; j < 3; j++) v128.store(lay + (<usize>(3 * t + j) << 4), f64x2.splat(j < d ? ldOf<T>(c, j) : 0));
  }
  const zero = f64x2.splat(0);
  const one = f64x2.splat(1);
  let p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
  let i = 0;
  for (; i + 2 <= n; i += 2) {
    const m = v128.load(addr(minDist, i));
    const px = addrOf<T>(x, i * d);
    // the pair transposed to (x_ij, x_(i+1)j) per feature j
    const u0 = pairOf<T>(px, 0);
    let f0 = u0, f1 = zero, f2 = zero;
    if (d == 2) {
      const u1 = pairOf<T>(px, 2);
      f0 = i64x2.shuffle(u0, u1, 0, 2);
      f1 = i64x2.shuffle(u0, u1, 1, 3);
    } else if (d == 3) {
      // (x_i0, x_i1), (x_i2, x_(i+1)0), (x_(i+1)1, x_(i+1)2)
      const u1 = pairOf<T>(px, 2);
      const u2 = pairOf<T>(px, 4);
      f0 = i64x2.shuffle(u0, u1, 0, 3);
      f1 = i64x2.shuffle(u0, u2, 1, 2);
      f2 = i64x2.shuffle(u1, u2, 0, 3);
    }
    // (times the rows' weights, or 1: a product with 1 changes no bit)
    const w = weights ? v128.load(addr(weights, i)) : one;
    const v0 = f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay)));
    const v1 = f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 48)));
    const v2 = f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 96)));
    const v3 = f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 144)));
    p0 = p0 + f64x2.extract_lane(v0, 0) + f64x2.extract_lane(v0, 1);
    p1 = p1 + f64x2.extract_lane(v1, 0) + f64x2.extract_lane(v1, 1);
    p2 = p2 + f64x2.extract_lane(v2, 0) + f64x2.extract_lane(v2, 1);
    p3 = p3 + f64x2.extract_lane(v3, 0) + f64x2.extract_lane(v3, 1);
  }
  if (i < n) {
    // a lone last row in both lanes (lane 0 counts)
    const m = v128.load64_splat(addr(minDist, i));
    const px = addrOf<T>(x, i * d);
    const f0 = f64x2.splat(ldOf<T>(px, 0));
    const f1 = d > 1 ? f64x2.splat(ldOf<T>(px, 1)) : zero;
    const f2 = d > 2 ? f64x2.splat(ldOf<T>(px, 2)) : zero;
    const w = weights ? v128.load64_splat(addr(weights, i)) : one;
    p0 += f64x2.extract_lane(f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay))), 0);
    p1 += f64x2.extract_lane(f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 48))), 0);
    p2 += f64x2.extract_lane(f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 96))), 0);
    p3 += f64x2.extract_lane(f64x2.mul(w, f64x2.pmin(m, trialDistance(f0, f1, f2, lay + 144))), 0);
  }
  st(out, 0, p0);
  if (count > 1) st(out, 1, p1);
  if (count > 2) st(out, 2, p2);
  if (count > 3) st(out, 3, p3);
}

/**
 * seedPotential for d > 3: two rows per trip (rowPairDistance), the pair's
 * minimum and store one vector each.
 */
function seedPotentialRows<T>(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool, cumulative: usize, weights: usize): f64 {
  const rowBytes = <usize>d << alignof<T>();
  let pot = 0.0;
  let i = 0;
  let pa = x;
  for (; i + 2 <= n; i += 2) {
    const pm = addr(minDist, i);
    const v = f64x2.pmin(v128.load(pm), rowPairDistance<T>(pa, pa + rowBytes, center, d)); // as seedPotentialOf's (above)
    if (commit) v128.store(pm, v);
    const e = weights ? f64x2.mul(v128.load(addr(weights, i)), v) : v;
    pot += f64x2.extract_lane(e, 0);
    if (cumulative) st(cumulative, i, pot);
    pot += f64x2.extract_lane(e, 1);
    if (cumulative) st(cumulative, i + 1, pot);
    pa += 2 * rowBytes;
  }
  if (i < n) {
    const dist = min(ld(minDist, i), sqDistOf<T, T>(addrOf<T>(x, i * d), center, d));
    if (commit) st(minDist, i, dist);
    pot += weights ? ld(weights, i) * dist : dist;
    if (cumulative) st(cumulative, i, pot);
  }
  return pot;
}

/** seedTrials beyond d = 3: seedPotentialRows' distances, each row pair read for the four candidates in turn. */
function seedTrialsRows<T>(x: usize, n: i32, d: i32, rows: usize, count: i32, minDist: usize, out: usize, weights: usize): void {
  const rowBytes = <usize>d << alignof<T>();
  const c0 = addrOf<T>(x, load<i32>(rows) * d);
  const c1 = addrOf<T>(x, load<i32>(rows + (<usize>min(1, count - 1) << 2)) * d);
  const c2 = addrOf<T>(x, load<i32>(rows + (<usize>min(2, count - 1) << 2)) * d);
  const c3 = addrOf<T>(x, load<i32>(rows + (<usize>min(3, count - 1) << 2)) * d);
  const one = f64x2.splat(1);
  let p0 = 0.0, p1 = 0.0, p2 = 0.0, p3 = 0.0;
  let i = 0;
  let pa = x;
  for (; i + 2 <= n; i += 2) {
    const m = v128.load(addr(minDist, i));
    const pb = pa + rowBytes;
    const w = weights ? v128.load(addr(weights, i)) : one; // (a product with 1 changes no bit)
    const v0 = f64x2.mul(w, f64x2.pmin(m, rowPairDistance<T>(pa, pb, c0, d)));
    const v1 = f64x2.mul(w, f64x2.pmin(m, rowPairDistance<T>(pa, pb, c1, d)));
    const v2 = f64x2.mul(w, f64x2.pmin(m, rowPairDistance<T>(pa, pb, c2, d)));
    const v3 = f64x2.mul(w, f64x2.pmin(m, rowPairDistance<T>(pa, pb, c3, d)));
    p0 = p0 + f64x2.extract_lane(v0, 0) + f64x2.extract_lane(v0, 1);
    p1 = p1 + f64x2.extract_lane(v1, 0) + f64x2.extract_lane(v1, 1);
    p2 = p2 + f64x2.extract_lane(v2, 0) + f64x2.extract_lane(v2, 1);
    p3 = p3 + f64x2.extract_lane(v3, 0) + f64x2.extract_lane(v3, 1);
    pa += 2 * rowBytes;
  }
  st(out, 0, p0);
  if (count > 1) st(out, 1, p1);
  if (count > 2) st(out, 2, p2);
  if (count > 3) st(out, 3, p3);
  if (i < n) {
    const m = ld(minDist, i);
    for (let t = 0; t < count; t++) {
      const c = addrOf<T>(x, load<i32>(rows + (<usize>t << 2)) * d);
      const e = min(m, sqDistOf<T, T>(pa, c, d));
      st(out, t, ld(out, t) + (weights ? ld(weights, i) * e : e));
    }
  }
}

/**
 * ‖x − centre‖² of the rows at pa and pb (d > 3), each summed as
 * sqDistOf<T, T> sums it (feature pairs in two accumulators over quads, a
 * left-over pair into the first, the lanes added, a last odd feature), so
 * the same bits as one sqDistOf per row; the centre's values are loaded once
 * for both rows.
 */
@inline function rowPairDistance<T>(pa: usize, pb: usize, center: usize, d: i32): v128 {
  const quadsEnd = center + (<usize>(d & ~3) << alignof<T>());
  const zero = f64x2.splat(0);
  let a0 = zero, a1 = zero, b0 = zero, b1 = zero;
  let pc = center;
  let qa = pa;
  let qb = pb;
  for (; pc < quadsEnd; pc += 4 << alignof<T>(), qa += 4 << alignof<T>(), qb += 4 << alignof<T>()) {
    const c0 = pairOf<T>(pc, 0);
    const c1 = pairOf<T>(pc, 2);
    const ta0 = f64x2.sub(pairOf<T>(qa, 0), c0);
    const ta1 = f64x2.sub(pairOf<T>(qa, 2), c1);
    const tb0 = f64x2.sub(pairOf<T>(qb, 0), c0);
    const tb1 = f64x2.sub(pairOf<T>(qb, 2), c1);
    a0 = f64x2.add(a0, f64x2.mul(ta0, ta0));
    a1 = f64x2.add(a1, f64x2.mul(ta1, ta1));
    b0 = f64x2.add(b0, f64x2.mul(tb0, tb0));
    b1 = f64x2.add(b1, f64x2.mul(tb1, tb1));
  }
  if (d & 2) {
    const c0 = pairOf<T>(pc, 0);
    const ta0 = f64x2.sub(pairOf<T>(qa, 0), c0);
    const tb0 = f64x2.sub(pairOf<T>(qb, 0), c0);
    a0 = f64x2.add(a0, f64x2.mul(ta0, ta0));
    b0 = f64x2.add(b0, f64x2.mul(tb0, tb0));
    pc += 2 << alignof<T>();
    qa += 2 << alignof<T>();
    qb += 2 << alignof<T>();
  }
  // (row a's lanes added, row b's): hsum for both rows at once
  const va = f64x2.add(a0, a1);
  const vb = f64x2.add(b0, b1);
  let r = f64x2.add(i64x2.shuffle(va, vb, 0, 2), i64x2.shuffle(va, vb, 1, 3));
  if (d & 1) {
    const t = f64x2.sub(f64x2.replace_lane(f64x2.splat(ldOf<T>(qa, 0)), 1, ldOf<T>(qb, 0)), f64x2.splat(ldOf<T>(pc, 0)));
    r = f64x2.add(r, f64x2.mul(t, t));
  }
  return r;
}
