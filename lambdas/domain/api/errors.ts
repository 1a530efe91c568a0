import { HttpError } from '../errors.ts';
import { isTransientFailure } from '../task-errors.ts';

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

/** Errors that mean "a dependency is briefly unavailable" (throttling, 5xx, network): answer 503. */
export const isUnavailableError = isTransientFailure;
