import {
  DescribeExecutionCommand,
  GetExecutionHistoryCommand,
  SendTaskFailureCommand,
  SendTaskHeartbeatCommand,
  SendTaskSuccessCommand,
  SFNClient,
  StartExecutionCommand,
  StopExecutionCommand,
} from '@aws-sdk/client-sfn';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { close, listen } from '../../lib/local/aws-json.ts';
import { LocalFunction } from '../../lib/local/lambda.ts';
import { lambdaTaskHandlers } from '../../lib/local/lambda-tasks.ts';
import { createStepFunctionsServer } from '../../lib/local/sfn-server.ts';
import { LocalStepFunctions, substitutePlaceholders } from '../../lib/local/step-functions.ts';

/** `lambda:invoke.waitForTaskToken` on the local engine, through the real @aws-sdk/client-sfn. */
const definition = {
  StartAt: 'Wait for answer',
  States: {
    'Wait for answer': {
      Type: 'Task',
      Resource: 'arn:aws:states:::lambda:invoke.waitForTaskToken',
      Parameters: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: an ASL placeholder, substituted like CDK does
        FunctionName: '${AskFunctionArn}',
        Payload: { 'key.$': '$.key', 'token.$': '$$.Task.Token', 'nested.$': 'States.Array($$.Task.Token)' },
      },
      TimeoutSecondsPath: '$.timeout',
      ResultPath: '$.answer',
      Catch: [{ ErrorEquals: ['States.ALL'], ResultPath: '$.error', Next: 'Caught' }],
      Next: 'Done',
    },
    Done: { Type: 'Succeed' },
    Caught: { Type: 'Succeed' },
  },
};

class NamedTestError extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

const payloads = new Map<string, { token: string; nested: string[] }>();
const ask = new LocalFunction({
  name: 'ask',
  timeoutSeconds: 10,
  memoryMiB: 128,
  load: async () => async (event: unknown) => {
    const { key, token, nested } = event as { key: string; token: string; nested: string[] };
    if (key.startsWith('boom')) throw new NamedTestError('Boom', 'the function failed');
    payloads.set(key, { token, nested });
    return { stored: true };
  },
});

let engine: LocalStepFunctions;
let sfn: SFNClient;
let stopServer: () => Promise<void>;

beforeAll(async () => {
  const substituted = substitutePlaceholders(definition, { AskFunctionArn: ask.arn });
  engine = new LocalStepFunctions({
    definition: substituted,
    taskHandlers: lambdaTaskHandlers(substituted, [ask]),
  });
  const server = createStepFunctionsServer(engine);
  const port = await listen(server, 0);
  sfn = new SFNClient({
    endpoint: `http://127.0.0.1:${port}`,
    region: 'us-east-1',
    credentials: { accessKeyId: 'local', secretAccessKey: 'local' },
    maxAttempts: 1,
  });
  stopServer = () => close(server);
});

afterAll(async () => {
  await engine.shutdown(100);
  await stopServer();
});

let counter = 0;

/** Starts an execution and resolves with its name and the token its function received. */
async function startWaiting(timeout = 60): Promise<{ name: string; arn: string; token: string }> {
  const name = `cb-${Date.now()}-${++counter}`;
  const started = await sfn.send(
    new StartExecutionCommand({
      stateMachineArn: engine.stateMachineArn,
      name,
      input: JSON.stringify({ key: name, timeout }),
    }),
  );
  await expect.poll(() => payloads.has(name), { timeout: 5000, interval: 5 }).toBe(true);
  const token = payloads.get(name)?.token ?? '';
  return { name, arn: started.executionArn ?? '', token };
}

async function output(name: string): Promise<Record<string, unknown>> {
  const record = await engine.waitForExecution(name, 5000);
  return JSON.parse(record.output ?? 'null');
}

describe('local Step Functions: .waitForTaskToken', () => {
  it('puts a fresh token where the ASL reads $$.Task.Token and resumes with the SendTaskSuccess output', async () => {
    const first = await startWaiting();
    const second = await startWaiting();
    expect(first.token).not.toBe(second.token);
    expect(first.token).not.toContain('omnilink_local');
    expect(payloads.get(first.name)?.nested).toEqual([first.token]);

    await sfn.send(new SendTaskSuccessCommand({ taskToken: first.token, output: '{"approved":true}' }));
    expect(await output(first.name)).toMatchObject({ answer: { approved: true } });
    // Task + Succeed: the wait costs no extra transitions.
    expect(engine.transitionsOf(first.name)).toBe(2);
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: first.arn }));
    const scheduled = history.events?.find((e) => e.type === 'TaskScheduled');
    expect(scheduled?.taskScheduledEventDetails?.resource).toBe('invoke.waitForTaskToken');

    // The token is closed now.
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: first.token, output: '{}' })),
    ).rejects.toMatchObject({ name: 'TaskTimedOut' });
    await sfn.send(new SendTaskSuccessCommand({ taskToken: second.token, output: '{}' }));
    expect(await output(second.name)).toMatchObject({ answer: {} });
  });

  it("surfaces SendTaskFailure's error and cause to Catch", async () => {
    const { name, token } = await startWaiting();
    await sfn.send(new SendTaskFailureCommand({ taskToken: token, error: 'ApprovalDenied', cause: 'no' }));
    expect(await output(name)).toMatchObject({ error: { Error: 'ApprovalDenied', Cause: 'no' } });
  });

  it('times out after TimeoutSecondsPath with States.Timeout (history: TaskTimedOut), closing the token', async () => {
    const { name, arn, token } = await startWaiting(1);
    expect(await output(name)).toMatchObject({ error: { Error: 'States.Timeout' } });
    const history = await sfn.send(new GetExecutionHistoryCommand({ executionArn: arn }));
    expect(history.events?.map((e) => e.type)).toContain('TaskTimedOut');
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
  });

  it('fails the task with the function error when the invocation fails', async () => {
    const name = `boom-${Date.now()}`;
    await sfn.send(
      new StartExecutionCommand({
        stateMachineArn: engine.stateMachineArn,
        name,
        input: JSON.stringify({ key: name, timeout: 60 }),
      }),
    );
    expect(await output(name)).toMatchObject({ error: { Error: 'Boom' } });
  });

  it('answers InvalidToken, TaskDoesNotExist and InvalidOutput like AWS, and accepts heartbeats', async () => {
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: 'not a token', output: '{}' })),
    ).rejects.toMatchObject({ name: 'InvalidToken' });
    const ghost = Buffer.from(JSON.stringify({ e: 'ghost', s: 'Wait for answer', n: '1' })).toString(
      'base64url',
    );
    await expect(sfn.send(new SendTaskFailureCommand({ taskToken: ghost }))).rejects.toMatchObject({
      name: 'TaskDoesNotExist',
    });
    const { name, token } = await startWaiting();
    await sfn.send(new SendTaskHeartbeatCommand({ taskToken: token }));
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: 'not json' })),
    ).rejects.toMatchObject({ name: 'InvalidOutput' });
    // Still waiting after the rejected answer.
    await sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '[1]' }));
    expect(await output(name)).toMatchObject({ answer: [1] });
  });

  it('abandons the wait on StopExecution: ABORTED, and the token is closed', async () => {
    const { name, arn, token } = await startWaiting();
    await sfn.send(new StopExecutionCommand({ executionArn: arn }));
    const described = await sfn.send(new DescribeExecutionCommand({ executionArn: arn }));
    expect(described.status).toBe('ABORTED');
    await expect(
      sfn.send(new SendTaskSuccessCommand({ taskToken: token, output: '{}' })),
    ).rejects.toMatchObject({
      name: 'TaskTimedOut',
    });
    expect(engine.get(name)?.status).toBe('ABORTED');
  });
});
