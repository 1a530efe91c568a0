import { DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import {
  DescribeExecutionCommand,
  DescribeStateMachineCommand,
  ListExecutionsCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';

/**
 * The local runtime driven like a client: real handlers, the real ASL, DynamoDB Local, the local Step
 * Functions endpoint, JWTs from the local issuer.
 */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.runtime.token('alice');
});

afterAll(async () => {
  await harness?.cleanup();
});

function sfnClient(): SFNClient {
  return new SFNClient({
    endpoint: harness.runtime.sfnUrl,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
  });
}

async function submit(goal: string, token = alice, headers: Record<string, string> = {}) {
  return harness.api('POST', '/omnilink-agent', { token, body: { goal }, headers });
}

function workflowIdOf(body: unknown): string {
  if (!isRecord(body) || typeof body.workflow_id !== 'string')
    throw new Error(`no workflow_id in ${JSON.stringify(body)}`);
  return body.workflow_id;
}

describe('local runtime: the HTTP API end to end', () => {
  it('reports health without a token', async () => {
    const response = await harness.api('GET', '/health');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      status: 'ok',
      services: { dynamodb: true, stepfunctions: true, eventbridge: true },
    });
  });

  it('points SDK clients created without configuration (as the Lambdas do) at the local endpoints', async () => {
    const tables = await new DynamoDBClient({}).send(new ListTablesCommand({}));
    expect(tables.TableNames).toEqual(expect.arrayContaining(Object.values(harness.runtime.tables)));
    const machine = await new SFNClient({}).send(
      new DescribeStateMachineCommand({ stateMachineArn: harness.runtime.stateMachineArn }),
    );
    expect(machine).toMatchObject({ name: 'omnilink-local', type: 'STANDARD', status: 'ACTIVE' });
    const put = await new EventBridgeClient({}).send(
      new PutEventsCommand({
        Entries: [
          {
            EventBusName: harness.runtime.eventBusName,
            Source: 'omnilink.test',
            DetailType: 'Ping',
            Detail: JSON.stringify({ ping: true }),
          },
        ],
      }),
    );
    expect(put.FailedEntryCount).toBe(0);
    expect(harness.runtime.eventsSink.find((event) => event.DetailType === 'Ping')).toHaveLength(1);
  });

  it('serves the JWKS of the local issuer', async () => {
    const response = await harness.api('GET', '/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({ keys: [{ kty: 'EC', crv: 'P-256', alg: 'ES256' }] });
    expect(JSON.stringify(response.json)).not.toContain('"d"');
  });

  it('answers 401 without a token, with an invalid one and with an expired one', async () => {
    const missing = await submit('Book a flight to NYC', '');
    expect(missing.status).toBe(401);
    expect(missing.json).toMatchObject({ error: { code: 'unauthorized' } });
    const garbage = await submit('Book a flight to NYC', 'not-a-jwt');
    expect(garbage.status).toBe(401);
    const expired = await submit(
      'Book a flight to NYC',
      await harness.runtime.token('alice', { ttlSeconds: -60 }),
    );
    expect(expired.status).toBe(401);
    const status = await harness.api('GET', '/workflows/wf_doesnotexist123/status');
    expect(status.status).toBe(401);
  });

  it('answers 404 not_found for an unknown route', async () => {
    const response = await harness.api('GET', '/nope', { token: alice });
    expect(response.status).toBe(404);
    expect(response.json).toMatchObject({ error: { code: 'not_found' } });
  });

  it('accepts "Book a flight to NYC", completes it and serves a gap-free audit trail', async () => {
    const started = Date.now();
    const accepted = await submit('Book a flight to NYC');
    const postMs = Date.now() - started;
    expect(accepted.status, accepted.text).toBe(202);
    const id = workflowIdOf(accepted.json);
    expect(id).toMatch(/^wf_[A-Za-z0-9_-]{8,77}$/);
    expect(accepted.json).toEqual({
      status: 'accepted',
      workflow_id: id,
      poll_url: `/workflows/${id}/status`,
      events_url: `/workflows/${id}/events`,
    });

    const status = await pollStatus(harness, id, alice);
    expect(status.status, JSON.stringify(status)).toBe('completed');
    expect(status.result).toBeDefined();
    expect(status.workflow_id).toBe(id);

    const events = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    expect(events.status).toBe(200);
    const list = isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events : [];
    expect(list.length).toBeGreaterThan(2);
    expect(list[0]).toMatchObject({ seq: 1, type: 'GoalReceived' });
    expect(list.at(-1)).toMatchObject({ type: 'WorkflowCompleted' });
    expect(list.map((event: { seq: number }) => event.seq)).toEqual(
      list.map((_: unknown, i: number) => i + 1),
    );

    const execution = await harness.runtime.waitForExecution(id);
    expect(execution.status).toBe('SUCCEEDED');
    const transitions = harness.runtime.transitionsOf(id) ?? 0;
    expect(transitions).toBeGreaterThan(4);
    expect(postMs).toBeLessThan(5000);
  });

  it("answers 404 for another user's workflow", async () => {
    const accepted = await submit('Book a flight to NYC');
    const id = workflowIdOf(accepted.json);
    const bob = await harness.runtime.token('bob');
    const response = await harness.api('GET', `/workflows/${id}/status`, { token: bob });
    expect(response.status).toBe(404);
    await pollStatus(harness, id, alice);
  });

  it("lists the caller's workflows newest first (GET /workflows), and nobody else's", async () => {
    const older = workflowIdOf((await submit('Book a flight to NYC')).json);
    const newer = workflowIdOf((await submit('Book a hotel in Paris')).json);
    const bob = await harness.runtime.token('bob-lists');
    await submit('Book a flight to Rome', bob);
    // The index is eventually consistent: a just-accepted workflow may take a moment to appear.
    let ids: string[] = [];
    for (let i = 0; i < 50 && !(ids.includes(older) && ids.includes(newer)); i++) {
      const page = await harness.api('GET', '/workflows?limit=100', { token: alice });
      expect(page.status).toBe(200);
      const body = page.json as { workflows: { workflow_id: string; goal: string; status: string }[] };
      ids = body.workflows.map((w) => w.workflow_id);
      if (!ids.includes(newer)) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(ids.indexOf(newer)).toBeGreaterThanOrEqual(0);
    expect(ids.indexOf(newer)).toBeLessThan(ids.indexOf(older));
    const bobs = await harness.api('GET', '/workflows', { token: bob });
    expect(
      (bobs.json as { workflows: { workflow_id: string }[] }).workflows.map((w) => w.workflow_id),
    ).not.toEqual(expect.arrayContaining([older]));
    expect((await harness.api('GET', '/workflows')).status).toBe(401);
  });

  it('serves the OpenAPI document without a token (GET /openapi.json)', async () => {
    const response = await harness.api('GET', '/openapi.json');
    expect(response.status).toBe(200);
    expect(response.json).toMatchObject({
      openapi: '3.1.0',
      paths: { '/workflows': { get: expect.any(Object) } },
    });
  });

  it('starts one workflow for the same Idempotency-Key sent twice', async () => {
    const headers = { 'Idempotency-Key': `key-${Date.now()}` };
    const first = await submit('Book a flight to NYC', alice, headers);
    const second = await submit('Book a flight to NYC', alice, headers);
    expect(first.status, first.text).toBe(202);
    expect(second.status, second.text).toBe(202);
    const id = workflowIdOf(first.json);
    expect(workflowIdOf(second.json)).toBe(id);
    await pollStatus(harness, id, alice);
    const third = await submit('Book a flight to NYC', alice, headers);
    expect(third.status, third.text).toBe(202);
    expect(workflowIdOf(third.json)).toBe(id);
    const list = await sfnClient().send(
      new ListExecutionsCommand({ stateMachineArn: harness.runtime.stateMachineArn }),
    );
    expect(list.executions?.filter((execution) => execution.name === id)).toHaveLength(1);
  });

  it('finishes a workflow that was running when the runtime stopped, after the restart', async () => {
    const accepted = await submit('Book a flight to NYC and a hotel in Paris');
    const id = workflowIdOf(accepted.json);
    await harness.restart();
    // Usually still running at the stop (then re-run from the start); if it had finished, nothing to resume.
    if (harness.runtime.resumed.includes(id)) expect(harness.runtime.stepFunctions.get(id)?.restarts).toBe(1);
    const status = await pollStatus(harness, id, alice);
    expect(status.status).toBe('completed');
    const events = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    const list = isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events : [];
    expect(list.map((event: { seq: number }) => event.seq)).toEqual(
      list.map((_: unknown, i: number) => i + 1),
    );
    const types = list.map((event: { type: string }) => event.type);
    expect(types.filter((type: string) => type === 'GoalReceived')).toHaveLength(1);
    expect(types.filter((type: string) => type === 'WorkflowCompleted')).toHaveLength(1);
  });

  it('keeps workflows, events and the issuer key across a restart on the same data directory', async () => {
    const accepted = await submit('Book a flight to NYC');
    const id = workflowIdOf(accepted.json);
    const before = await pollStatus(harness, id, alice);
    const eventsBefore = await harness.api('GET', `/workflows/${id}/events`, { token: alice });

    await harness.restart();

    const health = await harness.api('GET', '/health');
    expect(health.status).toBe(200);
    // The token was issued before the restart: the key pair is persisted.
    const after = await harness.api('GET', `/workflows/${id}/status`, { token: alice });
    expect(after.status).toBe(200);
    expect(after.json).toMatchObject({ workflow_id: id, status: before.status });
    const eventsAfter = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    expect(eventsAfter.json).toEqual(eventsBefore.json);
    const described = await sfnClient().send(
      new DescribeExecutionCommand({
        executionArn: `${harness.runtime.stateMachineArn.replace(':stateMachine:', ':execution:')}:${id}`,
      }),
    );
    expect(described.status).toBe('SUCCEEDED');
  });
});

describe('local runtime: failures reach Catch like in AWS', () => {
  it('fails a workflow with an unknown destination, rolls it back and keeps the error code', async () => {
    const accepted = await submit('Book a flight to Atlantis');
    expect(accepted.status, accepted.text).toBe(202);
    const id = workflowIdOf(accepted.json);
    const status = await pollStatus(harness, id, alice);
    expect(status.status).toBe('failed');
    expect(status.error).toMatchObject({ code: 'UnknownDestination' });
    const events = await harness.api('GET', `/workflows/${id}/events`, { token: alice });
    const list = isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events : [];
    expect(list.at(-1)).toMatchObject({ type: 'WorkflowFailed' });
    const execution = await harness.runtime.waitForExecution(id);
    expect(execution).toMatchObject({ status: 'FAILED', error: 'WorkflowFailed' });
    const taskFailed = execution.events.find((event) => event.type === 'TaskFailed');
    // One error name reaches Step Functions (the ASL's one Catch); the code travels first in the message.
    expect(taskFailed).toMatchObject({ taskFailedEventDetails: { error: 'WorkflowError' } });
    const details = isRecord(taskFailed?.taskFailedEventDetails) ? taskFailed.taskFailedEventDetails : {};
    const cause: unknown = JSON.parse(String(details.cause));
    expect(cause).toMatchObject({ errorType: 'WorkflowError' });
    expect(isRecord(cause) ? String(cause.errorMessage) : '').toMatch(/^UnknownDestination: /);
    expect(list.map((event: { type: string }) => event.type)).toContain('StepFailed');
  });
});
