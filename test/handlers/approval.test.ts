import {
  DescribeExecutionCommand,
  RedriveExecutionCommand,
  SendTaskFailureCommand,
  SendTaskSuccessCommand,
  TaskTimedOut,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.BOOKINGS_TABLE = 'test-bookings';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import type { ApiEvent, ApiResult } from '#middleware/http.ts';
import { cancelWorkflow } from '#usecases/cancel.ts';
import { handler as cancel } from '../../lambdas/handlers/api/cancel.ts';
import { handler as signal } from '../../lambdas/handlers/api/signal.ts';
import { handler as compensate } from '../../lambdas/handlers/states/compensate.ts';
import { handler as finalize } from '../../lambdas/handlers/states/finalize.ts';
import { handler as guardian } from '../../lambdas/handlers/states/guardian.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { handler as requestApproval } from '../../lambdas/handlers/states/request-approval.ts';
import { handler as step } from '../../lambdas/handlers/states/step.ts';
import { apiEvent } from '../support/api-event.ts';
import { eventTrail, installFakeDynamo, lambdaContext, storedEvents, TABLES } from './harness.ts';

const fake = installFakeDynamo();
const sfnMock = mockClient(sfn);
const WF = 'wf_approvalHandlers01';
const TOKEN = 'token-1';

const input = {
  workflow_id: WF,
  user_id: 'alice',
  goal: 'Book a flight to Rome with my approval',
  context: {},
  submitted_at: '2026-11-25T17:00:00.000Z',
};

const api = (path: string, body: unknown, user: string | null = 'alice', id: string = WF): ApiEvent =>
  apiEvent(`POST ${path}`, {
    id,
    user,
    headers: { 'content-type': 'application/json' },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

const sendSignal = (body: unknown, user: string | null = 'alice', id = WF) =>
  signal(api('/workflows/{id}/signals/approval', body, user, id), lambdaContext) as Promise<ApiResult>;
const sendCancel = (user: string | null = 'alice', id = WF) =>
  cancel(api('/workflows/{id}/cancel', undefined, user, id), lambdaContext) as Promise<ApiResult>;
const bodyOf = (result: ApiResult) => JSON.parse(String(result.body));

function putRecord(): void {
  fake.put(TABLES.state, {
    pk: `WF#${WF}`,
    sk: 'META',
    workflow_id: WF,
    user_id: 'alice',
    fingerprint: 'f',
    created_at: input.submitted_at,
    input,
    expires_at: 4_102_444_800,
  });
}

/** Guardian, planner, the search wave and the approval wave: the workflow now awaits its approval. */
async function runUntilApproval(): Promise<unknown> {
  putRecord();
  await guardian(input, lambdaContext);
  await planner({ workflow_id: WF, user_id: 'alice', goal: input.goal, context: {} }, lambdaContext);
  await step(
    { workflow_id: WF, step_id: 'search_flight_1', wave: ['search_flight_1'], done: [] },
    lambdaContext,
  );
  return step(
    { workflow_id: WF, step_id: 'approve_flight_1', wave: ['approve_flight_1'], done: ['search_flight_1'] },
    lambdaContext,
  );
}

async function requestTheApproval(): Promise<void> {
  await requestApproval(
    {
      workflow_id: WF,
      step_ids: ['approve_flight_1'],
      done: ['search_flight_1'],
      task_token: TOKEN,
      timeout_seconds: 86_400,
    },
    lambdaContext,
  );
}

const approvalItem = () => fake.items(TABLES.state).find((item) => item.sk === 'APPROVAL');

beforeEach(() => {
  fake.reset();
  sfnMock.reset();
});

describe('step task with human approval', () => {
  it('records an approval step as started and returns it awaiting, without running a tool', async () => {
    const result = await runUntilApproval();
    expect(result).toEqual({
      step_id: 'approve_flight_1',
      ready: [],
      done: ['search_flight_1'],
      awaiting_approval: ['approve_flight_1'],
      approval_timeout_seconds: 86_400,
    });
    expect(eventTrail(fake, WF).slice(-2)).toEqual([
      'StepSucceeded:search_flight_1',
      'StepStarted:approve_flight_1',
    ]);
  });

  it('fails with WorkflowCancelled, before StepStarted, once CancelRequested is in the log', async () => {
    await runUntilApproval();
    expect((await sendCancel()).statusCode).toBe(202);
    await expect(
      step(
        { workflow_id: WF, step_id: 'book_flight_1', wave: ['book_flight_1'], done: ['search_flight_1'] },
        lambdaContext,
      ),
    ).rejects.toMatchObject({ name: 'WorkflowError', code: 'WorkflowCancelled' });
    await expect(finalize({ workflow_id: WF }, lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'WorkflowCancelled',
    });
    expect(eventTrail(fake, WF)).not.toContain('StepStarted:book_flight_1');
  });
});

describe('request-approval task', () => {
  it('stores the token and records ApprovalRequested with the prompt and the offer to approve', async () => {
    await runUntilApproval();
    await requestTheApproval();
    expect(approvalItem()).toMatchObject({
      token: TOKEN,
      status: 'pending',
      step_ids: ['approve_flight_1'],
      done: ['search_flight_1'],
    });
    const requested = storedEvents(fake, WF).find((e) => e.type === 'ApprovalRequested');
    expect(requested?.data).toMatchObject({
      step_ids: ['approve_flight_1'],
      approvals: [
        {
          step_id: 'approve_flight_1',
          prompt: expect.stringContaining('Rome'),
          details: expect.objectContaining({ kind: 'flight', destination: 'ROM' }),
        },
      ],
      timeout_seconds: 86_400,
    });
  });

  it('fails with WorkflowCancelled when the workflow was cancelled before the token was stored', async () => {
    await runUntilApproval();
    await sendCancel();
    await expect(requestTheApproval()).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'WorkflowCancelled',
    });
    expect(eventTrail(fake, WF)).not.toContain('ApprovalRequested');
  });

  it('rejects a malformed payload as InvalidTaskInput', async () => {
    await expect(requestApproval({ workflow_id: WF, step_ids: [] }, lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'InvalidTaskInput',
    });
  });
});

describe('POST /workflows/{id}/signals/approval', () => {
  beforeEach(async () => {
    await runUntilApproval();
    await requestTheApproval();
  });

  it('202 on approve: stores the approval output, records ApprovalGranted, sends the next schedule', async () => {
    sfnMock.on(SendTaskSuccessCommand).resolves({});
    const result = await sendSignal({ approved: true, comment: 'fine, call +44 20 7946 0958' });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toEqual({ status: 'resumed', workflow_id: WF, approved: true });
    const sent = sfnMock.commandCalls(SendTaskSuccessCommand)[0]?.args[0].input;
    expect(sent?.taskToken).toBe(TOKEN);
    expect(JSON.parse(sent?.output ?? '')).toEqual({
      ready: ['book_flight_1'],
      done: ['search_flight_1', 'approve_flight_1'],
      awaiting_approval: [],
      approval_timeout_seconds: 86_400,
    });
    expect(eventTrail(fake, WF).slice(-2)).toEqual(['ApprovalGranted', 'StepSucceeded:approve_flight_1']);
    const granted = storedEvents(fake, WF).find((e) => e.type === 'ApprovalGranted');
    // The comment as recorded, redacted (the item's other fields, e.g. its expires_at epoch, may hold
    // the same digits by chance: the test failed once at the epoch 1827794691).
    expect(granted?.data).toEqual({ step_ids: ['approve_flight_1'], comment: 'fine, call [PHONE]' });
    expect(fake.items(TABLES.state).find((i) => i.sk === 'STEP#approve_flight_1')).toMatchObject({
      tool: 'human_approval',
      output: { approved: true },
    });
    expect(approvalItem()?.status).toBe('approved');

    // A second signal finds nothing pending.
    const again = await sendSignal({ approved: false });
    expect(again.statusCode).toBe(409);
    expect(bodyOf(again)).toMatchObject({ error: { code: 'not_waiting' } });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
  });

  it('202 on deny: records ApprovalDenied and StepFailed, fails the task with ApprovalDenied', async () => {
    sfnMock.on(SendTaskFailureCommand).resolves({});
    const result = await sendSignal({ approved: false });
    expect(result.statusCode).toBe(202);
    expect(bodyOf(result)).toMatchObject({ status: 'cancelling', approved: false });
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: TOKEN,
      // The one name the ASL catches; the code is read back from the cause (describeStateError).
      error: 'WorkflowError',
      cause: 'ApprovalDenied: The user denied the approval.',
    });
    expect(eventTrail(fake, WF).slice(-2)).toEqual(['ApprovalDenied', 'StepFailed:approve_flight_1']);
    expect(approvalItem()?.status).toBe('denied');
  });

  it('409 not_waiting when the token is already closed (the wait timed out)', async () => {
    sfnMock
      .on(SendTaskSuccessCommand)
      .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
    const result = await sendSignal({ approved: true });
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toMatchObject({ error: { code: 'not_waiting' } });
  });

  it('503 when Step Functions is unavailable, and the same decision stays answerable', async () => {
    const outage = Object.assign(new Error('service unavailable'), {
      name: 'ServiceUnavailable',
      $fault: 'server',
      $metadata: { httpStatusCode: 503 },
    });
    sfnMock.on(SendTaskSuccessCommand).rejectsOnce(outage).resolves({});
    const first = await sendSignal({ approved: true });
    expect(first.statusCode).toBe(503);
    expect(first.headers?.['Retry-After']).toBeDefined();
    // The decision is kept (not delivered yet): only its retry may answer the token.
    expect(approvalItem()?.status).toBe('approved');
    expect(approvalItem()?.delivered_at).toBeUndefined();
    const retry = await sendSignal({ approved: true });
    expect(retry.statusCode).toBe(202);
    expect(eventTrail(fake, WF).filter((t) => t === 'ApprovalGranted')).toHaveLength(1);
  });

  describe('SignalRace: the first decision is final, and the log holds the one Step Functions got', () => {
    const outage = () =>
      Object.assign(new Error('service unavailable'), {
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: { httpStatusCode: 503 },
      });
    const outcomes = () =>
      eventTrail(fake, WF).filter((t) =>
        [
          'ApprovalGranted',
          'ApprovalDenied',
          'StepSucceeded:approve_flight_1',
          'StepFailed:approve_flight_1',
        ].includes(t),
      );

    it('SignalRace: approve fails on SendTaskSuccess (503), a deny then gets 409 and records nothing, the approve retry wins', async () => {
      // Fault: Step Functions refuses the first SendTaskSuccess (ServiceUnavailable); later calls work.
      sfnMock.on(SendTaskSuccessCommand).rejectsOnce(outage()).resolves({});
      sfnMock.on(SendTaskFailureCommand).resolves({});

      const first = await sendSignal({ approved: true });
      expect(first.statusCode).toBe(503);
      expect(first.headers?.['Retry-After']).toBeDefined();

      const deny = await sendSignal({ approved: false });
      expect(deny.statusCode).toBe(409);
      expect(bodyOf(deny)).toMatchObject({ error: { code: 'not_waiting' } });
      expect(eventTrail(fake, WF)).not.toContain('ApprovalDenied');
      expect(eventTrail(fake, WF)).not.toContain('StepFailed:approve_flight_1');

      const retry = await sendSignal({ approved: true });
      expect(retry.statusCode).toBe(202);
      expect(outcomes()).toEqual(['ApprovalGranted', 'StepSucceeded:approve_flight_1']);
      // What Step Functions got: SendTaskSuccess only (the failed one, then the retry), never a failure.
      expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
      expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
      expect(approvalItem()).toMatchObject({ status: 'approved', delivered_at: expect.any(String) });

      // Delivered: a repeat of either decision finds nothing waiting.
      expect((await sendSignal({ approved: true })).statusCode).toBe(409);
      expect((await sendSignal({ approved: false })).statusCode).toBe(409);
      expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(2);
      expect(outcomes()).toEqual(['ApprovalGranted', 'StepSucceeded:approve_flight_1']);
    });

    it('SignalRace: deny fails on SendTaskFailure (503), an approve then gets 409 and records nothing, the deny retry wins', async () => {
      // Fault: Step Functions refuses the first SendTaskFailure (ServiceUnavailable); later calls work.
      sfnMock.on(SendTaskFailureCommand).rejectsOnce(outage()).resolves({});
      sfnMock.on(SendTaskSuccessCommand).resolves({});

      const first = await sendSignal({ approved: false });
      expect(first.statusCode).toBe(503);
      expect(first.headers?.['Retry-After']).toBeDefined();

      const approve = await sendSignal({ approved: true });
      expect(approve.statusCode).toBe(409);
      expect(bodyOf(approve)).toMatchObject({ error: { code: 'not_waiting' } });
      expect(eventTrail(fake, WF)).not.toContain('ApprovalGranted');
      expect(eventTrail(fake, WF)).not.toContain('StepSucceeded:approve_flight_1');
      expect(fake.items(TABLES.state).find((i) => i.sk === 'STEP#approve_flight_1')).toBeUndefined();

      const retry = await sendSignal({ approved: false });
      expect(retry.statusCode).toBe(202);
      expect(outcomes()).toEqual(['ApprovalDenied', 'StepFailed:approve_flight_1']);
      expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(2);
      expect(sfnMock.commandCalls(SendTaskSuccessCommand)).toHaveLength(0);
      expect(approvalItem()).toMatchObject({ status: 'denied', delivered_at: expect.any(String) });
    });

    it('SignalRace: a retry whose token is already closed counts as delivered (the first send landed, its answer was lost)', async () => {
      // Fault: SendTaskSuccess reaches Step Functions but its response is lost (a timeout); the retry
      // then finds the token closed.
      sfnMock
        .on(SendTaskSuccessCommand)
        .rejectsOnce(Object.assign(new Error('socket hang up'), { name: 'TimeoutError' }))
        .rejects(new TaskTimedOut({ message: 'Task Timed Out', $metadata: {} }));
      const first = await sendSignal({ approved: true });
      expect(first.statusCode).toBe(503);
      const retry = await sendSignal({ approved: true });
      expect(retry.statusCode).toBe(202);
      expect(outcomes()).toEqual(['ApprovalGranted', 'StepSucceeded:approve_flight_1']);
      expect(sfnMock.commandCalls(SendTaskFailureCommand)).toHaveLength(0);
    });
  });

  it('409 not_waiting when nothing is pending or the workflow has ended', async () => {
    fake.reset();
    putRecord();
    expect((await sendSignal({ approved: true })).statusCode).toBe(409);
    await runUntilApproval();
    await requestTheApproval();
    await compensate(
      { workflow_id: WF, error: { Error: 'States.Timeout', Cause: 'timed out' } },
      lambdaContext,
    );
    expect((await sendSignal({ approved: true })).statusCode).toBe(409);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it("404 for another user's workflow, a missing one and a malformed id, before reading the body", async () => {
    const foreign = await sendSignal({ approved: true }, 'mallory');
    const missing = await sendSignal({ approved: true }, 'alice', 'wf_missingWorkflow0001');
    const malformed = await sendSignal('not json', 'alice', 'not-a-workflow');
    for (const result of [foreign, missing, malformed]) {
      expect(result.statusCode).toBe(404);
      expect(bodyOf(result)).toEqual({ error: { code: 'not_found', message: 'workflow not found' } });
    }
    expect(approvalItem()?.status).toBe('pending');
  });

  it('400 invalid_request for a body that is not JSON or does not match the schema; 401 without a user', async () => {
    for (const body of [
      '{',
      { approved: 'yes' },
      {},
      { approved: true, extra: 1 },
      { approved: true, comment: 7 },
    ]) {
      const result = await sendSignal(body);
      expect(result.statusCode).toBe(400);
      expect(bodyOf(result)).toMatchObject({ error: { code: 'invalid_request' } });
    }
    expect((await sendSignal({ approved: true }, null)).statusCode).toBe(401);
    expect(approvalItem()?.status).toBe('pending');
  });
});

describe('POST /workflows/{id}/cancel', () => {
  it('202 cancelling: records CancelRequested once, however often it is sent', async () => {
    await runUntilApproval();
    for (let i = 0; i < 2; i++) {
      const result = await sendCancel();
      expect(result.statusCode).toBe(202);
      expect(bodyOf(result)).toEqual({ status: 'cancelling', workflow_id: WF });
    }
    expect(eventTrail(fake, WF).filter((t) => t === 'CancelRequested')).toHaveLength(1);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it('redrives a failed execution into its cancellation, named after the state machine though given the alias', async () => {
    putRecord();
    await guardian(input, lambdaContext);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'TransientError' });
    sfnMock.on(RedriveExecutionCommand).resolves({ redriveDate: new Date() });
    const result = await cancelWorkflow(
      { userId: 'alice', workflowId: WF },
      {
        dynamo,
        sfn,
        stateTable: TABLES.state,
        eventLogTable: TABLES.events,
        ttlDays: 30,
        eventLogTtlDays: 30,
        // STATE_MACHINE_ARN in AWS: the alias executions start through.
        stateMachineArn: 'arn:aws:states:us-east-1:123456789012:stateMachine:workflow:live',
      },
    );
    expect(result).toEqual({ status: 'cancelling', workflow_id: WF });
    const executionArn = `arn:aws:states:us-east-1:123456789012:execution:workflow:${WF}`;
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({ executionArn });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toEqual({ executionArn });
  });

  it('answers a pending approval at once with SendTaskFailure WorkflowCancelled', async () => {
    await runUntilApproval();
    await requestTheApproval();
    sfnMock.on(SendTaskFailureCommand).resolves({});
    expect((await sendCancel()).statusCode).toBe(202);
    expect(sfnMock.commandCalls(SendTaskFailureCommand)[0]?.args[0].input).toMatchObject({
      taskToken: TOKEN,
      // The one name the ASL catches; the code is read back from the cause (describeStateError).
      error: 'WorkflowError',
      cause: 'WorkflowCancelled: The user cancelled the workflow.',
    });
    expect(approvalItem()?.status).toBe('cancelled');
    expect((await sendSignal({ approved: true })).statusCode).toBe(409);
  });

  it('ignores a token that is already closed, and answers 503 (claim released) when Step Functions is down', async () => {
    await runUntilApproval();
    await requestTheApproval();
    const outage = Object.assign(new Error('down'), { name: 'ServiceUnavailable', $fault: 'server' });
    sfnMock
      .on(SendTaskFailureCommand)
      .rejectsOnce(outage)
      .rejectsOnce(new TaskTimedOut({ message: 'closed', $metadata: {} }));
    expect((await sendCancel()).statusCode).toBe(503);
    expect(approvalItem()?.status).toBe('pending');
    expect((await sendCancel()).statusCode).toBe(202);
    expect(approvalItem()?.status).toBe('cancelled');
  });

  it('starts the log with GoalReceived when the cancel comes before the guardian ran', async () => {
    putRecord();
    expect((await sendCancel()).statusCode).toBe(202);
    await guardian(input, lambdaContext);
    const trail = eventTrail(fake, WF);
    expect(trail[0]).toBe('GoalReceived');
    expect(trail[1]).toBe('CancelRequested');
    expect(trail.filter((t) => t === 'GoalReceived')).toHaveLength(1);
  });

  it('409 not_running once the workflow has ended', async () => {
    await runUntilApproval();
    await compensate({ workflow_id: WF, error: { Error: 'ApprovalDenied', Cause: 'no' } }, lambdaContext);
    const result = await sendCancel();
    expect(result.statusCode).toBe(409);
    expect(bodyOf(result)).toEqual({
      error: { code: 'not_running', message: 'the workflow has already ended' },
    });
  });

  it("404 for another user's workflow and a missing one; 401 without a user", async () => {
    await runUntilApproval();
    expect((await sendCancel('mallory')).statusCode).toBe(404);
    expect((await sendCancel('alice', 'wf_missingWorkflow0001')).statusCode).toBe(404);
    expect((await sendCancel(null)).statusCode).toBe(401);
    expect(eventTrail(fake, WF)).not.toContain('CancelRequested');
  });
});

describe('saga endings of a cancellation', () => {
  it.each([
    ['WorkflowCancelled', 'cancelled_by_user'],
    ['ApprovalDenied', 'approval_denied'],
    ['States.Timeout', 'approval_timed_out'],
  ])(
    '%s ends the workflow cancelled (%s), the pending approval step failed and closed',
    async (error, reason) => {
      await runUntilApproval();
      await requestTheApproval();
      const result = await compensate(
        { workflow_id: WF, error: { Error: error, Cause: 'x' } },
        lambdaContext,
      );
      expect(result).toMatchObject({ status: 'cancelled', compensated: [] });
      const events = storedEvents(fake, WF);
      expect(events.at(-1)).toMatchObject({ type: 'WorkflowCancelled', data: { reason, compensated: [] } });
      expect(eventTrail(fake, WF)).toContain('StepFailed:approve_flight_1');
      expect(approvalItem()?.status).toBe('cancelled');
    },
  );

  it('States.Timeout without a pending approval is a failure, as before', async () => {
    await runUntilApproval();
    const result = await compensate({ workflow_id: WF, error: { Error: 'States.Timeout' } }, lambdaContext);
    expect(result).toMatchObject({ status: 'failed' });
    expect(storedEvents(fake, WF).at(-1)?.type).toBe('WorkflowFailed');
  });
});
