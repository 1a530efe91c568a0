import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Resolver, SafeFetchPolicy } from '#adapters/http/safe-fetch.ts';
import { httpToolFetch } from '#adapters/http/tool-fetch.ts';
import { validatePlan } from '#domain/plan-validation.ts';
import { createHttpRequestTool, HTTP_TOOL_MAX_BYTES_CEILING } from '#domain/tools/http-request.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import type { BookingsPort, Tool, ToolContext } from '#domain/tools/types.ts';
import { envSchema, HTTP_TOOL_ENV, LLM_ENV, parseEnv } from '#middleware/env.ts';
import { toolRegistry } from '#middleware/tools.ts';

/*
 * The http_request tool against a loopback server only: allow-listed names resolve (through the
 * injected resolver) to 127.0.0.1, which `allowPrivateAddresses` lets through in tests. Nothing here
 * contacts a non-loopback address; blocked targets fail before any connection.
 */

const bookings: BookingsPort = {
  putIfAbsent: async (b) => b,
  get: async () => undefined,
  cancel: async () => 'absent',
};
const ctx: ToolContext = {
  workflow_id: 'wf_httptool00001',
  step_id: 'fetch',
  bookings,
  now: () => new Date('2026-11-25T17:00:00.000Z'),
};

let server: http.Server;
let port = 0;
const routes = new Map<string, (req: IncomingMessage, res: ServerResponse) => void>();

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const route = routes.get(req.url ?? '/');
    if (route) route(req, res);
    else res.writeHead(404, { 'content-type': 'text/plain' }).end('not here');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
  routes.set('/hello', (_req, res) =>
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"hi":1}'),
  );
  routes.set('/big', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(5000)),
  );
  routes.set('/huge', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('y'.repeat(70 * 1024)),
  );
  routes.set('/64k', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain' }).end('z'.repeat(64 * 1024)),
  );
  routes.set('/latin1', (_req, res) =>
    res.writeHead(200, { 'content-type': 'text/plain; charset=iso-8859-1' }).end(Buffer.alloc(1000, 0xe9)),
  );
  routes.set('/busy', (_req, res) => res.writeHead(503).end());
  routes.set('/to-private', (_req, res) =>
    res.writeHead(302, { location: `http://127.0.0.1:${port}/hello` }).end(),
  );
  routes.set('/to-other', (_req, res) =>
    res.writeHead(302, { location: `http://other.test:${port}/hello` }).end(),
  );
  routes.set('/to-metadata', (_req, res) =>
    res.writeHead(302, { location: `http://metadata.test:${port}/` }).end(),
  );
  routes.set('/echo', (req, res) => {
    let body = '';
    req.on('data', (chunk: Buffer) => {
      body += chunk.toString();
    });
    req.on('end', () => res.writeHead(201, { 'content-type': 'text/plain' }).end(`${req.method} ${body}`));
  });
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

const resolve: Resolver = async (host) => {
  if (host === 'metadata.test') return [{ address: '169.254.169.254', family: 4 }];
  if (host === 'api.test' || host === 'other.test') return [{ address: '127.0.0.1', family: 4 }];
  throw Object.assign(new Error('not found'), { code: 'ENOTFOUND' });
};
const testPolicy = (extra: Partial<SafeFetchPolicy> = {}): SafeFetchPolicy => ({
  allowedHosts: [`api.test:${port}`, `metadata.test:${port}`],
  allowHttp: true,
  allowPrivateAddresses: true,
  resolve,
  ...extra,
});
const toolWith = (policy: SafeFetchPolicy | (() => SafeFetchPolicy)) =>
  createHttpRequestTool({ fetch: httpToolFetch(policy), allowedHosts: [] });
/** The tool as a function's wiring builds it from its environment (lambdas/middleware/tools.ts). */
const toolFromEnv = (vars: Record<string, string>): Tool => {
  const env = parseEnv(envSchema('DEFAULT_ORIGIN_CITY', ...LLM_ENV, ...HTTP_TOOL_ENV), vars);
  const tool = toolRegistry(env).get('http_request');
  if (!tool) throw new Error('http_request is not registered');
  return tool;
};
const url = (path: string) => `http://api.test:${port}${path}`;

describe('http_request tool', () => {
  it('returns status, final URL, content type and body; the summary leaves the body out', async () => {
    const tool = toolWith(testPolicy);
    const out = await tool.execute({ url: url('/hello') }, ctx);
    expect(out).toEqual({
      status: 200,
      url: url('/hello'),
      content_type: 'application/json',
      truncated: false,
      body_omitted: false,
      body: '{"hi":1}',
      redirects: [],
    });
    expect(tool.summarize(out)).toEqual({
      status: 200,
      url: url('/hello'),
      content_type: 'application/json',
      truncated: false,
    });
    expect(tool.sideEffect).toBe(true);
    expect(tool.compensate).toBeUndefined();
  });

  it('returns an HTTP error status as a result, not as an error', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/missing') }, ctx)).resolves.toMatchObject({
      status: 404,
      body: 'not here',
    });
  });

  it('sends a POST body', async () => {
    const tool = toolWith(testPolicy());
    await expect(
      tool.execute({ url: url('/echo'), method: 'POST', body: 'ping' }, ctx),
    ).resolves.toMatchObject({
      status: 201,
      body: 'POST ping',
    });
  });

  it('cuts a long body at the byte limit and marks it truncated', async () => {
    const tool = toolWith(testPolicy({ maxResponseBytes: 1024 }));
    const out = await tool.execute({ url: url('/big') }, ctx);
    expect(out).toMatchObject({ truncated: true, body: 'x'.repeat(1024) });
  });

  it('keeps the stored body within the limit in UTF-8 even when the charset decodes to more bytes', async () => {
    const tool = toolWith(testPolicy({ maxResponseBytes: 1000 }));
    const out = await tool.execute({ url: url('/latin1') }, ctx);
    expect(out).toMatchObject({ truncated: true, body: 'é'.repeat(500) });
  });

  it('cuts the body at 64 KiB when no limit is configured', async () => {
    const tool = toolWith(testPolicy()); // no maxResponseBytes
    const out = await tool.execute({ url: url('/huge') }, ctx);
    expect(out).toEqual(expect.objectContaining({ status: 200, truncated: true, body: 'y'.repeat(65_536) }));
  });

  it('keeps a body of exactly 64 KiB whole when no limit is configured', async () => {
    const tool = toolWith(testPolicy());
    const out = await tool.execute({ url: url('/64k') }, ctx);
    expect(out).toEqual(expect.objectContaining({ truncated: false, body: 'z'.repeat(65_536) }));
  });

  it('blocks a redirect to a private address literal', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/to-private') }, ctx)).rejects.toMatchObject({
      name: 'AddressBlocked',
    });
  });

  it('blocks a redirect to a host off the allow-list', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/to-other') }, ctx)).rejects.toMatchObject({
      name: 'HostNotAllowed',
    });
  });

  it('blocks a redirect to a name that resolves to the metadata endpoint, even with private addresses allowed', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/to-metadata') }, ctx)).rejects.toMatchObject({
      name: 'AddressBlocked',
    });
  });

  it('fails with TransientError on 503 (the ASL retries it)', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/busy') }, ctx)).rejects.toMatchObject({ name: 'TransientError' });
  });

  it('rejects an invalid input as InvalidStepInput', async () => {
    const tool = toolWith(testPolicy());
    await expect(tool.execute({ url: url('/hello'), method: 'DELETE' }, ctx)).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
  });

  it('reads its policy from the environment at the first request, failing closed without an allow-list', async () => {
    const tool = toolFromEnv({ HTTP_TOOL_ALLOWED_HOSTS: '' });
    expect(tool.description).toContain('No hosts are allowed');
    await expect(tool.execute({ url: 'https://api.example.com/x' }, ctx)).rejects.toMatchObject({
      name: 'HostNotAllowed',
    });
  });

  it('names the allowed hosts in its description for planners', () => {
    expect(
      toolFromEnv({ HTTP_TOOL_ALLOWED_HOSTS: 'api.example.com, *.weather.example' }).description,
    ).toContain('Allowed hosts: api.example.com, *.weather.example.');
  });

  it('refuses an HTTP_TOOL_MAX_BYTES above the ceiling at the first request', async () => {
    const tool = toolFromEnv({
      HTTP_TOOL_ALLOWED_HOSTS: 'api.example.com',
      HTTP_TOOL_MAX_BYTES: String(HTTP_TOOL_MAX_BYTES_CEILING + 1),
    });
    await expect(tool.execute({ url: 'https://api.example.com/x' }, ctx)).rejects.toMatchObject({
      name: 'InvalidHttpPolicy',
    });
  });

  it('is in the default registry and plans validate against its input schema', () => {
    const tools = defaultToolRegistry();
    const described = tools.describe().find((t) => t.name === 'http_request');
    expect(JSON.stringify(described?.input_schema)).toContain('"url"');
    const plan = (input: Record<string, unknown>) => ({
      steps: [{ id: 'fetch', tool: 'http_request', input, depends_on: [] }],
    });
    expect(validatePlan(plan({ url: 'https://api.example.com/rates' }), tools).ok).toBe(true);
    expect(validatePlan(plan({ url: 'not a url' }), tools)).toMatchObject({ ok: false });
  });
});
