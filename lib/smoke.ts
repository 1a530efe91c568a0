import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { OmnilinkClient, type WorkflowStatusBody } from './client.ts';

/*
 * The post-deploy smoke test (bin/smoke.ts, run by .github/workflows/deploy.yml): a CI user submits a
 * goal to the deployed API and polls it to `completed`; anything else fails the job. Tokens come from
 * Cognito (USER_PASSWORD_AUTH on the stack's CI app client, answering the TOTP MFA challenge), from an
 * OAuth 2.0 client-credentials grant (an external IdP, `oidcIssuer`), or are given as they are.
 */

/** Why the smoke test failed: the API refused, or the workflow did not end `completed` in time. */
export class SmokeTestFailed extends Error {
  constructor(
    message: string,
    readonly status?: WorkflowStatusBody,
  ) {
    super(message);
    this.name = 'SmokeTestFailed';
  }
}

/** Decodes RFC 4648 base32 (what authenticator apps and Cognito's AssociateSoftwareToken use). */
export function base32Decode(text: string): Buffer {
  const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';
  const clean = text.replace(/[\s=-]/g, '').toUpperCase();
  let bits = 0;
  let value = 0;
  const bytes: number[] = [];
  for (const char of clean) {
    const index = alphabet.indexOf(char);
    if (index < 0) throw new Error('the TOTP secret is not base32');
    value = (value << 5) | index;
    bits += 5;
    if (bits >= 8) {
      bytes.push((value >>> (bits - 8)) & 0xff);
      bits -= 8;
    }
  }
  return Buffer.from(bytes);
}

/** RFC 6238 TOTP (HMAC-SHA1, 30-second steps): the code an authenticator shows at `nowMs`. */
export function totp(secretBase32: string, nowMs: number, digits = 6): string {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(Math.floor(nowMs / 1000 / 30)));
  const mac = createHmac('sha1', base32Decode(secretBase32)).update(counter).digest();
  const offset = (mac[mac.length - 1] ?? 0) & 0x0f;
  const binary = mac.readUInt32BE(offset) & 0x7fffffff;
  return String(binary % 10 ** digits).padStart(digits, '0');
}

const cognitoAnswerSchema = z.object({
  AuthenticationResult: z.object({ AccessToken: z.string().min(1) }).optional(),
  ChallengeName: z.string().optional(),
  Session: z.string().optional(),
});

/** Options of {@link cognitoAccessToken}. */
export interface CognitoLogin {
  readonly region: string;
  /** The stack's CI app client (output `CiClientId`): the only client that allows USER_PASSWORD_AUTH. */
  readonly clientId: string;
  readonly username: string;
  readonly password: string;
  /** Base32 TOTP secret of the user's software token (the pool requires MFA). */
  readonly totpSecret?: string;
  readonly fetch?: typeof fetch;
  readonly now?: () => number;
}

/** An access token of a Cognito user: InitiateAuth (USER_PASSWORD_AUTH), then the TOTP challenge if asked. */
export async function cognitoAccessToken(login: CognitoLogin): Promise<string> {
  const call = async (target: string, body: Record<string, unknown>) => {
    const response = await (login.fetch ?? fetch)(`https://cognito-idp.${login.region}.amazonaws.com/`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': `AWSCognitoIdentityProviderService.${target}`,
      },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    // Cognito's error bodies name the error (NotAuthorizedException, ...), never the password.
    if (!response.ok)
      throw new SmokeTestFailed(`Cognito ${target} answered ${response.status}: ${text.slice(0, 300)}`);
    return cognitoAnswerSchema.parse(JSON.parse(text));
  };
  let answer = await call('InitiateAuth', {
    AuthFlow: 'USER_PASSWORD_AUTH',
    ClientId: login.clientId,
    AuthParameters: { USERNAME: login.username, PASSWORD: login.password },
  });
  if (answer.ChallengeName === 'SOFTWARE_TOKEN_MFA') {
    if (login.totpSecret === undefined)
      throw new SmokeTestFailed('Cognito asks for a TOTP code: set the TOTP secret');
    answer = await call('RespondToAuthChallenge', {
      ChallengeName: 'SOFTWARE_TOKEN_MFA',
      ClientId: login.clientId,
      Session: answer.Session,
      ChallengeResponses: {
        USERNAME: login.username,
        SOFTWARE_TOKEN_MFA_CODE: totp(login.totpSecret, (login.now ?? Date.now)()),
      },
    });
  }
  if (answer.AuthenticationResult === undefined) {
    throw new SmokeTestFailed(
      `Cognito did not sign the CI user in (challenge: ${answer.ChallengeName ?? 'none'})`,
    );
  }
  return answer.AuthenticationResult.AccessToken;
}

/** An access token from an OAuth 2.0 token endpoint (client-credentials grant), for an external IdP. */
export async function clientCredentialsToken(options: {
  readonly tokenUrl: string;
  readonly clientId: string;
  readonly clientSecret: string;
  readonly scope?: string;
  readonly fetch?: typeof fetch;
}): Promise<string> {
  const body = new URLSearchParams({ grant_type: 'client_credentials' });
  if (options.scope) body.set('scope', options.scope);
  const response = await (options.fetch ?? fetch)(options.tokenUrl, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      authorization: `Basic ${Buffer.from(`${options.clientId}:${options.clientSecret}`).toString('base64')}`,
    },
    body,
  });
  if (!response.ok) throw new SmokeTestFailed(`the token endpoint answered ${response.status}`);
  return z.object({ access_token: z.string().min(1) }).parse(await response.json()).access_token;
}

/**
 * The token the environment provides, first match wins: `OMNILINK_TOKEN`; `SMOKE_TOKEN_URL` +
 * `SMOKE_CLIENT_ID` + `SMOKE_CLIENT_SECRET` (+ `SMOKE_SCOPE`); `SMOKE_USERNAME` + `SMOKE_PASSWORD`
 * (+ `SMOKE_TOTP_SECRET`) with `SMOKE_COGNITO_CLIENT_ID` and `SMOKE_COGNITO_REGION` (or `AWS_REGION`).
 */
export async function tokenFromEnv(
  env: Readonly<Record<string, string | undefined>>,
  fetchImpl?: typeof fetch,
): Promise<string> {
  const set = (name: string) => (env[name] ?? '') !== '';
  if (set('OMNILINK_TOKEN')) return env.OMNILINK_TOKEN as string;
  if (set('SMOKE_TOKEN_URL')) {
    return clientCredentialsToken({
      tokenUrl: env.SMOKE_TOKEN_URL as string,
      clientId: env.SMOKE_CLIENT_ID ?? '',
      clientSecret: env.SMOKE_CLIENT_SECRET ?? '',
      ...(set('SMOKE_SCOPE') ? { scope: env.SMOKE_SCOPE } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }
  const region = env.SMOKE_COGNITO_REGION || env.AWS_REGION;
  if (set('SMOKE_USERNAME') && set('SMOKE_PASSWORD') && set('SMOKE_COGNITO_CLIENT_ID') && region) {
    return cognitoAccessToken({
      region,
      clientId: env.SMOKE_COGNITO_CLIENT_ID as string,
      username: env.SMOKE_USERNAME as string,
      password: env.SMOKE_PASSWORD as string,
      ...(set('SMOKE_TOTP_SECRET') ? { totpSecret: env.SMOKE_TOTP_SECRET } : {}),
      ...(fetchImpl ? { fetch: fetchImpl } : {}),
    });
  }
  throw new SmokeTestFailed(
    'no token: set OMNILINK_TOKEN, or SMOKE_TOKEN_URL/SMOKE_CLIENT_ID/SMOKE_CLIENT_SECRET, or ' +
      'SMOKE_USERNAME/SMOKE_PASSWORD/SMOKE_TOTP_SECRET with SMOKE_COGNITO_CLIENT_ID and a region',
  );
}

/** Options of {@link runSmokeTest}. */
export interface SmokeTestOptions {
  readonly baseUrl: string;
  readonly getToken: () => string | Promise<string>;
  /**
   * A goal that completes on the deployed stack (with the offline provider or a model).
   * @default 'Book a flight to NYC'
   */
  readonly goal?: string;
  /** @default 300_000 */
  readonly timeoutMs?: number;
  /** Idempotency key of the submission (a re-run of the same CI job resubmits nothing). */
  readonly idempotencyKey?: string;
  readonly fetch?: typeof fetch;
  readonly log?: (line: string) => void;
}

/** Submits the goal and polls it; resolves with the final status when `completed`, throws otherwise. */
export async function runSmokeTest(options: SmokeTestOptions): Promise<WorkflowStatusBody> {
  const log = options.log ?? (() => undefined);
  const client = new OmnilinkClient({
    baseUrl: options.baseUrl,
    getToken: options.getToken,
    userAgent: 'omnilink-smoke-test',
    ...(options.fetch ? { fetch: options.fetch } : {}),
  });
  const goal = options.goal ?? 'Book a flight to NYC';
  const { workflow_id: id } = await client.submitGoal(goal, {
    ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
  });
  log(`submitted "${goal}" as ${id}`);
  let last = '';
  const final = await client.waitForCompletion(id, {
    timeoutMs: options.timeoutMs ?? 300_000,
    onProgress: (s) => {
      const line = `${s.status} ${s.progress.steps_done}/${s.progress.steps_total}`;
      if (line !== last) log(`${id}: ${line}`);
      last = line;
    },
  });
  if (final.status !== 'completed') {
    const why = final.error ? `: ${final.error.code} ${final.error.message}` : '';
    throw new SmokeTestFailed(`workflow ${id} ended ${final.status}${why}`, final);
  }
  log(`${id}: completed`);
  return final;
}
