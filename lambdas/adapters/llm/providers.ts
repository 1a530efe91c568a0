import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import type { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { createOfflineModel, type OfflineModelOptions, type OfflineRules } from '#domain/llm/offline.ts';
import type { AgentModel } from '#domain/llm/provider.ts';
import { createStructuredModel } from '#domain/llm/structured.ts';
import { BedrockProvider } from './bedrock.ts';
import type { LlmConfig } from './config.ts';
import { OfflineProvider } from './offline.ts';
import { OpenAiProvider } from './openai.ts';
import { secretApiKeyResolver } from './secret.ts';
import type { LlmProvider } from './types.ts';

/*
 * The providers built from a configuration (config.ts), for the guardian's and planner's model
 * (lambdas/middleware/models.ts) and `llm_generate`'s text model (lambdas/middleware/tools.ts).
 */

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
