// K-means: Lloyd's algorithm with k-means++ seeding (lloyd.ts), public so users
// can compare it with the mixture.
import { NotFittedError } from "./errors.js";
import { type KMeansJSON, kmeansFromJSON, kmeansToJSON } from "./kmeans-json.js";
import { kmeansRows, nearestCenters } from "./lloyd.js";
import { flatten, type Matrix, type MatrixLike, shapeOf, toRows } from "./matrix.js";
import { checkInteger, checkNonNegative, checkOptionNames, checkSeed } from "./options.js";
import { Random } from "./random.js";

/** How KMeans seeds: k-means++ (default), distinct random rows, or the given k × d centres. */
export type KMeansInit = "k-means++" | "random" | MatrixLike;

/** KMeans options, scikit-learn's names in camelCase; every one is optional. */
export interface KMeansOptions {
  /** Number of clusters (default 8, as scikit-learn). */
  nClusters?: number;
  /** Seeding: "k-means++" (default), "random" (distinct rows), or given centres (k × d). */
  init?: KMeansInit;
  /** Restarts; the lowest inertia wins (default 1). */
  nInit?: number;
  /** Lloyd iterations per restart (default 300). */
  maxIter?: number;
  /** Convergence when the centres move less than tol × mean feature variance (default 1e-4). */
  tol?: number;
  /** Seed for reproducible results. */
  randomState?: number;
}

const KNOWN_OPTIONS: ReadonlySet<string> = new Set(["nClusters", "init", "nInit", "maxIter", "tol", "randomState"]);

/**
 * K-means clustering (Lloyd's algorithm, k-means++ seeding), with
 * scikit-learn's option names and semantics.
 *
 * @example
 * const km = new KMeans({ nClusters: 3, randomState: 0 }).fit(X);
 * km.labels; km.clusterCenters; km.inertia;
 */
export class KMeans {
  /** Number of clusters k. */
  readonly nClusters: number;
  /** The seeding method or the given centres. */
  readonly init: KMeansInit;
  /** Restarts; the lowest inertia wins. */
  readonly nInit: number;
  /** Lloyd iterations per restart. */
  readonly maxIter: number;
  /** Convergence tolerance, relative to the mean feature variance. */
  readonly tol: number;
  /** The seed, if one was given. */
  readonly randomState: number | undefined;

  private centers?: Float64Array;
  private nFeatures = 0;
  private fitted?: { labels: Int32Array; inertia: number; nIter: number };

  /**
   * Checks the options (a wrong one throws a RangeError naming it); see {@link KMeansOptions}.
   *
   * @param options every one optional
   */
  constructor(options: KMeansOptions = {}) {
    checkOptionNames(options, KNOWN_OPTIONS, "KMeans");
    this.nClusters = checkInteger(options.nClusters ?? 8, "nClusters", 1);
    this.init = options.init ?? "k-means++";
    if (typeof this.init === "string" && this.init !== "k-means++" && this.init !== "random") {
      throw new RangeError(`init must be "k-means++", "random" or a k × d matrix of centres; got "${this.init}"`);
    }
    this.nInit = checkInteger(options.nInit ?? 1, "nInit", 1);
    this.maxIter = checkInteger(options.maxIter ?? 300, "maxIter", 1);
    this.tol = checkNonNegative(options.tol ?? 1e-4, "tol");
    this.randomState = checkSeed(options.randomState);
  }

  /**
   * Clusters X (nInit restarts of Lloyd's algorithm, the lowest inertia kept);
   * `sampleWeight` (one weight ≥ 0 per row) weights the seeding, the centres
   * and the inertia.
   *
   * @param X the rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   * @returns this, fitted
   * @example
   * const km = new KMeans({ nClusters: 2, nInit: 4, randomState: 0 }).fit([[0, 0], [0, 1], [9, 9], [9, 8]]);
   * km.labels;         // Int32Array, e.g. [0, 0, 1, 1]
   * km.clusterCenters; // [[0, 0.5], [9, 8.5]] (in label order)
   */
  fit(X: MatrixLike, options: { sampleWeight?: ArrayLike<number> } = {}): this {
    const k = this.nClusters;
    // X is read once, in kmeansRows; its shape is the copy's.
    const result = kmeansRows(
      X,
      k,
      (n, d) => {
        if (n < k)
          throw new RangeError(
            `X has ${n} rows but nClusters is ${k}: k-means needs at least as many rows as clusters`,
          );
        if (typeof this.init === "string") return this.init;
        const given = shapeOf(this.init, "init");
        if (given.rows !== k || given.cols !== d) {
          throw new RangeError(
            `init has shape [${given.rows}, ${given.cols}]; expected [nClusters, features] = [${k}, ${d}]`,
          );
        }
        return Array.isArray(this.init)
          ? flatten(this.init, [k, d], "init")
          : Float64Array.from((this.init as { data: ArrayLike<number> }).data);
      },
      { nInit: this.nInit, maxIter: this.maxIter, tol: this.tol },
      new Random(this.randomState),
      options.sampleWeight,
    );
    this.centers = result.centers;
    this.nFeatures = result.d;
    this.fitted = { labels: result.labels, inertia: result.inertia, nIter: result.nIter };
    return this;
  }

  /**
   * Fits, then returns the labels of the same rows.
   *
   * @param X the rows, n × d
   * @param options `sampleWeight`, one weight ≥ 0 per row
   */
  fitPredict(X: MatrixLike, options: { sampleWeight?: ArrayLike<number> } = {}): Int32Array {
    return this.fit(X, options).labels;
  }

  /**
   * Index of the nearest centre for each row.
   *
   * @param X the rows, n × d (d as in fit)
   * @example
   * km.predict([[0.2, 0.4], [8.7, 9.1]]); // the clusters of the two rows
   */
  predict(X: MatrixLike): Int32Array {
    return nearestCenters(X, this.requireFitted(), this.nClusters, this.nFeatures);
  }

  /** Cluster centres, k × d (nested arrays). */
  get clusterCenters(): number[][] {
    return toRows(this.requireFitted(), this.nClusters, this.nFeatures);
  }

  /** Labels of the rows seen by `fit`. */
  get labels(): Int32Array {
    this.requireFitted();
    return this.fitted!.labels.slice();
  }

  /** Sum of squared distances of the fitted rows to their nearest centre. */
  get inertia(): number {
    this.requireFitted();
    return this.fitted!.inertia;
  }

  /** Lloyd iterations of the winning restart. */
  get nIter(): number {
    this.requireFitted();
    return this.fitted!.nIter;
  }

  /**
   * Plain JSON with scikit-learn's attribute names (`cluster_centers_`,
   * `labels_`, `inertia_`, `n_iter_`), so `JSON.stringify(km)` saves it.
   *
   * @example
   * const again = KMeans.fromJSON(JSON.parse(JSON.stringify(km)));
   */
  toJSON(): KMeansJSON {
    const centers = this.requireFitted();
    const init =
      typeof this.init === "string"
        ? this.init
        : Array.isArray(this.init)
          ? this.init.map((row) => Array.from(row as ArrayLike<number>))
          : toRows(this.init as Matrix);
    return kmeansToJSON({
      options: {
        nClusters: this.nClusters,
        init,
        nInit: this.nInit,
        maxIter: this.maxIter,
        tol: this.tol,
        randomState: this.randomState,
      },
      centers,
      nFeatures: this.nFeatures,
      ...this.fitted!,
    });
  }

  /**
   * Restores a fitted KMeans from `toJSON()` output (an object or its JSON string); a malformed one throws a TypeError naming the field.
   *
   * @param json a parsed {@link KMeansJSON}, or its JSON text
   */
  static fromJSON(json: unknown): KMeans {
    const s = kmeansFromJSON(json);
    const km = new KMeans(s.options);
    km.centers = s.centers;
    km.nFeatures = s.nFeatures;
    km.fitted = { labels: s.labels, inertia: s.inertia, nIter: s.nIter };
    return km;
  }

  private requireFitted(): Float64Array {
    if (!this.centers) throw new NotFittedError("KMeans");
    return this.centers;
  }
}
