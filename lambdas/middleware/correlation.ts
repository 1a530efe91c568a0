import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import { type Correlation, correlationKeys, logger } from '#adapters/logger.ts';

export type { Correlation };

/**
 * Correlation ids, set once per invocation: every log line of the invocation carries the workflow,
 * the caller (hashed: logs are not the place for a user's identity) and the execution, and no log
 * call passes them by hand. Put `correlated()` first in a handler's chain.
 */
/**
 * Powertools' Lambda context (request id, cold start, function) plus the event's correlation ids,
 * reset after every invocation so a warm environment never logs the previous one's ids. `of` must
 * not throw: it sees the raw event, before any validation.
 */
export function correlated<E>(of: (event: E) => Correlation): MiddlewareObj<E>[] {
  return [
    injectLambdaContext(logger, { resetKeys: true }) as MiddlewareObj<E>,
    {
      before: (request) => {
        try {
          logger.appendKeys(correlationKeys(of(request.event)));
        } catch {
          // A malformed event has no ids to log; validation answers it.
        }
      },
    },
  ];
}
