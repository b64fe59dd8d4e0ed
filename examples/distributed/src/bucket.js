// The object store, as the subset of R2's binding the Workers use:
// `bucket.get(key)` → null or an object with arrayBuffer() / text() / json().
// On Cloudflare, env.BUCKET is an R2 bucket binding and is used as it is.
// Locally (BUCKET_KIND = "disk"), env.BUCKET is workerd's disk service: a
// directory served over HTTP (GET /key → the file, 404 when absent), wrapped
// here to look like R2. Keys are paths; each segment is URL-encoded.

export function bucketFrom(env) {
  if (!env.BUCKET)
    throw new Error('no BUCKET binding (an R2 bucket, or workerd\'s disk service with BUCKET_KIND = "disk")');
  return env.BUCKET_KIND === "disk" ? diskBucket(env.BUCKET) : env.BUCKET;
}

function diskBucket(service) {
  return {
    async get(key) {
      const path = key.split("/").map(encodeURIComponent).join("/");
      const res = await service.fetch(`http://bucket/${path}`);
      if (res.status === 404) return null;
      if (!res.ok) throw new Error(`bucket: GET ${key}: HTTP ${res.status}`);
      return {
        key,
        size: Number(res.headers.get("content-length") ?? NaN),
        arrayBuffer: () => res.arrayBuffer(),
        text: () => res.text(),
        json: () => res.json(),
      };
    },
  };
}
