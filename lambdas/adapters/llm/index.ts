/* The model adapters: configuration, providers and their errors, one import for tests and tools. */
export { applyGuardrail, BedrockProvider, type GuardrailVerdict, mapBedrockError } from './bedrock.ts';
export {
  DEFAULT_BEDROCK_MODEL_ID,
  type LlmConfig,
  type LlmSettings,
  llmConfig,
  type ModelIdentity,
  modelIdentity,
} from './config.ts';

export { ModelCallFailed, ModelOutputInvalid, type OutputInvalidReason, type OutputIssue } from './errors.ts';
export { createGuardrailCheck, type GuardrailCheck } from './guardrail.ts';
export { OfflineProvider } from './offline.ts';
export { OpenAiProvider, type OpenAiProviderOptions } from './openai.ts';
export { createAgentModelFromConfig, createProvider, type ProviderDeps } from './providers.ts';
export { type AttemptReport, type RepairedResult, type RepairOptions, withRepair } from './repair.ts';
export { secretApiKeyResolver } from './secret.ts';
export type * from './types.ts';
