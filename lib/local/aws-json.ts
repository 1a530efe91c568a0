import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A minimal server for AWS's JSON protocols (`awsJson1_0` for Step Functions, `awsJson1_1` for
 * EventBridge): every call is `POST /` with `X-Amz-Target: <Prefix>.<Action>` and a JSON body; errors
 * are HTTP 400 with `{"__type": "<ErrorName>", "message": "..."}`, which the AWS SDK v3 turns into
 * its typed exceptions (`ExecutionAlreadyExists`, ...). Requests are not signature-checked.
 */

/** An error the SDK will raise as the exception class named `type`. */
export class AwsServiceError extends Error {
  readonly type: string;
  readonly statusCode: number;

  constructor(type: string, message: string, statusCode = 400) {
    super(message);
    this.name = type;
    this.type = type;
    this.statusCode = statusCode;
  }
}

export type ActionHandler = (input: Record<string, unknown>) => unknown;

export interface AwsJsonServerProps {
  /** Target prefix, e.g. `AWSStepFunctions` or `AWSEvents`. */
  readonly targetPrefix: string;
  /** `1.0` or `1.1`: only changes the response content type. */
  readonly jsonVersion: '1.0' | '1.1';
  readonly actions: Readonly<Record<string, ActionHandler>>;
  /** Largest request body accepted, in bytes. @default 1 MiB */
  readonly maxBodyBytes?: number;
}

/** Reads a request body up to `limit` bytes; resolves `undefined` when it is larger. */
export async function readBody(req: IncomingMessage, limit: number): Promise<Buffer | undefined> {
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = false;
  for await (const chunk of req) {
    const buffer = Buffer.isBuffer(chunk) ? chunk : Buffer.from(String(chunk));
    size += buffer.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(buffer);
  }
  return tooLarge ? undefined : Buffer.concat(chunks);
}

function send(res: ServerResponse, status: number, contentType: string, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': contentType,
    'content-length': Buffer.byteLength(text),
    'x-amzn-requestid': crypto.randomUUID(),
  });
  res.end(text);
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Creates (does not start) an HTTP server dispatching AWS JSON-protocol calls to `actions`. */
export function createAwsJsonServer(props: AwsJsonServerProps): Server {
  const contentType = `application/x-amz-json-${props.jsonVersion}`;
  const limit = props.maxBodyBytes ?? 1024 * 1024;
  return createServer((req, res) => {
    void (async () => {
      try {
        if (req.method !== 'POST') {
          throw new AwsServiceError('UnknownOperationException', `${req.method} is not supported`);
        }
        const target = String(req.headers['x-amz-target'] ?? '');
        const [prefix, action] = target.split('.');
        const handler = prefix === props.targetPrefix && action ? props.actions[action] : undefined;
        if (!handler) throw new AwsServiceError('UnknownOperationException', `unknown operation ${target}`);
        const body = await readBody(req, limit);
        if (!body) throw new AwsServiceError('ValidationException', 'request too large', 413);
        let input: unknown = {};
        if (body.length > 0) {
          try {
            input = JSON.parse(body.toString('utf8'));
          } catch {
            throw new AwsServiceError('SerializationException', 'request body is not JSON');
          }
        }
        if (!isRecord(input))
          throw new AwsServiceError('SerializationException', 'request body is not an object');
        const output = await handler(input);
        send(res, 200, contentType, output ?? {});
      } catch (error) {
        if (error instanceof AwsServiceError) {
          send(res, error.statusCode, contentType, { __type: error.type, message: error.message });
        } else {
          const message = error instanceof Error ? error.message : String(error);
          send(res, 500, contentType, { __type: 'InternalFailure', message });
        }
      }
    })();
  });
}

/** Starts a server on `host:port` (0 = a free port) and returns the port it got. */
export async function listen(server: Server, port: number, host = '127.0.0.1'): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  return (server.address() as AddressInfo).port;
}

/** Stops a server, dropping keep-alive connections so the process can exit. */
export async function close(server: Server): Promise<void> {
  if (!server.listening) return;
  await new Promise<void>((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/** Reads an optional string field of an AWS request, rejecting other types. */
export function optionalString(input: Record<string, unknown>, key: string): string | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw new AwsServiceError('ValidationException', `${key} must be a string`);
  return value;
}

/** Reads a required string field of an AWS request. */
export function requiredString(input: Record<string, unknown>, key: string): string {
  const value = optionalString(input, key);
  if (value === undefined) throw new AwsServiceError('ValidationException', `${key} is required`);
  return value;
}

/** Reads an optional integer field of an AWS request. */
export function optionalInteger(input: Record<string, unknown>, key: string): number | undefined {
  const value = input[key];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new AwsServiceError('ValidationException', `${key} must be an integer`);
  }
  return value;
}
