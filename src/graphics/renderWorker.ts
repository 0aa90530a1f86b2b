/**
 * The render worker: a thread on the drawing rank that turns reduced data into PNG files, so
 * that rasterising and encoding never hold up the ranks' stepping. Each job is one frame: it is
 * drawn, written atomically, published to the dashboard, and reported back; the shared counter
 * of frames in flight is decremented and the main thread woken if it waits (close()).
 */
import { readlinkSync } from 'node:fs';
import { setPriority } from 'node:os';
import { join } from 'node:path';
import { parentPort, workerData, type MessagePort } from 'node:worker_threads';
import { publishPlot } from '../steer/publish.js';
import { idleScheduling, threadCpuMs, threadId } from '../system/libc.js';
import { writeAtomic } from './files.js';
import { ImageMemory, useImageMemory } from './imageMemory.js';
import { figureToPng, layoutHeatmap } from './heatmapFigure.js';
import { layoutLines } from './linesFigure.js';
import { rasterize } from './rasterize.js';
import { IN_FLIGHT, raiseIdleWorker, SCHED_AT_IDLE, SCHED_FIXED, SCHED_RAISED, WORKER_SCHED, WORKER_TID, type RenderJob, type RenderResult } from './renderQueue.js';

const { counters, results, dir, publish, lowPriority, images } = workerData as { counters: SharedArrayBuffer; results: MessagePort; dir: string | null; publish: boolean; lowPriority: boolean; images: WebAssembly.Memory | null };
const inFlight = new Int32Array(counters);
// live images pooled into the drawing rank's image memory: their palette entries by the WebAssembly kernel (imageMemory.ts)
if (images !== null) useImageMemory(ImageMemory.attach(images));

// the drawing rank raises a SCHED_IDLE worker to nice 19 while a frame waits behind another
// (RenderQueue.hurry); it needs the thread id, and the worker goes back to SCHED_IDLE itself
const tid = threadId();
if (tid !== null && tid > 0) Atomics.store(inFlight, WORKER_TID, tid);
const idle = lowPriority && idleScheduling();
if (lowPriority && !idle) {
  // this thread only: the ranks' own threads keep their share of the cores. SCHED_IDLE when the
  // kernel takes it (the thread then only gets cores no rank wants, also when the whole job runs
  // under nice 19), else nice 19 (Linux: a thread id is a pid for setpriority)
  try { setPriority(tid ?? Number(readlinkSync('/proc/thread-self').split('/').pop()), 19); } catch { /* not Linux: normal priority */ }
}
if (idle && tid !== null && tid > 0) Atomics.store(inFlight, WORKER_SCHED, SCHED_AT_IDLE);

/**
 * The queue is empty: a worker the drawing rank raised goes back to SCHED_IDLE. The state is
 * cleared after the policy is set, and the queue checked once more: a frame queued behind
 * another in between, whose submit saw the state still raised, raises it again here.
 */
function backToIdle(): void {
  if (Atomics.load(inFlight, WORKER_SCHED) !== SCHED_RAISED) return;
  if (!idleScheduling()) { Atomics.store(inFlight, WORKER_SCHED, SCHED_FIXED); return; }
  Atomics.store(inFlight, WORKER_SCHED, SCHED_AT_IDLE);
  if (Atomics.load(inFlight, IN_FLIGHT) >= 2) raiseIdleWorker(inFlight);
}
try { rasterize('<svg xmlns="http://www.w3.org/2000/svg" width="1" height="1"></svg>'); } catch { /* reported with the first frame */ }

// The thread's own CPU time per frame: process.cpuUsage() in a worker counts the whole process
// (checked on Node 20: an idle worker saw the main thread's 557 ms) and process.threadCpuUsage()
// needs Node 23.9, so threadCpuMs() reads clock_gettime(CLOCK_THREAD_CPUTIME_ID) (exact;
// /proc/thread-self/schedstat, read before, lagged by up to a scheduler tick of 4 ms, as much
// as a whole frame); where it cannot be read the wall time stands in.

parentPort!.on('message', (job: RenderJob) => {
  const t0 = performance.now(), c0 = threadCpuMs();
  let result: RenderResult;
  try {
    const png = job.kind === 'heatmap'
      ? figureToPng(layoutHeatmap(job.image, job.style, job.caption, job.known))
      : figureToPng({ ...layoutLines(job.series, job.style), rasters: [] });
    let file: string | null = null;
    if (dir !== null) {
      file = `${job.name.replace(/[^A-Za-z0-9._-]+/g, '_')}-${String(job.step).padStart(6, '0')}.png`;
      writeAtomic(join(dir, file), png);
    }
    if (publish) publishPlot({ name: job.name, step: job.step, time: job.time, png });
    const ms = performance.now() - t0, c1 = c0 === null ? null : threadCpuMs();
    result = { name: job.name, step: job.step, time: job.time, file, ms, cpuMs: c1 === null || c0 === null ? ms : c1 - c0, bytes: png.length };
  } catch (e) {
    const ms = performance.now() - t0;
    result = { name: job.name, step: job.step, time: job.time, file: null, ms, cpuMs: ms, bytes: 0, error: (e as Error).message };
  }
  if (job.setup === true) result.setup = true;
  // a shared image buffer goes back to the drawing rank, which fills it again for a later frame;
  // nothing is transferred (a transfer would make V8 recompile this thread's typed-array loops
  // with checks for detached buffers, see RenderQueue.submit)
  if (job.kind === 'heatmap' && job.image.values.buffer instanceof SharedArrayBuffer) result.buffer = job.image.values;
  results.postMessage(result);
  const left = Atomics.sub(inFlight, IN_FLIGHT, 1) - 1;
  Atomics.notify(inFlight, IN_FLIGHT);
  if (left === 0) backToIdle();
});
