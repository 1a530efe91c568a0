import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  RedriveExecutionCommand,
  SFNClient,
} from '@aws-sdk/client-sfn';
import { afterEach, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { createStepFunctionsServer } from '../../lib/local/sfn-server.ts';
import { LocalStepFunctions, type LocalTaskHandler } from '../../lib/local/step-functions.ts';
import { taskMapTaskDefinition } from '../support/map-definition.ts';

/**
 * Closed executions' histories leave memory (the local engine's memory stays flat over thousands of
 * workflows): they are written to the execution's file and read back for GetExecutionHistory,
 * DescribeExecution and RedriveExecution — with a data directory across a restart too, where a
 * redrive still re-invokes only the failed Map iteration.
 */

const definition = taskMapTaskDefinition;

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

function engineWith(calls: string[], failing: Set<string>, dataDir?: string) {
  const task =
    (name: string): LocalTaskHandler =>
    async (input) => {
      const label = name === 'Item' ? `Item:${JSON.stringify(input)}` : name;
      calls.push(label);
      if (failing.has(label)) throw Object.assign(new Error(`${label} is down`), { name: 'TransientError' });
      return { done: label };
    };
  return new LocalStepFunctions({
    definition,
    taskHandlers: { First: task('First'), Item: task('Item'), Last: task('Last') },
    ...(dataDir ? { dataDir } : {}),
  });
}

async function serve(engine: LocalStepFunctions): Promise<SFNClient> {
  const server = createStepFunctionsServer(engine);
  const port = await listen(server, 0);
  cleanups.push(() => close(server));
  return new SFNClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
}

async function fullHistory(client: SFNClient, executionArn: string, reverseOrder = false) {
  const events: HistoryEvent[] = [];
  let nextToken: string | undefined;
  do {
    const page = await client.send(
      new GetExecutionHistoryCommand({ executionArn, maxResults: 7, nextToken, reverseOrder }),
    );
    events.push(...(page.events ?? []));
    nextToken = page.nextToken;
  } while (nextToken);
  return events;
}

describe('closed executions leave memory', () => {
  it('keeps no closed history in memory and pages it back from its file', async () => {
    const engine = engineWith([], new Set());
    cleanups.push(() => engine.shutdown(0));
    const client = await serve(engine);
    const seen = new Map<string, string[]>();
    for (let i = 0; i < 40; i++) {
      const name = `spill-${i}`;
      engine.startExecution({
        stateMachineArn: engine.stateMachineArn,
        name,
        input: JSON.stringify({ items: [i, i + 1] }),
      });
      const closed = await engine.waitForExecution(name);
      seen.set(
        name,
        closed.events.map((e) => e.type),
      );
    }
    await engine.flush();
    expect(engine.residentHistories()).toBe(0);

    for (const [name, types] of seen) {
      const arn = engine.get(name)?.executionArn ?? '';
      const events = await fullHistory(client, arn);
      expect(events.map((e) => e.type)).toEqual(types);
      expect(events.map((e) => e.id)).toEqual(types.map((_, i) => i + 1));
      expect((await fullHistory(client, arn, true)).map((e) => e.type)).toEqual([...types].reverse());
      const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
      expect(described.status).toBe('SUCCEEDED');
      expect(JSON.parse(described.output ?? '{}')).toEqual({ done: 'Last' });
    }
    // Reading histories back does not make them resident again.
    expect(engine.residentHistories()).toBe(0);
  });

  it('redrives an execution whose history was written out, re-invoking only the failed Map iteration', async () => {
    const calls: string[] = [];
    const failing = new Set(['Item:3']);
    const engine = engineWith(calls, failing);
    cleanups.push(() => engine.shutdown(0));
    const client = await serve(engine);
    const { executionArn } = engine.startExecution({
      stateMachineArn: engine.stateMachineArn,
      name: 'spilled-redrive',
      input: JSON.stringify({ items: [1, 2, 3, 4] }),
    });
    expect((await engine.waitForExecution('spilled-redrive')).status).toBe('FAILED');
    await engine.flush();
    expect(engine.residentHistories()).toBe(0);

    failing.clear();
    calls.length = 0;
    await client.send(new RedriveExecutionCommand({ executionArn }));
    expect((await engine.waitForExecution('spilled-redrive')).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['Item:3', 'Last']);
    const types = (await fullHistory(client, executionArn)).map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    expect(types.indexOf('ExecutionFailed')).toBeLessThan(types.indexOf('ExecutionRedriven'));
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    await engine.flush();
    expect(engine.residentHistories()).toBe(0);
  });

  it('after a restart on the same data directory: histories stay on disk until asked, and a redrive replays the Map iterations that had succeeded', async () => {
    const dataDir = await mkdtemp(join(tmpdir(), 'omnilink-spill-'));
    cleanups.push(() => rm(dataDir, { recursive: true, force: true }));
    const calls: string[] = [];
    const failing = new Set(['Item:2']);
    const first = engineWith(calls, failing, dataDir);
    await first.load();
    const { executionArn } = first.startExecution({
      stateMachineArn: first.stateMachineArn,
      name: 'restart-redrive',
      input: JSON.stringify({ items: [1, 2, 3] }),
    });
    expect((await first.waitForExecution('restart-redrive')).status).toBe('FAILED');
    const before = (await first.waitForExecution('restart-redrive')).events.map((e) => e.type);
    await first.shutdown(0);

    failing.clear();
    calls.length = 0;
    const second = engineWith(calls, failing, dataDir);
    cleanups.push(() => second.shutdown(0));
    await second.load();
    expect(second.residentHistories()).toBe(0);
    const client = await serve(second);
    expect((await fullHistory(client, executionArn)).map((e) => e.type)).toEqual(before);

    await client.send(new RedriveExecutionCommand({ executionArn }));
    const closed = await second.waitForExecution('restart-redrive');
    expect(closed.status).toBe('SUCCEEDED');
    expect(calls).toEqual(['Item:2', 'Last']);
    const exited = closed.events.filter((e) => e.type === 'MapStateExited').at(-1);
    const output = JSON.parse(String((exited?.stateExitedEventDetails as { output?: string })?.output));
    expect(output.each).toEqual([1, 2, 3].map((i) => ({ done: `Item:${i}` })));
  });
});
