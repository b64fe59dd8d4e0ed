// The shard objects' binary layout, shared by the splitter (Node) and the
// shard Worker. One object holds a contiguous block of rows:
//
//   bytes 0–7    ASCII "GMMROWS1" (format and version)
//   bytes 8–11   rows, uint32 little-endian
//   bytes 12–15  columns, uint32 little-endian
//   bytes 16–    rows × columns float64 little-endian, row-major
//
// The 16-byte header keeps the values 8-byte aligned, so a shard reads its
// object straight into a Float64Array: no parsing, and every value is the
// double the CSV reader produced (the fit is the one on the CSV, bit for bit).
// A dataset is a prefix holding the shard objects and `manifest.json`:
//   { format: "gmm-wasm/distributed-dataset", version: 1, rows, cols, header?,
//     shards: [{ key, rows }] }   (shards in row order)

export const MAGIC = "GMMROWS1";
export const HEADER_BYTES = 16;
export const MANIFEST_FORMAT = "gmm-wasm/distributed-dataset";

const littleEndian = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** Rows (a dense row-major block) → the object's bytes. */
export function encodeRows(data, rows, cols) {
  if (data.length !== rows * cols) throw new RangeError(`encodeRows: ${data.length} values for ${rows} × ${cols}`);
  const bytes = new Uint8Array(HEADER_BYTES + data.length * 8);
  for (let i = 0; i < 8; i++) bytes[i] = MAGIC.charCodeAt(i);
  const view = new DataView(bytes.buffer);
  view.setUint32(8, rows, true);
  view.setUint32(12, cols, true);
  for (let i = 0; i < data.length; i++) view.setFloat64(HEADER_BYTES + 8 * i, data[i], true);
  return bytes;
}

/** The object's bytes → { data: Float64Array, rows, cols } (the library's dense matrix). */
export function decodeRows(buffer, name = "object") {
  if (buffer.byteLength < HEADER_BYTES)
    throw new RangeError(`${name}: ${buffer.byteLength} bytes is too short for a shard object`);
  const head = new Uint8Array(buffer, 0, 8);
  const magic = String.fromCharCode(...head);
  if (magic !== MAGIC)
    throw new RangeError(`${name}: not a shard object (starts ${JSON.stringify(magic)}, expected "${MAGIC}")`);
  const view = new DataView(buffer);
  const rows = view.getUint32(8, true);
  const cols = view.getUint32(12, true);
  const expected = HEADER_BYTES + rows * cols * 8;
  if (buffer.byteLength !== expected)
    throw new RangeError(`${name}: ${buffer.byteLength} bytes, but ${rows} × ${cols} rows need ${expected}`);
  let data;
  if (littleEndian) data = new Float64Array(buffer, HEADER_BYTES, rows * cols);
  else {
    data = new Float64Array(rows * cols);
    for (let i = 0; i < data.length; i++) data[i] = view.getFloat64(HEADER_BYTES + 8 * i, true);
  }
  return { data, rows, cols };
}

/**
 * Where row blocks start: shard s of S holds rows [bounds[s], bounds[s+1]) of
 * n, as even as integers allow (the first n mod S shards one row more).
 */
export function shardBounds(n, shards) {
  const bounds = [0];
  for (let s = 0; s < shards; s++) bounds.push(bounds[s] + Math.floor(n / shards) + (s < n % shards ? 1 : 0));
  return bounds;
}
