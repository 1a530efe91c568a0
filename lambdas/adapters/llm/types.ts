import type { ModelProviderName } from '#domain/llm/provider.ts';
import type { StructuredRequest } from '#domain/llm/structured.ts';

/**
 * The provider-neutral surface every model provider implements. Callers (guardian, planner, summary)
 * depend on this file only; which provider answers is configuration (see `index.ts`).
 */

/** Names of the providers. `offline` is the deterministic stand-in used locally and in tests. */
export type ProviderName = ModelProviderName;

/** What one model call cost: the payload of a `ModelCalled` event (plus `purpose`). */
export interface ModelUsage {
  provider: ProviderName;
  model: string;
  tokens_in: number;
  tokens_out: number;
  latency_ms: number;
}

/** A request for an answer that must fit `schema`: the domain's, which the providers implement. */
export type { StructuredRequest };

export interface StructuredResult<T> {
  /** The answer, parsed by the request's schema (so defaults and transforms have been applied). */
  data: T;
  usage: ModelUsage;
  /** The model's answer as JSON text, for debugging and repair prompts. Not for events: may be large. */
  raw?: string;
}

export interface TextRequest {
  purpose: string;
  system?: string;
  prompt: string;
  maxTokens?: number;
  /**
   * The structured data the text is about (e.g. earlier step outputs). Model providers see it only
   * through `prompt` (the caller puts it there); the offline provider summarises it deterministically.
   */
  inputs?: unknown;
}

export interface TextResult {
  text: string;
  usage: ModelUsage;
}

/**
 * A model behind one interface. Errors are names (see `errors.ts`):
 * - `TransientError`: throttled, unavailable, timed out, network — the ASL retries with backoff.
 * - `ModelCallFailed`: refused by the service (access, validation, unknown model) — not retryable.
 * - `ModelOutputInvalid`: the model answered, but not in the requested shape — run one repair round
 *   (`withRepair`), then fail.
 */
export interface LlmProvider {
  readonly name: ProviderName;
  readonly model: string;
  generateStructured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>>;
  generateText(req: TextRequest): Promise<TextResult>;
}
