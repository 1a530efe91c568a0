import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import fc from 'fast-check';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { parseAllowEntry } from '#adapters/http/allow-list.ts';
import {
  BLOCKED_IPV4_RANGES,
  classifyAddress,
  httpRequestInputSchema,
  httpToolPolicy,
  type ResolvedAddress,
  type Resolver,
  type SafeFetchPolicy,
  safeFetch,
} from '#adapters/http/safe-fetch.ts';
import { envSchema, HTTP_TOOL_ENV, parseEnv } from '#middleware/env.ts';

// ---------------------------------------------------------------------------------------------------
// Tripwire: this suite must never send traffic anywhere but 127.0.0.1 / ::1. Every socket connect is
// checked (literal hosts directly, names through whatever `lookup` answers), so a regression in the
// filter fails loudly here instead of reaching a private network or a metadata endpoint.
// ---------------------------------------------------------------------------------------------------
const LOOPBACK = new Set(['127.0.0.1', '::1']);
const tripped: string[] = [];
let guardedConnects = 0;
const originalConnect = net.Socket.prototype.connect;

function guardOptions(options: Record<string, unknown>): void {
  const host = typeof options.host === 'string' ? options.host : undefined;
  if (host === undefined || typeof options.path === 'string') return; // unix sockets/pipes
  guardedConnects++;
  if (net.isIP(host) !== 0) {
    if (!LOOPBACK.has(host)) {
      tripped.push(host);
      throw new Error(`tripwire: connect to ${host}`);
    }
    return;
  }
  const lookup = options.lookup;
  if (typeof lookup !== 'function') {
    tripped.push(host);
    throw new Error(`tripwire: real DNS lookup of ${host}`);
  }
  options.lookup = (name: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void) =>
    Reflect.apply(lookup, undefined, [
      name,
      opts,
      (err: unknown, address: unknown, family: unknown) => {
        const list: unknown[] = Array.isArray(address) ? address : [{ address }];
        const bad = list
          .map((a) => (a as { address?: unknown }).address)
          .filter((a) => typeof a !== 'string' || !LOOPBACK.has(a));
        if (err === null && bad.length > 0) {
          tripped.push(String(bad[0]));
          cb(new Error(`tripwire: ${name} → ${String(bad[0])}`));
          return;
        }
        cb(err, address, family);
      },
    ]);
}

beforeAll(() => {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const first = Array.isArray(args[0]) ? args[0][0] : args[0];
    if (typeof first === 'object' && first !== null) guardOptions(first as Record<string, unknown>);
    else if (typeof args[1] === 'string' && !LOOPBACK.has(args[1])) throw new Error(`tripwire: ${args[1]}`);
    return Reflect.apply(originalConnect, this, args);
  } as typeof originalConnect;
});
afterAll(() => {
  net.Socket.prototype.connect = originalConnect;
  expect(tripped).toEqual([]);
  expect(guardedConnects).toBeGreaterThan(10); // the guard really saw the client's connections
});

describe('the test tripwire', () => {
  it('stops literal and looked-up non-loopback destinations before any packet', async () => {
    expect(() => guardOptions({ host: '10.0.0.1', port: 80 })).toThrow(/tripwire/);
    expect(() => guardOptions({ host: 'name.test', port: 80 })).toThrow(/tripwire/);
    const options: Record<string, unknown> = {
      host: 'name.test',
      lookup: (_n: string, _o: unknown, cb: (e: null, a: string, f: number) => void) =>
        cb(null, '10.0.0.1', 4),
    };
    guardOptions(options);
    const lookup = options.lookup as (n: string, o: unknown, cb: (e: unknown) => void) => void;
    const err = await new Promise((resolve) => lookup('name.test', {}, resolve));
    expect(String(err)).toMatch(/tripwire/);
    tripped.length = 0;
  });
});

// --- a fake resolver that counts its calls -----------------------------------------------------------
type FakeDns = Resolver & { calls: string[] };
function fakeDns(table: Record<string, readonly string[] | ((n: number) => readonly string[])>): FakeDns {
  const calls: string[] = [];
  const resolve = async (host: string): Promise<ResolvedAddress[]> => {
    calls.push(host);
    const entry = table[host];
    if (entry === undefined) throw Object.assign(new Error(`ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
    const answers = typeof entry === 'function' ? entry(calls.filter((c) => c === host).length) : entry;
    return answers.map((address) => ({ address, family: net.isIP(address) === 6 ? 6 : 4 }));
  };
  return Object.assign(resolve, { calls });
}

async function rejection(promise: Promise<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (err) {
    if (err instanceof Error) return err;
    throw new Error(`rejected with a non-Error: ${String(err)}`);
  }
  throw new Error('expected a rejection, got a result');
}

const expectError = async (promise: Promise<unknown>, name: string) => {
  const err = await rejection(promise);
  expect({ name: err.name, message: err.message }).toMatchObject({ name });
  return err;
};

// --- the loopback server ----------------------------------------------------------------------------
interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  servername?: string | false | null;
}
const seen: Seen[] = [];
let port = 0;
let closedPort = 0;
const openSockets = new Set<net.Socket>();

function route(req: IncomingMessage, res: ServerResponse, body: string, otherBase: string): void {
  const path = req.url ?? '/';
  const redirect = (status: number, location: string) => {
    res.writeHead(status, { location });
    res.end();
  };
  if (path === '/hello') {
    res.writeHead(200, {
      'content-type': 'text/plain; charset=utf-8',
      'set-cookie': 'session=secret',
      'x-internal-debug': 'node-7',
      etag: '"abc"',
    });
    res.end('hello world');
  } else if (path === '/big') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('a'.repeat(4000));
    res.end('b'.repeat(4000));
  } else if (path === '/utf8') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
    res.end('é'.repeat(10)); // 20 bytes, 2 per character
  } else if (path === '/latin1') {
    res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' });
    res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
  } else if (path === '/json') {
    res.writeHead(200, { 'content-type': 'application/problem+json' });
    res.end('{"ok":true}');
  } else if (path === '/binary') {
    res.writeHead(200, { 'content-type': 'application/octet-stream' });
    res.end(Buffer.alloc(1000, 7));
  } else if (path === '/gzip') {
    res.writeHead(200, { 'content-type': 'text/plain', 'content-encoding': 'gzip' });
    res.end(Buffer.from([0x1f, 0x8b, 0, 0]));
  } else if (path === '/no-type-text') {
    res.removeHeader('content-type');
    res.writeHead(200);
    res.end('plain words');
  } else if (path === '/no-type-binary') {
    res.writeHead(200);
    res.end(Buffer.from([0x50, 0x4b, 0x03, 0x04, 0x00, 0x00]));
  } else if (path === '/hang') {
    // never answers
  } else if (path === '/hang-body') {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.write('partial');
  } else if (path === '/reset') {
    req.socket.destroy();
  } else if (path.startsWith('/status/')) {
    res.writeHead(Number(path.slice('/status/'.length)), { 'content-type': 'text/plain' });
    res.end('status page');
  } else if (path === '/echo' || path.startsWith('/echo?')) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({ method: req.method, body, headers: req.headers }));
  } else if (path === '/chain/1') redirect(302, '/chain/2');
  else if (path === '/chain/2') redirect(301, `${otherBase}/chain/3`);
  else if (path === '/chain/3') redirect(307, '/hello');
  else if (path === '/loop') redirect(302, '/loop');
  else if (path === '/see-other') redirect(303, '/echo');
  else if (path === '/found') redirect(302, '/echo');
  else if (path === '/temporary') redirect(307, '/echo');
  else if (path === '/permanent') redirect(308, '/echo');
  else if (path === '/to-other-echo') redirect(302, `${otherBase}/echo`);
  else if (path === '/to-loopback') redirect(302, 'http://127.0.0.1/');
  else if (path === '/to-loopback-port') redirect(302, `http://127.0.0.1:${port}/hello`);
  else if (path === '/to-metadata') redirect(302, 'http://169.254.169.254/latest/meta-data');
  else if (path === '/to-metadata-name') redirect(302, `http://metadata.test:${port}/latest/meta-data`);
  else if (path === '/to-offlist') redirect(302, `http://evil.test:${port}/hello`);
  else if (path === '/to-file') redirect(302, 'file:///etc/passwd');
  else if (path === '/to-userinfo') redirect(302, `http://user:pw@api.test:${port}/hello`);
  else if (path === '/to-https-to-http') redirect(302, `http://api.test:${port}/hello`);
  else if (path === '/no-location') {
    res.writeHead(302);
    res.end('no location');
  } else {
    res.writeHead(404, { 'content-type': 'text/plain' });
    res.end('not found');
  }
}

function handler(scheme: 'http' | 'https') {
  return (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const servername = scheme === 'https' ? (req.socket as TLSSocket).servername : undefined;
      seen.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body, servername });
      const otherPort = scheme === 'https' ? tlsPort : port;
      route(req, res, body, `${scheme}://other.test:${otherPort}`);
    });
  };
}

const server = http.createServer(handler('http'));
server.on('connection', (s) => {
  openSockets.add(s);
  s.on('close', () => openSockets.delete(s));
});

const listen = (srv: net.Server, host: string) =>
  new Promise<number>((resolve, reject) => {
    srv.once('error', reject);
    srv.listen(0, host, () => resolve((srv.address() as AddressInfo).port));
  });
const close = (srv: net.Server) => new Promise<void>((resolve) => srv.close(() => resolve()));

beforeAll(async () => {
  port = await listen(server, '127.0.0.1');
  const probe = net.createServer();
  closedPort = await listen(probe, '127.0.0.1');
  await close(probe); // nothing listens there any more: connections are refused
});
afterAll(async () => {
  for (const s of openSockets) s.destroy();
  await close(server);
});
beforeEach(() => {
  seen.length = 0;
});

const loopbackDns = () =>
  fakeDns({
    'api.test': ['127.0.0.1'],
    'other.test': ['127.0.0.1'],
    'evil.test': ['127.0.0.1'],
    'metadata.test': ['169.254.169.254'],
  });

/** The positive-path policy: names on the allow-list resolve (through the fake DNS) to the loopback server. */
const testPolicy = (overrides: Partial<SafeFetchPolicy> = {}): SafeFetchPolicy => ({
  allowedHosts: [`api.test:${port}`, `other.test:${port}`, `metadata.test:${port}`],
  allowHttp: true,
  allowPrivateAddresses: true,
  resolve: loopbackDns(),
  ...overrides,
});
const api = (path: string) => `http://api.test:${port}${path}`;

// ---------------------------------------------------------------------------------------------------
describe('safeFetch: happy paths against a loopback server', () => {
  it('fetches a text page and returns status, body, a safe header subset and the final URL', async () => {
    const result = await safeFetch({ url: api('/hello') }, testPolicy());
    expect(result).toMatchObject({
      status: 200,
      body: 'hello world',
      bodyOmitted: false,
      truncated: false,
      url: api('/hello'),
      redirects: [],
      contentType: 'text/plain; charset=utf-8',
    });
    expect(result.headers).toMatchObject({ 'content-type': 'text/plain; charset=utf-8', etag: '"abc"' });
    expect(result.headers).not.toHaveProperty('set-cookie');
    expect(result.headers).not.toHaveProperty('x-internal-debug');
  });

  it('resolves once per hop and connects to the vetted address, keeping the Host header', async () => {
    const resolve = loopbackDns();
    await safeFetch({ url: api('/hello') }, testPolicy({ resolve }));
    expect(resolve.calls).toEqual(['api.test']);
    expect(seen[0]?.headers.host).toBe(`api.test:${port}`);
  });

  it('does not look the name up again when connecting (DNS rebinding gets no second answer)', async () => {
    const resolve = fakeDns({ 'api.test': (n) => (n === 1 ? ['127.0.0.1'] : ['169.254.169.254']) });
    const result = await safeFetch({ url: api('/hello') }, testPolicy({ resolve }));
    expect(result.status).toBe(200);
    expect(resolve.calls).toEqual(['api.test']);
  });

  it('sends the client-owned headers and the caller headers', async () => {
    await safeFetch(
      { url: api('/echo'), headers: { Accept: 'application/json', 'X-Trace': 't1' } },
      testPolicy(),
    );
    expect(seen[0]?.headers).toMatchObject({
      accept: 'application/json',
      'x-trace': 't1',
      'accept-encoding': 'identity',
      connection: 'close',
      'user-agent': expect.stringContaining('omnilink'),
    });
  });

  it('POSTs a body with its length and a default content type', async () => {
    const result = await safeFetch({ url: api('/echo'), method: 'POST', body: '{"q":"é"}' }, testPolicy());
    expect(seen[0]).toMatchObject({ method: 'POST', body: '{"q":"é"}' });
    expect(seen[0]?.headers['content-length']).toBe(String(Buffer.byteLength('{"q":"é"}')));
    expect(seen[0]?.headers['content-type']).toBe('text/plain; charset=utf-8');
    expect(JSON.parse(result.body)).toMatchObject({ method: 'POST' });
  });

  it('answers HEAD with metadata and no body', async () => {
    const result = await safeFetch({ url: api('/hello'), method: 'HEAD' }, testPolicy());
    expect(result).toMatchObject({ status: 200, body: '', bodyOmitted: false });
    expect(seen[0]?.method).toBe('HEAD');
  });

  it('returns 4xx and 500 statuses as results, not errors', async () => {
    expect((await safeFetch({ url: api('/status/404') }, testPolicy())).status).toBe(404);
    expect((await safeFetch({ url: api('/status/500') }, testPolicy())).body).toBe('status page');
  });

  it('decodes JSON-ish types and the declared charset', async () => {
    expect((await safeFetch({ url: api('/json') }, testPolicy())).body).toBe('{"ok":true}');
    expect((await safeFetch({ url: api('/latin1') }, testPolicy())).body).toBe('café');
  });

  it('returns metadata only for binary and compressed bodies', async () => {
    for (const path of ['/binary', '/gzip', '/no-type-binary']) {
      const result = await safeFetch({ url: api(path) }, testPolicy());
      expect(result, path).toMatchObject({ status: 200, body: '', bodyOmitted: true, truncated: false });
    }
    expect((await safeFetch({ url: api('/no-type-text') }, testPolicy())).body).toBe('plain words');
  });

  it('reaches an IPv6 loopback server through a name', async () => {
    const v6 = http.createServer(handler('http'));
    let v6Port: number;
    try {
      v6Port = await listen(v6, '::1');
    } catch {
      return; // no IPv6 loopback on this machine
    }
    try {
      const policy = testPolicy({
        allowedHosts: [`v6.test:${v6Port}`],
        resolve: fakeDns({ 'v6.test': ['::1'] }),
      });
      const result = await safeFetch({ url: `http://v6.test:${v6Port}/hello` }, policy);
      expect(result.body).toBe('hello world');
    } finally {
      v6.closeAllConnections();
      await close(v6);
    }
  });
});

describe('safeFetch: limits', () => {
  it('cuts the body at maxResponseBytes and marks it truncated', async () => {
    const result = await safeFetch({ url: api('/big') }, testPolicy({ maxResponseBytes: 1000 }));
    expect(result.truncated).toBe(true);
    expect(result.body).toBe('a'.repeat(1000));
  });

  it('keeps a body of exactly the limit untruncated', async () => {
    const result = await safeFetch({ url: api('/big') }, testPolicy({ maxResponseBytes: 8000 }));
    expect(result).toMatchObject({ truncated: false });
    expect(result.body.length).toBe(8000);
  });

  it('drops a multi-byte character cut in half by the limit', async () => {
    const result = await safeFetch({ url: api('/utf8') }, testPolicy({ maxResponseBytes: 5 }));
    expect(result).toMatchObject({ body: 'éé', truncated: true });
  });

  it('times out a server that never answers with a TransientError', async () => {
    const started = performance.now(); // monotonic: the wall clock may be stepped mid-test
    const err = await expectError(
      safeFetch({ url: api('/hang') }, testPolicy({ timeoutMs: 300 })),
      'TransientError',
    );
    expect(err.message).toMatch(/timed out after 300 ms/);
    expect(performance.now() - started).toBeLessThan(5000);
  });

  it('applies the timeout to the body too', async () => {
    await expectError(
      safeFetch({ url: api('/hang-body') }, testPolicy({ timeoutMs: 300 })),
      'TransientError',
    );
  });

  it("rethrows the caller's abort reason", async () => {
    const controller = new AbortController();
    const pending = safeFetch({ url: api('/hang') }, testPolicy(), { signal: controller.signal });
    setTimeout(() => controller.abort(new Error('lambda is out of time')), 50);
    const err = await rejection(pending);
    expect(err.message).toBe('lambda is out of time');
  });
});

describe('safeFetch: transient and permanent upstream failures', () => {
  it.each([408, 429, 502, 503, 504])('turns upstream %i into a TransientError', async (status) => {
    await expectError(safeFetch({ url: api(`/status/${status}`) }, testPolicy()), 'TransientError');
  });

  it('turns a reset connection into a TransientError', async () => {
    await expectError(safeFetch({ url: api('/reset') }, testPolicy()), 'TransientError');
  });

  it('turns a refused connection into a TransientError', async () => {
    const policy = testPolicy({ allowedHosts: [`api.test:${closedPort}`] });
    const err = await expectError(
      safeFetch({ url: `http://api.test:${closedPort}/` }, policy),
      'TransientError',
    );
    expect(err.message).toMatch(/ECONNREFUSED/);
  });

  it('turns NXDOMAIN into HostNotFound and a DNS hiccup into a TransientError', async () => {
    const policy = testPolicy({ allowedHosts: ['gone.test', 'flaky.test'] });
    await expectError(safeFetch({ url: 'http://gone.test/' }, policy), 'HostNotFound');
    const flaky: Resolver = async () => {
      throw Object.assign(new Error('EAI_AGAIN'), { code: 'EAI_AGAIN' });
    };
    await expectError(
      safeFetch({ url: 'http://flaky.test/' }, { ...policy, resolve: flaky }),
      'TransientError',
    );
    const empty: Resolver = async () => [];
    await expectError(
      safeFetch({ url: 'http://flaky.test/' }, { ...policy, resolve: empty }),
      'HostNotFound',
    );
  });

  it('blocks a resolver answer that is not an IP address', async () => {
    const policy = testPolicy({
      allowedHosts: ['odd.test'],
      resolve: async () => [{ address: 'localhost', family: 4 }],
    });
    await expectError(safeFetch({ url: 'http://odd.test/' }, policy), 'AddressBlocked');
  });
});

describe('safeFetch: redirects', () => {
  it('follows a redirect chain within the allow-list, re-resolving each hop', async () => {
    const resolve = loopbackDns();
    const result = await safeFetch({ url: api('/chain/1') }, testPolicy({ resolve }));
    expect(result).toMatchObject({
      status: 200,
      body: 'hello world',
      url: `http://other.test:${port}/hello`,
    });
    expect(result.redirects).toEqual([
      api('/chain/2'),
      `http://other.test:${port}/chain/3`,
      `http://other.test:${port}/hello`,
    ]);
    expect(resolve.calls).toEqual(['api.test', 'api.test', 'other.test', 'other.test']);
  });

  it('stops after maxRedirects with TooManyRedirects', async () => {
    await expectError(safeFetch({ url: api('/loop') }, testPolicy()), 'TooManyRedirects');
    expect(seen.length).toBe(4); // the request and the 3 redirects allowed by default
    seen.length = 0;
    await expectError(
      safeFetch({ url: api('/chain/1') }, testPolicy({ maxRedirects: 2 })),
      'TooManyRedirects',
    );
    expect(seen.length).toBe(3);
  });

  it('turns POST into GET without a body on 303', async () => {
    const result = await safeFetch({ url: api('/see-other'), method: 'POST', body: 'payload' }, testPolicy());
    expect(seen.map((s) => [s.method, s.body])).toEqual([
      ['POST', 'payload'],
      ['GET', ''],
    ]);
    expect(seen[1]?.headers['content-length']).toBeUndefined();
    expect(seen[1]?.headers['content-type']).toBeUndefined();
    expect(JSON.parse(result.body)).toMatchObject({ method: 'GET' });
  });

  it('turns POST into GET on 302 like browsers do', async () => {
    await safeFetch({ url: api('/found'), method: 'POST', body: 'payload' }, testPolicy());
    expect(seen[1]).toMatchObject({ method: 'GET', body: '' });
  });

  it.each(['/temporary', '/permanent'])('keeps POST and its body on %s (307/308)', async (path) => {
    await safeFetch({ url: api(path), method: 'POST', body: 'payload' }, testPolicy());
    expect(seen[1]).toMatchObject({ method: 'POST', body: 'payload' });
  });

  it('keeps HEAD on 303', async () => {
    await safeFetch({ url: api('/see-other'), method: 'HEAD' }, testPolicy());
    expect(seen[1]?.method).toBe('HEAD');
  });

  it('strips credentials when a redirect leaves the origin', async () => {
    const headers = { Authorization: 'Bearer s3cret', Cookie: 'a=b', 'X-Api-Key': 'k', Accept: 'text/plain' };
    await safeFetch({ url: api('/to-other-echo'), headers }, testPolicy());
    expect(seen[0]?.headers).toMatchObject({
      authorization: 'Bearer s3cret',
      cookie: 'a=b',
      'x-api-key': 'k',
    });
    expect(seen[1]?.headers).not.toHaveProperty('authorization');
    expect(seen[1]?.headers).not.toHaveProperty('cookie');
    expect(seen[1]?.headers).not.toHaveProperty('x-api-key');
    expect(seen[1]?.headers.accept).toBe('text/plain');
  });

  it('keeps credentials on a same-origin redirect', async () => {
    await safeFetch({ url: api('/found'), headers: { Authorization: 'Bearer s3cret' } }, testPolicy());
    expect(seen[1]?.headers.authorization).toBe('Bearer s3cret');
  });

  it('returns a 3xx without Location as the result', async () => {
    const result = await safeFetch({ url: api('/no-location') }, testPolicy());
    expect(result).toMatchObject({ status: 302, body: 'no location', redirects: [] });
  });

  it('refuses a redirect to http://127.0.0.1/ even with the test exemption on', async () => {
    await expectError(safeFetch({ url: api('/to-loopback') }, testPolicy()), 'AddressBlocked');
    await expectError(safeFetch({ url: api('/to-loopback-port') }, testPolicy()), 'AddressBlocked');
    expect(seen.length).toBe(2); // only the two redirecting requests reached the server
  });

  it('refuses a redirect to the metadata endpoint, by IP or by a name that resolves to it', async () => {
    const err = await expectError(safeFetch({ url: api('/to-metadata') }, testPolicy()), 'AddressBlocked');
    expect(err.message).toMatch(/metadata/);
    await expectError(safeFetch({ url: api('/to-metadata-name') }, testPolicy()), 'AddressBlocked');
  });

  it('refuses a redirect to a host off the allow-list', async () => {
    await expectError(safeFetch({ url: api('/to-offlist') }, testPolicy()), 'HostNotAllowed');
    expect(seen.length).toBe(1);
  });

  it('refuses a redirect to a non-http scheme and to a URL with credentials', async () => {
    await expectError(safeFetch({ url: api('/to-file') }, testPolicy()), 'InsecureScheme');
    await expectError(safeFetch({ url: api('/to-userinfo') }, testPolicy()), 'InvalidUrl');
  });
});

// ---------------------------------------------------------------------------------------------------
describe('safeFetch: refusals under the default policy (nothing is sent)', () => {
  const dns = fakeDns({
    'api.example.com': ['93.184.216.34'],
    'internal.example.com': ['10.0.0.5'],
    'mixed.example.com': ['93.184.216.34', '192.168.1.10'],
    'mixed6.example.com': ['2606:2800:220:1::1', 'fd00::5'],
    'localhost.example.com': ['127.0.0.1'],
    'mapped.example.com': ['::ffff:10.1.1.1'],
    'nat64.example.com': ['64:ff9b::a9fe:a9fe'],
    'sixtofour.example.com': ['2002:c0a8:0101::1'],
    'zoned.example.com': ['fe80::1%eth0'],
  });
  const defaults: SafeFetchPolicy = { allowedHosts: ['*.example.com', 'example.com'], resolve: dns };

  it.each([
    ['loopback', 'https://127.0.0.1/'],
    ['loopback, other address', 'https://127.8.9.10/'],
    ['private 10/8', 'https://10.1.2.3/'],
    ['private 172.16/12 (low end)', 'https://172.16.0.1/'],
    ['private 172.16/12 (high end)', 'https://172.31.255.254/'],
    ['private 192.168/16', 'https://192.168.1.1/'],
    ['CGNAT 100.64/10', 'https://100.64.0.1/'],
    ['AWS/GCP/Azure metadata', 'https://169.254.169.254/latest/meta-data'],
    ['ECS credentials endpoint', 'https://169.254.170.2/v2/credentials'],
    ['Alibaba metadata', 'https://100.100.100.200/'],
    ['unspecified', 'https://0.0.0.0/'],
    ['this network', 'https://0.1.2.3/'],
    ['broadcast', 'https://255.255.255.255/'],
    ['reserved 240/4', 'https://240.0.0.1/'],
    ['multicast', 'https://224.0.0.1/'],
    ['benchmark 198.18/15', 'https://198.19.0.1/'],
    ['TEST-NET-1', 'https://192.0.2.1/'],
    ['TEST-NET-3', 'https://203.0.113.9/'],
    ['IPv6 loopback', 'https://[::1]/'],
    ['IPv6 unspecified', 'https://[::]/'],
    ['IPv6 link-local', 'https://[fe80::1]/'],
    ['IPv6 unique local fc00::/7', 'https://[fc00::1]/'],
    ['IPv6 unique local fd…', 'https://[fd12:3456::1]/'],
    ['AWS IPv6 metadata', 'https://[fd00:ec2::254]/latest/meta-data'],
    ['IPv6 multicast', 'https://[ff02::1]/'],
    ['IPv4-mapped loopback (dotted)', 'https://[::ffff:127.0.0.1]/'],
    ['IPv4-mapped loopback (hex)', 'https://[::ffff:7f00:1]/'],
    ['IPv4-mapped metadata', 'https://[::ffff:169.254.169.254]/'],
    ['IPv4-compatible loopback', 'https://[::127.0.0.1]/'],
    ['IPv4-translated private', 'https://[::ffff:0:10.0.0.1]/'],
    ['NAT64 of private', 'https://[64:ff9b::10.0.0.1]/'],
    ['NAT64 of metadata', 'https://[64:ff9b::a9fe:a9fe]/'],
    ['6to4 of private', 'https://[2002:0a00:0001::1]/'],
    ['6to4 of loopback', 'https://[2002:7f00:1::]/'],
    ['Teredo', 'https://[2001:0:4136:e378:8000:63bf:3fff:fdd2]/'],
    ['IPv6 documentation', 'https://[2001:db8::1]/'],
    ['decimal IPv4', 'https://2130706433/'],
    ['octal IPv4', 'https://0177.0.0.1/'],
    ['hex IPv4 (short)', 'https://0x7f.1/'],
    ['hex IPv4 (whole)', 'https://0x7f000001/'],
    ['short IPv4', 'https://127.1/'],
    ['mixed-notation IPv4', 'https://0x7f.0.0.0x1/'],
    ['octal metadata', 'https://0251.0376.0251.0376/'],
    ['decimal private', 'https://167772161/'],
    ['percent-encoded IPv4', 'https://%31%32%37.0.0.1/'],
    ['full-width digits', 'https://１２７.0.0.1/'],
    ['IPv4 with a trailing dot', 'https://127.0.0.1./'],
  ])('refuses %s (%s) with AddressBlocked', async (_label, url) => {
    await expectError(safeFetch({ url }, defaults), 'AddressBlocked');
  });

  it('refuses a blocked literal even when it is on the allow-list', async () => {
    const policy: SafeFetchPolicy = { allowedHosts: ['10.0.0.1', '127.0.0.1', '[::1]'], resolve: dns };
    for (const url of ['https://10.0.0.1/', 'https://127.0.0.1/', 'https://[::1]/']) {
      await expectError(safeFetch({ url }, policy), 'AddressBlocked');
      await expectError(safeFetch({ url }, { ...policy, allowPrivateAddresses: true }), 'AddressBlocked');
    }
  });

  it('relies on WHATWG URL to normalize the IPv4 notations it refuses', () => {
    for (const host of ['2130706433', '0177.0.0.1', '0x7f.1', '127.1', '0x7f000001', '%31%32%37.0.0.1']) {
      expect(new URL(`https://${host}/`).hostname, host).toBe('127.0.0.1');
    }
  });

  it.each([
    ['a name that resolves to 10.0.0.5', 'https://internal.example.com/'],
    ['a name with public and private answers', 'https://mixed.example.com/'],
    ['a name with public and unique-local IPv6 answers', 'https://mixed6.example.com/'],
    ['a name that resolves to loopback', 'https://localhost.example.com/'],
    ['a name with an IPv4-mapped private answer', 'https://mapped.example.com/'],
    ['a name with a NAT64 metadata answer', 'https://nat64.example.com/'],
    ['a name with a 6to4 private answer', 'https://sixtofour.example.com/'],
    ['a name with a zoned link-local answer', 'https://zoned.example.com/'],
  ])('refuses %s with AddressBlocked, without naming the address', async (_label, url) => {
    const err = await expectError(safeFetch({ url }, defaults), 'AddressBlocked');
    // Ranges may be named; the resolved addresses (internal DNS) may not.
    for (const address of [
      '10.0.0.5',
      '192.168.1.10',
      'fd00::5',
      '127.0.0.1',
      '10.1.1.1',
      'a9fe',
      'c0a8',
      'fe80::1',
    ]) {
      expect(err.message).not.toContain(address);
    }
  });

  it('refuses plain http when https is required, before any DNS lookup', async () => {
    const resolve = fakeDns({ 'api.example.com': ['93.184.216.34'] });
    await expectError(
      safeFetch({ url: 'http://api.example.com/' }, { ...defaults, resolve }),
      'InsecureScheme',
    );
    expect(resolve.calls).toEqual([]);
  });

  it.each(['ftp://api.example.com/', 'file:///etc/passwd', 'data:text/plain,hi', 'ws://api.example.com/'])(
    'refuses the scheme of %s',
    async (url) => {
      await expectError(safeFetch({ url }, defaults), 'InsecureScheme');
    },
  );

  it.each([
    'https://user:pw@api.example.com/',
    'https://user@api.example.com/',
    'https://:pw@api.example.com/',
  ])('refuses credentials in %s', async (url) => {
    await expectError(safeFetch({ url }, defaults), 'InvalidUrl');
  });

  it.each([
    'https://evil.com/',
    'https://example.com.evil.com/',
    'https://evilexample.com/',
    'https://api.example.com:8443/',
    'https://api.example.com:80/',
  ])('refuses %s with HostNotAllowed', async (url) => {
    await expectError(safeFetch({ url }, defaults), 'HostNotAllowed');
  });

  it('refuses an empty label in front of a wildcard domain and an overlong host', async () => {
    await expectError(safeFetch({ url: 'https://.example.com/' }, defaults), 'HostNotAllowed');
    await expectError(safeFetch({ url: `https://${'a'.repeat(300)}.example.com/` }, defaults), 'InvalidUrl');
  });

  it('refuses everything with an empty allow-list', async () => {
    await expectError(
      safeFetch({ url: 'https://api.example.com/' }, { allowedHosts: [], resolve: dns }),
      'HostNotAllowed',
    );
  });

  it('rejects input that does not fit the tool schema with InvalidStepInput', async () => {
    const resolve = fakeDns({});
    const bad = [
      { url: 'not a url' },
      { url: 'https://api.example.com/', method: 'DELETE' },
      { url: 'https://api.example.com/', method: 'GET', body: 'x' },
      { url: 'https://api.example.com/', headers: { Host: 'internal' } },
      { url: 'https://api.example.com/', headers: { 'Transfer-Encoding': 'chunked' } },
      { url: 'https://api.example.com/', headers: { 'X-A': 'a\r\nX-Injected: 1' } },
      { url: 'https://api.example.com/', headers: { 'Bad Name': 'x' } },
      { url: `https://api.example.com/${'a'.repeat(3000)}` },
    ];
    for (const input of bad) {
      // @ts-expect-error: deliberately invalid tool input
      await expectError(safeFetch(input, { ...defaults, resolve }), 'InvalidStepInput');
    }
    expect(resolve.calls).toEqual([]);
  });
});

describe('allow-list entries', () => {
  const policy = (allowedHosts: string[]) => ({ ...testPolicy(), allowedHosts });

  it('matches case-insensitively, ignores a trailing dot and converts IDN to punycode', async () => {
    const resolve = fakeDns({ 'xn--bcher-kva.test': ['127.0.0.1'], 'api.test': ['127.0.0.1'] });
    const upper = await safeFetch(
      { url: `http://API.Test.:${port}/hello` },
      { ...policy([`api.test:${port}`]), resolve },
    );
    expect(upper.status).toBe(200);
    expect(seen[0]?.headers.host).toBe(`api.test:${port}`); // Host agrees with SNI: no trailing dot
    const idn = await safeFetch(
      { url: `http://bücher.test:${port}/hello` },
      { ...policy([`BÜCHER.test.:${port}`]), resolve },
    );
    expect(idn.status).toBe(200);
    expect(resolve.calls).toEqual(['api.test', 'xn--bcher-kva.test']);
  });

  it('matches a wildcard on subdomains only, at any depth', async () => {
    const resolve = fakeDns({ 'a.b.api.test': ['127.0.0.1'], 'api.test': ['127.0.0.1'] });
    const p = { ...policy([`*.api.test:${port}`]), resolve };
    expect((await safeFetch({ url: `http://a.b.api.test:${port}/hello` }, p)).status).toBe(200);
    await expectError(safeFetch({ url: api('/hello') }, p), 'HostNotAllowed');
  });

  it('admits only the default port without a port, and exactly the named port with one', () => {
    expect(parseAllowEntry('Example.COM')).toEqual({ wildcard: false, host: 'example.com', port: undefined });
    expect(parseAllowEntry('*.example.com:8443')).toEqual({
      wildcard: true,
      host: 'example.com',
      port: 8443,
    });
    expect(parseAllowEntry('[2606:2800::1]:443')).toEqual({
      wildcard: false,
      host: '2606:2800::1',
      port: 443,
    });
  });

  it.each([
    '*',
    '',
    '*.com',
    '*.10.0.0.1',
    'exa mple.com',
    'example.com:99999',
    'https://example.com',
    'a/b',
    'u@h',
  ])('refuses the malformed entry %j', (entry) => {
    expect(() => parseAllowEntry(entry)).toThrow(expect.objectContaining({ name: 'InvalidHttpPolicy' }));
  });
});

describe('httpToolPolicy (from the HTTP_TOOL_* variables, parsed as the handlers parse them)', () => {
  const policyFromEnv = (vars: NodeJS.ProcessEnv) =>
    httpToolPolicy(parseEnv(envSchema(...HTTP_TOOL_ENV), vars));

  it('reads the allow-list and limits, never the test switches', () => {
    const policy = policyFromEnv({
      HTTP_TOOL_ALLOWED_HOSTS: ' api.example.com, *.example.org:8443 ,,',
      HTTP_TOOL_ALLOW_HTTP: ' TRUE ',
      HTTP_TOOL_MAX_BYTES: '2048',
      HTTP_TOOL_TIMEOUT_MS: '5000',
      HTTP_TOOL_MAX_REDIRECTS: '1',
    });
    expect(policy).toEqual({
      allowedHosts: ['api.example.com', '*.example.org:8443'],
      allowHttp: true,
      maxResponseBytes: 2048,
      timeoutMs: 5000,
      maxRedirects: 1,
    });
  });

  it('fails closed by default: https only, empty allow-list', () => {
    expect(policyFromEnv({})).toEqual({
      allowedHosts: [],
      allowHttp: false,
      maxResponseBytes: undefined,
      timeoutMs: undefined,
      maxRedirects: undefined,
    });
  });

  it.each([
    { HTTP_TOOL_ALLOWED_HOSTS: '*' },
    { HTTP_TOOL_ALLOWED_HOSTS: '*.com' },
    { HTTP_TOOL_MAX_BYTES: String(64 * 1024 * 1024) },
    { HTTP_TOOL_MAX_REDIRECTS: '50' },
  ])('throws InvalidHttpPolicy on %j', (env) => {
    expect(() => policyFromEnv(env)).toThrow(expect.objectContaining({ name: 'InvalidHttpPolicy' }));
  });

  it.each([
    { HTTP_TOOL_ALLOW_HTTP: 'maybe' },
    { HTTP_TOOL_MAX_BYTES: '-1' },
    { HTTP_TOOL_TIMEOUT_MS: 'soon' },
  ])('refuses the malformed variable by name at parse time: %j', (env) => {
    expect(() => policyFromEnv(env)).toThrow(new RegExp(`invalid environment: .*${Object.keys(env)[0]}`));
  });
});

describe('the tool input schema', () => {
  it('defaults the method to GET', () => {
    expect(httpRequestInputSchema().parse({ url: 'https://api.example.com/' })).toEqual({
      url: 'https://api.example.com/',
      method: 'GET',
    });
  });
});

// ---------------------------------------------------------------------------------------------------
describe('address filter properties', () => {
  const toV4 = (n: number) => [n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255].join('.');
  const v4Int = (dotted: string) => dotted.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
  // An independent model of the IPv4 ranges (start, prefix), not derived from the module under test.
  const reference: [string, number][] = [
    ['0.0.0.0', 8],
    ['10.0.0.0', 8],
    ['100.64.0.0', 10],
    ['127.0.0.0', 8],
    ['169.254.0.0', 16],
    ['172.16.0.0', 12],
    ['192.0.0.0', 24],
    ['192.0.2.0', 24],
    ['192.88.99.0', 24],
    ['192.168.0.0', 16],
    ['198.18.0.0', 15],
    ['198.51.100.0', 24],
    ['203.0.113.0', 24],
    ['224.0.0.0', 4],
    ['240.0.0.0', 4],
  ];
  const inRange = (n: number, [start, prefix]: [string, number]) =>
    Math.floor(n / 2 ** (32 - prefix)) === Math.floor(v4Int(start) / 2 ** (32 - prefix));
  const addressIn = ([start, prefix]: [string, number]) =>
    fc.integer({ min: 0, max: 2 ** (32 - prefix) - 1 }).map((offset) => toV4(v4Int(start) + offset));
  const hex16 = (n: number) => n.toString(16);

  it('blocks every address in every blocked IPv4 range', () => {
    fc.assert(
      fc.property(fc.oneof(...reference.map(addressIn)), (address) => {
        expect(classifyAddress(address).blocked).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('agrees with an independent model on random IPv4 addresses', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 2 ** 32 - 1 }), (n) => {
        const expected = reference.some((range) => inRange(n, range));
        expect(classifyAddress(toV4(n)).blocked).toBe(expected);
      }),
      { numRuns: 5000 },
    );
  });

  it('lists the same IPv4 ranges as the model', () => {
    const listed = BLOCKED_IPV4_RANGES.map((r) => r.cidr.split('/'))
      .map(([start = '', prefix = '']) => [start, Number(prefix)] as [string, number])
      .filter(
        (range) =>
          !reference.some(
            (outer) => outer !== range && outer[1] < range[1] && inRange(v4Int(range[0]), outer),
          ),
      );
    expect(listed.map((r) => r.join('/')).sort()).toEqual(reference.map((r) => r.join('/')).sort());
  });

  it('blocks IPv6 forms that embed a blocked IPv4 address, and allows them for public ones', () => {
    const blockedV4 = fc.oneof(...reference.map(addressIn));
    fc.assert(
      fc.property(blockedV4, (v4) => {
        const n = v4Int(v4);
        const hi = hex16(n >>> 16);
        const lo = hex16(n & 0xffff);
        for (const form of [
          `::ffff:${v4}`,
          `::ffff:${hi}:${lo}`,
          `64:ff9b::${v4}`,
          `2002:${hi}:${lo}::1`,
          `::ffff:0:${v4}`,
        ]) {
          expect(classifyAddress(form).blocked, form).toBe(true);
        }
      }),
      { numRuns: 1000 },
    );
    for (const form of ['::ffff:93.184.216.34', '64:ff9b::5db8:d822', '2002:5db8:d822::1']) {
      expect(classifyAddress(form), form).toMatchObject({ blocked: false });
    }
  });

  it('blocks random addresses in the blocked IPv6 ranges', () => {
    const group = fc.integer({ min: 0, max: 0xffff }).map(hex16);
    const tail = fc.array(group, { minLength: 6, maxLength: 6 }).map((g) => g.join(':'));
    const inPrefix = (first: fc.Arbitrary<number>, second: fc.Arbitrary<string>) =>
      fc.tuple(first, second, tail).map(([a, b, t]) => `${hex16(a)}:${b}:${t}`);
    const ranges = fc.oneof(
      inPrefix(fc.integer({ min: 0xfc00, max: 0xfdff }), group), // fc00::/7
      inPrefix(fc.integer({ min: 0xfe80, max: 0xfebf }), group), // fe80::/10
      inPrefix(fc.integer({ min: 0xff00, max: 0xffff }), group), // ff00::/8
      inPrefix(fc.constant(0x2001), fc.constant('db8')), // 2001:db8::/32
      inPrefix(fc.constant(0x2001), fc.integer({ min: 0, max: 0x1ff }).map(hex16)), // 2001::/23
      inPrefix(fc.integer({ min: 0, max: 0x1fff }), group), // outside 2000::/3
    );
    fc.assert(
      fc.property(ranges, (address) => {
        expect(classifyAddress(address).blocked).toBe(true);
      }),
      { numRuns: 2000 },
    );
  });

  it('blocks resolver answers that are not canonical IP text', () => {
    for (const address of [
      '0177.0.0.1',
      '2130706433',
      '0x7f.1',
      '127.1',
      'localhost',
      '',
      '::ffff:010.0.0.1',
      '[::1]',
    ]) {
      expect(classifyAddress(address), address).toMatchObject({ blocked: true, reason: 'not an IP address' });
    }
  });

  it('allows ordinary global unicast addresses', () => {
    for (const address of [
      '93.184.216.34',
      '8.8.8.8',
      '1.1.1.1',
      '2606:4700:4700::1111',
      '2a00:1450:4001:82b::200e',
    ]) {
      expect(classifyAddress(address), address).toMatchObject({ blocked: false });
    }
  });

  it('keeps metadata and link-local blocked when private addresses are allowed', () => {
    for (const address of [
      '169.254.169.254',
      '169.254.170.2',
      'fd00:ec2::254',
      '100.100.100.200',
      'fe80::1',
      '0.0.0.0',
      '::',
      '224.0.0.1',
    ]) {
      expect(classifyAddress(address, { allowPrivate: true }).blocked, address).toBe(true);
    }
    for (const address of ['127.0.0.1', '::1', '10.0.0.5', 'fd12::1', '::ffff:127.0.0.1']) {
      expect(classifyAddress(address, { allowPrivate: true }).blocked, address).toBe(false);
    }
  });

  it('refuses every name that resolves into a private range, end to end', async () => {
    const privateRanges: [string, number][] = [
      ['10.0.0.0', 8],
      ['172.16.0.0', 12],
      ['192.168.0.0', 16],
      ['127.0.0.0', 8],
      ['100.64.0.0', 10],
      ['169.254.0.0', 16],
    ];
    await fc.assert(
      fc.asyncProperty(fc.oneof(...privateRanges.map(addressIn)), async (address) => {
        const policy: SafeFetchPolicy = {
          allowedHosts: ['api.example.com'],
          resolve: async () => [{ address, family: 4 }],
        };
        await expectError(safeFetch({ url: 'https://api.example.com/' }, policy), 'AddressBlocked');
      }),
      { numRuns: 200 },
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// TLS: SNI and certificate checks use the hostname while the socket goes to the pinned address.
// Needs the openssl CLI to mint a throwaway certificate; skipped without it.
// ---------------------------------------------------------------------------------------------------
let tlsPort = 0;
const haveOpenssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!haveOpenssl)('safeFetch over TLS', () => {
  let tlsServer: https.Server;
  let cert = '';
  let dir = '';

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'safe-fetch-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'ec',
        '-pkeyopt',
        'ec_paramgen_curve:prime256v1',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=api.test',
        '-addext',
        'subjectAltName=DNS:api.test,DNS:other.test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    tlsServer = https.createServer({ key: readFileSync(join(dir, 'key.pem')), cert }, handler('https'));
    tlsPort = await listen(tlsServer, '127.0.0.1');
  });
  afterAll(async () => {
    tlsServer.closeAllConnections();
    await close(tlsServer);
    rmSync(dir, { recursive: true, force: true });
  });

  const tlsPolicy = (overrides: Partial<SafeFetchPolicy> = {}): SafeFetchPolicy => ({
    allowedHosts: [`api.test:${tlsPort}`, `other.test:${tlsPort}`, `api.test:${port}`],
    allowPrivateAddresses: true,
    resolve: loopbackDns(),
    extraCaCertificates: [cert],
    ...overrides,
  });

  it('sends SNI and Host for the name while connecting to the pinned address', async () => {
    const result = await safeFetch({ url: `https://api.test:${tlsPort}/hello` }, tlsPolicy());
    expect(result).toMatchObject({ status: 200, body: 'hello world' });
    expect(seen[0]).toMatchObject({ servername: 'api.test' });
    expect(seen[0]?.headers.host).toBe(`api.test:${tlsPort}`);
  });

  it('fails with a non-retryable FetchFailed when the certificate is not trusted', async () => {
    const { extraCaCertificates: _, ...untrusted } = tlsPolicy();
    await expectError(safeFetch({ url: `https://api.test:${tlsPort}/hello` }, untrusted), 'FetchFailed');
  });

  it('fails when the certificate does not name the host', async () => {
    const policy = tlsPolicy({
      allowedHosts: [`wrong.test:${tlsPort}`],
      resolve: fakeDns({ 'wrong.test': ['127.0.0.1'] }),
    });
    await expectError(safeFetch({ url: `https://wrong.test:${tlsPort}/hello` }, policy), 'FetchFailed');
  });

  it('refuses a redirect from https to http', async () => {
    await expectError(
      safeFetch({ url: `https://api.test:${tlsPort}/to-https-to-http` }, tlsPolicy()),
      'InsecureScheme',
    );
    expect(seen.length).toBe(1);
  });

  it('follows an https redirect chain across allow-listed hosts', async () => {
    const result = await safeFetch({ url: `https://api.test:${tlsPort}/chain/1` }, tlsPolicy());
    expect(result.url).toBe(`https://other.test:${tlsPort}/hello`);
    expect(seen.map((s) => s.servername)).toEqual(['api.test', 'api.test', 'other.test', 'other.test']);
  });
});
