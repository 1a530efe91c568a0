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
  /** Fault injection for tests and the local harness (never a switch inside the Lambdas). @default - none */
  readonly faults?: FaultHook;
}

/** What a fault hook sees of one invocation. */
export interface FunctionInvocation {
  /** The function's logical name (`step`, `guardian`, `producer`, ...). */
  readonly functionName: string;
  /** A JSON copy of the event (the handler gets its own copy). */
  readonly event: unknown;
  readonly requestId: string;
}

/**
 * A fault to inject into one invocation:
 * - `'throw-transient'`: the invocation fails with a `TransientError` before the handler runs
 *   (nothing happened; the ASL's Retry on `TransientError` applies).
 * - `'crash-after'`: the handler runs to completion (its side effects are done), then the invocation
 *   fails as if the sandbox died before the result reached the caller: `Lambda.ServiceException`,
 *   which the ASL's recommended Lambda retry block retries. The result is lost.
 * - `{kind: 'throw-before' | 'crash-after', errorName?, message?, delayMs?}`: the same with another
 *   error name (e.g. `Sandbox.Timedout`, `Runtime.ExitError`) and an optional pause first.
 * - `{kind: 'delay', delayMs}`: a pause before the handler (a cold start, a slow network); it counts
 *   against the function's timeout like any other time spent.
 */
export type FaultAction =
  | 'throw-transient'
  | 'crash-after'
  | {
      readonly kind: 'throw-before' | 'crash-after';
      readonly errorName?: string;
      readonly message?: string;
      readonly delayMs?: number;
    }
  | { readonly kind: 'delay'; readonly delayMs: number };

/** Decides, per invocation, whether to inject a fault (undefined: none). May be async. */
export type FaultHook = (
  invocation: FunctionInvocation,
) => FaultAction | undefined | Promise<FaultAction | undefined>;

/** The error an injected fault surfaces as; its `name` is what Retry/Catch match. */
export class InjectedFault extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface NormalizedFault {
  readonly kind: 'throw-before' | 'crash-after' | 'delay';
  readonly errorName: string;
  readonly message: string;
  readonly delayMs: number;
}

function normalizeFault(action: FaultAction, functionName: string): NormalizedFault {
  if (action === 'throw-transient') {
    return {
      kind: 'throw-before',
      errorName: 'TransientError',
      message: `injected transient failure before ${functionName} ran`,
      delayMs: 0,
    };
  }
  if (action === 'crash-after') {
    return {
      kind: 'crash-after',
      errorName: 'Lambda.ServiceException',
      message: `injected crash: ${functionName} ran, but its result was lost`,
      delayMs: 0,
    };
  }
  if (action.kind === 'delay') {
    return { kind: 'delay', errorName: '', message: '', delayMs: Math.max(0, action.delayMs) };
  }
  const crash = action.kind === 'crash-after';
  return {
    kind: action.kind,
    errorName: action.errorName ?? (crash ? 'Lambda.ServiceException' : 'TransientError'),
    message:
      action.message ??
      (crash
        ? `injected crash: ${functionName} ran, but its result was lost`
        : `injected failure before ${functionName} ran`),
    delayMs: Math.max(0, action.delayMs ?? 0),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

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
  readonly #faults: FaultHook | undefined;
  #handler: Promise<LambdaHandler> | undefined;

  constructor(props: LocalFunctionProps) {
    this.name = props.name;
    this.functionName = `omnilink-local-${props.name}`;
    this.arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.functionName}`;
    this.timeoutSeconds = props.timeoutSeconds;
    this.memoryMiB = props.memoryMiB;
    this.#load = props.load;
    this.#faults = props.faults;
  }

  /** Imports the handler now (to fail fast at start-up rather than at the first request). */
  async load(): Promise<LambdaHandler> {
    this.#handler ??= this.#load();
    return this.#handler;
  }

  /**
   * Invokes the handler like Lambda does: the event and the result cross a JSON boundary, the
   * context counts down the function's timeout, and a run past the timeout fails `Sandbox.Timedout`.
   * A fault hook (if any) may fail the invocation before the handler, after it, or delay it.
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
    const action = this.#faults
      ? await this.#faults({ functionName: this.name, event: JSON.parse(JSON.stringify(copy)), requestId })
      : undefined;
    const fault = action === undefined ? undefined : normalizeFault(action, this.name);
    const run = async (): Promise<unknown> => {
      if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault?.kind === 'throw-before') throw new InjectedFault(fault.errorName, fault.message);
      const result = await handler(copy, context);
      // The side effects are done; the caller never sees the result.
      if (fault?.kind === 'crash-after') throw new InjectedFault(fault.errorName, fault.message);
      return result;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(requestId, this.timeoutSeconds)),
        deadline - Date.now(),
      );
    });
    try {
      const result = await Promise.race([fault ? run() : Promise.resolve(handler(copy, context)), timeout]);
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
