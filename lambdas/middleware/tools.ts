import { httpToolPolicy } from '#adapters/http/safe-fetch.ts';
import { httpToolFetch } from '#adapters/http/tool-fetch.ts';
import { type LlmConfig, llmConfig } from '#adapters/llm/config.ts';
import { OfflineProvider } from '#adapters/llm/offline.ts';
import { createProvider } from '#adapters/llm/providers.ts';
import type { TextModel } from '#domain/tools/llm-generate.ts';
import { defaultToolRegistry, type ToolRegistry } from '#domain/tools/registry.ts';
import { describedToolPorts } from './described-tools.ts';
import type { EnvOf, HTTP_TOOL_ENV, LLM_ENV } from './env.ts';

/** The variables the tools run on: the model, the http_request policy, the default origin. */
export type ToolEnv = EnvOf<
  (typeof LLM_ENV)[number] | (typeof HTTP_TOOL_ENV)[number] | 'DEFAULT_ORIGIN_CITY'
>;

/**
 * The text model of `llm_generate`, built at its first call. The AWS client modules are loaded only
 * here, so a function whose steps never call the tool creates no Bedrock or Secrets Manager client.
 */
export async function configuredTextModel(config: LlmConfig): Promise<TextModel> {
  if (config.provider === 'offline') return new OfflineProvider();
  const [{ bedrock }, { secretsManager }] = await Promise.all([
    import('#adapters/aws/bedrock.ts'),
    import('#adapters/aws/secrets-manager.ts'),
  ]);
  return createProvider(config, { bedrockClient: bedrock, secretsClient: secretsManager });
}

/**
 * The tool registry of the function that runs steps, on ports built from its parsed environment (the
 * planner's, describedTools, has the same descriptions and runs nothing). The
 * fetch policy is built and checked at the first request (a bad one fails that step, not the cold start).
 */
export function toolRegistry(env: ToolEnv): ToolRegistry {
  const config = llmConfig(env);
  return defaultToolRegistry({
    ...describedToolPorts(env),
    fetch: httpToolFetch(() => httpToolPolicy(env)),
    textModel: () => configuredTextModel(config),
  });
}
