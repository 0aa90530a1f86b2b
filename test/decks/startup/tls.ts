// Fetches the https URL given as argument (a server whose certificate only NODE_EXTRA_CA_CERTS
// trusts) and prints the body, and whether NODE_EXTRA_CA_CERTS was in this rank's start environment.
import { get } from 'node:https';
import { readFileSync } from 'node:fs';
import { world } from 'simdeck';

const atStart = readFileSync('/proc/self/environ', 'latin1').split('\0').some((v) => v.startsWith('NODE_EXTRA_CA_CERTS='));
const body = await new Promise<string>((done, fail) => {
  get(process.argv[2], (res) => {
    let text = '';
    res.setEncoding('utf8');
    res.on('data', (d: string) => { text += d; });
    res.on('end', () => done(text));
  }).on('error', fail);
});
console.log(JSON.stringify({ rank: world.rank, atStart, body }));
