import { bedrock } from '#adapters/aws/bedrock.ts';
import { secretsManager } from '#adapters/aws/secrets-manager.ts';
import {
  createAgentModelFromConfig,
  createGuardrailCheck,
  type GuardrailCheck,
  type LlmConfig,
  type LlmSettings,
  llmConfig,
} from '#adapters/llm/index.ts';
import type { OfflineModelOptions, OfflineRules } from '#domain/llm/offline.ts';
import type { AgentModel } from '#domain/llm/provider.ts';
import { envSchema, LLM_ENV, parseEnv } from './env.ts';

/*
 * The guardian's and the planner's model, from the handler's parsed model settings (LLM_ENV) and the
 * function's module-level clients. Call once at module load.
 */

/**
 * The model LLM_PROVIDER selects: a structured-output model, or the offline rules the function hands
 * over (only its own: see OfflineRules).
 */
export function agentModel(
  env: LlmSettings,
  offlineModel: { rules: OfflineRules; options?: OfflineModelOptions },
): AgentModel {
  return createAgentModelFromConfig(llmConfig(env), {
    bedrockClient: bedrock,
    secretsClient: secretsManager,
    offlineModel,
  });
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
