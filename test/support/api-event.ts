import type { ApiEvent } from '#middleware/http.ts';

/**
 * An API Gateway HTTP API event (payload format 2.0, JWT claims under the authorizer), as the API
 * handlers receive it: the one builder every API handler test uses.
 */
export interface ApiEventOptions {
  /** The `{id}` path parameter. */
  readonly id?: string | undefined;
  /** The JWT's `sub`; `null` for a request without one. @default 'alice' */
  readonly user?: string | null;
  readonly query?: Record<string, string>;
  readonly headers?: Record<string, string>;
  readonly body?: string | undefined;
  readonly base64?: boolean;
}

/** `route` is `METHOD /path/{id}` (the form of lib/specs.ts `route`). */
export function apiEvent(route: string, options: ApiEventOptions = {}): ApiEvent {
  const [method = 'GET', template = '/'] = route.split(' ');
  const path = options.id === undefined ? template : template.replace('{id}', options.id);
  const query = options.query ?? {};
  const user = options.user === undefined ? 'alice' : options.user;
  return {
    version: '2.0',
    routeKey: route,
    rawPath: path,
    rawQueryString: new URLSearchParams(query).toString(),
    headers: { ...options.headers },
    ...(options.body === undefined ? {} : { body: options.body }),
    isBase64Encoded: options.base64 ?? false,
    ...(options.id === undefined ? {} : { pathParameters: { id: options.id } }),
    ...(Object.keys(query).length > 0 ? { queryStringParameters: query } : {}),
    requestContext: {
      accountId: '123456789012',
      apiId: 'api',
      domainName: 'api.example.com',
      domainPrefix: 'api',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'test' },
      requestId: 'req-1',
      routeKey: route,
      stage: '$default',
      time: '01/May/2026:10:00:00 +0000',
      timeEpoch: 0,
      authorizer: {
        principalId: '',
        integrationLatency: 0,
        jwt: { claims: user === null ? {} : { sub: user }, scopes: [] },
      },
    },
  };
}
