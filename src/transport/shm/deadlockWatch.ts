/**
 * Deadlock detection for a shared-memory job, run by the launcher (which maps the job's
 * segment) between its other checks. The job is deadlocked when every rank that has not
 * finished its deck sleeps in a simdeck wait, no frame is in any ring and no rank sleeping in a
 * collective area has had its word changed (nothing in flight can complete a wait), and that
 * stays so, with no frame written and no rank entering a new wait, over a quiet period. A rank computing or sitting in a native kernel is not in a simdeck wait,
 * so the job is then never taken for deadlocked, however long the others wait.
 */
import { framesIndex, positionIndices } from './ring.js';
import { R, rankBlockOffset, ringOffset, type Segment } from './segment.js';

/** How long the job must stay quiet, unchanged, before it is declared deadlocked. */
export const QUIET_MS = 300;

/** Watches one job's segment; call {@link DeadlockWatch.check} periodically. */
export class DeadlockWatch {
  private last = '';
  private since = 0;
  private readonly rings: { frames: number; head: number; tail: number }[] = [];

  constructor(private readonly seg: Segment) {
    const n = seg.shape.size;
    for (let from = 0; from < n; from++) {
      for (let to = 0; to < n; to++) {
        if (from === to) continue;
        const ctrl = ringOffset(seg.shape, from, to);
        this.rings.push({ frames: framesIndex(ctrl), ...positionIndices(ctrl) });
      }
    }
  }

  /**
   * True once the job has been deadlocked for {@link QUIET_MS}. `gone(r)` says that rank r's
   * process has exited. Never blocks.
   */
  check(now: number, gone: (rank: number) => boolean): boolean {
    const i32 = this.seg.i32;
    const f64 = this.seg.f64;
    let key = '';
    let waiting = 0;
    for (let r = 0; r < this.seg.shape.size; r++) {
      const block = rankBlockOffset(r);
      if (gone(r) || Atomics.load(i32, (block + R.FINISHED) >> 2) !== 0) continue;
      if (f64[(block + R.BLOCKED_SINCE) >> 3] === 0) return this.reset();
      // Asleep in a collective area on a word that has changed since: woken, not yet running.
      const word = Atomics.load(i32, (block + R.AREA_WORD) >> 2);
      if (word !== 0 && Atomics.load(i32, word - 1) !== i32[(block + R.AREA_VALUE) >> 2]) return this.reset();
      key += `${Atomics.load(i32, (block + R.WAITS) >> 2)},`;
      waiting++;
    }
    if (waiting === 0) return this.reset();
    let frames = 0;
    for (const ring of this.rings) {
      frames += Atomics.load(i32, ring.frames) >>> 0;
      if (Atomics.load(i32, ring.head) !== Atomics.load(i32, ring.tail)) return this.reset();
    }
    key += frames;
    if (key !== this.last) {
      this.last = key;
      this.since = now;
      return false;
    }
    return now - this.since >= QUIET_MS;
  }

  private reset(): false {
    this.last = '';
    return false;
  }
}
