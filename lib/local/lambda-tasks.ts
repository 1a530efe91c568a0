import { randomUUID } from 'node:crypto';
import { type LocalFunction, lambdaErrorCause } from './lambda.ts';
import { forEachState, type LocalTaskHandler } from './step-functions.ts';

/**
 * Local handlers for the Task states of a definition that call Lambda, the way the optimized
 * `arn:aws:states:::lambda:invoke` integration does: the task's (evaluated) Parameters carry
 * `FunctionName` and `Payload`; the result is `{Payload, StatusCode: 200, ExecutedVersion, ...}`.
 * A function error surfaces under its `name` (what Retry/Catch match) with AWS's Cause: the Lambda
 * runtime's error JSON `{"errorType", "errorMessage", "trace"}`. For `lambda:invoke.waitForTaskToken`
 * the handler only invokes the function; LocalStepFunctions puts the token into the payload and waits
 * for SendTaskSuccess/SendTaskFailure.
 */

/** `lambda:invoke`, and its callback form: the engine (step-functions.ts) supplies the task token and waits. */
const OPTIMIZED_LAMBDA = /^arn:aws:states:::lambda:invoke(?:\.waitForTaskToken)?$/;
const LAMBDA_ARN = /^arn:aws:lambda:[a-z0-9-]+:\d{12}:function:[A-Za-z0-9_-]+(:[A-Za-z0-9$_-]+)?$/;

/** The error thrown into the state machine: named like the function's error, AWS's Cause as message. */
export class TaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** How the Lambda service reports a sandbox it killed (the function returned no error type of its own). */
const KILLED_SANDBOX_ERRORS = new Set(['Sandbox.Timedout', 'Runtime.OutOfMemory']);

/**
 * A function killed past its timeout or out of memory fails a `lambda:invoke` task with
 * `Lambda.Unknown` ("Handle transient Lambda service exceptions" in the Step Functions guide), the
 * Cause quoting the payload Lambda returned; `Sandbox.Timedout` is what the Lambda API itself says.
 */
export function sandboxKilled(error: unknown): TaskError | undefined {
  if (!(error instanceof Error) || !KILLED_SANDBOX_ERRORS.has(error.name)) return undefined;
  const payload = JSON.stringify({ errorType: error.name, errorMessage: error.message });
  return new TaskError(
    'Lambda.Unknown',
    `The cause could not be determined because Lambda did not return an error type. Returned payload: ${payload}`,
  );
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Builds a local handler for every Lambda Task state (Map/Parallel nested states included). */
export function lambdaTaskHandlers(
  definition: unknown,
  functions: readonly LocalFunction[],
): Record<string, LocalTaskHandler> {
  const byArn = new Map<string, LocalFunction>();
  for (const fn of functions) {
    byArn.set(fn.arn, fn);
    byArn.set(fn.functionName, fn);
  }
  const resolve = (nameOrArn: unknown): LocalFunction => {
    const fn = typeof nameOrArn === 'string' ? byArn.get(nameOrArn.replace(/:\$LATEST$/, '')) : undefined;
    if (!fn) {
      throw new TaskError(
        'Lambda.ResourceNotFoundException',
        JSON.stringify({
          errorType: 'ResourceNotFoundException',
          errorMessage: `Function not found: ${String(nameOrArn)}`,
        }),
      );
    }
    return fn;
  };
  const invoke = async (fn: LocalFunction, payload: unknown): Promise<unknown> => {
    try {
      return await fn.invoke(payload);
    } catch (error) {
      const killed = sandboxKilled(error);
      if (killed) throw killed;
      const { name, cause } = lambdaErrorCause(error);
      throw new TaskError(name, cause);
    }
  };

  const handlers: Record<string, LocalTaskHandler> = {};
  forEachState(definition, (stateName, state) => {
    if (state.Type !== 'Task') return;
    const resource = String(state.Resource);
    if (handlers[stateName])
      throw new Error(`two Task states are named "${stateName}"; local handlers need unique names`);
    if (OPTIMIZED_LAMBDA.test(resource)) {
      const parameters = isObject(state.Parameters) ? state.Parameters : {};
      if (typeof parameters.FunctionName === 'string') resolve(parameters.FunctionName); // fail fast at start-up
      handlers[stateName] = async (input) => {
        const params = isObject(input) ? input : {};
        const fn = resolve(params.FunctionName);
        const payload = await invoke(fn, params.Payload ?? {});
        const requestId = randomUUID();
        return {
          ExecutedVersion: '$LATEST',
          Payload: payload,
          SdkHttpMetadata: { HttpStatusCode: 200 },
          SdkResponseMetadata: { RequestId: requestId },
          StatusCode: 200,
        };
      };
    } else if (LAMBDA_ARN.test(resource)) {
      const fn = resolve(resource);
      handlers[stateName] = (input) => invoke(fn, input);
    } else {
      // Anything else (other services, `.sync`) has no local stand-in: refuse it loudly.
      throw new Error(`Task state "${stateName}": resource ${resource} is not supported locally`);
    }
  });
  return handlers;
}
