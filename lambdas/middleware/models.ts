import { bedrock } from '#adapters/aws/bedrock.ts';
import { secretsManager } from '#adapters/aws/secrets-manager.ts';
import { type LlmConfig, type LlmSettings, llmConfig, modelIdentity } from '#adapters/llm/config.ts';
import { createGuardrailCheck, type GuardrailCheck } from '#adapters/llm/guardrail.ts';
import { createAgentModelFromConfig } from '#adapters/llm/providers.ts';
import type { OfflineModelOptions, OfflineRules } from '#domain/llm/offline.ts';
import type { AgentModel } from '#domain/llm/provider.ts';
import { envSchema, LLM_ENV, parseEnv } from './env.ts';

/*
 * The guardian's and the planner's model, from the handler's parsed model settings (LLM_ENV) and the
 * function's module-level clients. Call once at module load.
 *
 * The offline rules are loaded at the first call, and only when LLM_PROVIDER is `offline`: the handler
 * hands over a dynamic import, which esbuild leaves uninitialized until then, so a function on
 * Bedrock or OpenAI never builds the planner's grammar (chrono-node, the city catalog: ~15 ms of its
 * cold import). The adapters are imported statically: a dynamic import makes esbuild wrap every
 * module it reaches for lazy initialization, which costs bundle bytes, and they build little at load.
 */

/** The offline rules a function hands over (only its own: see OfflineRules), loaded when used. */
export type OfflineModel = () => Promise<{ rules: OfflineRules; options?: OfflineModelOptions }>;

/** The model LLM_PROVIDER selects: a structured-output model, or the function's offline rules. */
export function agentModel(env: LlmSettings, offlineModel: OfflineModel): AgentModel {
  const config = llmConfig(env);
  return lazyAgentModel(config, async () =>
    createAgentModelFromConfig(config, {
      bedrockClient: bedrock,
      secretsClient: secretsManager,
      ...(config.provider === 'offline' && { offlineModel: await offlineModel() }),
    }),
  );
}

/**
 * A model that says what it is at once (the planner keys its cache by it before it calls the model)
 * and loads at its first call; the loaded model must say the same.
 */
function lazyAgentModel(config: LlmConfig, load: () => Promise<AgentModel>): AgentModel {
  const identity = modelIdentity(config);
  let loaded: Promise<AgentModel> | undefined;
  const model = () => {
    loaded ??= load().then((made) => {
      if (made.provider !== identity.provider || made.model !== identity.model) {
        throw new Error(`the ${identity.provider} model loaded as ${made.provider}/${made.model}`);
      }
      return made;
    });
    return loaded;
  };
  return {
    ...identity,
    screenGoal: async (request) => (await model()).screenGoal(request),
    planGoal: async (request) => (await model()).planGoal(request),
  };
}

/** The configured Bedrock guardrail (BEDROCK_GUARDRAIL_ID and _VERSION), or undefined. */
export function guardrail(
  env: LlmSettings,
): { readonly id: string; readonly version: string; readonly check: GuardrailCheck } | undefined {
  const config = llmConfig(env);
  const check = createGuardrailCheck(config, { bedrockClient: bedrock });
  const configured = config.bedrock.guardrail;
  return check !== undefined && configured !== undefined ? { ...configured, check } : undefined;
}

/** The model configuration of a raw environment (tests, scripts): parsed as the handlers parse it. */
export function llmConfigOf(source: NodeJS.ProcessEnv): LlmConfig {
  return llmConfig(parseEnv(envSchema(...LLM_ENV), source));
}
