import type { APIGatewayAuthorizerResult } from 'aws-lambda';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { logger } from '#adapters/logger.ts';
import * as z from '#domain/zod.ts';

/**
 * The push channel's `$connect` REQUEST authorizer. WebSocket APIs have no JWT authorizer (HTTP APIs
 * do), so this verifies the same tokens the HTTP API's JWT authorizer accepts, the way it does:
 * signature against the issuer's JWKS, `iss`, `aud` (or `client_id`, as Cognito access tokens carry
 * it), `exp` and `nbf`, a `sub`. The token comes in the query string (`?token=`): browsers cannot
 * set headers on a WebSocket, and the identity source keeps it out of the access log.
 *
 * Refusal is `Unauthorized` (API Gateway answers the upgrade with 401); an allowed connection's
 * policy allows `$connect` only, and its context carries `user_id` (the token's `sub`) to the
 * `$connect` route, which records the connection's owner.
 */

const authorizerEventSchema = z.object({
  methodArn: z.string(),
  queryStringParameters: z.nullish(z.record(z.string(), z.string())),
});

export interface AuthorizeDeps {
  readonly keys: JWTVerifyGetKey;
  readonly issuer: string;
  readonly audiences: readonly string[];
}

/** Verifies a token as the HTTP API's JWT authorizer does; undefined when it is not acceptable. */
export async function verifyToken(deps: AuthorizeDeps, token: string): Promise<string | undefined> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, deps.keys, {
      issuer: deps.issuer,
      algorithms: ['RS256', 'ES256'],
      requiredClaims: ['sub', 'exp'],
    }));
  } catch (error) {
    logger.info('token refused', { reason: error instanceof Error ? error.name : 'unknown' });
    return undefined;
  }
  const audiences = typeof payload.aud === 'string' ? [payload.aud] : (payload.aud ?? []);
  const clientId = typeof payload.client_id === 'string' ? payload.client_id : undefined;
  const audienceOk =
    audiences.some((aud) => deps.audiences.includes(aud)) ||
    (clientId !== undefined && deps.audiences.includes(clientId));
  if (!audienceOk || typeof payload.sub !== 'string' || payload.sub === '') return undefined;
  return payload.sub;
}

/** The `$connect` authorizer's answer: an Allow policy for a verified token, `Unauthorized` otherwise. */
export async function authorize(deps: AuthorizeDeps, event: unknown): Promise<APIGatewayAuthorizerResult> {
  const { methodArn, queryStringParameters } = z.parse(authorizerEventSchema, event);
  const token = queryStringParameters?.token;
  const userId = token ? await verifyToken(deps, token) : undefined;
  // API Gateway turns this exact message into a 401.
  if (!userId) throw new Error('Unauthorized');
  return {
    principalId: userId,
    policyDocument: {
      Version: '2012-10-17',
      Statement: [{ Action: 'execute-api:Invoke', Effect: 'Allow', Resource: methodArn }],
    },
    context: { user_id: userId },
  };
}
