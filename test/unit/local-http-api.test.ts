import type { Server } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { exportJWK, generateKeyPair, SignJWT, UnsecuredJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { createHttpApi } from '../../lib/local/http-api.ts';
import { LocalIssuer } from '../../lib/local/jwt.ts';
import { LocalFunction } from '../../lib/local/lambda.ts';

const seen: APIGatewayProxyEventV2WithJWTAuthorizer[] = [];

function fakeFunction(name: string, handler: (event: APIGatewayProxyEventV2WithJWTAuthorizer) => unknown) {
  return new LocalFunction({
    name,
    timeoutSeconds: 5,
    memoryMiB: 128,
    load: async () => async (event: unknown) => {
      const apiEvent = event as APIGatewayProxyEventV2WithJWTAuthorizer;
      seen.push(apiEvent);
      return handler(apiEvent);
    },
  });
}

let issuer: LocalIssuer;
let server: Server;
let baseUrl: string;

beforeAll(async () => {
  issuer = await LocalIssuer.load(undefined, { issuer: 'test-issuer', audience: 'test-api' });
  server = createHttpApi({
    issuer,
    maxBodyBytes: 1024,
    routes: [
      {
        routeKey: 'GET /workflows/{id}/status',
        fn: fakeFunction('status', (event) => ({
          statusCode: 200,
          headers: { 'Content-Type': 'application/json', 'X-Id': event.pathParameters?.id ?? '' },
          body: JSON.stringify({ id: event.pathParameters?.id }),
        })),
      },
      { routeKey: 'POST /omnilink-agent', fn: fakeFunction('producer', () => ({ plain: true })) },
      {
        routeKey: 'POST /boom',
        fn: fakeFunction('boom', () => {
          throw new Error('kaput');
        }),
      },
    ],
    localEndpoints: { 'GET /health': async () => ({ statusCode: 200, body: { status: 'ok' } }) },
    onFunctionError: () => undefined,
  });
  baseUrl = `http://127.0.0.1:${await listen(server, 0)}`;
});

afterAll(async () => {
  await close(server);
});

async function call(path: string, init: RequestInit & { token?: string } = {}) {
  const headers = new Headers(init.headers);
  if (init.token) headers.set('authorization', `Bearer ${init.token}`);
  const response = await fetch(`${baseUrl}${path}`, { ...init, headers });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    text,
    json: text ? JSON.parse(text) : undefined,
  };
}

describe('local HTTP API: JWT authorizer', () => {
  it('accepts a token of the local issuer and passes its claims to the function', async () => {
    const token = await issuer.sign('alice', { scope: 'workflows:read workflows:write' });
    const response = await call('/workflows/wf_abc12345/status', { token });
    expect(response.status).toBe(200);
    const event = seen.at(-1);
    expect(event?.requestContext.authorizer.jwt.claims).toMatchObject({
      sub: 'alice',
      iss: 'test-issuer',
      aud: 'test-api',
    });
    expect(typeof event?.requestContext.authorizer.jwt.claims.exp).toBe('string');
    expect(event?.requestContext.authorizer.jwt.scopes).toEqual(['workflows:read', 'workflows:write']);
  });

  it('refuses a missing token, a token signed with another key, alg none, expired, wrong audience or issuer', async () => {
    const otherKeys = await generateKeyPair('ES256');
    const now = Math.floor(Date.now() / 1000);
    const claims = { sub: 'mallory', iss: 'test-issuer', aud: 'test-api', exp: now + 600 };
    const otherKey = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid: issuer.publicJwk.kid ?? '' })
      .sign(otherKeys.privateKey);
    const algNone = new UnsecuredJWT(claims).encode();
    const hsKey = new TextEncoder().encode(JSON.stringify(await exportJWK(otherKeys.publicKey)));
    const hs256 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS256' }).sign(hsKey);
    const tokens = {
      missing: undefined,
      otherKey,
      algNone,
      hs256,
      expired: await issuer.sign('alice', { ttlSeconds: -5 }),
      notYetValid: await issuer.sign('alice', { notBeforeSeconds: 600 }),
      wrongAudience: await issuer.sign('alice', { audience: 'someone-else' }),
      wrongIssuer: await issuer.sign('alice', { issuer: 'https://evil.example' }),
      noSubject: await new SignJWT({ iss: 'test-issuer', aud: 'test-api', exp: now + 600 })
        .setProtectedHeader({ alg: 'ES256' })
        .sign(otherKeys.privateKey),
    };
    for (const [name, token] of Object.entries(tokens)) {
      const response = await call('/workflows/wf_abc12345/status', token ? { token } : {});
      expect(response.status, name).toBe(401);
      expect(response.json, name).toMatchObject({ error: { code: 'unauthorized' } });
    }
  });

  it('refuses a token without sub even when properly signed', async () => {
    const token = await issuer.sign('', {});
    const response = await call('/workflows/wf_abc12345/status', { token });
    expect(response.status).toBe(401);
  });

  it('needs no token for local endpoints such as /health', async () => {
    expect((await call('/health')).status).toBe(200);
  });
});

describe('local HTTP API: routing and the payload format 2.0 event', () => {
  it('builds the event API Gateway would send', async () => {
    const token = await issuer.sign('alice');
    await call('/workflows/wf%5Fabc12345/status?a=1&b=x%20y&a=2', {
      token,
      headers: { 'X-Custom': 'Yes', cookie: 'c1=v1; c2=v2', 'user-agent': 'vitest' },
    });
    const event = seen.at(-1);
    expect(event).toMatchObject({
      version: '2.0',
      routeKey: 'GET /workflows/{id}/status',
      rawPath: '/workflows/wf%5Fabc12345/status',
      rawQueryString: 'a=1&b=x%20y&a=2',
      cookies: ['c1=v1', 'c2=v2'],
      queryStringParameters: { a: '1,2', b: 'x y' },
      pathParameters: { id: 'wf_abc12345' },
      isBase64Encoded: false,
      requestContext: {
        accountId: '000000000000',
        routeKey: 'GET /workflows/{id}/status',
        stage: '$default',
        http: {
          method: 'GET',
          path: '/workflows/wf%5Fabc12345/status',
          protocol: 'HTTP/1.1',
          sourceIp: '127.0.0.1',
          userAgent: 'vitest',
        },
      },
    });
    expect(event?.headers['x-custom']).toBe('Yes');
    expect(event?.headers.authorization).toMatch(/^Bearer /);
    expect(event?.body).toBeUndefined();
    expect(event?.requestContext.requestId).toMatch(/^[0-9a-f-]{36}$/);
    expect(event?.requestContext.timeEpoch).toBeGreaterThan(0);
    expect(event?.requestContext.time).toMatch(/^\d{2}\/[A-Z][a-z]{2}\/\d{4}:\d{2}:\d{2}:\d{2} \+0000$/);
  });

  it('passes the body as a string and writes structured results back with their headers', async () => {
    const token = await issuer.sign('alice');
    const response = await call('/workflows/wf_abc12345/status', { token });
    expect(response.status).toBe(200);
    expect(response.headers.get('x-id')).toBe('wf_abc12345');
    expect(response.json).toEqual({ id: 'wf_abc12345' });
    const posted = await call('/omnilink-agent', { method: 'POST', token, body: '{"goal":"hi"}' });
    expect(seen.at(-1)?.body).toBe('{"goal":"hi"}');
    // A result without statusCode: API Gateway answers 200 with it as JSON.
    expect(posted.status).toBe(200);
    expect(posted.headers.get('content-type')).toBe('application/json');
    expect(posted.json).toEqual({ plain: true });
  });

  it('answers 404 not_found for unknown routes and methods', async () => {
    const token = await issuer.sign('alice');
    for (const [method, path] of [
      ['GET', '/nope'],
      ['DELETE', '/omnilink-agent'],
      ['GET', '/workflows/x/y/status'],
    ] as const) {
      const response = await call(path, { method, token });
      expect(response.status, `${method} ${path}`).toBe(404);
      expect(response.json).toMatchObject({ error: { code: 'not_found' } });
    }
  });

  it('answers 413 over the body limit and 500 when the function throws', async () => {
    const token = await issuer.sign('alice');
    const big = await call('/omnilink-agent', { method: 'POST', token, body: 'x'.repeat(2000) });
    expect(big.status).toBe(413);
    expect(big.json).toMatchObject({ error: { code: 'payload_too_large' } });
    const boom = await call('/boom', { method: 'POST', token });
    expect(boom.status).toBe(500);
    expect(boom.json).toMatchObject({ error: { code: 'internal_error' } });
    expect(boom.text).not.toContain('kaput');
  });
});
