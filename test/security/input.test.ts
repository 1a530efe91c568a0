import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';

/*
 * Input handling over HTTP on the local runtime: the 16 KiB body limit at its exact boundary (in
 * bytes, multi-byte characters included), strict schemas (unknown fields, wrong types), the
 * Idempotency-Key header and content types. Every answer is one the contract lists, never a 500.
 */

const LIMIT = 16 * 1024;
let harness: Harness;
let token: string;
let ownedId: string;
const statuses = new Map<number, number>();

beforeAll(async () => {
  // A large burst: this file sends many valid bodies and is not about rate limiting.
  harness = await startHarness({ env: { RATE_LIMIT_BURST: '1000', RATE_LIMIT_PER_MINUTE: '6000' } });
  token = await harness.runtime.token('input-user');
  const accepted = await harness.api('POST', '/omnilink-agent', {
    token,
    body: { goal: 'Book a flight to NYC' },
  });
  if (!isRecord(accepted.json) || typeof accepted.json.workflow_id !== 'string') throw new Error('no id');
  ownedId = accepted.json.workflow_id;
  await pollStatus(harness, ownedId, token);
});

afterAll(async () => {
  console.info(`[security] input: status histogram ${JSON.stringify(Object.fromEntries(statuses))}`);
  await harness?.cleanup();
});

async function post(
  body: string | Buffer,
  headers: Record<string, string> = {},
  path = '/omnilink-agent',
  allow500 = false,
) {
  const response = await fetch(`${harness.runtime.baseUrl}${path}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', ...headers },
    body,
  });
  const text = await response.text();
  statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
  if (!allow500) expect(response.status, text).not.toBe(500);
  return {
    status: response.status,
    text,
    json: text ? (JSON.parse(text) as unknown) : undefined,
    headers: response.headers,
  };
}

/** A valid submission of exactly `bytes` bytes, padded with `pad` (1–4 bytes in UTF-8). */
function bodyOfBytes(bytes: number, pad: string): string {
  const head = '{"goal":"Book a flight to NYC","context":{"note":"';
  const tail = '"}}';
  const room = bytes - Buffer.byteLength(head + tail);
  const padBytes = Buffer.byteLength(pad);
  let fill = pad.repeat(Math.floor(room / padBytes));
  fill += 'x'.repeat(room - Buffer.byteLength(fill));
  const body = head + fill + tail;
  expect(Buffer.byteLength(body)).toBe(bytes);
  return body;
}

const errorCode = (json: unknown): unknown =>
  isRecord(json) && isRecord(json.error) ? json.error.code : undefined;

describe('input: the 16 KiB body limit, counted in bytes', () => {
  it.each([
    ['ASCII', 'x'],
    ['2-byte é', 'é'],
    ['3-byte €', '€'],
    ['4-byte emoji', '🛫'],
  ])('%s: exactly 16384 bytes pass, 16385 bytes are 413 payload_too_large', async (_name, pad) => {
    const atLimit = await post(bodyOfBytes(LIMIT, pad));
    expect(atLimit.status).toBe(202);
    const over = await post(bodyOfBytes(LIMIT + 1, pad));
    expect(over.status).toBe(413);
    expect(over.json).toEqual({
      error: { code: 'payload_too_large', message: 'the body must be at most 16384 bytes' },
    });
  });

  it('limits the goal to 4000 characters (not bytes): 4000 three-byte characters pass, 4001 do not', async () => {
    expect((await post(JSON.stringify({ goal: `Book a flight to NYC ${'日'.repeat(3979)}` }))).status).toBe(
      202,
    );
    const over = await post(JSON.stringify({ goal: 'a'.repeat(4001) }));
    expect(over.status).toBe(400);
    expect(errorCode(over.json)).toBe('invalid_request');
  });

  it('refuses a 1 MiB body with 413 without a 500', async () => {
    expect((await post(bodyOfBytes(1024 * 1024, 'x'))).status).toBe(413);
  });
});

describe('input: strict schemas', () => {
  const cases: [string, string][] = [
    ['unknown top-level field', '{"goal":"Book a flight to NYC","admin":true}'],
    ['unknown field user_id (spoofing the owner)', '{"goal":"Book a flight to NYC","user_id":"bob"}'],
    ['__proto__ field', '{"goal":"Book a flight to NYC","__proto__":{"admin":true}}'],
    ['goal is a number', '{"goal":42}'],
    ['goal is an array', '{"goal":["Book a flight"]}'],
    ['goal is an object', '{"goal":{"text":"Book a flight"}}'],
    ['goal is null', '{"goal":null}'],
    ['goal missing', '{"context":{}}'],
    ['goal empty', '{"goal":""}'],
    ['goal only whitespace', '{"goal":"   \\n\\t "}'],
    ['context is an array', '{"goal":"Book a flight to NYC","context":[1,2]}'],
    ['context is a string', '{"goal":"Book a flight to NYC","context":"x"}'],
    ['context is null', '{"goal":"Book a flight to NYC","context":null}'],
    ['body is an array', '[{"goal":"Book a flight to NYC"}]'],
    ['body is a string', '"Book a flight to NYC"'],
    ['body is null', 'null'],
    ['body is a number', '1'],
    ['body is empty', ''],
    ['not JSON', '{goal: Book a flight}'],
    ['truncated JSON', '{"goal":"Book a flight'],
    ['number beyond 2^53 in the context', '{"goal":"Book a flight to NYC","context":{"n":9007199254740993}}'],
    ['number overflowing to Infinity', '{"goal":"Book a flight to NYC","context":{"n":1e400}}'],
    ['number below DynamoDB precision', '{"goal":"Book a flight to NYC","context":{"n":1e-200}}'],
    // DynamoDB refuses empty attribute names at any depth (found by the producer fuzz on DynamoDB Local).
    ['an empty key in the context', '{"goal":"Book a flight to NYC","context":{"":"x"}}'],
    ['an empty key deep in the context', '{"goal":"Book a flight to NYC","context":{"a":[{"":1}]}}'],
  ];

  it.each(cases)('%s → 400 invalid_request', async (_name, body) => {
    const response = await post(body);
    expect(response.status, response.text).toBe(400);
    expect(errorCode(response.json)).toBe('invalid_request');
  });

  it('lists the validation issues with paths in a 400', async () => {
    const response = await post('{"goal":42,"extra":1}');
    expect(response.json).toMatchObject({ error: { code: 'invalid_request', issues: expect.any(Array) } });
  });

  /** Objects nested `levels` deep in the context (the context itself is the first). */
  const objects = (levels: number) => `${'{"a":'.repeat(levels)}1${'}'.repeat(levels)}`;
  const submitContext = async (context: string) => {
    const body = `{"goal":"Book a flight to NYC","context":${context}}`;
    expect(Buffer.byteLength(body)).toBeLessThanOrEqual(LIMIT);
    return post(body);
  };

  // The producer refuses a context nested deeper than MAX_CONTEXT_DEPTH (16 levels below the context)
  // with the contract's 400 before any recursive walk: DynamoDB stores at most 32 levels per item, and
  // thousands of levels fit in 16 KiB (a recursive walker would overflow the stack: a 500).
  it('accepts a context nested 17 objects deep (16 levels below it)', async () => {
    expect((await submitContext(objects(17))).status).toBe(202);
  });

  it.each([
    ['objects, 18 levels', objects(18)],
    ['objects, 40 levels', objects(40)],
    ['objects, 2700 levels', objects(2700)],
    ['arrays, 8000 levels', `{"a":${'['.repeat(8000)}${']'.repeat(8000)}}`],
  ])('refuses a context nested %s deep with 400 invalid_request', async (_name, context) => {
    const response = await submitContext(context);
    expect(response.status, response.text).toBe(400);
    expect(response.json).toMatchObject({
      error: { code: 'invalid_request', issues: [{ path: ['context'] }] },
    });
  });

  it('validates the approval signal strictly (on an owned workflow, so that ownership is not what answers)', async () => {
    const path = `/workflows/${ownedId}/signals/approval`;
    for (const body of [
      '{"approved":"yes"}',
      '{"approved":1}',
      '{}',
      '{"approved":true,"extra":1}',
      `{"approved":true,"comment":"${'a'.repeat(1001)}"}`,
      '{"approved":true,"comment":7}',
      'not json',
    ]) {
      const response = await post(body, {}, path);
      expect(response.status, body).toBe(400);
    }
    // A valid body reaches the state check: the workflow is not waiting.
    expect((await post('{"approved":true}', {}, path)).status).toBe(409);
  });

  it('validates the events paging parameters', async () => {
    for (const query of ['limit=0', 'limit=1001', 'limit=abc', 'after=-1', 'limit=1e3', 'after=1.5']) {
      const response = await harness.api('GET', `/workflows/${ownedId}/events?${query}`, { token });
      expect(response.status, query).toBe(400);
    }
    expect(
      (await harness.api('GET', `/workflows/${ownedId}/events?limit=1000&after=0`, { token })).status,
    ).toBe(200);
  });
});

describe('input: the Idempotency-Key header', () => {
  const goal = JSON.stringify({ goal: 'Book a flight to NYC' });

  it.each([
    ['64 characters', 'K'.repeat(64)],
    ['1 character', 'k'],
    ['the whole alphabet', 'AZaz09_-'],
  ])('accepts %s', async (_name, key) => {
    expect((await post(goal, { 'idempotency-key': key })).status).toBe(202);
  });

  it.each([
    ['65 characters', 'K'.repeat(65)],
    ['empty', ''],
    ['a space', 'a b'],
    ['a slash', 'a/b'],
    ['a dot', 'a.b'],
    ['a colon', 'a:b'],
    ['a percent escape', '%41'],
    ['Latin-1 é', 'cl\u00e9'],
    ['a newline-free control character', 'a\tb'],
    ['a comma (two keys)', 'a,b'],
  ])('refuses %s with 400 invalid_request', async (_name, key) => {
    const response = await post(goal, { 'idempotency-key': key });
    expect(response.status).toBe(400);
    expect(errorCode(response.json)).toBe('invalid_request');
  });
});

describe('input: content types', () => {
  const body = JSON.stringify({ goal: 'Book a flight to NYC' });

  it.each([
    'application/json',
    'application/json; charset=utf-8',
    'Application/JSON',
    'application/json;charset=UTF-8',
  ])('accepts %s', async (contentType) => {
    expect((await post(body, { 'content-type': contentType })).status).toBe(202);
  });

  it.each([
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=x',
    'application/json-patch+json',
    'application/jsonx',
    'text/json',
    '',
  ])('refuses %j with 415 unsupported_media_type', async (contentType) => {
    const response = await post(body, { 'content-type': contentType });
    expect(response.status).toBe(415);
    expect(errorCode(response.json)).toBe('unsupported_media_type');
  });

  it('refuses a request without Content-Type with 415', async () => {
    const response = await fetch(`${harness.runtime.baseUrl}/omnilink-agent`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}` },
      body: new Uint8Array(Buffer.from(body)),
    });
    expect(response.status).toBe(415);
  });
});
