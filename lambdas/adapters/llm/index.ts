import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createOfflineModel, type OfflineModelOptions, type OfflineRules } from '#domain/llm/offline.ts';
import type { AgentModel } from '#domain/llm/provider.ts';
import { createStructuredModel } from '#domain/llm/structured.ts';
import {
  applyGuardrail,
  BedrockProvider,
  DEFAULT_BEDROCK_MODEL_ID,
  type GuardrailVerdict,
} from './bedrock.ts';
import { OfflineProvider } from './offline.ts';
import { OpenAiProvider } from './openai.ts';
import { secretApiKeyResolver } from './secret.ts';
import type { LlmProvider } from './types.ts';

export {
  applyGuardrail,
  BedrockProvider,
  DEFAULT_BEDROCK_MODEL_ID,
  type GuardrailVerdict,
  mapBedrockError,
} from './bedrock.ts';

import type { ModelProviderName } from '#domain/llm/provider.ts';

export { ModelCallFailed, ModelOutputInvalid, type OutputInvalidReason, type OutputIssue } from './errors.ts';
export { OfflineProvider } from './offline.ts';
export { OpenAiProvider, type OpenAiProviderOptions } from './openai.ts';
export { type AttemptReport, type RepairedResult, type RepairOptions, withRepair } from './repair.ts';
export { secretApiKeyResolver } from './secret.ts';
export type * from './types.ts';

/**
 * The model settings as the functions' environment names them (lambdas/middleware/env.ts `LLM_ENV`,
 * parsed once by the handler).
 */
export interface LlmSettings {
  readonly LLM_PROVIDER: ModelProviderName;
  /** Per-call timeout; keep it below the function timeout. */
  readonly LLM_TIMEOUT_MS: number;
  /** Default answer budget when a request sets none. */
  readonly LLM_MAX_TOKENS: number;
  readonly BEDROCK_MODEL_ID?: string | undefined;
  readonly BEDROCK_GUARDRAIL_ID?: string | undefined;
  readonly BEDROCK_GUARDRAIL_VERSION?: string | undefined;
  readonly OPENAI_BASE_URL?: string | undefined;
  readonly OPENAI_MODEL?: string | undefined;
  readonly OPENAI_API_KEY?: string | undefined;
  /** In AWS: ARN (or name) of the Secrets Manager secret holding the key, read when OPENAI_API_KEY is unset. */
  readonly OPENAI_API_KEY_SECRET_ARN?: string | undefined;
  readonly OPENAI_MAX_TOKENS_PARAM?: 'max_tokens' | 'max_completion_tokens' | undefined;
}

/** Model configuration, from the settings (`llmConfig`) or built by hand (tests, local runtime). */
export interface LlmConfig {
  provider: ModelProviderName;
  timeoutMs: number;
  maxTokens: number;
  bedrock: {
    modelId: string;
    guardrail?: { id: string; version: string };
  };
  openai: {
    /** @default 'https://api.openai.com/v1' */
    baseUrl: string;
    model?: string;
    apiKey?: string;
    /** Secrets Manager secret (ARN or name) holding the key; used when `apiKey` is unset. */
    apiKeySecretId?: string;
    maxTokensParam: 'max_tokens' | 'max_completion_tokens';
  };
}

/**
 * The model configuration from its settings. Throws a readable error naming the variable when they
 * do not fit together (a guardrail needs its id and version, the openai provider its model).
 */
export function llmConfig(env: LlmSettings): LlmConfig {
  if ((env.BEDROCK_GUARDRAIL_ID === undefined) !== (env.BEDROCK_GUARDRAIL_VERSION === undefined)) {
    throw new Error(
      'invalid environment: BEDROCK_GUARDRAIL_VERSION: set both BEDROCK_GUARDRAIL_ID and BEDROCK_GUARDRAIL_VERSION, or neither',
    );
  }
  if (env.LLM_PROVIDER === 'openai' && env.OPENAI_MODEL === undefined) {
    throw new Error('invalid environment: OPENAI_MODEL: OPENAI_MODEL is required when LLM_PROVIDER=openai');
  }
  return {
    provider: env.LLM_PROVIDER,
    timeoutMs: env.LLM_TIMEOUT_MS,
    maxTokens: env.LLM_MAX_TOKENS,
    bedrock: {
      modelId: env.BEDROCK_MODEL_ID ?? DEFAULT_BEDROCK_MODEL_ID,
      ...(env.BEDROCK_GUARDRAIL_ID !== undefined && env.BEDROCK_GUARDRAIL_VERSION !== undefined
        ? { guardrail: { id: env.BEDROCK_GUARDRAIL_ID, version: env.BEDROCK_GUARDRAIL_VERSION } }
        : {}),
    },
    openai: {
      baseUrl: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
      ...(env.OPENAI_MODEL === undefined ? {} : { model: env.OPENAI_MODEL }),
      ...(env.OPENAI_API_KEY === undefined ? {} : { apiKey: env.OPENAI_API_KEY }),
      ...(env.OPENAI_API_KEY_SECRET_ARN === undefined
        ? {}
        : { apiKeySecretId: env.OPENAI_API_KEY_SECRET_ARN }),
      maxTokensParam: env.OPENAI_MAX_TOKENS_PARAM ?? 'max_tokens',
    },
  };
}

/** What `createProvider` cannot build from configuration alone. */
export interface ProviderDeps {
  /** The function's module-level Bedrock client. Created here when absent (no tracing). */
  bedrockClient?: BedrockRuntimeClient;
  /** Builds the offline provider. @default - {@link OfflineProvider} */
  offline?: () => LlmProvider;
  /** Reads the OpenAI-compatible API key (used when OPENAI_API_KEY is unset). @default - from the secret, if configured */
  resolveOpenAiKey?: () => Promise<string | undefined>;
  /** Reads `openai.apiKeySecretId` when `resolveOpenAiKey` is not given. */
  secretsClient?: SecretsManagerClient;
}

/** The configured provider. Call once at module load; providers hold no per-request state. */
export function createProvider(config: LlmConfig, deps: ProviderDeps = {}): LlmProvider {
  switch (config.provider) {
    case 'bedrock':
      return new BedrockProvider({
        client: deps.bedrockClient ?? new BedrockRuntimeClient({}),
        modelId: config.bedrock.modelId,
        timeoutMs: config.timeoutMs,
        defaultMaxTokens: config.maxTokens,
      });
    case 'openai': {
      if (config.openai.model === undefined) {
        throw new Error('OPENAI_MODEL is required when LLM_PROVIDER=openai');
      }
      return new OpenAiProvider({
        baseUrl: config.openai.baseUrl,
        model: config.openai.model,
        ...(config.openai.apiKey === undefined ? {} : { apiKey: config.openai.apiKey }),
        ...openAiKeyResolver(config, deps),
        timeoutMs: config.timeoutMs,
        defaultMaxTokens: config.maxTokens,
        maxTokensParam: config.openai.maxTokensParam,
      });
    }
    case 'offline':
      return deps.offline?.() ?? new OfflineProvider();
  }
}

function openAiKeyResolver(
  config: LlmConfig,
  deps: ProviderDeps,
): { resolveApiKey?: () => Promise<string | undefined> } {
  if (deps.resolveOpenAiKey !== undefined) return { resolveApiKey: deps.resolveOpenAiKey };
  const secretId = config.openai.apiKeySecretId;
  if (secretId === undefined || config.openai.apiKey !== undefined) return {};
  if (deps.secretsClient === undefined) {
    throw new Error('OPENAI_API_KEY_SECRET_ARN is set but no Secrets Manager client was given');
  }
  return { resolveApiKey: secretApiKeyResolver(deps.secretsClient, secretId) };
}

/**
 * The guardian/planner model LLM_PROVIDER selects: the offline rules, or a structured-output model
 * (Bedrock Converse, OpenAI-compatible) wrapped by `createStructuredModel`. Call once at module load.
 */
export function createAgentModelFromConfig(
  config: LlmConfig,
  deps: ProviderDeps & { offlineModel?: { rules: OfflineRules; options?: OfflineModelOptions } } = {},
): AgentModel {
  if (config.provider === 'offline')
    return createOfflineModel(deps.offlineModel?.rules ?? {}, deps.offlineModel?.options);
  return createStructuredModel(createProvider(config, deps));
}

/** A guardrail check bound to the configured guardrail; undefined when none is configured. */
export type GuardrailCheck = (text: string, source?: 'INPUT' | 'OUTPUT') => Promise<GuardrailVerdict>;

/** The configured Bedrock guardrail as a function, or undefined (no BEDROCK_GUARDRAIL_ID). */
export function createGuardrailCheck(
  config: LlmConfig,
  deps: Pick<ProviderDeps, 'bedrockClient'> = {},
): GuardrailCheck | undefined {
  const guardrail = config.bedrock.guardrail;
  if (guardrail === undefined) return undefined;
  const client = deps.bedrockClient ?? new BedrockRuntimeClient({});
  return (text, source = 'INPUT') =>
    applyGuardrail(client, { guardrailId: guardrail.id, guardrailVersion: guardrail.version, text, source });
}
