#!/usr/bin/env node
import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSmokeTest, tokenFromEnv } from '../lib/smoke.ts';

/*
 * `npm run smoke -- --outputs cdk-outputs.json`: the post-deploy smoke test (lib/smoke.ts). Submits a
 * goal as the CI user and polls it to `completed`; exit 0 when it completed, 1 otherwise. The API URL
 * comes from `--url`, `OMNILINK_URL`, or the `ApiUrl` output in the `cdk deploy --outputs-file`; the
 * token from the environment (see tokenFromEnv), and with a Cognito user the client id may also come
 * from the outputs (`CiClientId`).
 */
const usage = `Usage: npm run smoke -- [--url <api url>] [--outputs cdk-outputs.json] [--goal "<goal>"]
                       [--timeout <seconds>] [--idempotency-key <key>]`;

const { values } = parseArgs({
  options: {
    url: { type: 'string' },
    outputs: { type: 'string' },
    goal: { type: 'string' },
    timeout: { type: 'string', default: '300' },
    'idempotency-key': { type: 'string' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (values.help) {
  console.error(usage);
  process.exit(0);
}

/** The outputs of the (only) stack in a `cdk deploy --outputs-file` file. */
function stackOutputs(path: string | undefined): Record<string, string> {
  if (path === undefined) return {};
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  return Object.assign({}, ...Object.values(parsed));
}

const outputs = stackOutputs(values.outputs);
const baseUrl = values.url ?? process.env.OMNILINK_URL ?? outputs.ApiUrl;
if (!baseUrl) {
  console.error(`smoke: no API URL (--url, OMNILINK_URL or ApiUrl in --outputs)\n${usage}`);
  process.exit(2);
}
const env = { SMOKE_COGNITO_CLIENT_ID: outputs.CiClientId, ...process.env };

try {
  const final = await runSmokeTest({
    baseUrl,
    getToken: () => tokenFromEnv(env),
    ...(values.goal ? { goal: values.goal } : {}),
    ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
    timeoutMs: Number(values.timeout) * 1000,
    log: (line) => console.error(`smoke: ${line}`),
  });
  console.log(JSON.stringify({ workflow_id: final.workflow_id, status: final.status }));
} catch (error) {
  console.error(
    `smoke: FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
  );
  process.exit(1);
}
