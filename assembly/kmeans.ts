// Lloyd's k-means and the distance updates of k-means++ seeding.
import { addr, axpy, fill, ld, scale, sqDist, st } from "./util";

/**
 * labels[i] = nearest centre, minDist[i] = its squared distance.
 * Returns the inertia Σ_i minDist[i]. Ties go to the lowest index.
 */
export function assignNearest(x: usize, n: i32, d: i32, centers: usize, k: i32, labels: usize, minDist: usize): f64 {
  let inertia = 0.0;
  for (let i = 0; i < n; i++) {
    const xi = addr(x, i * d);
    let best = 0;
    let bd = sqDist(xi, centers, d);
    for (let c = 1; c < k; c++) {
      const dist = sqDist(xi, addr(centers, c * d), d);
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
  fill(centers, 0.0, k * d);
  fill(counts, 0.0, k);
  for (let i = 0; i < n; i++) {
    const c = load<i32>(labels + (<usize>i << 2));
    st(counts, c, ld(counts, c) + 1.0);
    axpy(addr(centers, c * d), 1.0, addr(x, i * d), d);
  }
  for (let c = 0; c < k; c++) {
    const m = ld(counts, c);
    if (m > 0.0) scale(addr(centers, c * d), 1.0 / m, d);
  }
}

/**
 * k-means++: the potential Σ_i min(minDist[i], ‖x_i − centre‖²) a candidate
 * centre would give. With `commit` set, minDist is updated in place.
 */
export function seedPotential(x: usize, n: i32, d: i32, center: usize, minDist: usize, commit: bool): f64 {
  let pot = 0.0;
  for (let i = 0; i < n; i++) {
    const dist = min(ld(minDist, i), sqDist(addr(x, i * d), center, d));
    if (commit) st(minDist, i, dist);
    pot += dist;
  }
  return pot;
}
