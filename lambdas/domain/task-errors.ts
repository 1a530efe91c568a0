import { z } from 'zod';
import { NamedError, TransientError } from '#domain/errors.ts';

/** A task was invoked with a payload that does not fit its schema: a bug or a tampered input. */
export class InvalidTaskInput extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidTaskInput', message, options);
  }
}

/** Parses a task's payload; throws InvalidTaskInput (not retried) with zod's readable issues. */
export function parseTaskInput<S extends z.ZodType>(schema: S, payload: unknown, task: string): z.infer<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new InvalidTaskInput(
      `${task}: invalid input: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`,
    );
  }
  return parsed.data;
}

/** Error names the ASL retries (keep in step with the Retry blocks of statemachines/workflow.asl.json). */
export const RETRIED_ERROR_NAMES: ReadonlySet<string> = new Set([
  'TransientError',
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

const NETWORK_ERROR_NAMES = new Set(['TimeoutError', 'NetworkingError', 'AbortError']);
const NETWORK_ERROR_CODES = new Set(['ECONNRESET', 'ECONNREFUSED', 'ETIMEDOUT', 'EPIPE', 'EAI_AGAIN']);

/**
 * A retryable error as the ASL sees it: names it retries pass through, other transient failures (SDK
 * errors marked retryable or server-side, network errors) become TransientError; anything else is
 * `undefined` (a domain error or a bug: not retried).
 */
export function asRetryable(error: unknown): Error | undefined {
  if (!(error instanceof Error)) return undefined;
  if (RETRIED_ERROR_NAMES.has(error.name)) return error;
  const sdk = z
    .object({
      $retryable: z.unknown().optional(),
      $fault: z.string().optional(),
      code: z.string().optional(),
    })
    .safeParse(error);
  const transient =
    NETWORK_ERROR_NAMES.has(error.name) ||
    (sdk.success &&
      (sdk.data.$retryable !== undefined ||
        sdk.data.$fault === 'server' ||
        (sdk.data.code !== undefined && NETWORK_ERROR_CODES.has(sdk.data.code))));
  return transient ? new TransientError(`${error.name}: ${error.message}`, { cause: error }) : undefined;
}

/** `{code, message}` of an error, for events (the name is the code). */
export function errorSummary(error: unknown): { code: string; message: string } {
  if (error instanceof Error) return { code: error.name, message: error.message.slice(0, 500) };
  return { code: 'Error', message: String(error).slice(0, 500) };
}
