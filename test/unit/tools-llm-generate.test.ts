import { BedrockRuntimeClient, ConverseCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { createProvider } from '#adapters/llm/index.ts';
import { validatePlan } from '#domain/plan-validation.ts';
import { resolveReferences } from '#domain/references.ts';
import { createLlmGenerateTool, MAX_TEXT_CHARS, type TextModel } from '#domain/tools/llm-generate.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import type { BookingsPort, ToolContext, ToolModelCall } from '#domain/tools/types.ts';
import * as z from '#domain/zod.ts';
import { llmConfigOf } from '#middleware/models.ts';
import { configuredTextModel } from '#middleware/tools.ts';

const bookings: BookingsPort = {
  putIfAbsent: async (b) => b,
  get: async () => undefined,
  cancel: async () => 'absent',
};
const calls: ToolModelCall[] = [];
const ctx = (record = true): ToolContext => ({
  workflow_id: 'wf_llmtool000001',
  step_id: 'summary',
  bookings,
  now: () => new Date('2026-11-25T17:00:00.000Z'),
  ...(record
    ? {
        recordModelCall: async (call: ToolModelCall) => {
          calls.push(call);
        },
      }
    : {}),
});
const flightOutput = {
  booking: {
    confirmation_code: 'OMN-ABC234',
    kind: 'flight',
    city: 'NYC',
    city_name: 'New York',
    status: 'booked',
    offer_id: 'f1',
    price: { amount: 420, currency: 'EUR' },
    details: {},
  },
};
const hotelOutput = {
  booking: { ...flightOutput.booking, confirmation_code: 'OMN-XYZ789', kind: 'hotel', city_name: 'Rome' },
};

const textOf = (output: unknown): string => z.parse(z.object({ text: z.string() }), output).text;

beforeEach(() => {
  calls.length = 0;
});
afterEach(() => vi.unstubAllEnvs());

describe('llm_generate with the offline provider (the default)', () => {
  const tool = defaultToolRegistry().get('llm_generate');
  if (tool === undefined) throw new Error('llm_generate is not registered');

  it('writes a deterministic, clearly labelled summary listing the bookings with their codes', async () => {
    const input = { prompt: 'Summarize my trip', from: { flight: flightOutput, hotel: hotelOutput } };
    const out = await tool.execute(input, ctx());
    expect(out).toMatchObject({ provider: 'offline', model: 'offline-rules-v1', truncated: false });
    const text = textOf(await tool.execute(input, ctx(false)));
    expect(text).toBe(textOf(out));
    expect(text.startsWith('[offline model]')).toBe(true);
    expect(text).toContain('flight to New York (OMN-ABC234)');
    expect(text).toContain('hotel in Rome (OMN-XYZ789)');
    expect(text).toContain('no language model was called');
  });

  it('reports its usage so the step can record a ModelCalled event', async () => {
    await tool.execute({ prompt: 'Summarize my trip', from: { flight: flightOutput } }, ctx());
    expect(calls).toEqual([
      {
        purpose: 'llm_generate',
        provider: 'offline',
        model: 'offline-rules-v1',
        tokens_in: expect.any(Number),
        tokens_out: expect.any(Number),
        latency_ms: expect.any(Number),
        attempt: 1,
      },
    ]);
    expect(calls[0]?.tokens_in).toBeGreaterThan(0);
    expect(calls[0]?.tokens_out).toBeGreaterThan(0);
  });

  it('works without a recorder and summarizes its output small', async () => {
    const out = await tool.execute({ prompt: 'Say hello' }, ctx(false));
    expect(tool.summarize(out)).toEqual({
      provider: 'offline',
      model: 'offline-rules-v1',
      chars: expect.any(Number),
      truncated: false,
      preview: expect.stringMatching(/^\[offline model\]/),
    });
    expect(tool.sideEffect).toBe(false);
  });

  it('rejects an empty prompt as InvalidStepInput', async () => {
    await expect(tool.execute({ prompt: '  ' }, ctx())).rejects.toMatchObject({ name: 'InvalidStepInput' });
  });

  it('takes its data from earlier steps by reference in a plan', () => {
    const tools = defaultToolRegistry();
    const plan = {
      steps: [
        { id: 'search', tool: 'search_flights', input: { origin: 'LON', destination: 'NYC' } },
        {
          id: 'book',
          tool: 'book_flight',
          input: { offer: { $from: 'search', path: 'offers.0' } },
          depends_on: ['search'],
        },
        {
          id: 'summary',
          tool: 'llm_generate',
          input: { prompt: 'Summarize', from: { flight: { $from: 'book', path: 'booking' } } },
          depends_on: ['book'],
        },
      ],
    };
    expect(validatePlan(plan, tools).ok).toBe(true);
    const undeclared = { steps: [plan.steps[0], plan.steps[1], { ...plan.steps[2], depends_on: [] }] };
    expect(validatePlan(undeclared, tools)).toMatchObject({
      ok: false,
      issues: [expect.stringContaining('does not depend on')],
    });
    const resolved = resolveReferences(plan.steps[2]?.input, new Map([['book', flightOutput]]));
    expect(resolved).toEqual({ prompt: 'Summarize', from: { flight: flightOutput.booking } });
  });
});

describe('llm_generate with a model', () => {
  it('puts the data into the prompt, passes max_tokens and reports the provider usage', async () => {
    const requests: Parameters<TextModel['generateText']>[0][] = [];
    const model: TextModel = {
      name: 'openai',
      model: 'llama-3.1-8b-instruct',
      generateText: async (request) => {
        requests.push(request);
        return {
          text: 'Your flight OMN-ABC234 is booked.',
          usage: { tokens_in: 80, tokens_out: 9, latency_ms: 42 },
        };
      },
    };
    const tool = createLlmGenerateTool({ textModel: () => model });
    const out = await tool.execute(
      { prompt: 'Summarize', max_tokens: 200, from: { flight: flightOutput } },
      ctx(),
    );
    expect(out).toEqual({
      text: 'Your flight OMN-ABC234 is booked.',
      provider: 'openai',
      model: 'llama-3.1-8b-instruct',
      truncated: false,
    });
    expect(requests[0]).toMatchObject({ purpose: 'llm_generate', maxTokens: 200 });
    expect(requests[0]?.prompt).toContain('Data (JSON):');
    expect(requests[0]?.prompt).toContain('OMN-ABC234');
    expect(calls).toEqual([
      {
        purpose: 'llm_generate',
        provider: 'openai',
        model: 'llama-3.1-8b-instruct',
        tokens_in: 80,
        tokens_out: 9,
        latency_ms: 42,
        attempt: 1,
      },
    ]);
  });

  it('cuts an overlong text', async () => {
    const model: TextModel = {
      name: 'bedrock',
      model: 'm',
      generateText: async () => ({
        text: 'y'.repeat(MAX_TEXT_CHARS + 10),
        usage: { tokens_in: 1, tokens_out: 1 },
      }),
    };
    const out = await createLlmGenerateTool({ textModel: () => model }).execute({ prompt: 'x' }, ctx());
    expect(out).toMatchObject({ truncated: true });
  });

  it('builds the model at the first call and does not cache a failure', async () => {
    let built = 0;
    const factory = vi.fn(() => {
      built++;
      if (built === 1) throw new Error('secret not readable yet');
      return {
        name: 'bedrock',
        model: 'm',
        generateText: async () => ({ text: 'ok', usage: { tokens_in: 1, tokens_out: 1 } }),
      };
    });
    const tool = createLlmGenerateTool({ textModel: factory });
    expect(factory).not.toHaveBeenCalled();
    await expect(tool.execute({ prompt: 'x' }, ctx())).rejects.toThrow('secret not readable yet');
    await expect(tool.execute({ prompt: 'x' }, ctx())).resolves.toMatchObject({ text: 'ok' });
    await tool.execute({ prompt: 'x' }, ctx());
    expect(factory).toHaveBeenCalledTimes(2);
  });

  it('uses Bedrock Converse when LLM_PROVIDER=bedrock (mocked client), with its token usage', async () => {
    const bedrock = mockClient(BedrockRuntimeClient);
    bedrock.on(ConverseCommand).resolves({
      $metadata: {},
      output: { message: { role: 'assistant', content: [{ text: 'A fine trip.' }] } },
      stopReason: 'end_turn',
      usage: { inputTokens: 150, outputTokens: 4, totalTokens: 154 },
      metrics: { latencyMs: 1 },
    });
    const client = new BedrockRuntimeClient({ region: 'us-east-1' });
    const config = llmConfigOf({ LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: 'amazon.nova-micro-v1:0' });
    const tool = createLlmGenerateTool({
      textModel: () => createProvider(config, { bedrockClient: client }),
    });
    await expect(tool.execute({ prompt: 'Summarize' }, ctx())).resolves.toMatchObject({
      text: 'A fine trip.',
      provider: 'bedrock',
      model: 'amazon.nova-micro-v1:0',
    });
    expect(calls[0]).toMatchObject({ provider: 'bedrock', tokens_in: 150, tokens_out: 4 });
    bedrock.restore();
  });

  it('configuredTextModel follows LLM_PROVIDER', async () => {
    expect((await configuredTextModel(llmConfigOf({ LLM_PROVIDER: 'offline' }))).name).toBe('offline');
    const openai = llmConfigOf({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:9/v1',
      OPENAI_MODEL: 'local-model',
    });
    expect(await configuredTextModel(openai)).toMatchObject({ name: 'openai', model: 'local-model' });
  });
});
