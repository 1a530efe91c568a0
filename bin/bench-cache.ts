/** `npm run bench:cache`: the semantic plan cache's benchmark (lib/bench/cache.ts); 1 on a false hit. */
import { runCacheBench } from '../lib/bench/cache.ts';

process.exitCode = await runCacheBench(process.env);
