import {
  HTTP_TOOL_DEFAULT_MAX_BYTES,
  HTTP_TOOL_MAX_BYTES_CEILING,
  type HttpFetch,
  type HttpRequestOutput,
} from '#domain/tools/http-request.ts';
import { InvalidHttpPolicy } from './errors.ts';
import { type SafeFetchPolicy, type SafeFetchResult, safeFetch } from './safe-fetch.ts';

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

/**
 * The `http_request` tool's fetch port: `safeFetch` under the policy (or the policy a factory builds
 * at the first request, so a bad policy fails the tool's steps, not the function's cold start), with
 * the tool's byte limit.
 */
export function httpToolFetch(policy: SafeFetchPolicy | (() => SafeFetchPolicy)): HttpFetch {
  let active: SafeFetchPolicy | undefined;
  return async (request) => {
    active ??= toolPolicy(typeof policy === 'function' ? policy() : policy);
    const result = await safeFetch(request, active);
    return toOutput(result, active.maxResponseBytes ?? HTTP_TOOL_DEFAULT_MAX_BYTES);
  };
}
