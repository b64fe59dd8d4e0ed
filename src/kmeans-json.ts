// KMeans serialisation: plain JSON with scikit-learn's attribute names
// (cluster_centers_, labels_, inertia_, n_iter_, n_features_in_), so a
// fitted KMeans survives JSON.stringify (its typed arrays would otherwise turn
// into index-keyed objects). Like the mixture's, the input is untrusted:
// every field is checked before anything is kept.
import { describe, flatten, MAX_FIT_MAGNITUDE, nest } from "./matrix.js";

export const KMEANS_FORMAT = "gmm-wasm/KMeans";
export const KMEANS_VERSION = 1;

/** What KMeans.toJSON() writes and KMeans.fromJSON() reads. */
export interface KMeansJSON {
  /** Always "gmm-wasm/KMeans". */
  format: typeof KMEANS_FORMAT;
  /** Format version (1). */
  version: number;
  /** Clusters k. */
  n_clusters: number;
  /** Features d. */
  n_features_in_: number;
  /** Centres, k × d. */
  cluster_centers_: number[][];
  /** Cluster of each row seen by fit. */
  labels_: number[];
  /** Sum of squared distances of those rows to their centres. */
  inertia_: number;
  /** Lloyd iterations of the winning restart. */
  n_iter_: number;
  /** The options. */
  params: {
    /** "k-means++", "random", or the given k × d centres. */
    init: "k-means++" | "random" | number[][];
    /** Restarts. */
    n_init: number;
    /** Iterations per restart. */
    max_iter: number;
    /** Convergence tolerance. */
    tol: number;
    /** The seed, or null. */
    random_state: number | null;
  };
}

/** A fitted KMeans's state and options, as the class holds them. */
export interface KMeansState {
  options: {
    nClusters: number;
    init: "k-means++" | "random" | number[][];
    nInit: number;
    maxIter: number;
    tol: number;
    randomState: number | undefined;
  };
  centers: Float64Array;
  nFeatures: number;
  labels: Int32Array;
  inertia: number;
  nIter: number;
}

export function kmeansToJSON(s: KMeansState): KMeansJSON {
  const k = s.options.nClusters;
  return {
    format: KMEANS_FORMAT,
    version: KMEANS_VERSION,
    n_clusters: k,
    n_features_in_: s.nFeatures,
    cluster_centers_: nest(s.centers, [k, s.nFeatures]) as number[][],
    labels_: Array.from(s.labels),
    inertia_: s.inertia,
    n_iter_: s.nIter,
    params: {
      init: s.options.init,
      n_init: s.options.nInit,
      max_iter: s.options.maxIter,
      tol: s.options.tol,
      random_state: s.options.randomState ?? null,
    },
  };
}

function bad(message: string): never {
  throw new TypeError(`KMeans.fromJSON: ${message}`);
}

const FIELDS = [
  "format",
  "version",
  "n_clusters",
  "n_features_in_",
  "cluster_centers_",
  "labels_",
  "inertia_",
  "n_iter_",
  "params",
];
const PARAMS = ["init", "n_init", "max_iter", "tol", "random_state"];
const MAX_CLUSTERS = 1 << 16;
const MAX_FEATURES = 1 << 14;

/** Parses and checks KMeans JSON (an object or a string); the options are checked again by the constructor. */
export function kmeansFromJSON(input: unknown): KMeansState {
  let json = input;
  if (typeof json === "string") {
    try {
      json = JSON.parse(json);
    } catch (e) {
      bad(`the string is not valid JSON (${(e as Error).message})`);
    }
  }
  if (json === null || typeof json !== "object" || Array.isArray(json)) bad("expected a KMeans model object");
  const o = json as Record<string, unknown>;
  for (const key of Object.keys(o))
    if (!FIELDS.includes(key)) bad(`unknown field ${describe(key)}; a KMeans model has ${FIELDS.join(", ")}`);
  if (o.format !== KMEANS_FORMAT) bad(`format is ${describe(o.format)}; expected "${KMEANS_FORMAT}"`);
  if (
    !(typeof o.version === "number" && Number.isInteger(o.version) && o.version >= 1 && o.version <= KMEANS_VERSION)
  ) {
    bad(`version ${describe(o.version)} is not supported (this library reads version ${KMEANS_VERSION})`);
  }
  const centers = o.cluster_centers_;
  if (!Array.isArray(centers) || !Array.isArray(centers[0]))
    bad("cluster_centers_ must be an array of rows, one per cluster");
  const k = centers.length;
  const d = (centers[0] as unknown[]).length;
  if (k < 1 || k > MAX_CLUSTERS) bad(`cluster_centers_ has ${k} rows; expected 1 to ${MAX_CLUSTERS}`);
  if (d < 1 || d > MAX_FEATURES) bad(`cluster_centers_[0] has ${d} entries; expected 1 to ${MAX_FEATURES} features`);
  if (o.n_clusters !== undefined && o.n_clusters !== k)
    bad(`n_clusters is ${describe(o.n_clusters)} but cluster_centers_ has ${k} rows`);
  if (o.n_features_in_ !== undefined && o.n_features_in_ !== d)
    bad(`n_features_in_ is ${describe(o.n_features_in_)} but cluster_centers_ rows have ${d} entries`);
  const flat = flatten(centers, [k, d], "cluster_centers_");
  flat.forEach((v, t) => {
    if (Math.abs(v) > MAX_FIT_MAGNITUDE)
      bad(
        `cluster_centers_[${Math.floor(t / d)}][${t % d}] is ${v}; a fitted centre lies within ±${MAX_FIT_MAGNITUDE}`,
      );
  });
  const labels = o.labels_;
  if (!Array.isArray(labels) || labels.length < 1)
    bad("labels_ must be a non-empty array with the cluster of each row seen by fit");
  const labelArray = new Int32Array(labels.length);
  labels.forEach((v, i) => {
    if (!(typeof v === "number" && Number.isInteger(v) && v >= 0 && v < k))
      bad(`labels_[${i}] is ${describe(v)}; expected an integer from 0 to ${k - 1}`);
    labelArray[i] = v;
  });
  if (!(typeof o.inertia_ === "number" && Number.isFinite(o.inertia_) && o.inertia_ >= 0))
    bad(`inertia_ is ${describe(o.inertia_)}; expected a finite number ≥ 0`);
  if (!(typeof o.n_iter_ === "number" && Number.isInteger(o.n_iter_) && o.n_iter_ >= 0))
    bad(`n_iter_ is ${describe(o.n_iter_)}; expected an integer ≥ 0`);
  if (o.params === null || typeof o.params !== "object" || Array.isArray(o.params))
    bad(`params must be an object; got ${describe(o.params)}`);
  const p = o.params as Record<string, unknown>;
  for (const key of Object.keys(p))
    if (!PARAMS.includes(key)) bad(`unknown field params.${key}; known: ${PARAMS.join(", ")}`);
  let init: KMeansState["options"]["init"] = "k-means++";
  if (p.init === "random" || p.init === "k-means++") init = p.init;
  else if (Array.isArray(p.init)) init = nest(flatten(p.init, [k, d], "params.init"), [k, d]) as number[][];
  else if (p.init !== undefined)
    bad(`params.init is ${describe(p.init)}; expected "k-means++", "random" or k × d centres`);
  for (const key of ["n_init", "max_iter", "tol"]) {
    if (p[key] !== undefined && typeof p[key] !== "number")
      bad(`params.${key} is ${describe(p[key])}; expected a number`);
  }
  if (p.random_state !== undefined && p.random_state !== null && typeof p.random_state !== "number")
    bad(`params.random_state is ${describe(p.random_state)}; expected an integer or null`);
  return {
    options: {
      nClusters: k,
      init,
      nInit: (p.n_init as number | undefined) ?? 1,
      maxIter: (p.max_iter as number | undefined) ?? 300,
      tol: (p.tol as number | undefined) ?? 1e-4,
      randomState: typeof p.random_state === "number" ? p.random_state : undefined,
    },
    centers: flat,
    nFeatures: d,
    labels: labelArray,
    inertia: o.inertia_ as number,
    nIter: o.n_iter_ as number,
  };
}
