import { GetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  Object.assign(process.env, {
    STATE_TABLE: 'state',
    EVENT_LOG_TABLE: 'events',
    POWERTOOLS_LOG_LEVEL: 'SILENT',
  });
});

import { dynamo } from '#adapters/aws/dynamodb.ts';
import type { WorkflowEvent } from '#domain/schemas.ts';
import type { ApiEvent, ApiResult } from '#middleware/http.ts';
import { handler } from '../../lambdas/handlers/api/events.ts';
import { apiEvent } from '../support/api-event.ts';
import { logEvent } from '../support/events.ts';

const WF = 'wf_AbCdEfGhIjKlMnOpQrStUvWxYz';
const CREATED = '2026-05-01T10:00:00.000Z';
const ddb = mockClient(dynamo);
let records: Map<string, Record<string, unknown>>;
let events: WorkflowEvent[];

const context: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'events',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:eu-west-1:123456789012:function:events',
  memoryLimitInMB: '256',
  awsRequestId: 'req-1',
  logGroupName: '/aws/lambda/events',
  logStreamName: 'stream',
  getRemainingTimeInMillis: () => 10_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

const request = (id: string, query: Record<string, string> = {}, user: string | null = 'alice'): ApiEvent =>
  apiEvent('GET /workflows/{id}/events', { id, query, user });

const list = (
  query: Record<string, string> = {},
  id = WF,
  user: string | null = 'alice',
): Promise<ApiResult> => handler(request(id, query, user), context);
const bodyOf = (result: ApiResult): Record<string, unknown> => JSON.parse(result.body ?? 'null');
const seqsOf = (result: ApiResult) => (bodyOf(result).events as { seq: number }[]).map((e) => e.seq);

const goalData = { goal: 'Book a flight to NYC', context_keys: [], submitted_at: CREATED };

function seedEvents(count: number): void {
  events = Array.from({ length: count }, (_, i) =>
    logEvent(
      i === 0 ? 'GoalReceived' : 'StepStarted',
      i === 0 ? goalData : { step_id: `s${i}`, tool: 'search_flights' },
      {
        workflow_id: WF,
        seq: i + 1,
        event_id: i === 0 ? 'GoalReceived' : `StepStarted:s${i}`,
        at: new Date(Date.parse(CREATED) + i * 1000).toISOString(),
      },
    ),
  );
}

beforeEach(() => {
  records = new Map();
  ddb.reset();
  ddb.on(GetCommand).callsFake((input: { Key: { pk: string; sk: string } }) => ({
    Item: records.get(`${input.Key.pk}|${input.Key.sk}`),
  }));
  // The event-log query: seq > :after, at most Limit items, LastEvaluatedKey when it stopped early.
  ddb
    .on(QueryCommand)
    .callsFake((input: { ExpressionAttributeValues: Record<string, unknown>; Limit?: number }) => {
      const after = Number(input.ExpressionAttributeValues[':after'] ?? 0);
      const matching = events.filter(
        (e) => e.workflow_id === input.ExpressionAttributeValues[':id'] && e.seq > after,
      );
      const page = matching.slice(0, input.Limit ?? matching.length);
      const last = page.at(-1);
      return {
        Items: page,
        LastEvaluatedKey:
          input.Limit !== undefined && page.length === input.Limit && last
            ? { workflow_id: WF, seq: last.seq }
            : undefined,
      };
    });
  records.set(`WF#${WF}|META`, {
    pk: `WF#${WF}`,
    sk: 'META',
    workflow_id: WF,
    user_id: 'alice',
    fingerprint: 'a'.repeat(64),
    created_at: CREATED,
    input: { workflow_id: WF, user_id: 'alice', goal: 'g', context: {}, submitted_at: CREATED },
    expires_at: Math.floor(Date.now() / 1000) + 3600,
  });
  seedEvents(3);
});

describe('GET /workflows/{id}/events', () => {
  it('answers 200 with the events in order, as {seq, type, at, data}', async () => {
    const res = await list();
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['content-type']).toBe('application/json');
    expect(bodyOf(res)).toEqual({
      events: [
        { seq: 1, type: 'GoalReceived', at: CREATED, data: goalData },
        {
          seq: 2,
          type: 'StepStarted',
          at: '2026-05-01T10:00:01.000Z',
          data: { step_id: 's1', tool: 'search_flights' },
        },
        {
          seq: 3,
          type: 'StepStarted',
          at: '2026-05-01T10:00:02.000Z',
          data: { step_id: 's2', tool: 'search_flights' },
        },
      ],
    });
  });

  it('answers 200 with an empty list before the first event', async () => {
    events = [];
    expect(bodyOf(await list())).toEqual({ events: [] });
  });

  it('pages with after and limit, giving next_after while more remain', async () => {
    seedEvents(7);
    const first = await list({ limit: '3' });
    expect(seqsOf(first)).toEqual([1, 2, 3]);
    expect(bodyOf(first).next_after).toBe(3);
    const second = await list({ after: '3', limit: '3' });
    expect(seqsOf(second)).toEqual([4, 5, 6]);
    expect(bodyOf(second).next_after).toBe(6);
    const last = await list({ after: '6', limit: '3' });
    expect(seqsOf(last)).toEqual([7]);
    expect(bodyOf(last)).not.toHaveProperty('next_after');
  });

  it('gives no next_after when the page ends exactly at the last event', async () => {
    seedEvents(4);
    const res = await list({ limit: '4' });
    expect(seqsOf(res)).toEqual([1, 2, 3, 4]);
    expect(bodyOf(res)).not.toHaveProperty('next_after');
  });

  it('reads 500 events by default and never more than 1000', async () => {
    seedEvents(1200);
    expect(seqsOf(await list())).toHaveLength(500);
    const max = await list({ limit: '1000' });
    expect(seqsOf(max)).toHaveLength(1000);
    expect(bodyOf(max).next_after).toBe(1000);
  });

  it.each([
    ['limit=0', { limit: '0' }],
    ['limit=1001', { limit: '1001' }],
    ['limit=abc', { limit: 'abc' }],
    ['limit=1.5', { limit: '1.5' }],
    ['after=-1', { after: '-1' }],
    ['after=x', { after: 'x' }],
  ])('answers 400 invalid_request for %s', async (_name, query) => {
    const res = await list(query);
    expect(res.statusCode).toBe(400);
    expect(bodyOf(res)).toMatchObject({
      error: { code: 'invalid_request', issues: [expect.objectContaining({ message: expect.any(String) })] },
    });
  });

  it('answers 401 unauthorized without a subject claim', async () => {
    expect((await list({}, WF, null)).statusCode).toBe(401);
  });

  it("returns 404 for another user's workflow, exactly like a missing one", async () => {
    const other = await list({}, WF, 'mallory');
    const missing = await list({}, 'wf_doesnotexist0000000000000');
    const malformed = await list({}, '../../etc');
    for (const res of [other, missing, malformed]) {
      expect(res.statusCode).toBe(404);
      expect(bodyOf(res)).toEqual({ error: { code: 'not_found', message: 'workflow not found' } });
    }
    expect(ddb).not.toHaveReceivedCommand(QueryCommand);
  });

  it('answers 503 with Retry-After when DynamoDB is unavailable', async () => {
    ddb
      .on(QueryCommand)
      .rejects(Object.assign(new Error('slow down'), { name: 'ProvisionedThroughputExceededException' }));
    const res = await list();
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBeDefined();
  });
});
