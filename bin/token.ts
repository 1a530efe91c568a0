#!/usr/bin/env node
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { LocalIssuer } from '../lib/local/jwt.ts';

/*
 * `npm run token -- --sub alice`: prints a JWT the local API accepts, signed with the local
 * issuer's key under .local/issuer/ (created if `npm start` has not run yet).
 */
const usage = `Usage: npm run token -- --sub <user> [--ttl <seconds>] [--aud <audience>] [--iss <issuer>]
                       [--scope "<scopes>"] [--nbf <seconds from now>] [--data-dir <dir>]`;

const { values } = parseArgs({
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
  console.error(usage);
  process.exit(values.help ? 0 : 2);
}
const ttlSeconds = Number(values.ttl);
if (!Number.isInteger(ttlSeconds)) {
  console.error(`--ttl must be a whole number of seconds\n${usage}`);
  process.exit(2);
}

const dataDir =
  values['data-dir'] ??
  process.env.LOCAL_DATA_DIR ??
  join(fileURLToPath(new URL('..', import.meta.url)), '.local');
const issuer = await LocalIssuer.load(join(dataDir, 'issuer'));
const token = await issuer.sign(values.sub, {
  ttlSeconds,
  ...(values.aud ? { audience: values.aud } : {}),
  ...(values.iss ? { issuer: values.iss } : {}),
  ...(values.scope ? { scope: values.scope } : {}),
  ...(values.nbf ? { notBeforeSeconds: Number(values.nbf) } : {}),
});
console.log(token);
