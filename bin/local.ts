#!/usr/bin/env node
import { startBanner, startFailure } from '../lib/cli/start.ts';
import { type LocalRuntime, startLocalRuntime } from '../lib/local/runtime.ts';

/*
 * `npm start`: the whole system locally — API at http://127.0.0.1:${PORT:-3000}, data under .local/.
 * It runs until SIGINT/SIGTERM, then stops the runtime (DynamoDB Local, workers, servers) and exits.
 */
let runtime: LocalRuntime;
try {
  runtime = await startLocalRuntime();
} catch (error) {
  console.error(startFailure(error, process.env));
  process.exit(1);
}
console.log(startBanner(runtime, process.env));

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local runtime...`);
  // process.exit rather than waiting for the loop to drain: a client may hold a connection open (a
  // console tab's WebSocket, a curl), and Ctrl+C must end `npm start` all the same.
  runtime.stop().then(
    () => process.exit(0),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
};
process.on('SIGINT', () => shutdown('SIGINT'));
process.on('SIGTERM', () => shutdown('SIGTERM'));
