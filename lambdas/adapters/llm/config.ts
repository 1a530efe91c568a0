import { type ModelProviderName, OFFLINE_MODEL_ID } from '#domain/llm/provider.ts';

/*
 * The model configuration, apart from the providers that are built from it (providers.ts): what a
 * function parses at load, and what its model says it is before it is built (lambdas/middleware/models.ts).
 */

/**
 * Default model: Amazon Nova Lite, on demand in its home regions, supports the Converse API with a
 * forced tool choice. Override with BEDROCK_MODEL_ID — e.g. an inference profile such as
 * `us.amazon.nova-lite-v1:0` or an Anthropic Claude Haiku profile. The model must support
 * `toolChoice: { tool }` (Anthropic Claude 3+ and Amazon Nova do).
 */
export const DEFAULT_BEDROCK_MODEL_ID = 'amazon.nova-lite-v1:0';

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

/** What a model says it is (AgentModel's `provider`, `model`, `deterministic`), known before it loads. */
export interface ModelIdentity {
  readonly provider: ModelProviderName;
  readonly model: string;
  readonly deterministic?: true;
}

/** The identity of the model a configuration selects. */
export function modelIdentity(config: LlmConfig): ModelIdentity {
  switch (config.provider) {
    case 'offline':
      return { provider: 'offline', model: OFFLINE_MODEL_ID, deterministic: true };
    case 'bedrock':
      return { provider: 'bedrock', model: config.bedrock.modelId };
    case 'openai':
      return { provider: 'openai', model: config.openai.model ?? '' };
  }
}
