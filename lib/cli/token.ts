import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalIssuer } from '../local/jwt.ts';

/*
 * `npm run token -- --sub alice` (bin/token.ts wires it): a JWT the local API accepts, signed with
 * the local issuer's key under .local/issuer/ (created if `npm start` has not run yet).
 */
export const tokenUsage = `Usage: npm run token -- --sub <user> [--ttl <seconds>] [--aud <audience>] [--iss <issuer>]
                       [--scope "<scopes>"] [--nbf <seconds from now>] [--data-dir <dir>]`;

export interface TokenOutput {
  readonly out: (line: string) => void;
  readonly err: (line: string) => void;
}

/** Prints a token for `argv`; resolves to the exit code (2 on bad arguments). */
export async function runToken(
  argv: readonly string[],
  env: Readonly<Record<string, string | undefined>>,
  output: TokenOutput = { out: console.log, err: console.error },
): Promise<number> {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      sub: { type: 'string' },
      ttl: { type: 'string', default: '3600' },
      aud: { type: 'string' },
      iss: { type: 'string' },
      scope: { type: 'string' },
      nbf: { type: 'string' },
      'data-dir': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help || !values.sub) {
    output.err(tokenUsage);
    return values.help ? 0 : 2;
  }
  const ttlSeconds = Number(values.ttl);
  if (!Number.isInteger(ttlSeconds)) {
    output.err(`--ttl must be a whole number of seconds\n${tokenUsage}`);
    return 2;
  }
  const dataDir =
    values['data-dir'] ??
    env.LOCAL_DATA_DIR ??
    join(fileURLToPath(new URL('../..', import.meta.url)), '.local');
  const issuer = await LocalIssuer.load(join(dataDir, 'issuer'));
  const token = await issuer.sign(values.sub, {
    ttlSeconds,
    ...(values.aud ? { audience: values.aud } : {}),
    ...(values.iss ? { issuer: values.iss } : {}),
    ...(values.scope ? { scope: values.scope } : {}),
    ...(values.nbf ? { notBeforeSeconds: Number(values.nbf) } : {}),
  });
  output.out(token);
  return 0;
}
