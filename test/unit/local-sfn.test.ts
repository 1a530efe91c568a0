import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DescribeExecutionCommand,
  ExecutionAlreadyExists,
  ExecutionDoesNotExist,
  GetExecutionHistoryCommand,
  type HistoryEvent,
  InvalidName,
  ListExecutionsCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { LocalFunction } from '../../lib/local/lambda.ts';
import { lambdaTaskHandlers } from '../../lib/local/lambda-tasks.ts';
import { createStepFunctionsServer } from '../../lib/local/sfn-server.ts';
import { LocalStepFunctions, substitutePlaceholders } from '../../lib/local/step-functions.ts';

/** A tiny workflow with the shapes the real one uses: lambda:invoke tasks, Retry, Catch, Choice, Map. */
const testDefinition = {
  StartAt: 'Do the work',
  States: {
    'Do the work': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke',
      // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, substituted like CDK does
      Parameters: { FunctionName: '${WorkFunctionArn}', Payload: { 'mode.$': '$.mode' } },
      ResultSelector: { 'items.$': '$.Payload.items' },
      ResultPath: '$.work',
      Retry: [
        {
          ErrorEquals: ['TransientError'],
          IntervalSeconds: 1,
          MaxAttempts: 2,
          BackoffRate: 2,
          JitterStrategy: 'FULL',
        },
      ],
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Undo' }],
      Next: 'Any items?',
    },
    'Any items?': {
      Type: 'Choice',
      Choices: [{ Variable: '$.work.items[0]', IsPresent: true, Next: 'Each item' }],
      Default: 'Done',
    },
    'Each item': {
      Type: 'Map',
      ItemsPath: '$.work.items',
      ItemSelector: { 'item.$': '$$.Map.Item.Value', 'mode.$': '$.mode' },
      ItemProcessor: {
        ProcessorConfig: { Mode: 'INLINE' },
        StartAt: 'Handle item',
        States: {
          'Handle item': {
            Type: 'Task',
            Resource: 'arn:aws:states:::lambda:invoke',
            // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, substituted like CDK does
            Parameters: { FunctionName: '${ItemFunctionArn}', 'Payload.$': '$' },
            OutputPath: '$.Payload',
            End: true,
          },
        },
      },
      ResultPath: '$.results',
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Undo: { Type: 'Pass', Next: 'Failed' },
    Failed: { Type: 'Fail', Error: 'WorkflowFailed', Cause: 'rolled back' },
  },
};

class NamedTestError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const gates = new Map<string, () => void>();
const attempts = new Map<string, number>();

const work = new LocalFunction({
  name: 'work',
  timeoutSeconds: 10,
  memoryMiB: 128,
  load: async () => async (event: unknown) => {
    const { mode, id } = event as { mode: string; id?: string };
    if (mode === 'unknown') throw new NamedTestError('UnknownDestination', 'Atlantis is not in the catalog');
    if (mode.startsWith('transient')) {
      const n = (attempts.get(mode) ?? 0) + 1;
      attempts.set(mode, n);
      if (n === 1) throw new NamedTestError('TransientError', 'try again');
    }
    if (mode.startsWith('slow')) await new Promise<void>((resolve) => gates.set(mode, resolve));
    if (mode === 'bad-item') return { items: ['a', 'bad'] };
    if (mode === 'huge') return { items: ['a'], padding: 'x'.repeat(300 * 1024) };
    if (mode === 'none') return { items: [] };
    return { items: ['a', 'b'], id };
  },
});

const item = new LocalFunction({
  name: 'item',
  timeoutSeconds: 10,
  memoryMiB: 128,
  load: async () => async (event: unknown) => {
    const { item: value } = event as { item: string };
    if (value === 'bad') throw new NamedTestError('InvalidStepInput', 'bad item');
    return { item: value, upper: value.toUpperCase() };
  },
});

function makeEngine(dataDir?: string): LocalStepFunctions {
  const definition = substitutePlaceholders(testDefinition, {
    WorkFunctionArn: work.arn,
    ItemFunctionArn: item.arn,
  });
  return new LocalStepFunctions({
    definition,
    taskHandlers: lambdaTaskHandlers(definition, [work, item]),
    retryIntervalOverrides: { 'Do the work': 0 },
    ...(dataDir ? { dataDir } : {}),
  });
}

async function serve(engine: LocalStepFunctions) {
  const server = createStepFunctionsServer(engine);
  const port = await listen(server, 0);
  const client = new SFNClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  return { server, client };
}

let engine: LocalStepFunctions;
let sfn: SFNClient;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  engine = makeEngine();
  const served = await serve(engine);
  sfn = served.client;
  stopServer = () => close(served.server);
});

afterAll(async () => {
  for (const release of gates.values()) release();
  await engine.shutdown(100);
  await stopServer();
});

let counter = 0;
const uniqueName = (prefix: string) => `${prefix}-${Date.now()}-${++counter}`;

async function start(name: string, input: unknown) {
  return sfn.send(
    new StartExecutionCommand({
      stateMachineArn: engine.stateMachineArn,
      name,
      input: JSON.stringify(input),
    }),
  );
}

async function history(executionArn: string): Promise<HistoryEvent[]> {
  const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 1000 }));
  return page.events ?? [];
}

describe('local Step Functions endpoint (through @aws-sdk/client-sfn)', () => {
  it('runs an execution to SUCCEEDED with its output and counts state transitions', async () => {
    const name = uniqueName('happy');
    const started = await start(name, { mode: 'ok' });
    expect(started.executionArn).toBe(
      `arn:aws:states:us-east-1:000000000000:execution:omnilink-local:${name}`,
    );
    expect(started.startDate).toBeInstanceOf(Date);
    await engine.waitForExecution(name);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: started.executionArn }));
    expect(described).toMatchObject({ status: 'SUCCEEDED', name, stateMachineArn: engine.stateMachineArn });
    expect(described.stopDate).toBeInstanceOf(Date);
    expect(JSON.parse(described.input ?? '')).toEqual({ mode: 'ok' });
    expect(JSON.parse(described.output ?? '')).toEqual({
      mode: 'ok',
      work: { items: ['a', 'b'] },
      results: [
        { item: 'a', upper: 'A' },
        { item: 'b', upper: 'B' },
      ],
    });
    // Do the work, Any items?, Each item, 2 × Handle item, Done.
    expect(engine.transitionsOf(name)).toBe(6);
  });

  it('skips the Map when the Choice finds no items', async () => {
    const name = uniqueName('none');
    await start(name, { mode: 'none' });
    const record = await engine.waitForExecution(name);
    expect(record.status).toBe('SUCCEEDED');
    expect(engine.transitionsOf(name)).toBe(3);
  });

  it('returns the same execution for the same name and input while it runs', async () => {
    const name = uniqueName('idem');
    const first = await start(name, { mode: `slow-${name}` });
    const again = await start(name, { mode: `slow-${name}` });
    expect(again.executionArn).toBe(first.executionArn);
    expect(again.startDate?.getTime()).toBe(first.startDate?.getTime());
    await expect(start(name, { mode: 'other' })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    gates.get(`slow-${name}`)?.();
    await engine.waitForExecution(name);
    await expect(start(name, { mode: `slow-${name}` })).rejects.toBeInstanceOf(ExecutionAlreadyExists);
    const list = await sfn.send(new ListExecutionsCommand({ stateMachineArn: engine.stateMachineArn }));
    expect(list.executions?.filter((e) => e.name === name)).toHaveLength(1);
  });

  it('rejects invalid execution names with InvalidName', async () => {
    await expect(start('has spaces', {})).rejects.toBeInstanceOf(InvalidName);
    await expect(start('x'.repeat(81), {})).rejects.toBeInstanceOf(InvalidName);
    await expect(start('wf_ok:colon', {})).rejects.toBeInstanceOf(InvalidName);
  });

  it('answers ExecutionDoesNotExist for an unknown execution', async () => {
    const executionArn = 'arn:aws:states:us-east-1:000000000000:execution:omnilink-local:nope';
    await expect(sfn.send(new DescribeExecutionCommand({ executionArn }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
    await expect(sfn.send(new GetExecutionHistoryCommand({ executionArn }))).rejects.toBeInstanceOf(
      ExecutionDoesNotExist,
    );
  });

  it('aborts a running execution on StopExecution', async () => {
    const name = uniqueName('stop');
    const { executionArn } = await start(name, { mode: `slow-${name}` });
    const stopped = await sfn.send(
      new StopExecutionCommand({ executionArn, error: 'Cancelled', cause: 'user asked' }),
    );
    expect(stopped.stopDate).toBeInstanceOf(Date);
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn }));
    expect(described).toMatchObject({ status: 'ABORTED', error: 'Cancelled', cause: 'user asked' });
    gates.get(`slow-${name}`)?.();
    await engine.waitForExecution(name);
    const events = await history(executionArn ?? '');
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionAborted',
      executionAbortedEventDetails: { error: 'Cancelled', cause: 'user asked' },
    });
    expect(events.map((e) => e.type)).not.toContain('ChoiceStateEntered');
  });

  it('surfaces a thrown error to Catch under its name, with a Lambda-style Cause', async () => {
    const name = uniqueName('catch');
    const { executionArn } = await start(name, { mode: 'unknown' });
    const record = await engine.waitForExecution(name);
    expect(record).toMatchObject({ status: 'FAILED', error: 'WorkflowFailed', cause: 'rolled back' });
    const events = await history(executionArn ?? '');
    const failed = events.find((e) => e.type === 'TaskFailed');
    expect(failed?.taskFailedEventDetails).toMatchObject({
      error: 'UnknownDestination',
      resourceType: 'lambda',
    });
    const undo = events.find((e) => e.type === 'PassStateEntered');
    const caught = JSON.parse(undo?.stateEnteredEventDetails?.input ?? '{}');
    expect(caught.error.Error).toBe('UnknownDestination');
    expect(JSON.parse(caught.error.Cause)).toMatchObject({
      errorType: 'UnknownDestination',
      errorMessage: 'Atlantis is not in the catalog',
    });
    expect(events.at(-1)).toMatchObject({
      type: 'ExecutionFailed',
      executionFailedEventDetails: { error: 'WorkflowFailed', cause: 'rolled back' },
    });
  });

  it('retries a TransientError and counts the retry as a transition', async () => {
    const name = uniqueName('retry');
    const { executionArn } = await start(name, { mode: `transient-${name}` });
    const record = await engine.waitForExecution(name);
    expect(record.status).toBe('SUCCEEDED');
    const types = (await history(executionArn ?? '')).map((e) => e.type);
    expect(types.slice(0, 7)).toEqual([
      'ExecutionStarted',
      'TaskStateEntered',
      'TaskScheduled',
      'TaskStarted',
      'TaskFailed',
      'TaskScheduled',
      'TaskStarted',
    ]);
    expect(engine.transitionsOf(name)).toBe(7);
  });

  it('fails the execution with the error of an uncaught Map iteration', async () => {
    const name = uniqueName('mapfail');
    await start(name, { mode: 'bad-item' });
    const record = await engine.waitForExecution(name);
    expect(record.status).toBe('FAILED');
    expect(record.error).toBe('InvalidStepInput');
    expect(JSON.parse(record.cause ?? '{}')).toMatchObject({
      errorType: 'InvalidStepInput',
      errorMessage: 'bad item',
    });
  });

  it('fails with States.DataLimitExceeded, past Catch, when a task returns more than 256 KiB', async () => {
    const name = uniqueName('huge');
    const { executionArn } = await start(name, { mode: 'huge' });
    const record = await engine.waitForExecution(name);
    expect(record).toMatchObject({ status: 'FAILED', error: 'States.DataLimitExceeded' });
    const types = (await history(executionArn ?? '')).map((e) => e.type);
    expect(types).not.toContain('PassStateEntered');
  });

  it('pages GetExecutionHistory with maxResults/nextToken and reverses it', async () => {
    const name = uniqueName('history');
    const { executionArn } = await start(name, { mode: 'ok' });
    await engine.waitForExecution(name);
    const all = await history(executionArn ?? '');
    expect(all[0]).toMatchObject({ id: 1, previousEventId: 0, type: 'ExecutionStarted' });
    expect(all.at(-1)?.type).toBe('ExecutionSucceeded');
    expect(all.map((e) => e.id)).toEqual(all.map((_, i) => i + 1));
    for (const event of all) expect(event.timestamp).toBeInstanceOf(Date);
    const types = all.map((e) => e.type);
    for (const type of [
      'TaskStateEntered',
      'TaskSucceeded',
      'TaskStateExited',
      'ChoiceStateEntered',
      'ChoiceStateExited',
      'MapStateEntered',
      'MapIterationStarted',
      'MapIterationSucceeded',
      'MapStateSucceeded',
      'MapStateExited',
      'SucceedStateEntered',
    ]) {
      expect(types).toContain(type);
    }
    const paged: HistoryEvent[] = [];
    let nextToken: string | undefined;
    let pages = 0;
    do {
      const page = await sfn.send(new GetExecutionHistoryCommand({ executionArn, maxResults: 4, nextToken }));
      paged.push(...(page.events ?? []));
      nextToken = page.nextToken;
      pages += 1;
    } while (nextToken);
    expect(pages).toBe(Math.ceil(all.length / 4));
    expect(paged.map((e) => e.id)).toEqual(all.map((e) => e.id));
    const reversed = await sfn.send(
      new GetExecutionHistoryCommand({ executionArn, reverseOrder: true, maxResults: 2 }),
    );
    expect(reversed.events?.map((e) => e.type)).toEqual(['ExecutionSucceeded', all.at(-2)?.type]);
    expect(reversed.nextToken).toBeDefined();
  });
});

describe('local Lambda', () => {
  it('fails an invocation past the function timeout with Sandbox.Timedout and counts the context down', async () => {
    let remaining = 0;
    const slow = new LocalFunction({
      name: 'slow',
      timeoutSeconds: 0.05,
      memoryMiB: 128,
      load: async () => async (_event, context) => {
        remaining = context.getRemainingTimeInMillis();
        expect(context).toMatchObject({ functionName: 'omnilink-local-slow', functionVersion: '$LATEST' });
        expect(context.awsRequestId).toMatch(/^[0-9a-f-]{36}$/);
        await new Promise((resolve) => setTimeout(resolve, 500));
      },
    });
    await expect(slow.invoke({})).rejects.toMatchObject({ name: 'Sandbox.Timedout' });
    expect(remaining).toBeGreaterThan(0);
    expect(remaining).toBeLessThanOrEqual(50);
  });
});

describe('local task handlers', () => {
  const oneTask = (resource: string, functionName: string) => ({
    StartAt: 'Call',
    States: {
      Call: { Type: 'Task', Resource: resource, Parameters: { FunctionName: functionName }, End: true },
    },
  });

  it('refuses at start-up a function no spec provides, a resource without local stand-in, or a Task without handler', () => {
    expect(() =>
      lambdaTaskHandlers(
        oneTask('arn:aws:states:::lambda:invoke', 'arn:aws:lambda:us-east-1:000000000000:function:nope'),
        [work],
      ),
    ).toThrow(/Function not found/);
    expect(() =>
      lambdaTaskHandlers(oneTask('arn:aws:states:::sqs:sendMessage.waitForTaskToken', work.arn), [work]),
    ).toThrow(/not supported locally/);
    expect(
      () =>
        new LocalStepFunctions({
          definition: oneTask('arn:aws:states:::lambda:invoke', work.arn),
          taskHandlers: {},
        }),
    ).toThrow(/no local handler/);
  });
});

describe('local Step Functions persistence', () => {
  let dir: string;
  afterEach(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('answers DescribeExecution after a restart and resumes executions that were running', async () => {
    dir = await mkdtemp(join(tmpdir(), 'omnilink-sfn-'));
    const first = makeEngine(dir);
    await first.load();
    const done = uniqueName('done');
    first.startExecution({ stateMachineArn: first.stateMachineArn, name: done, input: '{"mode":"ok"}' });
    await first.waitForExecution(done);
    const interrupted = uniqueName('interrupted');
    first.startExecution({
      stateMachineArn: first.stateMachineArn,
      name: interrupted,
      input: JSON.stringify({ mode: 'slow-interrupted' }),
    });
    await new Promise((resolve) => setTimeout(resolve, 50));
    await first.shutdown(50);
    gates.get('slow-interrupted')?.();

    const second = makeEngine(dir);
    await second.load();
    expect(second.get(done)?.status).toBe('SUCCEEDED');
    expect(second.get(interrupted)?.status).toBe('RUNNING');
    expect(second.resumeRunning()).toEqual([interrupted]);
    await new Promise((resolve) => setTimeout(resolve, 50));
    gates.get('slow-interrupted')?.();
    const resumed = await second.waitForExecution(interrupted);
    expect(resumed).toMatchObject({ status: 'SUCCEEDED', restarts: 1 });
    await second.shutdown(50);

    const third = makeEngine(dir);
    await third.load();
    expect(third.get(interrupted)?.status).toBe('SUCCEEDED');
    expect(third.resumeRunning()).toEqual([]);
  });
});
