import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { workflowIdForKey } from '#domain/idempotency.ts';
import { type Harness, startHarness } from '../../lib/local/harness.ts';
import { auditWorkflow, finalStatus, recordFigure, scanAll, tablesClient, workflowIdOf } from './support.ts';

/**
 * Reliability case 5: the Step Functions endpoint is unreachable (connections refused: the local
 * runtime closes its listener). The producer answers 503 with Retry-After and leaves nothing
 * half-written: no workflow record for a submission without an Idempotency-Key (its random id will
 * never be retried), the record kept for one with a key, so the retry, once the endpoint is back,
 * starts the workflow under the same id.
 */

const USER = 'sfn-down-user';
let harness: Harness;
let token: string;

beforeAll(async () => {
  harness = await startHarness({ inMemory: true, env: { POWERTOOLS_LOG_LEVEL: 'ERROR' } });
  token = await harness.runtime.token(USER);
});

afterAll(async () => {
  await harness?.runtime.resumeStepFunctionsEndpoint();
  await harness?.cleanup();
});

async function workflowRecords(): Promise<Record<string, unknown>[]> {
  const client = tablesClient(harness.runtime.dynamoUrl);
  return (await scanAll(client, harness.runtime.tables.state)).filter(
    (item) => String(item.pk).startsWith('WF#') && item.sk === 'META' && item.user_id === USER,
  );
}

describe('reliability: the Step Functions endpoint unreachable', () => {
  it('answers 503 with Retry-After, half-writes nothing, and the keyed retry succeeds with the same id', async () => {
    const body = { goal: 'Book a flight to NYC' };
    const key = 'retry-me-later';
    const expectedId = workflowIdForKey(USER, key);
    const before = await workflowRecords();

    await harness.runtime.pauseStepFunctionsEndpoint();
    const health = await harness.api('GET', '/health');
    const started = performance.now();
    const withoutKey = await harness.api('POST', '/omnilink-agent', { token, body });
    const withKey = await harness.api('POST', '/omnilink-agent', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    const answerMs = performance.now() - started;
    const during = await workflowRecords();
    await harness.runtime.resumeStepFunctionsEndpoint();

    const retry = await harness.api('POST', '/omnilink-agent', {
      token,
      body,
      headers: { 'Idempotency-Key': key },
    });
    const retryId = retry.status === 202 ? workflowIdOf(retry) : undefined;
    const status = retryId ? await finalStatus(harness, retryId, token) : undefined;
    const after = await workflowRecords();
    const audit = retryId
      ? await auditWorkflow(
          tablesClient(harness.runtime.dynamoUrl),
          harness.runtime.tables,
          retryId,
          String(status?.status),
        )
      : undefined;
    await recordFigure('case5-sfn-unreachable', {
      health_while_down: health.status,
      without_key: withoutKey.status,
      with_key: withKey.status,
      retry_after: [withoutKey.headers.get('retry-after'), withKey.headers.get('retry-after')],
      two_503_answers_ms: Math.round(answerMs),
      records_added_while_down: during.length - before.length,
      retry_after_recovery: retry.status,
      same_id: retryId === expectedId,
      final_status: status?.status,
    });

    expect(health.status).toBe(503);
    for (const response of [withoutKey, withKey]) {
      expect(response.status, response.text).toBe(503);
      expect(response.headers.get('retry-after')).toMatch(/^\d+$/);
      expect(response.json).toEqual({
        error: { code: 'service_unavailable', message: expect.any(String) },
      });
    }
    // Only the keyed submission's record remains (for its retry); the unkeyed one was removed.
    expect(during.map((r) => r.workflow_id)).toEqual([...before.map((r) => r.workflow_id), expectedId]);
    expect(retry.status, retry.text).toBe(202);
    expect(retryId).toBe(expectedId);
    expect(status?.status).toBe('completed');
    expect(after.map((r) => r.workflow_id).sort()).toEqual(
      [...before.map((r) => r.workflow_id), expectedId].sort(),
    );
    expect(audit?.problems).toEqual([]);
    // And no execution was started for the unkeyed 503.
    expect(
      harness.runtime.stepFunctions
        .listExecutions({ stateMachineArn: harness.runtime.stateMachineArn })
        .executions.map((e) => e.name),
    ).toEqual([expectedId]);
  });
});
