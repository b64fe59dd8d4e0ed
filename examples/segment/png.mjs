// A small PNG reader and writer for Node (node:zlib does the inflating): enough
// for the segmentation example to read its photo in Node exactly as the
// browser's canvas does, and for make-photo.mjs to write it. Reads 8-bit
// greyscale, RGB, RGBA and grey+alpha images, non-interlaced, all five row
// filters; colour management chunks (gAMA, cHRM, sRGB, iCCP) are refused,
// since a browser would apply them and the pixels would no longer agree.
// Writes 8-bit RGB with no ancillary chunks.
import { deflateSync, inflateSync } from "node:zlib";

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
const CHANNELS = { 0: 1, 2: 3, 4: 2, 6: 4 };
const COLOUR_MANAGED = new Set(["gAMA", "cHRM", "sRGB", "iCCP"]);

let crcTable;
function crc32(bytes) {
  if (!crcTable) {
    crcTable = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c >>> 0;
    }
  }
  let c = 0xffffffff;
  for (const b of bytes) c = crcTable[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function paeth(a, b, c) {
  const p = a + b - c;
  const pa = Math.abs(p - a),
    pb = Math.abs(p - b),
    pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/**
 * Decodes a PNG to 8-bit RGB: `{ width, height, rgb }` with `rgb` a
 * Uint8Array of width·height·3 bytes, rows top to bottom. Alpha must be 255
 * everywhere (a transparent pixel has no colour to segment).
 * @param {Uint8Array} bytes
 */
export function decodePng(bytes) {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new Error("not a PNG file (bad signature)");
  let offset = 8;
  let header;
  const idat = [];
  while (offset + 12 <= buf.length) {
    const length = buf.readUInt32BE(offset);
    const type = buf.toString("latin1", offset + 4, offset + 8);
    const body = buf.subarray(offset + 8, offset + 8 + length);
    if (body.length !== length) throw new Error(`PNG chunk ${type} is truncated`);
    if (crc32(buf.subarray(offset + 4, offset + 8 + length)) !== buf.readUInt32BE(offset + 8 + length))
      throw new Error(`PNG chunk ${type} has a bad CRC`);
    offset += 12 + length;
    if (type === "IHDR") {
      header = {
        width: body.readUInt32BE(0),
        height: body.readUInt32BE(4),
        depth: body[8],
        colour: body[9],
        interlace: body[12],
      };
    } else if (type === "IDAT") {
      idat.push(body);
    } else if (type === "PLTE") {
      throw new Error("palette PNGs are not supported: save as RGB");
    } else if (COLOUR_MANAGED.has(type)) {
      throw new Error(
        `the PNG has a ${type} chunk: a browser would colour-manage it, so its pixels would differ from the file's; remove it`,
      );
    } else if (type === "IEND") {
      break;
    }
  }
  if (!header) throw new Error("PNG without IHDR");
  const { width, height, depth, colour, interlace } = header;
  const channels = CHANNELS[colour];
  if (depth !== 8 || channels === undefined)
    throw new Error(
      `only 8-bit greyscale, RGB and RGBA PNGs are supported (bit depth ${depth}, colour type ${colour})`,
    );
  if (interlace !== 0) throw new Error("interlaced PNGs are not supported");
  const raw = inflateSync(Buffer.concat(idat));
  const stride = width * channels;
  if (raw.length !== height * (stride + 1))
    throw new Error(`PNG image data has ${raw.length} bytes, expected ${height * (stride + 1)}`);
  const pixels = new Uint8Array(height * stride);
  for (let y = 0; y < height; y++) {
    const filter = raw[y * (stride + 1)];
    const src = y * (stride + 1) + 1;
    const row = y * stride;
    for (let x = 0; x < stride; x++) {
      const a = x >= channels ? pixels[row + x - channels] : 0;
      const b = y > 0 ? pixels[row - stride + x] : 0;
      const c = x >= channels && y > 0 ? pixels[row - stride + x - channels] : 0;
      const v = raw[src + x];
      let predicted;
      switch (filter) {
        case 0:
          predicted = 0;
          break;
        case 1:
          predicted = a;
          break;
        case 2:
          predicted = b;
          break;
        case 3:
          predicted = (a + b) >> 1;
          break;
        case 4:
          predicted = paeth(a, b, c);
          break;
        default:
          throw new Error(`PNG row ${y} has an unknown filter ${filter}`);
      }
      pixels[row + x] = (v + predicted) & 0xff;
    }
  }
  const rgb = new Uint8Array(width * height * 3);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    if (channels === 2 || channels === 4) {
      if (pixels[p + channels - 1] !== 255)
        throw new Error(`pixel (${i % width}, ${Math.floor(i / width)}) is not opaque`);
    }
    if (channels <= 2) {
      rgb[3 * i] = rgb[3 * i + 1] = rgb[3 * i + 2] = pixels[p];
    } else {
      rgb[3 * i] = pixels[p];
      rgb[3 * i + 1] = pixels[p + 1];
      rgb[3 * i + 2] = pixels[p + 2];
    }
  }
  return { width, height, rgb };
}

function chunk(type, body) {
  const out = Buffer.alloc(12 + body.length);
  out.writeUInt32BE(body.length, 0);
  out.write(type, 4, "latin1");
  body.copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + body.length)), 8 + body.length);
  return out;
}

/**
 * Encodes 8-bit RGB as a PNG with only IHDR, IDAT and IEND (no colour
 * profile, gamma or other chunk a browser would act on). Each row takes the
 * filter whose output has the smallest sum of absolute (signed) bytes, the
 * usual heuristic.
 * @param {Uint8Array} rgb width·height·3 bytes
 */
export function encodePng(rgb, width, height) {
  const stride = width * 3;
  if (rgb.length !== height * stride) throw new Error(`expected ${height * stride} bytes, got ${rgb.length}`);
  const raw = Buffer.alloc(height * (stride + 1));
  const candidate = Buffer.alloc(stride);
  for (let y = 0; y < height; y++) {
    let best = Infinity;
    for (let filter = 0; filter <= 4; filter++) {
      let cost = 0;
      for (let x = 0; x < stride; x++) {
        const i = y * stride + x;
        const a = x >= 3 ? rgb[i - 3] : 0;
        const b = y > 0 ? rgb[i - stride] : 0;
        const c = x >= 3 && y > 0 ? rgb[i - stride - 3] : 0;
        const predicted =
          filter === 0 ? 0 : filter === 1 ? a : filter === 2 ? b : filter === 3 ? (a + b) >> 1 : paeth(a, b, c);
        const v = (rgb[i] - predicted) & 0xff;
        candidate[x] = v;
        cost += v < 128 ? v : 256 - v;
      }
      if (cost < best) {
        best = cost;
        raw[y * (stride + 1)] = filter;
        candidate.copy(raw, y * (stride + 1) + 1);
      }
    }
  }
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(width, 0);
  ihdr.writeUInt32BE(height, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 2; // RGB
  return Buffer.concat([
    SIGNATURE,
    chunk("IHDR", ihdr),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", Buffer.alloc(0)),
  ]);
}
