import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { apiRoute, json, workflowRequest } from '#middleware/http.ts';
import { type RedrivePorts, redriveWorkflow } from '#usecases/redrive.ts';

/** POST /workflows/{id}/redrive — resumes a failed workflow from where it failed (redrive.ts). */

const env = parseEnv(envSchema('STATE_TABLE', 'STATE_MACHINE_ARN'));

export const ports: RedrivePorts = {
  dynamo,
  sfn,
  stateTable: env.STATE_TABLE,
  stateMachineArn: env.STATE_MACHINE_ARN,
};

export const handler = apiRoute().handler(async (event) =>
  json(202, await redriveWorkflow(workflowRequest(event), ports)),
);
