// Pictures of a fitted mixture as standalone SVG text, with no dependencies
// and no DOM: a scatter of 2-D points coloured by component with each
// component's 1σ and 2σ ellipses, and a criterion-versus-K line chart.
// Geometry is exported on its own (ellipseFromCovariance, niceTicks) so the
// web demo's canvas draws the same ellipses.

/**
 * Standalone SVG pictures of a fitted mixture, with no dependencies, no DOM
 * and no WebAssembly: a scatter of two features coloured by component with
 * each component's 1σ and 2σ ellipses ({@link scatterPanel}), a criterion
 * against K ({@link lineChartPanel}), and the geometry behind them for
 * drawing elsewhere ({@link components2D}, {@link ellipseFromCovariance},
 * {@link screenEllipse}, {@link niceTicks}).
 *
 * @example
 * import { GaussianMixture, init, selectModel } from "gmm-wasm";
 * import { components2D, criterionSeries, lineChartPanel, renderSvg, scatterPanel } from "gmm-wasm/svg";
 * await init();
 * const { best, table } = selectModel(X, { nComponents: 6 });
 * const svg = renderSvg([
 *   scatterPanel({ points: X, labels: best.predict(X), components: components2D(best) }),
 *   lineChartPanel({ series: criterionSeries(table.map((r) => ({ ...r, value: r.bic }))) }),
 * ]);
 * writeFileSync("fit.svg", svg);
 *
 * @module gmm-wasm/svg
 */

/** A 2×2 symmetric covariance as its three distinct entries. */
export interface Cov2 {
  /** Variance of the first feature. */
  xx: number;
  /** Covariance of the two features. */
  xy: number;
  /** Variance of the second feature. */
  yy: number;
}

/**
 * An ellipse: centre, semi-axes and the angle of the `rx` axis in degrees,
 * counter-clockwise from +x (the mathematical convention, y pointing up).
 */
export interface Ellipse {
  /** Centre, x. */
  cx: number;
  /** Centre, y. */
  cy: number;
  /** Semi-axis along the direction `angle`. */
  rx: number;
  /** Semi-axis perpendicular to it. */
  ry: number;
  /** Angle of the `rx` axis in degrees, counter-clockwise from +x. */
  angle: number;
}

/**
 * Eigen-decomposition of [[xx, xy], [xy, yy]]: eigenvalues (larger first) and
 * the angle in degrees, in (−90, 90], of the larger one's eigenvector.
 *
 * @param c the 2×2 symmetric matrix
 * @example
 * eigen2({ xx: 2, xy: 1, yy: 2 }); // { major: 3, minor: 1, angle: 45 }
 */
export function eigen2(c: Cov2): {
  /** The larger eigenvalue. */
  major: number;
  /** The smaller eigenvalue. */
  minor: number;
  /** Direction of the larger one's eigenvector, degrees in (−90, 90]. */
  angle: number;
} {
  const mid = (c.xx + c.yy) / 2;
  const half = Math.hypot((c.xx - c.yy) / 2, c.xy);
  // θ = ½·atan2(2b, a − c) is the major axis's direction; it is 0 for a circle.
  let angle = (Math.atan2(2 * c.xy, c.xx - c.yy) / 2) * (180 / Math.PI);
  if (angle <= -90) angle += 180;
  return { major: mid + half, minor: Math.max(mid - half, 0), angle };
}

/**
 * The contour at Mahalanobis distance `nSigma` of a Gaussian with this mean
 * and covariance: semi-axes nσ·√λ along the eigenvectors.
 *
 * @param mean the centre (its first two entries)
 * @param cov the 2×2 covariance
 * @param nSigma the Mahalanobis radius (default 1)
 * @example
 * ellipseFromCovariance([0, 0], { xx: 2, xy: 1, yy: 2 }, 1); // rx √3, ry 1, angle 45
 */
export function ellipseFromCovariance(mean: ArrayLike<number>, cov: Cov2, nSigma = 1): Ellipse {
  const e = eigen2(cov);
  return { cx: mean[0], cy: mean[1], rx: nSigma * Math.sqrt(e.major), ry: nSigma * Math.sqrt(e.minor), angle: e.angle };
}

/** What the pictures need from a fitted model; a GaussianMixture or its JSON fields fit. */
export interface MixtureLike {
  /** The covariance type, which says how to read `covariances`. */
  covarianceType: "full" | "tied" | "diag" | "spherical";
  /** Mixing weights, length k. */
  weights: ArrayLike<number>;
  /** Means, k × d. */
  means: ArrayLike<ArrayLike<number>>;
  /** scikit-learn's shapes: full k×d×d, tied d×d, diag k×d, spherical k. */
  covariances: ArrayLike<number> | ArrayLike<ArrayLike<number>> | ArrayLike<ArrayLike<ArrayLike<number>>>;
}

/** One component seen in the plane of two features. */
export interface Component2D {
  /** Mixing weight. */
  weight: number;
  /** Mean in the two features. */
  mean: [number, number];
  /** 2×2 covariance block in the two features. */
  cov: Cov2;
}

/**
 * Each component's marginal in features (i, j): the mean's two entries and the
 * 2×2 block of its covariance, built from the diagonal (diag), the shared
 * matrix (tied) or σ²I (spherical) as the covariance type requires.
 *
 * @param model a fitted GaussianMixture, or anything with its four fields (its JSON's, renamed)
 * @param dims the two feature indices (default [0, 1])
 * @example
 * const gmm = new GaussianMixture({ nComponents: 3, covarianceType: "diag" }).fit(X);
 * components2D(gmm, [0, 2]); // [{ weight, mean: [μ0, μ2], cov: { xx, xy: 0, yy } }, …]
 */
export function components2D(model: MixtureLike, dims: readonly [number, number] = [0, 1]): Component2D[] {
  const [i, j] = dims;
  const k = model.weights.length;
  const cov = model.covariances as never;
  const out: Component2D[] = [];
  for (let c = 0; c < k; c++) {
    let m: Cov2;
    switch (model.covarianceType) {
      case "full": {
        const s = (cov as number[][][])[c];
        m = { xx: s[i][i], xy: s[i][j], yy: s[j][j] };
        break;
      }
      case "tied": {
        const s = cov as number[][];
        m = { xx: s[i][i], xy: s[i][j], yy: s[j][j] };
        break;
      }
      case "diag": {
        const s = (cov as number[][])[c];
        m = { xx: s[i], xy: 0, yy: s[j] };
        break;
      }
      case "spherical": {
        const v = (cov as number[])[c];
        m = { xx: v, xy: 0, yy: v };
        break;
      }
      default:
        throw new RangeError(`unknown covariance type ${JSON.stringify(model.covarianceType)}`);
    }
    const mean = model.means[c];
    out.push({ weight: model.weights[c], mean: [mean[i], mean[j]], cov: m });
  }
  return out;
}

/**
 * About `count` round tick values (1, 2 or 5 × 10ⁿ apart) covering [lo, hi],
 * with the number of decimals that prints them exactly.
 *
 * @param lo one end of the range
 * @param hi the other end
 * @param count about how many ticks (default 5)
 * @example
 * niceTicks(0.13, 0.97, 4); // { ticks: [0.2, 0.4, 0.6, 0.8], decimals: 1 }
 */
export function niceTicks(
  lo: number,
  hi: number,
  count = 5,
): {
  /** Tick values, ascending. */
  ticks: number[];
  /** Decimals that print every tick exactly. */
  decimals: number;
} {
  if (!(Number.isFinite(lo) && Number.isFinite(hi))) return { ticks: [], decimals: 0 };
  if (hi < lo) [lo, hi] = [hi, lo];
  if (hi === lo) {
    const pad = lo === 0 ? 1 : Math.abs(lo) * 0.1;
    lo -= pad;
    hi += pad;
  }
  const raw = (hi - lo) / Math.max(count, 1);
  const exp = Math.floor(Math.log10(raw));
  const base = 10 ** exp;
  const f = raw / base;
  const mult = f < 1.5 ? 1 : f < 3.5 ? 2 : f < 7.5 ? 5 : 10;
  const step = mult * base;
  if (!(Number.isFinite(step) && step > 0)) return { ticks: [], decimals: 0 };
  const decimals = Math.max(0, -Math.floor(Math.log10(step) + 1e-9));
  const ticks: number[] = [];
  const first = Math.ceil(lo / step - 1e-9);
  const last = Math.floor(hi / step + 1e-9);
  for (let t = first; t <= last && ticks.length < 1000; t++) ticks.push(Number((t * step).toFixed(decimals)));
  return { ticks, decimals };
}

// ---------------------------------------------------------------- drawing

/** Okabe & Ito's colour-blind-safe palette (black last, then repeats). */
export const PALETTE = ["#0072B2", "#E69F00", "#009E73", "#CC79A7", "#56B4E9", "#D55E00", "#F0E442", "#000000"];

/**
 * Text escaped for XML content and attribute values.
 *
 * @param s any text
 */
export function escapeXml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&apos;" })[c]!);
}

/** A number for an SVG attribute: at most two decimals, no "-0". */
function n(v: number): string {
  const r = Math.round(v * 100) / 100;
  return String(r === 0 ? 0 : r);
}

function formatTick(v: number, decimals: number): string {
  const a = Math.abs(v);
  if (a !== 0 && (a >= 1e7 || a < 1e-5)) return v.toExponential(1);
  return v.toFixed(decimals).replace("-", "−");
}

/** A panel: an SVG fragment of the given size with its origin at its top left. */
export interface Panel {
  /** Width in pixels. */
  width: number;
  /** Height in pixels. */
  height: number;
  /** SVG elements, in the panel's own coordinates. */
  body: string;
}

let clipIds = 0;
const MARGIN = { left: 64, right: 16, top: 36, bottom: 48 };
const FONT = `font-family="system-ui, -apple-system, 'Segoe UI', Helvetica, Arial, sans-serif"`;

/** Linear map from data to pixels for one plot area (y grows upwards in data, downwards on screen). */
class Frame {
  readonly x0: number;
  readonly x1: number;
  readonly y0: number;
  readonly y1: number;
  constructor(
    readonly left: number,
    readonly top: number,
    readonly width: number,
    readonly height: number,
    xDomain: [number, number],
    yDomain: [number, number],
  ) {
    [this.x0, this.x1] = widen(xDomain);
    [this.y0, this.y1] = widen(yDomain);
  }
  get sx(): number {
    return this.width / (this.x1 - this.x0);
  }
  get sy(): number {
    return this.height / (this.y1 - this.y0);
  }
  px(x: number): number {
    return this.left + (x - this.x0) * this.sx;
  }
  py(y: number): number {
    return this.top + this.height - (y - this.y0) * this.sy;
  }
}

function widen([a, b]: [number, number]): [number, number] {
  if (!(Number.isFinite(a) && Number.isFinite(b))) return [0, 1];
  if (b > a) return [a, b];
  const pad = a === 0 ? 1 : Math.abs(a) * 0.1;
  return [a - pad, b + pad];
}

/**
 * The ellipse for (mean, cov, nσ) on a screen whose y axis points down, with
 * `sx`, `sy` pixels per data unit and `mean` already in pixels. The
 * covariance is carried to screen space (S Σ S with S = diag(sx, −sy)) before
 * the eigen-decomposition, because unequal axis scales change the ellipse's
 * angle and axes, not only its size. The angle is in screen coordinates
 * (from +x towards +y, clockwise as seen), as SVG's rotate() and the canvas's
 * ellipse() take it.
 *
 * @param mean the centre, in pixels
 * @param cov the 2×2 covariance, in data units
 * @param nSigma the Mahalanobis radius
 * @param sx pixels per data unit along x
 * @param sy pixels per data unit along y
 */
export function screenEllipse(mean: ArrayLike<number>, cov: Cov2, nSigma: number, sx: number, sy: number): Ellipse {
  const e = ellipseFromCovariance(
    [0, 0],
    { xx: cov.xx * sx * sx, xy: -cov.xy * sx * sy, yy: cov.yy * sy * sy },
    nSigma,
  );
  return { ...e, cx: mean[0], cy: mean[1] };
}

function axes(
  f: Frame,
  xLabel: string,
  yLabel: string,
  xTicks: { ticks: number[]; decimals: number },
  yTicks: { ticks: number[]; decimals: number },
): string {
  const parts: string[] = [];
  const bottom = f.top + f.height;
  for (const t of xTicks.ticks) {
    const x = n(f.px(t));
    parts.push(`<line x1="${x}" y1="${n(f.top)}" x2="${x}" y2="${n(bottom)}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${x}" y1="${n(bottom)}" x2="${x}" y2="${n(bottom + 5)}" stroke="#333"/>`);
    parts.push(
      `<text class="x-tick" x="${x}" y="${n(bottom + 18)}" text-anchor="middle">${escapeXml(formatTick(t, xTicks.decimals))}</text>`,
    );
  }
  for (const t of yTicks.ticks) {
    const y = n(f.py(t));
    parts.push(`<line x1="${n(f.left)}" y1="${y}" x2="${n(f.left + f.width)}" y2="${y}" stroke="#e5e5e5"/>`);
    parts.push(`<line x1="${n(f.left - 5)}" y1="${y}" x2="${n(f.left)}" y2="${y}" stroke="#333"/>`);
    parts.push(
      `<text class="y-tick" x="${n(f.left - 8)}" y="${y}" dy="0.32em" text-anchor="end">${escapeXml(formatTick(t, yTicks.decimals))}</text>`,
    );
  }
  parts.push(
    `<rect x="${n(f.left)}" y="${n(f.top)}" width="${n(f.width)}" height="${n(f.height)}" fill="none" stroke="#333"/>`,
  );
  parts.push(
    `<text x="${n(f.left + f.width / 2)}" y="${n(bottom + 38)}" text-anchor="middle" font-size="13">${escapeXml(xLabel)}</text>`,
  );
  const ly = f.top + f.height / 2;
  parts.push(
    `<text x="16" y="${n(ly)}" text-anchor="middle" font-size="13" transform="rotate(-90 16 ${n(ly)})">${escapeXml(yLabel)}</text>`,
  );
  return parts.join("");
}

function title(text: string | undefined, width: number): string {
  return text
    ? `<text x="${n(width / 2)}" y="22" text-anchor="middle" font-size="15" font-weight="600">${escapeXml(text)}</text>`
    : "";
}

/** What `scatterPanel` draws. */
export interface ScatterOptions {
  /** Rows of at least two values, or a dense row-major matrix. */
  points:
    | ReadonlyArray<ArrayLike<number>>
    | {
        /** Row-major values. */
        data: ArrayLike<number>;
        /** Point count. */
        rows: number;
        /** Values per point. */
        cols: number;
      };
  /** Component of each point (colours); omitted: one colour. */
  labels?: ArrayLike<number>;
  /** Components to draw as ellipses (see components2D). */
  components?: readonly Component2D[];
  /** Which two columns of `points` to plot (default [0, 1]). */
  dims?: readonly [number, number];
  /** Mahalanobis radii of the ellipses (default [1, 2]: 1σ solid, 2σ dashed). */
  sigmas?: readonly number[];
  /** Label of the x axis. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** Title above the plot. */
  title?: string;
  /** Width in pixels (default 560). */
  width?: number;
  /** Height in pixels (default 440). */
  height?: number;
}

function pointAccessor(points: ScatterOptions["points"]): { count: number; get(i: number, j: number): number } {
  if (Array.isArray(points)) {
    const rows = points as ReadonlyArray<ArrayLike<number>>;
    return { count: rows.length, get: (i, j) => rows[i][j] };
  }
  const m = points as { data: ArrayLike<number>; rows: number; cols: number };
  return { count: m.rows, get: (i, j) => m.data[i * m.cols + j] };
}

/**
 * Scatter of two features, coloured by component, with each component's ellipses and mean.
 *
 * @param o the points, their labels, the components and the panel's look
 * @example
 * const panel = scatterPanel({ points: X, labels: gmm.predict(X), components: components2D(gmm), xLabel: "eruptions" });
 * renderSvg([panel]);
 */
export function scatterPanel(o: ScatterOptions): Panel {
  const width = o.width ?? 560;
  const height = o.height ?? 440;
  const [di, dj] = o.dims ?? [0, 1];
  const comps = o.components ?? [];
  const sigmas = o.sigmas ?? [1, 2];
  const pts = pointAccessor(o.points);
  let xmin = Infinity,
    xmax = -Infinity,
    ymin = Infinity,
    ymax = -Infinity;
  for (let i = 0; i < pts.count; i++) {
    const x = pts.get(i, di),
      y = pts.get(i, dj);
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    xmin = Math.min(xmin, x);
    xmax = Math.max(xmax, x);
    ymin = Math.min(ymin, y);
    ymax = Math.max(ymax, y);
  }
  // The view holds the points and, up to a quarter of their span more on
  // each side, the largest ellipses; anything beyond is clipped.
  const big = Math.max(...sigmas, 0);
  let ex0 = xmin,
    ex1 = xmax,
    ey0 = ymin,
    ey1 = ymax;
  for (const c of comps) {
    const hx = big * Math.sqrt(Math.max(c.cov.xx, 0)),
      hy = big * Math.sqrt(Math.max(c.cov.yy, 0));
    ex0 = Math.min(ex0, c.mean[0] - hx);
    ex1 = Math.max(ex1, c.mean[0] + hx);
    ey0 = Math.min(ey0, c.mean[1] - hy);
    ey1 = Math.max(ey1, c.mean[1] + hy);
  }
  if (!Number.isFinite(xmin)) {
    xmin = ex0;
    xmax = ex1;
    ymin = ey0;
    ymax = ey1;
  }
  const spanX = Number.isFinite(xmax - xmin) && xmax > xmin ? xmax - xmin : 1;
  const spanY = Number.isFinite(ymax - ymin) && ymax > ymin ? ymax - ymin : 1;
  const lo = (e: number, m: number, span: number) => Math.max(e, m - 0.25 * span);
  const hi = (e: number, m: number, span: number) => Math.min(e, m + 0.25 * span);
  const vx0 = lo(ex0, xmin, spanX),
    vx1 = hi(ex1, xmax, spanX),
    vy0 = lo(ey0, ymin, spanY),
    vy1 = hi(ey1, ymax, spanY);
  const padX = 0.04 * (vx1 - vx0 || 1),
    padY = 0.04 * (vy1 - vy0 || 1);
  const [x0, x1, y0, y1] = [vx0 - padX, vx1 + padX, vy0 - padY, vy1 + padY];
  const f = new Frame(
    MARGIN.left,
    MARGIN.top,
    width - MARGIN.left - MARGIN.right,
    height - MARGIN.top - MARGIN.bottom,
    [x0, x1],
    [y0, y1],
  );
  const clip = `plot-area-${++clipIds}`;
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(title(o.title, width));
  parts.push(
    axes(
      f,
      o.xLabel ?? `feature ${di + 1}`,
      o.yLabel ?? `feature ${dj + 1}`,
      niceTicks(f.x0, f.x1, 6),
      niceTicks(f.y0, f.y1, 6),
    ),
  );
  parts.push(
    `<clipPath id="${clip}"><rect x="${n(f.left)}" y="${n(f.top)}" width="${n(f.width)}" height="${n(f.height)}"/></clipPath>`,
  );
  parts.push(`<g clip-path="url(#${clip})">`);
  const colour = (c: number) => PALETTE[((c % PALETTE.length) + PALETTE.length) % PALETTE.length];
  parts.push(`<g class="points" fill-opacity="0.6" stroke-width="0.6">`);
  for (let i = 0; i < pts.count; i++) {
    const x = pts.get(i, di),
      y = pts.get(i, dj);
    if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
    const c = o.labels ? colour(o.labels[i]) : "#555";
    parts.push(`<circle cx="${n(f.px(x))}" cy="${n(f.py(y))}" r="2.6" fill="${c}" stroke="${c}"/>`);
  }
  parts.push(`</g><g class="ellipses" fill="none">`);
  comps.forEach((c, index) => {
    const col = colour(index);
    sigmas.forEach((s, si) => {
      const e = screenEllipse([f.px(c.mean[0]), f.py(c.mean[1])], c.cov, s, f.sx, f.sy);
      const dash = si === 0 ? "" : ` stroke-dasharray="6 4"`;
      parts.push(
        `<ellipse class="sigma${s}" cx="${n(e.cx)}" cy="${n(e.cy)}" rx="${n(e.rx)}" ry="${n(e.ry)}" transform="rotate(${n(e.angle)} ${n(e.cx)} ${n(e.cy)})" stroke="${col}" stroke-width="${si === 0 ? 2.2 : 1.6}"${dash}/>`,
      );
    });
    const mx = f.px(c.mean[0]),
      my = f.py(c.mean[1]);
    parts.push(
      `<path class="mean" d="M${n(mx - 6)} ${n(my)}H${n(mx + 6)}M${n(mx)} ${n(my - 6)}V${n(my + 6)}" stroke="#111" stroke-width="2"/>`,
    );
  });
  parts.push(`</g></g>`);
  if (comps.length > 0) {
    // The legend goes in the plot corner that covers the fewest points.
    const rowH = 17;
    const lw = 150,
      lh = comps.length * rowH + 8 + (sigmas.length > 1 ? rowH : 0);
    const corners: [number, number][] = [
      [f.left + 10, f.top + 10],
      [f.left + f.width - lw - 10, f.top + 10],
      [f.left + 10, f.top + f.height - lh - 10],
      [f.left + f.width - lw - 10, f.top + f.height - lh - 10],
    ];
    const covered = corners.map(([cx, cy]) => {
      let count = 0;
      for (let i = 0; i < pts.count; i++) {
        const px = f.px(pts.get(i, di)),
          py = f.py(pts.get(i, dj));
        if (px >= cx - 4 && px <= cx + lw + 4 && py >= cy - 4 && py <= cy + lh + 4) count++;
      }
      return count;
    });
    const [lx, ly] = corners[covered.indexOf(Math.min(...covered))];
    parts.push(
      `<g class="legend"><rect x="${n(lx)}" y="${n(ly)}" width="${lw}" height="${n(lh)}" fill="#fff" fill-opacity="0.85" stroke="#ccc"/>`,
    );
    comps.forEach((c, index) => {
      const y = ly + 4 + rowH * index + rowH / 2;
      parts.push(`<circle cx="${n(lx + 12)}" cy="${n(y)}" r="5" fill="${colour(index)}"/>`);
      parts.push(
        `<text x="${n(lx + 24)}" y="${n(y)}" dy="0.32em">component ${index} (${(c.weight * 100).toFixed(0)}%)</text>`,
      );
    });
    if (sigmas.length > 1) {
      const y = ly + 4 + rowH * comps.length + rowH / 2;
      parts.push(
        `<line x1="${n(lx + 6)}" y1="${n(y)}" x2="${n(lx + 22)}" y2="${n(y)}" stroke="#333" stroke-width="2"/>`,
      );
      parts.push(`<text x="${n(lx + 26)}" y="${n(y)}" dy="0.32em">${sigmas[0]}σ</text>`);
      parts.push(
        `<line x1="${n(lx + 56)}" y1="${n(y)}" x2="${n(lx + 72)}" y2="${n(y)}" stroke="#333" stroke-width="1.6" stroke-dasharray="4 3"/>`,
      );
      parts.push(`<text x="${n(lx + 76)}" y="${n(y)}" dy="0.32em">${sigmas[1]}σ</text>`);
    }
    parts.push(`</g>`);
  }
  return { width, height, body: parts.join("") };
}

/** A line for each series; y may be NaN or missing for a fit that failed (the line breaks there). */
export interface LineSeries {
  /** Legend entry, e.g. the covariance type. */
  name: string;
  /** [x, y] pairs in order of x. */
  points: ReadonlyArray<readonly [number, number]>;
}

/** What `lineChartPanel` draws. */
export interface LineChartOptions {
  /** One line each. */
  series: readonly LineSeries[];
  /** A point to ring, such as the chosen model. */
  highlight?: {
    /** Name of the series. */
    series: string;
    /** x of the point. */
    x: number;
  };
  /** Label of the x axis. */
  xLabel?: string;
  /** Label of the y axis. */
  yLabel?: string;
  /** Title above the chart. */
  title?: string;
  /** Width in pixels (default 480). */
  width?: number;
  /** Height in pixels (default 440). */
  height?: number;
  /** Integer x ticks (for K). Default true. */
  integerX?: boolean;
}

const DASHES = ["", "7 4", "2 3", "9 3 2 3"];

/**
 * Line chart, e.g. BIC against the number of components, one line per covariance type.
 *
 * @param o the series, the point to ring and the panel's look
 * @example
 * const { table, bestRow } = selectModel(X, { nComponents: 8 });
 * lineChartPanel({
 *   series: criterionSeries(table.map((r) => ({ ...r, value: r.bic }))),
 *   highlight: { series: bestRow.covarianceType, x: bestRow.nComponents },
 * });
 */
export function lineChartPanel(o: LineChartOptions): Panel {
  const width = o.width ?? 480;
  const height = o.height ?? 440;
  const legendW = 100;
  let xmin = Infinity,
    xmax = -Infinity,
    ymin = Infinity,
    ymax = -Infinity;
  for (const s of o.series) {
    for (const [x, y] of s.points) {
      if (!(Number.isFinite(x) && Number.isFinite(y))) continue;
      xmin = Math.min(xmin, x);
      xmax = Math.max(xmax, x);
      ymin = Math.min(ymin, y);
      ymax = Math.max(ymax, y);
    }
  }
  const padY = Number.isFinite(ymax - ymin) ? (ymax - ymin) * 0.05 : 0;
  const padX = o.integerX === false ? 0 : 0.3;
  const f = new Frame(
    MARGIN.left + 8,
    MARGIN.top,
    width - MARGIN.left - 8 - MARGIN.right - legendW,
    height - MARGIN.top - MARGIN.bottom,
    [xmin - padX, xmax + padX],
    [ymin - padY, ymax + padY],
  );
  let xTicks = niceTicks(f.x0, f.x1, Math.min(8, Math.max(xmax - xmin, 1)));
  if (o.integerX !== false) {
    const ks: number[] = [];
    const step = Math.max(1, Math.ceil((xmax - xmin) / 10));
    for (let x = Math.ceil(xmin); x <= xmax && ks.length < 100; x += step) ks.push(x);
    xTicks = { ticks: ks, decimals: 0 };
  }
  const parts: string[] = [];
  parts.push(`<rect width="${width}" height="${height}" fill="#fff"/>`);
  parts.push(title(o.title, width));
  parts.push(axes(f, o.xLabel ?? "number of components K", o.yLabel ?? "BIC", xTicks, niceTicks(f.y0, f.y1, 6)));
  o.series.forEach((s, index) => {
    const col = PALETTE[index % PALETTE.length];
    const dash = DASHES[index % DASHES.length];
    let d = "";
    let pen = false;
    const marks: string[] = [];
    for (const [x, y] of s.points) {
      if (!(Number.isFinite(x) && Number.isFinite(y))) {
        pen = false;
        continue;
      }
      d += `${pen ? "L" : "M"}${n(f.px(x))} ${n(f.py(y))}`;
      pen = true;
      marks.push(`<circle cx="${n(f.px(x))}" cy="${n(f.py(y))}" r="3" fill="${col}"/>`);
    }
    parts.push(`<g class="series" data-name="${escapeXml(s.name)}">`);
    if (d)
      parts.push(
        `<path d="${d}" fill="none" stroke="${col}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
      );
    parts.push(marks.join(""), `</g>`);
    const ly = f.top + 12 + index * 20;
    const lx = f.left + f.width + 14;
    parts.push(
      `<line x1="${n(lx)}" y1="${n(ly)}" x2="${n(lx + 24)}" y2="${n(ly)}" stroke="${col}" stroke-width="2"${dash ? ` stroke-dasharray="${dash}"` : ""}/>`,
    );
    parts.push(`<text x="${n(lx + 30)}" y="${n(ly)}" dy="0.32em">${escapeXml(s.name)}</text>`);
  });
  if (o.highlight) {
    const s = o.series.find((t) => t.name === o.highlight!.series);
    const p = s?.points.find(([x]) => x === o.highlight!.x);
    if (p && Number.isFinite(p[1])) {
      const cx = f.px(p[0]),
        cy = f.py(p[1]);
      parts.push(
        `<circle class="highlight" cx="${n(cx)}" cy="${n(cy)}" r="8" fill="none" stroke="#111" stroke-width="2"/>`,
      );
      parts.push(
        `<text x="${n(cx)}" y="${n(cy - 14)}" text-anchor="middle" font-weight="600" stroke="#fff" stroke-width="4" paint-order="stroke">chosen</text>`,
      );
    }
  }
  return { width, height, body: parts.join("") };
}

/**
 * Panels side by side in one standalone SVG document.
 *
 * @param panels drawn left to right, top-aligned
 * @example
 * writeFileSync("plot.svg", renderSvg([scatterPanel({ points: X }), lineChartPanel({ series })]));
 */
export function renderSvg(panels: readonly Panel[]): string {
  const width = panels.reduce((s, p) => s + p.width, 0);
  const height = panels.reduce((m, p) => Math.max(m, p.height), 0);
  let x = 0;
  const groups = panels.map((p) => {
    const g = `<g transform="translate(${x} 0)">${p.body}</g>`;
    x += p.width;
    return g;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ${FONT} font-size="12" fill="#222">\n${groups.join("\n")}\n</svg>\n`;
}

/**
 * Criterion table rows (as selectModel's) grouped into one series per covariance type, ordered by K.
 *
 * @param rows one row per fit, with the criterion's value in `value`
 * @example
 * criterionSeries(selectModel(X).table.map((r) => ({ ...r, value: r.bic }))); // [{ name: "full", points }, …]
 */
export function criterionSeries(
  rows: ReadonlyArray<{ covarianceType: string; nComponents: number; value: number }>,
): LineSeries[] {
  const byType = new Map<string, [number, number][]>();
  for (const r of rows) {
    if (!byType.has(r.covarianceType)) byType.set(r.covarianceType, []);
    byType.get(r.covarianceType)!.push([r.nComponents, r.value]);
  }
  return [...byType].map(([name, points]) => ({ name, points: points.sort((a, b) => a[0] - b[0]) }));
}
