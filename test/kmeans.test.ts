// Reference values from scikit-learn's KMeans (test/fixtures/make_sklearn.py).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { KMeans } from "../src/index.js";
import { datasets, expectClose } from "./helpers.js";

const fixture = JSON.parse(readFileSync(new URL("./fixtures/sklearn.json", import.meta.url), "utf8")) as {
  kmeans: {
    dataset: string;
    n_clusters: number;
    init: number[][];
    labels: number[];
    cluster_centers: number[][];
    inertia: number;
    best_of_10_inertia: number;
  }[];
};

describe("KMeans against scikit-learn", () => {
  for (const c of fixture.kmeans) {
    it(`from given centres gives scikit-learn's labels, centres and inertia on ${c.dataset}`, () => {
      const km = new KMeans({ nClusters: c.n_clusters, init: c.init }).fit(datasets[c.dataset]);
      expect(Array.from(km.labels)).toEqual(c.labels);
      expectClose(km.clusterCenters, c.cluster_centers, 1e-12, 1e-6);
      expectClose([km.inertia], [c.inertia], 1e-12);
    });

    it(`k-means++ with 30 restarts reaches scikit-learn's best inertia on ${c.dataset}`, () => {
      // Faithful has several k-means local optima (sklearn finds its best in about 1 start of 7), so give it 30 starts.
      const km = new KMeans({ nClusters: c.n_clusters, nInit: 30, randomState: 0 }).fit(datasets[c.dataset]);
      expect(km.inertia).toBeLessThanOrEqual(c.best_of_10_inertia * (1 + 1e-12));
      expect(Array.from(km.predict(datasets[c.dataset]))).toEqual(Array.from(km.labels));
    });
  }

  it("is reproducible with a seed", () => {
    const a = new KMeans({ nClusters: 4, init: "random", randomState: 3 }).fit(datasets.synthetic);
    const b = new KMeans({ nClusters: 4, init: "random", randomState: 3 }).fit(datasets.synthetic);
    expect(a.clusterCenters).toEqual(b.clusterCenters);
  });

  it("moves an empty cluster to the farthest point instead of leaving it empty", () => {
    // Two clusters start on the same point, so one is empty after the first assignment.
    const X = [
      [0, 0],
      [0, 1],
      [10, 10],
      [10, 11],
      [20, 0],
      [21, 0],
    ];
    const km = new KMeans({
      nClusters: 3,
      init: [
        [0, 0],
        [0, 0],
        [10, 10],
      ],
    }).fit(X);
    const sizes = [0, 1, 2].map((c) => Array.from(km.labels).filter((l) => l === c).length);
    expect(sizes.every((s) => s > 0)).toBe(true);
    expect(km.inertia).toBeCloseTo(1.5, 12);
  });
});
