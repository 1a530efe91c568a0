import * as z from '#domain/zod.ts';
import { type HttpRequestInput, httpRequestInputSchema } from './http-input.ts';
import { defineTool, type Tool } from './types.ts';

/**
 * Bytes of response body the tool keeps by default (HTTP_TOOL_MAX_BYTES overrides it). The output is
 * stored as one STATE_TABLE item (DynamoDB items are at most 400 KB) and may be quoted to a model,
 * so it stays small; a longer body is cut and marked `truncated`.
 */
export const HTTP_TOOL_DEFAULT_MAX_BYTES = 64 * 1024;
/** The most HTTP_TOOL_MAX_BYTES may be for this tool: the stored output must fit a DynamoDB item. */
export const HTTP_TOOL_MAX_BYTES_CEILING = 200 * 1024;

export const httpRequestOutputSchema = z.lazy(() =>
  z.object({
    status: z.number().check(z.int()),
    /** Final URL, after redirects. */
    url: z.string(),
    content_type: z.nullable(z.string()),
    /** The body was cut at the byte limit. */
    truncated: z.boolean(),
    /** The content type is not text (or is compressed): the body was not downloaded. */
    body_omitted: z.boolean(),
    /** Decoded text, at most the byte limit in UTF-8. */
    body: z.string(),
    redirects: z.array(z.string()),
  }),
);
export type HttpRequestOutput = z.infer<typeof httpRequestOutputSchema>;

/**
 * The port `http_request` sends its request through: one HTTP exchange under the deployment's
 * policy (lambdas/adapters/http/tool-fetch.ts), its answer cut to the tool's byte limit.
 */
export type HttpFetch = (request: HttpRequestInput) => Promise<HttpRequestOutput>;

export interface HttpRequestToolPorts {
  readonly fetch: HttpFetch;
  /** Hosts named in the tool's description for planners: the allow-list the fetch enforces. */
  readonly allowedHosts: readonly string[];
}

/**
 * `http_request`: one HTTP exchange through the fetch port (allow-listed hosts only, https by
 * default, loopback/private/link-local/metadata addresses blocked after DNS and on every redirect,
 * size and time limits). Any HTTP status is a result, not an error; blocked or malformed requests
 * fail with the named errors of lambdas/adapters/http/errors.ts (not retried), network trouble and
 * 408/429/502/503/504 with TransientError (retried).
 *
 * `sideEffect: true` because a POST may change something remote. It has no `compensate` (there is
 * no generic undo for an HTTP request) and it is at-least-once: a retry after a transient failure or
 * a crash before the output was stored sends the request again. GET/HEAD are harmless to repeat.
 */
export function createHttpRequestTool(ports: HttpRequestToolPorts): Tool {
  const hosts = ports.allowedHosts;
  const hostText =
    hosts.length > 0
      ? `Allowed hosts: ${hosts.slice(0, 20).join(', ')}.`
      : 'No hosts are allowed in this deployment, so every request fails: do not use this tool.';
  return defineTool({
    name: 'http_request',
    description:
      'Sends one HTTP request (GET, HEAD, or POST with a text body) to an https URL on the allow-list and ' +
      `returns status, final URL, content type and the text body (cut at about ${HTTP_TOOL_DEFAULT_MAX_BYTES / 1024} KiB). ` +
      `${hostText} Use GET to read; a POST may be sent more than once and is never undone.`,
    sideEffect: true,
    input: httpRequestInputSchema,
    output: httpRequestOutputSchema,
    execute: (input) => ports.fetch(input),
    summarize: ({ status, url, content_type, truncated }) => ({ status, url, content_type, truncated }),
  });
}
