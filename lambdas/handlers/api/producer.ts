import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { logMetrics } from '@aws-lambda-powertools/metrics/middleware';
import type { SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { createHead } from '#adapters/event-log.ts';
import { consumeToken } from '#adapters/rate-limit-store.ts';
import { startExecutionSettled } from '#adapters/start-execution.ts';
import {
  createWorkflowRecord,
  deleteWorkflowRecord,
  getWorkflowRecord,
  type WorkflowRecord,
} from '#adapters/workflow-store.ts';
import { HttpError } from '#domain/errors.ts';
import { screenSubmission } from '#domain/guardian-rules.ts';
import {
  canonicalJson,
  idempotencyKeyPattern,
  randomWorkflowId,
  requestFingerprint,
  workflowIdForKey,
} from '#domain/idempotency.ts';
import { emitMetrics, type MetricsSink, producerMetrics } from '#domain/metrics.ts';
import { policyFromLimits, type RateLimitPolicy } from '#domain/rate-limit.ts';
import { redactSubmission } from '#domain/redact.ts';
import { submitBodySchema } from '#domain/schemas.ts';
import { readEnv, required } from '#middleware/config.ts';
import {
  type ApiEvent,
  type ApiResult,
  headerOf,
  httpErrors,
  json,
  serviceUnavailable,
  unavailableAs503,
  userIdOf,
} from '#middleware/http.ts';
import { logger } from '#middleware/logger.ts';
import { metrics } from '#middleware/metrics.ts';

/**
 * POST /omnilink-agent — the skinny producer. In contract order: auth (401) → content type (415) →
 * size (413) → JSON and schema (400) → Idempotency-Key (400) → redact PII → regex guardian (422) →
 * per-user rate limit (429) → workflow record (409 on a key reused for another body) →
 * StartExecution → 202. Dependencies unavailable → 503 with Retry-After and nothing half-written.
 *
 * Rate-limit accounting: a token is spent by every request that gets past validation and the
 * guardian, i.e. by every request that may write or start something (202, 409, 503 and idempotent
 * repeats alike). Requests refused earlier (401/400/413/415/422) cost no token: they are rejected
 * by pure checks without touching DynamoDB, and API Gateway's route throttling bounds their volume.
 */

export const MAX_BODY_BYTES = 16 * 1024;

/**
 * Deepest nesting inside the context. DynamoDB stores at most 32 levels per item (the workflow record
 * nests the context under `input`), and thousands of levels fit in 16 KiB: deeper is a client error,
 * refused before any recursive walk (redaction, fingerprint) can overflow the stack.
 */
export const MAX_CONTEXT_DEPTH = 16;

export interface ProducerDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly stateMachineArn: string;
  readonly rateLimit: RateLimitPolicy;
  readonly recordTtlDays: number;
  readonly now?: () => Date;
}

/** The producer's logic, with its clients and settings passed in (the handler below wires them). */
export async function submitGoal(event: ApiEvent, deps: ProducerDeps): Promise<ApiResult> {
  const userId = userIdOf(event);

  const contentType = headerOf(event, 'content-type');
  if (contentType?.split(';')[0]?.trim().toLowerCase() !== 'application/json') {
    throw new HttpError(415, 'unsupported_media_type', 'Content-Type must be application/json');
  }

  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64')
    : Buffer.from(event.body ?? '', 'utf8');
  if (raw.byteLength > MAX_BODY_BYTES) {
    throw new HttpError(413, 'payload_too_large', `the body must be at most ${MAX_BODY_BYTES} bytes`);
  }

  let parsedJson: unknown;
  try {
    parsedJson = JSON.parse(raw.toString('utf8'));
  } catch {
    throw new HttpError(400, 'invalid_request', 'the body is not valid JSON');
  }
  const body = submitBodySchema.safeParse(parsedJson);
  if (!body.success) {
    throw new HttpError(400, 'invalid_request', 'the body does not match the schema', {
      details: {
        issues: body.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      },
    });
  }
  if (nestedDeeperThan(body.data.context, MAX_CONTEXT_DEPTH)) {
    throw new HttpError(400, 'invalid_request', 'the body does not match the schema', {
      details: {
        issues: [{ path: ['context'], message: `must not nest deeper than ${MAX_CONTEXT_DEPTH} levels` }],
      },
    });
  }
  const unstorable = findUnstorable(body.data.context);
  if (unstorable !== undefined) {
    throw new HttpError(400, 'invalid_request', 'the body does not match the schema', {
      details: { issues: [{ path: ['context', ...unstorable.path], message: unstorable.message }] },
    });
  }

  const idempotencyKey = headerOf(event, 'idempotency-key');
  if (idempotencyKey !== undefined && !idempotencyKeyPattern.test(idempotencyKey)) {
    throw new HttpError(400, 'invalid_request', 'Idempotency-Key must be 1-64 characters of A-Za-z0-9_-', {
      details: { issues: [{ path: ['Idempotency-Key'], message: 'must match ^[A-Za-z0-9_-]{1,64}$' }] },
    });
  }

  const redacted = redactSubmission({ goal: body.data.goal, context: body.data.context ?? {} });
  // Safe to log: counts and sizes only, never the goal or the context.
  const facts = {
    user_id: userId,
    goal_length: redacted.goal.length,
    context_keys: Object.keys(redacted.context).length,
    redactions: redacted.counts,
    idempotency_key: idempotencyKey !== undefined,
  };

  const verdict = screenSubmission(redacted);
  if (!verdict.allowed) {
    logger.info('goal rejected by the fast guardian', {
      ...facts,
      reason: verdict.reason,
      rule: verdict.rule,
    });
    throw new HttpError(422, 'rejected_by_guardian', 'the goal was rejected by the guardian', {
      details: { reason: verdict.reason },
    });
  }

  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const decision = await unavailableAs503(() => consumeToken(store, userId, deps.rateLimit));
  if (!decision.allowed) {
    logger.info('rate limited', { ...facts, retry_after: decision.retryAfterSeconds });
    throw new HttpError(429, 'rate_limited', 'too many requests, retry later', {
      headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      details: { retry_after_seconds: decision.retryAfterSeconds },
    });
  }

  const now = deps.now?.() ?? new Date();
  const workflowId =
    idempotencyKey === undefined ? randomWorkflowId() : workflowIdForKey(userId, idempotencyKey);
  const fingerprint = requestFingerprint(redacted);
  const createdAt = now.toISOString();
  const candidate: WorkflowRecord = {
    workflow_id: workflowId,
    user_id: userId,
    fingerprint,
    created_at: createdAt,
    input: {
      workflow_id: workflowId,
      user_id: userId,
      goal: redacted.goal,
      context: redacted.context,
      submitted_at: createdAt,
    },
    expires_at: Math.floor(now.getTime() / 1000) + deps.recordTtlDays * 86_400,
  };

  const created = await unavailableAs503(() => createWorkflowRecord(store, candidate));
  const record = created.record;
  const log = { ...facts, workflow_id: workflowId, replay: !created.created };
  if (!created.created && (record.user_id !== userId || record.fingerprint !== fingerprint)) {
    logger.info('idempotency conflict', log);
    throw idempotencyConflict();
  }
  // The read model's head, with its owner, before the execution can append anything: a status poll
  // is then one item read from the first millisecond (a replay finds it written and leaves it).
  await unavailableAs503(() =>
    createHead(
      { client: deps.dynamo, stateTable: deps.stateTable },
      {
        workflow_id: workflowId,
        user_id: userId,
        created_at: record.created_at,
        goal: summarizeGoal(record.input.goal),
        expires_at: record.expires_at,
      },
    ),
  );

  // StartExecution, with a failure settled: refused (nothing runs), or possibly running (never lost).
  const outcome = await startExecutionSettled({
    sfn: deps.sfn,
    stateMachineArn: deps.stateMachineArn,
    name: workflowId,
    // Canonical JSON of the stored input: a repeat is byte-identical whatever DynamoDB did to key order.
    input: canonicalJson(record.input),
  });
  if (outcome.kind === 'exists') {
    // The execution is closed, or runs with another input: the record as stored now decides.
    const stored = await unavailableAs503(() => getWorkflowRecord(store, workflowId));
    if (stored?.user_id !== userId || stored.fingerprint !== fingerprint) {
      logger.info('idempotency conflict on an existing execution', log);
      throw idempotencyConflict();
    }
    logger.info('execution already exists; answering with it', log);
    return accepted(workflowId);
  }
  if (outcome.kind === 'unknown') {
    // It may run: never lose track of it. Record and head stay, and the client gets the id to poll
    // (status and cancel answer for it; a run that never started shows no progress).
    logger.warn('StartExecution outcome unknown; keeping the workflow', {
      ...log,
      error_name: errorName(outcome.error),
    });
    throw serviceUnavailable(outcome.error, {
      details: { workflow_id: workflowId, poll_url: `/workflows/${workflowId}/status` },
    });
  }
  if (outcome.kind === 'refused') {
    logger.warn('StartExecution refused', { ...log, error_name: errorName(outcome.error) });
    if (created.created && idempotencyKey === undefined) {
      // Nothing half-written: a random id will never be retried, so its record must go. With a key
      // the record stays, so the client's retry reuses the same id and the same input.
      await deleteWorkflowRecord(store, workflowId, record.created_at).catch((cleanupError: unknown) =>
        logger.error('could not delete the record of an unstarted workflow', {
          workflow_id: workflowId,
          error: cleanupError,
        }),
      );
    }
    throw serviceUnavailable(outcome.error);
  }

  logger.info('workflow accepted', log);
  return accepted(workflowId);
}

/** The goal as lists show it: redacted already, one line, at most 120 characters. */
function summarizeGoal(goal: string): string {
  const line = goal.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

const errorName = (error: unknown) => (error instanceof Error ? error.name : 'unknown');

function accepted(workflowId: string): ApiResult {
  const pollUrl = `/workflows/${workflowId}/status`;
  return json(
    202,
    {
      status: 'accepted',
      workflow_id: workflowId,
      poll_url: pollUrl,
      events_url: `/workflows/${workflowId}/events`,
    },
    { Location: pollUrl },
  );
}

function idempotencyConflict(): HttpError {
  return new HttpError(
    409,
    'idempotency_conflict',
    'this Idempotency-Key was already used with a different request',
  );
}

/** Whether objects/arrays nest deeper than `max` levels below `value` (iterative: no stack to overflow). */
function nestedDeeperThan(value: unknown, max: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    if (next.value === null || typeof next.value !== 'object') continue;
    if (next.depth > max) return true;
    for (const child of Object.values(next.value)) pending.push({ value: child, depth: next.depth + 1 });
  }
  return false;
}

/**
 * What in the context cannot be stored in the workflow record, if anything — a client error, not a
 * 500: a number beyond ±2^53 (it already lost precision in JSON.parse, and the DocumentClient refuses
 * it) or below 1e-130 (DynamoDB refuses it), or an empty key (DynamoDB refuses an empty attribute
 * name at any depth: AWS's DynamoDB Local showed it; dynalite had let it through).
 */
function findUnstorable(
  value: unknown,
  path: string[] = [],
): { path: string[]; message: string } | undefined {
  if (typeof value === 'number') {
    const magnitude = Math.abs(value);
    // DynamoDB stores 38 significant digits down to 1e-130; JS loses integers beyond 2^53.
    const storable =
      Number.isFinite(value) &&
      magnitude <= Number.MAX_SAFE_INTEGER &&
      (magnitude === 0 || magnitude >= 1e-130);
    return storable
      ? undefined
      : { path, message: 'numbers must lie within ±2^53 and not below 1e-130 in magnitude' };
  }
  if (value !== null && typeof value === 'object') {
    for (const [key, child] of Object.entries(value)) {
      if (key === '' && !Array.isArray(value))
        return { path: [...path, key], message: 'keys must not be empty' };
      const found = findUnstorable(child, [...path, key]);
      if (found) return found;
    }
  }
  return undefined;
}

/**
 * {@link submitGoal} with its metrics: GoalAccepted (202) or GoalRejected by reason class, and
 * ProducerLatency (ms, the producer's own work: validation to StartExecution). Emitted whatever the
 * outcome, so every invocation flushes at least one metric.
 */
export async function submitGoalMeasured(
  event: ApiEvent,
  deps: ProducerDeps,
  sink: MetricsSink = metrics,
): Promise<ApiResult> {
  const started = performance.now();
  let statusCode = 500;
  try {
    const result = await submitGoal(event, deps);
    statusCode = result.statusCode ?? 200;
    return result;
  } catch (error) {
    if (error instanceof HttpError) statusCode = error.statusCode;
    throw error;
  } finally {
    emitMetrics(sink, producerMetrics(statusCode, performance.now() - started));
  }
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  // After httpErrors in the chain, so it flushes after the error became a response (middy runs
  // after/onError in reverse order).
  .use(logMetrics(metrics))
  .use(httpErrors())
  .handler((event) =>
    submitGoalMeasured(event, {
      dynamo,
      sfn,
      stateTable: required(env, 'STATE_TABLE'),
      stateMachineArn: required(env, 'STATE_MACHINE_ARN'),
      rateLimit: policyFromLimits(env.RATE_LIMIT_PER_MINUTE, env.RATE_LIMIT_BURST),
      recordTtlDays: env.WORKFLOW_RECORD_TTL_DAYS,
    }),
  );
