import {
  DescribeExecutionCommand,
  type DescribeExecutionCommandInput,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  SFNClient,
  StartExecutionCommand,
  type StartExecutionCommandInput,
} from '@aws-sdk/client-sfn';
import { mockClient } from 'aws-sdk-client-mock';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
});

import { getWorkflowRecord } from '#adapters/workflow-store.ts';
import { HttpError } from '#domain/errors.ts';
import { policyFromLimits } from '#domain/rate-limit.ts';
import { type ApiResult, errorResponse, json } from '#middleware/http.ts';
import { cancelWorkflow } from '#usecases/cancel.ts';
import { getStatus } from '#usecases/get-status.ts';
import { submitGoal } from '#usecases/submit-goal.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';

/*
 * Issue 12, "Correctness under faults": StartExecution whose outcome the producer cannot see. Step
 * Functions (a fake that keeps its rules: names are unique, a repeat with the same input returns the
 * running execution) accepts the request and then the answer is lost — a timeout after the request
 * was sent, a connection reset. The workflow runs and books: the client must get its id (202, or a 503
 * that carries it), and status and cancel must answer for that id, never 404. The tables are real
 * (DynamoDB Local), so the record and head the handlers read are the ones the producer left.
 */

const STATE_MACHINE_ARN = 'arn:aws:states:eu-west-1:123456789012:stateMachine:workflow:live';
const USER = 'alice';

const sfn = new SFNClient({
  region: 'eu-west-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});
const sfnMock = mockClient(sfn);
/** What Step Functions holds, whatever the producer heard back. */
let executions: Map<string, { input: string; status: string }>;
let db: TestDynamo;

beforeAll(async () => {
  db = await startTestDynamo();
});
afterAll(async () => db?.stop());

/** StartExecution as the service applies it. */
function startOnServer(input: StartExecutionCommandInput) {
  const name = input.name ?? '';
  const existing = executions.get(name);
  if (existing && (existing.status !== 'RUNNING' || existing.input !== input.input)) {
    throw new ExecutionAlreadyExists({ message: `Execution Already Exists: '${name}'`, $metadata: {} });
  }
  if (!existing) executions.set(name, { input: input.input ?? '', status: 'RUNNING' });
  return {
    executionArn: `arn:aws:states:eu-west-1:123456789012:execution:workflow:${name}`,
    startDate: new Date(),
  };
}

function describeOnServer(input: DescribeExecutionCommandInput) {
  const name = input.executionArn?.split(':').at(-1) ?? '';
  const execution = executions.get(name);
  if (!execution) {
    throw new ExecutionDoesNotExist({ message: `Execution Does Not Exist: '${name}'`, $metadata: {} });
  }
  return {
    executionArn: input.executionArn,
    stateMachineArn: STATE_MACHINE_ARN,
    name,
    status: execution.status as 'RUNNING',
    input: execution.input,
    startDate: new Date(),
  };
}

const timeout = () =>
  Object.assign(new Error('Request timed out after the request was sent'), {
    name: 'TimeoutError',
    $metadata: { attempts: 3 },
  });
const reset = () => Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' });
const unavailable = () =>
  Object.assign(new Error('service unavailable'), {
    name: 'ServiceUnavailable',
    $fault: 'server',
    $metadata: { httpStatusCode: 503 },
  });

/** The fault: Step Functions starts the execution, then the producer's answer is lost. */
const acceptedThenLost = (lost: () => Error) => (input: StartExecutionCommandInput) => {
  startOnServer(input);
  throw lost();
};

beforeEach(() => {
  executions = new Map();
  sfnMock.reset();
  sfnMock.on(StartExecutionCommand).callsFake(startOnServer);
  sfnMock.on(DescribeExecutionCommand).callsFake(describeOnServer);
});

interface Answer {
  readonly status: number;
  readonly body: unknown;
  readonly headers: Record<string, unknown>;
}

/** Runs a handler's logic the way the middleware answers: an HttpError becomes its contract body. */
async function answer(call: () => Promise<ApiResult>): Promise<Answer> {
  try {
    const result = await call();
    return {
      status: result.statusCode ?? 200,
      body: JSON.parse(result.body ?? 'null'),
      headers: result.headers ?? {},
    };
  } catch (error) {
    if (!(error instanceof HttpError)) throw error;
    const result = errorResponse(error);
    return {
      status: error.statusCode,
      body: JSON.parse(result.body ?? 'null'),
      headers: result.headers ?? {},
    };
  }
}

const submit = () =>
  answer(() =>
    submitGoal(
      { userId: USER, body: { goal: 'Book a flight to NYC' } },
      {
        dynamo: db.client,
        sfn,
        stateTable: db.tables.state,
        stateMachineArn: STATE_MACHINE_ARN,
        rateLimit: policyFromLimits(6000, 1000),
        recordTtlDays: 90,
      },
    ).then((accepted) => json(202, accepted)),
  );
const status = (id: string) =>
  answer(() =>
    getStatus(
      { userId: USER, workflowId: id },
      {
        dynamo: db.client,
        sfn,
        stateTable: db.tables.state,
        stateMachineArn: STATE_MACHINE_ARN,
      },
    ).then((body) => json(200, body)),
  );
const cancel = (id: string) =>
  answer(() =>
    cancelWorkflow(
      { userId: USER, workflowId: id },
      {
        dynamo: db.client,
        sfn,
        stateTable: db.tables.state,
        eventLogTable: db.tables.eventLog,
        ttlDays: 90,
        eventLogTtlDays: 365,
        stateMachineArn: STATE_MACHINE_ARN,
      },
    ).then((body) => json(202, body)),
  );

/** The one execution Step Functions runs: its name is the workflow id the client must learn. */
function onlyExecution(): string {
  expect([...executions.keys()]).toHaveLength(1);
  return [...executions.keys()][0] ?? '';
}

async function expectTracked(id: string): Promise<void> {
  const polled = await status(id);
  expect(polled.status, JSON.stringify(polled.body)).toBe(200);
  expect(polled.body).toMatchObject({ workflow_id: id, status: 'running' });
  expect(await getWorkflowRecord({ client: db.client, tableName: db.tables.state }, id)).toMatchObject({
    workflow_id: id,
    user_id: USER,
  });
  const cancelled = await cancel(id);
  expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(202);
  expect(cancelled.body).toEqual({ status: 'cancelling', workflow_id: id });
}

describe('AmbiguousStartExecution: Step Functions accepted the execution, the producer lost the answer', () => {
  it('AmbiguousStartExecution: a timeout after the request was sent → 202 with the running id; status and cancel answer for it', async () => {
    sfnMock.on(StartExecutionCommand).callsFakeOnce(acceptedThenLost(timeout)).callsFake(startOnServer);

    const res = await submit();
    const id = onlyExecution();
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ status: 'accepted', workflow_id: id });
    // Settled by repeating the same request (idempotent in Step Functions): one execution, one input.
    const inputs = sfnMock.commandCalls(StartExecutionCommand).map((c) => c.args[0].input);
    expect(inputs).toHaveLength(2);
    expect(inputs[1]).toEqual(inputs[0]);
    await expectTracked(id);
  });

  it('AmbiguousStartExecution: a connection reset, and Step Functions still unreachable for StartExecution → DescribeExecution finds it, 202', async () => {
    sfnMock.on(StartExecutionCommand).callsFakeOnce(acceptedThenLost(reset)).rejects(reset());

    const res = await submit();
    const id = onlyExecution();
    expect(res.status, JSON.stringify(res.body)).toBe(202);
    expect(res.body).toMatchObject({ workflow_id: id });
    expect(sfnMock.commandCalls(DescribeExecutionCommand)).toHaveLength(1);
    await expectTracked(id);
  });

  it('AmbiguousStartExecution: nothing can settle it → 503 with Retry-After and the id; record and head kept, status and cancel answer', async () => {
    sfnMock.on(StartExecutionCommand).callsFakeOnce(acceptedThenLost(timeout)).rejects(timeout());
    sfnMock.on(DescribeExecutionCommand).rejects(unavailable());

    const res = await submit();
    const id = onlyExecution();
    expect(res.status, JSON.stringify(res.body)).toBe(503);
    expect(res.headers['Retry-After']).toMatch(/^\d+$/);
    expect(res.body).toEqual({
      error: {
        code: 'service_unavailable',
        message: expect.any(String),
        workflow_id: id,
        poll_url: `/workflows/${id}/status`,
      },
    });

    // Step Functions answers again: the client polls and cancels the id it was given.
    sfnMock.on(DescribeExecutionCommand).callsFake(describeOnServer);
    await expectTracked(id);
  });

  it('AmbiguousStartExecution: a definite refusal still leaves nothing behind (throttled: no record, no id)', async () => {
    sfnMock
      .on(StartExecutionCommand)
      .rejects(Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException' }));

    const res = await submit();
    expect(res.status).toBe(503);
    expect(res.body).toEqual({ error: { code: 'service_unavailable', message: expect.any(String) } });
    expect(executions.size).toBe(0);
    expect(sfnMock.commandCalls(StartExecutionCommand)).toHaveLength(1);
  });
});
