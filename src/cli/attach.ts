/**
 * `simdeck attach [job] [command]`: steer a running job from the terminal. The job is found
 * through the job files its steering server wrote (see steer/server/jobFile.ts): by pid, by
 * deck name, or the only one running. With a command (`status`, `set k=v`, `pause`, `resume`,
 * `step N`, `stop`, `checkpoint`, `eval EXPR`) it runs that one and exits; without, it opens a
 * prompt (history, tab completion of commands and parameter names) until `quit` or Ctrl-D.
 */
import { createInterface } from 'node:readline';
import { ArgumentError } from '../errors.js';
import type { SteerReply, SteerStatus } from '../steer/link.js';
import type { SteeringClient } from '../steer/server/client.js';
import { listJobs, type JobInfo } from '../steer/server/jobFile.js';
import { parseCommandLine } from '../steer/server/protocol.js';

const COMMANDS = ['status', 'set', 'pause', 'resume', 'step', 'stop', 'checkpoint', 'eval', 'help', 'quit'];
const USAGE = 'usage: simdeck attach [--list] [JOB] [status | set NAME=VALUE | pause | resume | step N | stop | checkpoint | eval EXPR]\n' +
  '  JOB: the pid or deck name of a running steered job (default: the only one running)';
const HELP = `commands:
  status            where the run is: step, time, dt, speed, parameters, timers
  set NAME=VALUE    change a steerable parameter (applied on every rank at the same step)
  pause | resume    hold the run at the next step boundary / let it go on
  step N            while paused: run N steps, then hold again
  stop              end the run at the next step boundary
  checkpoint        run the deck's checkpoint hook now
  eval EXPR         evaluate EXPR on every rank at the next boundary; prints each rank's answer
  quit              leave (the job goes on)`;

/** A figure with its unit: seconds as µs/ms/s/min. */
function duration(s: number): string {
  if (!Number.isFinite(s)) return '–';
  if (s < 1e-3) return `${(s * 1e6).toFixed(1)} µs`;
  if (s < 1) return `${(s * 1e3).toFixed(1)} ms`;
  if (s < 120) return `${s.toFixed(1)} s`;
  return `${(s / 60).toFixed(1)} min`;
}

function num(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

/** The status as `simdeck attach` prints it. */
export function formatStatus(s: SteerStatus | null): string {
  if (s === null) return 'no status yet (the loop has not reached its first step boundary)';
  const lines = [`step ${s.step}  time ${num(s.time)}  dt ${num(s.dt)}  ${s.state}  ${num(Math.round(s.stepsPerSecond * 10) / 10)} steps/s` +
    `  wall ${duration(s.wall)}${s.eta !== null ? `  ETA ${duration(s.eta)}` : ''}`];
  const params = Object.entries(s.params);
  if (params.length > 0) lines.push(`params: ${params.map(([k, v]) => `${k}=${typeof v === 'number' ? num(v) : String(v)}`).join('  ')}`);
  for (const t of s.timers) {
    const perCall = t.calls > 0 ? `, ${duration(t.mean / t.calls)} per call` : '';
    lines.push(`timer ${t.name}: ${t.calls} calls${perCall}; in all ${duration(t.mean)} per rank (min ${duration(t.min)}, max ${duration(t.max)})`);
  }
  return lines.join('\n');
}

/** A reply as `simdeck attach` prints it. */
export function formatReply(what: string, r: SteerReply): string {
  if (!r.ok) return `${what}: refused: ${r.error}`;
  const head = `${what}: done at step ${r.step} (time ${num(r.time)}, #${r.seq})`;
  if (r.answers === undefined) return head;
  return [head, ...r.answers.map((a, i) => `[${i}] ${answerText(a)}`)].join('\n');
}

/** One rank's eval answer as text: strings as they are, an error as `error: ...`, the rest as JSON. */
export function answerText(a: unknown): string {
  if (typeof a === 'string') return a;
  if (typeof a === 'object' && a !== null && typeof (a as { error?: unknown }).error === 'string') return `error: ${(a as { error: string }).error}`;
  return JSON.stringify(a) ?? String(a);
}

function chooseJob(which: string | null): JobInfo {
  const jobs = listJobs();
  const list = jobs.map((j) => `  ${j.pid}  ${j.deck}  started ${j.started}`).join('\n');
  if (jobs.length === 0) throw new ArgumentError('no running steered job found (start one with simdeck run --steer ...)');
  if (which === null) {
    if (jobs.length === 1) return jobs[0];
    throw new ArgumentError(`${jobs.length} steered jobs are running; name one by pid or deck:\n${list}`);
  }
  const hits = jobs.filter((j) => String(j.pid) === which || j.deck === which || j.deck.replace(/\.[^.]+$/, '') === which);
  if (hits.length === 1) return hits[0];
  if (hits.length === 0) throw new ArgumentError(`no running steered job ${JSON.stringify(which)}; running:\n${list}`);
  throw new ArgumentError(`${hits.length} jobs match ${JSON.stringify(which)}; name one by pid:\n${list}`);
}

/** Runs one typed line; returns what to print and whether it was refused. */
async function runLine(client: SteeringClient, line: string): Promise<{ text: string; failed: boolean }> {
  const text = line.trim();
  if (text === 'status') return { text: formatStatus(client.status), failed: false };
  if (text === 'help') return { text: HELP, failed: false };
  const command = parseCommandLine(text);
  if ('error' in command) return { text: `error: ${command.error}`, failed: true };
  const reply = await client.request(command);
  return { text: formatReply(text, reply), failed: !reply.ok };
}

/** The `simdeck attach` command; resolves to the exit status. Throws ArgumentError (no job, bad arguments). */
export async function attach(argv: string[]): Promise<number> {
  if (argv[0] === '-h' || argv[0] === '--help') { process.stdout.write(`${USAGE}\n\n${HELP}\n`); return 0; }
  if (argv[0] === '--list') {
    const jobs = listJobs();
    process.stdout.write(jobs.length === 0 ? 'no running steered job\n' : jobs.map((j) => `${j.pid}  ${j.deck}  ${j.url.replace(/\?token=.*/, '')}  started ${j.started}\n`).join(''));
    return 0;
  }
  if (argv[0] !== undefined && argv[0].startsWith('-')) {
    throw new ArgumentError(`unknown option ${argv[0]}\n${USAGE}`);
  }
  const job = argv.length > 0 && !COMMANDS.includes(argv[0]) ? argv[0] : null;
  const words = job === null ? argv : argv.slice(1);
  const info = chooseJob(job);
  const { SteeringClient } = await import('../steer/server/client.js');
  const client = await SteeringClient.connect(info.ws);
  if (words.length > 0) {
    if (words[0] === 'status') await client.freshStatus(); // the hello's status may be old
    const { text, failed } = await runLine(client, words.join(' '));
    process.stdout.write(text + '\n');
    client.close();
    return failed ? 1 : 0;
  }
  process.stdout.write(`attached to ${client.title || info.deck} (pid ${info.pid}) at ${info.url.replace(/\?token=.*/, '')}; type help for commands\n`);
  const rl = createInterface({
    input: process.stdin, output: process.stdout, terminal: Boolean(process.stdin.isTTY && process.stdout.isTTY), historySize: 200,
    prompt: `${(client.title || info.deck).replace(/\.[^.]+$/, '')}> `,
    completer: (line: string) => {
      const m = /^set\s+([\w.-]*)$/.exec(line);
      if (m !== null) {
        const hits = client.params.map((p) => p.name).filter((n) => n.startsWith(m[1])).map((n) => `set ${n}=`);
        return [hits, line];
      }
      return [COMMANDS.filter((c) => c.startsWith(line.trim())), line.trim()];
    },
  });
  let ended = false;
  client.onClose = (code) => {
    ended = true;
    process.stdout.write(`\n${code === 1001 ? 'the job finished' : `connection lost (${code})`}\n`);
    rl.close();
  };
  rl.prompt();
  for await (const line of rl) {
    const text = line.trim();
    if (text === 'quit' || text === 'exit') break;
    if (text !== '') process.stdout.write((await runLine(client, text)).text + '\n');
    if (ended) break;
    rl.prompt();
  }
  rl.close();
  if (!ended) client.close();
  return 0;
}
