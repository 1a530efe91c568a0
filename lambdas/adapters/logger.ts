import { createHash } from 'node:crypto';
import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The function's logger, created at module load. The service name comes from POWERTOOLS_SERVICE_NAME
 * (set by the function construct). Correlation keys (workflow, hashed user, execution) are appended
 * per invocation by the `correlation` middleware, never passed by hand.
 */
// biome-ignore lint/style/noProcessEnv: Powertools' own setting, which it reads from the environment itself
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink' });

/**
 * The correlation ids of an invocation as log keys: the `correlated()` middleware appends them once
 * per invocation; a use case that learns an id later (the producer's new workflow) appends it too.
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
