import { createHash } from 'node:crypto';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import type { MiddlewareObj } from '@middy/core';
import { logger } from './logger.ts';

/**
 * Correlation ids, set once per invocation: every log line of the invocation carries the workflow,
 * the caller (hashed: logs are not the place for a user's identity) and the execution, and no log
 * call passes them by hand. Put `correlated()` first in a handler's chain.
 */
export interface Correlation {
  readonly workflowId?: string | undefined;
  readonly userId?: string | undefined;
  readonly executionArn?: string | undefined;
}

/** A stable, non-reversible stand-in for a user id in logs (the first 16 hex digits of its SHA-256). */
export function hashedUserId(userId: string): string {
  return createHash('sha256').update(userId).digest('hex').slice(0, 16);
}

/** The log keys of a correlation (only those it has). */
export function correlationKeys(ids: Correlation): Record<string, string> {
  return {
    ...(ids.workflowId ? { workflow_id: ids.workflowId } : {}),
    ...(ids.userId ? { user_id: hashedUserId(ids.userId) } : {}),
    ...(ids.executionArn ? { execution_arn: ids.executionArn } : {}),
  };
}

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
