import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { describe, expect, it } from 'vitest';
import {
  BedrockProvider,
  createGuardrailCheck,
  createProvider,
  DEFAULT_BEDROCK_MODEL_ID,
  type LlmProvider,
  OfflineProvider,
  OpenAiProvider,
} from '#adapters/llm/index.ts';
import { llmConfigOf } from '#middleware/models.ts';

const client = new BedrockRuntimeClient({ region: 'us-east-1' });

describe('LLM configuration from the environment', () => {
  it('defaults to the offline provider and the documented Bedrock model', () => {
    const config = llmConfigOf({});

    expect(config).toMatchObject({
      provider: 'offline',
      timeoutMs: 60_000,
      maxTokens: 1024,
      bedrock: { modelId: DEFAULT_BEDROCK_MODEL_ID },
      openai: { baseUrl: 'https://api.openai.com/v1', maxTokensParam: 'max_tokens' },
    });
    expect(config.bedrock.guardrail).toBeUndefined();
  });

  it('builds a Bedrock provider with the configured model', () => {
    const config = llmConfigOf({
      LLM_PROVIDER: 'bedrock',
      BEDROCK_MODEL_ID: 'eu.amazon.nova-lite-v1:0',
      BEDROCK_GUARDRAIL_ID: 'gr-1',
      BEDROCK_GUARDRAIL_VERSION: '3',
      OPENAI_MODEL: '',
    });

    const provider = createProvider(config, { bedrockClient: client });

    expect(provider).toBeInstanceOf(BedrockProvider);
    expect(provider).toMatchObject({ name: 'bedrock', model: 'eu.amazon.nova-lite-v1:0' });
    expect(config.bedrock.guardrail).toEqual({ id: 'gr-1', version: '3' });
    expect(createGuardrailCheck(config, { bedrockClient: client })).toBeTypeOf('function');
  });

  it('builds an OpenAI-compatible provider from OPENAI_*', () => {
    const config = llmConfigOf({
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: 'http://127.0.0.1:8080/v1',
      OPENAI_MODEL: 'llama-3.1-8b-instruct',
      OPENAI_API_KEY: 'sk-local',
    });

    const provider = createProvider(config);

    expect(provider).toBeInstanceOf(OpenAiProvider);
    expect(provider).toMatchObject({ name: 'openai', model: 'llama-3.1-8b-instruct' });
    expect(createGuardrailCheck(config)).toBeUndefined();
  });

  it('uses the injected offline provider', () => {
    const offline: LlmProvider = {
      name: 'offline',
      model: 'offline-rules',
      generateStructured: () => Promise.reject(new Error('unused')),
      generateText: () => Promise.reject(new Error('unused')),
    };

    expect(createProvider(llmConfigOf({}), { offline: () => offline })).toBe(offline);
    expect(createProvider(llmConfigOf({}))).toBeInstanceOf(OfflineProvider);
  });

  it.each([
    [{ LLM_PROVIDER: 'openai' }, /OPENAI_MODEL/],
    [{ BEDROCK_GUARDRAIL_ID: 'gr-1' }, /BEDROCK_GUARDRAIL_VERSION/],
    [{ LLM_PROVIDER: 'gemini' }, /LLM_PROVIDER/],
    [{ OPENAI_BASE_URL: 'not a url' }, /OPENAI_BASE_URL/],
  ])('names the bad variable in %o', (env, message) => {
    expect(() => llmConfigOf(env)).toThrow(message);
  });
});
