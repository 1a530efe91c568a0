import { ListExecutionsCommand, SFNClient } from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdForKey } from '#domain/idempotency.ts';
import { type ApiResponse, type Harness, isRecord, startHarness } from '../../lib/local/harness.ts';
import {
  auditWorkflow,
  finalStatus,
  queryPartition,
  recordFigure,
  scanAll,
  submitPolitely,
  tablesClient,
} from './support.ts';

/**
 * Reliability case 3: 50 identical submissions with one Idempotency-Key, all at once. One execution,
 * one workflow record, one audit trail; every answer is 202 with the same workflow id. (The per-user
 * rate limit is raised: 50 requests in one instant are over the default burst of 30, and a 429 is
 * the rate limiter's answer, not the idempotency layer's.)
 */

const USER = 'idem-user';
const CONCURRENT = 50;
let harness: Harness;
let token: string;

beforeAll(async () => {
  harness = await startHarness({
    inMemory: true,
    env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000', POWERTOOLS_LOG_LEVEL: 'ERROR' },
  });
  token = await harness.runtime.token(USER);
});

afterAll(async () => {
  await harness?.cleanup();
});

describe('reliability: concurrent submissions with one Idempotency-Key', () => {
  it(`starts exactly one execution for ${CONCURRENT} concurrent identical submissions`, async () => {
    const key = 'same-key-for-all';
    const expectedId = workflowIdForKey(USER, key);
    const body = { goal: 'Book a flight to Rome and a hotel in Rome', context: { travellers: 2 } };
    const responses: ApiResponse[] = await Promise.all(
      Array.from({ length: CONCURRENT }, () =>
        harness.api('POST', '/omnilink-agent', { token, body, headers: { 'Idempotency-Key': key } }),
      ),
    );
    const byStatus = new Map<number, number>();
    for (const r of responses) byStatus.set(r.status, (byStatus.get(r.status) ?? 0) + 1);
    const accepted = responses.filter((r) => r.status === 202);
    const ids = new Set(accepted.map((r) => (isRecord(r.json) ? r.json.workflow_id : undefined)));
    const unavailable = responses.filter((r) => r.status === 503);

    const status = await finalStatus(harness, expectedId, token);
    const executions = await new SFNClient({
      endpoint: harness.runtime.sfnUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }).send(new ListExecutionsCommand({ stateMachineArn: harness.runtime.stateMachineArn }));
    const client = tablesClient(harness.runtime.dynamoUrl);
    const records = (await scanAll(client, harness.runtime.tables.state)).filter(
      (item) => String(item.pk).startsWith('WF#') && item.sk === 'META',
    );
    const events = await queryPartition(client, harness.runtime.tables.eventLog, 'workflow_id', expectedId);
    const audit = await auditWorkflow(client, harness.runtime.tables, expectedId, String(status.status));
    await recordFigure('case3-concurrent-idempotency', {
      submissions: CONCURRENT,
      answers: Object.fromEntries(byStatus),
      distinct_workflow_ids: ids.size,
      executions: executions.executions?.length,
      workflow_records: records.length,
      goal_received_events: events.filter((e) => e.type === 'GoalReceived').length,
      status: status.status,
      bookings: audit.bookings,
    });

    expect(executions.executions?.map((e) => e.name)).toEqual([expectedId]);
    expect(records.map((r) => r.workflow_id)).toEqual([expectedId]);
    expect([...ids]).toEqual([expectedId]);
    // The contract allows 503 + Retry-After (orchestrator briefly unavailable); nothing else.
    expect([...byStatus.keys()].filter((code) => code !== 202 && code !== 503)).toEqual([]);
    for (const r of unavailable) {
      expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(r.json).toMatchObject({ error: { code: 'service_unavailable' } });
    }
    // With one conditional update per rate-limit decision, no request loses a race: all 202.
    expect(Object.fromEntries(byStatus)).toEqual({ 202: CONCURRENT });
    // A client that retries its 503 after Retry-After gets the same workflow; nothing new starts.
    const retried = await Promise.all(
      unavailable.map(() => submitPolitely(harness, token, body, { 'Idempotency-Key': key })),
    );
    for (const { response } of retried) {
      expect(response.status, response.text).toBe(202);
      expect(response.json).toMatchObject({ workflow_id: expectedId });
    }
    const after = await new SFNClient({
      endpoint: harness.runtime.sfnUrl,
      region: 'us-east-1',
      credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    }).send(new ListExecutionsCommand({ stateMachineArn: harness.runtime.stateMachineArn }));
    expect(after.executions?.map((e) => e.name)).toEqual([expectedId]);
    expect(status.status).toBe('completed');
    expect(events.filter((e) => e.type === 'GoalReceived')).toHaveLength(1);
    expect(audit.problems).toEqual([]);
    expect(audit.bookings).toBe(2);
  });
});
