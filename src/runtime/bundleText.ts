/**
 * What a rank bundle knows of itself while it runs (kept apart from rankBoot.ts, whose
 * bootstrap code the bundle does not need): its text, set by the bootstrap, and the name its
 * script is compiled under.
 */

const TEXT = Symbol.for('simdeck.bundleText');

/** The text of the bundle this rank runs (set by the bootstrap; '' when not in a bundle). Never throws. */
export function bundleText(): string {
  return ((globalThis as Record<symbol, unknown>)[TEXT] as string | undefined) ?? '';
}

/** The name ranks compile a bundle under (its frames' file name). */
export const BUNDLE_FILENAME = 'simdeck-bundle';
