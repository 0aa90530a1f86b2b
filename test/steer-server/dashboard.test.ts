// The browser dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real 3-rank steered job: it shows the live status, a live plot and
// a metrics panel, changes a parameter (and is told when a value is out of range), pauses,
// steps, checkpoints, resumes and stops; every rank applies each command at the same step.
// SIMDECK_UPDATE_DOCS=1 writes the screenshot to docs/images/steering-dashboard.png.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, expect, it } from 'vitest';
import { root } from '../helpers/job.js';
import { describeNeeding, events, hasChromium, startSteered, cleanupJobs } from './helpers.js';

afterEach(cleanupJobs);

const CHROMIUM_ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/** Every rank's [rank, rest] events must agree on the step of each occurrence. */
function sameStepOnEveryRank(list: [number, string][], ranks: number): string[] {
  const byRank = Array.from({ length: ranks }, (_, r) => list.filter(([rr]) => rr === r).map(([, rest]) => rest));
  for (let r = 1; r < ranks; r++) expect(byRank[r], `rank ${r} vs rank 0`).toEqual(byRank[0]);
  return byRank[0];
}

describeNeeding(hasChromium, 'chromium', 'apt-get install chromium')('dashboard in headless Chromium', () => {
  it('steers a 3-rank job: set, refused set, pause, step 3, checkpoint, resume, stop', async () => {
    const { chromium } = await import('playwright-core');
    const job = await startSteered(3, 1_000_000, 20);
    const profile = mkdtempSync(join(tmpdir(), 'simdeck-chromium-'));
    const context = await chromium.launchPersistentContext(profile, {
      executablePath: '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS, viewport: { width: 1280, height: 980 },
    });
    try {
      const page = context.pages()[0] ?? await context.newPage();
      page.setDefaultTimeout(90_000); // a loaded shared machine
      const consoleErrors: string[] = [];
      page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(m.text()); });
      page.on('pageerror', (e) => consoleErrors.push(e.message));
      await page.goto(job.url);
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'running');
      await page.waitForFunction(() => Number(document.getElementById('step')?.textContent) > 0);
      expect(await page.textContent('#connection')).toBe('connected');
      // The form is built from the schema: a number with its range and unit, an integer, a checkbox, a choice.
      expect(await page.getAttribute('#param-alpha', 'max')).toBe('0.25');
      expect(await page.getAttribute('#param-iterations', 'step')).toBe('1');
      expect(await page.getAttribute('#param-source', 'type')).toBe('checkbox');
      expect(await page.$$eval('#param-scheme option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['upwind', 'central']);

      const reply = async (text: RegExp) => {
        await page.waitForFunction((src) => new RegExp(src).test(document.getElementById('last-reply')?.textContent ?? ''), text.source);
        return (await page.textContent('#last-reply'))!;
      };
      await page.fill('#param-alpha', '0.2');
      await page.click('#set-alpha');
      await reply(/^set alpha=0\.2: done at step \d+/);
      await page.fill('#param-alpha', '5');
      await page.click('#set-alpha');
      expect(await reply(/^set alpha=5:/)).toMatch(/must be in \[0, 0\.25\]/);
      expect(await page.getAttribute('#last-reply', 'class')).toContain('error');
      await page.selectOption('#param-scheme', 'central');
      await page.click('#set-scheme');
      await reply(/^set scheme=central: done/);

      await page.click('#pause');
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'paused');
      const pausedAt = Number(await page.textContent('#step'));
      await page.fill('#step-count', '3');
      await page.click('#step-btn');
      await reply(/^step 3: done/);
      await page.waitForFunction((s) => Number(document.getElementById('step')?.textContent) === s, pausedAt + 3);
      await page.click('#checkpoint');
      await reply(/^checkpoint: done/);

      // A live plot and a metrics panel, published by the deck through steer/publish.
      await page.waitForFunction(() => {
        const img = document.querySelector('figure[data-plot="T"] img') as HTMLImageElement | null;
        return img !== null && img.complete && img.naturalWidth === 96;
      });
      expect(await page.textContent('div[data-panel="output"]')).toContain('frames written');
      expect(await page.textContent('#log')).toContain('"kind":"pause"');
      expect(await page.textContent('#timers')).toContain('step');
      const shot = process.env.SIMDECK_UPDATE_DOCS === '1' ? join(root, 'docs', 'images', 'steering-dashboard.png') : join(profile, 'dashboard.png');
      await page.screenshot({ path: shot, fullPage: true });
      expect(statSync(shot).size).toBeGreaterThan(10_000);

      await page.click('#resume');
      await page.waitForFunction(() => document.getElementById('state')?.textContent === 'running');
      await page.waitForFunction((s) => Number(document.getElementById('step')?.textContent) > s + 5, pausedAt + 3);
      await page.click('#stop');
      await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'job finished');
      expect(await page.textContent('#state')).toBe('finished');
      expect(consoleErrors).toEqual([]);
    } finally {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    }
    const end = await job.exited;
    expect(end.code, job.out.stderr).toBe(0);
    const out = job.out.stdout;
    // Every rank applied each command at the same step, and in the same order.
    expect(sameStepOnEveryRank(events(out, 'APPLIED'), 3).map((e) => e.split(' ')[1])).toEqual(['alpha=0.2', 'scheme=central']);
    const [paused] = sameStepOnEveryRank(events(out, 'PAUSED'), 3);
    const [stepped] = sameStepOnEveryRank(events(out, 'STEP'), 3);
    const [checkpoint] = sameStepOnEveryRank(events(out, 'CHECKPOINT'), 3);
    const [resumed] = sameStepOnEveryRank(events(out, 'RESUMED'), 3);
    sameStepOnEveryRank(events(out, 'STOPPED'), 3);
    expect(Number(stepped.split(' ')[0])).toBe(Number(paused));
    expect(Number(checkpoint)).toBe(Number(paused) + 3);
    expect(Number(resumed)).toBe(Number(paused) + 3);
  }, 400_000);
});
