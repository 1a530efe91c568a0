import type { LocalRuntime } from '../local/runtime.ts';
import { functionSpecs } from '../specs.ts';

/** What `npm start` (bin/local.ts) prints once the local runtime is up. */
export function startBanner(
  runtime: LocalRuntime,
  env: Readonly<Record<string, string | undefined>>,
): string {
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
    `  LLM provider    ${env.LLM_PROVIDER}`,
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
  return lines.join('\n');
}

/** Why `npm start` could not start, in a line (a busy port named as such). */
export function startFailure(error: unknown, env: Readonly<Record<string, string | undefined>>): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  const message =
    code === 'EADDRINUSE'
      ? `port ${env.PORT ?? 3000} is in use: stop what uses it or set PORT`
      : error instanceof Error
        ? error.message
        : String(error);
  return `npm start: ${message}`;
}
