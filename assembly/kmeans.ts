// Lloyd's k-means and the distance updates of k-means++ seeding.
//
// Generic over T, the element type of X (f64, or f32 for dtype "float32");
// each kernel is exported as itself (T = f64) and with an F32 suffix. The
// centres are always f64.
import { addr, addrOf, axpyOf, fill, ld, scale, sqDistOf, st } from "./util";

/**
 * labels[i] = nearest centre, minDist[i] = its squared distance.
 * Returns the inertia Σ_i minDist[i]. Ties go to the lowest index.
 */
export function assignNearest(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize): f64 {
  return assignNearestOf<f64>(x, n, d, centers, k, labels, minDist);
}

/** assignNearest with X stored as f32. */
export function assignNearestF32(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize): f64 {
  return assignNearestOf<f32>(x, n, d, centers, k, labels, minDist);
}

function assignNearestOf<T>(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize): f64 {
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
    inertia += bd;
  }
  return inertia;
}

/**
 * centers[c] = mean of the rows labelled c; counts[c] = how many (as f64).
 * A centre with no rows is left at zero with count 0: the host relocates it.
 */
export function updateCenters(x: usize, n: i32, d: i32, labels: usize, k: i32, centers: usize, counts: usize): void {
  updateCentersOf<f64>(x, n, d, labels, k, centers, counts);
}

/** updateCenters with X stored as f32. */
export function updateCentersF32(x: usize, n: i32, d: i32, labels: usize, k: i32, centers: usize, counts: usize): void {
  updateCentersOf<f32>(x, n, d, labels, k, centers, counts);
}

function updateCentersOf<T>(x: usize, n: i32, d: i32, labels: usize, k: i32, centers: usize, counts: usize): void {
  fill(centers, 0.0, k * d);
  fill(counts, 0.0, k);
  for (let i = 0; i < n; i++) {
    const c = load<i32>(labels + (<usize>i << 2));
    st(counts, c, ld(counts, c) + 1.0);
    axpyOf<T>(addr(centers, c * d), 1.0, addrOf<T>(x, i * d), d);
  }
  for (let c = 0; c < k; c++) {
    const m = ld(counts, c);
    if (m > 0.0) scale(addr(centers, c * d), 1.0 / m, d);
  }
}

/**
 * k-means++: the potential Σ_i min(minDist[i], ‖x_i − centre‖²) a candidate
 * centre would give. With `commit` set, minDist is updated in place.
 * `center` points at d values of X's element type (f64 here): candidates
 * are rows of X, passed in place.
 */
export function seedPotential(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool): f64 {
  return seedPotentialOf<f64>(x, n, d, center, minDist, commit);
}

/** seedPotential with X, and so `center`, stored as f32. */
export function seedPotentialF32(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool): f64 {
  return seedPotentialOf<f32>(x, n, d, center, minDist, commit);
}

function seedPotentialOf<T>(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool): f64 {
  let pot = 0.0;
  for (let i = 0; i < n; i++) {
    const dist = min(ld(minDist, i), sqDistOf<T, T>(addrOf<T>(x, i * d), center, d));
    if (commit) st(minDist, i, dist);
    pot += dist;
  }
  return pot;
}
