import { once } from 'node:events';
import { createServer, type IncomingHttpHeaders, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { ModelCallFailed, ModelOutputInvalid } from '#adapters/llm/errors.ts';
import { OpenAiProvider } from '#adapters/llm/openai.ts';
import { withRepair } from '#adapters/llm/repair.ts';
import { toModelJsonSchema } from '#adapters/llm/structured.ts';
import type { StructuredRequest } from '#adapters/llm/types.ts';
import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';

/*
 * A fake OpenAI-compatible server on 127.0.0.1 (port 0): records every request and answers with
 * whatever the test queued. Nothing leaves the loopback interface.
 */
interface Recorded {
  method: string | undefined;
  url: string | undefined;
  headers: IncomingHttpHeaders;
  body: unknown;
}
type Reply = (res: ServerResponse) => void;

let server: Server;
let baseUrl: string;
const requests: Recorded[] = [];
const replies: Reply[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      requests.push({
        method: req.method,
        url: req.url,
        headers: req.headers,
        body: text ? JSON.parse(text) : undefined,
      });
      const reply = replies.shift() ?? json(500, { error: { message: 'no reply queued' } });
      reply(res);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  baseUrl = `http://127.0.0.1:${port}/v1`;
});

afterAll(async () => {
  server.closeAllConnections();
  server.close();
  await once(server, 'close');
});

beforeEach(() => {
  requests.length = 0;
  replies.length = 0;
});

const json =
  (status: number, body: unknown, headers: Record<string, string> = {}): Reply =>
  (res) => {
    res.writeHead(status, { 'content-type': 'application/json', ...headers });
    res.end(JSON.stringify(body));
  };
const completion = (
  content: string | null,
  opts: { finish?: string; promptTokens?: number; completionTokens?: number } = {},
): Reply =>
  json(200, {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'served-model',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: opts.finish ?? 'stop' }],
    usage: {
      prompt_tokens: opts.promptTokens ?? 200,
      completion_tokens: opts.completionTokens ?? 40,
      total_tokens: (opts.promptTokens ?? 200) + (opts.completionTokens ?? 40),
    },
  });
const reply = (...queued: Reply[]) => replies.push(...queued);

/** Strict-compatible: every field required, absent values as null. */
const stepSchema = z.object({
  tool: z.enum(['book_flight', 'book_hotel']),
  city: z.string().check(z.minLength(3)),
  depends_on: z.array(z.string()),
  note: z.nullable(z.string()),
});
const planSchema = z.object({ steps: z.array(stepSchema).check(z.minLength(1), z.maxLength(8)) });
type Plan = z.infer<typeof planSchema>;
const plan: Plan = { steps: [{ tool: 'book_flight', city: 'NYC', depends_on: [], note: null }] };

const request: StructuredRequest<Plan> = {
  purpose: 'planner',
  system: 'You plan travel bookings.',
  prompt: 'Goal: Book a flight to NYC',
  schema: planSchema,
  jsonSchema: toModelJsonSchema(planSchema),
  schemaName: 'travel_plan',
  maxTokens: 600,
  temperature: 0.2,
};

const provider = (opts: Partial<ConstructorParameters<typeof OpenAiProvider>[0]> = {}) =>
  new OpenAiProvider({
    baseUrl,
    model: 'qwen2.5-7b-instruct',
    apiKey: 'sk-test-123',
    timeoutMs: 5_000,
    ...opts,
  });

describe('OpenAI-compatible provider: request', () => {
  it('posts a json_schema response_format to /v1/chat/completions with the bearer key', async () => {
    reply(completion(JSON.stringify(plan)));

    await provider().generateStructured(request);

    expect(requests).toHaveLength(1);
    const [sent] = requests;
    expect(sent?.method).toBe('POST');
    expect(sent?.url).toBe('/v1/chat/completions');
    expect(sent?.headers.authorization).toBe('Bearer sk-test-123');
    expect(sent?.headers['content-type']).toBe('application/json');
    expect(sent?.body).toEqual({
      model: 'qwen2.5-7b-instruct',
      messages: [
        { role: 'system', content: 'You plan travel bookings.' },
        { role: 'user', content: 'Goal: Book a flight to NYC' },
      ],
      max_tokens: 600,
      temperature: 0.2,
      stream: false,
      response_format: {
        type: 'json_schema',
        json_schema: {
          name: 'travel_plan',
          strict: true,
          schema: {
            type: 'object',
            properties: {
              steps: {
                type: 'array',
                minItems: 1,
                maxItems: 8,
                items: {
                  type: 'object',
                  properties: {
                    tool: { type: 'string', enum: ['book_flight', 'book_hotel'] },
                    city: { type: 'string', minLength: 3 },
                    depends_on: { type: 'array', items: { type: 'string' } },
                    note: { type: ['string', 'null'] },
                  },
                  required: ['tool', 'city', 'depends_on', 'note'],
                  additionalProperties: false,
                },
              },
            },
            required: ['steps'],
            additionalProperties: false,
          },
        },
      },
    });
  });

  it('falls back to strict: false for a schema with optional fields', async () => {
    const loose = z.object({ allowed: z.boolean(), reason: z.optional(z.string()) });
    reply(completion('{"allowed":true}'));

    const result = await provider().generateStructured({
      ...request,
      schema: loose,
      jsonSchema: toModelJsonSchema(loose),
      schemaName: 'verdict',
    });

    expect(result.data).toEqual({ allowed: true });
    expect(requests[0]?.body).toMatchObject({
      response_format: { json_schema: { name: 'verdict', strict: false } },
    });
  });

  it('resolves the API key through the hook once, and sends no Authorization without a key', async () => {
    const resolveApiKey = vi.fn(async () => 'sk-from-secrets-manager');
    const withHook = provider({ apiKey: undefined, resolveApiKey });
    reply(
      completion(JSON.stringify(plan)),
      completion(JSON.stringify(plan)),
      completion(JSON.stringify(plan)),
    );

    await withHook.generateStructured(request);
    await withHook.generateStructured(request);
    await provider({ apiKey: undefined }).generateStructured(request);

    expect(resolveApiKey).toHaveBeenCalledTimes(1);
    expect(requests.map((r) => r.headers.authorization)).toEqual([
      'Bearer sk-from-secrets-manager',
      'Bearer sk-from-secrets-manager',
      undefined,
    ]);
  });

  it('uses max_completion_tokens when configured (newer OpenAI models)', async () => {
    reply(completion(JSON.stringify(plan)));

    await provider({ maxTokensParam: 'max_completion_tokens' }).generateStructured(request);

    expect(requests[0]?.body).toMatchObject({ max_completion_tokens: 600 });
    expect(requests[0]?.body).not.toHaveProperty('max_tokens');
  });
});

describe('OpenAI-compatible provider: answers', () => {
  it('parses and validates choices[0].message.content and records usage', async () => {
    reply(completion(JSON.stringify(plan), { promptTokens: 512, completionTokens: 64 }));

    const result = await provider().generateStructured(request);

    expect(result.data).toEqual(plan);
    expect(result.raw).toBe(JSON.stringify(plan));
    expect(result.usage).toEqual({
      provider: 'openai',
      model: 'qwen2.5-7b-instruct',
      tokens_in: 512,
      tokens_out: 64,
      latency_ms: expect.any(Number),
    });
  });

  it('accepts JSON wrapped in a Markdown code fence (small local models)', async () => {
    reply(completion(`\`\`\`json\n${JSON.stringify(plan)}\n\`\`\``));

    await expect(provider().generateStructured(request)).resolves.toMatchObject({ data: plan });
  });

  it('rejects garbage content as ModelOutputInvalid (not_json) with the usage', async () => {
    reply(completion('Sure! Here is your plan: fly to NYC.'));

    const error = await provider()
      .generateStructured(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelOutputInvalid);
    expect(error).toMatchObject({
      reason: 'not_json',
      raw: 'Sure! Here is your plan: fly to NYC.',
      usage: { tokens_in: 200 },
    });
  });

  it('rejects JSON that does not fit the schema, with the zod issues', async () => {
    reply(completion(JSON.stringify({ steps: [{ tool: 'book_car', city: 'NYC', depends_on: [] }] })));

    const error = await provider()
      .generateStructured(request)
      .catch((e: unknown) => e);

    if (!(error instanceof ModelOutputInvalid)) throw error;
    expect(error.reason).toBe('schema_mismatch');
    expect(error.issues.map((i) => i.path.join('.'))).toEqual(['steps.0.tool', 'steps.0.note']);
  });

  it('treats finish_reason "length" as a cut-off answer', async () => {
    reply(completion('{"steps":[{"tool":"book_fl', { finish: 'length' }));

    await expect(provider().generateStructured(request)).rejects.toMatchObject({
      name: 'ModelOutputInvalid',
      reason: 'max_tokens',
    });
  });

  it('repairs garbage once with withRepair', async () => {
    reply(completion('not json at all'), completion(JSON.stringify(plan)));

    const result = await withRepair(provider(), request);

    expect(result).toMatchObject({ data: plan, attempts: 2, usage: { tokens_in: 400, tokens_out: 80 } });
    const repair = requests[1]?.body;
    expect(JSON.stringify(repair)).toContain('Your previous answer was rejected');
  });

  it('returns plain text from generateText without a response_format', async () => {
    reply(completion('Your flight to NYC is booked.'));

    const result = await provider().generateText({ purpose: 'summary', prompt: 'Summarize.' });

    expect(result.text).toBe('Your flight to NYC is booked.');
    expect(requests[0]?.body).not.toHaveProperty('response_format');
    expect(requests[0]?.body).toMatchObject({ messages: [{ role: 'user', content: 'Summarize.' }] });
  });
});

describe('OpenAI-compatible provider: errors', () => {
  it('maps 429 to TransientError, keeping Retry-After in the message', async () => {
    reply(json(429, { error: { message: 'Rate limit reached', type: 'requests' } }, { 'retry-after': '7' }));

    const error = await provider()
      .generateStructured(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ message: expect.stringMatching(/429.*Rate limit reached.*retry after 7/) });
  });

  it.each([500, 502, 503])('maps %i to TransientError', async (status) => {
    reply(json(status, { error: 'upstream down' }));

    await expect(provider().generateStructured(request)).rejects.toBeInstanceOf(TransientError);
  });

  it('maps 400 to the non-retryable ModelCallFailed with the server message', async () => {
    reply(
      json(400, {
        error: { message: "Invalid schema for response_format 'travel_plan'", type: 'invalid_request_error' },
      }),
    );

    const error = await provider()
      .generateStructured(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelCallFailed);
    expect(error).toMatchObject({
      name: 'ModelCallFailed',
      code: 'http_400',
      message: expect.stringContaining('Invalid schema for response_format'),
    });
  });

  it('maps 401 to ModelCallFailed and asks the key hook again next time (rotated key)', async () => {
    const resolveApiKey = vi.fn().mockResolvedValueOnce('sk-old').mockResolvedValueOnce('sk-new');
    const withHook = provider({ apiKey: undefined, resolveApiKey });
    reply(json(401, { error: { message: 'Incorrect API key provided' } }), completion(JSON.stringify(plan)));

    await expect(withHook.generateStructured(request)).rejects.toMatchObject({
      name: 'ModelCallFailed',
      code: 'http_401',
    });
    await expect(withHook.generateStructured(request)).resolves.toMatchObject({ data: plan });
    expect(requests.map((r) => r.headers.authorization)).toEqual(['Bearer sk-old', 'Bearer sk-new']);
  });

  it('maps a 200 that is not a chat completion (wrong base URL) to ModelCallFailed', async () => {
    reply((res) => {
      res.writeHead(200, { 'content-type': 'text/html' });
      res.end('<html>welcome</html>');
    });

    await expect(provider().generateStructured(request)).rejects.toMatchObject({ code: 'bad_response' });
  });

  it('maps a timeout to TransientError', async () => {
    reply(() => {
      // never answers
    });
    const started = performance.now(); // monotonic: the wall clock may be stepped mid-test

    const error = await provider({ timeoutMs: 150 })
      .generateStructured(request)
      .catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ message: expect.stringMatching(/TimeoutError/) });
    expect(performance.now() - started).toBeLessThan(3_000);
  });

  it('maps a refused connection to TransientError', async () => {
    const closed = createServer();
    closed.listen(0, '127.0.0.1');
    await once(closed, 'listening');
    const { port } = closed.address() as AddressInfo;
    closed.close();
    await once(closed, 'close');

    await expect(
      provider({ baseUrl: `http://127.0.0.1:${port}/v1` }).generateStructured(request),
    ).rejects.toBeInstanceOf(TransientError);
  });
});
