import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { functionSpecs, workflowDefinitionPath } from '../../lib/specs.ts';

/**
 * Each function runs as Lambda runs it: in its own execution environments (worker threads) with
 * exactly its own environment, its memory as a hard limit and its timeout enforced by killing the
 * sandbox, which Step Functions reports as `Lambda.Unknown` (the workflow stays redrivable).
 */

let harness: Harness;
let alice: string;

beforeAll(async () => {
  harness = await startHarness({
    functions: {
      ...functionSpecs,
      // The redrive route's function answers with the variables it sees.
      redrive: { ...functionSpecs.redrive, entry: 'test/integration/fixtures/env-probe.ts' },
      step: {
        ...functionSpecs.step,
        entry: 'test/integration/fixtures/runaway-step.ts',
        // Running out of 128 MB takes V8 about 1 s of last-ditch collections on a quiet machine and
        // over 2 s on a loaded one: the timeout leaves the out-of-memory test room to fail as such.
        timeoutSeconds: 5,
        memoryMiB: 128,
      },
    },
    env: { HTTP_TOOL_ALLOWED_HOSTS: 'api.example.com' },
  });
  alice = await harness.runtime.token('alice');
});

afterEach(() => {
  for (const key of ['TEST_RUNAWAY', 'TEST_RUNAWAY_MS', 'TEST_RUNAWAY_MARKER']) delete process.env[key];
});

afterAll(async () => {
  await harness?.cleanup();
});

const submit = (goal: string) => harness.submit(goal, { token: alice });

describe('local Lambda isolation', () => {
  it("gives each function only its own environment: another function's variables are unset", async () => {
    const probe = harness.runtime.functions.get('redrive');
    const seen = await probe?.invoke({
      names: [
        'STATE_TABLE',
        'STATE_MACHINE_ARN',
        'BOOKINGS_TABLE',
        'EVENT_BUS_NAME',
        'HTTP_TOOL_ALLOWED_HOSTS',
      ],
    });
    expect(seen).toMatchObject({
      STATE_TABLE: harness.runtime.tables.state,
      STATE_MACHINE_ARN: harness.runtime.stateMachineArn,
      // The step's table, the publisher's bus, the step's and planner's allow-list.
      BOOKINGS_TABLE: null,
      EVENT_BUS_NAME: null,
      HTTP_TOOL_ALLOWED_HOSTS: null,
    });
    // And the process's own environment is not the functions' (no table names leak either way).
    expect(process.env.BOOKINGS_TABLE).toBeUndefined();
  });

  it('gives the planner the same http_request hint as the step function (as the stack does)', () => {
    const envs = harness.runtime.functionEnvironments;
    expect(envs.get('planner')?.HTTP_TOOL_ALLOWED_HOSTS).toBe('api.example.com');
    expect(envs.get('step')?.HTTP_TOOL_ALLOWED_HOSTS).toBe('api.example.com');
    expect(envs.get('guardian')?.HTTP_TOOL_ALLOWED_HOSTS).toBeUndefined();
  });

  it('kills a step that sleeps past its timeout: its late side effect never happens, the workflow fails Lambda.Unknown (redrivable)', async () => {
    const marker = join(harness.dataDir, 'runaway-marker.txt');
    process.env.TEST_RUNAWAY = 'sleep';
    process.env.TEST_RUNAWAY_MS = '6000';
    process.env.TEST_RUNAWAY_MARKER = marker;
    const step = harness.runtime.functions.get('step');
    const coldBefore = step?.coldStarts().count ?? 0;
    const id = await submit('Book a flight to NYC');
    const record = await harness.runtime.waitForExecution(id, 60_000);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Lambda.Unknown');
    expect(record.cause).toContain('Task timed out after 5.00 seconds');
    const status = await pollStatus(harness, id, alice, ['failed']);
    expect(status).toMatchObject({ status: 'failed', error: { code: 'Lambda.Unknown' }, redrivable: true });
    // The ASL's one Retry policy retries Lambda.Unknown MaxAttempts times: each invocation killed
    // (its environment replaced).
    const asl = JSON.parse(
      await readFile(new URL(`../../${workflowDefinitionPath}`, import.meta.url), 'utf8'),
    );
    const [retrier] = asl.States['Run ready steps'].ItemProcessor.States['Run step'].Retry;
    expect(retrier.ErrorEquals).toContain('Lambda.Unknown');
    const killed = record.events.filter(
      (e) =>
        e.type === 'TaskFailed' &&
        (e.taskFailedEventDetails as { error?: string })?.error === 'Lambda.Unknown',
    );
    expect(killed).toHaveLength(retrier.MaxAttempts + 1);
    expect(step?.coldStarts().count ?? 0).toBeGreaterThan(coldBefore);
    // Past every killed invocation's would-be wake-up: nothing was recorded.
    await new Promise((resolve) => setTimeout(resolve, 6500));
    await expect(readFile(marker, 'utf8')).rejects.toMatchObject({ code: 'ENOENT' });
  }, 90_000);

  it('kills a step that runs out of memory, reported as Lambda.Unknown like AWS', async () => {
    process.env.TEST_RUNAWAY = 'oom';
    const id = await submit('Book a flight to NYC');
    const record = await harness.runtime.waitForExecution(id, 60_000);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('Lambda.Unknown');
    expect(record.cause).toContain('Runtime.OutOfMemory');
  }, 90_000);
});
