import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  ExecutionAbortedError,
  ExecutionError,
  ExecutionTimeoutError,
  type RunOptions,
  StateMachine,
  type StateMachineDefinition,
} from 'aws-local-stepfunctions';
import { AwsServiceError } from './aws-json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda.ts';

/**
 * Step Functions (Standard), emulated: executions of one state machine run in-process with
 * `aws-local-stepfunctions`; this class adds what the service has and the library has not — named
 * executions with AWS's idempotency rules, statuses, AWS-shaped histories, stop, a state-transition
 * count, and persistence of all of it under the data directory.
 *
 * Differences from AWS (by design, documented in the local runtime's README section):
 * - An execution that was RUNNING when the process stopped is resumed on the next start by running
 *   it again from the start with the same input (AWS would continue where it was). The workflow's
 *   tasks are idempotent on (workflow, step), so the outcome is the same; the history restarts.
 * - History events are derived from the library's event stream: `TaskScheduled.parameters` is the
 *   state's unevaluated `Parameters` template and `TaskSucceeded` carries no output (the state's
 *   output is in `TaskStateExited`); `previousEventId` is simply the preceding event.
 * - Task states without `TimeoutSeconds` get no task timeout (the library would default to 60 s);
 *   the emulated Lambda enforces its own function timeout, as in AWS.
 * - `.waitForTaskToken` (the library has none) is done here: the context object's `Task.Token` is a
 *   sentinel that the task's handler input gets replaced with a fresh token; after the invocation the
 *   task waits for SendTaskSuccess/SendTaskFailure (AWS errors: InvalidToken, TaskDoesNotExist,
 *   TaskTimedOut, InvalidOutput) or its TimeoutSeconds/TimeoutSecondsPath (→ `States.Timeout`, history
 *   `TaskTimedOut`); StopExecution abandons the wait. Tokens are not persisted: an execution resumed
 *   after a restart reaches its wait again with a new token. HeartbeatSeconds is not enforced
 *   (SendTaskHeartbeat only checks the token).
 * - RedriveExecution restarts at the top-level state that did not finish, with its input from the
 *   history; a failed inline Map re-runs only its unsuccessful iterations, as AWS does (the Tasks of
 *   iterations that succeeded replay their results, kept per execution in memory while it runs and
 *   in its file once it has closed, so a redrive after a restart replays them too). Status changes
 *   are reported through `onStatusChange` (AWS: `aws.states` events on the default bus).
 *
 * Memory stays flat however many executions run: a closed execution's history (and the Map results
 * a redrive would replay) is written to its file and dropped from memory; `events` then reads the
 * file again when asked (GetExecutionHistory, DescribeExecution's callers, RedriveExecution). Without
 * a data directory the files go to a private temporary directory, removed at shutdown or exit.
 */

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED';

/**
 * A state's result over 256 KiB: in AWS a terminal error that neither Retry nor Catch (not even
 * `States.ALL`) handles. The `isRetryable`/`isCatchable` getters are what aws-local-stepfunctions reads.
 */
export class DataLimitExceeded extends Error {
  constructor(stateName: string) {
    super(
      `The state/task '${stateName}' returned a result with a size exceeding the maximum number of bytes service limit.`,
    );
    this.name = 'States.DataLimitExceeded';
  }

  get isRetryable(): boolean {
    return false;
  }

  get isCatchable(): boolean {
    return false;
  }
}

/** Input of a task's local handler and who is calling it. */
export interface TaskInvocation {
  readonly executionArn: string;
  readonly executionName: string;
  readonly stateName: string;
}

/** Runs one Task state locally; what it throws surfaces to Retry/Catch under its `name`. */
export type LocalTaskHandler = (input: unknown, invocation: TaskInvocation) => Promise<unknown>;

/** Retry pauses per state name, in ms (one number, or one per retrier), as in aws-local-stepfunctions. */
export type RetryIntervalOverrides = Record<string, number | number[]>;

/** One event of an execution's history, in the shape of GetExecutionHistory (timestamps in ms). */
export interface HistoryEvent {
  id: number;
  previousEventId: number;
  timestamp: number;
  type: string;
  [details: string]: unknown;
}

/** Everything kept about an execution (and persisted as JSON). */
export interface ExecutionRecord {
  executionArn: string;
  stateMachineArn: string;
  name: string;
  input: string;
  status: ExecutionStatus;
  startDate: number;
  stopDate?: number;
  output?: string;
  error?: string;
  cause?: string;
  events: HistoryEvent[];
  /** State transitions: states entered (Map iterations included) and retries, as AWS bills them. */
  transitions: { stateEntered: number; retried: number };
  /** Times the execution was re-run from the start after a restart of the local runtime. */
  restarts: number;
  /** Times RedriveExecution restarted it (AWS's `redriveCount`). */
  redriveCount?: number;
  /** When it was last redriven (ms). */
  redriveDate?: number;
  /**
   * The Task results of the failed Map attempt a redrive replays (see `#mapResults`), written with
   * a closed execution's file so that they need no memory. @default - none
   */
  mapResults?: Record<string, JsonValue>;
}

/**
 * An "Step Functions Execution Status Change" event's detail, as EventBridge delivers it from
 * `aws.states` (times in ms since the epoch, input/output as JSON text or null).
 */
export interface ExecutionStatusChange {
  readonly executionArn: string;
  readonly stateMachineArn: string;
  readonly name: string;
  readonly status: ExecutionStatus;
  readonly startDate: number;
  readonly stopDate: number | null;
  readonly input: string | null;
  readonly output: string | null;
  readonly error: string | null;
  readonly cause: string | null;
  readonly redriveCount: number;
}

export interface LocalStepFunctionsProps {
  /** The state machine definition (JSONPath ASL), placeholders already substituted. */
  readonly definition: unknown;
  /** @default 'omnilink-local' */
  readonly stateMachineName?: string;
  /** Local handler per Task state name (nested Map/Parallel states included). */
  readonly taskHandlers: Readonly<Record<string, LocalTaskHandler>>;
  /**
   * Directory for executions (JSON files). @default - a temporary directory for closed executions'
   * histories only (removed at shutdown or exit); nothing survives the process
   */
  readonly dataDir?: string;
  /** Shorter retry pauses (ms), for tests. @default - the ASL's intervals, backoff and jitter */
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  /**
   * Called on every status change (RUNNING, SUCCEEDED, FAILED, TIMED_OUT, ABORTED), like the
   * `aws.states` "Step Functions Execution Status Change" events AWS sends to EventBridge.
   * @default - none
   */
  readonly onStatusChange?: (change: ExecutionStatusChange) => void;
}

const NAME_PATTERN = /^[A-Za-z0-9_-]{1,80}$/;
/** Task resources of the callback pattern. */
const CALLBACK_RESOURCE = /\.waitForTaskToken$/;
/** What `$$.Task.Token` evaluates to before a callback task's handler replaces it with the real token. */
const TOKEN_SENTINEL = '__omnilink_local_task_token__';
/** Key under which a callback state's rewritten Parameters carry its parameters and timeout. */
const CALLBACK_INPUT = '__omnilink_local_callback__';
const MAX_PAYLOAD_BYTES = 256 * 1024;
/** Longest timer Node accepts (about 24.8 days), used as "no task timeout". */
const NO_TASK_TIMEOUT_SECONDS = 2_147_483;
/** Closed executions' histories kept in memory after being read back from their files. */
const HISTORY_CACHE_SIZE = 8;
/** Temporary directories of engines without a data directory, removed when the process exits. */
const temporaryDirs = new Set<string>();
process.once('exit', () => {
  for (const dir of temporaryDirs) rmSync(dir, { recursive: true, force: true });
});

const enteredTypes: Record<string, string> = {
  Task: 'Task',
  Choice: 'Choice',
  Map: 'Map',
  Parallel: 'Parallel',
  Pass: 'Pass',
  Wait: 'Wait',
  Succeed: 'Succeed',
  Fail: 'Fail',
};

type JsonObject = Record<string, unknown>;
type JsonValue = Parameters<StateMachine['run']>[0];
type LibTaskHandlers = NonNullable<NonNullable<RunOptions['overrides']>['taskResourceLocalHandlers']>;

/** Shape check only: aws-local-stepfunctions validates the definition fully (asl-validator). */
function isDefinition(value: unknown): value is StateMachineDefinition {
  return isObject(value) && typeof value.StartAt === 'string' && isObject(value.States);
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Calls `visit` for every state of a definition, nested Map/Parallel states included. */
export function forEachState(definition: unknown, visit: (name: string, state: JsonObject) => void): void {
  if (!isObject(definition) || !isObject(definition.States)) return;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isObject(state)) continue;
    visit(name, state);
    forEachState(state.ItemProcessor, visit);
    forEachState(state.Iterator, visit);
    if (Array.isArray(state.Branches)) for (const branch of state.Branches) forEachState(branch, visit);
  }
}

/** Task states inside a Map's item processor (at any depth), by the top-level Map state that holds them. */
export function mapIterationTasks(definition: unknown): Map<string, Set<string>> {
  const byMap = new Map<string, Set<string>>();
  if (!isObject(definition) || !isObject(definition.States)) return byMap;
  for (const [name, state] of Object.entries(definition.States)) {
    if (!isObject(state) || state.Type !== 'Map') continue;
    const tasks = new Set<string>();
    forEachState(state.ItemProcessor ?? state.Iterator, (inner, innerState) => {
      if (innerState.Type === 'Task') tasks.add(inner);
    });
    byMap.set(name, tasks);
  }
  return byMap;
}

/** Replaces `${Name}` placeholders in every string of a definition, like CDK's definitionSubstitutions. */
export function substitutePlaceholders<T>(definition: T, substitutions: Readonly<Record<string, string>>): T {
  const text = JSON.stringify(definition).replace(/\$\{([A-Za-z0-9_]+)\}/g, (match, key: string) => {
    const value = substitutions[key];
    return value === undefined ? match : JSON.stringify(value).slice(1, -1);
  });
  return JSON.parse(text);
}

/** The local Step Functions service for one state machine. */
export class LocalStepFunctions {
  readonly stateMachineArn: string;
  readonly stateMachineName: string;
  readonly definition: StateMachineDefinition;
  readonly #machine: StateMachine;
  readonly #runnable: StateMachineDefinition;
  /** Machines starting at another state, for redrives (by state name). */
  readonly #redriveMachines = new Map<string, StateMachine>();
  /** Task states inside inline Maps (their results are kept for redrives). */
  readonly #mapTasks: ReadonlySet<string>;
  /**
   * Results of Tasks inside the current attempt of a top-level Map, per execution: key
   * `<state>\u0000<input JSON>`. A redrive that restarts at that Map replays them instead of
   * re-invoking the functions of iterations that had succeeded.
   */
  readonly #mapResults = new Map<string, Map<string, JsonValue>>();
  readonly #props: LocalStepFunctionsProps;
  readonly #executions = new Map<string, ExecutionRecord>();
  readonly #running = new Map<string, { abort: () => void; done: Promise<void> }>();
  readonly #inflightTasks = new Set<Promise<unknown>>();
  readonly #dirty = new Set<string>();
  readonly #waiters = new Map<string, ((record: ExecutionRecord) => void)[]>();
  /** Task states of the callback pattern (`.waitForTaskToken`). */
  readonly #callbackStates = new Set<string>();
  /** Callback tasks waiting for SendTaskSuccess/SendTaskFailure, by token. */
  readonly #tasks = new Map<string, PendingTask>();
  /** Where closed executions' files go without a data directory (made at the first one). */
  #spillDir: string | undefined;
  /** Histories read back from files lately (GetExecutionHistory pages through one at a time). */
  readonly #historyCache = new Map<string, HistoryEvent[]>();
  #flushTimer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #shuttingDown = false;
  readonly createdAt = Date.now();

  constructor(props: LocalStepFunctionsProps) {
    this.#props = props;
    this.stateMachineName = props.stateMachineName ?? 'omnilink-local';
    this.stateMachineArn = `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:stateMachine:${this.stateMachineName}`;
    if (!isDefinition(props.definition)) throw new Error('the definition needs StartAt and States');
    this.definition = props.definition;
    const runnable: StateMachineDefinition = JSON.parse(JSON.stringify(props.definition));
    forEachState(runnable, (name, state) => {
      if (state.Type !== 'Task') return;
      if (typeof state.Resource === 'string' && CALLBACK_RESOURCE.test(state.Resource)) {
        // The wait and its timeout are ours (see #runCallbackTask): the library only runs the handler.
        // The timeout path is evaluated with the Parameters, against the same (effective) input.
        this.#callbackStates.add(name);
        const wrapper: JsonObject =
          state.Parameters === undefined ? { 'parameters.$': '$' } : { parameters: state.Parameters };
        if (typeof state.TimeoutSecondsPath === 'string')
          wrapper['timeout_seconds.$'] = state.TimeoutSecondsPath;
        else if (typeof state.TimeoutSeconds === 'number') wrapper.timeout_seconds = state.TimeoutSeconds;
        state.Parameters = { [CALLBACK_INPUT]: wrapper };
        delete state.TimeoutSecondsPath;
        state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
      if (state.TimeoutSeconds === undefined && state.TimeoutSecondsPath === undefined) {
        state.TimeoutSeconds = NO_TASK_TIMEOUT_SECONDS;
      }
      if (!props.taskHandlers[name]) throw new Error(`no local handler for Task state "${name}"`);
    });
    this.#runnable = runnable;
    this.#mapTasks = new Set([...mapIterationTasks(runnable).values()].flatMap((tasks) => [...tasks]));
    this.#machine = new StateMachine(runnable, { validationOptions: { checkArn: false } });
  }

  /** Loads persisted executions. Call `resumeRunning()` afterwards to restart interrupted ones. */
  async load(): Promise<void> {
    const dir = this.#executionsDir();
    if (!dir) return;
    await mkdir(dir, { recursive: true });
    for (const file of await readdir(dir)) {
      if (!file.endsWith('.json')) continue;
      try {
        const record: ExecutionRecord = JSON.parse(await readFile(join(dir, file), 'utf8'));
        if (record.stateMachineArn !== this.stateMachineArn) continue;
        this.#executions.set(record.name, record);
        // A closed execution's history stays in its file until asked for.
        if (record.status !== 'RUNNING') this.#evict(record);
      } catch {
        // A torn write of a crashed process: the previous complete file was renamed over it, so
        // this can only be a leftover temp file; ignore it.
      }
    }
  }

  /**
   * Restarts executions that were RUNNING when the previous process stopped. Unlike AWS (which
   * continues them where they were), they run again from the start with the same input; the tasks
   * are idempotent on (workflow, step), so the outcome is the same. Returns their names.
   */
  resumeRunning(): string[] {
    const resumed: string[] = [];
    for (const record of this.#executions.values()) {
      if (record.status !== 'RUNNING' || this.#running.has(record.name)) continue;
      record.events = [];
      record.transitions = { stateEntered: 0, retried: 0 };
      record.restarts += 1;
      this.#run(record);
      resumed.push(record.name);
    }
    return resumed;
  }

  // --- API actions -------------------------------------------------------------------------------

  startExecution(request: { stateMachineArn: string; name?: string; input?: string }): {
    executionArn: string;
    startDate: number;
  } {
    this.#assertStateMachine(request.stateMachineArn);
    const name = request.name ?? crypto.randomUUID();
    if (!NAME_PATTERN.test(name)) {
      throw new AwsServiceError('InvalidName', `Invalid Name: '${name}' (1-80 characters of A-Za-z0-9-_)`);
    }
    const input = request.input ?? '{}';
    if (Buffer.byteLength(input) > MAX_PAYLOAD_BYTES) {
      throw new AwsServiceError('InvalidExecutionInput', 'Input exceeds the maximum size of 262144 bytes');
    }
    try {
      JSON.parse(input);
    } catch {
      throw new AwsServiceError('InvalidExecutionInput', `Invalid State Machine Execution Input: '${input}'`);
    }
    const existing = this.#executions.get(name);
    if (existing) {
      // AWS: same name and same input while RUNNING → the original response; otherwise (closed, or a
      // different input) → ExecutionAlreadyExists. Names are never reused (90-day window). Inputs are
      // compared as strings: stricter than "the same JSON", so nothing passes here that AWS refuses.
      if (existing.status === 'RUNNING' && existing.input === input) {
        return { executionArn: existing.executionArn, startDate: existing.startDate };
      }
      throw new AwsServiceError(
        'ExecutionAlreadyExists',
        `Execution Already Exists: '${existing.executionArn}'`,
      );
    }
    const record: ExecutionRecord = {
      executionArn: this.#executionArn(name),
      stateMachineArn: this.stateMachineArn,
      name,
      input,
      status: 'RUNNING',
      startDate: Date.now(),
      events: [],
      transitions: { stateEntered: 0, retried: 0 },
      restarts: 0,
    };
    this.#executions.set(name, record);
    this.#run(record);
    this.#statusChanged(record);
    return { executionArn: record.executionArn, startDate: record.startDate };
  }

  /**
   * RedriveExecution: restarts a FAILED, TIMED_OUT or ABORTED execution from the top-level state that
   * did not finish, with that state's input (from the history); same ARN, `redriveCount` + 1,
   * status RUNNING, history continued with `ExecutionRedriven`. A failed inline Map re-runs only its
   * unsuccessful iterations, as AWS does: a Task of an iteration that had succeeded answers with the
   * output it had (kept per execution, by state and input, in memory) instead of invoking its function.
   */
  redriveExecution(request: { executionArn: string }): { redriveDate: number } {
    const record = this.#find(request.executionArn);
    if (record.status === 'RUNNING' || record.status === 'SUCCEEDED' || this.#running.has(record.name)) {
      throw new AwsServiceError(
        'ExecutionNotRedrivable',
        `Execution is ${record.status === 'SUCCEEDED' ? 'SUCCEEDED' : 'RUNNING'} and cannot be redriven: '${record.executionArn}'`,
      );
    }
    this.#restore(record);
    const from = this.#unfinishedState(record);
    this.#machineFrom(from.state); // built (and cached) before anything changes
    const redriveDate = Date.now();
    record.status = 'RUNNING';
    delete record.stopDate;
    delete record.error;
    delete record.cause;
    delete record.output;
    record.redriveCount = (record.redriveCount ?? 0) + 1;
    record.redriveDate = redriveDate;
    this.#push(record, redriveDate, 'ExecutionRedriven', {
      executionRedrivenEventDetails: { redriveCount: record.redriveCount },
    });
    this.#run(record, from);
    this.#statusChanged(record);
    return { redriveDate };
  }

  describeExecution(executionArn: string): ExecutionRecord {
    return this.#find(executionArn);
  }

  /** History page; `nextToken` is the offset of the next page. */
  getExecutionHistory(request: {
    executionArn: string;
    maxResults?: number;
    nextToken?: string;
    reverseOrder?: boolean;
    includeExecutionData?: boolean;
  }): { events: HistoryEvent[]; nextToken?: string } {
    const record = this.#find(request.executionArn);
    const maxResults = request.maxResults || 100;
    if (maxResults < 0 || maxResults > 1000) {
      throw new AwsServiceError('ValidationException', 'maxResults must be between 0 and 1000');
    }
    let offset = 0;
    if (request.nextToken !== undefined) {
      const decoded = Number(Buffer.from(request.nextToken, 'base64url').toString('utf8'));
      if (!Number.isInteger(decoded) || decoded < 0)
        throw new AwsServiceError('InvalidToken', 'Invalid token');
      offset = decoded;
    }
    const ordered = request.reverseOrder ? [...record.events].reverse() : record.events;
    let events = ordered.slice(offset, offset + maxResults);
    if (request.includeExecutionData === false) events = events.map(withoutData);
    const next = offset + maxResults;
    return next < ordered.length
      ? { events, nextToken: Buffer.from(String(next)).toString('base64url') }
      : { events };
  }

  stopExecution(request: { executionArn: string; error?: string; cause?: string }): { stopDate: number } {
    const record = this.#find(request.executionArn);
    if (record.status !== 'RUNNING') return { stopDate: record.stopDate ?? Date.now() };
    record.status = 'ABORTED';
    record.stopDate = Date.now();
    if (request.error !== undefined) record.error = request.error;
    if (request.cause !== undefined) record.cause = request.cause;
    this.#markDirty(record);
    this.#statusChanged(record);
    this.#running.get(record.name)?.abort();
    this.#abandonTasks(record.name);
    return { stopDate: record.stopDate };
  }

  /** SendTaskSuccess: completes the callback task of `taskToken` with `output` (a JSON text). */
  sendTaskSuccess(request: { taskToken: string; output: string }): Record<string, never> {
    const [token, task] = this.#pendingTask(request.taskToken);
    if (Buffer.byteLength(request.output) > MAX_PAYLOAD_BYTES) {
      throw new AwsServiceError('InvalidOutput', 'Output exceeds the maximum size of 262144 bytes');
    }
    let output: unknown;
    try {
      output = JSON.parse(request.output);
    } catch {
      throw new AwsServiceError('InvalidOutput', `Invalid Output: '${request.output.slice(0, 100)}'`);
    }
    this.#settleTask(token, task);
    task.resolve(output);
    return {};
  }

  /** SendTaskFailure: fails the callback task; `error`/`cause` reach Retry/Catch as Error/Cause. */
  sendTaskFailure(request: { taskToken: string; error?: string; cause?: string }): Record<string, never> {
    const [token, task] = this.#pendingTask(request.taskToken);
    this.#settleTask(token, task);
    task.reject(new CallbackTaskError(request.error || 'States.TaskFailed', request.cause ?? ''));
    return {};
  }

  /** SendTaskHeartbeat: the task must still be waiting (HeartbeatSeconds is not enforced locally). */
  sendTaskHeartbeat(request: { taskToken: string }): Record<string, never> {
    this.#pendingTask(request.taskToken);
    return {};
  }

  listExecutions(request: {
    stateMachineArn: string;
    statusFilter?: string;
    maxResults?: number;
    nextToken?: string;
  }): {
    executions: ExecutionRecord[];
    nextToken?: string;
  } {
    this.#assertStateMachine(request.stateMachineArn);
    const all = [...this.#executions.values()]
      .filter((record) => !request.statusFilter || record.status === request.statusFilter)
      .sort((a, b) => b.startDate - a.startDate);
    const offset = request.nextToken
      ? Number(Buffer.from(request.nextToken, 'base64url').toString('utf8'))
      : 0;
    if (!Number.isInteger(offset) || offset < 0) throw new AwsServiceError('InvalidToken', 'Invalid token');
    const max = request.maxResults || 100;
    const executions = all.slice(offset, offset + max);
    return offset + max < all.length
      ? { executions, nextToken: Buffer.from(String(offset + max)).toString('base64url') }
      : { executions };
  }

  // --- local-only helpers -----------------------------------------------------------------------

  /** The execution named `name`, if any. */
  get(name: string): ExecutionRecord | undefined {
    return this.#executions.get(name);
  }

  /** State transitions of an execution (states entered, Map iterations included, plus retries). */
  transitionsOf(name: string): number | undefined {
    const record = this.#executions.get(name);
    return record ? record.transitions.stateEntered + record.transitions.retried : undefined;
  }

  /** Resolves when the execution has closed (or at once if it has). */
  async waitForExecution(name: string, timeoutMs = 30_000): Promise<ExecutionRecord> {
    const record = this.#executions.get(name);
    if (!record) throw new Error(`no execution named ${name}`);
    if (record.status !== 'RUNNING') {
      await this.#running.get(name)?.done;
      return record;
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error(`execution ${name} still running after ${timeoutMs} ms`)),
        timeoutMs,
      );
      const list = this.#waiters.get(name) ?? [];
      list.push((closed) => {
        clearTimeout(timer);
        resolve(closed);
      });
      this.#waiters.set(name, list);
    });
  }

  /**
   * Stops the engine like a crash would: running executions are abandoned (left RUNNING on disk, to
   * be resumed at the next start), in-flight task invocations get a moment to finish, state is flushed.
   */
  async shutdown(graceMs = 2000): Promise<void> {
    this.#shuttingDown = true;
    for (const run of this.#running.values()) run.abort();
    for (const name of new Set([...this.#tasks.values()].map((task) => task.execution))) {
      this.#abandonTasks(name);
    }
    const grace = new Promise((resolve) => setTimeout(resolve, graceMs).unref());
    await Promise.race([Promise.allSettled([...this.#inflightTasks]), grace]);
    await this.flush();
  }

  /** Writes every changed execution to disk now (writes are serialized; a failure is reported, not thrown). */
  flush(): Promise<void> {
    clearTimeout(this.#flushTimer);
    this.#flushTimer = undefined;
    this.#flushing = this.#flushing.then(() =>
      this.#writeDirty().catch((error: unknown) => {
        console.error('[local step functions] could not persist executions:', error);
      }),
    );
    return this.#flushing;
  }

  async #writeDirty(): Promise<void> {
    const names = [...this.#dirty];
    this.#dirty.clear();
    if (names.length === 0) return;
    const dir = this.#recordsDir();
    await mkdir(dir, { recursive: true });
    for (const name of names) {
      const record = this.#executions.get(name);
      if (!record) continue;
      const closed = record.status !== 'RUNNING' && !this.#running.has(name);
      const results = closed ? this.#mapResults.get(name) : undefined;
      const file = join(dir, `${name}.json`);
      const temp = `${file}.${process.pid}.tmp`;
      await writeFile(
        temp,
        JSON.stringify(results ? { ...record, mapResults: Object.fromEntries(results) } : record),
      );
      await rename(temp, file);
      // Closed and unchanged since it was written: its history (and Map results) live in the file now.
      if (closed && !this.#dirty.has(name) && record.status !== 'RUNNING' && !this.#running.has(name)) {
        this.#mapResults.delete(name);
        this.#evict(record);
      }
    }
  }

  /** Executions whose history is in memory (running ones, and closed ones not yet written). */
  residentHistories(): number {
    let resident = 0;
    for (const record of this.#executions.values()) {
      if (Object.getOwnPropertyDescriptor(record, 'events')?.get === undefined) resident++;
    }
    return resident;
  }

  /**
   * Drops a closed execution's history from memory: `events` reads it from the execution's file
   * when asked (a small cache keeps the last few, for paging). Assigning `events` puts it back.
   */
  #evict(record: ExecutionRecord): void {
    const name = record.name;
    const file = join(this.#recordsDir(), `${name}.json`);
    const events = (): HistoryEvent[] => {
      const cached = this.#historyCache.get(name);
      if (cached) return cached;
      const stored: ExecutionRecord = JSON.parse(readFileSync(file, 'utf8'));
      this.#historyCache.set(name, stored.events);
      if (this.#historyCache.size > HISTORY_CACHE_SIZE) {
        const oldest = this.#historyCache.keys().next().value;
        if (oldest !== undefined) this.#historyCache.delete(oldest);
      }
      return stored.events;
    };
    delete record.mapResults;
    Object.defineProperty(record, 'events', {
      configurable: true,
      enumerable: true,
      get: events,
      set: (value: HistoryEvent[]) => {
        Object.defineProperty(record, 'events', {
          configurable: true,
          enumerable: true,
          writable: true,
          value,
        });
      },
    });
  }

  /** Puts an evicted execution's history (and its Map results, for a redrive) back into memory. */
  #restore(record: ExecutionRecord): void {
    if (Object.getOwnPropertyDescriptor(record, 'events')?.get === undefined) return;
    const file = join(this.#recordsDir(), `${record.name}.json`);
    const stored: ExecutionRecord = JSON.parse(readFileSync(file, 'utf8'));
    this.#historyCache.delete(record.name);
    record.events = stored.events;
    if (stored.mapResults && !this.#mapResults.has(record.name)) {
      this.#mapResults.set(record.name, new Map(Object.entries(stored.mapResults)));
    }
  }

  /** The data directory's executions, or (without one) a private temporary directory. */
  #recordsDir(): string {
    const dir = this.#executionsDir();
    if (dir) return dir;
    if (!this.#spillDir) {
      this.#spillDir = mkdtempSync(join(tmpdir(), 'omnilink-sfn-'));
      temporaryDirs.add(this.#spillDir);
    }
    return this.#spillDir;
  }

  // --- internals ---------------------------------------------------------------------------------

  #executionsDir(): string | undefined {
    return this.#props.dataDir ? join(this.#props.dataDir, 'executions') : undefined;
  }

  #executionArn(name: string): string {
    return `arn:aws:states:${LOCAL_REGION}:${LOCAL_ACCOUNT}:execution:${this.stateMachineName}:${name}`;
  }

  #assertStateMachine(arn: string): void {
    // A version or alias ARN (`<arn>:live`, as the producer gets in AWS) names the one local version.
    const qualified =
      arn.startsWith(`${this.stateMachineArn}:`) && !arn.slice(this.stateMachineArn.length + 1).includes(':');
    if (arn !== this.stateMachineArn && !qualified) {
      throw new AwsServiceError('StateMachineDoesNotExist', `State Machine Does Not Exist: '${arn}'`);
    }
  }

  #find(executionArn: string): ExecutionRecord {
    const match = /^arn:aws:states:[a-z0-9-]+:\d{12}:execution:([^:]+):([^:]+)$/.exec(executionArn);
    if (!match) throw new AwsServiceError('InvalidArn', `Invalid Arn: '${executionArn}'`);
    const record =
      match[1] === this.stateMachineName && match[2] ? this.#executions.get(match[2]) : undefined;
    if (!record)
      throw new AwsServiceError('ExecutionDoesNotExist', `Execution Does Not Exist: '${executionArn}'`);
    return record;
  }

  #markDirty(record: ExecutionRecord, now = false): void {
    // Without a data directory only closed executions are written (their histories leave memory).
    if (!this.#props.dataDir && (record.status === 'RUNNING' || this.#running.has(record.name))) return;
    this.#dirty.add(record.name);
    if (now) {
      void this.flush();
      return;
    }
    this.#flushTimer ??= setTimeout(() => void this.flush(), 100);
  }

  /** The top-level state a redrive restarts from: the last one entered and not exited, with its input. */
  #unfinishedState(record: ExecutionRecord): { state: string; input: JsonValue } {
    const topLevel = new Set(Object.keys(this.definition.States));
    const exited = new Set<string>();
    for (let i = record.events.length - 1; i >= 0; i--) {
      const event = record.events[i];
      if (!event) continue;
      const details = event.stateEnteredEventDetails ?? event.stateExitedEventDetails;
      const name = isObject(details) && typeof details.name === 'string' ? details.name : undefined;
      if (name === undefined || !topLevel.has(name)) continue;
      if (event.type.endsWith('StateExited')) {
        exited.add(name);
        continue;
      }
      if (!event.type.endsWith('StateEntered') || exited.has(name)) continue;
      const input = isObject(details) && typeof details.input === 'string' ? details.input : 'null';
      return { state: name, input: JSON.parse(input) };
    }
    return { state: this.definition.StartAt, input: JSON.parse(record.input) };
  }

  #statusChanged(record: ExecutionRecord): void {
    if (this.#shuttingDown) return;
    this.#props.onStatusChange?.({
      executionArn: record.executionArn,
      stateMachineArn: record.stateMachineArn,
      name: record.name,
      status: record.status,
      startDate: record.startDate,
      stopDate: record.stopDate ?? null,
      input: record.input,
      output: record.output ?? null,
      error: record.error ?? null,
      cause: record.cause ?? null,
      redriveCount: record.redriveCount ?? 0,
    });
  }

  #machineFrom(state: string): StateMachine {
    if (state === this.definition.StartAt) return this.#machine;
    let machine = this.#redriveMachines.get(state);
    if (!machine) {
      // Validated as a whole in the constructor; from here, the states before `state` are unreachable.
      machine = new StateMachine(
        { ...this.#runnable, StartAt: state },
        { validationOptions: { noValidate: true } },
      );
      this.#redriveMachines.set(state, machine);
    }
    return machine;
  }

  #run(record: ExecutionRecord, from?: { state: string; input: JsonValue }): void {
    const invocation = { executionArn: record.executionArn, executionName: record.name };
    const handlers: LibTaskHandlers = {};
    for (const [stateName, handler] of Object.entries(this.#props.taskHandlers)) {
      const invoke = async (input: unknown): Promise<unknown> => {
        const promise = handler(input, { ...invocation, stateName });
        this.#inflightTasks.add(promise);
        try {
          return await promise;
        } finally {
          this.#inflightTasks.delete(promise);
        }
      };
      const inMap = this.#mapTasks.has(stateName);
      handlers[stateName] = async (input) => {
        const key = inMap ? `${stateName}\u0000${JSON.stringify(input ?? null)}` : undefined;
        // A redrive re-runs only the Map iterations that did not succeed: the others' Tasks replay.
        const kept = key === undefined ? undefined : this.#mapResults.get(record.name)?.get(key);
        if (from && kept !== undefined) return kept;
        const value = this.#callbackStates.has(stateName)
          ? await this.#runCallbackTask(record.name, stateName, input, invoke)
          : await invoke(input);
        // Task results cross a JSON boundary in Step Functions too, and are capped at 256 KiB.
        const text = JSON.stringify(value ?? null);
        if (Buffer.byteLength(text) > MAX_PAYLOAD_BYTES) throw new DataLimitExceeded(stateName);
        const result: JsonValue = JSON.parse(text);
        if (key !== undefined) {
          let results = this.#mapResults.get(record.name);
          if (!results) {
            results = new Map();
            this.#mapResults.set(record.name, results);
          }
          results.set(key, result);
        }
        return result;
      };
    }
    const options: RunOptions = {
      overrides: {
        taskResourceLocalHandlers: handlers,
        ...(this.#props.retryIntervalOverrides
          ? { retryIntervalOverrides: this.#props.retryIntervalOverrides }
          : {}),
      },
      context: {
        Execution: {
          Id: record.executionArn,
          Name: record.name,
          RoleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/omnilink-local-workflow`,
          StartTime: new Date(record.startDate).toISOString(),
          RedriveCount: record.redriveCount ?? 0,
        },
        StateMachine: { Id: this.stateMachineArn, Name: this.stateMachineName },
        // Replaced by a real token in a callback task's handler input (#runCallbackTask).
        Task: { Token: TOKEN_SENTINEL },
      },
    };
    const execution = from
      ? this.#machineFrom(from.state).run(from.input, options)
      : this.#machine.run(JSON.parse(record.input), options);
    const failed = new Set<string>();
    const consume = (async () => {
      for await (const event of execution.eventLogs) this.#record(record, event, failed);
    })();
    const settle = execution.result.then(
      (output) => this.#close(record, 'SUCCEEDED', { output: JSON.stringify(output ?? null) }),
      (error: unknown) => {
        if (error instanceof ExecutionAbortedError) {
          if (this.#shuttingDown) return; // left RUNNING on purpose: resumed at the next start
          this.#close(record, 'ABORTED', {});
        } else if (error instanceof ExecutionTimeoutError) {
          this.#close(record, 'TIMED_OUT', { error: 'States.Timeout', cause: 'The execution timed out' });
        } else {
          const inner = error instanceof ExecutionError && error.cause instanceof Error ? error.cause : error;
          const name = inner instanceof Error ? inner.name : 'States.Runtime';
          const message = inner instanceof Error ? inner.message : String(inner);
          const cause = inner instanceof Error && typeof inner.cause === 'string' ? inner.cause : message;
          this.#close(record, 'FAILED', { error: name, cause });
        }
      },
    );
    const done = Promise.allSettled([consume, settle]).then(() => {
      this.#running.delete(record.name);
      if (record.status === 'SUCCEEDED' || record.status === 'ABORTED') this.#mapResults.delete(record.name);
      if (record.status !== 'RUNNING' && record.status !== 'ABORTED') this.#statusChanged(record);
      if (!this.#shuttingDown) this.#markDirty(record, true);
      for (const waiter of this.#waiters.get(record.name) ?? []) waiter(record);
      this.#waiters.delete(record.name);
    });
    this.#running.set(record.name, { abort: execution.abort, done });
    this.#markDirty(record, true);
  }

  #close(
    record: ExecutionRecord,
    status: ExecutionStatus,
    fields: { output?: string; error?: string; cause?: string },
  ) {
    if (record.status !== 'RUNNING') return; // already stopped by StopExecution
    record.status = status;
    record.stopDate = Date.now();
    if (fields.output !== undefined) record.output = fields.output;
    if (fields.error !== undefined) record.error = fields.error;
    if (fields.cause !== undefined) record.cause = fields.cause;
  }

  #push(record: ExecutionRecord, timestamp: number, type: string, details?: Record<string, unknown>): void {
    const id = record.events.length + 1;
    record.events.push({ timestamp, type, id, previousEventId: id - 1, ...details });
  }

  /** Turns one aws-local-stepfunctions event into AWS history events and counts transitions. */
  #record(record: ExecutionRecord, event: LibEvent, failed: Set<string>): void {
    const at = event.timestamp;
    const state = event.state;
    const key = state ? `${state.name}#${event.index ?? ''}` : '';
    const json = (value: unknown) => JSON.stringify(value ?? null);
    const data = (_value: unknown) => ({ truncated: false });
    switch (event.type) {
      case 'ExecutionStarted':
        // A redriven execution continues its history (after ExecutionRedriven).
        if (record.events.some((e) => e.type === 'ExecutionStarted')) break;
        this.#push(record, at, 'ExecutionStarted', {
          executionStartedEventDetails: {
            input: record.input,
            inputDetails: data(record.input),
            roleArn: `arn:aws:iam::${LOCAL_ACCOUNT}:role/omnilink-local-workflow`,
          },
        });
        break;
      case 'StateEntered': {
        if (!state) break;
        record.transitions.stateEntered += 1;
        const prefix = enteredTypes[state.type] ?? state.type;
        this.#push(record, at, `${prefix}StateEntered`, {
          stateEnteredEventDetails: {
            name: state.name,
            input: json(state.input),
            inputDetails: data(state.input),
          },
        });
        if (state.type === 'Task') this.#scheduleTask(record, at, state.name);
        break;
      }
      case 'StateExited': {
        if (!state) break;
        const prefix = enteredTypes[state.type] ?? state.type;
        if (!failed.delete(key)) {
          if (state.type === 'Task')
            this.#push(record, at, 'TaskSucceeded', {
              taskSucceededEventDetails: this.#resourceOf(state.name),
            });
          if (state.type === 'Map') {
            this.#push(record, at, 'MapStateSucceeded');
            // That Map attempt is over: a later redrive concerns another one.
            this.#mapResults.delete(record.name);
          }
        }
        this.#push(record, at, `${prefix}StateExited`, {
          stateExitedEventDetails: {
            name: state.name,
            output: json(state.output),
            outputDetails: data(state.output),
          },
        });
        break;
      }
      case 'StateFailed':
        if (!state) break;
        failed.add(key);
        if (state.type === 'Task' && event.Error === 'States.Timeout') {
          this.#push(record, at, 'TaskTimedOut', {
            taskTimedOutEventDetails: { ...this.#resourceOf(state.name), error: event.Error },
          });
        } else if (state.type === 'Task') {
          this.#push(record, at, 'TaskFailed', {
            taskFailedEventDetails: {
              ...this.#resourceOf(state.name),
              error: event.Error,
              cause: causeText(event.Cause),
            },
          });
        } else if (state.type === 'Map') {
          this.#push(record, at, 'MapStateFailed');
        }
        break;
      case 'StateRetried':
        if (!state) break;
        record.transitions.retried += 1;
        failed.delete(key);
        if (state.type === 'Task') this.#scheduleTask(record, at, state.name);
        break;
      case 'MapIterationStarted':
      case 'MapIterationSucceeded':
      case 'MapIterationFailed': {
        const name = event.parentState?.name ?? '';
        const detailsKey = `${event.type.charAt(0).toLowerCase()}${event.type.slice(1)}EventDetails`;
        this.#push(record, at, event.type, { [detailsKey]: { name, index: event.index ?? 0 } });
        break;
      }
      case 'ExecutionSucceeded':
        this.#push(record, at, 'ExecutionSucceeded', {
          executionSucceededEventDetails: { output: json(event.output), outputDetails: data(event.output) },
        });
        break;
      case 'ExecutionFailed':
        this.#push(record, at, 'ExecutionFailed', {
          executionFailedEventDetails: { error: event.Error, cause: causeText(event.Cause) },
        });
        break;
      case 'ExecutionAborted':
        if (this.#shuttingDown) break;
        this.#push(record, at, 'ExecutionAborted', {
          executionAbortedEventDetails: {
            ...(record.error === undefined ? {} : { error: record.error }),
            ...(record.cause === undefined ? {} : { cause: record.cause }),
          },
        });
        break;
      case 'ExecutionTimeout':
        this.#push(record, at, 'ExecutionTimedOut', {
          executionTimedOutEventDetails: { error: 'States.Timeout', cause: 'The execution timed out' },
        });
        break;
      default:
        break;
    }
    this.#markDirty(record);
  }

  #scheduleTask(record: ExecutionRecord, at: number, stateName: string): void {
    let template: unknown = {};
    forEachState(this.definition, (name, state) => {
      if (name === stateName) template = state.Parameters ?? {};
    });
    this.#push(record, at, 'TaskScheduled', {
      taskScheduledEventDetails: {
        ...this.#resourceOf(stateName),
        region: LOCAL_REGION,
        parameters: JSON.stringify(template),
      },
    });
    this.#push(record, at, 'TaskStarted', { taskStartedEventDetails: this.#resourceOf(stateName) });
  }

  #resourceOf(stateName: string): { resourceType: string; resource: string } {
    return {
      resourceType: 'lambda',
      resource: this.#callbackStates.has(stateName) ? 'invoke.waitForTaskToken' : 'invoke',
    };
  }

  /**
   * A `.waitForTaskToken` task: a fresh token replaces the `$$.Task.Token` sentinel in the task's
   * parameters, the function is invoked (its error fails the task), then the task waits for
   * SendTaskSuccess (its output is the result) or SendTaskFailure (its error), or times out.
   */
  async #runCallbackTask(
    execution: string,
    stateName: string,
    input: unknown,
    invoke: (input: unknown) => Promise<unknown>,
  ): Promise<unknown> {
    const wrapper = isObject(input) ? input[CALLBACK_INPUT] : undefined;
    const parameters = isObject(wrapper) ? wrapper.parameters : input;
    const timeout = isObject(wrapper) ? wrapper.timeout_seconds : undefined;
    if (
      timeout !== undefined &&
      !(typeof timeout === 'number' && Number.isInteger(timeout) && timeout >= 1)
    ) {
      throw new CallbackTaskError(
        'States.Runtime',
        `The task's timeout must be a positive integer, got ${JSON.stringify(timeout)}`,
      );
    }
    const token = Buffer.from(
      JSON.stringify({ e: execution, s: stateName, n: crypto.randomUUID() }),
    ).toString('base64url');
    let resolve: (output: unknown) => void = () => undefined;
    let reject: (error: Error) => void = () => undefined;
    const promise = new Promise<unknown>((res, rej) => {
      resolve = res;
      reject = rej;
    });
    promise.catch(() => undefined); // awaited below; a timeout may fire while the function still runs
    const task: PendingTask = { execution, stateName, resolve, reject };
    // Longer than a Node timer can wait (about 24.8 days) counts as no timeout.
    if (timeout !== undefined && timeout <= NO_TASK_TIMEOUT_SECONDS) {
      task.timer = setTimeout(() => {
        this.#tasks.delete(token);
        reject(new CallbackTaskError('States.Timeout', 'The task timed out waiting for a callback'));
      }, timeout * 1000);
    }
    this.#tasks.set(token, task);
    try {
      await invoke(withToken(parameters, token));
    } catch (error) {
      this.#settleTask(token, task);
      throw error;
    }
    return promise;
  }

  /** The waiting task of a token, or the AWS error for it. */
  #pendingTask(token: string): [string, PendingTask] {
    const task = this.#tasks.get(token);
    if (task) return [token, task];
    let decoded: unknown;
    try {
      decoded = JSON.parse(Buffer.from(token, 'base64url').toString('utf8'));
    } catch {
      decoded = undefined;
    }
    if (!isObject(decoded) || typeof decoded.e !== 'string') {
      throw new AwsServiceError('InvalidToken', 'Invalid Token');
    }
    if (!this.#executions.has(decoded.e)) {
      throw new AwsServiceError('TaskDoesNotExist', 'Task Does Not Exist');
    }
    // Answered, timed out, or its execution stopped or restarted.
    throw new AwsServiceError('TaskTimedOut', 'Task Timed Out');
  }

  #settleTask(token: string, task: PendingTask): void {
    clearTimeout(task.timer);
    this.#tasks.delete(token);
  }

  /** Forgets the waits of a stopped execution: its tokens are closed, and nothing resumes it. */
  #abandonTasks(execution: string): void {
    for (const [token, task] of this.#tasks) {
      if (task.execution === execution) this.#settleTask(token, task);
    }
  }
}

/** A callback task waiting for its token. */
interface PendingTask {
  readonly execution: string;
  readonly stateName: string;
  readonly resolve: (output: unknown) => void;
  readonly reject: (error: Error) => void;
  timer?: NodeJS.Timeout;
}

/** An error a callback task fails with: `name` is what Retry/Catch match, the message the Cause. */
class CallbackTaskError extends Error {
  constructor(name: string, cause: string) {
    super(cause);
    this.name = name;
  }
}

/** `value` with every occurrence of the token sentinel (from `$$.Task.Token`) replaced by `token`. */
function withToken(value: unknown, token: string): unknown {
  if (value === TOKEN_SENTINEL) return token;
  if (Array.isArray(value)) return value.map((item) => withToken(item, token));
  if (isObject(value))
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, withToken(v, token)]));
  return value;
}

/** The fields of aws-local-stepfunctions' events that the history uses. */
interface LibEvent {
  type: string;
  timestamp: number;
  state?: { name: string; type: string; input?: unknown; output?: unknown };
  parentState?: { name: string };
  index?: number;
  output?: unknown;
  Error?: string;
  Cause?: unknown;
}

function causeText(cause: unknown): string | undefined {
  if (cause === undefined || cause === null) return undefined;
  if (typeof cause === 'string') return cause;
  if (cause instanceof Error) return cause.message;
  return JSON.stringify(cause);
}

function withoutData(event: HistoryEvent): HistoryEvent {
  const copy: HistoryEvent = { ...event };
  for (const [key, value] of Object.entries(copy)) {
    if (!key.endsWith('EventDetails') || !isObject(value)) continue;
    const { input: _input, output: _output, ...rest } = value;
    copy[key] = rest;
  }
  return copy;
}
