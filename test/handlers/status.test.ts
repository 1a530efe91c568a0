import { DescribeExecutionCommand, ExecutionDoesNotExist } from '@aws-sdk/client-sfn';
import { GetCommand, QueryCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

const env = vi.hoisted(() => {
  const values = {
    STATE_TABLE: 'state',
    EVENT_LOG_TABLE: 'events',
    STATE_MACHINE_ARN: 'arn:aws:states:eu-west-1:123456789012:stateMachine:workflow',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  };
  Object.assign(process.env, values);
  return values;
});

import { dynamo } from '#adapters/aws/dynamodb.ts';
import { sfn } from '#adapters/aws/sfn.ts';
import { executionArnOf } from '#domain/execution-arn.ts';
import type { WorkflowEvent, WorkflowEventType } from '#domain/schemas.ts';
import type { ApiEvent, ApiResult } from '#middleware/http.ts';
import { emptyView, foldEvents } from '../../lambdas/domain/projection.ts';
import { handler } from '../../lambdas/handlers/api/status.ts';
import { apiEvent } from '../support/api-event.ts';
import { logEvent } from '../support/events.ts';

const WF = 'wf_AbCdEfGhIjKlMnOpQrStUvWxYz';
const CREATED = '2026-05-01T10:00:00.000Z';
const ddb = mockClient(dynamo);
const sfnMock = mockClient(sfn);
let records: Map<string, Record<string, unknown>>;
let events: WorkflowEvent[];

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'status',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:status',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/status',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const request = (id: string | undefined, user: string | null = 'alice'): ApiEvent =>
  apiEvent('GET /workflows/{id}/status', { id, user });

const get = (id: string | undefined = WF, user: string | null = 'alice'): Promise<ApiResult> =>
  handler(request(id, user), context);
const bodyOf = (result: ApiResult): Record<string, unknown> => JSON.parse(result.body ?? 'null');

function addRecord(id: string, user: string, expiresAt = Math.floor(Date.now() / 1000) + 3600): void {
  records.set(`WF#${id}|META`, {
    pk: `WF#${id}`,
    sk: 'META',
    workflow_id: id,
    user_id: user,
    fingerprint: 'a'.repeat(64),
    created_at: CREATED,
    input: {
      workflow_id: id,
      user_id: user,
      goal: 'Book a flight to NYC',
      context: {},
      submitted_at: CREATED,
    },
    expires_at: expiresAt,
  });
}

/** Logs events as the event log does: the events, and the head's view folded over them. */
function logEvents(...entries: [WorkflowEventType, Record<string, unknown>?][]): void {
  events = entries.map(([type, data = {}], i) =>
    logEvent(type, data, {
      workflow_id: WF,
      seq: i + 1,
      event_id: `${type}:${i}`,
      at: new Date(Date.parse(CREATED) + (i + 1) * 1000).toISOString(),
    }),
  );
  const head = records.get(`WF#${WF}|HEAD`);
  if (head) head.view = foldEvents(events);
}

/** The head the producer writes when it accepts a workflow. */
function addHead(id: string, user: string, expiresAt = Math.floor(Date.now() / 1000) + 3600): void {
  records.set(`WF#${id}|HEAD`, {
    pk: `WF#${id}`,
    sk: 'HEAD',
    workflow_id: id,
    user_id: user,
    created_at: CREATED,
    goal: 'Book a flight to NYC',
    last_seq: 0,
    view: emptyView,
    expires_at: expiresAt,
  });
}

/** "Now", as many seconds after the workflow was created. */
const at = (seconds: number) => vi.setSystemTime(new Date(Date.parse(CREATED) + seconds * 1000));

const awsError = (name: string, httpStatusCode: number): Error =>
  Object.assign(new Error(name), { name, $fault: 'server', $metadata: { httpStatusCode } });

beforeEach(() => {
  vi.useFakeTimers({ toFake: ['Date'] });
  at(10);
  records = new Map();
  events = [];
  ddb.reset();
  sfnMock.reset();
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
    Item: records.get(`${input.Key.pk}|${input.Key.sk}`),
  }));
  ddb.on(QueryCommand).callsFake((input: { ExpressionAttributeValues: Record<string, unknown> }) => ({
    Items: events.filter((e) => e.workflow_id === input.ExpressionAttributeValues[':id']),
  }));
  // The silent-window claim and the execution snapshot (their conditions are tested on DynamoDB
  // Local in test/integration/hot-paths.test.ts).
  ddb.on(UpdateCommand).resolves({});
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'RUNNING', startDate: new Date(CREATED) });
  addRecord(WF, 'alice');
  addHead(WF, 'alice');
});
afterEach(() => {
  vi.useRealTimers();
});

describe('GET /workflows/{id}/status', () => {
  it('answers 200 with the projected status and progress while running, from one item read', async () => {
    logEvents(
      ['GoalReceived'],
      ['PlanCreated', { steps_total: 2, source: 'planner' }],
      ['StepStarted', { step_id: 'flight' }],
      ['StepSucceeded', { step_id: 'flight' }],
      ['StepStarted', { step_id: 'hotel' }],
    );
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(bodyOf(res)).toEqual({
      workflow_id: WF,
      status: 'running',
      progress: { steps_total: 2, steps_done: 1, current: 'hotel' },
      started_at: CREATED,
      updated_at: '2026-05-01T10:00:05.000Z',
    });
    expect(ddb).toHaveReceivedCommandTimes(GetCommand, 1);
    expect(ddb.calls()).toHaveLength(1);
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('does not call Step Functions while the workflow logged progress within the window', async () => {
    logEvents(['GoalReceived'], ['PlanCreated', { steps_total: 1 }]);
    at(61); // 59 s after the last event
    await get();
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('describes the execution named after the workflow once it is silent past the window, and stores what it learnt', async () => {
    logEvents(['GoalReceived']);
    at(62);
    await get();
    expect(sfnMock).toHaveReceivedCommandWith(DescribeExecutionCommand, {
      executionArn: `arn:aws:states:eu-west-1:123456789012:execution:workflow:${WF}`,
    });
    expect(executionArnOf(env.STATE_MACHINE_ARN, WF)).toBe(
      `arn:aws:states:eu-west-1:123456789012:execution:workflow:${WF}`,
    );
    const updates = ddb.commandCalls(UpdateCommand).map((c) => c.args[0].input.UpdateExpression);
    expect(updates).toEqual([
      'SET execution_checked_at = :now',
      'SET execution = :snapshot, execution_checked_at = :at',
    ]);
  });

  it('answers failed and redrivable for a silent workflow whose execution failed on a transient error', async () => {
    logEvents(['GoalReceived'], ['StepStarted', { step_id: 'flight' }]);
    at(300);
    sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'TransientError' });
    expect(bodyOf(await get())).toMatchObject({
      status: 'failed',
      error: { code: 'TransientError' },
      redrivable: true,
    });
  });

  it('answers from the execution snapshot the janitor recorded, without calling Step Functions', async () => {
    logEvents(['GoalReceived'], ['StepStarted', { step_id: 'flight' }]);
    const head = records.get(`WF#${WF}|HEAD`);
    if (head) {
      head.execution = { status: 'FAILED', error: 'Lambda.Unknown', checked_at: '2026-05-01T10:00:03.000Z' };
      head.execution_checked_at = Date.parse('2026-05-01T10:00:03.000Z');
    }
    at(4);
    expect(bodyOf(await get())).toMatchObject({ status: 'failed', error: { code: 'Lambda.Unknown' } });
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('answers 200 completed with the result once WorkflowCompleted is logged, whatever the time', async () => {
    logEvents(['GoalReceived'], ['WorkflowCompleted', { result: { bookings: 1 } }]);
    at(3000);
    expect(bodyOf(await get())).toMatchObject({ status: 'completed', result: { bookings: 1 } });
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
  });

  it('answers 200 failed with the error and the compensated steps', async () => {
    logEvents(
      ['GoalReceived'],
      ['WorkflowFailed', { error: { code: 'UnknownDestination', message: 'x' }, compensated: ['a'] }],
    );
    expect(bodyOf(await get())).toMatchObject({
      status: 'failed',
      error: { code: 'UnknownDestination', message: 'x' },
      compensated: ['a'],
    });
  });

  it('answers 200 running when the execution does not exist yet', async () => {
    at(120);
    sfnMock.on(DescribeExecutionCommand).rejects(new ExecutionDoesNotExist({ message: 'no', $metadata: {} }));
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ status: 'running', started_at: CREATED });
  });

  it('answers 200 waiting while an approval is pending', async () => {
    logEvents(['GoalReceived'], ['ApprovalRequested', { step_ids: ['approve'] }]);
    expect(bodyOf(await get()).status).toBe('waiting');
  });

  it('answers from the read model when DescribeExecution is throttled for a silent workflow', async () => {
    logEvents(['GoalReceived'], ['PlanCreated', { steps_total: 1 }]);
    at(3600);
    sfnMock.on(DescribeExecutionCommand).rejects(awsError('ThrottlingException', 400));
    const res = await get();
    expect(res.statusCode).toBe(200);
    expect(bodyOf(res)).toMatchObject({ status: 'running', progress: { steps_total: 1 } });
  });

  it('falls back to the workflow record for ownership when the head has no owner', async () => {
    const head = records.get(`WF#${WF}|HEAD`);
    if (head) delete head.user_id;
    expect((await get()).statusCode).toBe(200);
    expect((await get(WF, 'mallory')).statusCode).toBe(404);
  });

  it('answers 503 when DynamoDB is unavailable', async () => {
    ddb.on(GetCommand).rejects(awsError('InternalServerError', 500));
    const res = await get();
    expect(res.statusCode).toBe(503);
  });

  it('answers 401 unauthorized without a subject claim', async () => {
    const res = await get(WF, null);
    expect(res.statusCode).toBe(401);
    expect(bodyOf(res)).toMatchObject({ error: { code: 'unauthorized' } });
  });

  it("returns 404 for another user's workflow, exactly like a missing one", async () => {
    const other = await get(WF, 'mallory');
    const missing = await get('wf_doesnotexist0000000000000');
    const malformed = await get('not-a-workflow-id');
    const absent = await handler(request(undefined), context);
    for (const res of [other, missing, malformed, absent]) {
      expect(res.statusCode).toBe(404);
      expect(bodyOf(res)).toEqual({ error: { code: 'not_found', message: 'workflow not found' } });
    }
    expect(sfnMock).not.toHaveReceivedCommand(DescribeExecutionCommand);
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('returns 404 for an expired workflow', async () => {
    addRecord(WF, 'alice', Math.floor(Date.now() / 1000) - 1);
    addHead(WF, 'alice', Math.floor(Date.now() / 1000) - 1);
    expect((await get()).statusCode).toBe(404);
  });
});
