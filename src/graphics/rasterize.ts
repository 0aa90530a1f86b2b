/**
 * SVG to pixels with @resvg/resvg-js, loaded on first use (a 4 MB native module the deck never
 * pays for unless it draws). Text uses the DejaVu Sans font shipped by the npm package
 * dejavu-fonts-ttf and never a system font, so figures look the same on every machine,
 * including those with no fonts installed.
 */
import { createRequire } from 'node:module';
import { GraphicsError } from './errors.js';

const require = createRequire(import.meta.url);

type ResvgClass = new (svg: string, options: object) => { render(): { width: number; height: number; pixels: Buffer }; toString(): string };
let resvg: ResvgClass | null = null;
let fontFile: string | null = null;

/** The path of the font every figure's text is drawn with (DejaVuSans.ttf from dejavu-fonts-ttf). Local. */
export function figureFont(): string {
  if (fontFile === null) {
    try {
      fontFile = require.resolve('dejavu-fonts-ttf/ttf/DejaVuSans.ttf');
    } catch (e) {
      throw new GraphicsError(`graphics: the font package dejavu-fonts-ttf is missing (npm install dejavu-fonts-ttf): ${(e as Error).message}`);
    }
  }
  return fontFile;
}

function load(): ResvgClass {
  if (resvg === null) {
    try {
      resvg = (require('@resvg/resvg-js') as { Resvg: ResvgClass }).Resvg;
    } catch (e) {
      throw new GraphicsError(`graphics: @resvg/resvg-js could not be loaded (npm install @resvg/resvg-js): ${(e as Error).message}`);
    }
  }
  return resvg;
}

/** Rendered pixels: RGBA, rows top to bottom. */
export interface Pixmap {
  width: number;
  height: number;
  rgba: Uint8Array;
}

const OPTIONS = () => ({
  font: { loadSystemFonts: false, fontFiles: [figureFont()], defaultFontFamily: 'DejaVu Sans', sansSerifFamily: 'DejaVu Sans' },
  shapeRendering: 2, textRendering: 1, imageRendering: 1, logLevel: 'off',
});

/**
 * The outline of `text` set in the figure font at `size` px with its origin (left end of the
 * baseline) at 0, 0, as SVG path data: resvg's own shaping, read back from its tree, where text
 * has become paths. Empty for text with no ink (spaces). Local. Throws GraphicsError when resvg
 * cannot be loaded or rejects the text.
 */
export function outlineSvg(text: string, size: number): string {
  const R = load();
  const body = text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  let tree: string;
  try {
    tree = new R(`<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" font-family="DejaVu Sans"><text x="0" y="0" font-size="${size}">${body}</text></svg>`, OPTIONS()).toString();
  } catch (e) {
    throw new GraphicsError(`graphics: resvg could not lay out text: ${(e as Error).message}`);
  }
  return [...tree.matchAll(/<path[^>]*\sd="([^"]*)"/g)].map((m) => m[1]).join(' ');
}

/**
 * Renders an SVG document to RGBA pixels at its own size, with the shipped font only (system
 * fonts are never loaded). Local, synchronous (tens of ms for a figure). Throws GraphicsError
 * when resvg cannot be loaded or rejects the SVG.
 */
export function rasterize(svg: string): Pixmap {
  const R = load();
  let img;
  try {
    img = new R(svg, OPTIONS()).render();
  } catch (e) {
    throw new GraphicsError(`graphics: resvg could not render the figure: ${(e as Error).message}`);
  }
  const px = img.pixels;
  return { width: img.width, height: img.height, rgba: new Uint8Array(px.buffer, px.byteOffset, px.byteLength) };
}
