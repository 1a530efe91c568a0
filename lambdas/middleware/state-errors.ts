import type { MiddlewareObj } from '@middy/core';
import { toStateError } from '#domain/task-errors.ts';

/**
 * The state tasks' error vocabulary (see lambdas/domain/task-errors.ts): what a task throws reaches
 * Step Functions as `WorkflowError` (a domain error, its code in the message: the ASL's Catch), as
 * `TransientError` (the ASL's Retry), or unchanged (a bug: neither). One `.use(stateTaskErrors())`
 * per state handler.
 */
export function stateTaskErrors<E, R>(): MiddlewareObj<E, R> {
  return {
    onError: (request) => {
      const mapped = toStateError(request.error);
      if (mapped instanceof Error) request.error = mapped;
    },
  };
}
