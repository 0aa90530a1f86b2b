// Live plots in the dashboard, end to end: a steered 2-rank Simulation (test/decks/graphics/
// dashboard.ts) whose LivePlots render a heat map every 5 steps in rank 0's render worker and
// publish it; the dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) shows the plot, and while the step counter advances the image changes: its
// pixels at a checked cell are the colour the frame's own step gives that cell, frame after frame.
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { root } from '../helpers/job.js';
import { colorIndex, colormapTable } from '../../src/graphics/colormaps.js';
import { layoutHeatmap } from '../../src/graphics/heatmapFigure.js';
import { errorsAfterEnd, withDashboard } from './browser.js';
import { cleanupJobs, describeNeeding, hasChromium, startSteered } from './helpers.js';

afterEach(cleanupJobs);

const deck = join(root, 'test', 'decks', 'graphics', 'dashboard.ts');
const N = 64;

/** What the page shows of plot "T" once its current image has loaded: the step in its caption, the image URL, RGB at (x, y), and the step counter. */
interface Seen { frameStep: number; src: string; rgb: number[]; counter: number }

describeNeeding(hasChromium, 'chromium', 'apt-get install chromium')('live plots in the dashboard', () => {
  it('the heat map a 2-rank run publishes updates in the page while the run steps', async () => {
    const job = await startSteered(2, 1_000_000, 20, {}, [], deck);
    // where cell (i, j) of the 64 x 64 image is drawn (the same layout the render worker uses)
    const geo = layoutHeatmap({ values: new Float64Array(N * N), nx: N, ny: N }, { title: 'sliding ramp', range: [0, 1], colormap: 'viridis', extent: [0, N, 0, N] }).geometry;
    const cell = { i: 20, j: 40 };
    const x = geo.plot.x + Math.floor(((cell.i + 0.5) * geo.plot.w) / N), y = geo.plot.y + geo.plot.h - 1 - Math.floor(((cell.j + 0.5) * geo.plot.h) / N);
    const lut = colormapTable('viridis');
    const expected = (step: number) => { const k = colorIndex(((cell.i + step) % N) / N, 0, 1); return [lut[3 * k], lut[3 * k + 1], lut[3 * k + 2]]; };

    const frames = await withDashboard(job, async (page, consoleErrors) => {
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'running');
      /** Waits until plot T shows a frame after `after` and its image has loaded, then reads it in one synchronous turn of the page. */
      const next = async (after: number): Promise<Seen> => {
        const h = await page.waitForFunction(([after, x, y]) => {
          const fig = document.querySelector('figure[data-plot="T"]');
          const img = fig?.querySelector('img') as HTMLImageElement | null | undefined;
          const m = /step (\d+)/.exec(fig?.querySelector('figcaption')?.textContent ?? '');
          if (!img || !m || Number(m[1]) <= after || !img.complete || img.naturalWidth === 0) return null;
          const c = document.createElement('canvas');
          c.width = img.naturalWidth; c.height = img.naturalHeight;
          const ctx = c.getContext('2d')!;
          ctx.drawImage(img, 0, 0);
          return { frameStep: Number(m[1]), src: img.src, rgb: [...ctx.getImageData(x, y, 1, 1).data.slice(0, 3)], counter: Number(document.getElementById('step')?.textContent) };
        }, [after, x, y] as const, { polling: 50 });
        return (await h.jsonValue()) as Seen;
      };
      const seen = [await next(0)];
      for (let k = 0; k < 3; k++) seen.push(await next(seen[seen.length - 1].frameStep));
      expect(consoleErrors).toEqual([]);
      await page.click('#stop');
      await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'job finished');
      // once the job has ended, only a frame's image still loading from the gone server may fail
      expect(errorsAfterEnd(consoleErrors)).toEqual([]);
      return seen;
    });
    const end = await job.exited;
    expect(end.code, job.out.stderr).toBe(0);
    expect(job.out.stdout).toMatch(/DONE \d+ steering \d+ drawn/);
    // four frames in order, each a new image, each at a step the counter had reached
    for (let k = 0; k < frames.length; k++) {
      const f = frames[k];
      expect(f.frameStep % 5, `frame ${k} is one of the every-5-steps frames`).toBe(0);
      expect(f.rgb, `cell (${cell.i}, ${cell.j}) at step ${f.frameStep}`).toEqual(expected(f.frameStep));
      if (k > 0) {
        expect(f.frameStep).toBeGreaterThan(frames[k - 1].frameStep);
        expect(f.counter).toBeGreaterThanOrEqual(frames[k - 1].counter);
        expect(f.src).not.toBe(frames[k - 1].src);
      }
    }
    expect(frames[frames.length - 1].counter, 'the step counter advanced').toBeGreaterThan(frames[0].counter);
    // the colour at the cell changed while the run stepped (the ramp moved under it)
    expect(new Set(frames.map((f) => f.rgb.join(','))).size).toBeGreaterThan(1);
  }, 400_000);
});
