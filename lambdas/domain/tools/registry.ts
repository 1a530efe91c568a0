import { createProvider, OfflineProvider, readLlmConfig } from '#adapters/llm/index.ts';
import { createApprovalTool } from './approval.ts';
import { createHttpRequestTool, type HttpRequestToolOptions } from './http-request.ts';
import { createLlmGenerateTool, type TextModel } from './llm-generate.ts';
import { createTravelTools, type TravelToolOptions } from './travel.ts';
import { createToolRegistry, type ToolRegistry } from './types.ts';

export type { Tool, ToolContext, ToolModelCall, ToolRegistry } from './types.ts';

/** Options of the default tool set. Everything env-derived is built lazily, at the first use. */
export interface DefaultToolOptions extends TravelToolOptions {
  /** `http_request`: policy and allow-list hint. @default - from HTTP_TOOL_* at the first request */
  readonly http?: HttpRequestToolOptions;
  /** `llm_generate`: the text model. @default - the provider LLM_PROVIDER selects (see `configuredTextModel`) */
  readonly textModel?: () => TextModel | Promise<TextModel>;
}

/**
 * The text model LLM_PROVIDER (and BEDROCK_MODEL_ID / OPENAI_*) selects, with the function's
 * module-level SDK clients. The clients module is loaded only here, so importing the registry
 * creates no AWS client.
 */
export async function configuredTextModel(): Promise<TextModel> {
  const config = readLlmConfig();
  if (config.provider === 'offline') return new OfflineProvider();
  const [{ bedrock }, { secretsManager }] = await Promise.all([
    import('#adapters/aws/bedrock.ts'),
    import('#adapters/aws/secrets-manager.ts'),
  ]);
  return createProvider(config, { bedrockClient: bedrock, secretsClient: secretsManager });
}

/**
 * The tools plans may use: the sandbox travel set, `human_approval`, `http_request` and
 * `llm_generate` (each a `defineTool` in its own file).
 */
export function defaultToolRegistry(options: DefaultToolOptions = {}): ToolRegistry {
  return createToolRegistry([
    ...createTravelTools(options),
    createApprovalTool(),
    createHttpRequestTool(options.http ?? {}),
    createLlmGenerateTool({ textModel: options.textModel ?? configuredTextModel }),
  ]);
}
