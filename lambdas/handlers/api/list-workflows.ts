import { dynamo } from '#adapters/aws/dynamodb.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { apiRoute, json, userIdOf } from '#middleware/http.ts';
import { type ListWorkflowsPorts, listWorkflows } from '#usecases/list-workflows.ts';

/** GET /workflows?limit=<n>&next=<cursor> — the caller's workflows, newest first (list-workflows.ts). */

const env = parseEnv(envSchema('STATE_TABLE'));

export const ports: ListWorkflowsPorts = { dynamo, stateTable: env.STATE_TABLE };

export const handler = apiRoute().handler(async (event) => {
  const query = event.queryStringParameters ?? {};
  return json(200, await listWorkflows({ userId: userIdOf(event), query }, ports));
});
