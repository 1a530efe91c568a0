import {
  DescribeExecutionCommand,
  ExecutionNotRedrivable,
  GetExecutionHistoryCommand,
  RedriveExecutionCommand,
  SFNClient,
  StartExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { createStepFunctionsServer } from '../../lib/local/sfn-server.ts';
import {
  type ExecutionStatusChange,
  LocalStepFunctions,
  type LocalTaskHandler,
} from '../../lib/local/step-functions.ts';
import { taskMapTaskDefinition } from '../support/map-definition.ts';

/**
 * RedriveExecution and execution status changes in the local Step Functions: a failed execution
 * restarts at the state that did not finish, with that state's input, under the same ARN; states
 * that had succeeded do not run again; every status change is reported like AWS's aws.states event.
 */

const definition = taskMapTaskDefinition;

let calls: string[];
let failing: Set<string>;
let changes: ExecutionStatusChange[];
let engine: LocalStepFunctions;
let server: ReturnType<typeof createStepFunctionsServer>;
let client: SFNClient;

const task =
  (name: string): LocalTaskHandler =>
  async (input) => {
    const label = name === 'Item' ? `Item:${JSON.stringify(input)}` : name;
    calls.push(label);
    if (failing.has(label)) {
      const error = new Error(`${label} is down`);
      error.name = 'TransientError';
      throw error;
    }
    return { done: label };
  };

beforeAll(async () => {
  engine = new LocalStepFunctions({
    definition,
    taskHandlers: { First: task('First'), Item: task('Item'), Last: task('Last') },
    onStatusChange: (change) => changes.push(change),
  });
  server = createStepFunctionsServer(engine);
  const port = await listen(server, 0);
  client = new SFNClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'x' },
  });
});

afterAll(async () => {
  await close(server);
  await engine.shutdown(0);
});

beforeEach(() => {
  calls = [];
  failing = new Set();
  changes = [];
});

async function start(name: string, items: unknown[]): Promise<string> {
  const { executionArn } = await client.send(
    new StartExecutionCommand({
      stateMachineArn: engine.stateMachineArn,
      name,
      input: JSON.stringify({ items }),
    }),
  );
  await engine.waitForExecution(name);
  return executionArn ?? '';
}

describe('local RedriveExecution', () => {
  it('redrives a Map after one failed iteration by re-invoking only that iteration, as AWS does', async () => {
    failing.add('Item:3');
    const arn = await start('redrive-one-iteration', [1, 2, 3, 4]);
    expect(calls.filter((c) => c.startsWith('Item:')).sort()).toEqual([
      'Item:1',
      'Item:2',
      'Item:3',
      'Item:4',
    ]);
    failing.clear();
    calls = [];
    await client.send(new RedriveExecutionCommand({ executionArn: arn }));
    const closed = await engine.waitForExecution('redrive-one-iteration');
    expect(closed.status).toBe('SUCCEEDED');
    // Items 1, 2 and 4 had succeeded: only item 3's function is invoked again (then "Last").
    expect(calls).toEqual(['Item:3', 'Last']);
    // The Map's output still holds every item's result, in order (the replayed ones included).
    const exited = closed.events.filter((e) => e.type === 'MapStateExited').at(-1);
    const output = JSON.parse(String((exited?.stateExitedEventDetails as { output?: string })?.output));
    expect(output.each).toEqual([1, 2, 3, 4].map((i) => ({ done: `Item:${i}` })));
  });

  it('restarts a failed Map with its input, keeps the ARN, and does not re-run the states before it', async () => {
    failing.add('Item:2');
    const arn = await start('redrive-map', [1, 2]);
    expect((await client.send(new DescribeExecutionCommand({ executionArn: arn }))).status).toBe('FAILED');
    failing.clear();
    calls = [];
    const { redriveDate } = await client.send(new RedriveExecutionCommand({ executionArn: arn }));
    expect(redriveDate).toBeInstanceOf(Date);
    const closed = await engine.waitForExecution('redrive-map');
    expect(closed.status).toBe('SUCCEEDED');
    // "First" is not run again, nor the Map iteration that had succeeded (item 1).
    expect(calls.sort()).toEqual(['Item:2', 'Last']);
    const described = await client.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', redriveCount: 1, executionArn: arn });
    const history = await client.send(
      new GetExecutionHistoryCommand({ executionArn: arn, maxResults: 1000 }),
    );
    const types = (history.events ?? []).map((e) => e.type);
    expect(types.filter((t) => t === 'ExecutionStarted')).toHaveLength(1);
    expect(types.indexOf('ExecutionFailed')).toBeLessThan(types.indexOf('ExecutionRedriven'));
    expect(types.at(-1)).toBe('ExecutionSucceeded');
    expect(changes.filter((c) => c.name === 'redrive-map').map((c) => c.status)).toEqual([
      'RUNNING',
      'FAILED',
      'RUNNING',
      'SUCCEEDED',
    ]);
    expect(changes.at(-1)).toMatchObject({ redriveCount: 1, executionArn: arn });
  });

  it('restarts at the last state when that is the one that failed', async () => {
    failing.add('Last');
    const arn = await start('redrive-last', [1]);
    failing.clear();
    calls = [];
    await client.send(new RedriveExecutionCommand({ executionArn: arn }));
    expect((await engine.waitForExecution('redrive-last')).status).toBe('SUCCEEDED');
    expect(calls).toEqual(['Last']);
  });

  it('refuses a running or a succeeded execution with ExecutionNotRedrivable', async () => {
    const arn = await start('redrive-succeeded', []);
    await expect(client.send(new RedriveExecutionCommand({ executionArn: arn }))).rejects.toBeInstanceOf(
      ExecutionNotRedrivable,
    );
  });

  it('reports a stop as ABORTED (with the error and cause given) and can redrive it', async () => {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const slow = new LocalStepFunctions({
      definition: {
        StartAt: 'Wait',
        States: { Wait: { Type: 'Task', Resource: 'arn:aws:states:::lambda:invoke', End: true } },
      },
      taskHandlers: { Wait: async () => gate },
      stateMachineName: 'slow',
      onStatusChange: (change) => changes.push(change),
    });
    const { executionArn } = slow.startExecution({ stateMachineArn: slow.stateMachineArn, name: 'stopped' });
    slow.stopExecution({ executionArn, error: 'Stopped', cause: 'from the console' });
    expect(changes.map((c) => [c.status, c.error, c.cause])).toEqual([
      ['RUNNING', null, null],
      ['ABORTED', 'Stopped', 'from the console'],
    ]);
    release();
    await slow.waitForExecution('stopped');
    await new Promise((resolve) => setTimeout(resolve, 20));
    slow.redriveExecution({ executionArn });
    expect((await slow.waitForExecution('stopped')).status).toBe('SUCCEEDED');
    await slow.shutdown(0);
  });
});
