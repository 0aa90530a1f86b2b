// Drives the steering dashboard in a real headless Chromium (Debian's /usr/bin/chromium through
// playwright-core, a fresh profile each time), for the dashboard tests on the stand-in and the real loop.
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Page } from 'playwright-core';
import type { SteeredJob } from './helpers.js';

export const CHROMIUM_ARGS = ['--no-sandbox', '--headless=new', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'];

/**
 * The console errors that count once the job has ended: a plot image still loading from the
 * server that just closed fails with ERR_CONNECTION_REFUSED, and only that is expected.
 */
export function errorsAfterEnd(consoleErrors: string[]): string[] {
  return consoleErrors.filter((e) => !/Failed to load resource: net::ERR_CONNECTION_REFUSED/.test(e));
}

/**
 * Opens the dashboard of `job` in a fresh headless Chromium and clicks through: set alpha, a
 * refused value, set scheme, pause, step 3, checkpoint, resume, stop. Checks what the page shows
 * at each point; returns the step the run was paused at. The screenshot (taken while paused)
 * goes to `screenshot` when SIMDECK_UPDATE_DOCS=1 (else it is only checked).
 */
export async function driveDashboard(job: SteeredJob, screenshot: string | null): Promise<number> {
  return withDashboard(job, async (page, consoleErrors, profile) => {
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
    await page.waitForFunction(() => /now 0\.2 m2\/s/.test(document.querySelector('[data-current="alpha"]')?.textContent ?? ''));
    await page.fill('#param-alpha', '5');
    await page.click('#set-alpha');
    expect(await reply(/^set alpha=5:/)).toMatch(/0\.25/);
    expect(await page.getAttribute('#last-reply', 'class')).toContain('error');
    await page.fill('#param-alpha', '0.2');
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
    expect(await page.textContent('#metrics')).not.toContain('No metrics');
    expect(await page.textContent('#log')).toContain('"kind":"pause"');
    const shot = process.env.SIMDECK_UPDATE_DOCS === '1' && screenshot !== null ? screenshot : join(profile, 'dashboard.png');
    await page.screenshot({ path: shot, fullPage: true });
    expect(statSync(shot).size).toBeGreaterThan(10_000);

    await page.click('#resume');
    await page.waitForFunction(() => document.getElementById('state')?.textContent === 'running');
    await page.waitForFunction((s) => Number(document.getElementById('step')?.textContent) > s + 5, pausedAt + 3);
    expect(consoleErrors).toEqual([]);
    await page.click('#stop');
    await page.waitForFunction(() => document.getElementById('connection')?.textContent === 'job finished');
    expect(await page.textContent('#state')).toBe('finished');
    expect(errorsAfterEnd(consoleErrors)).toEqual([]);
    return pausedAt;
  });
}

/**
 * Opens the dashboard of `job` in a fresh headless Chromium (a new profile, removed afterwards)
 * and runs `body` with the page, the console errors seen so far, and the profile directory.
 */
export async function withDashboard<T>(job: SteeredJob, body: (page: Page, consoleErrors: string[], profile: string) => Promise<T>): Promise<T> {
  const { chromium } = await import('playwright-core');
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
    return await body(page, consoleErrors, profile);
  } finally {
    await context.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

/** Every rank's [rank, rest] events must agree on the step of each occurrence; returns rank 0's. */
export function sameStepOnEveryRank(list: [number, string][], ranks: number): string[] {
  const byRank = Array.from({ length: ranks }, (_, r) => list.filter(([rr]) => rr === r).map(([, rest]) => rest));
  for (let r = 1; r < ranks; r++) expect(byRank[r], `rank ${r} vs rank 0`).toEqual(byRank[0]);
  return byRank[0];
}

