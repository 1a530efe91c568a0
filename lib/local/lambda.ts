import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { Context } from 'aws-lambda';

/**
 * Lambda, emulated in-process: a function is its handler module, imported once (module-level
 * clients are created at import, as in a warm Lambda container), and invoked with a JSON-copied
 * event and a realistic fake context. Errors keep their `name` (Step Functions matches it).
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** A Lambda handler as exported by `lambdas/handlers/*.ts` (middy chains included). */
export type LambdaHandler = (event: unknown, context: Context) => unknown;

export interface LocalFunctionProps {
  /** Logical name, e.g. `guardian`. */
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** Loads the handler (called once, at the first invocation). */
  readonly load: () => Promise<LambdaHandler>;
}

/** The error Lambda reports when a function runs past its timeout. */
export class LambdaTimeoutError extends Error {
  constructor(requestId: string, seconds: number) {
    super(`RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** One emulated Lambda function. */
export class LocalFunction {
  readonly name: string;
  readonly functionName: string;
  readonly arn: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly #load: () => Promise<LambdaHandler>;
  #handler: Promise<LambdaHandler> | undefined;

  constructor(props: LocalFunctionProps) {
    this.name = props.name;
    this.functionName = `omnilink-local-${props.name}`;
    this.arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.functionName}`;
    this.timeoutSeconds = props.timeoutSeconds;
    this.memoryMiB = props.memoryMiB;
    this.#load = props.load;
  }

  /** Imports the handler now (to fail fast at start-up rather than at the first request). */
  async load(): Promise<LambdaHandler> {
    this.#handler ??= this.#load();
    return this.#handler;
  }

  /**
   * Invokes the handler like Lambda does: the event and the result cross a JSON boundary, the
   * context counts down the function's timeout, and a run past the timeout fails `Sandbox.Timedout`.
   */
  async invoke(event: unknown): Promise<unknown> {
    const handler = await this.load();
    const requestId = randomUUID();
    const deadline = Date.now() + this.timeoutSeconds * 1000;
    const context: Context = {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn,
      memoryLimitInMB: String(this.memoryMiB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.functionName}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
    const copy = event === undefined ? {} : JSON.parse(JSON.stringify(event));
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(requestId, this.timeoutSeconds)),
        deadline - Date.now(),
      );
    });
    try {
      const result = await Promise.race([Promise.resolve(handler(copy, context)), timeout]);
      return result === undefined ? null : JSON.parse(JSON.stringify(result));
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Imports `entry` (relative to `projectRoot`) and returns its `handler` export. */
export async function importHandler(projectRoot: string, entry: string): Promise<LambdaHandler> {
  const module: Record<string, unknown> = await import(pathToFileURL(join(projectRoot, entry)).href);
  const handler = module.handler;
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a handler function`);
  return (event, context) => handler(event, context);
}

/**
 * The `Cause` Step Functions reports for a failed `lambda:invoke` task: the Lambda runtime's error
 * JSON (`errorType`, `errorMessage`, `trace`).
 */
export function lambdaErrorCause(error: unknown): { name: string; cause: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // The runtime's own frames are noise (AWS shows its runtime's frames, which are just as useless).
  const trace =
    error instanceof Error && error.stack
      ? error.stack.split('\n').filter((line) => !line.includes('/lib/local/'))
      : [];
  return { name, cause: JSON.stringify({ errorType: name, errorMessage: message, trace }) };
}
