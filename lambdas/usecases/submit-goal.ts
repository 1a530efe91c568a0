import { createHead } from '#adapters/event-log.ts';
import type { DocumentClient, StepFunctions } from '#adapters/executions.ts';
import { correlationKeys, logger } from '#adapters/logger.ts';
import { consumeToken } from '#adapters/rate-limit-store.ts';
import { startExecutionSettled } from '#adapters/start-execution.ts';
import {
  createWorkflowRecord,
  deleteWorkflowRecord,
  getWorkflowRecord,
  type WorkflowRecord,
} from '#adapters/workflow-store.ts';
import type { Accepted } from '#domain/api/bodies.ts';
import { invalidRequest, serviceUnavailable, unavailableAs503 } from '#domain/api/errors.ts';
import type { SubmitBody } from '#domain/api/requests.ts';
import { HttpError } from '#domain/errors.ts';
import { screenSubmission } from '#domain/guardian-rules.ts';
import {
  canonicalJson,
  idempotencyKeyPattern,
  randomWorkflowId,
  requestFingerprint,
  workflowIdForKey,
} from '#domain/idempotency.ts';
import type { RateLimitPolicy } from '#domain/rate-limit.ts';
import { redactSubmission } from '#domain/redact.ts';

/**
 * Submit a goal (POST /omnilink-agent, after the API plumbing checked the token, the content type,
 * the size and the body's schema). In contract order: context storable (400) → Idempotency-Key (400)
 * → redact PII → regex guardian (422) → per-user rate limit (429) → workflow record (409 on a key
 * reused for another body) → StartExecution → accepted. Dependencies unavailable → 503 with
 * Retry-After and nothing half-written.
 *
 * Rate-limit accounting: a token is spent by every request that gets past validation and the
 * guardian, i.e. by every request that may write or start something (202, 409, 503 and idempotent
 * repeats alike). Requests refused earlier (401/400/413/415/422) cost no token: they are rejected
 * by pure checks without touching DynamoDB, and API Gateway's route throttling bounds their volume.
 */

/**
 * Deepest nesting inside the context. DynamoDB stores at most 32 levels per item (the workflow record
 * nests the context under `input`), and thousands of levels fit in 16 KiB: deeper is a client error,
 * refused before any recursive walk (redaction, fingerprint) can overflow the stack.
 */
export const MAX_CONTEXT_DEPTH = 16;

export interface SubmitGoalRequest {
  readonly userId: string;
  readonly body: SubmitBody;
  /** The Idempotency-Key header, as sent (validated here). */
  readonly idempotencyKey?: string | undefined;
}

export interface SubmitGoalPorts {
  readonly dynamo: DocumentClient;
  readonly sfn: StepFunctions;
  readonly stateTable: string;
  readonly stateMachineArn: string;
  readonly rateLimit: RateLimitPolicy;
  readonly recordTtlDays: number;
  readonly now?: () => Date;
}

const SCHEMA_MISMATCH = 'the body does not match the schema';

export async function submitGoal(request: SubmitGoalRequest, ports: SubmitGoalPorts): Promise<Accepted> {
  const { userId, body, idempotencyKey } = request;
  if (nestedDeeperThan(body.context, MAX_CONTEXT_DEPTH)) {
    throw invalidRequest(SCHEMA_MISMATCH, [
      { path: ['context'], message: `must not nest deeper than ${MAX_CONTEXT_DEPTH} levels` },
    ]);
  }
  const unstorable = findUnstorable(body.context);
  if (unstorable !== undefined) {
    throw invalidRequest(SCHEMA_MISMATCH, [
      { path: ['context', ...unstorable.path], message: unstorable.message },
    ]);
  }
  if (idempotencyKey !== undefined && !idempotencyKeyPattern.test(idempotencyKey)) {
    throw invalidRequest('Idempotency-Key must be 1-64 characters of A-Za-z0-9_-', [
      { path: ['Idempotency-Key'], message: 'must match ^[A-Za-z0-9_-]{1,64}$' },
    ]);
  }

  const redacted = redactSubmission({ goal: body.goal, context: body.context ?? {} });
  // Safe to log: counts and sizes only, never the goal or the context.
  const facts = {
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

  const store = { client: ports.dynamo, tableName: ports.stateTable, now: ports.now };
  const decision = await unavailableAs503(() => consumeToken(store, userId, ports.rateLimit));
  if (!decision.allowed) {
    logger.info('rate limited', { ...facts, retry_after: decision.retryAfterSeconds });
    throw new HttpError(429, 'rate_limited', 'too many requests, retry later', {
      headers: { 'Retry-After': String(decision.retryAfterSeconds) },
      details: { retry_after_seconds: decision.retryAfterSeconds },
    });
  }

  const now = ports.now?.() ?? new Date();
  const workflowId =
    idempotencyKey === undefined ? randomWorkflowId() : workflowIdForKey(userId, idempotencyKey);
  // The new workflow's id joins the invocation's correlation keys from here on.
  logger.appendKeys(correlationKeys({ workflowId }));
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
    expires_at: Math.floor(now.getTime() / 1000) + ports.recordTtlDays * 86_400,
  };

  const created = await unavailableAs503(() => createWorkflowRecord(store, candidate));
  const record = created.record;
  const log = { ...facts, replay: !created.created };
  if (!created.created && (record.user_id !== userId || record.fingerprint !== fingerprint)) {
    logger.info('idempotency conflict', log);
    throw idempotencyConflict();
  }
  // The read model's head, with its owner, before the execution can append anything: a status poll
  // is then one item read from the first millisecond (a replay finds it written and leaves it).
  await unavailableAs503(() =>
    createHead(
      { client: ports.dynamo, stateTable: ports.stateTable },
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
    sfn: ports.sfn,
    stateMachineArn: ports.stateMachineArn,
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
      details: { workflow_id: workflowId, poll_url: accepted(workflowId).poll_url },
    });
  }
  if (outcome.kind === 'refused') {
    logger.warn('StartExecution refused', { ...log, error_name: errorName(outcome.error) });
    if (created.created && idempotencyKey === undefined) {
      // Nothing half-written: a random id will never be retried, so its record must go. With a key
      // the record stays, so the client's retry reuses the same id and the same input.
      await deleteWorkflowRecord(store, workflowId, record.created_at).catch((cleanupError: unknown) =>
        logger.error('could not delete the record of an unstarted workflow', { error: cleanupError }),
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

function accepted(workflowId: string): Accepted {
  return {
    status: 'accepted',
    workflow_id: workflowId,
    poll_url: `/workflows/${workflowId}/status`,
    events_url: `/workflows/${workflowId}/events`,
  };
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
