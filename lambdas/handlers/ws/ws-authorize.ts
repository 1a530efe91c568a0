import middy from '@middy/core';
import { createRemoteJWKSet } from 'jose';
import { correlated } from '#middleware/correlation.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { type AuthorizeDeps, authorize } from '#usecases/authorize-connection.ts';

/** The push channel's `$connect` authorizer (lambdas/usecases/authorize-connection.ts). */

const env = parseEnv(envSchema('JWT_JWKS_URL', 'JWT_ISSUER', 'JWT_AUDIENCE'));
const deps: AuthorizeDeps = {
  // Fetched once per execution environment and cached by jose (refetched on an unknown `kid`).
  keys: createRemoteJWKSet(new URL(env.JWT_JWKS_URL)),
  issuer: env.JWT_ISSUER,
  audiences: env.JWT_AUDIENCE.split(',')
    .map((aud) => aud.trim())
    .filter(Boolean),
};

export const handler = middy<unknown>()
  // The caller is who the token says, once verified: nothing to correlate before.
  .use(correlated(() => ({})))
  .handler((event) => authorize(deps, event));
