// The browser dashboard in a real headless Chromium (Debian's /usr/bin/chromium driven by
// playwright-core) against a real 3-rank steered job: it shows the live status, a live plot and
// a metrics panel, changes a parameter (and is told when a value is out of range), pauses,
// steps, checkpoints, resumes and stops; every rank applies each command at the same step.
// The same clicks on the real loop are in e2e.test.ts.
import { afterEach, expect, it } from 'vitest';
import { driveDashboard, sameStepOnEveryRank } from './browser.js';
import { cleanupJobs, describeNeeding, events, hasChromium, startSteered } from './helpers.js';

afterEach(cleanupJobs);

describeNeeding(hasChromium, 'chromium', 'apt-get install chromium')('dashboard in headless Chromium (stand-in loop)', () => {
  it('steers a 3-rank job: set, refused set, pause, step 3, checkpoint, resume, stop', async () => {
    const job = await startSteered(3, 1_000_000, 20);
    const pausedAt = await driveDashboard(job, null);
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
    expect(Number(paused)).toBe(pausedAt);
    expect(Number(stepped.split(' ')[0])).toBe(pausedAt);
    expect(Number(checkpoint)).toBe(pausedAt + 3);
    expect(Number(resumed)).toBe(pausedAt + 3);
  }, 400_000);
});
