import middy, { type MiddlewareObj } from '@middy/core';
import httpErrorHandler from '@middy/http-error-handler';
import httpJsonBodyParser from '@middy/http-json-body-parser';
import type { APIGatewayProxyEventV2WithJWTAuthorizer, APIGatewayProxyResultV2 } from 'aws-lambda';
import { logger } from '#adapters/logger.ts';
import type { ErrorBody } from '#domain/api/bodies.ts';
import { invalidRequest, isUnavailableError, notFound, serviceUnavailable } from '#domain/api/errors.ts';
import { HttpError } from '#domain/errors.ts';
import { workflowIdSchema } from '#domain/schemas.ts';
import type * as z from '#domain/zod.ts';
import { correlated } from '#middleware/correlation.ts';

/*
 * HTTP plumbing shared by the API handlers, in chain order: correlation ids, errors as the contract's
 * body, the caller authenticated, and (routes with a body) the JSON body read and checked. Handlers
 * never build error bodies: they (and the use cases) throw HttpErrors.
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
export function errorBody(error: HttpError): ErrorBody {
  return { error: { code: error.code, message: error.message, ...error.details } };
}

/** An HttpError as a response (the error middleware's answer; tests that call use cases use it too). */
export function errorResponse(error: HttpError): ApiResult {
  return json(error.statusCode, errorBody(error), error.headers);
}

/** The caller's user id: the JWT's `sub`, verified by the authorizer; undefined when missing. */
function subOf(event: ApiEvent): string | undefined {
  // The authorizer may be absent on a misconfigured route; do not trust the type to say otherwise.
  const sub: unknown = event?.requestContext?.authorizer?.jwt?.claims?.sub;
  return typeof sub === 'string' && sub.length > 0 ? sub : undefined;
}

/** The caller's user id. Missing → 401 (`authenticated()` checks it first in the chain). */
export function userIdOf(event: ApiEvent): string {
  const sub = subOf(event);
  if (sub === undefined) throw new HttpError(401, 'unauthorized', 'missing or invalid token');
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

/** The `{id}` path parameter as a workflow id; a malformed id is a 404 like a missing workflow. */
export function pathWorkflowId(event: ApiEvent): string {
  const id = workflowIdSchema.safeParse(event.pathParameters?.id);
  if (!id.success) throw notFound();
  return id.data;
}

/** The caller and the workflow of a `/workflows/{id}/...` route. */
export const workflowRequest = (event: ApiEvent) => ({
  userId: userIdOf(event),
  workflowId: pathWorkflowId(event),
});

/**
 * The JSON body (parsed by `jsonBody()`) checked against its schema; a mismatch is a 400 with its
 * issues, and so is a body that was not JSON: the parser's refusal waits until the body is read, so
 * a route may answer 404 for another user's workflow whatever the body.
 */
export function bodyOf<S extends z.ZodMiniType>(event: ApiEvent, schema: S): z.output<S> {
  const refusal = unparsable.get(event);
  if (refusal !== undefined) throw refusal;
  const body = schema.safeParse((event as { readonly body?: unknown }).body);
  if (!body.success) throw invalidRequest('the body does not match the schema', body.error.issues);
  return body.data;
}

/**
 * The chain's head for every API route: Powertools' context plus the correlation ids (the path's
 * workflow, the caller hashed), set once per invocation. The producer adds the new workflow's id.
 */
export const correlatedApi = () =>
  correlated<ApiEvent>((event) => ({ workflowId: event.pathParameters?.id, userId: subOf(event) }));

/**
 * Errors as the contract's answers. `@middy/http-error-handler` renders the response (status,
 * headers such as Retry-After, body); it sends `error.message` as the body, so the small piece in
 * front of it (`contractErrors`) shapes every error first: an HttpError into its contract body, a
 * dependency outage into 503, the JSON parser's refusal into 400, anything else into a 500
 * `internal_error` that says nothing about the cause (which is logged). Use it right after
 * `correlatedApi()` so it sees every error.
 */
export const apiErrors = (): MiddlewareObj<ApiEvent, ApiResult>[] => [
  httpErrorHandler({ logger: false }) as MiddlewareObj<ApiEvent, ApiResult>,
  contractErrors(),
];

function contractErrors(): MiddlewareObj<ApiEvent, ApiResult> {
  return {
    onError: (request) => {
      const error = asHttpError(request.error);
      const body: ErrorBody = error
        ? errorBody(error)
        : { error: { code: 'internal_error', message: 'internal error' } };
      if (error === undefined) logger.error('unhandled error', { error: request.error ?? undefined });
      else if (error.statusCode >= 500)
        logger.warn('request failed', { status: error.statusCode, code: error.code, error });
      request.error = Object.assign(new Error(JSON.stringify(body)), {
        statusCode: error?.statusCode ?? 500,
        // The body is the contract's and safe to show, a 500's included (it names no cause).
        expose: true,
        headers: { 'cache-control': 'no-store', ...error?.headers },
      });
    },
  };
}

/**
 * An error as the HttpError it answers with; undefined for an unexpected one (a 500). Retryable
 * dependency errors no call site wrapped (e.g. middy's early timeout) are 503.
 */
export function asHttpError(error: unknown): HttpError | undefined {
  if (error instanceof HttpError) return error;
  if (isJsonParserRefusal(error)) return new HttpError(400, 'invalid_request', 'the body is not valid JSON');
  if (isUnavailableError(error)) return serviceUnavailable(error);
  return undefined;
}

// @middy/http-json-body-parser refuses a malformed body with a 415; the contract says 400.
const isJsonParserRefusal = (error: unknown): boolean =>
  error instanceof Error && Reflect.get(Object(error.cause), 'package') === '@middy/http-json-body-parser';

type ApiMiddleware = MiddlewareObj<ApiEvent, ApiResult>;

/**
 * The chain of every API route, before its own middlewares and handler: correlation ids, then
 * `outer` (e.g. the metrics flush, which must run after the error became a response), the error
 * middleware, `inner` (e.g. metering, which sees each error as thrown), and the 401 check.
 */
export function apiRoute(
  options: { readonly outer?: ApiMiddleware[]; readonly inner?: ApiMiddleware[] } = {},
) {
  return middy<ApiEvent, ApiResult>()
    .use(correlatedApi())
    .use(options.outer ?? [])
    .use(apiErrors())
    .use(options.inner ?? [])
    .use(authenticated());
}

/** 401 before anything else looks at the request. */
export const authenticated = (): MiddlewareObj<ApiEvent, ApiResult> => ({
  before: (request) => {
    userIdOf(request.event);
  },
});

// The content type is ours to check (above). `disableContentTypeCheck` is in the parser's code and
// docs but missing from its .d.ts (6.4.5): passed as a variable, not a literal, for the compiler.
const parserOptions = { disableContentTypeCheck: true, disableContentTypeError: false };

/** Events whose body the parser refused, with its refusal (thrown when the body is read). */
const unparsable = new WeakMap<ApiEvent, unknown>();

/**
 * A JSON body, parsed by `@middy/http-json-body-parser`; `bodyOf()` reads it. With `maxBytes`, the
 * body must also be `Content-Type: application/json` (415) and at most `maxBytes` (413), checked
 * here rather than by the parser, whose check is case-sensitive and also admits `application/*+json`:
 * the contract's 415 stays exactly what it was. Without it neither is checked (the approval signal
 * never checked them).
 */
export function jsonBody(options: { readonly maxBytes?: number } = {}): ApiMiddleware[] {
  const { maxBytes } = options;
  const checks: ApiMiddleware = {
    before: ({ event }) => {
      const contentType = headerOf(event, 'content-type');
      if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
        throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
      }
      const bytes = Buffer.byteLength(event.body ?? '', event.isBase64Encoded ? 'base64' : 'utf8');
      if (maxBytes !== undefined && bytes > maxBytes) {
        throw new HttpError(413, 'payload_too_large', `the body must be at most ${maxBytes} bytes`);
      }
    },
  };
  const parse = httpJsonBodyParser<ApiEvent>(parserOptions).before;
  const parser: ApiMiddleware = {
    before: async (request) => {
      try {
        await parse?.(request);
      } catch (error) {
        unparsable.set(request.event, error);
      }
    },
  };
  return maxBytes === undefined ? [parser] : [checks, parser];
}
