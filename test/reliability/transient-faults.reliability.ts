import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, startHarness } from '../../lib/local/harness.ts';
import type { FaultAction, FunctionInvocation } from '../../lib/local/lambda.ts';
import {
  auditWorkflow,
  finalStatus,
  inPool,
  recordFigure,
  submitPolitely,
  TASK_FUNCTIONS,
  tablesClient,
  unitHash,
  workflowIdOf,
} from './support.ts';

/**
 * Reliability case 1: every Task invocation fails with a `TransientError` (before its handler runs)
 * with probability 0.3; the ASL's Retry must absorb all of it and every workflow completes.
 *
 * Decisions are deterministic: a hash of (seed, function, workflow, step, attempt), not a shared
 * PRNG stream, so the concurrent interleaving of 40 workflows cannot change them. Workflow ids come
 * from Idempotency-Keys, so they are the same in every run. A task is failed at most
 * `MAX_CONSECUTIVE` times in a row, the TransientError retrier's MaxAttempts (5) in the ASL: the
 * suite tests that Retry absorbs faults within its budget (with p = 0.3 a 6th consecutive fault has
 * probability 0.3^6 ≈ 0.07 % per task; what then happens is the saga's business, tested elsewhere).
 */

const SEED = Number(process.env.RELIABILITY_SEED ?? 20261125);
const PROBABILITY = 0.3;
const MAX_CONSECUTIVE = 5;
const WORKFLOWS = 40;
const USER = 'transient-user';
const GOALS = [
  'Book a flight to NYC',
  'Book a flight to Rome and a hotel in Rome',
  'Book a flight from Paris to Tokyo, then book a hotel in Tokyo',
  'Book a hotel in Berlin',
] as const;

const attempts = new Map<string, number>();
const injected = new Map<string, number>();
let longestRun = 0;
let capped = 0;
let enabled = false;

function faults(invocation: FunctionInvocation): FaultAction | undefined {
  if (!enabled || !TASK_FUNCTIONS.has(invocation.functionName)) return undefined;
  const event = isRecord(invocation.event) ? invocation.event : {};
  const key = `${invocation.functionName}:${String(event.workflow_id)}:${String(event.step_id ?? '')}`;
  const attempt = (attempts.get(key) ?? 0) + 1;
  attempts.set(key, attempt);
  if (unitHash(SEED, key, attempt) >= PROBABILITY) return undefined;
  // Consecutive: every earlier attempt of this task was a fault too (the task has not succeeded yet).
  if (attempt > MAX_CONSECUTIVE) {
    capped += 1;
    return undefined;
  }
  longestRun = Math.max(longestRun, attempt);
  injected.set(invocation.functionName, (injected.get(invocation.functionName) ?? 0) + 1);
  return 'throw-transient';
}

let harness: Harness;
let token: string;

beforeAll(async () => {
  harness = await startHarness({
    inMemory: true,
    retryIntervalMs: 5,
    faults,
    env: { RATE_LIMIT_PER_MINUTE: '100000', RATE_LIMIT_BURST: '100000' },
  });
  token = await harness.runtime.token(USER);
});

afterAll(async () => {
  await harness?.cleanup();
});

describe('reliability: transient failures in every task (p = 0.3)', () => {
  it(`completes all ${WORKFLOWS} workflows; the ASL's Retry absorbs every injected TransientError`, async () => {
    enabled = true;
    let producer503 = 0;
    const started = performance.now();
    const ids = await inPool(
      Array.from({ length: WORKFLOWS }, (_, i) => i),
      20,
      async (i) => {
        const submission = await submitPolitely(
          harness,
          token,
          { goal: GOALS[i % GOALS.length] },
          { 'Idempotency-Key': `transient-${SEED}-${i}` },
        );
        producer503 += submission.unavailable;
        expect(submission.response.status, submission.response.text).toBe(202);
        return workflowIdOf(submission.response);
      },
    );
    const statuses = await inPool(ids, 20, (id) => finalStatus(harness, id, token));
    const seconds = (performance.now() - started) / 1000;
    enabled = false;

    const client = tablesClient(harness.runtime.dynamoUrl);
    const audits = await inPool(ids, 10, (id) => {
      const status = statuses[ids.indexOf(id)];
      return auditWorkflow(client, harness.runtime.tables, id, String(status?.status));
    });
    const notCompleted = statuses.filter((s) => s.status !== 'completed');
    const totalInjected = [...injected.values()].reduce((a, b) => a + b, 0);
    // What Step Functions saw: every injected fault is one retried TaskFailed.
    let retriedInHistory = 0;
    for (const id of ids) {
      const execution = await harness.runtime.waitForExecution(id);
      retriedInHistory += execution.transitions.retried;
    }
    await recordFigure('case1-transient-faults', {
      workflows: WORKFLOWS,
      completed: WORKFLOWS - notCompleted.length,
      probability: PROBABILITY,
      seed: SEED,
      task_invocations: [...attempts.values()].reduce((a, b) => a + b, 0),
      injected: totalInjected,
      injected_by_function: Object.fromEntries(injected),
      retries_in_history: retriedInHistory,
      longest_fault_run: longestRun,
      capped_at_retry_budget: capped,
      problems: audits.flatMap((a) => a.problems).length,
      producer_503_retried: producer503,
      seconds: Number(seconds.toFixed(1)),
    });

    expect(notCompleted.map((s) => [s.workflow_id, s.status, s.error])).toEqual([]);
    expect(audits.flatMap((a) => a.problems.map((p) => `${a.workflowId}: ${p}`))).toEqual([]);
    expect(totalInjected).toBeGreaterThan(WORKFLOWS); // the faults really happened
    expect(injected.get('guardian') ?? 0).toBeGreaterThan(0);
    expect(injected.get('planner') ?? 0).toBeGreaterThan(0);
    expect(injected.get('step') ?? 0).toBeGreaterThan(0);
    expect(injected.get('finalize') ?? 0).toBeGreaterThan(0);
    expect(retriedInHistory).toBeGreaterThanOrEqual(totalInjected);
  });
});
