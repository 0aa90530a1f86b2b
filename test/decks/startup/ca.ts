// Where NODE_EXTRA_CA_CERTS was at this rank's start (its exec environment, /proc/self/environ)
// and where the deck and the programs it starts see it. Nothing here can reach TLS.
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { world } from 'simdeck';

const atStart = readFileSync('/proc/self/environ', 'latin1').split('\0').some((v) => v.startsWith('NODE_EXTRA_CA_CERTS='));
const child = execFileSync(process.execPath, ['-p', 'process.env.NODE_EXTRA_CA_CERTS ?? null'], { encoding: 'utf8' }).trim();
const carried = process.env.SIMDECK_NODE_EXTRA_CA_CERTS ?? null;
console.log(JSON.stringify({ rank: world.rank, atStart, env: process.env.NODE_EXTRA_CA_CERTS ?? null, child, carried }));
