import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import type { ControlPorts } from '#usecases/control-ports.ts';
import type { EnvOf, WORKFLOW_LOG_ENV } from './env.ts';

/**
 * The ports of a control route (cancel, the approval signal) from its parsed environment and the
 * function's clients (a module of its own: only these functions bundle the Step Functions client).
 */
export function controlPorts(env: EnvOf<(typeof WORKFLOW_LOG_ENV)[number]>): ControlPorts {
  return {
    dynamo,
    sfn,
    stateTable: env.STATE_TABLE,
    eventLogTable: env.EVENT_LOG_TABLE,
    ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
    eventLogTtlDays: env.EVENT_LOG_TTL_DAYS,
  };
}
