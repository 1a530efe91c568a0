import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { submitBodySchema } from '#domain/api/requests.ts';
import { policyFromLimits } from '#domain/rate-limit.ts';
import { envSchema, parseEnv } from '#middleware/env.ts';
import { apiRoute, bodyOf, headerOf, json, jsonBody, userIdOf } from '#middleware/http.ts';
import { metrics } from '#middleware/metrics.ts';
import { producerMetered } from '#middleware/producer-metrics.ts';
import { type SubmitGoalPorts, submitGoal } from '#usecases/submit-goal.ts';

/**
 * POST /omnilink-agent — the skinny producer. In contract order: auth (401) → content type (415) →
 * size (413) → JSON and schema (400) → the use case (submit-goal.ts: 400, 422, 429, 409, 503) → 202.
 */

export const MAX_BODY_BYTES = 16 * 1024;

const env = parseEnv(
  envSchema(
    'STATE_TABLE',
    'STATE_MACHINE_ARN',
    'RATE_LIMIT_PER_MINUTE',
    'RATE_LIMIT_BURST',
    'WORKFLOW_RECORD_TTL_DAYS',
  ),
);

export const ports: SubmitGoalPorts = {
  dynamo,
  sfn,
  stateTable: env.STATE_TABLE,
  stateMachineArn: env.STATE_MACHINE_ARN,
  rateLimit: policyFromLimits(env.RATE_LIMIT_PER_MINUTE, env.RATE_LIMIT_BURST),
  recordTtlDays: env.WORKFLOW_RECORD_TTL_DAYS,
};

export const handler = apiRoute({ outer: [logMetrics(metrics)], inner: [producerMetered(metrics)] })
  .use(jsonBody({ maxBytes: MAX_BODY_BYTES }))
  .handler(async (event) => {
    const body = bodyOf(event, submitBodySchema);
    const idempotencyKey = headerOf(event, 'idempotency-key');
    const accepted = await submitGoal({ userId: userIdOf(event), body, idempotencyKey }, ports);
    return json(202, accepted, { Location: accepted.poll_url });
  });
