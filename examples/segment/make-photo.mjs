// Makes examples/segment/coffee.png, the photo the segmentation example ships:
// scikit-image's coffee.png (600 × 400, CC0, see README.md) halved to
// 300 × 200 by averaging each 2 × 2 block (rounded to nearest), written as a
// plain RGB PNG without colour chunks so that a browser's canvas reads the
// same bytes as png.mjs does in Node.
//
// The original comes with Debian's python3-skimage (0.19.3-8); to get it
// without installing the package and its dependencies:
//   apt-get download python3-skimage && dpkg-deb -x python3-skimage_*.deb skimage-deb
//   node examples/segment/make-photo.mjs skimage-deb/usr/lib/python3/dist-packages/skimage/data/coffee.png
import { createHash } from "node:crypto";
import { readFileSync, writeFileSync } from "node:fs";
import { decodePng, encodePng } from "./png.mjs";

const source = process.argv[2] ?? "/usr/lib/python3/dist-packages/skimage/data/coffee.png";
const out = new URL("./coffee.png", import.meta.url);
const bytes = readFileSync(source);
const { width, height, rgb } = decodePng(bytes);
if (width % 2 || height % 2) throw new Error(`${width} × ${height}: expected even dimensions`);
const w = width / 2,
  h = height / 2;
const small = new Uint8Array(w * h * 3);
for (let y = 0; y < h; y++) {
  for (let x = 0; x < w; x++) {
    for (let c = 0; c < 3; c++) {
      const at = (yy, xx) => rgb[(yy * width + xx) * 3 + c];
      const sum = at(2 * y, 2 * x) + at(2 * y, 2 * x + 1) + at(2 * y + 1, 2 * x) + at(2 * y + 1, 2 * x + 1);
      small[(y * w + x) * 3 + c] = (sum + 2) >> 2;
    }
  }
}
const png = encodePng(small, w, h);
writeFileSync(out, png);
const sha = (b) => createHash("sha256").update(b).digest("hex");
console.log(`source ${source}: ${width} × ${height}, sha256 ${sha(bytes)}`);
console.log(`wrote examples/segment/coffee.png: ${w} × ${h}, ${png.length} bytes, sha256 ${sha(png)}`);
