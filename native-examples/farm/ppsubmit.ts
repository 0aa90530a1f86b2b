// Parallel Python's submit example: `job_server.submit(sum_primes, (n,))`, then `job()` for each
// result. Here rank 0 submits inside pool.serve while the other ranks serve.
//   npx simdeck run -n 4 native-examples/farm/ppsubmit.ts
import { world } from 'simdeck';
import { Pool, task } from 'simdeck/farm';

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

// Registered at the top level, so every rank finds it by name.
const sumPrimes = task(function sumPrimes(n: number): number {
  let s = 0;
  for (let x = 2; x < n; x++) if (isPrime(x)) s += x;
  return s;
});

const pool = new Pool(world);
pool.serve(() => {
  const inputs = [100_000, 100_100, 100_200, 100_300, 100_400, 100_500, 100_600, 100_700];
  const jobs = inputs.map((n) => [n, pool.submit(sumPrimes, n)] as const);
  for (const [n, job] of jobs) console.log(`Sum of primes below ${n} is ${job.get()}`);
}, { progress: false });
