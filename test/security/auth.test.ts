import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  base64url,
  type CryptoKey,
  exportJWK,
  exportSPKI,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  SignJWT,
  UnsecuredJWT,
} from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../lib/local/harness.ts';
import { type FunctionSpec, functionSpecs } from '../../lib/specs.ts';
import { httpApiResources, onlyHttpApiResourceId, onlyResourceId, synth } from '../infra/synth.ts';

/*
 * Authentication, both sides of the line.
 *
 * Local (lib/local/jwt.ts + http-api.ts): every route of lib/specs.ts is attacked with forged,
 * mis-scoped and malformed tokens over HTTP; all must answer 401 with the contract body
 * `{"error":{"code":"unauthorized","message":...}}`, and the function must never run.
 * Algorithm allow-list, local: ES256 only (jwtVerify `algorithms: ['ES256']`).
 *
 * AWS (lib/constructs/api.ts): the HTTP API's JWT authorizer, on every route, with issuer and
 * audience. Algorithm allow-list, AWS: API Gateway HTTP API JWT authorizers verify the signature
 * with the issuer's JWKS and "currently, only RSA-based algorithms are supported"
 * (docs.aws.amazon.com/apigateway/latest/developerguide/http-api-jwt-authorizer.html); Cognito signs
 * with RS256. `alg: none`, HS* (key confusion) and EC keys are therefore refused by the gateway
 * itself; it is not configurable, so there is nothing to assert in the template about it.
 */

const routeKeys = Object.values(functionSpecs as Record<string, FunctionSpec>)
  .flatMap((spec) => (spec.route ? [spec.route] : []))
  .sort();
/** A concrete path for a route key; `{id}` becomes a well-formed workflow id. */
const pathOf = (routeKey: string): { method: string; path: string } => {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  return { method, path: template.replace(/\{[^}]+\}/g, 'wf_AAAAAAAAAAAAAAAAAAAAAAAAAA') };
};

let harness: Harness;
let issuerKey: CryptoKey;
let issuerJwk: JWK;
let valid: string;
const now = () => Math.floor(Date.now() / 1000);

beforeAll(async () => {
  harness = await startHarness();
  // The issuer's private key lives in the data directory (lib/local/jwt.ts): with it, the tests can
  // sign tokens that are correctly signed but wrong in one claim.
  issuerJwk = JSON.parse(await readFile(join(harness.dataDir, 'issuer', 'private-key.jwk.json'), 'utf8'));
  const key = await importJWK({ ...issuerJwk, alg: 'ES256' }, 'ES256');
  if (key instanceof Uint8Array) throw new Error('unexpected key type');
  issuerKey = key;
  valid = await harness.runtime.token('alice');
});

afterAll(async () => {
  await harness?.cleanup();
});

const good = (): JWTPayload => ({
  sub: 'alice',
  iss: harness.runtime.issuer.issuer,
  aud: harness.runtime.issuer.audience,
  iat: now(),
  exp: now() + 600,
});

/** Signs `payload` with the real issuer key (a token that differs from a valid one in one claim only). */
async function signWithIssuer(payload: JWTPayload, header: Record<string, unknown> = {}): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: 'ES256', typ: 'JWT', kid: issuerJwk.kid ?? '', ...header })
    .sign(issuerKey);
}

/** The attack variants: name → the Authorization header value (undefined: no header at all). */
async function attacks(): Promise<Record<string, string | undefined>> {
  const [h, p, s] = valid.split('.') as [string, string, string];
  const other = await harness.runtime.token('bob');
  const [, otherPayload, otherSignature] = other.split('.') as [string, string, string];
  const mallory = base64url.encode(
    JSON.stringify({ ...JSON.parse(new TextDecoder().decode(base64url.decode(p))), sub: 'mallory' }),
  );
  const foreignEc = await generateKeyPair('ES256');
  const foreignRsa = await generateKeyPair('RS256');
  const publicJwk = harness.runtime.issuer.publicJwk;
  const spki = await exportSPKI(await importPublic(publicJwk));
  const hsWithJwk = await new SignJWT(good())
    .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid ?? '' })
    .sign(new TextEncoder().encode(JSON.stringify(publicJwk)));
  const hsWithPem = await new SignJWT(good())
    .setProtectedHeader({ alg: 'HS256', kid: publicJwk.kid ?? '' })
    .sign(new TextEncoder().encode(spki));
  const { sub: _sub, ...noSub } = good();
  const { exp: _exp, ...noExp } = good();
  const embeddedJwk = await new SignJWT(good())
    .setProtectedHeader({ alg: 'ES256', jwk: await exportJWK(foreignEc.publicKey) })
    .sign(foreignEc.privateKey);
  const bearer = (token: string) => `Bearer ${token}`;
  return {
    'no Authorization header': undefined,
    'empty Authorization header': '',
    'Bearer without a token': 'Bearer ',
    'token without the Bearer scheme': valid,
    'Basic scheme': `Basic ${Buffer.from('alice:secret').toString('base64')}`,
    'Bearer duplicated': `Bearer Bearer ${valid}`,
    'two bearer tokens': `Bearer ${valid}, Bearer ${other}`,
    'alg none': bearer(new UnsecuredJWT(good()).encode()),
    'alg none, valid signature kept': bearer(
      `${base64url.encode(JSON.stringify({ alg: 'none', typ: 'JWT' }))}.${p}.${s}`,
    ),
    'alg None (case)': bearer(`${base64url.encode(JSON.stringify({ alg: 'None' }))}.${p}.`),
    'swapped payload (mallory), original signature': bearer(`${h}.${mallory}.${s}`),
    "swapped payload (bob's), alice's signature": bearer(`${h}.${otherPayload}.${s}`),
    "alice's payload, bob's signature": bearer(`${h}.${p}.${otherSignature}`),
    'signature stripped': bearer(`${h}.${p}.`),
    'signature truncated': bearer(`${h}.${p}.${s.slice(0, -4)}`),
    'wrong key, same kid (ES256)': bearer(
      await new SignJWT(good())
        .setProtectedHeader({ alg: 'ES256', kid: publicJwk.kid ?? '' })
        .sign(foreignEc.privateKey),
    ),
    'wrong key (RS256)': bearer(
      await new SignJWT(good())
        .setProtectedHeader({ alg: 'RS256', kid: publicJwk.kid ?? '' })
        .sign(foreignRsa.privateKey),
    ),
    'key confusion: HS256 keyed with the public JWK': bearer(hsWithJwk),
    'key confusion: HS256 keyed with the public PEM': bearer(hsWithPem),
    'attacker key embedded in the header (jwk)': bearer(embeddedJwk),
    'unknown critical header': bearer(
      await rawSign({ alg: 'ES256', kid: issuerJwk.kid, crit: ['x-evil'], 'x-evil': true }, good()),
    ),
    'wrong issuer': bearer(await signWithIssuer({ ...good(), iss: 'https://evil.example' })),
    'no issuer': bearer(await signWithIssuer({ ...good(), iss: undefined })),
    'wrong audience': bearer(await signWithIssuer({ ...good(), aud: 'someone-else' })),
    'audience list without ours': bearer(await signWithIssuer({ ...good(), aud: ['a', 'b'] })),
    'no audience': bearer(await signWithIssuer({ ...good(), aud: undefined })),
    expired: bearer(await signWithIssuer({ ...good(), iat: now() - 7200, exp: now() - 60 })),
    'not yet valid (nbf in 10 min)': bearer(await signWithIssuer({ ...good(), nbf: now() + 600 })),
    'missing sub': bearer(await signWithIssuer(noSub)),
    'empty sub': bearer(await signWithIssuer({ ...good(), sub: '' })),
    'missing exp': bearer(await signWithIssuer(noExp)),
    'exp not a number': bearer(await signWithIssuer({ ...good(), exp: 'tomorrow' as unknown as number })),
    'garbage: one word': bearer('garbage'),
    'garbage: three dots': bearer('a.b.c'),
    'garbage: not base64url': bearer('***.***.***'),
    'garbage: JSON instead of a JWT': bearer(JSON.stringify(good())),
    'garbage: 8 KiB token': bearer('A'.repeat(8192)),
    'JWE-shaped (5 parts)': bearer(`${h}.${p}.${s}.x.y`),
  };
}

/** Signs any header with the issuer key by hand (jose refuses to produce some of these headers). */
async function rawSign(header: Record<string, unknown>, payload: JWTPayload): Promise<string> {
  const input = `${base64url.encode(JSON.stringify(header))}.${base64url.encode(JSON.stringify(payload))}`;
  const signature = await crypto.subtle.sign(
    { name: 'ECDSA', hash: 'SHA-256' },
    issuerKey,
    new TextEncoder().encode(input),
  );
  return `${input}.${base64url.encode(new Uint8Array(signature))}`;
}

async function importPublic(jwk: JWK): Promise<CryptoKey> {
  const key = await importJWK({ ...jwk, alg: 'ES256' }, 'ES256');
  if (key instanceof Uint8Array) throw new Error('unexpected key type');
  return key;
}

async function call(method: string, path: string, authorization: string | undefined) {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await fetch(`${harness.runtime.baseUrl}${path}`, {
    method,
    headers,
    ...(method === 'POST' ? { body: JSON.stringify({ goal: 'Book a flight to NYC', approved: true }) } : {}),
  });
  const text = await response.text();
  return { status: response.status, text, headers: response.headers };
}

describe('authentication, local API: forged and invalid tokens on every route', () => {
  it('enumerates the routes from lib/specs.ts', () => {
    expect(routeKeys).toEqual(
      expect.arrayContaining([
        'POST /omnilink-agent',
        'GET /workflows/{id}/status',
        'GET /workflows/{id}/events',
      ]),
    );
  });

  it('refuses every attack variant on every route with 401 and the contract body', async () => {
    const variants = await attacks();
    const refused: string[] = [];
    const failures: string[] = [];
    for (const [name, authorization] of Object.entries(variants)) {
      let held = true;
      for (const routeKey of routeKeys) {
        const { method, path } = pathOf(routeKey);
        const response = await call(method, path, authorization);
        const parsed: unknown = JSON.parse(response.text);
        const ok =
          response.status === 401 &&
          typeof parsed === 'object' &&
          parsed !== null &&
          JSON.stringify(Object.keys(parsed)) === '["error"]' &&
          JSON.stringify(Object.keys((parsed as { error: object }).error).sort()) === '["code","message"]' &&
          (parsed as { error: { code: string } }).error.code === 'unauthorized' &&
          response.headers.get('content-type') === 'application/json';
        if (!ok) {
          held = false;
          failures.push(`${name} on ${routeKey}: ${response.status} ${response.text}`);
        }
      }
      if (held) refused.push(name);
    }
    console.info(
      `[security] JWT attacks: ${Object.keys(variants).length} variants x ${routeKeys.length} routes, ` +
        `${refused.length} variants refused everywhere`,
    );
    expect(failures).toEqual([]);
    expect(refused.length).toBe(Object.keys(variants).length);
    expect(refused.length).toBeGreaterThanOrEqual(30);
  });

  it('says nothing about the key or the expected claims in the 401 message', async () => {
    const variants = await attacks();
    const expected = [
      harness.runtime.issuer.issuer,
      harness.runtime.issuer.audience,
      issuerJwk.kid,
      issuerJwk.d,
    ];
    for (const authorization of Object.values(variants)) {
      const response = await call('GET', pathOf('GET /workflows/{id}/status').path, authorization);
      for (const secret of expected) if (secret) expect(response.text).not.toContain(secret);
    }
  });

  it('accepts a valid token (the function runs: 404 for a workflow that does not exist, 202 for a goal)', async () => {
    const status = await call('GET', pathOf('GET /workflows/{id}/status').path, `Bearer ${valid}`);
    expect(status.status).toBe(404);
    expect(JSON.parse(status.text)).toEqual({ error: { code: 'not_found', message: 'workflow not found' } });
    const submit = await fetch(`${harness.runtime.baseUrl}/omnilink-agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${valid}`, 'content-type': 'application/json' },
      body: JSON.stringify({ goal: 'Book a flight to NYC' }),
    });
    expect(submit.status).toBe(202);
    // The scheme is case-insensitive (RFC 7235), and a token signed directly with the issuer key works.
    const lower = await call(
      'GET',
      pathOf('GET /workflows/{id}/status').path,
      `bearer ${await signWithIssuer(good())}`,
    );
    expect(lower.status).toBe(404);
  });

  it('accepts a token within its validity window only (nbf reached, exp not reached)', async () => {
    const justValid = await signWithIssuer({ ...good(), nbf: now() - 1, exp: now() + 30 });
    expect((await call('GET', pathOf('GET /workflows/{id}/status').path, `Bearer ${justValid}`)).status).toBe(
      404,
    );
  });
});

describe('authentication, AWS: the JWT authorizer', () => {
  const check = (context: Record<string, unknown>) => {
    const { template, stack } = synth(context);
    const resources = template.toJSON().Resources;
    const authorizerId = onlyHttpApiResourceId(template, stack, 'AWS::ApiGatewayV2::Authorizer');
    const routes = Object.values(httpApiResources(template, stack, 'AWS::ApiGatewayV2::Route'));
    return { template, resources, authorizer: resources[authorizerId].Properties, authorizerId, routes };
  };

  it.each([
    ['the default Cognito user pool', {}],
    [
      'an external OIDC issuer',
      { oidcIssuer: 'https://login.example.com/realms/omnilink', oidcAudience: 'omnilink-api' },
    ],
  ])(
    'with %s: a JWT authorizer with issuer and audience on every route of lib/specs.ts',
    (_name, context) => {
      const { authorizer, authorizerId, routes, template } = check(context);
      expect(authorizer.AuthorizerType).toBe('JWT');
      expect(authorizer.IdentitySource).toEqual(['$request.header.Authorization']);
      expect(authorizer.JwtConfiguration.Issuer).toBeTruthy();
      expect(authorizer.JwtConfiguration.Audience.length).toBeGreaterThan(0);
      if ('oidcIssuer' in context) {
        expect(authorizer.JwtConfiguration).toEqual({
          Issuer: 'https://login.example.com/realms/omnilink',
          Audience: ['omnilink-api'],
        });
      } else {
        const poolId = onlyResourceId(template, 'AWS::Cognito::UserPool');
        expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toContain(poolId);
        expect(authorizer.JwtConfiguration.Audience).toEqual([
          { Ref: onlyResourceId(template, 'AWS::Cognito::UserPoolClient') },
        ]);
      }
      // Every route of the specs exists and requires the JWT authorizer; no route exists outside them.
      expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual(routeKeys);
      for (const route of routes) {
        expect(route.Properties.AuthorizationType, route.Properties.RouteKey).toBe('JWT');
        expect(route.Properties.AuthorizerId).toEqual({ Ref: authorizerId });
      }
    },
  );

  it('has no $default or catch-all route that would bypass the authorizer', () => {
    const { routes } = check({});
    for (const route of routes) {
      expect(route.Properties.RouteKey).not.toBe('$default');
      expect(route.Properties.RouteKey).not.toMatch(/^ANY |\{proxy\+\}/);
    }
  });

  it('refuses an external issuer without an audience (the audience check cannot be switched off)', () => {
    expect(() => synth({ oidcIssuer: 'https://login.example.com' })).toThrow(/oidcAudience is required/);
  });
});
