import { createTravelTools, type TravelToolOptions } from './travel.ts';
import { createToolRegistry, type ToolRegistry } from './types.ts';

export type { Tool, ToolContext, ToolRegistry } from './types.ts';

/** Options of the default tool set. */
export type DefaultToolOptions = TravelToolOptions;

/**
 * The tools plans may use today: the sandbox travel set. `human_approval`, `http_request` and
 * `llm_generate` join here (each a `defineTool` in its own file) when their issue lands.
 */
export function defaultToolRegistry(options: DefaultToolOptions = {}): ToolRegistry {
  return createToolRegistry([...createTravelTools(options)]);
}
