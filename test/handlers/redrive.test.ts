import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeExecutionCommand,
  ExecutionNotRedrivable,
  RedriveExecutionCommand,
  SFNClient,
  SFNServiceException,
} from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient, GetCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { foldEvents } from '../../lambdas/domain/projection.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

import { HttpError } from '#domain/errors.ts';
import type { WorkflowEvent, WorkflowEventType } from '#domain/schemas.ts';
import { redriveWorkflow } from '#usecases/redrive.ts';
import { logEvent } from '../support/events.ts';

const WF = 'wf_RedriveHandlerTest0001';
const STATE_MACHINE = 'arn:aws:states:eu-west-1:123456789012:stateMachine:workflow';
const EXECUTION = 'arn:aws:states:eu-west-1:123456789012:execution:workflow:wf_RedriveHandlerTest0001';
const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'eu-west-1' }));
const sfn = new SFNClient({ region: 'eu-west-1' });
const ddb = mockClient(dynamo);
const sfnMock = mockClient(sfn);
let log: WorkflowEvent[];

const deps = { dynamo, sfn, stateTable: 'state', stateMachineArn: STATE_MACHINE };

const request = (user = 'alice') => ({ userId: user, workflowId: WF });

const event = (seq: number, type: WorkflowEventType): WorkflowEvent =>
  logEvent(type, type === 'CompensationStarted' ? { by: 'catch', attempt: '0' } : {}, {
    workflow_id: WF,
    seq,
    event_id: type,
    at: '2026-05-01T10:00:00.000Z',
  });

async function httpError(promise: Promise<unknown>): Promise<HttpError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (!(error instanceof HttpError)) throw new Error(`expected an HttpError, got ${String(error)}`);
  return error;
}

beforeEach(() => {
  ddb.reset();
  sfnMock.reset();
  log = [event(1, 'GoalReceived'), event(2, 'PlanCreated')];
  // The workflow record; the head holds the view of the log (folded like the event log does).
  ddb.on(GetCommand, { Key: { pk: `WF#${WF}`, sk: 'HEAD' } }).callsFake(() => ({
    Item: { pk: `WF#${WF}`, sk: 'HEAD', user_id: 'alice', view: foldEvents(log) },
  }));
  ddb.on(GetCommand, { Key: { pk: `WF#${WF}`, sk: 'META' } }).resolves({
    Item: {
      workflow_id: WF,
      user_id: 'alice',
      fingerprint: 'f',
      created_at: '2026-05-01T10:00:00.000Z',
      input: { workflow_id: WF, user_id: 'alice', goal: 'g', context: {}, submitted_at: 'now' },
      expires_at: 4_000_000_000,
    },
  });
  ddb.on(UpdateCommand).resolves({});
  sfnMock.on(DescribeExecutionCommand).resolves({ status: 'FAILED', error: 'TransientError' });
  sfnMock.on(RedriveExecutionCommand).resolves({ redriveDate: new Date() });
});

describe('POST /workflows/{id}/redrive', () => {
  it('RedriveAfterTransientFailure: redrives the execution of a failed workflow and answers 202', async () => {
    const result = await redriveWorkflow(request(), deps);
    expect(result).toEqual({ status: 'redriving', workflow_id: WF });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: EXECUTION,
    });
  });

  it('RedriveOnItsOwnVersion: given the alias ARN, redrives the execution (named after the state machine)', async () => {
    // STATE_MACHINE_ARN is the alias executions start through; redrive keeps the version it started on.
    const result = await redriveWorkflow(request(), { ...deps, stateMachineArn: `${STATE_MACHINE}:live` });
    expect(result).toEqual({ status: 'redriving', workflow_id: WF });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: EXECUTION,
    });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)[0]?.args[0].input).toEqual({
      executionArn: EXECUTION,
    });
  });

  it("answers 404 for another user's workflow, without touching Step Functions", async () => {
    const error = await httpError(redriveWorkflow(request('bob'), deps));
    expect(error.statusCode).toBe(404);
    expect(sfnMock.calls()).toHaveLength(0);
  });

  it.each([
    ['a terminal event', 'WorkflowFailed'],
    ['a completed workflow', 'WorkflowCompleted'],
    ['a rollback in progress', 'CompensationStarted'],
  ] as const)('refuses %s with 409 not_redrivable', async (_case, type) => {
    log.push(event(3, type));
    const error = await httpError(redriveWorkflow(request(), deps));
    expect(error).toMatchObject({ statusCode: 409, code: 'not_redrivable' });
    expect(sfnMock.commandCalls(RedriveExecutionCommand)).toHaveLength(0);
  });

  it.each(['RUNNING', 'SUCCEEDED'] as const)('refuses an execution that is %s (409)', async (status) => {
    sfnMock.on(DescribeExecutionCommand).resolves({ status });
    const error = await httpError(redriveWorkflow(request(), deps));
    expect(error).toMatchObject({ statusCode: 409, code: 'not_redrivable' });
  });

  it('turns ExecutionNotRedrivable (e.g. past the 14-day window) into 409', async () => {
    sfnMock
      .on(RedriveExecutionCommand)
      .rejects(new ExecutionNotRedrivable({ message: 'too old', $metadata: {} }));
    const error = await httpError(redriveWorkflow(request(), deps));
    expect(error).toMatchObject({ statusCode: 409, code: 'not_redrivable' });
  });

  it('answers 503 when Step Functions is unavailable', async () => {
    sfnMock.on(RedriveExecutionCommand).rejects(
      new SFNServiceException({
        name: 'ServiceUnavailable',
        $fault: 'server',
        $metadata: {},
        message: 'down',
      }),
    );
    const error = await httpError(redriveWorkflow(request(), deps));
    expect(error.statusCode).toBe(503);
  });
});
