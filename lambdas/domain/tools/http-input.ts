import * as z from '#domain/zod.ts';
import { once } from '../once.ts';

/*
 * What a plan may ask of the `http_request` tool: its input schema and the limits the schema and the
 * fetch (lambdas/adapters/http/safe-fetch.ts) share.
 */

const MiB = 1024 * 1024;
export const HTTP_TOOL_LIMITS = {
  maxUrlLength: 2048,
  maxRequestBodyChars: 64 * 1024,
  maxHeaders: 32,
  maxHeaderValueLength: 8192,
  defaultMaxResponseBytes: MiB,
  maxResponseBytesCeiling: 16 * MiB,
  defaultTimeoutMs: 10_000,
  timeoutMsCeiling: 300_000,
  defaultMaxRedirects: 3,
  maxRedirectsCeiling: 10,
  maxResponseHeaderBytes: 16 * 1024,
} as const;

/** Request headers the caller may not set: the client owns framing, routing and encoding. */
const FORBIDDEN_REQUEST_HEADERS = new Set([
  'host',
  'content-length',
  'transfer-encoding',
  'connection',
  'keep-alive',
  'upgrade',
  'te',
  'trailer',
  'expect',
  'proxy-authorization',
  'proxy-connection',
  'accept-encoding',
]);

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Visible ASCII, space, tab and non-ASCII Latin-1 are fine; CR, LF, NUL and other controls are not.
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** Input of the `http_request` tool (the model fills this in). */
export const httpRequestInputSchema = once(() =>
  z
    .object({
      url: z
        .url()
        .check(
          z.maxLength(HTTP_TOOL_LIMITS.maxUrlLength),
          z.describe('Absolute https URL of an allow-listed host'),
        ),
      method: z._default(z.enum(['GET', 'HEAD', 'POST']), 'GET'),
      headers: z.optional(
        z
          .record(
            z.string().check(z.regex(HEADER_NAME, 'not a valid header name'), z.maxLength(64)),
            z
              .string()
              .check(
                z.regex(HEADER_VALUE, 'header values cannot contain control characters'),
                z.maxLength(HTTP_TOOL_LIMITS.maxHeaderValueLength),
              ),
          )
          .check(
            z.refine((h) => Object.keys(h).length <= HTTP_TOOL_LIMITS.maxHeaders, {
              message: `at most ${HTTP_TOOL_LIMITS.maxHeaders} headers`,
            }),
            z.refine(
              (h) => Object.keys(h).every((name) => !FORBIDDEN_REQUEST_HEADERS.has(name.toLowerCase())),
              {
                message: `these headers are set by the client: ${[...FORBIDDEN_REQUEST_HEADERS].join(', ')}`,
              },
            ),
          ),
      ),
      body: z.optional(z.string().check(z.maxLength(HTTP_TOOL_LIMITS.maxRequestBodyChars))),
    })
    .check(
      z.refine((input) => input.body === undefined || input.method === 'POST', {
        message: 'a body is only allowed with POST',
        path: ['body'],
      }),
    ),
);

export type HttpRequestInput = z.input<ReturnType<typeof httpRequestInputSchema>>;
export type HttpRequest = z.output<ReturnType<typeof httpRequestInputSchema>>;
