import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver, SafeFetchPolicy } from '#adapters/http/safe-fetch.ts';
import { httpToolFetch } from '#adapters/http/tool-fetch.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import type { BookingsPort, ToolContext } from '#domain/tools/types.ts';

/*
 * SSRF at the tool level: the `http_request` tool taken from the default registry (as the step
 * executor does), with the production policy shape (no private-address exemption) and an injected
 * resolver, so no packet leaves the machine. Adds what test/unit/safe-fetch.test.ts and
 * tools-http-request.test.ts do not: allow-listed NAMES that resolve into every private, loopback,
 * link-local, metadata and IPv6 range (and mixed answers), IPv6 and odd IPv4 literals through the tool,
 * and redirects to IPv6 / metadata targets.
 */

const bookings: BookingsPort = {
  putIfAbsent: async (b) => b,
  get: async () => undefined,
  cancel: async () => 'absent',
};
const ctx: ToolContext = {
  workflow_id: 'wf_ssrftest000001',
  step_id: 'fetch',
  bookings,
  now: () => new Date('2026-11-25T18:00:00.000Z'),
};

/** Names, each resolving to one internal address (or a mix where one is internal). */
const internal: Record<string, string[]> = {
  'loopback.test': ['127.0.0.1'],
  'loopback2.test': ['127.1.2.3'],
  'zero.test': ['0.0.0.0'],
  'ten.test': ['10.0.0.5'],
  'oneseventwo.test': ['172.16.4.4'],
  'oneninetwo.test': ['192.168.1.1'],
  'cgnat.test': ['100.64.0.1'],
  'linklocal.test': ['169.254.10.10'],
  'metadata.test': ['169.254.169.254'],
  'ecs-metadata.test': ['169.254.170.2'],
  'v6-loopback.test': ['::1'],
  'v6-unspecified.test': ['::'],
  'v6-ula.test': ['fd00::1'],
  'v6-ec2-metadata.test': ['fd00:ec2::254'],
  'v6-linklocal.test': ['fe80::1'],
  'v6-mapped-loopback.test': ['::ffff:127.0.0.1'],
  'v6-mapped-private.test': ['::ffff:10.0.0.1'],
  'v6-nat64-metadata.test': ['64:ff9b::a9fe:a9fe'],
  'v6-6to4-private.test': ['2002:0a00:0001::1'],
  'mixed.test': ['93.184.216.34', '10.0.0.7'],
  'mixed-v6.test': ['2606:2800:220:1:248:1893:25c8:1946', 'fd12:3456::1'],
};
const resolve: Resolver = async (host) => {
  const answers = internal[host];
  if (answers) return answers.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
  if (host === 'redirector.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};

/** The production shape: https not required here only because nothing connects anyway. */
const production = (): SafeFetchPolicy => ({
  allowedHosts: [
    ...Object.keys(internal),
    '127.0.0.1',
    '[::1]',
    '10.0.0.5',
    '2130706433',
    '0x7f000001',
    '017700000001',
  ],
  allowHttp: true,
  resolve,
});

const toolWith = (policy: SafeFetchPolicy) => {
  const tool = defaultToolRegistry({ fetch: httpToolFetch(policy), allowedHosts: policy.allowedHosts }).get(
    'http_request',
  );
  if (!tool) throw new Error('http_request is not in the default registry');
  return tool;
};

describe('SSRF through the http_request tool (default registry, production policy)', () => {
  it.each(Object.keys(internal))(
    'refuses an allow-listed name that resolves internally: %s',
    async (host) => {
      await expect(
        toolWith(production()).execute({ url: `http://${host}/latest/meta-data/` }, ctx),
      ).rejects.toMatchObject({
        name: 'AddressBlocked',
      });
    },
  );

  it.each([
    'http://127.0.0.1/',
    'http://[::1]/',
    'http://10.0.0.5/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://017700000001/',
    'http://[::ffff:127.0.0.1]/',
    'http://[fd00:ec2::254]/',
    'http://169.254.169.254/latest/meta-data/',
  ])('refuses the literal %s (allow-listed or not)', async (url) => {
    await expect(toolWith(production()).execute({ url }, ctx)).rejects.toMatchObject({
      name: expect.stringMatching(/^(AddressBlocked|HostNotAllowed)$/),
    });
  });

  it.each([
    ['file:///etc/passwd', 'InsecureScheme'],
    ['gopher://ten.test/', 'InsecureScheme'],
    ['ftp://ten.test/', 'InsecureScheme'],
    ['http://user:pw@ten.test/', 'InvalidUrl'],
    ['http://user@ten.test/', 'InvalidUrl'],
  ])('refuses %s with %s, before any connection', async (url, name) => {
    await expect(toolWith(production()).execute({ url }, ctx)).rejects.toMatchObject({ name });
  });
});

describe('SSRF through redirects (loopback server; the test-only exemption lets the first hop reach it)', () => {
  let server: http.Server;
  let port = 0;
  const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();
  beforeAll(async () => {
    server = http.createServer((req, res) => {
      const route = routes.get(req.url ?? '/');
      if (route) route(req, res);
      else res.writeHead(404).end();
    });
    await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
    port = (server.address() as AddressInfo).port;
    const redirect = (location: string) => (_req: IncomingMessage, res: ServerResponse) =>
      res.writeHead(302, { location }).end();
    routes.set('/to-v6-loopback', redirect(`http://[::1]:${port}/`));
    routes.set('/to-v6-metadata', redirect('http://[fd00:ec2::254]/latest/meta-data/'));
    routes.set('/to-v6-metadata-name', redirect(`http://v6-ec2-metadata.test:${port}/`));
    routes.set('/to-mapped', redirect(`http://[::ffff:169.254.169.254]:${port}/`));
    routes.set('/to-decimal', redirect(`http://2852039166:${port}/`));
    routes.set('/to-nat64', redirect(`http://v6-nat64-metadata.test:${port}/`));
    routes.set('/chain', redirect(`http://redirector.test:${port}/to-v6-metadata-name`));
  });
  afterAll(() => new Promise<void>((done) => server.close(() => done())));

  const withExemption = (): SafeFetchPolicy => ({
    allowedHosts: [
      `redirector.test:${port}`,
      `v6-ec2-metadata.test:${port}`,
      `v6-nat64-metadata.test:${port}`,
    ],
    allowHttp: true,
    allowPrivateAddresses: true,
    resolve,
  });

  it.each([
    '/to-v6-loopback',
    '/to-v6-metadata',
    '/to-v6-metadata-name',
    '/to-mapped',
    '/to-decimal',
    '/to-nat64',
    '/chain',
  ])('refuses the redirect %s', async (path) => {
    await expect(
      toolWith(withExemption()).execute({ url: `http://redirector.test:${port}${path}` }, ctx),
    ).rejects.toMatchObject({ name: expect.stringMatching(/^(AddressBlocked|HostNotAllowed)$/) });
  });
});
