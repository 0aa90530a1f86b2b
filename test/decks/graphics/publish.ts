// Publishing: a listener on the dashboard's BroadcastChannel in this very process (as the
// steering server's worker would be) receives the frames LivePlots draws; and with a queue of
// one and frames asked for faster than they can be drawn, frames are skipped and counted
// instead of the run waiting. Prints OK lines for the test.
import { BroadcastChannel } from 'node:worker_threads';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { world } from 'simdeck';
import { Grid } from 'simdeck/decomposition';
import { decodePng, LivePlots } from 'simdeck/graphics';

const dir = process.argv[2];
const frames: { name: string; step: number; time: number; png: Uint8Array }[] = [];
const channel = new BroadcastChannel('simdeck:plots');
channel.onmessage = (e) => frames.push((e as MessageEvent).data);

const grid = new Grid(world, { shape: [96, 64] });
const u = grid.zeros(Float64Array).fill((i, j) => i * j);
const plots = new LivePlots(world, { dir, every: { steps: 1 }, queue: 1, title: 'publish test' });
for (let step = 0; step < 40; step++) plots.heatmap('T', u, { step, time: step / 10 }, { size: 96, title: 'T' });
const stats = plots.close();
await new Promise((r) => setTimeout(r, 300)); // let the channel deliver
channel.close();
if (world.rank === 0) {
  if (stats.frames === 40 && stats.skipped > 0 && stats.drawn + stats.skipped === 40 && stats.failed === 0) console.log('OK frames were skipped, not waited for, and counted');
  else console.log(`BAD stats ${JSON.stringify(stats)}`);
  const first = frames[0];
  if (frames.length === stats.drawn && first?.name === 'T' && decodePng(first.png).width > 96) console.log('OK every drawn frame arrived on the dashboard channel as a PNG');
  else console.log(`BAD ${frames.length} frames published for ${stats.drawn} drawn`);
  const last = frames[frames.length - 1];
  const file = join(dir, `T-${String(last.step).padStart(6, '0')}.png`);
  if (existsSync(file) && Buffer.from(readFileSync(file)).equals(Buffer.from(last.png))) console.log('OK the published frame is the numbered file');
  const html = readFileSync(join(dir, 'index.html'), 'utf8');
  if (html.includes('publish test') && html.includes(`T-${String(last.step).padStart(6, '0')}.png`) && html.includes('type="range"') && !/https?:\/\//.test(html)) console.log('OK gallery with a frame scrubber and no network');
  console.log(`SUMMARY ${stats.summary}`);
}
