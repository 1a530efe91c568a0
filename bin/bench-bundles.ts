/**
 * `npm run bench:bundles`: only the cold-start part of `npm run bench` (lib/bench/bundles.ts), written
 * to `.local/bench/bundles.md` (BENCH_OUT: another directory).
 * BENCH_SPAWNS fresh processes per bundle (default 21), BENCH_MAX_SPAWNS for a bundle whose ratio
 * is unsettled after those (its 90% interval holds the goal; default 101); BENCH_FUNCTIONS narrows it.
 */
import { join } from 'node:path';
import { runBundleBench } from '../lib/bench/run.ts';
import { PROJECT_ROOT } from '../lib/local/runtime.ts';

await runBundleBench({
  out: process.env.BENCH_OUT ?? join(PROJECT_ROOT, '.local', 'bench'),
  env: process.env,
});
