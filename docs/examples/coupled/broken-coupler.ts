// A coupler that fails at start-up, to show that one failing component stops the whole
// MPMD job (see docs/mpmd.md).
//   npx simdeck run -n 2 docs/examples/coupled/ocean.ts : -n 1 docs/examples/coupled/broken-coupler.ts : -n 3 docs/examples/coupled/atmosphere.ts
throw new Error('coupler: cannot read the coupling weights');
