import { DescribeExecutionCommand, type SFNClient, StartExecutionCommand } from '@aws-sdk/client-sfn';
import { executionArnOf } from '#domain/execution-arn.ts';

/*
 * StartExecution with its outcome settled. A failed call is not always a refusal: a timeout after the
 * request was sent, a connection reset, a 5xx may all hide an execution that Step Functions accepted.
 * Such ambiguous outcomes are reconciled: StartExecution again with the same name and input
 * (idempotent in Step Functions: a running execution with the same input is simply returned), then
 * DescribeExecution. Only a definite refusal (the request was refused, or never reached the service)
 * counts as "nothing started".
 */

export type StartOutcome =
  /** The execution runs (this call started it, or an earlier one whose answer was lost). */
  | { readonly kind: 'started' }
  /** ExecutionAlreadyExists: the name is taken (closed, or running with another input). */
  | { readonly kind: 'exists' }
  /** Nothing started: Step Functions refused the request, or it never reached the service. */
  | { readonly kind: 'refused'; readonly error: unknown }
  /** It may run or not: Step Functions could not be asked. Keep track of it. */
  | { readonly kind: 'unknown'; readonly error: unknown };

export interface StartExecutionRequest {
  readonly sfn: SFNClient;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly input: string;
}

/**
 * Errors after which Step Functions certainly did not start the execution: it answered with a refusal
 * (throttling, validation, permissions, a missing state machine) or no connection was ever made.
 */
const REFUSAL_NAMES: ReadonlySet<string> = new Set([
  'ThrottlingException',
  'Throttling',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'ExecutionLimitExceeded',
  'InvalidArn',
  'InvalidName',
  'InvalidExecutionInput',
  'ValidationException',
  'StateMachineDoesNotExist',
  'StateMachineDeleting',
  'AccessDeniedException',
  'UnrecognizedClientException',
  'InvalidSignatureException',
  'KmsAccessDeniedException',
  'KmsInvalidStateException',
  'KmsThrottlingException',
  // Raised by the SDK before anything is sent.
  'CredentialsProviderError',
]);

/** Connection errors raised before a request could be sent. */
const NOT_CONNECTED_CODES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
]);

/**
 * Whether a StartExecution error proves that this attempt started nothing. Anything else (timeouts,
 * resets, 5xx, unknown errors) is ambiguous: the request may have reached Step Functions.
 */
export function isDefiniteRefusal(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (REFUSAL_NAMES.has(error.name)) return true;
  const code: unknown = Reflect.get(error, 'code');
  if (typeof code === 'string' && NOT_CONNECTED_CODES.has(code)) return true;
  // Any other 4xx the service answered (but a request timeout) is a refusal of this request.
  const meta: unknown = Reflect.get(error, '$metadata');
  const status = meta && typeof meta === 'object' ? Reflect.get(meta, 'httpStatusCode') : undefined;
  return (
    Reflect.get(error, '$fault') === 'client' &&
    typeof status === 'number' &&
    status >= 400 &&
    status < 500 &&
    status !== 408
  );
}

/** How many attempts the SDK made before giving up (its retries are invisible otherwise). */
function attemptsOf(error: unknown): number {
  const meta: unknown = error instanceof Error ? Reflect.get(error, '$metadata') : undefined;
  const attempts = meta && typeof meta === 'object' ? Reflect.get(meta, 'attempts') : undefined;
  return typeof attempts === 'number' ? attempts : 1;
}

const isAlreadyExists = (error: unknown) => error instanceof Error && error.name === 'ExecutionAlreadyExists';

/** Starts the execution and settles what a failure means; see {@link StartOutcome}. */
export async function startExecutionSettled(request: StartExecutionRequest): Promise<StartOutcome> {
  const start = () =>
    request.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: request.stateMachineArn,
        name: request.name,
        input: request.input,
      }),
    );
  let error: unknown;
  try {
    await start();
    return { kind: 'started' };
  } catch (caught) {
    error = caught;
  }
  if (isAlreadyExists(error)) return { kind: 'exists' };
  if (isDefiniteRefusal(error)) {
    // The SDK retries throttling and refused connections itself: an earlier attempt of those may have
    // been a timeout that reached the service. Worth one look; if it cannot be had, the refusal stands.
    if (attemptsOf(error) > 1 && (await describe(request).catch(() => 'unknown')) === 'exists')
      return { kind: 'started' };
    return { kind: 'refused', error };
  }

  // Ambiguous. The same request again settles it when Step Functions answers: it returns the running
  // execution, or says that the name is taken.
  try {
    await start();
    return { kind: 'started' };
  } catch (caught) {
    if (isAlreadyExists(caught)) return { kind: 'exists' };
    error = caught;
  }
  const found = await describe(request).catch(() => 'unknown' as const);
  if (found === 'exists') return { kind: 'started' };
  // Not there when asked after both attempts: the first never started it, and the retry's own error
  // says whether it might still.
  if (found === 'missing' && isDefiniteRefusal(error)) return { kind: 'refused', error };
  return { kind: 'unknown', error };
}

async function describe(request: StartExecutionRequest): Promise<'exists' | 'missing'> {
  try {
    await request.sfn.send(
      new DescribeExecutionCommand({ executionArn: executionArnOf(request.stateMachineArn, request.name) }),
    );
    return 'exists';
  } catch (error) {
    if (error instanceof Error && error.name === 'ExecutionDoesNotExist') return 'missing';
    throw error;
  }
}
