// A hello job: every rank joins the world; rank 0 prints its size (start-up counts and bench).
import { world } from 'simdeck';

if (world.rank === 0) console.log(`hello from ${world.size} ranks`);
