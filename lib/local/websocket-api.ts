import { randomBytes, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { close, listen, readBody } from './aws-json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION, type LocalFunction } from './lambda.ts';

/**
 * API Gateway WebSocket API, emulated (the push channel, lib/constructs/push-channel.ts): the same
 * protocol on the local HTTP API's port, path `/ws` (AWS: `wss://<api>.execute-api.<region>.amazonaws.com/live`).
 *
 * - Upgrade: the `$connect` REQUEST authorizer function gets API Gateway's authorizer event (query
 *   string, headers); a throw of `Unauthorized` answers 401, a Deny 403. Then the `$connect` route
 *   function runs with the authorizer's context under `requestContext.authorizer`; a non-2xx answer
 *   refuses the upgrade.
 * - Messages: routed by `$request.body.action` to the route's function (MESSAGE events, invoked as
 *   they arrive, unordered as in AWS); an unknown action gets API Gateway's `Forbidden` message, a
 *   function error its `Internal server error` message.
 * - Close: the `$disconnect` function runs (best effort, as in AWS).
 * - The API Gateway Management API on a separate local endpoint (`callbackUrl`): `POST
 *   /@connections/{id}` sends, `GET` describes, `DELETE` closes; a closed connection answers 410
 *   `GoneException`, which the SDK raises as in AWS. The same endpoint serves the local issuer's JWKS
 *   (`jwksUrl`), where AWS has Cognito's, so the authorizer fetches keys the way it does in AWS.
 *
 * Not emulated: the 10-minute idle and 2-hour connection limits, frame size limits below the 128 KiB
 * message limit, and stage throttling.
 */

export interface LocalWebSocketApiProps {
  /** The `$connect` authorizer function. */
  readonly authorizer: LocalFunction;
  /** Route key (`$connect`, `$disconnect`, an action) → function. */
  readonly routes: ReadonlyMap<string, LocalFunction>;
  /** The issuer's JWKS document. */
  readonly jwks: () => unknown;
  readonly onError?: (where: string, error: unknown) => void;
}

interface Connection {
  readonly id: string;
  readonly socket: WebSocket;
  readonly connectedAt: number;
  lastActiveAt: number;
  readonly sourceIp: string;
  readonly userAgent: string;
  readonly authorizer: Record<string, unknown>;
}

const STAGE = 'live';
const API_ID = 'localws';
const MAX_MESSAGE_BYTES = 128 * 1024;

/** Connection ids look like AWS's (`L0SM9cOFvHcCIhw=`). */
const newConnectionId = () => `${randomBytes(10).toString('base64url').slice(0, 13)}=`;

export class LocalWebSocketApi {
  readonly #props: LocalWebSocketApiProps;
  readonly #connections = new Map<string, Connection>();
  readonly #wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  readonly #pending = new Set<Promise<unknown>>();
  #management: Server | undefined;
  #port = 0;

  constructor(props: LocalWebSocketApiProps) {
    this.#props = props;
  }

  /** Starts the management endpoint (its URL goes into the functions' environment). */
  async start(): Promise<void> {
    this.#management = createServer((req, res) => {
      this.#manage(req).then(
        ({ status, body, headers }) => {
          res.writeHead(status, { 'content-type': 'application/json', ...headers });
          res.end(body === undefined ? '' : JSON.stringify(body));
        },
        (error: unknown) => {
          this.#props.onError?.('websocket management', error);
          res.writeHead(500, { 'content-type': 'application/json' });
          res.end(JSON.stringify({ message: 'Internal server error' }));
        },
      );
    });
    this.#port = await listen(this.#management, 0);
  }

  /** The stage's callback URL (the API Gateway Management API endpoint). */
  get callbackUrl(): string {
    return `http://127.0.0.1:${this.#port}/${STAGE}`;
  }

  /** Where the authorizer fetches the issuer's keys. */
  get jwksUrl(): string {
    return `http://127.0.0.1:${this.#port}/.well-known/jwks.json`;
  }

  /** Open connections. */
  get connectionCount(): number {
    return this.#connections.size;
  }

  /** Serves WebSocket upgrades of `path` on the HTTP API's server. */
  attach(server: Server, path = '/ws'): void {
    server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
      const url = new URL(req.url ?? '/', 'http://localhost');
      if (url.pathname !== path) {
        refuse(socket, 404, 'Not Found');
        return;
      }
      this.#track(
        this.#upgrade(req, socket, head, url).catch((error: unknown) => {
          this.#props.onError?.('websocket $connect', error);
          refuse(socket, 500, 'Internal Server Error');
        }),
      );
    });
  }

  /** Drops every connection abruptly (no close frame), as a network failure would: for tests. */
  dropConnections(): void {
    for (const connection of this.#connections.values()) connection.socket.terminate();
  }

  /** Closes every connection (their `$disconnect` runs) and the management endpoint. */
  async stop(): Promise<void> {
    for (const connection of this.#connections.values()) connection.socket.close(1001, 'Going away');
    const grace = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.allSettled([...this.#pending]), grace]);
    this.#wss.close();
    if (this.#management) await close(this.#management);
  }

  #track<T>(promise: Promise<T>): Promise<T> {
    this.#pending.add(promise);
    void promise.finally(() => this.#pending.delete(promise)).catch(() => undefined);
    return promise;
  }

  async #upgrade(req: IncomingMessage, socket: Duplex, head: Buffer, url: URL): Promise<void> {
    const connectionId = newConnectionId();
    const headers = Object.fromEntries(
      Object.entries(req.headers).flatMap(([k, v]) => (v === undefined ? [] : [[k, String(v)]])),
    );
    const query = Object.fromEntries(url.searchParams);
    const sourceIp = req.socket.remoteAddress?.replace(/^::ffff:/, '') ?? '127.0.0.1';
    const userAgent = headers['user-agent'] ?? '';
    const base = this.#requestContext('$connect', 'CONNECT', connectionId, sourceIp, userAgent);

    let authorization: unknown;
    try {
      authorization = await this.#props.authorizer.invoke({
        type: 'REQUEST',
        methodArn: `arn:aws:execute-api:${LOCAL_REGION}:${LOCAL_ACCOUNT}:${API_ID}/${STAGE}/$connect`,
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters: query,
        multiValueQueryStringParameters: Object.fromEntries(
          [...url.searchParams.keys()].map((k) => [k, url.searchParams.getAll(k)]),
        ),
        stageVariables: {},
        requestContext: base,
      });
    } catch (error) {
      if (error instanceof Error && error.message === 'Unauthorized') {
        refuse(socket, 401, 'Unauthorized');
        return;
      }
      throw error;
    }
    const allowed = allowedContext(authorization);
    if (!allowed) {
      refuse(socket, 403, 'Forbidden');
      return;
    }
    const connectFn = this.#props.routes.get('$connect');
    if (connectFn) {
      const answer = await connectFn.invoke({
        headers,
        multiValueHeaders: Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, [v]])),
        queryStringParameters: query,
        requestContext: { ...base, authorizer: allowed },
        isBase64Encoded: false,
      });
      const status = statusOf(answer);
      if (status < 200 || status > 299) {
        refuse(socket, status, 'Forbidden');
        return;
      }
    }
    this.#wss.handleUpgrade(req, socket, head, (ws) => {
      const now = Date.now();
      const connection: Connection = {
        id: connectionId,
        socket: ws,
        connectedAt: now,
        lastActiveAt: now,
        sourceIp,
        userAgent,
        authorizer: allowed,
      };
      this.#connections.set(connectionId, connection);
      ws.on('message', (data, isBinary) => {
        connection.lastActiveAt = Date.now();
        this.#track(this.#message(connection, isBinary ? '' : data.toString()));
      });
      ws.on('error', () => undefined);
      ws.on('close', (code, reason) => {
        this.#connections.delete(connectionId);
        const fn = this.#props.routes.get('$disconnect');
        if (!fn) return;
        this.#track(
          fn
            .invoke({
              headers,
              requestContext: {
                ...this.#requestContext('$disconnect', 'DISCONNECT', connectionId, sourceIp, userAgent),
                authorizer: allowed,
                disconnectStatusCode: code,
                disconnectReason: reason.toString(),
              },
              isBase64Encoded: false,
            })
            .catch((error: unknown) => this.#props.onError?.('websocket $disconnect', error)),
        );
      });
    });
  }

  async #message(connection: Connection, body: string): Promise<void> {
    let action: unknown;
    try {
      action = (JSON.parse(body) as { action?: unknown }).action;
    } catch {
      action = undefined;
    }
    const requestId = randomUUID();
    const fn = typeof action === 'string' ? this.#props.routes.get(action) : undefined;
    if (!fn || typeof action !== 'string' || action.startsWith('$')) {
      // No `$default` route: API Gateway answers on the socket.
      send(connection, { message: 'Forbidden', connectionId: connection.id, requestId });
      return;
    }
    try {
      await fn.invoke({
        requestContext: {
          ...this.#requestContext(
            action,
            'MESSAGE',
            connection.id,
            connection.sourceIp,
            connection.userAgent,
          ),
          messageId: randomUUID(),
          authorizer: connection.authorizer,
        },
        body,
        isBase64Encoded: false,
      });
    } catch (error) {
      this.#props.onError?.(`websocket route ${action}`, error);
      send(connection, { message: 'Internal server error', connectionId: connection.id, requestId });
    }
  }

  #requestContext(
    routeKey: string,
    eventType: string,
    connectionId: string,
    sourceIp: string,
    userAgent: string,
  ) {
    const now = Date.now();
    return {
      routeKey,
      eventType,
      extendedRequestId: randomUUID(),
      requestTime: new Date(now).toUTCString(),
      messageDirection: 'IN',
      stage: STAGE,
      connectedAt: this.#connections.get(connectionId)?.connectedAt ?? now,
      requestTimeEpoch: now,
      identity: { sourceIp, userAgent },
      requestId: randomUUID(),
      domainName: '127.0.0.1',
      connectionId,
      apiId: API_ID,
    };
  }

  async #manage(
    req: IncomingMessage,
  ): Promise<{ status: number; body?: unknown; headers?: Record<string, string> }> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (req.method === 'GET' && url.pathname === '/.well-known/jwks.json') {
      req.resume();
      return { status: 200, body: this.#props.jwks() };
    }
    const match = /^(?:\/[^/]+)?\/@connections\/([^/]+)$/.exec(url.pathname);
    if (!match) {
      req.resume();
      return { status: 404, body: { message: 'Not Found' } };
    }
    const connection = this.#connections.get(decodeURIComponent(match[1] ?? ''));
    const gone = { status: 410, body: { message: 'Gone' }, headers: { 'x-amzn-errortype': 'GoneException' } };
    if (req.method === 'POST') {
      const data = await readBody(req, MAX_MESSAGE_BYTES + 1);
      if (!data || data.length > MAX_MESSAGE_BYTES) {
        return {
          status: 413,
          body: { message: 'Message too long' },
          headers: { 'x-amzn-errortype': 'PayloadTooLargeException' },
        };
      }
      if (!connection || connection.socket.readyState !== connection.socket.OPEN) return gone;
      connection.socket.send(data.toString('utf8'));
      return { status: 200 };
    }
    req.resume();
    if (!connection) return gone;
    if (req.method === 'GET') {
      return {
        status: 200,
        body: {
          connectedAt: new Date(connection.connectedAt).toISOString(),
          identity: { sourceIp: connection.sourceIp, userAgent: connection.userAgent },
          lastActiveAt: new Date(connection.lastActiveAt).toISOString(),
        },
      };
    }
    if (req.method === 'DELETE') {
      connection.socket.close(1000, 'Closed by the server');
      return { status: 204 };
    }
    return { status: 405, body: { message: 'Method Not Allowed' } };
  }
}

function send(connection: Connection, message: unknown): void {
  if (connection.socket.readyState === connection.socket.OPEN)
    connection.socket.send(JSON.stringify(message));
}

function refuse(socket: Duplex, status: number, text: string): void {
  if (socket.destroyed) return;
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

function statusOf(answer: unknown): number {
  if (typeof answer === 'object' && answer !== null && 'statusCode' in answer) {
    return typeof answer.statusCode === 'number' ? answer.statusCode : 200;
  }
  return 200;
}

/** The authorizer context of an Allow policy (principalId and context), or undefined for a Deny. */
function allowedContext(result: unknown): Record<string, unknown> | undefined {
  if (typeof result !== 'object' || result === null) return undefined;
  const { principalId, policyDocument, context } = result as {
    principalId?: unknown;
    policyDocument?: { Statement?: { Effect?: string }[] };
    context?: Record<string, unknown>;
  };
  const statements = policyDocument?.Statement ?? [];
  if (statements.length === 0 || statements.some((s) => s.Effect !== 'Allow')) return undefined;
  return { principalId, ...context };
}
