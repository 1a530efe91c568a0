import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { apiRoute, json, workflowRequest } from '#middleware/http.ts';
import { type GetStatusPorts, getStatus } from '#usecases/get-status.ts';

/** GET /workflows/{id}/status — the workflow's status from its read model (get-status.ts). */

const env = parseEnv(envSchema('STATE_TABLE', 'STATE_MACHINE_ARN', 'STATUS_STALE_AFTER_SECONDS'));

export const ports: GetStatusPorts = {
  dynamo,
  sfn,
  stateTable: env.STATE_TABLE,
  stateMachineArn: env.STATE_MACHINE_ARN,
  staleAfterMs: env.STATUS_STALE_AFTER_SECONDS * 1000,
};

export const handler = apiRoute().handler(async (event) =>
  json(200, await getStatus(workflowRequest(event), ports)),
);
