// Suites that need a system package: run when it is there; outside CI skipped with a message
// saying what to install; under CI=true (where .ci/run installs it) a failing test instead.
import { describe, it } from 'vitest';

/** Whether what a suite needs is usable here, and if not, why. */
export interface Availability {
  ok: boolean;
  why: string;
}

/**
 * `describe(title, body)` when `need` is available; otherwise a failing `has <what>` test under
 * CI=true, and a skipped suite with a warning naming `install` elsewhere.
 */
export function describeIfAvailable(title: string, need: Availability, what: string, install: string, body: () => void): void {
  if (need.ok) { describe(title, body); return; }
  if (process.env.CI === 'true') {
    describe(title, () => { it(`has ${what}`, () => { throw new Error(`${what} is not usable here (${need.why}); CI must install it: ${install}`); }); });
    return;
  }
  console.warn(`skipping "${title}": ${need.why} — to run it: ${install}`);
  describe.skip(`${title} [needs ${what}: ${install}]`, body);
}
