import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { type CovarianceType, GaussianMixture } from "../src/index.js";
import {
  type Cov2,
  components2D,
  criterionSeries,
  eigen2,
  ellipseFromCovariance,
  escapeXml,
  lineChartPanel,
  niceTicks,
  renderSvg,
  scatterPanel,
  screenEllipse,
} from "../src/svg.js";
import { datasets } from "./helpers.js";
import { checkWellFormed } from "./well-formed.js";

function attrs(tag: string): Record<string, string> {
  return Object.fromEntries([...tag.matchAll(/([\w:-]+)="([^"]*)"/g)].map((a) => [a[1], a[2]]));
}

/** The data→pixel map of a plot, recovered from its tick labels. */
function axisMap(svg: string, cls: "x-tick" | "y-tick"): { scale: number; offset: number } {
  const ticks = [...svg.matchAll(new RegExp(`<text class="${cls}"([^>]*)>([^<]*)</text>`, "g"))].map((m) => ({
    pos: Number(attrs(m[1])[cls === "x-tick" ? "x" : "y"]),
    value: Number(m[2].replace("−", "-")),
  }));
  expect(ticks.length).toBeGreaterThanOrEqual(2);
  const [a, b] = [ticks[0], ticks[ticks.length - 1]];
  const scale = (b.pos - a.pos) / (b.value - a.value);
  return { scale, offset: a.pos - a.value * scale };
}

describe("ellipse geometry", () => {
  it("ellipseFromCovariance([[2, 1], [1, 2]]) has semi-axes √3 and 1 at 45°", () => {
    const e = ellipseFromCovariance([5, -1], { xx: 2, xy: 1, yy: 2 }, 1);
    expect(e.cx).toBe(5);
    expect(e.cy).toBe(-1);
    expect(e.rx).toBeCloseTo(Math.sqrt(3), 12);
    expect(e.ry).toBeCloseTo(1, 12);
    expect(e.angle).toBeCloseTo(45, 10);
  });

  it.each([
    [{ xx: 4, xy: 0, yy: 1 }, 2, 1, 0],
    [{ xx: 1, xy: 0, yy: 4 }, 2, 1, 90],
    [{ xx: 2, xy: -1, yy: 2 }, Math.sqrt(3), 1, -45],
    [{ xx: 1, xy: 0, yy: 1 }, 1, 1, 0],
  ])("ellipseFromCovariance(%j) gives rx %d, ry %d, angle %d", (cov, rx, ry, angle) => {
    const e = ellipseFromCovariance([0, 0], cov as Cov2, 1);
    expect(e.rx).toBeCloseTo(rx, 12);
    expect(e.ry).toBeCloseTo(ry, 12);
    expect(e.angle).toBeCloseTo(angle, 10);
  });

  it("the 2σ ellipse is the 1σ ellipse scaled by two", () => {
    const a = ellipseFromCovariance([0, 0], { xx: 3, xy: 0.7, yy: 1 }, 1);
    const b = ellipseFromCovariance([0, 0], { xx: 3, xy: 0.7, yy: 1 }, 2);
    expect(b.rx).toBeCloseTo(2 * a.rx, 12);
    expect(b.ry).toBeCloseTo(2 * a.ry, 12);
    expect(b.angle).toBe(a.angle);
  });

  it("eigen2 reconstructs the covariance: R diag(λ) Rᵀ = Σ for random SPD matrices", () => {
    const spd = fc
      .tuple(
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: 1e-3, max: 1e3, noNaN: true }),
        fc.double({ min: -0.99, max: 0.99, noNaN: true }),
      )
      .map(([a, c, r]) => ({ xx: a, yy: c, xy: r * Math.sqrt(a * c) }));
    fc.assert(
      fc.property(spd, (cov) => {
        const { major, minor, angle } = eigen2(cov);
        const t = (angle * Math.PI) / 180;
        const [c, s] = [Math.cos(t), Math.sin(t)];
        const scale = Math.max(cov.xx, cov.yy);
        expect(Math.abs(major * c * c + minor * s * s - cov.xx)).toBeLessThan(1e-9 * scale);
        expect(Math.abs((major - minor) * c * s - cov.xy)).toBeLessThan(1e-9 * scale);
        expect(Math.abs(major * s * s + minor * c * c - cov.yy)).toBeLessThan(1e-9 * scale);
        expect(major).toBeGreaterThanOrEqual(minor);
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it("screenEllipse turns a positive correlation up and to the right on a y-down screen", () => {
    const e = screenEllipse([100, 100], { xx: 2, xy: 1, yy: 2 }, 1, 1, 1);
    expect(e.angle).toBeCloseTo(-45, 10);
    // Unequal scales: 10 px per x unit, 1 px per y unit, no correlation.
    const f = screenEllipse([0, 0], { xx: 1, xy: 0, yy: 4 }, 2, 10, 1);
    expect(f.rx).toBeCloseTo(20, 10);
    expect(f.ry).toBeCloseTo(4, 10);
    expect(f.angle).toBeCloseTo(0, 10);
  });
});

describe("components2D", () => {
  const means = [
    [0, 1, 2],
    [3, 4, 5],
  ];
  it.each([
    [
      "full",
      [
        [
          [1, 0.1, 0.2],
          [0.1, 2, 0.3],
          [0.2, 0.3, 3],
        ],
        [
          [4, 0.4, 0.5],
          [0.4, 5, 0.6],
          [0.5, 0.6, 6],
        ],
      ],
      [
        { xx: 2, xy: 0.3, yy: 3 },
        { xx: 5, xy: 0.6, yy: 6 },
      ],
    ],
    [
      "tied",
      [
        [1, 0.1, 0.2],
        [0.1, 2, 0.3],
        [0.2, 0.3, 3],
      ],
      [
        { xx: 2, xy: 0.3, yy: 3 },
        { xx: 2, xy: 0.3, yy: 3 },
      ],
    ],
    [
      "diag",
      [
        [1, 2, 3],
        [4, 5, 6],
      ],
      [
        { xx: 2, xy: 0, yy: 3 },
        { xx: 5, xy: 0, yy: 6 },
      ],
    ],
    [
      "spherical",
      [7, 8],
      [
        { xx: 7, xy: 0, yy: 7 },
        { xx: 8, xy: 0, yy: 8 },
      ],
    ],
  ])("components2D(%s, dims [1, 2]) takes the 2×2 block of each covariance", (type, covariances, expected) => {
    const comps = components2D(
      { covarianceType: type as CovarianceType, weights: [0.25, 0.75], means, covariances },
      [1, 2],
    );
    expect(comps.map((c) => c.cov)).toEqual(expected);
    expect(comps.map((c) => c.mean)).toEqual([
      [1, 2],
      [4, 5],
    ]);
    expect(comps.map((c) => c.weight)).toEqual([0.25, 0.75]);
  });

  it("accepts a fitted GaussianMixture of every covariance type", () => {
    for (const covarianceType of ["full", "tied", "diag", "spherical"] as const) {
      const g = new GaussianMixture({ nComponents: 2, covarianceType, randomState: 0 }).fit(datasets.faithful);
      const comps = components2D(g);
      expect(comps).toHaveLength(2);
      for (const c of comps) {
        expect(c.cov.xx).toBeGreaterThan(0);
        expect(c.cov.yy).toBeGreaterThan(0);
        expect(c.cov.xy * c.cov.xy).toBeLessThan(c.cov.xx * c.cov.yy);
      }
    }
  });
});

describe("niceTicks", () => {
  it.each([
    [0, 10, 5, [0, 2, 4, 6, 8, 10], 0],
    [1.6, 5.1, 6, [2, 2.5, 3, 3.5, 4, 4.5, 5], 1],
    [43, 96, 6, [50, 60, 70, 80, 90], 0],
    [-0.013, 0.021, 4, [-0.01, 0, 0.01, 0.02], 2],
    [2300, 2900, 5, [2300, 2400, 2500, 2600, 2700, 2800, 2900], 0],
  ])("niceTicks(%d, %d, %d) is %j", (lo, hi, count, ticks, decimals) => {
    expect(niceTicks(lo, hi, count)).toEqual({ ticks, decimals });
  });

  it("widens an empty range and ignores non-finite ones", () => {
    expect(niceTicks(3, 3).ticks.length).toBeGreaterThan(1);
    expect(niceTicks(NaN, 1).ticks).toEqual([]);
    expect(niceTicks(-1e308, 1e308).ticks.length).toBeLessThan(1000);
  });
});

describe("scatterPanel", () => {
  const X = datasets.faithful;
  const g = new GaussianMixture({ nComponents: 3, covarianceType: "full", randomState: 0 }).fit(X);
  const labels = g.predict(X);
  const comps = components2D(g);
  const svg = renderSvg([
    scatterPanel({
      points: X,
      labels,
      components: comps,
      xLabel: "eruptions <min> & more",
      yLabel: "waiting",
      title: "Old Faithful",
    }),
  ]);

  it("is well-formed SVG with a point per row and 1σ and 2σ ellipses per component", () => {
    checkWellFormed(svg);
    expect(svg).toMatch(
      /^<\?xml version="1.0" encoding="UTF-8"\?>\n<svg xmlns="http:\/\/www.w3.org\/2000\/svg" width="560" height="440"/,
    );
    const points = svg.slice(svg.indexOf('<g class="points"'), svg.indexOf('<g class="ellipses"'));
    expect(points.match(/<circle /g)).toHaveLength(X.length);
    expect(svg.match(/<ellipse class="sigma1"/g)).toHaveLength(3);
    expect(svg.match(/<ellipse class="sigma2"/g)).toHaveLength(3);
    expect(svg).toContain("eruptions &lt;min&gt; &amp; more");
  });

  it("colours the points by label", () => {
    const points = [...svg.slice(svg.indexOf('<g class="points"')).matchAll(/<circle [^>]*fill="([^"]+)"/g)]
      .slice(0, X.length)
      .map((m) => m[1]);
    const byLabel = new Map<number, Set<string>>();
    points.forEach((colour, i) =>
      (byLabel.get(labels[i]) ?? byLabel.set(labels[i], new Set()).get(labels[i])!).add(colour),
    );
    expect([...byLabel.values()].every((s) => s.size === 1)).toBe(true);
    expect(new Set(points).size).toBe(3);
  });

  it("draws each ellipse where the data contour at Mahalanobis distance 1 and 2 lies", () => {
    const xm = axisMap(svg, "x-tick");
    const ym = axisMap(svg, "y-tick");
    expect(ym.scale).toBeLessThan(0); // y grows upwards
    const ellipses = [...svg.matchAll(/<ellipse class="sigma(\d)"([^>]*)>/g)];
    expect(ellipses).toHaveLength(6);
    ellipses.forEach((m, index) => {
      const sigma = Number(m[1]);
      const c = comps[Math.floor(index / 2)];
      const a = attrs(m[2]);
      const rotate = /rotate\(([-\d.]+) /.exec(a.transform)!;
      const theta = (Number(rotate[1]) * Math.PI) / 180;
      const [cx, cy, rx, ry] = [Number(a.cx), Number(a.cy), Number(a.rx), Number(a.ry)];
      // Points around the drawn ellipse, taken back to data space, lie at Mahalanobis distance σ.
      const det = c.cov.xx * c.cov.yy - c.cov.xy * c.cov.xy;
      for (let t = 0; t < 2 * Math.PI; t += Math.PI / 8) {
        const ex = rx * Math.cos(t),
          ey = ry * Math.sin(t);
        const px = cx + ex * Math.cos(theta) - ey * Math.sin(theta);
        const py = cy + ex * Math.sin(theta) + ey * Math.cos(theta);
        const dx = (px - xm.offset) / xm.scale - c.mean[0];
        const dy = (py - ym.offset) / ym.scale - c.mean[1];
        const d2 = (c.cov.yy * dx * dx - 2 * c.cov.xy * dx * dy + c.cov.xx * dy * dy) / det;
        // Attributes are rounded to 0.01 px, so allow a small relative error.
        expect(Math.abs(Math.sqrt(d2) - sigma)).toBeLessThan(0.01 * sigma);
      }
    });
  });
});

describe("lineChartPanel", () => {
  const rows = [
    { covarianceType: "full", nComponents: 2, value: 2330 },
    { covarianceType: "full", nComponents: 1, value: 2600 },
    { covarianceType: "full", nComponents: 3, value: 2350 },
    { covarianceType: "diag", nComponents: 1, value: 2700 },
    { covarianceType: "diag", nComponents: 2, value: NaN },
    { covarianceType: "diag", nComponents: 3, value: 2400 },
  ];
  const series = criterionSeries(rows);
  const svg = renderSvg([lineChartPanel({ series, highlight: { series: "full", x: 2 }, title: "BIC & K" })]);

  it("criterionSeries groups rows into one series per covariance type, ordered by K", () => {
    expect(series.map((s) => s.name)).toEqual(["full", "diag"]);
    expect(series[0].points).toEqual([
      [1, 2600],
      [2, 2330],
      [3, 2350],
    ]);
  });

  it("draws one line per series, broken where a value is missing, and rings the chosen point", () => {
    checkWellFormed(svg);
    const paths = [...svg.matchAll(/<g class="series" data-name="(\w+)"><path d="([^"]+)"/g)];
    expect(paths.map((p) => p[1])).toEqual(["full", "diag"]);
    expect(paths[0][2].match(/[ML]/g)).toEqual(["M", "L", "L"]);
    expect(paths[1][2].match(/[ML]/g)).toEqual(["M", "M"]);
    const ring = attrs(/<circle class="highlight"([^>]*)>/.exec(svg)![1]);
    const xm = axisMap(svg, "x-tick");
    const ym = axisMap(svg, "y-tick");
    expect((Number(ring.cx) - xm.offset) / xm.scale).toBeCloseTo(2, 2);
    expect((Number(ring.cy) - ym.offset) / ym.scale).toBeCloseTo(2330, 0);
    expect(svg).toContain("BIC &amp; K");
  });

  it("renderSvg puts panels side by side", () => {
    const two = renderSvg([
      { width: 100, height: 50, body: "" },
      { width: 30, height: 80, body: "" },
    ]);
    expect(two).toContain('width="130" height="80" viewBox="0 0 130 80"');
    expect(two).toContain('<g transform="translate(100 0)">');
    checkWellFormed(two);
  });

  it("escapeXml escapes the five XML specials", () => {
    expect(escapeXml(`<a href="x">'&'</a>`)).toBe("&lt;a href=&quot;x&quot;&gt;&apos;&amp;&apos;&lt;/a&gt;");
  });
});
