#!/usr/bin/env node
import { type LocalRuntime, startLocalRuntime } from '../lib/local/runtime.ts';
import { functionSpecs } from '../lib/specs.ts';

/*
 * `npm start`: the whole system locally — API at http://127.0.0.1:${PORT:-3000}, data under .local/.
 */
let runtime: LocalRuntime;
try {
  runtime = await startLocalRuntime();
} catch (error) {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message =
    code === 'EADDRINUSE'
      ? `port ${process.env.PORT ?? 3000} is in use: stop what uses it or set PORT`
      : error instanceof Error
        ? error.message
        : String(error);
  console.error(`npm start: ${message}`);
  process.exit(1);
}

const lines = [
  'Omnilink local runtime is up (no AWS account, no network).',
  `  API             ${runtime.baseUrl}`,
  ...Object.values(functionSpecs).flatMap((spec) =>
    'route' in spec ? [`                    ${spec.route}`] : [],
  ),
  `  health          ${runtime.baseUrl}/health`,
  `  JWKS            ${runtime.baseUrl}/.well-known/jwks.json   (issuer "${runtime.issuer.issuer}", audience "${runtime.issuer.audience}")`,
  `  Step Functions  ${runtime.sfnUrl}   (${runtime.stateMachineArn})`,
  `  DynamoDB        ${runtime.dynamoUrl}   (tables ${Object.values(runtime.tables).join(', ')})`,
  `  EventBridge     ${runtime.eventsUrl}   (bus ${runtime.eventBusName}, recorded to ${runtime.dataDir ? 'events.jsonl in the data directory' : 'memory'})`,
  `  data            ${runtime.dataDir ?? '(in memory)'}`,
  `  LLM provider    ${process.env.LLM_PROVIDER}`,
];
if (runtime.resumed.length > 0) {
  lines.push(
    `  resumed ${runtime.resumed.length} execution(s) that were running: ${runtime.resumed.join(', ')}`,
  );
}
lines.push(
  '',
  'Get a token:   npm run token -- --sub alice',
  `Try it:        curl -s -X POST ${runtime.baseUrl}/omnilink-agent -H "Authorization: Bearer $(npm run -s token -- --sub alice)" -H 'Content-Type: application/json' -d '{"goal":"Book a flight to NYC"}'`,
  'Stop with Ctrl+C.',
);
console.log(lines.join('\n'));

let stopping = false;
const shutdown = (signal: string) => {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping the local runtime...`);
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
