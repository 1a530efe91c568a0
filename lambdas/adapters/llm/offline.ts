import { OFFLINE_MODEL_ID, offlineTextAnswer } from '#domain/llm/offline.ts';
import { ModelCallFailed } from './errors.ts';
import type { LlmProvider, StructuredRequest, StructuredResult, TextRequest, TextResult } from './types.ts';

/**
 * The `offline` transport provider: deterministic text, no network (the default locally and in
 * tests). Its texts start with "[offline model]". It has no structured output: the guardian and the
 * planner use the offline rules (`createOfflineModel`) instead of a model.
 */
export class OfflineProvider implements LlmProvider {
  readonly name = 'offline' as const;
  readonly model = OFFLINE_MODEL_ID;

  generateStructured<T>(req: StructuredRequest<T>): Promise<StructuredResult<T>> {
    return Promise.reject(
      new ModelCallFailed(`the offline provider has no structured output (${req.schemaName})`, {
        code: 'offline_structured_output',
      }),
    );
  }

  /** A labelled summary of `req.prompt` and `req.inputs` (bookings are listed with their codes). */
  async generateText(req: TextRequest): Promise<TextResult> {
    return offlineTextAnswer(req);
  }
}
