import {
  AccessDeniedException,
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  ConverseCommand,
  type ConverseCommandOutput,
  ModelNotReadyException,
  ModelTimeoutException,
  ResourceNotFoundException,
  ServiceUnavailableException,
  ThrottlingException,
  ValidationException,
} from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { applyGuardrail, BedrockProvider } from '#adapters/llm/bedrock.ts';
import { ModelCallFailed, ModelOutputInvalid } from '#adapters/llm/errors.ts';
import { withRepair } from '#adapters/llm/repair.ts';
import { type JsonObject, toModelJsonSchema } from '#adapters/llm/structured.ts';
import type { StructuredRequest } from '#adapters/llm/types.ts';
import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';

const MODEL_ID = 'us.anthropic.claude-haiku-4-5-20251001-v1:0';

const verdictSchema = z.object({
  allowed: z.boolean(),
  category: z.enum(['travel', 'abuse', 'other']),
  reason: z.string().check(z.maxLength(200)),
  // The model may leave this out: the JSON schema sent is the INPUT side, zod applies the default.
  confidence: z._default(z.number().check(z.gte(0), z.lte(1)), 1),
});
type Verdict = z.infer<typeof verdictSchema>;

const request: StructuredRequest<Verdict> = {
  purpose: 'guardian',
  system: 'You screen travel requests.',
  prompt: 'Goal: Book a flight to NYC',
  schema: verdictSchema,
  jsonSchema: toModelJsonSchema(verdictSchema),
  schemaName: 'guardian_verdict',
  temperature: 0,
};

const bedrock = mockClient(BedrockRuntimeClient);
const client = new BedrockRuntimeClient({ region: 'us-east-1' });
const provider = new BedrockProvider({ client, modelId: MODEL_ID, timeoutMs: 5_000 });

/** A Converse answer as Bedrock sends it. */
function answer(
  content: NonNullable<NonNullable<ConverseCommandOutput['output']>['message']>['content'],
  opts: { stopReason?: ConverseCommandOutput['stopReason']; tokensIn?: number; tokensOut?: number } = {},
): ConverseCommandOutput {
  return {
    $metadata: { httpStatusCode: 200 },
    output: { message: { role: 'assistant', content } },
    stopReason: opts.stopReason ?? 'tool_use',
    usage: {
      inputTokens: opts.tokensIn ?? 120,
      outputTokens: opts.tokensOut ?? 30,
      totalTokens: (opts.tokensIn ?? 120) + (opts.tokensOut ?? 30),
    },
    metrics: { latencyMs: 250 },
  };
}
const toolAnswer = (input: JsonObject, opts?: Parameters<typeof answer>[1]) =>
  answer([{ toolUse: { toolUseId: 'tooluse_1', name: 'guardian_verdict', input } }], opts);
const goodVerdict = { allowed: true, category: 'travel', reason: 'ordinary travel booking' };

const awsError = (Ctor: new (opts: { message: string; $metadata: object }) => Error): Error =>
  new Ctor({ message: 'simulated', $metadata: {} });

beforeEach(() => bedrock.reset());

describe('Bedrock provider: structured output by a forced tool', () => {
  it('returns the validated tool input, with the usage and the raw answer', async () => {
    bedrock.on(ConverseCommand).resolves(toolAnswer(goodVerdict, { tokensIn: 321, tokensOut: 45 }));

    const result = await provider.generateStructured(request);

    expect(result.data).toEqual({ ...goodVerdict, confidence: 1 });
    expect(result.usage).toEqual({
      provider: 'bedrock',
      model: MODEL_ID,
      tokens_in: 321,
      tokens_out: 45,
      latency_ms: expect.any(Number),
    });
    expect(result.usage.latency_ms).toBeGreaterThanOrEqual(0);
    expect(JSON.parse(result.raw ?? '')).toEqual(goodVerdict);
  });

  it('sends the schema as the only tool and forces the model to call it', async () => {
    bedrock.on(ConverseCommand).resolves(toolAnswer(goodVerdict));

    await provider.generateStructured(request);

    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
    expect(bedrock).toHaveReceivedCommandWith(ConverseCommand, {
      modelId: MODEL_ID,
      toolConfig: expect.objectContaining({ toolChoice: { tool: { name: 'guardian_verdict' } } }),
    });
    const input = bedrock.commandCalls(ConverseCommand)[0]?.args[0].input;
    expect(input?.system).toEqual([{ text: 'You screen travel requests.' }]);
    expect(input?.messages).toEqual([{ role: 'user', content: [{ text: 'Goal: Book a flight to NYC' }] }]);
    expect(input?.inferenceConfig).toEqual({ maxTokens: 1024, temperature: 0 });
    const tools = input?.toolConfig?.tools ?? [];
    expect(tools).toHaveLength(1);
    const spec = tools[0]?.toolSpec;
    expect(spec?.name).toBe('guardian_verdict');
    expect(spec?.description).toMatch(/guardian/);
    expect(spec?.inputSchema?.json).toEqual(toModelJsonSchema(verdictSchema));
    expect(spec?.inputSchema?.json).toMatchObject({
      type: 'object',
      properties: {
        allowed: { type: 'boolean' },
        category: { enum: ['travel', 'abuse', 'other'] },
        reason: { type: 'string', maxLength: 200 },
      },
      required: ['allowed', 'category', 'reason'],
      additionalProperties: false,
    });
    expect(spec?.inputSchema?.json).not.toHaveProperty('$schema');
  });

  it('rejects an answer with text only as ModelOutputInvalid (no_tool_use)', async () => {
    bedrock
      .on(ConverseCommand)
      .resolves(answer([{ text: 'Sure! The goal is allowed.' }], { stopReason: 'end_turn' }));

    const error = await provider.generateStructured(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelOutputInvalid);
    expect(error).toMatchObject({
      name: 'ModelOutputInvalid',
      reason: 'no_tool_use',
      raw: 'Sure! The goal is allowed.',
      usage: { provider: 'bedrock', tokens_in: 120, tokens_out: 30 },
    });
  });

  it('rejects a tool input that fails the schema, carrying the zod issues', async () => {
    bedrock.on(ConverseCommand).resolves(toolAnswer({ allowed: 'yes', category: 'cooking', reason: 'x' }));

    const error = await provider.generateStructured(request).catch((e: unknown) => e);

    if (!(error instanceof ModelOutputInvalid)) throw error;
    const invalid = error;
    expect(invalid.reason).toBe('schema_mismatch');
    expect(invalid.repairable).toBe(true);
    expect(invalid.issues.map((i) => i.path)).toEqual([['allowed'], ['category']]);
    expect(invalid.issues[0]).toMatchObject({ code: 'invalid_type', message: expect.any(String) });
  });

  it('treats an answer cut off at max_tokens as ModelOutputInvalid even if a tool input is present', async () => {
    bedrock.on(ConverseCommand).resolves(toolAnswer(goodVerdict, { stopReason: 'max_tokens' }));

    await expect(provider.generateStructured(request)).rejects.toMatchObject({
      name: 'ModelOutputInvalid',
      reason: 'max_tokens',
    });
  });

  it('treats a guardrail intervention as an unrepairable refusal', async () => {
    bedrock
      .on(ConverseCommand)
      .resolves(answer([{ text: 'Sorry.' }], { stopReason: 'guardrail_intervened' }));

    const error = await provider.generateStructured(request).catch((e: unknown) => e);

    expect(error).toMatchObject({ name: 'ModelOutputInvalid', reason: 'refused', repairable: false });
  });

  it('rejects an invalid schema name before calling the model', async () => {
    await expect(
      provider.generateStructured({ ...request, schemaName: 'guardian verdict!' }),
    ).rejects.toBeInstanceOf(ModelCallFailed);
    expect(bedrock).not.toHaveReceivedCommand(ConverseCommand);
  });
});

describe('Bedrock provider: one repair round (withRepair)', () => {
  it('re-prompts once with the validation errors and returns the repaired answer', async () => {
    bedrock
      .on(ConverseCommand)
      .resolvesOnce(
        toolAnswer({ allowed: true, category: 'cooking', reason: 'ok' }, { tokensIn: 100, tokensOut: 20 }),
      )
      .resolvesOnce(toolAnswer(goodVerdict, { tokensIn: 180, tokensOut: 25 }));
    const onAttempt = vi.fn();

    const result = await withRepair(provider, request, { onAttempt });

    expect(result.data).toEqual({ ...goodVerdict, confidence: 1 });
    expect(result.attempts).toBe(2);
    expect(result.usage).toMatchObject({ tokens_in: 280, tokens_out: 45 });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
    const repairPrompt =
      bedrock.commandCalls(ConverseCommand)[1]?.args[0].input.messages?.[0]?.content?.[0]?.text;
    expect(repairPrompt).toContain('Goal: Book a flight to NYC');
    expect(repairPrompt).toMatch(/at category: Invalid option/);
    expect(repairPrompt).toContain('"category":"cooking"');
    // The repair round still forces the same tool.
    expect(bedrock).toHaveReceivedNthCommandWith(ConverseCommand, 2, {
      toolConfig: expect.objectContaining({ toolChoice: { tool: { name: 'guardian_verdict' } } }),
    });
    expect(onAttempt.mock.calls.map(([report]) => [report.attempt, report.outcome])).toEqual([
      [1, 'invalid'],
      [2, 'ok'],
    ]);
  });

  it('throws ModelOutputInvalid when the repaired answer is still invalid, after exactly two calls', async () => {
    bedrock
      .on(ConverseCommand)
      .resolves(answer([{ text: 'I cannot use tools.' }], { stopReason: 'end_turn' }));

    const error = await withRepair(provider, request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelOutputInvalid);
    expect(error).toMatchObject({
      reason: 'no_tool_use',
      message: expect.stringMatching(/after one repair round/),
      usage: { tokens_in: 240, tokens_out: 60 },
    });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
  });

  it('does not repair a refusal', async () => {
    bedrock.on(ConverseCommand).resolves(answer([], { stopReason: 'content_filtered' }));

    await expect(withRepair(provider, request)).rejects.toMatchObject({ reason: 'refused' });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
  });

  it('lets a transient error through without a repair round, for Step Functions to retry', async () => {
    bedrock.on(ConverseCommand).rejects(awsError(ThrottlingException));
    const onAttempt = vi.fn();

    await expect(withRepair(provider, request, { onAttempt })).rejects.toBeInstanceOf(TransientError);
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
    expect(onAttempt).toHaveBeenCalledWith(expect.objectContaining({ attempt: 1, outcome: 'error' }));
  });
});

describe('Bedrock provider: error mapping', () => {
  it.each([
    ['ThrottlingException', ThrottlingException],
    ['ServiceUnavailableException', ServiceUnavailableException],
    ['ModelNotReadyException', ModelNotReadyException],
    ['ModelTimeoutException', ModelTimeoutException],
  ])('maps %s to TransientError (retried by the ASL)', async (_name, Ctor) => {
    bedrock.on(ConverseCommand).rejects(awsError(Ctor));

    const error = await provider.generateStructured(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(TransientError);
    expect(error).toMatchObject({ name: 'TransientError', cause: expect.any(Ctor) });
  });

  it.each([
    ['AccessDeniedException', AccessDeniedException],
    ['ValidationException', ValidationException],
    ['ResourceNotFoundException', ResourceNotFoundException],
  ])('maps %s to the non-retryable ModelCallFailed', async (name, Ctor) => {
    bedrock.on(ConverseCommand).rejects(awsError(Ctor));

    const error = await provider.generateStructured(request).catch((e: unknown) => e);

    expect(error).toBeInstanceOf(ModelCallFailed);
    expect(error).toMatchObject({ name: 'ModelCallFailed', code: name });
  });

  it('maps a client-side timeout and a reset connection to TransientError', async () => {
    const timeout = Object.assign(new Error('The operation was aborted due to timeout'), {
      name: 'TimeoutError',
    });
    const reset = Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
    bedrock.on(ConverseCommand).rejectsOnce(timeout).rejectsOnce(reset);

    await expect(provider.generateStructured(request)).rejects.toBeInstanceOf(TransientError);
    await expect(provider.generateText({ purpose: 'summary', prompt: 'hi' })).rejects.toBeInstanceOf(
      TransientError,
    );
  });
});

describe('Bedrock provider: text', () => {
  it('joins the text blocks and records usage, without a tool config', async () => {
    bedrock
      .on(ConverseCommand)
      .resolves(
        answer([{ text: 'Booked: ' }, { text: 'flight to NYC.' }], { stopReason: 'end_turn', tokensOut: 7 }),
      );

    const result = await provider.generateText({
      purpose: 'summary',
      system: 'Summarize.',
      prompt: 'results',
      maxTokens: 200,
    });

    expect(result.text).toBe('Booked: flight to NYC.');
    expect(result.usage).toMatchObject({ provider: 'bedrock', model: MODEL_ID, tokens_out: 7 });
    const input = bedrock.commandCalls(ConverseCommand)[0]?.args[0].input;
    expect(input?.toolConfig).toBeUndefined();
    expect(input?.inferenceConfig).toEqual({ maxTokens: 200 });
  });
});

describe('applyGuardrail', () => {
  it('reports an intervention with policy codes, never the matched text', async () => {
    bedrock.on(ApplyGuardrailCommand).resolves({
      $metadata: {},
      action: 'GUARDRAIL_INTERVENED',
      outputs: [{ text: 'Sorry, I cannot help with that.' }],
      usage: undefined,
      assessments: [
        {
          topicPolicy: { topics: [{ name: 'Weapons', type: 'DENY', action: 'BLOCKED', detected: true }] },
          contentPolicy: {
            filters: [
              { type: 'PROMPT_ATTACK', confidence: 'HIGH', action: 'BLOCKED', detected: true },
              { type: 'HATE', confidence: 'NONE', action: 'NONE', detected: false },
            ],
          },
          sensitiveInformationPolicy: {
            piiEntities: [
              { match: 'alice@example.com', type: 'EMAIL', action: 'ANONYMIZED', detected: true },
            ],
            regexes: [],
          },
        },
      ],
    });

    const verdict = await applyGuardrail(client, {
      guardrailId: 'gr-123',
      guardrailVersion: '2',
      text: 'some goal',
    });

    expect(verdict).toEqual({
      action: 'GUARDRAIL_INTERVENED',
      reasons: ['topic:Weapons', 'content:PROMPT_ATTACK', 'pii:EMAIL'],
    });
    expect(JSON.stringify(verdict)).not.toContain('alice@example.com');
    expect(bedrock).toHaveReceivedCommandWith(ApplyGuardrailCommand, {
      guardrailIdentifier: 'gr-123',
      guardrailVersion: '2',
      source: 'INPUT',
      content: [{ text: { text: 'some goal' } }],
    });
  });

  it('reports NONE when the guardrail lets the text pass', async () => {
    bedrock
      .on(ApplyGuardrailCommand)
      .resolves({ $metadata: {}, action: 'NONE', outputs: [], assessments: [{}], usage: undefined });

    await expect(
      applyGuardrail(client, {
        guardrailId: 'gr-123',
        guardrailVersion: 'DRAFT',
        text: 'x',
        source: 'OUTPUT',
      }),
    ).resolves.toEqual({ action: 'NONE', reasons: [] });
  });

  it('maps throttling to TransientError and access denied to ModelCallFailed', async () => {
    bedrock
      .on(ApplyGuardrailCommand)
      .rejectsOnce(awsError(ThrottlingException))
      .rejectsOnce(awsError(AccessDeniedException));
    const input = { guardrailId: 'gr-123', guardrailVersion: '1', text: 'x' };

    await expect(applyGuardrail(client, input)).rejects.toBeInstanceOf(TransientError);
    await expect(applyGuardrail(client, input)).rejects.toBeInstanceOf(ModelCallFailed);
  });
});
