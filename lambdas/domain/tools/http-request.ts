import { z } from 'zod';
import {
  httpRequestInputSchema,
  InvalidHttpPolicy,
  policyFromEnv,
  type SafeFetchPolicy,
  type SafeFetchResult,
  safeFetch,
} from '#adapters/http/safe-fetch.ts';
import { defineTool, type Tool } from './types.ts';

/**
 * Bytes of response body the tool keeps by default (HTTP_TOOL_MAX_BYTES overrides it). The output is
 * stored as one STATE_TABLE item (DynamoDB items are at most 400 KB) and may be quoted to a model,
 * so it stays small; a longer body is cut and marked `truncated`.
 */
export const HTTP_TOOL_DEFAULT_MAX_BYTES = 64 * 1024;
/** The most HTTP_TOOL_MAX_BYTES may be for this tool: the stored output must fit a DynamoDB item. */
export const HTTP_TOOL_MAX_BYTES_CEILING = 200 * 1024;

export const httpRequestOutputSchema = z.object({
  status: z.number().int(),
  /** Final URL, after redirects. */
  url: z.string(),
  content_type: z.string().nullable(),
  /** The body was cut at the byte limit. */
  truncated: z.boolean(),
  /** The content type is not text (or is compressed): the body was not downloaded. */
  body_omitted: z.boolean(),
  /** Decoded text, at most the byte limit in UTF-8. */
  body: z.string(),
  redirects: z.array(z.string()),
});
export type HttpRequestOutput = z.infer<typeof httpRequestOutputSchema>;

export interface HttpRequestToolOptions {
  /**
   * The fetch policy (allow-list, limits), or a factory called at the first request.
   * @default - `policyFromEnv()` (HTTP_TOOL_ALLOWED_HOSTS, HTTP_TOOL_ALLOW_HTTP, HTTP_TOOL_MAX_BYTES,
   * HTTP_TOOL_TIMEOUT_MS, HTTP_TOOL_MAX_REDIRECTS), read at the first request
   */
  readonly policy?: SafeFetchPolicy | (() => SafeFetchPolicy);
  /** Hosts named in the tool's description for planners. @default - HTTP_TOOL_ALLOWED_HOSTS */
  readonly allowedHostsHint?: readonly string[];
}

/** The policy with the tool's byte limit applied; throws InvalidHttpPolicy above the ceiling. */
export function toolPolicy(policy: SafeFetchPolicy): SafeFetchPolicy {
  const maxResponseBytes = policy.maxResponseBytes ?? HTTP_TOOL_DEFAULT_MAX_BYTES;
  if (maxResponseBytes > HTTP_TOOL_MAX_BYTES_CEILING) {
    throw new InvalidHttpPolicy(
      `HTTP_TOOL_MAX_BYTES must be at most ${HTTP_TOOL_MAX_BYTES_CEILING} for the http_request tool (its output is stored in DynamoDB)`,
    );
  }
  return { ...policy, maxResponseBytes };
}

/** Cuts a decoded body to `maxBytes` of UTF-8 (a non-UTF-8 charset can decode to more bytes than it read). */
function capUtf8(text: string, maxBytes: number): { text: string; cut: boolean } {
  const bytes = Buffer.from(text, 'utf8');
  if (bytes.length <= maxBytes) return { text, cut: false };
  // `stream: true` drops a trailing partial character instead of emitting U+FFFD.
  return { text: new TextDecoder().decode(bytes.subarray(0, maxBytes), { stream: true }), cut: true };
}

export function toOutput(result: SafeFetchResult, maxBytes: number): HttpRequestOutput {
  const body = capUtf8(result.body, maxBytes);
  return {
    status: result.status,
    url: result.url,
    content_type: result.contentType,
    truncated: result.truncated || body.cut,
    body_omitted: result.bodyOmitted,
    body: body.text,
    redirects: result.redirects,
  };
}

const hostsFromEnv = (): string[] =>
  (process.env.HTTP_TOOL_ALLOWED_HOSTS ?? '')
    .split(',')
    .map((host) => host.trim())
    .filter((host) => host !== '');

/**
 * `http_request`: one HTTP exchange through `safeFetch` (allow-listed hosts only, https by default,
 * loopback/private/link-local/metadata addresses blocked after DNS and on every redirect, size and
 * time limits). Any HTTP status is a result, not an error; blocked or malformed requests fail with
 * the named errors of lambdas/adapters/http/errors.ts (not retried), network trouble and 408/429/502/503/504
 * with TransientError (retried).
 *
 * `sideEffect: true` because a POST may change something remote. It has no `compensate` (there is
 * no generic undo for an HTTP request) and it is at-least-once: a retry after a transient failure or
 * a crash before the output was stored sends the request again. GET/HEAD are harmless to repeat.
 */
export function createHttpRequestTool(options: HttpRequestToolOptions = {}): Tool {
  let policy: SafeFetchPolicy | undefined;
  const resolvePolicy = (): SafeFetchPolicy => {
    if (policy === undefined) {
      const given = options.policy;
      policy = toolPolicy(
        given === undefined ? policyFromEnv() : typeof given === 'function' ? given() : given,
      );
    }
    return policy;
  };
  const hosts = options.allowedHostsHint ?? hostsFromEnv();
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
    execute: async (input) => {
      const active = resolvePolicy();
      const result = await safeFetch(input, active);
      return toOutput(result, active.maxResponseBytes ?? HTTP_TOOL_DEFAULT_MAX_BYTES);
    },
    summarize: ({ status, url, content_type, truncated }) => ({ status, url, content_type, truncated }),
  });
}
