import { defaultToolRegistry, type ToolPorts, type ToolRegistry } from '#domain/tools/registry.ts';
import type { EnvOf } from './env.ts';

/** What a tool's description depends on: the default origin, and the hosts http_request may call. */
export type DescribedToolEnv = EnvOf<'DEFAULT_ORIGIN_CITY' | 'HTTP_TOOL_ALLOWED_HOSTS'>;

/** The ports that shape the tools' descriptions, the same for the function that plans and the one that runs. */
export function describedToolPorts(env: DescribedToolEnv): ToolPorts {
  return { defaultOrigins: [env.DEFAULT_ORIGIN_CITY], allowedHosts: env.HTTP_TOOL_ALLOWED_HOSTS };
}

/**
 * The planner's tool registry: the step's tools with the step's allow-list in http_request's
 * description, to describe plans to the model and validate them, wired to run nothing. The planner
 * never runs a tool, so its bundle carries no fetch and no text model (lambdas/middleware/tools.ts
 * wires those for the step).
 */
export function describedTools(env: DescribedToolEnv): ToolRegistry {
  return defaultToolRegistry(describedToolPorts(env));
}
