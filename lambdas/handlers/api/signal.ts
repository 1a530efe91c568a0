import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { approvalSignalBodySchema } from '#domain/schemas.ts';
import { envSchema, parseEnv, WORKFLOW_LOG_ENV } from '#middleware/env.ts';
import { apiRoute, bodyOf, json, jsonBody, workflowRequest } from '#middleware/http.ts';
import { type DecideApprovalPorts, decideApproval } from '#usecases/decide-approval.ts';

/** POST /workflows/{id}/signals/approval `{"approved", "comment"?}` — answers a pending approval (decide-approval.ts). */

const env = parseEnv(envSchema(...WORKFLOW_LOG_ENV));

export const ports: DecideApprovalPorts = {
  dynamo,
  sfn,
  stateTable: env.STATE_TABLE,
  eventLogTable: env.EVENT_LOG_TABLE,
  ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
  eventLogTtlDays: env.EVENT_LOG_TTL_DAYS,
};

export const handler = apiRoute()
  .use(jsonBody())
  .handler(async (event) => {
    const body = () => bodyOf(event, approvalSignalBodySchema);
    return json(202, await decideApproval({ ...workflowRequest(event), body }, ports));
  });
