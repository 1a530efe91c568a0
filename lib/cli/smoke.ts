import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { runSmokeTest, tokenFromEnv } from '../smoke.ts';

/*
 * `npm run smoke -- --outputs cdk-outputs.json` (bin/smoke.ts wires it): the post-deploy smoke test
 * (lib/smoke.ts). Submits a goal as the CI user and polls it to `completed`; exit 0 when it completed,
 * 1 otherwise. The API URL comes from `--url`, `OMNILINK_URL`, or the `ApiUrl` output in the
 * `cdk deploy --outputs-file`; the token from the environment (see tokenFromEnv), and with a Cognito
 * user the client id may also come from the outputs (`CiClientId`).
 */
export const smokeUsage = `Usage: npm run smoke -- [--url <api url>] [--outputs cdk-outputs.json] [--goal "<goal>"]
                       [--timeout <seconds>] [--idempotency-key <key>]`;

/** The outputs of the (only) stack in a `cdk deploy --outputs-file` file. */
export function stackOutputs(path: string | undefined): Record<string, string> {
  if (path === undefined) return {};
  const parsed = JSON.parse(readFileSync(path, 'utf8')) as Record<string, Record<string, string>>;
  return Object.assign({}, ...Object.values(parsed));
}

/** Runs the smoke test for `argv`; resolves to the exit code (0 completed, 1 not, 2 usage). */
export async function runSmoke(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output: { out: (line: string) => void; err: (line: string) => void } = {
    out: console.log,
    err: console.error,
  },
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
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
    output.err(smokeUsage);
    return 0;
  }
  const outputs = stackOutputs(values.outputs);
  const baseUrl = values.url ?? env.OMNILINK_URL ?? outputs.ApiUrl;
  if (!baseUrl) {
    output.err(`smoke: no API URL (--url, OMNILINK_URL or ApiUrl in --outputs)\n${smokeUsage}`);
    return 2;
  }
  const tokenEnv = { SMOKE_COGNITO_CLIENT_ID: outputs.CiClientId, ...env };
  try {
    const final = await runSmokeTest({
      baseUrl,
      getToken: () => tokenFromEnv(tokenEnv),
      ...(values.goal ? { goal: values.goal } : {}),
      ...(values['idempotency-key'] ? { idempotencyKey: values['idempotency-key'] } : {}),
      timeoutMs: Number(values.timeout) * 1000,
      log: (line) => output.err(`smoke: ${line}`),
    });
    output.out(JSON.stringify({ workflow_id: final.workflow_id, status: final.status }));
    return 0;
  } catch (error) {
    output.err(
      `smoke: FAILED: ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`,
    );
    return 1;
  }
}
