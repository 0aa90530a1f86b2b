// MPMD test deck: the ocean component (2 ranks). Sends its sea-surface temperatures to the
// coupler, gets combined values back, then talks to the atmosphere through an intercommunicator.
import { world, app, Status } from 'simdeck';
import { ACROSS, BACK, COMBINED, FIELD, identity, layout, say } from './common.ts';

const where = layout();
say('layout', where);
identity();

// Coupling through world: a field to the coupler, combined values back.
const sst = Float64Array.from({ length: 3 }, (_, i) => 10 * (app.rank + 1) + i);
world.send(sst, where.coupler, FIELD);
say('combined', world.recv(where.coupler, COMBINED));

// An intercommunicator to the atmosphere: ocean leader is app rank 0, atmosphere's leader is
// its first world rank.
const inter = app.createIntercomm(0, world, where.atmos[0], 77);
say('inter', { rank: inter.rank, size: inter.size, remoteSize: inter.remoteSize });
// The same tag on world first: messages on different communicators never match each other.
world.send('via world', where.atmos[app.rank], ACROSS);
inter.send({ from: 'ocean', appRank: app.rank, sst: Array.from(sst) }, app.rank, ACROSS);
// The atmosphere's last rank has no partner: ocean rank 0 writes to it too (remote rank 2).
if (app.rank === 0) inter.send('to the last atmosphere rank', 2, ACROSS);
const st = new Status();
say('reply', { value: inter.recv(app.rank, BACK, st), source: st.source, tag: st.tag });

const merged = inter.merge(false); // ocean first
say('merged', { rank: merged.rank, size: merged.size, worldRanks: merged.allgather(world.rank), sum: merged.allreduce(world.rank) });
const reversed = inter.merge(true); // ocean second
say('reversed', { rank: reversed.rank, size: reversed.size, worldRanks: reversed.allgather(world.rank) });
world.barrier();
