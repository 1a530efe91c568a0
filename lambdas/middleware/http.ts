import type { MiddlewareObj } from '@middy/core';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { HttpError } from '#domain/errors.ts';
import { workflowIdSchema } from '#domain/schemas.ts';
import { logger } from '#middleware/logger.ts';

/*
 * HTTP plumbing shared by the API handlers: JSON responses, the error middleware that turns thrown
 * HttpErrors into the contract's error body, and the caller's identity from the JWT authorizer.
 */

export type ApiEvent = APIGatewayProxyEventV2WithJWTAuthorizer;
/** What our handlers return: always the structured form, never a bare string. */
export type ApiResult = Exclude<APIGatewayProxyResultV2, string>;

const jsonHeaders = { 'content-type': 'application/json', 'cache-control': 'no-store' } as const;

/** A JSON response. */
export function json(statusCode: number, body: unknown, headers: Record<string, string> = {}): ApiResult {
  return { statusCode, headers: { ...jsonHeaders, ...headers }, body: JSON.stringify(body) };
}

/** The contract's error body for an HttpError: `{"error": {code, message, ...details}}`. */
export function errorResponse(error: HttpError): ApiResult {
  return json(
    error.statusCode,
    { error: { code: error.code, message: error.message, ...error.details } },
    error.headers,
  );
}

/**
 * Turns errors into responses: an HttpError into its contract body and headers (e.g. Retry-After),
 * anything else into a 500 `internal_error` that says nothing about the cause (which is logged).
 * Put it last in the chain so it sees every error.
 */
export function httpErrors(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const { error } = request;
      if (error instanceof HttpError) {
        if (error.statusCode >= 500)
          logger.warn('request failed', { status: error.statusCode, code: error.code, error });
        request.response = errorResponse(error);
        return;
      }
      if (isUnavailableError(error)) {
        // E.g. middy's early timeout, or a dependency error no call site wrapped: retryable, so 503.
        logger.warn('request failed on an unavailable dependency', { error });
        request.response = errorResponse(serviceUnavailable(error));
        return;
      }
      logger.error('unhandled error', { error: error ?? undefined });
      request.response = json(500, { error: { code: 'internal_error', message: 'internal error' } });
    },
  };
}

/** The caller's user id: the JWT's `sub`, verified by the authorizer. Missing → 401. */
export function userIdOf(event: ApiEvent): string {
  // The authorizer may be absent on a misconfigured route; do not trust the type to say otherwise.
  const sub: unknown = event.requestContext?.authorizer?.jwt?.claims?.sub;
  if (typeof sub !== 'string' || sub.length === 0) {
    throw new HttpError(401, 'unauthorized', 'missing or invalid token');
  }
  return sub;
}

/** A request header, case-insensitively (API Gateway lowercases names; other callers may not). */
export function headerOf(event: ApiEvent, name: string): string | undefined {
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(event.headers ?? {})) {
    if (key.toLowerCase() === wanted && value !== undefined) return value;
  }
  return undefined;
}

/** A `not_found` error: the same for a missing workflow and for another user's. */
export function notFound(): HttpError {
  return new HttpError(404, 'not_found', 'workflow not found');
}

/** The `{id}` path parameter as a workflow id; a malformed id is a 404 like a missing workflow. */
export function pathWorkflowId(event: ApiEvent): string {
  const id = workflowIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw notFound();
  return id.data;
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

/** Errors that mean "a dependency is briefly unavailable" (throttling, 5xx, network): answer 503. */
export function isUnavailableError(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  const transientNames = new Set([
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
  if (transientNames.has(error.name)) return true;
  const meta: unknown = Reflect.get(error, '$metadata');
  const fault: unknown = Reflect.get(error, '$fault');
  const status = meta && typeof meta === 'object' ? Reflect.get(meta, 'httpStatusCode') : undefined;
  if (fault === 'server' || (typeof status === 'number' && status >= 500)) return true;
  if (Reflect.get(error, '$retryable')) return true;
  // Network failures from the HTTP handler carry a Node error code and no HTTP status.
  const code: unknown = Reflect.get(error, 'code');
  return (
    typeof code === 'string' &&
    [
      'ECONNREFUSED',
      'ECONNRESET',
      'ETIMEDOUT',
      'EPIPE',
      'ENOTFOUND',
      'EAI_AGAIN',
      'EHOSTUNREACH',
      'ENETUNREACH',
    ].includes(code)
  );
}
