import { ConditionalCheckFailedException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import {
  BatchGetCommand,
  BatchWriteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
} from '@aws-sdk/lib-dynamodb';
import type { Context } from 'aws-lambda';
import { mockClient } from 'aws-sdk-client-mock';
import { afterEach } from 'vitest';
import { foldEvents } from '../../lambdas/domain/projection.ts';
import { workflowEventSchema } from '../../lambdas/domain/schemas.ts';

/*
 * An in-memory DynamoDB behind aws-sdk-client-mock, for handler tests: it understands exactly the
 * key conditions, condition expressions and updates the workflow tasks use, so whole task sequences
 * (plan → steps → saga) run against state that behaves like the real tables, and the mock still
 * records every command for the aws-sdk-client-mock-vitest matchers.
 */

export const TABLES = {
  events: 'test-events',
  state: 'test-state',
  bookings: 'test-bookings',
  cache: 'test-cache',
} as const;

/** Sets the environment the handlers read at module load (call from vi.hoisted). */
export function setTaskEnv(): void {
  process.env.EVENT_LOG_TABLE = TABLES.events;
  process.env.STATE_TABLE = TABLES.state;
  process.env.BOOKINGS_TABLE = TABLES.bookings;
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
}

const KEYS: Record<string, [string, string]> = {
  [TABLES.events]: ['workflow_id', 'seq'],
  [TABLES.state]: ['pk', 'sk'],
  [TABLES.bookings]: ['workflow_id', 'step_id'],
  [TABLES.cache]: ['pk', 'sk'],
};

export type Item = Record<string, unknown>;
type Values = Record<string, unknown> | undefined;
type Names = Record<string, string> | undefined;

function keysOf(table: string): [string, string] {
  const keys = KEYS[table];
  if (!keys) throw new Error(`fake dynamo: unknown table ${table}`);
  return keys;
}

function keyString(table: string, item: Item): string {
  const [pk, sk] = keysOf(table);
  return JSON.stringify([item[pk], item[sk]]);
}

function operand(token: string, item: Item | undefined, values: Values, names: Names): unknown {
  if (token.startsWith(':')) return values?.[token];
  const name = token.startsWith('#') ? (names?.[token] ?? token) : token;
  return item?.[name];
}

/** Evaluates `a OR b`, `a AND b` of attribute_(not_)exists(x), `x = :v`, `x <= :v`. */
function evaluate(expression: string, item: Item | undefined, values: Values, names: Names): boolean {
  if (expression.includes(' OR '))
    return expression.split(' OR ').some((e) => evaluate(e, item, values, names));
  if (expression.includes(' AND '))
    return expression.split(' AND ').every((e) => evaluate(e, item, values, names));
  const term = expression.trim();
  const fn = /^attribute_(not_)?exists\((.+)\)$/.exec(term);
  if (fn?.[2]) {
    const exists = item !== undefined && operand(fn[2], item, values, names) !== undefined;
    return fn[1] ? !exists : exists;
  }
  const cmp = /^(\S+)\s*(=|<=|<|>=|>|<>)\s*(\S+)$/.exec(term);
  if (cmp?.[1] && cmp[2] && cmp[3]) {
    const a = operand(cmp[1], item, values, names);
    const b = operand(cmp[3], item, values, names);
    if (a === undefined || b === undefined) return false;
    switch (cmp[2]) {
      case '=':
        return a === b;
      case '<>':
        return a !== b;
      case '<=':
        return Number(a) <= Number(b);
      case '<':
        return Number(a) < Number(b);
      case '>=':
        return Number(a) >= Number(b);
      default:
        return Number(a) > Number(b);
    }
  }
  throw new Error(`fake dynamo: unsupported expression ${term}`);
}

/**
 * The assignments of `SET a = :v, #b = :w`, or the removals of `REMOVE a, b` (as `[name, undefined]`):
 * the only update expressions the fake implements. Anything else (ADD, DELETE, SET and REMOVE
 * together, if_not_exists, `a + :n`, list_append, nested paths) throws, so a test can never pass on an
 * update the fake silently skipped; use DynamoDB Local (test/support/dynamodb.ts) for those.
 */
function parseSet(expression: string | undefined, values: Values, names: Names): [string, unknown][] {
  const remove = /^\s*REMOVE\s+([#\w]+(?:\s*,\s*[#\w]+)*)\s*$/.exec(expression ?? '');
  if (remove?.[1]) {
    return remove[1].split(',').map((raw) => {
      const name = raw.trim();
      const attribute = name.startsWith('#') ? names?.[name] : name;
      if (attribute === undefined) throw new Error(`fake dynamo: ${name} has no name in ${expression}`);
      return [attribute, undefined];
    });
  }
  const set = /^\s*SET\s+(.+)$/s.exec(expression ?? '');
  if (!set?.[1]) throw new Error(`fake dynamo: unsupported update expression ${expression}`);
  return set[1].split(',').map((assignment) => {
    const plain = /^\s*(#?\w+)\s*=\s*(:\w+)\s*$/.exec(assignment);
    if (!plain?.[1] || !plain[2]) {
      throw new Error(`fake dynamo: unsupported update ${assignment.trim()} in ${expression}`);
    }
    if (values === undefined || !(plain[2] in values)) {
      throw new Error(`fake dynamo: ${plain[2]} has no value in ${expression}`);
    }
    const attribute = plain[1].startsWith('#') ? names?.[plain[1]] : plain[1];
    if (attribute === undefined) throw new Error(`fake dynamo: ${plain[1]} has no name in ${expression}`);
    return [attribute, values[plain[2]]];
  });
}

/** Throws on request options the fake does not implement, instead of ignoring them. */
function unsupportedOptions(command: string, input: object, options: readonly string[]): void {
  for (const option of options) {
    const value = (input as Record<string, unknown>)[option];
    if (value !== undefined && value !== 'NONE') {
      throw new Error(`fake dynamo: ${command} ${option}=${JSON.stringify(value)} is not implemented`);
    }
  }
}

function conditionFailed(): ConditionalCheckFailedException {
  return new ConditionalCheckFailedException({ message: 'The conditional request failed', $metadata: {} });
}

export interface FakeDynamo {
  readonly mock: ReturnType<typeof mockDocumentClient>;
  /** Items of a table (copies), in key order. */
  items(table: string): Item[];
  put(table: string, item: Item): void;
  /** Makes the next `times` matching commands of that kind throw `error` (failure injection). */
  failWhen(
    command:
      | 'GetCommand'
      | 'BatchGetCommand'
      | 'BatchWriteCommand'
      | 'PutCommand'
      | 'UpdateCommand'
      | 'QueryCommand'
      | 'TransactWriteCommand',
    match: (input: Record<string, unknown>) => boolean,
    error: Error,
    times?: number,
  ): void;
  reset(): void;
  /** What the fake refused so far (and forgets it): for tests of the fake itself. */
  takeRefused(): string[];
}

const mockDocumentClient = () => mockClient(DynamoDBDocumentClient);

/** Installs the fake on every DynamoDBDocumentClient (including the handlers' module-level one). */
export function installFakeDynamo(): FakeDynamo {
  // Code under test may swallow an error (e.g. the plan cache treats one as a miss): what the fake
  // refused is also recorded and fails the test after it ran.
  let refused: string[] = [];
  afterEach(() => {
    const seen = refused;
    refused = [];
    if (seen.length > 0)
      throw new Error(`the fake DynamoDB was asked for what it does not implement:\n${seen.join('\n')}`);
  });
  const strict = <T>(run: () => T): T => {
    try {
      return run();
    } catch (error) {
      if (error instanceof Error && error.message.startsWith('fake dynamo:')) refused.push(error.message);
      throw error;
    }
  };
  const check = (...args: Parameters<typeof evaluate>) => strict(() => evaluate(...args));
  const tables = new Map<string, Map<string, Item>>();
  const table = (name: string) => {
    let t = tables.get(name);
    if (!t) {
      t = new Map();
      tables.set(name, t);
    }
    return t;
  };
  const mock = mockDocumentClient();
  let failures: {
    command: string;
    match: (input: Record<string, unknown>) => boolean;
    error: Error;
    times: number;
  }[] = [];
  const injected = (command: string, input: Record<string, unknown>) => {
    const failure = failures.find((f) => f.command === command && f.times > 0 && f.match(input));
    if (failure) {
      failure.times--;
      throw failure.error;
    }
  };
  const install = () => {
    mock.on(GetCommand).callsFake((input: GetCommand['input']) => {
      injected('GetCommand', input);
      const name = input.TableName ?? '';
      const item = table(name).get(keyString(name, input.Key ?? {}));
      return { Item: item && structuredClone(item) };
    });
    mock.on(BatchGetCommand).callsFake((input: BatchGetCommand['input']) => {
      injected('BatchGetCommand', input);
      const responses: Record<string, Item[]> = {};
      for (const [name, request] of Object.entries(input.RequestItems ?? {})) {
        responses[name] = (request.Keys ?? []).flatMap((key) => {
          const item = table(name).get(keyString(name, key));
          return item ? [structuredClone(item)] : [];
        });
      }
      return { Responses: responses, UnprocessedKeys: {} };
    });
    mock.on(BatchWriteCommand).callsFake((input: BatchWriteCommand['input']) => {
      injected('BatchWriteCommand', input);
      for (const [name, requests] of Object.entries(input.RequestItems ?? {})) {
        for (const request of requests) {
          if (!request.PutRequest?.Item) throw new Error('fake dynamo: only PutRequest is implemented');
          const item = structuredClone(request.PutRequest.Item);
          table(name).set(keyString(name, item), item);
        }
      }
      return { UnprocessedItems: {} };
    });
    mock.on(PutCommand).callsFake((input: PutCommand['input']) => {
      injected('PutCommand', input);
      strict(() =>
        unsupportedOptions('PutCommand', input, ['ReturnValues', 'ReturnValuesOnConditionCheckFailure']),
      );
      const name = input.TableName ?? '';
      const item = structuredClone(input.Item ?? {});
      const key = keyString(name, item);
      const existing = table(name).get(key);
      if (
        input.ConditionExpression &&
        !check(
          input.ConditionExpression,
          existing,
          input.ExpressionAttributeValues,
          input.ExpressionAttributeNames,
        )
      ) {
        throw conditionFailed();
      }
      table(name).set(key, item);
      return {};
    });
    // All or nothing, like DynamoDB: every condition is checked first; a failed one cancels the whole
    // transaction with one reason per item (the item itself where ALL_OLD was asked for).
    mock.on(TransactWriteCommand).callsFake((input: TransactWriteCommand['input']) => {
      injected('TransactWriteCommand', input);
      const writes = (input.TransactItems ?? []).map((entry) => {
        if (entry.Put) {
          const put = entry.Put;
          const name = put.TableName ?? '';
          const item = structuredClone(put.Item ?? {});
          return {
            name,
            key: keyString(name, item),
            condition: put,
            apply: () => table(name).set(keyString(name, item), item),
          };
        }
        if (entry.Update) {
          const update = entry.Update;
          const name = update.TableName ?? '';
          return {
            name,
            key: keyString(name, update.Key ?? {}),
            condition: update,
            apply: () => applyUpdate(name, update),
          };
        }
        throw new Error('fake dynamo: only Put and Update are implemented in TransactWriteItems');
      });
      const reasons = writes.map(({ name, key, condition }) => {
        const existing = table(name).get(key);
        const ok =
          !condition.ConditionExpression ||
          evaluate(
            condition.ConditionExpression,
            existing,
            condition.ExpressionAttributeValues,
            condition.ExpressionAttributeNames,
          );
        if (ok) return { Code: 'None' };
        const all =
          'ReturnValuesOnConditionCheckFailure' in condition &&
          condition.ReturnValuesOnConditionCheckFailure === 'ALL_OLD';
        return {
          Code: 'ConditionalCheckFailed',
          ...(all && existing ? { Item: structuredClone(existing) } : {}),
        };
      });
      if (reasons.some((r) => r.Code !== 'None')) {
        throw new TransactionCanceledException({
          message: 'Transaction cancelled',
          $metadata: {},
          CancellationReasons: reasons as never,
        });
      }
      for (const write of writes) write.apply();
      return {};
    });
    const applyUpdate = (name: string, input: NonNullable<UpdateCommand['input']>) => {
      const key = keyString(name, input.Key ?? {});
      const existing = table(name).get(key);
      const values = input.ExpressionAttributeValues;
      const names = input.ExpressionAttributeNames;
      const next: Item = { ...(existing ?? input.Key) };
      const set = /^SET\s+(.+)$/.exec(input.UpdateExpression ?? '');
      for (const assignment of set?.[1]?.split(',') ?? []) {
        const [left, right] = assignment.split('=').map((s) => s.trim());
        if (!left || !right) continue;
        next[left.startsWith('#') ? (names?.[left] ?? left) : left] = structuredClone(values?.[right]);
      }
      table(name).set(key, next);
    };
    mock.on(UpdateCommand).callsFake((input: UpdateCommand['input']) => {
      injected('UpdateCommand', input);
      strict(() =>
        unsupportedOptions('UpdateCommand', input, ['ReturnValues', 'ReturnValuesOnConditionCheckFailure']),
      );
      const name = input.TableName ?? '';
      const key = keyString(name, input.Key ?? {});
      const existing = table(name).get(key);
      const values = input.ExpressionAttributeValues;
      const names = input.ExpressionAttributeNames;
      if (input.ConditionExpression && !check(input.ConditionExpression, existing, values, names)) {
        throw conditionFailed();
      }
      const next: Item = { ...(existing ?? input.Key) };
      for (const [attribute, value] of strict(() => parseSet(input.UpdateExpression, values, names))) {
        if (value === undefined) delete next[attribute];
        else next[attribute] = value;
      }
      table(name).set(key, next);
      return {};
    });
    mock.on(QueryCommand).callsFake((input: QueryCommand['input']) => {
      injected('QueryCommand', input);
      strict(() => {
        unsupportedOptions('QueryCommand', input, [
          'IndexName',
          'FilterExpression',
          'ExclusiveStartKey',
          'ProjectionExpression',
          'Select',
        ]);
        if (input.ScanIndexForward === false)
          throw new Error('fake dynamo: QueryCommand ScanIndexForward=false');
      });
      const name = input.TableName ?? '';
      const [pk, sk] = keysOf(name);
      const values = input.ExpressionAttributeValues ?? {};
      const [partCond, sortCond] = (input.KeyConditionExpression ?? '').split(' AND ');
      const partValue = values[(partCond ?? '').split('=')[1]?.trim() ?? ''];
      let items = [...table(name).values()].filter((i) => i[pk] === partValue);
      const begins = /begins_with\(\s*\S+,\s*(:\w+)\)/.exec(sortCond ?? '');
      if (begins?.[1]) {
        const prefix = String(values[begins[1]]);
        items = items.filter((i) => String(i[sk]).startsWith(prefix));
      } else if (sortCond) {
        items = items.filter((i) => check(sortCond, i, values, undefined));
      }
      items.sort((a, b) => (String(a[sk]) < String(b[sk]) ? -1 : 1));
      if (typeof items[0]?.[sk] === 'number') items.sort((a, b) => Number(a[sk]) - Number(b[sk]));
      const limited = input.Limit ? items.slice(0, input.Limit) : items;
      const last = limited.at(-1);
      return {
        Items: limited.map((i) => structuredClone(i)),
        ...(input.Limit && items.length > input.Limit && last
          ? { LastEvaluatedKey: { [pk]: last[pk], [sk]: last[sk] } }
          : {}),
      };
    });
  };
  install();
  return {
    mock,
    items: (name) => [...table(name).values()].map((i) => structuredClone(i)),
    put: (name, item) => {
      table(name).set(keyString(name, item), structuredClone(item));
    },
    failWhen: (command, match, error, times = 1) => {
      failures.push({ command, match, error, times });
    },
    takeRefused: () => {
      const seen = refused;
      refused = [];
      return seen;
    },
    reset: () => {
      failures = [];
      tables.clear();
      mock.reset();
      install();
    },
  };
}

/** A Lambda context for invoking middy handlers. */
export const lambdaContext: Context = {
  callbackWaitsForEmptyEventLoop: false,
  functionName: 'omnilink-test',
  functionVersion: '$LATEST',
  invokedFunctionArn: 'arn:aws:lambda:us-east-1:123456789012:function:omnilink-test',
  memoryLimitInMB: '512',
  awsRequestId: 'test-request',
  logGroupName: '/aws/lambda/omnilink-test',
  logStreamName: 'test',
  getRemainingTimeInMillis: () => 60_000,
  done: () => undefined,
  fail: () => undefined,
  succeed: () => undefined,
};

type Task = (event: unknown, context: Context) => Promise<unknown>;

export interface WorkflowHandlers {
  readonly guardian: Task;
  readonly planner: Task;
  readonly step: Task;
  readonly finalize: Task;
  readonly compensate: Task;
}

/** The Catch output of a failed lambda:invoke task: `{Error, Cause}` with Lambda's JSON cause. */
export function stateError(error: unknown): { Error: string; Cause: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  return { Error: name, Cause: JSON.stringify({ errorType: name, errorMessage: message, trace: [] }) };
}

interface Dag {
  ready: string[];
  done: string[];
}

function isDag(value: unknown): value is Dag {
  return (
    typeof value === 'object' &&
    value !== null &&
    'ready' in value &&
    Array.isArray(value.ready) &&
    'done' in value &&
    Array.isArray(value.done)
  );
}

/**
 * Runs the workflow the way statemachines/workflow.asl.json does (without its retries): guardian,
 * planner, one wave of ready steps at a time (every iteration runs; the next schedule is `$[0]`),
 * finalize; any failure goes to the saga with the Catch's `{Error, Cause}`.
 */
export async function simulateWorkflow(
  handlers: WorkflowHandlers,
  input: {
    workflow_id: string;
    user_id: string;
    goal: string;
    context: Record<string, unknown>;
    submitted_at: string;
  },
): Promise<{ outcome: 'completed' | 'rejected' | 'failed'; waves: string[][]; output: unknown }> {
  const waves: string[][] = [];
  try {
    const guardian = await handlers.guardian(input, lambdaContext);
    if (typeof guardian !== 'object' || guardian === null || !('allowed' in guardian) || !guardian.allowed) {
      return { outcome: 'rejected', waves, output: guardian };
    }
    let dag = await handlers.planner(
      { workflow_id: input.workflow_id, user_id: input.user_id, goal: input.goal, context: input.context },
      lambdaContext,
    );
    while (isDag(dag) && dag.ready.length > 0) {
      const wave = dag.ready;
      waves.push(wave);
      const results = [];
      for (const stepId of wave) {
        results.push(
          await handlers.step(
            { workflow_id: input.workflow_id, step_id: stepId, wave, done: dag.done },
            lambdaContext,
          ),
        );
      }
      dag = results[0];
    }
    const output = await handlers.finalize({ workflow_id: input.workflow_id }, lambdaContext);
    return { outcome: 'completed', waves, output };
  } catch (error) {
    const output = await handlers.compensate(
      { workflow_id: input.workflow_id, error: stateError(error) },
      lambdaContext,
    );
    return { outcome: 'failed', waves, output };
  }
}

/** The event log of a workflow, in order, as `type` or `type:step_id`. */
export function eventTrail(fake: FakeDynamo, workflowId: string): string[] {
  return fake
    .items(TABLES.events)
    .filter((e) => e.workflow_id === workflowId)
    .sort((a, b) => Number(a.seq) - Number(b.seq))
    .map((e) => {
      const data = e.data;
      const stepId =
        typeof data === 'object' && data !== null && 'step_id' in data && typeof data.step_id === 'string'
          ? `:${data.step_id}`
          : '';
      return `${String(e.type)}${stepId}`;
    });
}

/** The stored events of a workflow (data included), in order. */
export function storedEvents(fake: FakeDynamo, workflowId: string): Item[] {
  return fake
    .items(TABLES.events)
    .filter((e) => e.workflow_id === workflowId)
    .sort((a, b) => Number(a.seq) - Number(b.seq));
}

/**
 * Writes a workflow's log as the event log would have: the events renumbered 1..n, a marker per
 * event and the head with the view folded over them (for tests that rewrite history, e.g. a step
 * that "crashed" before its outcome was logged).
 */
export function putLog(fake: FakeDynamo, workflowId: string, events: readonly Item[]): void {
  const stored = events.map((e, i) =>
    workflowEventSchema.parse({ ...e, workflow_id: workflowId, seq: i + 1 }),
  );
  for (const event of stored) {
    fake.put(TABLES.events, event);
    fake.put(TABLES.state, {
      pk: `WF#${workflowId}`,
      sk: `EVT#${event.event_id}`,
      seq: event.seq,
      at: event.at,
    });
  }
  const view = foldEvents(stored);
  fake.put(TABLES.state, {
    pk: `WF#${workflowId}`,
    sk: 'HEAD',
    workflow_id: workflowId,
    last_seq: view.last_seq,
    view,
  });
}
