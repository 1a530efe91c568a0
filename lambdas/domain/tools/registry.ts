import { OFFLINE_MODEL_ID, offlineTextAnswer } from '../llm/offline.ts';
import { createApprovalTool } from './approval.ts';
import { createHttpRequestTool, type HttpFetch } from './http-request.ts';
import { createLlmGenerateTool, type TextModel } from './llm-generate.ts';
import { createTravelTools, type TravelToolOptions } from './travel.ts';
import { createToolRegistry, type ToolRegistry } from './types.ts';

export type { Tool, ToolContext, ToolModelCall, ToolRegistry } from './types.ts';

/**
 * The ports the tools run on, passed in by the handler's wiring (lambdas/middleware/tools.ts builds
 * them from its parsed environment and its adapters). The bookings table comes with each call
 * (`ToolContext.bookings`). A function that only undoes steps (the saga, the janitor, the sweep)
 * wires none: only bookings have an undo.
 */
export interface ToolPorts extends TravelToolOptions {
  /** `http_request`'s fetch. @default - none: every request fails */
  readonly fetch?: HttpFetch;
  /** The hosts `http_request` may call, named in its description for planners. @default [] */
  readonly allowedHosts?: readonly string[];
  /** `llm_generate`'s text model, built at its first call. @default - the offline text model */
  readonly textModel?: () => TextModel | Promise<TextModel>;
}

/** The deterministic text model (no model is called): texts start with "[offline model]". */
export const offlineTextModel: TextModel = {
  name: 'offline',
  model: OFFLINE_MODEL_ID,
  generateText: async (request) => offlineTextAnswer(request),
};

const unwiredFetch: HttpFetch = () =>
  Promise.reject(new Error('http_request has no fetch in this function (no fetch port was wired)'));

/**
 * The tools plans may use: the sandbox travel set, `human_approval`, `http_request` and
 * `llm_generate` (each a `defineTool` in its own file).
 */
export function defaultToolRegistry(ports: ToolPorts = {}): ToolRegistry {
  return createToolRegistry([
    ...createTravelTools(ports),
    createApprovalTool(),
    createHttpRequestTool({ fetch: ports.fetch ?? unwiredFetch, allowedHosts: ports.allowedHosts ?? [] }),
    createLlmGenerateTool({ textModel: ports.textModel ?? (() => offlineTextModel) }),
  ]);
}
