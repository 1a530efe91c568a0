import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { errors, exportJWK, generateKeyPair, jwtVerify, SignJWT } from 'jose';
import { afterEach, describe, expect, it } from 'vitest';
import { type RemoteKeySetOptions, remoteKeySet } from '../../lambdas/adapters/http/jwks.ts';

/**
 * The authorizer's remote key set (lambdas/adapters/http/jwks.ts) against a real HTTP server: what
 * jose's createRemoteJWKSet does (cache, refetch on age and on an unknown kid after a cooldown, one
 * fetch at a time, 200 and JSON only, no redirect), over node:http(s).
 */

type Handler = (req: IncomingMessage, res: ServerResponse) => void;
let server: Server | undefined;
afterEach(async () => {
  await new Promise<void>((resolve) => {
    server?.closeAllConnections();
    server?.close(() => resolve()) ?? resolve();
  });
  server = undefined;
});

/** A JWKS endpoint answering with `handler`; `requests` counts the GETs. */
async function issuer(handler: Handler) {
  const requests: string[] = [];
  server = createServer((req, res) => {
    requests.push(`${req.method} ${req.url} ${req.headers.accept}`);
    handler(req, res);
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: new URL(`http://127.0.0.1:${port}/.well-known/jwks.json`), requests };
}

async function signingKey(kid: string) {
  const { publicKey, privateKey } = await generateKeyPair('RS256');
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'RS256', use: 'sig' };
  const sign = () =>
    new SignJWT({})
      .setProtectedHeader({ alg: 'RS256', kid })
      .setSubject('alice')
      .setExpirationTime('1h')
      .sign(privateKey);
  return { jwk, sign };
}

const json = (body: unknown) => (_req: IncomingMessage, res: ServerResponse) => {
  res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(body));
};

async function verify(keys: ReturnType<typeof remoteKeySet>, token: string) {
  return (await jwtVerify(token, keys)).payload.sub;
}

describe('remoteKeySet', () => {
  it('fetches the keys at the first verification, asking for JSON, and keeps them', async () => {
    const key = await signingKey('k1');
    const { url, requests } = await issuer(json({ keys: [key.jwk] }));
    const keys = remoteKeySet(url);
    expect(requests).toEqual([]); // nothing at creation: the cold start does not wait on the issuer
    expect(await verify(keys, await key.sign())).toBe('alice');
    expect(await verify(keys, await key.sign())).toBe('alice');
    expect(requests).toEqual(['GET /.well-known/jwks.json application/json, application/jwk-set+json']);
  });

  it('one fetch for concurrent first verifications', async () => {
    const key = await signingKey('k1');
    const { url, requests } = await issuer((req, res) =>
      setTimeout(() => json({ keys: [key.jwk] })(req, res), 50),
    );
    const keys = remoteKeySet(url);
    const tokens = await Promise.all([key.sign(), key.sign(), key.sign()]);
    expect(await Promise.all(tokens.map((token) => verify(keys, token)))).toEqual([
      'alice',
      'alice',
      'alice',
    ]);
    expect(requests).toHaveLength(1);
  });

  it('refetches on an unknown kid (a rotation), but not again within the cooldown', async () => {
    const [old, rotated, unknown] = await Promise.all([signingKey('k1'), signingKey('k2'), signingKey('k3')]);
    let served = [old.jwk];
    const { url, requests } = await issuer((req, res) => json({ keys: served })(req, res));
    let clock = 1_000_000;
    const keys = remoteKeySet(url, { now: () => clock });
    expect(await verify(keys, await old.sign())).toBe('alice');
    served = [old.jwk, rotated.jwk];
    // Within the cooldown (30 s) an unknown kid is refused without a fetch...
    clock += 10_000;
    await expect(verify(keys, await rotated.sign())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(requests).toHaveLength(1);
    // ...after it, the set is fetched again and the rotated key verifies.
    clock += 25_000;
    expect(await verify(keys, await rotated.sign())).toBe('alice');
    expect(requests).toHaveLength(2);
    // A kid the issuer does not have either: one more fetch after the cooldown, then a refusal.
    clock += 31_000;
    await expect(verify(keys, await unknown.sign())).rejects.toBeInstanceOf(errors.JWKSNoMatchingKey);
    expect(requests).toHaveLength(3);
  });

  it('refetches keys older than maxAge before verifying', async () => {
    const key = await signingKey('k1');
    const { url, requests } = await issuer(json({ keys: [key.jwk] }));
    let clock = 0;
    const keys = remoteKeySet(url, { now: () => clock, maxAgeMs: 60_000 });
    await verify(keys, await key.sign());
    clock = 59_999;
    await verify(keys, await key.sign());
    expect(requests).toHaveLength(1);
    clock = 60_000;
    await verify(keys, await key.sign());
    expect(requests).toHaveLength(2);
  });

  it.each<[string, Handler, RemoteKeySetOptions, new (...args: never[]) => Error, RegExp]>([
    [
      'a status other than 200',
      (_req, res) => res.writeHead(503).end('busy'),
      {},
      errors.JOSEError,
      /Expected 200 OK/,
    ],
    [
      'a redirect (not followed)',
      (_req, res) => res.writeHead(302, { location: 'http://example.com/jwks.json' }).end(),
      {},
      errors.JOSEError,
      /Expected 200 OK/,
    ],
    [
      'a body that is not JSON',
      (_req, res) => res.writeHead(200).end('<html>'),
      {},
      errors.JOSEError,
      /parse/,
    ],
    ['JSON that is not a key set', json({ nope: true }), {}, errors.JWKSInvalid, /JSON Web Key Set/],
    [
      'a document over maxBytes',
      json({ keys: [], padding: 'x'.repeat(10_000) }),
      { maxBytes: 1_000 },
      errors.JOSEError,
      /over 1000 bytes/,
    ],
    ['no answer within timeoutMs', () => undefined, { timeoutMs: 200 }, errors.JWKSTimeout, /timed out/],
  ])('fails the verification on %s', async (_, handler, options, type, message) => {
    const key = await signingKey('k1');
    const { url } = await issuer(handler);
    const failure = verify(remoteKeySet(url, options), await key.sign());
    await expect(failure).rejects.toBeInstanceOf(type);
    await expect(failure).rejects.toThrow(message);
  });

  it('refuses a URL that is not http(s)', async () => {
    const key = await signingKey('k1');
    await expect(verify(remoteKeySet(new URL('file:///etc/jwks.json')), await key.sign())).rejects.toThrow(
      /not http\(s\)/,
    );
  });
});
