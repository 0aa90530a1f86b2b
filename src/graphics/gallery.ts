/**
 * The run's gallery: index.html beside the frames, one panel per plot with a slider that steps
 * through its frames. Static (no network, no CDN): open the file in any browser.
 */
import { esc } from './svg.js';

/** A frame on disk, for the gallery. */
export interface FrameRecord {
  step: number;
  time: number;
  /** File name relative to the gallery. */
  file: string;
}

/** The gallery page for `plots` (name → frames in step order). Local. */
export function galleryHtml(title: string, plots: ReadonlyMap<string, readonly FrameRecord[]>): string {
  const data = JSON.stringify(Object.fromEntries([...plots].map(([name, frames]) => [name, frames.map((f) => [f.file, f.step, f.time])]))).replace(/</g, '\\u003c');
  const panels = [...plots.keys()].map((name, k) =>
    `<section><h2>${esc(name)}</h2><img id="img${k}" alt="${esc(name)}"><div><input type="range" id="r${k}" min="0" value="0"> <span id="l${k}"></span></div></section>`).join('\n');
  return `<!doctype html>
<html><head><meta charset="utf-8"><title>${esc(title)}</title>
<style>body{font-family:sans-serif;margin:1em 2em}section{margin-bottom:2em}img{display:block;max-width:100%;border:1px solid #ddd}input{width:60%}</style>
</head><body><h1>${esc(title)}</h1>
${panels}
<script>
const plots = ${data};
Object.values(plots).forEach((frames, k) => {
  const img = document.getElementById('img' + k), r = document.getElementById('r' + k), l = document.getElementById('l' + k);
  r.max = String(Math.max(0, frames.length - 1));
  const show = (i) => { const f = frames[i]; if (!f) return; img.src = f[0]; l.textContent = 'frame ' + (i + 1) + ' of ' + frames.length + ': step ' + f[1] + ', t = ' + f[2]; };
  r.addEventListener('input', () => show(Number(r.value)));
  r.value = String(frames.length - 1);
  show(frames.length - 1);
});
</script></body></html>
`;
}
