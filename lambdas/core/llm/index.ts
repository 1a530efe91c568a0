import { createOfflineModel, type OfflineModelOptions } from './offline.ts';
import type { AgentModel } from './provider.ts';

export type { AgentModel } from './provider.ts';

export type ProviderName = 'offline' | 'bedrock' | 'openai';

/**
 * The provider LLM_PROVIDER selects. Only `offline` exists yet; asking for another fails loudly
 * instead of silently falling back to the rules.
 */
export function createAgentModel(name: ProviderName, options: OfflineModelOptions = {}): AgentModel {
  if (name === 'offline') return createOfflineModel(options);
  throw new Error(`LLM provider ${name} is not implemented yet; set LLM_PROVIDER=offline`);
}
