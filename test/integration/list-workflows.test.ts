import { PutCommand } from '@aws-sdk/lib-dynamodb';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { appendEvents, createHead } from '#adapters/event-log.ts';
import { HttpError } from '#domain/errors.ts';
import { errorResponse, json } from '#middleware/http.ts';
import { listWorkflows } from '#usecases/list-workflows.ts';
import { startTestDynamo, type TestDynamo } from '../support/dynamodb.ts';
import { newEvent } from '../support/events.ts';

/*
 * GET /workflows against AWS's DynamoDB Local with the real index: 250 workflows of one user (heads
 * written by createHead, as the producer writes them) and a few of another, paged through with the
 * handler. Newest first, no duplicates, no gaps, nobody else's, and a constant number of requests a
 * page (one Query of the index, one BatchGetItem of the heads), counted at the client.
 */

let dynamo: TestDynamo;
const requests: string[] = [];
const ALICE = 'alice-list';
const BOB = 'bob-list';
const TOTAL = 250;
const base = Date.UTC(2026, 10, 1, 8, 0, 0);
/** Alice's i-th workflow: one a minute, except that ten (100–109) share a creation time (same millisecond). */
const createdAt = (i: number) => new Date(base + (i >= 100 && i < 110 ? 100 : i) * 60_000).toISOString();
const id = (user: string, i: number) => `wf_list${user.slice(0, 3)}${String(i).padStart(6, '0')}`;

async function page(user: string, query: Record<string, string> = {}) {
  // The handler's middy chain turns HttpErrors into responses; here the same function does.
  const result = await listWorkflows(
    { userId: user, query },
    { dynamo: dynamo.client, stateTable: dynamo.tables.state },
  )
    .then((body) => json(200, body))
    .catch((error: unknown) => {
      if (error instanceof HttpError) return errorResponse(error);
      throw error;
    });
  return { status: result.statusCode, body: JSON.parse(result.body ?? 'null') };
}

/** Every page of `user`'s listing, with the requests each page cost. */
async function pages(user: string, limit?: number) {
  const seen: { workflow_id: string; created_at: string; status: string; goal: string }[] = [];
  const perPage: number[] = [];
  let next: string | undefined;
  do {
    requests.length = 0;
    const { status, body } = await page(user, {
      ...(limit !== undefined ? { limit: String(limit) } : {}),
      ...(next ? { next } : {}),
    });
    expect(status).toBe(200);
    perPage.push(requests.length);
    seen.push(...body.workflows);
    next = body.next;
  } while (next !== undefined);
  return { seen, perPage };
}

beforeAll(async () => {
  dynamo = await startTestDynamo();
  dynamo.client.middlewareStack.add(
    (next, context) => async (args) => {
      requests.push(context.commandName ?? 'unknown');
      return next(args);
    },
    { step: 'initialize', name: 'listRequestCounter' },
  );
  const deps = { client: dynamo.client, tableName: dynamo.tables.eventLog, stateTable: dynamo.tables.state };
  const expiresAt = Math.floor(Date.now() / 1000) + 3600;
  const heads = [
    ...Array.from({ length: TOTAL }, (_, i) => ({ user: ALICE, i, at: createdAt(i) })),
    // Bob's workflows are interleaved in time with Alice's.
    ...Array.from({ length: 7 }, (_, i) => ({ user: BOB, i, at: createdAt(i * 30 + 1) })),
  ];
  for (let start = 0; start < heads.length; start += 16) {
    await Promise.all(
      heads.slice(start, start + 16).map(({ user, i, at }) =>
        createHead(deps, {
          workflow_id: id(user, i),
          user_id: user,
          created_at: at,
          goal: `Book a flight to city ${i}`,
          expires_at: expiresAt,
        }),
      ),
    );
  }
  // The workflow records carry `user_id` too: they must stay out of the index (it is sparse).
  await dynamo.client.send(
    new PutCommand({
      TableName: dynamo.tables.state,
      Item: {
        pk: `WF#${id(ALICE, 0)}`,
        sk: 'META',
        workflow_id: id(ALICE, 0),
        user_id: ALICE,
        created_at: createdAt(0),
      },
    }),
  );
  // A workflow with progress, and a finished one.
  await appendEvents(deps, id(ALICE, 249), [
    newEvent('GoalReceived', 'GoalReceived', {}),
    newEvent('PlanCreated', 'PlanCreated', { steps_total: 2 }),
    newEvent('StepStarted:s1', 'StepStarted', { step_id: 's1' }),
  ]);
  await appendEvents(deps, id(ALICE, 100), [
    newEvent('GoalReceived', 'GoalReceived', {}),
    newEvent('WorkflowRejected', 'WorkflowRejected', {}),
  ]);
}, 120_000);
afterAll(async () => dynamo.stop());
beforeEach(() => {
  requests.length = 0;
});

describe('GET /workflows on DynamoDB Local', () => {
  it('pages through 250 workflows newest first, without duplicates, gaps or anyone else’s, two requests a page', async () => {
    const { seen, perPage } = await pages(ALICE, 20);
    const ids = seen.map((w) => w.workflow_id);
    expect(perPage).toHaveLength(Math.ceil(TOTAL / 20));
    expect(new Set(ids).size).toBe(ids.length);
    expect(new Set(ids)).toEqual(new Set(Array.from({ length: TOTAL }, (_, i) => id(ALICE, i))));
    for (let i = 1; i < seen.length; i++) {
      expect((seen[i - 1]?.created_at ?? '') >= (seen[i]?.created_at ?? '')).toBe(true);
    }
    expect(ids.slice(10, 13)).toEqual([id(ALICE, 239), id(ALICE, 238), id(ALICE, 237)]);
    expect(ids.at(-1)).toBe(id(ALICE, 0));
    expect(ids.some((w) => w.includes('bob'))).toBe(false);
    // One Query of the index and one BatchGetItem of the heads, whatever the page.
    expect(new Set(perPage)).toEqual(new Set([2]));
    console.info(
      `[list] ${TOTAL} workflows in ${perPage.length} pages of 20: ${perPage.join(', ')} DynamoDB requests a page`,
    );
  });

  it('pages with the largest limit and the default one', async () => {
    const large = await pages(ALICE, 100);
    expect(large.perPage).toHaveLength(3);
    expect(large.seen).toHaveLength(TOTAL);
    const { status, body } = await page(ALICE);
    expect(status).toBe(200);
    expect(body.workflows).toHaveLength(20);
    expect(body.next).toEqual(expect.any(String));
  });

  it('shows each workflow’s status, progress and redacted goal from its head', async () => {
    const { body } = await page(ALICE, { limit: '1' });
    expect(body.workflows).toEqual([
      {
        workflow_id: id(ALICE, 249),
        goal: 'Book a flight to city 249',
        status: 'running',
        progress: { steps_total: 2, steps_done: 0, current: 's1' },
        created_at: createdAt(249),
        updated_at: expect.any(String),
      },
    ]);
    const { seen } = await pages(ALICE, 100);
    expect(seen.find((w) => w.workflow_id === id(ALICE, 100))?.status).toBe('rejected');
    expect(seen.find((w) => w.workflow_id === id(ALICE, 5))?.status).toBe('running');
  });

  it('shows another user only their own workflows', async () => {
    const { seen } = await pages(BOB, 3);
    expect(seen.map((w) => w.workflow_id)).toEqual([6, 5, 4, 3, 2, 1, 0].map((i) => id(BOB, i)));
    const { seen: nobody } = await pages('carol-list');
    expect(nobody).toEqual([]);
  });

  it('refuses Alice’s cursor to Bob with 400, and reads nothing', async () => {
    const { body } = await page(ALICE, { limit: '5' });
    requests.length = 0;
    const stolen = await page(BOB, { next: body.next });
    expect(stolen.status).toBe(400);
    expect(stolen.body.error.code).toBe('invalid_request');
    expect(JSON.stringify(stolen.body)).not.toContain(ALICE);
    expect(requests).toEqual([]);
  });
});
