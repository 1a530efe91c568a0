import type { LookupAddress } from 'node:dns';
import type { IncomingHttpHeaders, IncomingMessage } from 'node:http';
import { isIP, type LookupFunction } from 'node:net';
import { InvalidStepInput, NamedError, TransientError } from '#domain/errors.ts';
import { HTTP_TOOL_LIMITS, type HttpRequestInput, httpRequestInputSchema } from '#domain/tools/http-input.ts';
import { classifyAddress } from './address-policy.ts';
import { type HostRule, hostAllowed, normalizeHostname, parseAllowEntry } from './allow-list.ts';
import {
  AddressBlocked,
  FetchFailed,
  HostNotAllowed,
  HostNotFound,
  InsecureScheme,
  InvalidHttpPolicy,
  InvalidUrl,
  TooManyRedirects,
} from './errors.ts';

// These builtins as their CommonJS exports (process.getBuiltinModule), not ES imports: an ES import
// of a builtin reads every export once, and node:http's WebSocket, CloseEvent and MessageEvent
// getters load undici, tls's rootCertificates getter parses the root store (only needed with extra
// CAs, below). Measured: 14 ms of the step's cold import, for nothing the fetch uses. TextDecoder is
// the global one.
const dns = process.getBuiltinModule('node:dns');
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/**
 * The network core of the `http_request` tool: an HTTP client that only talks to allow-listed
 * public hosts (the SSRF defence).
 *
 * Per hop (the request and every redirect), in this order:
 *  1. scheme must be https (http only with `allowHttp`) → `InsecureScheme`;
 *     no `user:pass@` in the URL → `InvalidUrl`;
 *  2. an IP literal host is checked against the blocked ranges first, with no exemption → `AddressBlocked`;
 *  3. host and port must match the allow-list (see allow-list.ts) → `HostNotAllowed`;
 *  4. the name is resolved ONCE with `policy.resolve`; if ANY answer is blocked → `AddressBlocked`
 *     (see address-policy.ts for the ranges);
 *  5. the connection goes to the vetted addresses only: node:http(s) gets a `lookup` that returns
 *     them, so there is no second DNS query to rebind (TOCTOU), while Host, SNI and certificate
 *     checks still use the hostname.
 * Redirects are followed by hand (at most `maxRedirects`). 303 (and 301/302 after POST) become GET
 * without body; on an origin change Authorization, Cookie, Proxy-Authorization and key/token-like
 * headers are dropped. `timeoutMs` bounds the whole exchange, redirects and body included.
 *
 * Response body: only text-ish content types (text/*, JSON, XML, JavaScript, YAML, CSV, form data,
 * `+json`/`+xml`) are read and decoded; other types, or a non-identity Content-Encoding, return the
 * metadata only (`bodyOmitted: true`, the body is never downloaded). Past `maxResponseBytes` the
 * stream is cut and the result is marked `truncated: true` (the model gets the head of a long page
 * rather than nothing).
 *
 * Retryable (`TransientError`): DNS temporary failures, connection refused/reset/timed out/unreachable,
 * the total timeout, and upstream 408/429/502/503/504. Everything else is a non-retryable named error
 * (errors.ts) or a normal result (any other status, including 4xx/500, is returned to the caller).
 * Note that a POST is retried on those too, so a POST is at-least-once, like every other step.
 *
 * Not supported on purpose: HTTP proxies (a proxy would resolve the name itself and undo the pinning),
 * compressed responses (Accept-Encoding is forced to identity), connection reuse (one socket per hop).
 * A policy object is validated once and cached by identity: treat it as immutable.
 */

export {
  HTTP_TOOL_LIMITS,
  type HttpRequest,
  type HttpRequestInput,
  httpRequestInputSchema,
} from '#domain/tools/http-input.ts';

export interface ResolvedAddress {
  readonly address: string;
  readonly family: 4 | 6;
}
export type Resolver = (host: string) => Promise<readonly ResolvedAddress[]>;

/** Where and how the tool may fetch. Build it with {@link httpToolPolicy} in production. */
export interface SafeFetchPolicy {
  /** Exact hosts or `*.example.com`, optionally with `:port` (see allow-list.ts). Empty = nothing allowed. */
  readonly allowedHosts: readonly string[];
  /** Allow plain http. @default false (https only) */
  readonly allowHttp?: boolean;
  /** Bytes of body kept; the rest is cut off and the result marked truncated. @default 1 MiB */
  readonly maxResponseBytes?: number;
  /** Total time for the whole exchange, redirects and body included. @default 10 000 ms */
  readonly timeoutMs?: number;
  /** @default 3 */
  readonly maxRedirects?: number;
  /**
   * TESTS ONLY. Lets allow-listed *names* resolve to loopback/private/documentation addresses.
   * IP literals in URLs, link-local, metadata, multicast and reserved addresses stay blocked.
   * @default false
   */
  readonly allowPrivateAddresses?: boolean;
  /** DNS, injectable for tests. @default dns.promises.lookup(host, { all: true, order: 'verbatim' }) */
  readonly resolve?: Resolver;
  /** Extra trusted CA certificates (PEM), added to Node's bundled roots: a private PKI, or tests. */
  readonly extraCaCertificates?: readonly string[];
}

export interface SafeFetchOptions {
  /** Aborts the exchange (e.g. when the Lambda runs out of time); the abort reason is rethrown. */
  readonly signal?: AbortSignal;
}

export interface SafeFetchResult {
  /** Final URL (after redirects). */
  readonly url: string;
  readonly status: number;
  /** A safe subset of the response headers (no Set-Cookie, no server internals). */
  readonly headers: Record<string, string>;
  readonly contentType: string | null;
  /** Decoded text; '' for HEAD and when `bodyOmitted`. */
  readonly body: string;
  /** True when the content type is not text (or is compressed): the body was not downloaded. */
  readonly bodyOmitted: boolean;
  /** True when the body was cut at `maxResponseBytes`. */
  readonly truncated: boolean;
  /** Each redirect target in order (the last one is `url`); empty without redirects. */
  readonly redirects: string[];
}

interface CompiledPolicy {
  readonly rules: readonly HostRule[];
  readonly allowHttp: boolean;
  readonly maxResponseBytes: number;
  readonly timeoutMs: number;
  readonly maxRedirects: number;
  readonly allowPrivateAddresses: boolean;
  readonly resolve: Resolver;
  readonly ca: readonly string[] | undefined;
}

const defaultResolve: Resolver = async (host) => {
  const answers = await dns.promises.lookup(host, { all: true, order: 'verbatim' });
  return answers.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};

const compiled = new WeakMap<SafeFetchPolicy, CompiledPolicy>();

function intInRange(name: string, value: number | undefined, fallback: number, min: number, max: number) {
  const v = value ?? fallback;
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new InvalidHttpPolicy(`${name} must be an integer in [${min}, ${max}]`);
  }
  return v;
}

/** Validates a policy once (allow-list syntax, limits); throws {@link InvalidHttpPolicy}. */
export function compilePolicy(policy: SafeFetchPolicy): CompiledPolicy {
  const cached = compiled.get(policy);
  if (cached) return cached;
  const result: CompiledPolicy = {
    rules: policy.allowedHosts.map(parseAllowEntry),
    allowHttp: policy.allowHttp === true,
    maxResponseBytes: intInRange(
      'maxResponseBytes',
      policy.maxResponseBytes,
      HTTP_TOOL_LIMITS.defaultMaxResponseBytes,
      1,
      HTTP_TOOL_LIMITS.maxResponseBytesCeiling,
    ),
    timeoutMs: intInRange(
      'timeoutMs',
      policy.timeoutMs,
      HTTP_TOOL_LIMITS.defaultTimeoutMs,
      1,
      HTTP_TOOL_LIMITS.timeoutMsCeiling,
    ),
    maxRedirects: intInRange(
      'maxRedirects',
      policy.maxRedirects,
      HTTP_TOOL_LIMITS.defaultMaxRedirects,
      0,
      HTTP_TOOL_LIMITS.maxRedirectsCeiling,
    ),
    allowPrivateAddresses: policy.allowPrivateAddresses === true,
    resolve: policy.resolve ?? defaultResolve,
    ca: policy.extraCaCertificates?.length
      ? [...process.getBuiltinModule('node:tls').rootCertificates, ...policy.extraCaCertificates]
      : undefined,
  };
  compiled.set(policy, result);
  return result;
}

/** The deployment's http_request settings, as lambdas/middleware/env.ts names and parses them. */
export interface HttpToolSettings {
  /** Empty = every request is refused (fail closed). */
  readonly HTTP_TOOL_ALLOWED_HOSTS: readonly string[];
  readonly HTTP_TOOL_ALLOW_HTTP: boolean;
  readonly HTTP_TOOL_MAX_BYTES?: number | undefined;
  readonly HTTP_TOOL_TIMEOUT_MS?: number | undefined;
  readonly HTTP_TOOL_MAX_REDIRECTS?: number | undefined;
}

/**
 * The production policy from the deployment's settings: never enables private addresses or a custom
 * resolver. Throws InvalidHttpPolicy on a bad allow-list entry or a limit out of range.
 */
export function httpToolPolicy(settings: HttpToolSettings): SafeFetchPolicy {
  const policy: SafeFetchPolicy = {
    allowedHosts: [...settings.HTTP_TOOL_ALLOWED_HOSTS],
    allowHttp: settings.HTTP_TOOL_ALLOW_HTTP,
    maxResponseBytes: settings.HTTP_TOOL_MAX_BYTES,
    timeoutMs: settings.HTTP_TOOL_TIMEOUT_MS,
    maxRedirects: settings.HTTP_TOOL_MAX_REDIRECTS,
  };
  compilePolicy(policy);
  return policy;
}

// --- one hop ------------------------------------------------------------------------------------

interface VettedHop {
  readonly url: URL;
  readonly hostname: string;
  readonly port: number;
  readonly literal: boolean;
  readonly addresses: readonly ResolvedAddress[];
}

const defaultPortOf = (url: URL) => (url.protocol === 'https:' ? 443 : 80);

/** Checks one URL against the policy and resolves it once. Throws the named error of the first failed check. */
async function vetHop(url: URL, policy: CompiledPolicy, signal: AbortSignal): Promise<VettedHop> {
  // DNS names end at 253 characters; checking first also keeps every error message short.
  if (url.hostname.length > 255) throw new InvalidUrl('host name too long');
  if (!(url.protocol === 'https:' || (url.protocol === 'http:' && policy.allowHttp))) {
    throw new InsecureScheme(
      url.protocol === 'http:'
        ? `plain http is not allowed (host ${url.hostname}); use https`
        : `scheme ${url.protocol.slice(0, 20)} is not supported; use https`,
    );
  }
  if (url.username !== '' || url.password !== '') {
    throw new InvalidUrl(`credentials in the URL are not allowed (host ${url.hostname})`);
  }
  const hostname = normalizeHostname(url.hostname);
  const literalFamily = isIP(hostname);
  if (literalFamily !== 0) {
    // Literals never get the test exemption: "http://127.0.0.1/" is refused whatever the policy says.
    const verdict = classifyAddress(hostname);
    if (verdict.blocked) throw new AddressBlocked(`address ${url.hostname} is blocked: ${verdict.reason}`);
  }
  const port = url.port === '' ? defaultPortOf(url) : Number(url.port);
  if (!hostAllowed(policy.rules, hostname, port, defaultPortOf(url))) {
    throw new HostNotAllowed(
      `host ${url.host} is not on the allow-list${url.port === '' ? '' : ' (ports must be listed explicitly)'}`,
    );
  }
  const addresses =
    literalFamily !== 0
      ? [{ address: hostname, family: literalFamily === 6 ? 6 : 4 } as const]
      : await resolveOnce(hostname, policy, signal);
  for (const { address } of addresses) {
    const verdict = classifyAddress(address, { allowPrivate: policy.allowPrivateAddresses });
    // The address itself stays out of the message: the model need not learn internal DNS.
    if (verdict.blocked)
      throw new AddressBlocked(`host ${hostname} resolves to a blocked address: ${verdict.reason}`);
  }
  return { url, hostname, port, literal: literalFamily !== 0, addresses };
}

const DNS_NOT_FOUND = new Set(['ENOTFOUND', 'ENODATA', 'EAI_NONAME', 'EAI_NODATA', 'NXDOMAIN']);

async function resolveOnce(hostname: string, policy: CompiledPolicy, signal: AbortSignal) {
  let answers: readonly ResolvedAddress[];
  try {
    answers = await raceAbort(policy.resolve(hostname), signal);
  } catch (err) {
    if (signal.aborted) throw err;
    if (DNS_NOT_FOUND.has(errorCode(err) ?? ''))
      throw new HostNotFound(`host ${hostname} was not found`, { cause: err });
    throw new TransientError(`DNS lookup of ${hostname} failed (${errorCode(err) ?? 'error'})`, {
      cause: err,
    });
  }
  if (!Array.isArray(answers) || answers.length === 0)
    throw new HostNotFound(`host ${hostname} has no addresses`);
  // The family comes from the address text, not from what the resolver claims.
  return answers.map(({ address }): ResolvedAddress => {
    const family = isIP(String(address));
    if (family === 0)
      throw new AddressBlocked(`host ${hostname} resolves to something that is not an IP address`);
    return { address: String(address), family: family === 6 ? 6 : 4 };
  });
}

function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}

/** A `lookup` that answers with the vetted addresses only: the socket cannot reach anything else. */
function pinnedLookup(hop: VettedHop): LookupFunction {
  return (host, options, callback) => {
    if (normalizeHostname(host) !== hop.hostname) {
      const err: NodeJS.ErrnoException = new Error(`unexpected lookup of ${host}`);
      err.code = 'ENOTFOUND';
      callback(err, '', 0);
      return;
    }
    const all: LookupAddress[] = hop.addresses.map((a) => ({ address: a.address, family: a.family }));
    if (options.all) callback(null, all);
    else {
      const first = hop.addresses[0];
      if (first === undefined) callback(new Error('no vetted address'), '', 0);
      else callback(null, first.address, first.family);
    }
  };
}

/** Host header from the normalized name, so Host and SNI agree (no trailing dot, default port omitted). */
function hostHeader(hop: VettedHop): string {
  const host = isIP(hop.hostname) === 6 ? `[${hop.hostname}]` : hop.hostname;
  return hop.url.port === '' ? host : `${host}:${hop.url.port}`;
}

function send(
  hop: VettedHop,
  ca: readonly string[] | undefined,
  method: string,
  headers: Record<string, string>,
  body: string | undefined,
  signal: AbortSignal,
): Promise<IncomingMessage> {
  const client = hop.url.protocol === 'https:' ? https : http;
  return new Promise((resolve, reject) => {
    const req = client.request(
      {
        host: hop.hostname,
        port: hop.port,
        path: `${hop.url.pathname}${hop.url.search}`,
        method,
        headers: { ...headers, host: hostHeader(hop) },
        // A fresh connection per hop: no pooled socket that was vetted for another request.
        agent: false,
        lookup: pinnedLookup(hop),
        // SNI and the certificate check use the name; literals get no SNI (RFC 6066) and are checked as IPs.
        ...(hop.url.protocol === 'https:' && !hop.literal ? { servername: hop.hostname } : {}),
        ...(ca === undefined ? {} : { ca: [...ca] }),
        maxHeaderSize: HTTP_TOOL_LIMITS.maxResponseHeaderBytes,
        signal,
      },
      resolve,
    );
    req.on('error', reject);
    req.end(body);
  });
}

// --- responses ----------------------------------------------------------------------------------

const REDIRECT_STATUSES = new Set([301, 302, 303, 307, 308]);
const TRANSIENT_STATUSES = new Set([408, 429, 502, 503, 504]);
const SAFE_RESPONSE_HEADERS = [
  'content-type',
  'content-length',
  'content-language',
  'content-encoding',
  'content-disposition',
  'last-modified',
  'etag',
  'cache-control',
  'expires',
  'date',
  'age',
  'retry-after',
  'location',
] as const;

const TEXT_TYPE =
  /^(?:text\/[\w.+-]+|application\/(?:json|xml|javascript|ecmascript|x-javascript|x-www-form-urlencoded|yaml|x-yaml|x-ndjson|ndjson|csv|graphql|[\w.-]+\+(?:json|xml|yaml)))$/;

function pickHeaders(raw: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of SAFE_RESPONSE_HEADERS) {
    const value = raw[name];
    if (typeof value === 'string') out[name] = value.slice(0, 1024);
  }
  return out;
}

function parseContentType(value: string | undefined): { mime: string; charset: string | undefined } | null {
  if (value === undefined || value.trim() === '') return null;
  const [mime = '', ...params] = value.split(';');
  const charset = params
    .map((p) => p.trim().split('='))
    .find(([k]) => k?.trim().toLowerCase() === 'charset')?.[1]
    ?.trim()
    .replace(/^"|"$/g, '');
  return { mime: mime.trim().toLowerCase(), charset };
}

function decoderFor(charset: string | undefined): InstanceType<typeof TextDecoder> {
  try {
    return new TextDecoder(charset ?? 'utf-8');
  } catch {
    return new TextDecoder('utf-8');
  }
}

async function readBody(res: IncomingMessage, max: number): Promise<{ bytes: Buffer; truncated: boolean }> {
  const chunks: Buffer[] = [];
  let size = 0;
  let truncated = false;
  for await (const chunk of res) {
    const buf = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    if (size + buf.length > max) {
      chunks.push(buf.subarray(0, max - size));
      size = max;
      truncated = true;
      break; // ends the iteration and destroys the stream: the rest is never downloaded
    }
    chunks.push(buf);
    size += buf.length;
  }
  return { bytes: Buffer.concat(chunks, size), truncated };
}

async function toResult(
  res: IncomingMessage,
  method: string,
  url: URL,
  redirects: string[],
  maxBytes: number,
): Promise<SafeFetchResult> {
  const headers = pickHeaders(res.headers);
  const contentType = res.headers['content-type'] ?? null;
  const base = { url: url.href, status: res.statusCode ?? 0, headers, contentType, redirects };
  const encoding = (res.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  const type = parseContentType(res.headers['content-type']);
  const textual = type === null || TEXT_TYPE.test(type.mime);
  if (method === 'HEAD') return { ...base, body: '', bodyOmitted: false, truncated: false };
  if (!textual || encoding !== 'identity') return { ...base, body: '', bodyOmitted: true, truncated: false };

  const { bytes, truncated } = await readBody(res, maxBytes);
  if (type === null) {
    // No Content-Type: keep it only if it is plausibly text (valid UTF-8 without NULs).
    try {
      const text = new TextDecoder('utf-8', { fatal: true }).decode(bytes, { stream: truncated });
      if (text.includes('\0')) return { ...base, body: '', bodyOmitted: true, truncated: false };
      return { ...base, body: text, bodyOmitted: false, truncated };
    } catch {
      return { ...base, body: '', bodyOmitted: true, truncated: false };
    }
  }
  // `stream: true` on a cut body drops a trailing partial character instead of emitting U+FFFD.
  const body = decoderFor(type.charset).decode(bytes, { stream: truncated });
  return { ...base, body, bodyOmitted: false, truncated };
}

// --- errors -------------------------------------------------------------------------------------

const TRANSIENT_NETWORK_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ECONNABORTED',
  'ETIMEDOUT',
  'EPIPE',
  'ENETUNREACH',
  'ENETDOWN',
  'EHOSTUNREACH',
  'EHOSTDOWN',
  'EAI_AGAIN',
  'ERR_SOCKET_CONNECTION_TIMEOUT',
  'ERR_STREAM_PREMATURE_CLOSE',
]);

function errorCode(err: unknown): string | undefined {
  if (typeof err !== 'object' || err === null || !('code' in err)) return undefined;
  return typeof err.code === 'string' ? err.code : undefined;
}

function toNamedError(err: unknown, host: string): Error {
  if (err instanceof NamedError) return err;
  const code = errorCode(err);
  if (code !== undefined && TRANSIENT_NETWORK_CODES.has(code)) {
    return new TransientError(`request to ${host} failed (${code})`, { cause: err });
  }
  return new FetchFailed(`request to ${host} failed (${code ?? 'error'})`, { cause: err });
}

// --- the client ---------------------------------------------------------------------------------

const CREDENTIAL_HEADER = /^(?:authorization|cookie|proxy-authorization)$|api[-_]?key|token|secret|auth/i;

/**
 * Performs one `http_request` under the policy (see the module comment for every check).
 * Throws `InvalidStepInput` when the input does not fit {@link httpRequestInputSchema}.
 */
export async function safeFetch(
  input: HttpRequestInput,
  policy: SafeFetchPolicy,
  options: SafeFetchOptions = {},
): Promise<SafeFetchResult> {
  const parsed = httpRequestInputSchema().safeParse(input);
  if (!parsed.success) {
    const summary = parsed.error.issues.map((i) => `${i.path.join('.') || 'input'}: ${i.message}`).join('; ');
    throw new InvalidStepInput(`http_request input is invalid: ${summary}`);
  }
  const request = parsed.data;
  const compiledPolicy = compilePolicy(policy);
  const timeout = AbortSignal.timeout(compiledPolicy.timeoutMs);
  const signal = options.signal ? AbortSignal.any([timeout, options.signal]) : timeout;

  let url = new URL(request.url);
  let method: string = request.method;
  let body = request.body;
  const headers: Record<string, string> = {
    'user-agent': 'omnilink-http-tool/1.0',
    accept: '*/*',
  };
  for (const [name, value] of Object.entries(request.headers ?? {})) headers[name.toLowerCase()] = value;
  headers['accept-encoding'] = 'identity';
  headers.connection = 'close';
  const redirects: string[] = [];

  try {
    for (;;) {
      const hop = await vetHop(url, compiledPolicy, signal);
      const hopHeaders = { ...headers };
      if (body !== undefined) {
        hopHeaders['content-length'] = String(Buffer.byteLength(body));
        hopHeaders['content-type'] ??= 'text/plain; charset=utf-8';
      }
      const res = await send(hop, compiledPolicy.ca, method, hopHeaders, body, signal);
      try {
        const status = res.statusCode ?? 0;
        const location = res.headers.location;
        if (REDIRECT_STATUSES.has(status) && location !== undefined) {
          if (redirects.length >= compiledPolicy.maxRedirects) {
            throw new TooManyRedirects(
              `more than ${compiledPolicy.maxRedirects} redirects (last host ${url.host})`,
            );
          }
          let next: URL;
          try {
            next = new URL(location, url);
          } catch (cause) {
            throw new InvalidUrl(`host ${url.host} redirected to a malformed URL`, { cause });
          }
          if (
            (status === 303 && method !== 'HEAD') ||
            ((status === 301 || status === 302) && method === 'POST')
          ) {
            method = 'GET';
            body = undefined;
            delete headers['content-type'];
          }
          if (next.origin !== url.origin) {
            for (const name of Object.keys(headers)) if (CREDENTIAL_HEADER.test(name)) delete headers[name];
          }
          redirects.push(next.href);
          url = next;
          continue;
        }
        if (TRANSIENT_STATUSES.has(status)) {
          throw new TransientError(`host ${url.host} answered ${status}`);
        }
        return await toResult(res, method, url, redirects, compiledPolicy.maxResponseBytes);
      } finally {
        res.destroy();
      }
    }
  } catch (err) {
    if (timeout.aborted) {
      throw new TransientError(`request to ${url.host} timed out after ${compiledPolicy.timeoutMs} ms`, {
        cause: err,
      });
    }
    if (options.signal?.aborted) throw options.signal.reason;
    throw toNamedError(err, url.host);
  }
}

export { BLOCKED_IPV4_RANGES, BLOCKED_IPV6_RANGES, classifyAddress } from './address-policy.ts';
export {
  AddressBlocked,
  FetchFailed,
  HostNotAllowed,
  HostNotFound,
  HTTP_TOOL_DOMAIN_ERRORS,
  InsecureScheme,
  InvalidHttpPolicy,
  InvalidUrl,
  TooManyRedirects,
} from './errors.ts';
