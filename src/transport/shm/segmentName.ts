/**
 * The name of a job's shared-memory segment, on its own (no koffi): the launcher names the
 * segment in the ranks' environment before it loads what creates it.
 */

/** The name of a new job's segment: carries the launcher's pid so stale ones can be found (segment.ts sweepStale). */
export function newSegmentName(): string {
  return `/simdeck-${process.pid}-${Math.random().toString(36).slice(2, 10)}`;
}
