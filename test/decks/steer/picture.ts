// A small PNG (viridis-like colours) of a field that depends on the step and a parameter: what the
// test decks publish as a live plot (a stand-in for a rendered heat map).
import { crc32, deflateSync } from 'node:zlib';

/** The PNG bytes of a size x size picture at `step` for parameter value `alpha`. */
export function picture(step: number, alpha: number, size = 96): Uint8Array {
  const row = 1 + size * 3;
  const raw = Buffer.alloc(row * size); // each row: filter byte 0, then RGB
  for (let j = 0; j < size; j++) {
    for (let i = 0; i < size; i++) {
      const v = 0.5 + 0.5 * Math.sin(i / 9 + step / 15) * Math.cos(j / 11 - alpha * step / 5);
      raw[j * row + 1 + i * 3] = Math.round(68 + v * 185);
      raw[j * row + 2 + i * 3] = Math.round(1 + v * 230);
      raw[j * row + 3 + i * 3] = Math.round(84 + v * 50 - v * v * 100);
    }
  }
  const chunk = (type: string, data: Buffer) => {
    const len = Buffer.alloc(4); len.writeUInt32BE(data.length);
    const td = Buffer.concat([Buffer.from(type, 'latin1'), data]);
    const crc = Buffer.alloc(4); crc.writeUInt32BE(crc32(td) >>> 0);
    return Buffer.concat([len, td, crc]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0); ihdr.writeUInt32BE(size, 4); ihdr[8] = 8; ihdr[9] = 2;
  return new Uint8Array(Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', deflateSync(raw)), chunk('IEND', Buffer.alloc(0))]));
}
