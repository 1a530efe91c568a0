import { describe, expect, it, vi } from 'vitest';
import { type LlmSettings, modelIdentity } from '#adapters/llm/config.ts';
import { OFFLINE_MODEL_ID } from '#domain/llm/offline.ts';
import { screenGoalOffline } from '#domain/offline-guardian.ts';
import { agentModel, guardrail, llmConfigOf } from '#middleware/models.ts';

/**
 * lambdas/middleware/models.ts: the guardian's and planner's model says what it is at once and loads
 * its provider (or the function's offline rules) at its first call, not at the cold start.
 */
const settings = (extra: Partial<LlmSettings> = {}): LlmSettings => ({
  LLM_PROVIDER: 'offline',
  LLM_TIMEOUT_MS: 1000,
  LLM_MAX_TOKENS: 100,
  ...extra,
});

describe('agentModel', () => {
  it('names its provider and model before it loads, and loads the offline rules at the first call', async () => {
    const rules = vi.fn(async () => ({ rules: { screenGoal: screenGoalOffline } }));
    const model = agentModel(settings(), rules);
    expect(model).toMatchObject({ provider: 'offline', model: OFFLINE_MODEL_ID, deterministic: true });
    expect(rules).not.toHaveBeenCalled();
    const first = await model.screenGoal({ goal: 'Book a flight to NYC', context_keys: [] });
    await model.screenGoal({ goal: 'Book a hotel in Rome', context_keys: [] });
    expect(first.verdict.allowed).toBe(true);
    expect(rules).toHaveBeenCalledTimes(1);
  });

  it('on Bedrock, names the configured model and never loads the offline rules', () => {
    const rules = vi.fn();
    const model = agentModel(
      settings({ LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: 'amazon.nova-pro-v1:0' }),
      rules,
    );
    expect(model).toMatchObject({ provider: 'bedrock', model: 'amazon.nova-pro-v1:0' });
    expect(model.deterministic).toBeUndefined();
    expect(rules).not.toHaveBeenCalled();
  });

  it('says what every provider says it is (the identity the events and the plan cache record)', async () => {
    const { createAgentModelFromConfig } = await import('#adapters/llm/index.ts');
    for (const env of [
      { LLM_PROVIDER: 'offline' },
      { LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0' },
      { LLM_PROVIDER: 'openai', OPENAI_MODEL: 'gpt-4o-mini', OPENAI_API_KEY: 'k' },
    ]) {
      const config = llmConfigOf(env);
      const made = createAgentModelFromConfig(config);
      const identity = modelIdentity(config);
      expect({ provider: made.provider, model: made.model, deterministic: made.deterministic }).toEqual({
        deterministic: undefined,
        ...identity,
      });
    }
  });
});

describe('guardrail', () => {
  it('is undefined without a configured guardrail, and names it when configured', () => {
    expect(guardrail(settings())).toBeUndefined();
    expect(
      guardrail(settings({ BEDROCK_GUARDRAIL_ID: 'gr-1', BEDROCK_GUARDRAIL_VERSION: '2' })),
    ).toMatchObject({ id: 'gr-1', version: '2', check: expect.any(Function) });
  });
});
