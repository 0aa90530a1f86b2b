/**
 * The few SVG pieces figures are made of, as strings: text (escaped), lines, rectangles,
 * polylines. Coordinates are in pixels of the final PNG.
 */

/** Escapes text for an SVG text node or attribute. */
export function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

const n = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

/** A text element; `anchor` is start, middle or end; `rotate` turns it about its anchor point. */
export function text(x: number, y: number, s: string, size = 12, anchor: 'start' | 'middle' | 'end' = 'middle', rotate = 0, weight = 'normal'): string {
  const r = rotate !== 0 ? ` transform="rotate(${rotate} ${n(x)} ${n(y)})"` : '';
  const w = weight !== 'normal' ? ` font-weight="${weight}"` : '';
  return `<text x="${n(x)}" y="${n(y)}" font-size="${size}" text-anchor="${anchor}"${w}${r}>${esc(s)}</text>`;
}

/** A straight line. */
export function line(x1: number, y1: number, x2: number, y2: number, stroke = '#000', width = 1, dash = ''): string {
  return `<line x1="${n(x1)}" y1="${n(y1)}" x2="${n(x2)}" y2="${n(y2)}" stroke="${stroke}" stroke-width="${width}"${dash ? ` stroke-dasharray="${dash}"` : ''}/>`;
}

/** A rectangle (no fill unless given). */
export function rect(x: number, y: number, w: number, h: number, stroke = '#000', fill = 'none'): string {
  return `<rect x="${n(x)}" y="${n(y)}" width="${n(w)}" height="${n(h)}" stroke="${stroke}" fill="${fill}"/>`;
}

/** A polyline through points [x0, y0, x1, y1, ...]. */
export function polyline(points: readonly number[], stroke: string, width = 1.5): string {
  let p = '';
  for (let i = 0; i < points.length; i += 2) p += `${i ? ' ' : ''}${points[i].toFixed(1)},${points[i + 1].toFixed(1)}`;
  return `<polyline points="${p}" fill="none" stroke="${stroke}" stroke-width="${width}" stroke-linejoin="round"/>`;
}

/** A whole SVG document of `width` × `height` pixels with a white background around `body`. */
export function document(width: number, height: number, body: string): string {
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" ` +
    `font-family="DejaVu Sans"><rect width="${width}" height="${height}" fill="#ffffff"/>${body}</svg>`;
}
