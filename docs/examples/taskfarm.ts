// A task farm. Rank 0 hands out tasks; workers send back results of different lengths, and
// take different times. Rank 0 takes whichever result is ready first (ANY_SOURCE), learns its
// sender and size with probe(), receives it into a buffer of that size, and gives that worker
// the next task. Which worker does which task changes from run to run.
//   npx simdeck run -n 4 docs/examples/taskfarm.ts [tasks]
import { world, ANY_SOURCE, ANY_TAG, Status } from 'simdeck';

const TASK = 1, RESULT = 2, STOP = 3;
const { rank, size } = world;
const tasks = Number(process.argv[2] ?? 8);
if (size < 2) throw new Error('the task farm needs at least 2 ranks (1 manager, 1 or more workers)');

if (rank === 0) {
  const taskOf = new Map<number, number>();   // worker rank -> task it is working on
  const results: { task: number; worker: number; values: Float64Array }[] = [];
  let next = 0;
  const handOut = (worker: number) => {
    if (next < tasks) { world.send({ task: next }, worker, TASK); taskOf.set(worker, next++); }
    else world.send(null, worker, STOP);
  };
  for (let w = 1; w < size; w++) handOut(w);
  for (let done = 0; done < tasks; done++) {
    const st = world.probe(ANY_SOURCE, RESULT);           // blocks until some result is waiting
    const values = new Float64Array(st.count(Float64Array.BYTES_PER_ELEMENT));
    world.recvInto(values, st.source, RESULT);            // the message probe() saw
    results.push({ task: taskOf.get(st.source)!, worker: st.source, values });
    handOut(st.source);
  }
  for (const { task, worker, values } of results.sort((a, b) => a.task - b.task)) {
    const sum = values.reduce((s, x) => s + x, 0);
    console.log(`task ${task}: ${values.length} value${values.length === 1 ? '' : 's'} from worker ${worker}, sum ${sum}`);
  }
} else {
  for (;;) {
    const st = new Status();
    const msg = world.recv(0, ANY_TAG, st);
    if (st.tag === STOP) break;
    const { task } = msg as { task: number };
    const until = Date.now() + 20 * ((task * 7) % 5);      // pretend to work for 0-80 ms
    while (Date.now() < until) { /* computing */ }
    world.send(Float64Array.from({ length: task + 1 }, (_, k) => k), 0, RESULT);
  }
}
