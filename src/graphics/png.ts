/**
 * A small PNG codec on node:zlib: encodePng writes 8-bit grey, RGB, RGBA or indexed (palette)
 * images (every row with the "Up" filter, which suits smooth fields and costs one subtraction
 * per byte, or none); decodePng reads the non-interlaced 8-bit images PNG writers make (any of
 * the five filters; a palette image comes back as RGB), which is what tests and the gallery
 * need to look at pixels.
 */
import * as zlib from 'node:zlib';
import { ArgumentError, describe } from '../errors.js';
import { GraphicsError } from './errors.js';

const SIGNATURE = Uint8Array.of(137, 80, 78, 71, 13, 10, 26, 10);
const COLOR_TYPE: Record<number, number> = { 1: 0, 3: 2, 4: 6 };
const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 6: 4 };

let crcTable: Int32Array | null = null;
/** zlib's own CRC-32 (Node 20.15 and later): about 10x faster than the table loop below, which stands in on older Node. */
const nativeCrc32 = (zlib as { crc32?: (data: Uint8Array, value?: number) => number }).crc32;

/** CRC-32 of bytes[start, end) (the one PNG chunks carry). */
function crc32(bytes: Uint8Array, start: number, end: number): number {
  if (nativeCrc32 !== undefined) return nativeCrc32(bytes.subarray(start, end)) >>> 0;
  if (crcTable === null) {
    crcTable = new Int32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      crcTable[n] = c;
    }
  }
  let c = -1;
  for (let i = start; i < end; i++) c = crcTable[(c ^ bytes[i]) & 255] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  for (let i = 0; i < 4; i++) out[4 + i] = type.charCodeAt(i);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out, 4, 8 + data.length));
  return out;
}

/** Options of encodePng. */
export interface EncodeOptions {
  /** zlib level, 0 (store) to 9 (smallest); default 3, which is fast and near level 6 in size for fields. */
  level?: number;
  /**
   * The row filter: 'up' (default; each byte minus the one above, which suits smooth fields) or
   * 'none' (the bytes as they are: for figures with large flat areas it was both smaller and
   * twice as fast to deflate, see docs/graphics.md).
   */
  filter?: 'up' | 'none';
  /**
   * A palette of up to 256 RGB triples: `pixels` (channels 1) are then entries of it and the
   * file is an indexed-colour PNG (colour type 3), a third of the bytes of RGB to deflate.
   */
  palette?: Uint8Array;
}

/**
 * Encodes `pixels` (rows top to bottom, `channels` bytes per pixel: 1 grey, 3 RGB, 4 RGBA; with
 * `options.palette`, 1 byte per pixel, an entry of the palette) as a PNG file's bytes. Local,
 * synchronous. Throws ArgumentError for sizes that do not match or a bad palette.
 */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: 1 | 3 | 4 = 3, options: EncodeOptions = {}): Uint8Array {
  if (!Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1) {
    throw new ArgumentError(`encodePng: width and height must be positive integers, got ${describe(width)} × ${describe(height)}`);
  }
  if (COLOR_TYPE[channels] === undefined) throw new ArgumentError(`encodePng: channels must be 1, 3 or 4, got ${describe(channels)}`);
  if (!(pixels instanceof Uint8Array) || pixels.length !== width * height * channels) {
    throw new ArgumentError(`encodePng: pixels must be a Uint8Array of ${width} × ${height} × ${channels} = ${width * height * channels} bytes, got ${describe(pixels)}`);
  }
  const level = checkLevel(options.level ?? 3);
  if (options.palette !== undefined && channels !== 1) throw new ArgumentError(`encodePng: a palette image has 1 byte (an entry) per pixel: pass channels 1, got ${describe(channels)}`);
  if (options.filter !== undefined && options.filter !== 'up' && options.filter !== 'none') throw new ArgumentError(`encodePng: filter must be 'up' or 'none', got ${describe(options.filter)}`);
  const row = width * channels;
  const raw = new Uint8Array((row + 1) * height);
  if (options.filter === 'none') {
    for (let y = 0; y < height; y++) raw.set(pixels.subarray(y * row, y * row + row), y * (row + 1) + 1); // filter bytes stay 0
  } else {
    for (let y = 0, o = 0, p = 0; y < height; y++) {
      raw[o++] = y === 0 ? 0 : 2; // None for the first row, Up for the rest
      if (y === 0) {
        raw.set(pixels.subarray(0, row), o);
        o += row; p += row;
      } else {
        for (let x = 0; x < row; x++, o++, p++) raw[o] = (pixels[p] - pixels[p - row]) & 255;
      }
    }
  }
  return pngOfRows(width, height, channels, raw, level, options.palette);
}

function checkLevel(level: unknown): number {
  if (!Number.isInteger(level) || (level as number) < 0 || (level as number) > 9) throw new ArgumentError(`encodePng: level must be an integer from 0 to 9, got ${describe(level)}`);
  return level as number;
}

/**
 * A PNG file from image rows already in PNG's layout: per row one filter-type byte, then the
 * row's `width × channels` bytes (so a figure composed in that layout is deflated with no
 * copy). With a `palette` (up to 256 RGB triples) and channels 1, the bytes are palette entries
 * and the file is indexed colour. Local, synchronous. Throws ArgumentError when the sizes do
 * not match or the palette is not 1 to 256 triples.
 */
export function pngOfRows(width: number, height: number, channels: 1 | 3 | 4, rows: Uint8Array, level: number, palette?: Uint8Array): Uint8Array {
  if (COLOR_TYPE[channels] === undefined || !Number.isInteger(width) || width < 1 || !Number.isInteger(height) || height < 1 || !(rows instanceof Uint8Array) || rows.length !== (width * channels + 1) * height) {
    throw new ArgumentError(`pngOfRows: rows must be a Uint8Array of ${height} rows of 1 + ${width} × ${channels} bytes, got ${describe(rows)} for ${describe(width)} × ${describe(height)} × ${describe(channels)}`);
  }
  if (palette !== undefined && (!(palette instanceof Uint8Array) || channels !== 1 || palette.length < 3 || palette.length > 768 || palette.length % 3 !== 0)) {
    throw new ArgumentError(`pngOfRows: a palette must be a Uint8Array of 1 to 256 RGB triples, with 1 byte (an entry) per pixel, got ${describe(palette)} with channels ${describe(channels)}`);
  }
  checkLevel(level);
  const header = new Uint8Array(13);
  const hv = new DataView(header.buffer);
  hv.setUint32(0, width);
  hv.setUint32(4, height);
  header[8] = 8;
  header[9] = palette === undefined ? COLOR_TYPE[channels] : 3;
  const parts = [SIGNATURE, chunk('IHDR', header)];
  if (palette !== undefined) parts.push(chunk('PLTE', palette));
  parts.push(chunk('IDAT', zlib.deflateSync(rows, { level })), chunk('IEND', new Uint8Array(0)));
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) { out.set(p, at); at += p.length; }
  return out;
}

/** A decoded image: rows top to bottom, `channels` bytes per pixel (an indexed-colour file comes back as RGB). */
export interface DecodedPng {
  width: number;
  height: number;
  channels: 1 | 3 | 4;
  pixels: Uint8Array;
}

/**
 * Decodes a non-interlaced 8-bit grey, RGB, RGBA or indexed-colour PNG (checking every chunk's
 * CRC; an indexed image is returned as RGB through its palette). Local, synchronous. Throws
 * GraphicsError for anything else or a damaged file (an entry past the end of the palette too).
 */
export function decodePng(bytes: Uint8Array): DecodedPng {
  if (!(bytes instanceof Uint8Array) || bytes.length < 8 || SIGNATURE.some((b, i) => bytes[i] !== b)) throw new GraphicsError('decodePng: not a PNG file (bad signature)');
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let at = 8, width = 0, height = 0, channels = 0;
  let palette: Uint8Array | null = null, indexed = false;
  const idat: Uint8Array[] = [];
  while (at + 12 <= bytes.length) {
    const len = view.getUint32(at);
    const type = String.fromCharCode(...bytes.subarray(at + 4, at + 8));
    if (at + 12 + len > bytes.length) throw new GraphicsError(`decodePng: chunk ${type} runs past the end of the file`);
    if (crc32(bytes, at + 4, at + 8 + len) !== view.getUint32(at + 8 + len)) throw new GraphicsError(`decodePng: chunk ${type} has a bad CRC`);
    const data = bytes.subarray(at + 8, at + 8 + len);
    if (type === 'IHDR') {
      const dv = new DataView(data.buffer, data.byteOffset, data.byteLength);
      width = dv.getUint32(0); height = dv.getUint32(4);
      if (data[8] !== 8 || (CHANNELS[data[9]] === undefined && data[9] !== 3) || data[12] !== 0) {
        throw new GraphicsError(`decodePng: only 8-bit grey, RGB, RGBA or indexed non-interlaced images are read (bit depth ${data[8]}, colour type ${data[9]}, interlace ${data[12]})`);
      }
      indexed = data[9] === 3;
      channels = indexed ? 1 : CHANNELS[data[9]];
    } else if (type === 'PLTE') {
      palette = data;
    } else if (type === 'IDAT') {
      idat.push(data);
    } else if (type === 'IEND') {
      break;
    }
    at += 12 + len;
  }
  if (channels === 0 || idat.length === 0) throw new GraphicsError('decodePng: no IHDR or no IDAT chunk');
  if (indexed && palette === null) throw new GraphicsError('decodePng: an indexed-colour image without a PLTE chunk');
  const raw = zlib.inflateSync(Buffer.concat(idat));
  const row = width * channels;
  if (raw.length < (row + 1) * height) throw new GraphicsError('decodePng: image data is shorter than the header says');
  const px = new Uint8Array(row * height);
  for (let y = 0; y < height; y++) {
    const f = raw[y * (row + 1)], src = y * (row + 1) + 1, dst = y * row;
    for (let x = 0; x < row; x++) {
      const a = x >= channels ? px[dst + x - channels] : 0;
      const b = y > 0 ? px[dst - row + x] : 0;
      const c = x >= channels && y > 0 ? px[dst - row + x - channels] : 0;
      let v = raw[src + x];
      if (f === 1) v += a;
      else if (f === 2) v += b;
      else if (f === 3) v += (a + b) >> 1;
      else if (f === 4) {
        const p = a + b - c, pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        v += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      } else if (f !== 0) throw new GraphicsError(`decodePng: row ${y} has unknown filter type ${f}`);
      px[dst + x] = v & 255;
    }
  }
  if (palette !== null && indexed) {
    const rgb = new Uint8Array(3 * px.length), entries = palette.length / 3;
    for (let k = 0; k < px.length; k++) {
      const e = px[k];
      if (e >= entries) throw new GraphicsError(`decodePng: pixel ${k} is palette entry ${e}, past the palette's ${entries} entries`);
      rgb[3 * k] = palette[3 * e]; rgb[3 * k + 1] = palette[3 * e + 1]; rgb[3 * k + 2] = palette[3 * e + 2];
    }
    return { width, height, channels: 3, pixels: rgb };
  }
  return { width, height, channels: channels as 1 | 3 | 4, pixels: px };
}
