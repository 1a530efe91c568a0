import middy from '@middy/core';
import { remoteKeySet } from '#adapters/http/jwks.ts';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { type AuthorizeDeps, authorize } from '#usecases/authorize-connection.ts';

/** The push channel's `$connect` authorizer (lambdas/usecases/authorize-connection.ts). */

const env = parseEnv(envSchema('JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'));
const deps: AuthorizeDeps = {
  // Fetched at the first verification and cached (refetched on an unknown `kid`, as jose's remote set).
  keys: remoteKeySet(new URL(env.JWT_JWKS_URL)),
  issuer: env.JWT_ISSUER,
  audiences: env.JWT_AUDIENCE.split(',')
    .map((aud) => aud.trim())
    .filter(Boolean),
};

export const handler = middy<unknown>()
  // The caller is who the token says, once verified: nothing to correlate before.
  .use(correlated(() => ({})))
  .handler((event) => authorize(deps, event));
