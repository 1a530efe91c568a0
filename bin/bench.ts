/**
 * `npm run bench`: measures the system on the local runtime (lib/bench/run.ts) and writes the
 * results to `.local/bench/`.
 *
 *   npm run bench                     # everything
 *   BENCH_REQUESTS=500 npm run bench  # more samples
 *   BENCH_ONLY=push npm run bench     # one part: load, push or bundles
 *   BENCH_OUT=/tmp/b npm run bench    # results elsewhere
 */
import { join } from 'node:path';
import { runBench } from '../lib/bench/run.ts';
import { PROJECT_ROOT } from '../lib/local/runtime.ts';

await runBench({ out: process.env.BENCH_OUT ?? join(PROJECT_ROOT, '.local', 'bench'), env: process.env });
