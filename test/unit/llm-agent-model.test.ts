import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { GetSecretValueCommand, SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createAgentModelFromConfig, secretApiKeyResolver } from '#adapters/llm/index.ts';
import { guardrailCategory, modelCalledEvents } from '#domain/llm/model-calls.ts';
import { generateTextOffline } from '#domain/llm/offline.ts';
import { planWithRepair } from '#domain/llm/planning.ts';
import type { ModelCallReport } from '#domain/llm/provider.ts';
import { repairPrompt } from '#domain/llm/structured.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import { llmConfigOf } from '#middleware/models.ts';

describe('ModelCalled events', () => {
  const call = (purpose: string, attempt: number): ModelCallReport => ({
    purpose,
    provider: 'bedrock',
    model: 'm',
    tokens_in: 10,
    tokens_out: 2,
    latency_ms: 5,
    attempt,
    outcome: 'ok',
  });

  it('numbers calls per purpose: ModelCalled:<purpose>:<n>', () => {
    const events = modelCalledEvents([], [call('guardrail', 1), call('guardian', 1), call('guardian', 2)]);
    expect(events.map((e) => e.event_id)).toEqual([
      'ModelCalled:guardrail:1',
      'ModelCalled:guardian:1',
      'ModelCalled:guardian:2',
    ]);
    expect(events[2]).toEqual({
      event_id: 'ModelCalled:guardian:2',
      type: 'ModelCalled',
      data: {
        purpose: 'guardian',
        provider: 'bedrock',
        model: 'm',
        tokens_in: 10,
        tokens_out: 2,
        latency_ms: 5,
        attempt: 2,
        outcome: 'ok',
      },
    });
  });

  it('continues after the calls already in the log (a re-run records its new calls)', () => {
    const existing = [
      'GoalReceived',
      'ModelCalled:planner:1',
      'ModelCalled:planner:2',
      'ModelCalled:guardian:1',
    ];
    expect(modelCalledEvents(existing, [call('planner', 1)]).map((e) => e.event_id)).toEqual([
      'ModelCalled:planner:3',
    ]);
  });
});

describe('guardrail categories', () => {
  it.each([
    [['content:VIOLENCE'], 'violence'],
    [['content:MISCONDUCT'], 'illegal_activity'],
    [['topic:Weapons and explosives'], 'weapons'],
    [['topic:Self-harm'], 'self_harm'],
    [['topic:Financial fraud'], 'fraud'],
    [['content:PROMPT_ATTACK'], 'other'],
    [[], 'other'],
  ])('%j → %s', (reasons, category) => {
    expect(guardrailCategory(reasons)).toBe(category);
  });
});

describe('repair prompt', () => {
  it('keeps the original prompt and lists the problems and the rejected answer', () => {
    const prompt = repairPrompt('{"goal":"x"}', 'plan', ['s1: unknown tool teleport'], '{"steps":[]}');
    expect(prompt.startsWith('{"goal":"x"}')).toBe(true);
    expect(prompt).toContain('Your previous plan was rejected. Problems:\n- s1: unknown tool teleport');
    expect(prompt).toContain('Rejected plan:\n{"steps":[]}');
  });

  it('caps the problems and the quoted answer', () => {
    const issues = Array.from({ length: 30 }, (_, i) => `issue ${i}`);
    const prompt = repairPrompt('p', 'plan', issues, 'x'.repeat(10_000));
    expect(prompt).toContain('- ... and 10 more');
    expect(prompt.length).toBeLessThan(5000);
  });
});

describe('offline text', () => {
  it('is deterministic and labelled, with no bookings in the data', () => {
    const text = generateTextOffline('Write a haiku', { weather: { temp: 20 } });
    expect(text).toBe(generateTextOffline('Write a haiku', { weather: { temp: 20 } }));
    expect(text).toMatch(/^\[offline model\] Summary for "Write a haiku"\. Based on: weather\./);
  });
});

describe('OpenAI-compatible model (loopback fake server) behind the guardian/planner port', () => {
  let server: Server;
  let baseUrl = '';
  const bodies: { response_format?: { json_schema?: { name?: string } }; messages: { content: string }[] }[] =
    [];
  const replies: string[] = [];

  beforeAll(async () => {
    server = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        const content = replies.shift() ?? '{}';
        res.writeHead(200, { 'content-type': 'application/json' }).end(
          JSON.stringify({
            choices: [{ message: { content }, finish_reason: 'stop' }],
            usage: { prompt_tokens: 100, completion_tokens: 20 },
          }),
        );
      });
    });
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1`;
  });
  afterAll(() => server.close());
  beforeEach(() => {
    bodies.length = 0;
    replies.length = 0;
  });

  const model = () =>
    createAgentModelFromConfig(
      llmConfigOf({ LLM_PROVIDER: 'openai', OPENAI_BASE_URL: baseUrl, OPENAI_MODEL: 'local-llama' }),
    );

  it('screens a goal with a JSON-schema answer and reports the call', async () => {
    replies.push('{"allowed": false, "category": "fraud", "reason": "No."}');
    const reports: ModelCallReport[] = [];
    const answer = await model().screenGoal({
      goal: 'launder',
      context_keys: [],
      onModelCall: (c) => reports.push(c),
    });
    expect(answer.verdict).toEqual({ allowed: false, category: 'fraud', reason: 'No.' });
    expect(bodies[0]?.response_format?.json_schema?.name).toBe('guardian_verdict');
    expect(reports).toEqual([
      expect.objectContaining({
        purpose: 'guardian',
        provider: 'openai',
        model: 'local-llama',
        tokens_in: 100,
        attempt: 1,
      }),
    ]);
  });

  it('plans with one repair round when the first answer is not JSON', async () => {
    replies.push('Sure! Here is your plan: search then book.');
    replies.push(
      '```json\n{"steps":[{"id":"h","tool":"search_hotels","input":{"city":"Rome"},"depends_on":[]}]}\n```',
    );
    const reports: ModelCallReport[] = [];
    const plan = await planWithRepair(
      model(),
      { goal: 'a hotel in Rome', context: {} },
      defaultToolRegistry(),
      (c) => reports.push(c),
    );
    expect(plan.steps.map((s) => s.tool)).toEqual(['search_hotels']);
    expect(bodies[1]?.messages.at(-1)?.content).toContain('Sure! Here is your plan');
    expect(reports.map((r) => [r.attempt, r.outcome])).toEqual([
      [1, 'invalid'],
      [2, 'ok'],
    ]);
  });
});

describe('API key from Secrets Manager', () => {
  const sm = mockClient(SecretsManagerClient);
  const client = new SecretsManagerClient({ region: 'us-east-1' });
  beforeEach(() => sm.reset());

  it('reads a plain string secret, or api_key of a JSON secret', async () => {
    sm.on(GetSecretValueCommand).resolvesOnce({ SecretString: 'sk-plain' }).resolves({
      SecretString: '{"api_key":"sk-json"}',
    });
    const resolve = secretApiKeyResolver(client, 'omnilink/openai');
    await expect(resolve()).resolves.toBe('sk-plain');
    await expect(resolve()).resolves.toBe('sk-json');
    expect(sm).toHaveReceivedCommandWith(GetSecretValueCommand, { SecretId: 'omnilink/openai' });
  });

  it('maps throttling to TransientError and a missing secret to ModelCallFailed', async () => {
    const throttled = Object.assign(new Error('slow'), { name: 'ThrottlingException' });
    const missing = Object.assign(new Error('no such secret'), { name: 'ResourceNotFoundException' });
    sm.on(GetSecretValueCommand).rejectsOnce(throttled).rejects(missing);
    const resolve = secretApiKeyResolver(client, 'x');
    await expect(resolve()).rejects.toMatchObject({ name: 'TransientError' });
    await expect(resolve()).rejects.toMatchObject({
      name: 'ModelCallFailed',
      code: 'ResourceNotFoundException',
    });
  });

  it('is used by the openai provider when OPENAI_API_KEY_SECRET_ARN is set', async () => {
    sm.on(GetSecretValueCommand).resolves({ SecretString: 'sk-from-secret' });
    const config = llmConfigOf({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_MODEL: 'm',
      OPENAI_API_KEY_SECRET_ARN: 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf',
    });
    expect(config.openai.apiKeySecretId).toBe(
      'arn:aws:secretsmanager:eu-west-1:123456789012:secret:k-AbCdEf',
    );
    expect(() => createAgentModelFromConfig(config)).toThrow(/Secrets Manager client/);
    expect(createAgentModelFromConfig(config, { secretsClient: client }).provider).toBe('openai');
  });
});
