import { HttpError } from '../errors.ts';

/*
 * The HTTP API's error vocabulary, pure: the refusals the use cases and the API plumbing throw. The
 * error middleware (lambdas/middleware/http.ts) renders them as the contract's error body.
 */

/** A validation issue of a 400 `invalid_request`. */
export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

/** `400 invalid_request`, listing what is wrong. */
export function invalidRequest(message: string, issues: readonly Issue[]): HttpError {
  return new HttpError(400, 'invalid_request', message, {
    details: { issues: issues.map(({ path, message }) => ({ path: path.map(String), message })) },
  });
}

/** A `not_found` error: the same for a missing workflow and for another user's. */
export function notFound(): HttpError {
  return new HttpError(404, 'not_found', 'workflow not found');
}

/**
 * The `503 service_unavailable` answer, with `Retry-After`; `details` adds fields to the error body
 * (e.g. the id of a workflow that may have started).
 */
export function serviceUnavailable(
  cause: unknown,
  options: { readonly retryAfterSeconds?: number; readonly details?: Record<string, unknown> } = {},
): HttpError {
  return new HttpError(
    503,
    'service_unavailable',
    'the orchestrator is temporarily unavailable, retry later',
    {
      headers: { 'Retry-After': String(options.retryAfterSeconds ?? 2) },
      cause,
      ...(options.details ? { details: options.details } : {}),
    },
  );
}

/** Runs an I/O call; a dependency that is briefly unavailable becomes a 503, anything else propagates. */
export async function unavailableAs503<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (isUnavailableError(error)) throw serviceUnavailable(error);
    throw error;
  }
}

const TRANSIENT_NAMES: ReadonlySet<string> = new Set([
  'TransientError',
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'ServiceUnavailable',
  'ServiceUnavailableException',
  'InternalServerError',
  'InternalFailure',
  'InternalServerException',
  'LimitExceededException',
  'ExecutionLimitExceeded',
  'TimeoutError',
  'RequestTimeout',
  'RequestTimeoutException',
  'AbortError',
]);

/** Network failures from the HTTP handler carry a Node error code and no HTTP status. */
const NETWORK_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EPIPE',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/** Errors that mean "a dependency is briefly unavailable" (throttling, 5xx, network): answer 503. */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (TRANSIENT_NAMES.has(error.name)) return true;
  const meta: unknown = Reflect.get(error, '$metadata');
  const fault: unknown = Reflect.get(error, '$fault');
  const status = meta && typeof meta === 'object' ? Reflect.get(meta, 'httpStatusCode') : undefined;
  if (fault === 'server' || (typeof status === 'number' && status >= 500)) return true;
  if (Reflect.get(error, '$retryable')) return true;
  const code: unknown = Reflect.get(error, 'code');
  return typeof code === 'string' && NETWORK_CODES.has(code);
}
