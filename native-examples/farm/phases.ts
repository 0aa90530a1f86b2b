// SPM.Python's phased workflow: phase A, then B, then C, each a load-balanced map with a time
// limit per task, each phase's results the next one's input; if a phase has failures the
// workflow stops there.
//   npx simdeck run -n 3 native-examples/farm/phases.ts [PHASE-TO-BREAK]
import { world } from 'simdeck';
import { Pool, TaskFailedError, formatSummary, run, type TaskContext } from 'simdeck/farm';

const breakPhase = process.argv[2] ?? '';

// Each phase's task runs an external step (here `sh -c`) that must finish within 1 s; in the
// phase named on the command line, the fourth task's step hangs.
function phase(name: string) {
  return (x: number, ctx: TaskContext) => {
    const hang = name === breakPhase && ctx.index === 3;
    const r = run('sh', ['-c', hang ? 'sleep 30' : `echo $(( (${x} * 7 + ${name.charCodeAt(0)}) % 100 ))`], { timeout: 1, grace: 0.2 });
    return r.ok ? Number(r.stdout) : r; // a command that timed out makes the task a `timeout`
  };
}

const pool = new Pool(world);
let data = Array.from({ length: 8 }, (_, i) => i);
try {
  for (const name of ['A', 'B', 'C']) {
    const out = pool.map(phase(name), data, { progress: false });
    if (world.rank === 0) console.log(`phase ${name}: ${formatSummary(pool.summary!)}`);
    data = world.bcast(out);
  }
  if (world.rank === 0) console.log(`workflow done: ${data.join(' ')}`);
} catch (e) {
  if (!(e instanceof TaskFailedError)) throw e;
  if (world.rank === 0) console.log(`workflow stopped: ${e.message.split('\n')[0].replace(/: the command.*/, '')}`);
}
