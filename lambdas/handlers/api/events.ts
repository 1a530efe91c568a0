import { dynamo } from '#adapters/aws/dynamodb.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { apiRoute, json, workflowRequest } from '#middleware/http.ts';
import { type ReadEventsPorts, readEvents } from '#usecases/read-events.ts';

/** GET /workflows/{id}/events?after=<seq>&limit=<n> — the audit trail, a page at a time (read-events.ts). */

const env = parseEnv(envSchema('STATE_TABLE', 'EVENT_LOG_TABLE'));

export const ports: ReadEventsPorts = {
  dynamo,
  stateTable: env.STATE_TABLE,
  eventLogTable: env.EVENT_LOG_TABLE,
};

export const handler = apiRoute().handler(async (event) => {
  const query = event.queryStringParameters ?? {};
  return json(200, await readEvents({ ...workflowRequest(event), query }, ports));
});
