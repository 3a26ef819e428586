// Draws the app icon (build/icon.png, 512x512): a green rounded square with a white rafter roof,
// rasterised here with anti-aliasing and written as a PNG with Node's zlib — no image tools.
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { deflateSync } from 'node:zlib';

const size = 512;

const crcTable = Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of bytes) crc = crcTable[(crc ^ byte) & 0xff]! ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

/** Encodes RGBA pixels (row-major, 4 bytes each) as a PNG file. */
export function encodePng(width: number, height: number, rgba: Buffer): Buffer {
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8);
  header.writeUInt8(6, 9);
  const rows = Buffer.alloc((width * 4 + 1) * height);
  for (let y = 0; y < height; y++) rgba.copy(rows, y * (width * 4 + 1) + 1, y * width * 4, (y + 1) * width * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function segmentDistance(px: number, py: number, ax: number, ay: number, bx: number, by: number): number {
  const dx = bx - ax;
  const dy = by - ay;
  const t = Math.max(0, Math.min(1, ((px - ax) * dx + (py - ay) * dy) / (dx * dx + dy * dy)));
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

function roundedSquareCoverage(x: number, y: number): number {
  const radius = 96;
  const inset = 16;
  const cx = Math.max(inset + radius, Math.min(size - inset - radius, x));
  const cy = Math.max(inset + radius, Math.min(size - inset - radius, y));
  return Math.max(0, Math.min(1, radius - Math.hypot(x - cx, y - cy) + 0.5));
}

/** The icon's pixels. */
export function drawIcon(): Buffer {
  const pixels = Buffer.alloc(size * size * 4);
  const beams: [number, number, number, number, number][] = [
    [96, 300, 256, 140, 26],
    [416, 300, 256, 140, 26],
    [150, 300, 362, 300, 20],
    [200, 300, 200, 392, 18],
    [312, 300, 312, 392, 18],
    [150, 392, 362, 392, 20],
  ];
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const px = x + 0.5;
      const py = y + 0.5;
      const base = roundedSquareCoverage(px, py);
      const shade = py / size;
      let red = 24 + 10 * shade;
      let green = 160 - 50 * shade;
      let blue = 88 - 10 * shade;
      const beam = Math.max(
        ...beams.map(([ax, ay, bx, by, width]) => Math.max(0, Math.min(1, width / 2 - segmentDistance(px, py, ax, ay, bx, by) + 0.5))),
      );
      red += (255 - red) * beam;
      green += (255 - green) * beam;
      blue += (255 - blue) * beam;
      const offset = (y * size + x) * 4;
      pixels[offset] = Math.round(red);
      pixels[offset + 1] = Math.round(green);
      pixels[offset + 2] = Math.round(blue);
      pixels[offset + 3] = Math.round(255 * base);
    }
  }
  return pixels;
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const target = path.join(path.dirname(fileURLToPath(import.meta.url)), 'icon.png');
  writeFileSync(target, encodePng(size, size, drawIcon()));
  console.log(`wrote ${target}`);
}
