import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { APIGatewayProxyEventV2WithJWTAuthorizer } from 'aws-lambda';
import { readBody } from './aws-json.ts';
import { type LocalIssuer, TokenRejected } from './jwt.ts';
import { LOCAL_ACCOUNT, type LocalFunction } from './lambda.ts';

/**
 * API Gateway (HTTP API), emulated: the routes of the function specs, each request turned into a
 * payload-format-2.0 event with the JWT authorizer's claims, dispatched to the function, and its
 * result written back the way API Gateway does (a structured `{statusCode, headers, body}` or any
 * other value as a 200 JSON body). Errors use the contract's body `{"error": {"code", "message"}}`.
 */

/** A route served by a function, e.g. `GET /workflows/{id}/status`. */
export interface LocalRoute {
  readonly routeKey: string;
  readonly fn: LocalFunction;
}

/** A route answered by the local runtime itself (no authorizer), e.g. `GET /health`. */
export type LocalEndpoint = (request: {
  readonly path: string;
  readonly params: Readonly<Record<string, string>>;
  readonly query: URLSearchParams;
  /** The request body as text (at most 16 KiB; empty for GET). */
  readonly body: string;
}) => Promise<{
  statusCode: number;
  /** JSON, or with `raw` the response body as is (a page, a script). */
  body: unknown;
  headers?: Record<string, string>;
  raw?: boolean;
}>;

export interface HttpApiProps {
  readonly routes: readonly LocalRoute[];
  readonly issuer: LocalIssuer;
  /** Local routes without authorizer, keyed by route key (`GET /health`). */
  readonly localEndpoints?: Readonly<Record<string, LocalEndpoint>>;
  /** Largest request body, as API Gateway's 10 MB. */
  readonly maxBodyBytes?: number;
  /** Called with errors thrown by functions (API Gateway answers them with a bare 500). */
  readonly onFunctionError?: (routeKey: string, error: unknown) => void;
}

interface CompiledRoute {
  readonly method: string;
  readonly routeKey: string;
  readonly pattern: RegExp;
  readonly params: readonly string[];
  readonly literalSegments: number;
}

/** Compiles `METHOD /a/{b}/{rest+}` into a matcher. */
export function compileRoute(routeKey: string): CompiledRoute {
  const [method, path] = routeKey.split(' ');
  if (!method || !path?.startsWith('/')) throw new Error(`bad route key "${routeKey}"`);
  const params: string[] = [];
  let literalSegments = 0;
  const source = path
    .split('/')
    .map((segment) => {
      const param = /^\{([A-Za-z0-9_]+)(\+?)\}$/.exec(segment);
      if (!param) {
        literalSegments += segment ? 1 : 0;
        return segment.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
      }
      params.push(param[1] ?? '');
      return param[2] ? '(.+)' : '([^/]+)';
    })
    .join('/');
  return {
    method: method.toUpperCase(),
    routeKey,
    pattern: new RegExp(`^${source}$`),
    params,
    literalSegments,
  };
}

function errorBody(code: string, message: string) {
  return { error: { code, message } };
}

function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

/** `12/Mar/2020:19:03:58 +0000`, API Gateway's requestContext.time. */
function apiGatewayTime(date: Date): string {
  const months = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${pad(date.getUTCDate())}/${months[date.getUTCMonth()]}/${date.getUTCFullYear()}:${pad(date.getUTCHours())}:${pad(
    date.getUTCMinutes(),
  )}:${pad(date.getUTCSeconds())} +0000`;
}

/** Claims as API Gateway passes them to the function: strings, arrays as `[a b]`. */
function authorizerClaims(
  payload: Record<string, unknown>,
): Record<string, string | number | boolean | string[]> {
  const claims: Record<string, string | number | boolean | string[]> = {};
  for (const [key, value] of Object.entries(payload)) {
    if (typeof value === 'string') claims[key] = value;
    else if (Array.isArray(value)) claims[key] = `[${value.map(String).join(' ')}]`;
    else if (typeof value === 'number' || typeof value === 'boolean') claims[key] = String(value);
    else claims[key] = JSON.stringify(value);
  }
  return claims;
}

function decode(value: string): string {
  try {
    return decodeURIComponent(value.replace(/\+/g, ' '));
  } catch {
    return value;
  }
}

/** Builds the payload-format-2.0 event API Gateway would send for this request. */
export function toApiGatewayEvent(
  req: IncomingMessage,
  route: { routeKey: string; pathParameters: Record<string, string> },
  body: Buffer,
  claims: Record<string, unknown>,
): APIGatewayProxyEventV2WithJWTAuthorizer {
  const url = new URL(req.url ?? '/', 'http://localhost');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || name === 'cookie') continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(',') : value;
  }
  const rawQueryString = (req.url ?? '').includes('?')
    ? (req.url ?? '').slice((req.url ?? '').indexOf('?') + 1)
    : '';
  const query: Record<string, string> = {};
  for (const [key, value] of url.searchParams) query[key] = key in query ? `${query[key]},${value}` : value;
  const cookies = req.headers.cookie
    ?.split(';')
    .map((c) => c.trim())
    .filter(Boolean);
  const now = new Date();
  const scope = typeof claims.scope === 'string' ? claims.scope.split(' ').filter(Boolean) : undefined;
  const host = headers.host ?? '127.0.0.1';
  return {
    version: '2.0',
    routeKey: route.routeKey,
    rawPath: url.pathname,
    rawQueryString,
    ...(cookies?.length ? { cookies } : {}),
    headers,
    ...(Object.keys(query).length ? { queryStringParameters: query } : {}),
    ...(Object.keys(route.pathParameters).length ? { pathParameters: route.pathParameters } : {}),
    ...(body.length > 0 ? { body: body.toString('utf8') } : {}),
    isBase64Encoded: false,
    requestContext: {
      accountId: LOCAL_ACCOUNT,
      apiId: 'local',
      domainName: host,
      domainPrefix: host.split('.')[0] ?? host,
      http: {
        method: (req.method ?? 'GET').toUpperCase(),
        path: url.pathname,
        protocol: `HTTP/${req.httpVersion}`,
        sourceIp: req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1',
        userAgent: headers['user-agent'] ?? '',
      },
      requestId: randomUUID(),
      routeKey: route.routeKey,
      stage: '$default',
      time: apiGatewayTime(now),
      timeEpoch: now.getTime(),
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: authorizerClaims(claims), scopes: scope ?? [] },
      },
    },
  };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Writes a function's result back the way API Gateway does for payload format 2.0. */
function writeResult(res: ServerResponse, result: unknown, requestId: string): void {
  if (isRecord(result) && typeof result.statusCode === 'number') {
    const headers: Record<string, string | string[]> = { 'apigw-requestid': requestId };
    if (isRecord(result.headers)) {
      for (const [name, value] of Object.entries(result.headers)) headers[name.toLowerCase()] = String(value);
    }
    if (Array.isArray(result.cookies)) headers['set-cookie'] = result.cookies.map(String);
    const raw =
      typeof result.body === 'string'
        ? result.body
        : result.body === undefined
          ? ''
          : JSON.stringify(result.body);
    const body = result.isBase64Encoded === true ? Buffer.from(raw, 'base64') : Buffer.from(raw);
    headers['content-length'] = String(body.length);
    res.writeHead(result.statusCode, headers);
    res.end(body);
    return;
  }
  // Any other value: API Gateway assumes 200 and a JSON body.
  const body = typeof result === 'string' ? result : JSON.stringify(result ?? null);
  res.writeHead(200, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
    'apigw-requestid': requestId,
  });
  res.end(body);
}

/** Creates (does not start) the local HTTP API. */
export function createHttpApi(props: HttpApiProps): Server {
  const routes = props.routes
    .map((route) => ({ ...compileRoute(route.routeKey), fn: route.fn }))
    .sort((a, b) => b.literalSegments - a.literalSegments);
  const endpoints = Object.entries(props.localEndpoints ?? {})
    .map(([routeKey, handler]) => ({ ...compileRoute(routeKey), handler }))
    .sort((a, b) => b.literalSegments - a.literalSegments);
  const limit = props.maxBodyBytes ?? 10 * 1024 * 1024;

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const method = (req.method ?? 'GET').toUpperCase();
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const match = <T extends CompiledRoute>(list: readonly T[]) => {
      for (const route of list) {
        if (route.method !== method && route.method !== 'ANY') continue;
        const found = route.pattern.exec(path);
        if (!found) continue;
        const params: Record<string, string> = {};
        route.params.forEach((name, i) => {
          params[name] = decode(found[i + 1] ?? '');
        });
        return { route, params };
      }
      return undefined;
    };

    const local = match(endpoints);
    if (local) {
      const body = method === 'GET' || method === 'HEAD' ? Buffer.alloc(0) : await readBody(req, 16 * 1024);
      if (!body) {
        sendJson(res, 413, errorBody('payload_too_large', 'the request body is larger than 16 KiB'));
        return;
      }
      if (body.length === 0) req.resume();
      const answer = await local.route.handler({
        path,
        params: local.params,
        query: new URL(req.url ?? '/', 'http://localhost').searchParams,
        body: body.toString('utf8'),
      });
      if (answer.raw) {
        const raw = Buffer.isBuffer(answer.body) ? answer.body : Buffer.from(String(answer.body));
        res.writeHead(answer.statusCode, { 'content-length': String(raw.length), ...answer.headers });
        res.end(raw);
      } else {
        sendJson(res, answer.statusCode, answer.body, answer.headers);
      }
      return;
    }
    const found = match(routes);
    if (!found) {
      req.resume();
      sendJson(res, 404, errorBody('not_found', `no route for ${method} ${path}`));
      return;
    }
    // The authorizer runs before the body is looked at, as in API Gateway.
    const authorization = req.headers.authorization ?? '';
    const token = /^Bearer\s+(\S+)$/i.exec(authorization)?.[1];
    let claims: Record<string, unknown>;
    try {
      if (!token) throw new TokenRejected('a bearer token is required');
      claims = await props.issuer.verify(token);
    } catch (error) {
      req.resume();
      const message = error instanceof TokenRejected ? error.message : 'the token is invalid';
      sendJson(res, 401, errorBody('unauthorized', message), {
        'www-authenticate': `Bearer error="invalid_token", error_description="${message}"`,
      });
      return;
    }
    const body = await readBody(req, limit);
    if (!body) {
      sendJson(res, 413, errorBody('payload_too_large', 'the request body is larger than 10 MB'));
      return;
    }
    const event = toApiGatewayEvent(
      req,
      { routeKey: found.route.routeKey, pathParameters: found.params },
      body,
      claims,
    );
    try {
      const result = await found.route.fn.invoke(event);
      writeResult(res, result, event.requestContext.requestId);
    } catch (error) {
      props.onFunctionError?.(found.route.routeKey, error);
      sendJson(res, 500, errorBody('internal_error', 'Internal Server Error'), {
        'apigw-requestid': event.requestContext.requestId,
      });
    }
  };

  return createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      props.onFunctionError?.('local', error);
      if (!res.headersSent) sendJson(res, 500, errorBody('internal_error', 'Internal Server Error'));
      else res.end();
    });
  });
}
