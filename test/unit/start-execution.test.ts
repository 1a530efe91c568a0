import { InvalidArn, InvalidExecutionInput } from '@aws-sdk/client-sfn';
import { describe, expect, it } from 'vitest';
import { isDefiniteRefusal } from '#adapters/start-execution.ts';

const named = (name: string, extra: Record<string, unknown> = {}) =>
  Object.assign(new Error(name), { name, ...extra });

describe('isDefiniteRefusal: which StartExecution failures prove that nothing started', () => {
  it.each([
    ['throttling', named('ThrottlingException', { $fault: 'client', $metadata: { httpStatusCode: 400 } })],
    ['the execution limit', named('ExecutionLimitExceeded')],
    ['a bad ARN', new InvalidArn({ message: 'bad', $metadata: {} })],
    ['a bad input', new InvalidExecutionInput({ message: 'bad', $metadata: {} })],
    ['access denied', named('AccessDeniedException')],
    [
      'another 4xx the service answered',
      named('Whatever', { $fault: 'client', $metadata: { httpStatusCode: 400 } }),
    ],
    ['a refused connection', Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })],
    ['an unknown host', Object.assign(new Error('getaddrinfo ENOTFOUND'), { code: 'ENOTFOUND' })],
  ])('%s is a refusal', (_what, error) => {
    expect(isDefiniteRefusal(error)).toBe(true);
  });

  it.each([
    ['a timeout', named('TimeoutError')],
    ['a reset connection', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' })],
    ['a socket timeout', Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })],
    ['a 5xx', named('ServiceUnavailable', { $fault: 'server', $metadata: { httpStatusCode: 503 } })],
    ['a 408', named('RequestTimeout', { $fault: 'client', $metadata: { httpStatusCode: 408 } })],
    ['an unknown error', new Error('boom')],
    ['not an error', 'boom'],
  ])('%s is ambiguous (it may have started)', (_what, error) => {
    expect(isDefiniteRefusal(error)).toBe(false);
  });
});
