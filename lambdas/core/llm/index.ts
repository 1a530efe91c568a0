import { createOfflineModel, type OfflineModelOptions } from './offline.ts';
import type { AgentModel } from './provider.ts';

export type { AgentModel } from './provider.ts';

export type ProviderName = 'offline' | 'bedrock' | 'openai';

export type { ModelCallObserver, ModelCallReport } from './provider.ts';
export { createStructuredModel, type StructuredLlm } from './structured.ts';

/**
 * The offline model, the only one the pure core can build. Model providers need I/O (SDK clients,
 * secrets): build them with `createAgentModelFromConfig` from `#io/llm/index.ts`; asking the core
 * for one fails loudly instead of silently falling back to the rules.
 */
export function createAgentModel(name: ProviderName, options: OfflineModelOptions = {}): AgentModel {
  if (name === 'offline') return createOfflineModel(options);
  throw new Error(
    `LLM provider ${name} is not implemented in the core (it needs I/O): use createAgentModelFromConfig from #io/llm`,
  );
}
