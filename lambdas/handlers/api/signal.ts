import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import { SendTaskFailureCommand, SendTaskSuccessCommand, type SFNClient } from '@aws-sdk/client-sfn';
import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import middy from '@middy/core';
import {
  CLOSED_TOKEN_ERRORS,
  claimApproval,
  getApproval,
  markApprovalDelivered,
} from '#adapters/approval-store.ts';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { appendEvents, readView } from '#adapters/event-log.ts';
import { getPlan } from '#adapters/plan-store.ts';
import { putStepOutputIfAbsent } from '#adapters/step-store.ts';
import { getOwnedWorkflowRecord } from '#adapters/workflow-store.ts';
import { approvedSchedule, HUMAN_APPROVAL_TOOL } from '#domain/dag.ts';
import { HttpError, WorkflowStateMissing } from '#domain/errors.ts';
import { hasEnded } from '#domain/projection.ts';
import { redactText } from '#domain/redact.ts';
import { approvalSignalBodySchema, type NewWorkflowEvent } from '#domain/schemas.ts';
import { taskFailure } from '#domain/task-errors.ts';
import type { ApprovalOutput } from '#domain/tools/approval.ts';
import { expiresAt } from '#domain/ttl.ts';
import { readEnv, required } from '#middleware/config.ts';
import {
  type ApiEvent,
  type ApiResult,
  httpErrors,
  json,
  notFound,
  pathWorkflowId,
  unavailableAs503,
  userIdOf,
} from '#middleware/http.ts';
import { logger } from '#middleware/logger.ts';

/**
 * POST /workflows/{id}/signals/approval `{"approved": boolean, "comment"?: string}` — answers the
 * workflow's pending human approval. Approved: the approval steps' outputs are stored, ApprovalGranted
 * and their StepSucceeded recorded, and the next schedule goes to the waiting task (SendTaskSuccess).
 * Denied: ApprovalDenied and StepFailed recorded, the task fails with `ApprovalDenied` (the saga ends
 * the workflow cancelled). 202 on success; 404 like status; 409 `not_waiting` when nothing is pending.
 *
 * The first decision is final: the claim keeps it even when Step Functions cannot be reached (503), so
 * the log can only ever hold that decision's outcome (its events have fixed ids: a retry appends
 * nothing twice), and only that decision ever reaches the token. A retry of the same decision sends it
 * again (a token found closed then counts as delivered: the lost response of the earlier send); the
 * other decision answers 409 not_waiting.
 */

export interface SignalDeps {
  readonly dynamo: DynamoDBDocumentClient;
  readonly sfn: SFNClient;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly ttlDays: number;
  readonly eventLogTtlDays: number;
  readonly now?: () => Date;
}

export function notWaiting(): HttpError {
  return new HttpError(409, 'not_waiting', 'the workflow is not waiting for an approval');
}

function parseBody(event: ApiEvent) {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? '', 'base64').toString('utf8')
    : (event.body ?? '');
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    throw new HttpError(400, 'invalid_request', 'the body is not valid JSON');
  }
  const body = approvalSignalBodySchema.safeParse(parsed);
  if (!body.success) {
    throw new HttpError(400, 'invalid_request', 'the body does not match the schema', {
      details: {
        issues: body.error.issues.map((issue) => ({ path: issue.path.map(String), message: issue.message })),
      },
    });
  }
  return body.data;
}

export async function signalApproval(event: ApiEvent, deps: SignalDeps): Promise<ApiResult> {
  const userId = userIdOf(event);
  const workflowId = pathWorkflowId(event);
  const now = deps.now?.() ?? new Date();
  const store = { client: deps.dynamo, tableName: deps.stateTable, now: deps.now };
  const record = await unavailableAs503(() => getOwnedWorkflowRecord(store, workflowId, userId));
  if (!record) throw notFound();
  const body = parseBody(event);

  const state = { client: deps.dynamo, tableName: deps.stateTable, ttlDays: deps.ttlDays, now: deps.now };
  const events = {
    client: deps.dynamo,
    tableName: deps.eventLogTable,
    stateTable: deps.stateTable,
    expiresAt: expiresAt(now, deps.eventLogTtlDays),
    now: deps.now,
  };
  let approval = await unavailableAs503(() => getApproval(state, workflowId));
  if (approval === undefined) throw notWaiting();
  // A wait that timed out leaves its record pending until the saga closes it: the log knows better.
  if (hasEnded(await unavailableAs503(() => readView(events, workflowId)))) throw notWaiting();
  const decision = body.approved ? 'approved' : 'denied';
  let claimedNow = false;
  if (approval.status === 'pending') {
    const { token } = approval;
    claimedNow = await unavailableAs503(() => claimApproval(state, workflowId, token, decision));
    // Lost the race: whatever won is on the record now.
    if (!claimedNow) approval = await unavailableAs503(() => getApproval(state, workflowId));
  }
  // Not ours to send: another decision (or a cancel) came first, or this one reached Step Functions.
  const retrying = approval?.status === decision && approval.delivered_at === undefined;
  if (approval === undefined || !(claimedNow || retrying)) throw notWaiting();
  const comment = body.comment === undefined ? undefined : redactText(body.comment).text;
  const ids = approval.step_ids;
  const decidedAt = now.toISOString();

  try {
    if (body.approved) {
      const stored = await getPlan(state, workflowId);
      if (!stored) throw new WorkflowStateMissing(`workflow ${workflowId} has no plan`);
      const output: ApprovalOutput = {
        approved: true,
        ...(comment ? { comment } : {}),
        decided_at: decidedAt,
      };
      for (const stepId of ids) {
        await putStepOutputIfAbsent(state, workflowId, {
          step_id: stepId,
          tool: HUMAN_APPROVAL_TOOL,
          output,
          stored_at: decidedAt,
        });
      }
      await appendEvents(events, workflowId, [
        {
          event_id: `ApprovalGranted:${ids.join(',')}`,
          type: 'ApprovalGranted',
          data: { step_ids: ids, ...(comment ? { comment } : {}) },
        },
        ...ids.map(
          (stepId): NewWorkflowEvent => ({
            event_id: `StepSucceeded:${stepId}`,
            type: 'StepSucceeded',
            data: { step_id: stepId, tool: HUMAN_APPROVAL_TOOL, output: { approved: true } },
          }),
        ),
      ]);
      const schedule = approvedSchedule(stored.plan, ids, approval.done, approval.timeout_seconds);
      await deps.sfn.send(
        new SendTaskSuccessCommand({ taskToken: approval.token, output: JSON.stringify(schedule) }),
      );
    } else {
      await appendEvents(events, workflowId, [
        {
          event_id: `ApprovalDenied:${ids.join(',')}`,
          type: 'ApprovalDenied',
          data: { step_ids: ids, ...(comment ? { comment } : {}) },
        },
        ...ids.map(
          (stepId): NewWorkflowEvent => ({
            event_id: `StepFailed:${stepId}`,
            type: 'StepFailed',
            data: {
              step_id: stepId,
              tool: HUMAN_APPROVAL_TOOL,
              error: { code: 'ApprovalDenied', message: 'the approval was denied' },
              retryable: false,
            },
          }),
        ),
      ]);
      await deps.sfn.send(
        new SendTaskFailureCommand({
          taskToken: approval.token,
          ...taskFailure('ApprovalDenied', 'The user denied the approval.'),
        }),
      );
    }
  } catch (error) {
    if (error instanceof Error && CLOSED_TOKEN_ERRORS.has(error.name)) {
      if (claimedNow) {
        // The wait is over (timed out, or the execution stopped): nothing is waiting for this answer.
        logger.warn('approval token already closed', { workflow_id: workflowId, error_name: error.name });
        throw notWaiting();
      }
      // A retry: the earlier send of this decision reached Step Functions and only its answer was lost.
      logger.info('approval token closed on a retry; counted as delivered', {
        workflow_id: workflowId,
        error_name: error.name,
      });
    } else {
      // Not delivered (or not known to be): the claim keeps this decision for a retry of the same request.
      return unavailableAs503(() => Promise.reject(error));
    }
  }
  await markApprovalDelivered(state, workflowId, approval.token, decision).catch((markError: unknown) => {
    // A repeat then sends again and finds the token closed: still one outcome.
    logger.warn('could not mark the approval delivered', { workflow_id: workflowId, error: markError });
  });
  logger.info('approval signal delivered', { workflow_id: workflowId, approved: body.approved });
  return json(202, {
    status: body.approved ? 'resumed' : 'cancelling',
    workflow_id: workflowId,
    approved: body.approved,
  });
}

const env = readEnv();

export const handler = middy<ApiEvent, ApiResult>()
  .use(injectLambdaContext(logger))
  .use(httpErrors())
  .handler((event) =>
    signalApproval(event, {
      dynamo,
      sfn,
      stateTable: required(env, 'STATE_TABLE'),
      eventLogTable: required(env, 'EVENT_LOG_TABLE'),
      ttlDays: env.WORKFLOW_RECORD_TTL_DAYS,
      eventLogTtlDays: env.EVENT_LOG_TTL_DAYS,
    }),
  );
