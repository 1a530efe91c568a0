import { NamedError } from '#domain/errors.ts';
import type { ModelUsage } from './types.ts';

/** One reason an answer was rejected: a JSON path into the answer and a message a model can act on. */
export interface OutputIssue {
  path: (string | number)[];
  message: string;
  code?: string;
}

/** Why an answer was rejected. */
export type OutputInvalidReason =
  /** The answer is not JSON, or no tool was called. */
  | 'not_json'
  | 'no_tool_use'
  /** The answer is JSON but does not fit the schema. */
  | 'schema_mismatch'
  /** The answer was cut off at the token limit. */
  | 'max_tokens'
  /** The answer is empty. */
  | 'empty'
  /** The model or a content filter refused to answer: asking again will not help. */
  | 'refused'
  /** The prompt does not fit the model's context window: a longer repair prompt will not help. */
  | 'context_exceeded';

const UNREPAIRABLE: ReadonlySet<OutputInvalidReason> = new Set(['refused', 'context_exceeded']);

/**
 * The model answered, but not in the requested shape. Carries the issues so the caller can re-prompt
 * once with them (`withRepair`). Not retryable by Step Functions: the same prompt would fail again.
 */
export class ModelOutputInvalid extends NamedError {
  readonly reason: OutputInvalidReason;
  readonly issues: OutputIssue[];
  /** The rejected answer (JSON or text), for the repair prompt. */
  readonly raw: string | undefined;
  /** What the failed call(s) cost, so the caller can still record it. */
  readonly usage: ModelUsage | undefined;

  constructor(
    message: string,
    opts: {
      reason: OutputInvalidReason;
      issues?: OutputIssue[];
      raw?: string;
      usage?: ModelUsage;
      cause?: unknown;
    },
  ) {
    super('ModelOutputInvalid', message, { cause: opts.cause });
    this.reason = opts.reason;
    this.issues = opts.issues ?? [{ path: [], message, code: opts.reason }];
    this.raw = opts.raw;
    this.usage = opts.usage;
  }

  /** Whether re-prompting with the issues can plausibly help. */
  get repairable(): boolean {
    return !UNREPAIRABLE.has(this.reason);
  }
}

/**
 * The provider refused the call for a reason retrying will not fix: access denied, invalid request,
 * unknown model, bad API key. Not retryable: the workflow fails (and compensates).
 */
export class ModelCallFailed extends NamedError {
  /** The provider's error name or HTTP status, e.g. 'AccessDeniedException' or 'http_400'. */
  readonly code: string;

  constructor(message: string, opts: { code: string; cause?: unknown }) {
    super('ModelCallFailed', message, { cause: opts.cause });
    this.code = opts.code;
  }
}

/** Shortens provider messages for error messages (they end up in the execution history). */
export function clip(text: string, max = 300): string {
  return text.length <= max ? text : `${text.slice(0, max)}…`;
}
