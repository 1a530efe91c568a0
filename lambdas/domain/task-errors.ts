import { HttpError, NamedError, TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';

/** A task was invoked with a payload that does not fit its schema: a bug or a tampered input. */
export class InvalidTaskInput extends NamedError {
  constructor(message: string, options?: ErrorOptions) {
    super('InvalidTaskInput', message, options);
  }
}

/** Parses a task's payload; throws InvalidTaskInput (not retried) with zod's readable issues. */
export function parseTaskInput<S extends z.ZodMiniType>(
  schema: S,
  payload: unknown,
  task: string,
): z.infer<S> {
  const parsed = schema.safeParse(payload);
  if (!parsed.success) {
    throw new InvalidTaskInput(
      `${task}: invalid input: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`,
    );
  }
  return parsed.data;
}

/*
 * The error vocabulary of the state machine: a state task fails under one of two names only.
 * - `WorkflowError`: the workflow cannot succeed (a domain error). Every task's Catch takes it to the
 *   saga. The specific code travels in the message, `<Code>: <message>` (Lambda's runtime puts it in
 *   the Cause as `errorMessage`), and `describeStateError` reads it back.
 * - `TransientError`: a dependency was briefly unavailable. Every task's one Retry policy retries it
 *   (with the Lambda service's own errors, `STATE_RETRIED_ERRORS`); once the retries are spent it is
 *   not caught, so the execution fails and stays redrivable.
 * Anything else is a bug: neither retried nor caught.
 */

/** The one name a domain error reaches Step Functions under (the ASL's Catch). */
export const WORKFLOW_ERROR = 'WorkflowError';

/** A domain error as Step Functions sees it: `code` is the original error's name. */
export class WorkflowError extends NamedError {
  readonly code: string;

  constructor(code: string, message: string, options?: ErrorOptions) {
    super(WORKFLOW_ERROR, `${code}: ${message}`, options);
    this.code = code;
  }
}

/** Error names the ASL's one Retry policy retries, on every task but the rollback (which retries all). */
export const STATE_RETRIED_ERRORS: readonly string[] = [
  'TransientError',
  // AWS's recommended block for Lambda tasks (the service, not the function, failed).
  'Lambda.ServiceException',
  'Lambda.AWSLambdaException',
  'Lambda.SdkClientException',
  'Lambda.ClientExecutionTimeoutException',
  'Lambda.TooManyRequestsException',
  // A function killed by its sandbox: past its timeout or out of memory. Step Functions reports both
  // as `Lambda.Unknown` for `lambda:invoke` tasks, the Lambda API as `Sandbox.Timedout`.
  'Lambda.Unknown',
  'Sandbox.Timedout',
];

/** `Code: message`, the way a WorkflowError's message (or a SendTaskFailure's cause) carries its code. */
const CODED_MESSAGE = /^([A-Za-z][A-Za-z0-9_.]*): ([\s\S]*)$/;

/** The code and message of a WorkflowError's message; undefined when it carries no code. */
export function parseWorkflowErrorMessage(text: string): { code: string; message: string } | undefined {
  const match = CODED_MESSAGE.exec(text);
  return match?.[1] && match[2] !== undefined ? { code: match[1], message: match[2] } : undefined;
}

/** The `error` and `cause` of a SendTaskFailure that fails a callback task with a domain error. */
export function taskFailure(code: string, message: string): { error: string; cause: string } {
  return { error: WORKFLOW_ERROR, cause: `${code}: ${message}` };
}

/**
 * SDK service errors that mean "briefly unavailable" by their name alone (the tasks of older versions
 * failed under these names; now they become TransientError).
 */
export const TRANSIENT_ERROR_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'InternalServerError',
  'ServiceUnavailable',
]);

/** Every name that means "briefly unavailable": the SDK's throttling and 5xx names, timeouts, aborts. */
const UNAVAILABLE_NAMES: ReadonlySet<string> = new Set([
  ...TRANSIENT_ERROR_NAMES,
  'TransientError',
  'Throttling',
  'TooManyRequestsException',
  'ServiceUnavailableException',
  'InternalFailure',
  'InternalServerException',
  'LimitExceededException',
  'ExecutionLimitExceeded',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'NetworkingError',
  'AbortError',
]);

/** Network failures from the HTTP handler carry a Node error code and no HTTP status. */
const NETWORK_ERROR_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * The one answer to "was a dependency briefly unavailable?" (throttling, a server-side fault or 5xx,
 * an SDK error marked retryable, a network error): a state task retries it (`asRetryable`), an API
 * route answers 503 (`isUnavailableError`).
 */
export function isTransientFailure(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (UNAVAILABLE_NAMES.has(error.name)) return true;
  const meta: unknown = Reflect.get(error, '$metadata');
  const status = meta && typeof meta === 'object' ? Reflect.get(meta, 'httpStatusCode') : undefined;
  if (Reflect.get(error, '$fault') === 'server' || (typeof status === 'number' && status >= 500)) return true;
  if (Reflect.get(error, '$retryable')) return true;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' && NETWORK_ERROR_CODES.has(code);
}

/**
 * A retryable error as the ASL sees it: a TransientError (as is, or wrapping a transient failure, its
 * name first in the message); anything else is `undefined` (a domain error or a bug: not retried).
 */
export function asRetryable(error: unknown): TransientError | undefined {
  if (error instanceof TransientError) return error;
  if (!(error instanceof Error)) return undefined;
  if (error.name === 'TransientError') return new TransientError(error.message, { cause: error });
  return isTransientFailure(error)
    ? new TransientError(`${error.name}: ${error.message}`, { cause: error })
    : undefined;
}

/**
 * What a state task's error becomes for Step Functions: a domain error (a NamedError other than
 * TransientError and HttpError) → WorkflowError with its code; a transient failure → TransientError;
 * anything else (a bug) unchanged. The original stack stays, so the Cause's trace shows the real site.
 */
export function toStateError(error: unknown): unknown {
  if (error instanceof WorkflowError || error instanceof TransientError) return error;
  if (error instanceof NamedError && !(error instanceof HttpError)) {
    const mapped = new WorkflowError(error.name, error.message, { cause: error });
    if (error.stack) mapped.stack = error.stack;
    return mapped;
  }
  return asRetryable(error) ?? error;
}

/** `{code, message}` of an error, for events (the name is the code). */
export function errorSummary(error: unknown): { code: string; message: string } {
  if (error instanceof Error) return { code: error.name, message: error.message.slice(0, 500) };
  return { code: 'Error', message: String(error).slice(0, 500) };
}
