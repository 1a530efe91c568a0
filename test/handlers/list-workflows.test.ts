import { BatchGetCommand, QueryCommand } from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';

vi.hoisted(() => {
  Object.assign(process.env, { STATE_TABLE: 'state', POWERTOOLS_LOG_LEVEL: 'SILENT' });
});

import { dynamo } from '#adapters/aws/dynamodb.ts';
import type { WorkflowEvent, WorkflowEventType } from '#domain/schemas.ts';
import type { ApiEvent, ApiResult } from '#middleware/http.ts';
import { encodeListCursor } from '../../lambdas/domain/list-cursor.ts';
import { emptyView, foldEvents } from '../../lambdas/domain/projection.ts';
import { handler } from '../../lambdas/handlers/api/list-workflows.ts';
import { apiEvent } from '../support/api-event.ts';
import { logEvent } from '../support/events.ts';

const ddb = mockClient(dynamo);
const context = {
  functionName: 'list',
  awsRequestId: 'req-1',
  getRemainingTimeInMillis: () => 10_000,
} as unknown as Context;

const request = (query: Record<string, string> | undefined, user: string | null = 'alice'): ApiEvent =>
  apiEvent('GET /workflows', { user, ...(query ? { query } : {}) });

const list = (query?: Record<string, string>, user: string | null = 'alice'): Promise<ApiResult> =>
  handler(request(query, user), context);
const bodyOf = (result: ApiResult) => JSON.parse(result.body ?? 'null');

const wf = (n: number) => `wf_listtest${String(n).padStart(8, '0')}`;
const at = (n: number) => new Date(Date.UTC(2026, 4, 1, 10, 0, n)).toISOString();
const future = () => Math.floor(Date.now() / 1000) + 3600;

function head(n: number, events: [WorkflowEventType, Record<string, unknown>?][] = [], extra = {}) {
  const log: WorkflowEvent[] = events.map(([type, data = {}], i) =>
    logEvent(type, data, { workflow_id: wf(n), seq: i + 1, event_id: `${type}:${i}`, at: at(n + i + 1) }),
  );
  return {
    pk: `WF#${wf(n)}`,
    sk: 'HEAD',
    workflow_id: wf(n),
    user_id: 'alice',
    owner: 'alice',
    created_at: at(n),
    goal: `Book a flight to city ${n}`,
    last_seq: log.length,
    view: log.length > 0 ? foldEvents(log) : emptyView,
    expires_at: future(),
    ...extra,
  };
}
const indexKey = (item: { pk: string; sk: string; owner: string; created_at: string }) => ({
  pk: item.pk,
  sk: item.sk,
  owner: item.owner,
  created_at: item.created_at,
});

beforeEach(() => {
  ddb.reset();
});
afterEach(() => {
  ddb.reset();
});

describe('GET /workflows', () => {
  it("answers the caller's workflows newest first, each status from its head's read model", async () => {
    const running = head(3, [
      ['GoalReceived'],
      ['PlanCreated', { steps_total: 2 }],
      ['StepStarted', { step_id: 'flight' }],
    ]);
    const done = head(1, [
      ['GoalReceived'],
      ['PlanCreated', { steps_total: 1 }],
      ['StepStarted', { step_id: 'a' }],
      ['StepSucceeded', { step_id: 'a' }],
      ['WorkflowCompleted', { result: { ok: true } }],
    ]);
    ddb.on(QueryCommand).resolves({ Items: [indexKey(running), indexKey(done)] });
    // BatchGetItem answers in any order.
    ddb.on(BatchGetCommand).resolves({ Responses: { state: [done, running] } });

    const result = await list();

    expect(result.statusCode).toBe(200);
    expect(bodyOf(result)).toEqual({
      workflows: [
        {
          workflow_id: wf(3),
          goal: 'Book a flight to city 3',
          status: 'running',
          progress: { steps_total: 2, steps_done: 0, current: 'flight' },
          created_at: at(3),
          updated_at: at(6),
        },
        {
          workflow_id: wf(1),
          goal: 'Book a flight to city 1',
          status: 'completed',
          progress: { steps_total: 1, steps_done: 1 },
          created_at: at(1),
          updated_at: at(6),
        },
      ],
    });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      TableName: 'state',
      IndexName: 'workflows-by-owner',
      KeyConditionExpression: '#owner = :owner',
      ExpressionAttributeValues: { ':owner': 'alice' },
      ScanIndexForward: false,
      Limit: 20,
    });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 1);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 1);
    expect(ddb).toHaveReceivedCommandWith(BatchGetCommand, {
      RequestItems: {
        state: {
          Keys: [
            { pk: running.pk, sk: 'HEAD' },
            { pk: done.pk, sk: 'HEAD' },
          ],
        },
      },
    });
  });

  it('shows a workflow whose execution failed transiently as failed, from the snapshot in its head (no Step Functions call)', async () => {
    const item = head(2, [['GoalReceived']], {
      execution: { status: 'FAILED', error: 'TransientError', checked_at: at(30) },
    });
    ddb.on(QueryCommand).resolves({ Items: [indexKey(item)] });
    ddb.on(BatchGetCommand).resolves({ Responses: { state: [item] } });
    const [workflow] = bodyOf(await list()).workflows;
    expect(workflow.status).toBe('failed');
  });

  it('answers an opaque next cursor while more remain, and starts the next page after it', async () => {
    const items = [head(9), head(8)];
    ddb.on(QueryCommand).resolves({ Items: items.map(indexKey), LastEvaluatedKey: indexKey(head(8)) });
    ddb.on(BatchGetCommand).resolves({ Responses: { state: items } });
    const first = bodyOf(await list({ limit: '2' }));
    expect(first.workflows).toHaveLength(2);
    expect(first.next).toMatch(/^[A-Za-z0-9_-]+$/);
    expect(first.next).not.toContain('alice');
    expect(Buffer.from(first.next, 'base64url').toString()).not.toContain('alice');

    ddb.reset();
    ddb.on(QueryCommand).resolves({ Items: [] });
    const second = bodyOf(await list({ limit: '2', next: first.next }));
    expect(second).toEqual({ workflows: [] });
    expect(ddb).toHaveReceivedCommandWith(QueryCommand, {
      Limit: 2,
      ExclusiveStartKey: { owner: 'alice', created_at: at(8), pk: `WF#${wf(8)}`, sk: 'HEAD' },
    });
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 0);
  });

  it('leaves out heads past their expiry that DynamoDB has not deleted yet', async () => {
    const live = head(5);
    const expired = head(4, [], { expires_at: Math.floor(Date.now() / 1000) - 10 });
    ddb.on(QueryCommand).resolves({ Items: [indexKey(live), indexKey(expired)] });
    ddb.on(BatchGetCommand).resolves({ Responses: { state: [live, expired] } });
    expect(bodyOf(await list()).workflows.map((w: { workflow_id: string }) => w.workflow_id)).toEqual([
      wf(5),
    ]);
  });

  it('reads the keys BatchGetItem left unprocessed again', async () => {
    const a = head(7);
    const b = head(6);
    ddb.on(QueryCommand).resolves({ Items: [indexKey(a), indexKey(b)] });
    ddb
      .on(BatchGetCommand)
      .resolvesOnce({
        Responses: { state: [a] },
        UnprocessedKeys: { state: { Keys: [{ pk: b.pk, sk: 'HEAD' }] } },
      })
      .resolves({ Responses: { state: [b] } });
    expect(bodyOf(await list()).workflows).toHaveLength(2);
    expect(ddb).toHaveReceivedCommandTimes(BatchGetCommand, 2);
  });

  it('refuses another user’s cursor with 400, without querying anything', async () => {
    const bobs = encodeListCursor('bob', { created_at: at(8), workflow_id: wf(8) });
    const result = await list({ next: bobs });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result)).toEqual({
      error: {
        code: 'invalid_request',
        message: 'invalid query parameters',
        issues: [{ path: ['next'], message: 'not a cursor of this listing' }],
      },
    });
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
  });

  it.each([
    ['garbage', 'not-base64!'],
    [
      'a raw LastEvaluatedKey',
      Buffer.from(JSON.stringify({ owner: 'alice', created_at: at(1) })).toString('base64url'),
    ],
    ['an over-long cursor', 'a'.repeat(600)],
  ])('refuses %s as a cursor with 400', async (_, next) => {
    const result = await list({ next });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.code).toBe('invalid_request');
    expect(ddb).toHaveReceivedCommandTimes(QueryCommand, 0);
  });

  it.each(['0', '101', '-1', '2.5', 'ten', ''])('refuses limit=%s with 400', async (limit) => {
    const result = await list({ limit });
    expect(result.statusCode).toBe(400);
    expect(bodyOf(result).error.issues[0].path).toEqual(['limit']);
  });

  it('accepts limit 1 and 100', async () => {
    ddb.on(QueryCommand).resolves({ Items: [] });
    for (const limit of ['1', '100']) expect((await list({ limit })).statusCode).toBe(200);
    expect(ddb).toHaveReceivedNthCommandWith(QueryCommand, 2, { Limit: 100 });
  });

  it('answers 401 without a user', async () => {
    expect((await list(undefined, null)).statusCode).toBe(401);
  });

  it('answers 503 with Retry-After when DynamoDB throttles', async () => {
    ddb.on(QueryCommand).rejects(Object.assign(new Error('slow down'), { name: 'ThrottlingException' }));
    const result = await list();
    expect(result.statusCode).toBe(503);
    expect(result.headers?.['Retry-After']).toBe('2');
  });
});
