// MPMD test deck: the atmosphere component (3 ranks). Sends its air temperatures to the
// coupler, gets combined values back, then answers the ocean through an intercommunicator.
import { world, app, Status } from 'simdeck';
import { ACROSS, BACK, COMBINED, FIELD, identity, layout, say } from './common.ts';

const where = layout();
say('layout', where);
identity();

const air = Float64Array.from({ length: 3 }, (_, i) => 100 * (app.rank + 1) + i);
world.send(air, where.coupler, FIELD);
say('combined', world.recv(where.coupler, COMBINED));

// The ocean's leader is world rank where.ocean[0].
const inter = app.createIntercomm(0, world, where.ocean[0], 77);
say('inter', { rank: inter.rank, size: inter.size, remoteSize: inter.remoteSize });
if (app.rank < inter.remoteSize) {
  const st = new Status();
  const got = inter.recv(app.rank, ACROSS, st) as { from: string; appRank: number; sst: number[] };
  say('across', { value: got, source: st.source, tag: st.tag });
  inter.send({ from: 'atmos', appRank: app.rank, echo: got.sst.reduce((a, b) => a + b, 0) }, st.source, BACK);
  // The world message with the same tag was sent first, and is still waiting on world.
  say('world', world.recv(where.ocean[app.rank], ACROSS));
} else {
  const st = new Status();
  say('across', { value: inter.recv(undefined, ACROSS, st), source: st.source, tag: st.tag });
}

const merged = inter.merge(true); // atmosphere second
say('merged', { rank: merged.rank, size: merged.size, worldRanks: merged.allgather(world.rank), sum: merged.allreduce(world.rank) });
const reversed = inter.merge(false); // atmosphere first
say('reversed', { rank: reversed.rank, size: reversed.size, worldRanks: reversed.allgather(world.rank) });
world.barrier();
