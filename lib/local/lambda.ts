import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { setFlagsFromString } from 'node:v8';
import { Worker } from 'node:worker_threads';
import type { Context } from 'aws-lambda';

/**
 * Lambda, emulated. The local runtime runs each function in worker threads (see {@link WorkerOptions}),
 * one per concurrent invocation and reused warm like an execution environment: each with exactly its
 * function's environment, its memory as the heap limit, its own module instances and clients, and its
 * timeout enforced by terminating the thread. Unit tests may instead give an in-process handler
 * (`load`), which shares the caller's process and cannot be killed. Either way an invocation gets a
 * JSON-copied event and a realistic context, and errors keep their `name` (Step Functions matches it).
 */

export const LOCAL_REGION = 'us-east-1';
export const LOCAL_ACCOUNT = '000000000000';

/** A Lambda handler as exported by `lambdas/handlers/*.ts` (middy chains included). */
export type LambdaHandler = (event: unknown, context: Context) => unknown;

export interface LocalFunctionProps {
  /** Logical name, e.g. `guardian`. */
  readonly name: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  /** In-process handler (unit tests): loaded once, at the first invocation. Give this or `worker`. */
  readonly load?: () => Promise<LambdaHandler>;
  /** Run in worker threads, as Lambda isolates a function. Give this or `load`. */
  readonly worker?: WorkerOptions;
  /**
   * Wraps the invocation as the caller sees it (e.g. the bench counts and times invocations); runs
   * in the runtime's process around the dispatch to the worker. @default - none
   */
  readonly wrap?: (handler: LambdaHandler) => LambdaHandler;
  /** Fault injection for tests and the local harness (never a switch inside the Lambdas). @default - none */
  readonly faults?: FaultHook;
}

/** What a fault hook sees of one invocation. */
export interface FunctionInvocation {
  /** The function's logical name (`step`, `guardian`, `producer`, ...). */
  readonly functionName: string;
  /** A JSON copy of the event (the handler gets its own copy). */
  readonly event: unknown;
  readonly requestId: string;
}

/**
 * A fault to inject into one invocation:
 * - `'throw-transient'`: the invocation fails with a `TransientError` before the handler runs
 *   (nothing happened; the ASL's Retry on `TransientError` applies).
 * - `'crash-after'`: the handler runs to completion (its side effects are done), then the invocation
 *   fails as if the sandbox died before the result reached the caller: `Lambda.ServiceException`,
 *   which the ASL's recommended Lambda retry block retries. The result is lost.
 * - `{kind: 'throw-before' | 'crash-after', errorName?, message?, delayMs?}`: the same with another
 *   error name (e.g. `Sandbox.Timedout`, `Runtime.ExitError`) and an optional pause first.
 * - `{kind: 'delay', delayMs}`: a pause before the handler (a cold start, a slow network); it counts
 *   against the function's timeout like any other time spent.
 */
export type FaultAction =
  | 'throw-transient'
  | 'crash-after'
  | {
      readonly kind: 'throw-before' | 'crash-after';
      readonly errorName?: string;
      readonly message?: string;
      readonly delayMs?: number;
    }
  | { readonly kind: 'delay'; readonly delayMs: number };

/** Decides, per invocation, whether to inject a fault (undefined: none). May be async. */
export type FaultHook = (
  invocation: FunctionInvocation,
) => FaultAction | undefined | Promise<FaultAction | undefined>;

/** The error an injected fault surfaces as; its `name` is what Retry/Catch match. */
export class InjectedFault extends Error {
  constructor(name: string, message: string) {
    super(message);
    this.name = name;
  }
}

interface NormalizedFault {
  readonly kind: 'throw-before' | 'crash-after' | 'delay';
  readonly errorName: string;
  readonly message: string;
  readonly delayMs: number;
}

function normalizeFault(action: FaultAction, functionName: string): NormalizedFault {
  if (action === 'throw-transient') {
    return {
      kind: 'throw-before',
      errorName: 'TransientError',
      message: `injected transient failure before ${functionName} ran`,
      delayMs: 0,
    };
  }
  if (action === 'crash-after') {
    return {
      kind: 'crash-after',
      errorName: 'Lambda.ServiceException',
      message: `injected crash: ${functionName} ran, but its result was lost`,
      delayMs: 0,
    };
  }
  if (action.kind === 'delay') {
    return { kind: 'delay', errorName: '', message: '', delayMs: Math.max(0, action.delayMs) };
  }
  const crash = action.kind === 'crash-after';
  return {
    kind: action.kind,
    errorName: action.errorName ?? (crash ? 'Lambda.ServiceException' : 'TransientError'),
    message:
      action.message ??
      (crash
        ? `injected crash: ${functionName} ran, but its result was lost`
        : `injected failure before ${functionName} ran`),
    delayMs: Math.max(0, action.delayMs ?? 0),
  };
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The error Lambda reports when a function runs past its timeout. */
export class LambdaTimeoutError extends Error {
  constructor(requestId: string, seconds: number) {
    super(`RequestId: ${requestId} Error: Task timed out after ${seconds.toFixed(2)} seconds`);
    this.name = 'Sandbox.Timedout';
  }
}

/** The error Lambda reports when a function's runtime ran out of memory (the sandbox is killed). */
export class LambdaOutOfMemoryError extends Error {
  constructor(requestId: string, memoryMiB: number) {
    super(`RequestId: ${requestId} Error: Runtime exited with error: out of memory (limit ${memoryMiB} MB)`);
    this.name = 'Runtime.OutOfMemory';
  }
}

/** How a function runs in worker threads. */
export interface WorkerOptions {
  /** Absolute path of the function's bundle (`index.mjs` exporting `handler`), built on demand. */
  readonly bundle: () => Promise<string>;
  /** The function's environment (read when an environment starts): the worker's `process.env` is exactly this. */
  readonly env: () => Readonly<Record<string, string>>;
  /**
   * Execution environments at most (further invocations wait for one; AWS would scale out to the
   * account's concurrency instead, or throttle). @default 4
   */
  readonly maxConcurrency?: number;
  /**
   * Variables set in the worker for one invocation (tests steer fixtures with them while the runtime
   * runs). @default - none
   */
  readonly invocationEnv?: () => Readonly<Record<string, string>>;
}

/** Invocations a function's workers ran to the end so far, and the CPU time their threads spent on them. */
export interface CpuStats {
  readonly invocations: number;
  readonly cpuMs: number;
}

/** Cold starts of a function so far: how many, and the init time (bundle import) of each. */
export interface ColdStartStats {
  readonly count: number;
  readonly initMs: readonly number[];
}

type WorkerMessage =
  | { type: 'ready'; initMs: number }
  | { type: 'init-error'; error: SerializedError }
  | { type: 'result'; id: number; ok: true; value: string; cpuUs?: number }
  | { type: 'result'; id: number; ok: false; error: SerializedError; cpuUs?: number };

interface SerializedError {
  readonly name: string;
  readonly message: string;
  readonly stack?: string;
}

/** An error thrown in a worker, re-created in the runtime's process with its name, message and stack. */
export class FunctionError extends Error {
  constructor(serialized: SerializedError) {
    super(serialized.message);
    this.name = serialized.name;
    if (serialized.stack) this.stack = serialized.stack;
  }
}

const WORKER_ENTRY = new URL('./lambda-worker.ts', import.meta.url);

/**
 * How the workers' V8 heaps are sized (not what they may hold: that is the function's memory). With
 * V8's defaults each of the ~20 warm environments of a loaded runtime keeps growing its committed
 * heap towards its limit — a young generation of up to 3 × 16 MB, an old generation allowed to grow
 * up to 4× what survived the last full GC — so `npm start` grew by ~850 MB between the 200th and the
 * 2,000th workflow without holding more. Kept small here: a 16 MB young generation, and old
 * generations that grow by 30 % over what is live (`--heap-growing-percent`, a V8 flag of the whole
 * process, set when the first environment starts). The GC runs a little more often; nothing else
 * changes. LOCAL_YOUNG_GENERATION_MB and LOCAL_HEAP_GROWING_PERCENT (0: V8's default) override them.
 */
const WORKER_HEAP = {
  youngGenerationMb: Number(process.env.LOCAL_YOUNG_GENERATION_MB ?? '') || 16,
  growingPercent: Number(process.env.LOCAL_HEAP_GROWING_PERCENT ?? '30'),
};
let heapFlagsSet = false;
function setHeapFlags(): void {
  if (heapFlagsSet) return;
  heapFlagsSet = true;
  const percent = WORKER_HEAP.growingPercent;
  if (Number.isInteger(percent) && percent > 0) setFlagsFromString(`--heap-growing-percent=${percent}`);
}

/**
 * Cold starts at once, for the whole process: on a laptop's few cores, dozens of workers importing
 * their bundles together starve the warm ones (a burst could time out invocations that are already
 * running). AWS inits environments on their own hosts; here they queue for a slot.
 */
const initSlots = {
  free: Math.max(1, Number(process.env.LOCAL_COLD_STARTS_AT_ONCE ?? '') || 2),
  waiting: [] as (() => void)[],
};
async function withInitSlot<T>(init: () => Promise<T>): Promise<T> {
  if (initSlots.free > 0) initSlots.free--;
  else await new Promise<void>((resolve) => initSlots.waiting.push(resolve));
  try {
    return await init();
  } finally {
    const next = initSlots.waiting.shift();
    if (next) next();
    else initSlots.free++;
  }
}

/** One execution environment: a worker thread that has imported the bundle. */
class ExecutionEnvironment {
  readonly #worker: Worker;
  readonly ready: Promise<number>;
  #nextId = 1;
  readonly #pending = new Map<number, { resolve: (v: string) => void; reject: (e: Error) => void }>();
  #dead: Error | undefined;
  readonly #onCpu: ((cpuUs: number) => void) | undefined;

  constructor(
    bundle: string,
    props: {
      functionName: string;
      arn: string;
      memoryMiB: number;
      env: Readonly<Record<string, string>>;
      onCpu?: (cpuUs: number) => void;
    },
  ) {
    this.#onCpu = props.onCpu;
    setHeapFlags();
    this.#worker = new Worker(WORKER_ENTRY, {
      workerData: { bundle, functionName: props.functionName, arn: props.arn, memoryMiB: props.memoryMiB },
      env: { ...props.env },
      // Node runs the bootstrap's erasable TypeScript itself; the bundle is plain JavaScript.
      execArgv: [],
      // The function's memory is the old generation's limit (past it: out of memory, the sandbox is
      // killed). The young generation is kept small, see WORKER_HEAP.
      resourceLimits: {
        maxOldGenerationSizeMb: props.memoryMiB,
        maxYoungGenerationSizeMb: Math.min(WORKER_HEAP.youngGenerationMb, props.memoryMiB),
      },
    });
    this.ready = new Promise<number>((resolve, reject) => {
      const onMessage = (message: WorkerMessage) => {
        if (message.type === 'ready') resolve(message.initMs);
        else if (message.type === 'init-error') reject(new FunctionError(message.error));
        else this.#settle(message);
      };
      this.#worker.on('message', onMessage);
      this.#worker.on('error', (error: Error & { code?: string }) => {
        const dead =
          error.code === 'ERR_WORKER_OUT_OF_MEMORY'
            ? Object.assign(new Error(error.message), { name: 'Runtime.OutOfMemory' })
            : error;
        this.#die(dead);
        reject(dead);
      });
      this.#worker.on('exit', (code) => {
        const dead = Object.assign(new Error(`Runtime exited with error: exit status ${code}`), {
          name: 'Runtime.ExitError',
        });
        this.#die(dead);
        reject(dead);
      });
    });
    this.ready.catch(() => undefined);
  }

  get alive(): boolean {
    return this.#dead === undefined;
  }

  #settle(message: Extract<WorkerMessage, { type: 'result' }>): void {
    const pending = this.#pending.get(message.id);
    if (!pending) return;
    this.#pending.delete(message.id);
    if (message.cpuUs !== undefined) this.#onCpu?.(message.cpuUs);
    if (message.ok) pending.resolve(message.value);
    else pending.reject(new FunctionError(message.error));
  }

  #die(error: Error): void {
    this.#dead ??= error;
    for (const pending of this.#pending.values()) pending.reject(this.#dead);
    this.#pending.clear();
  }

  run(event: string, requestId: string, deadline: number, envPatch?: Readonly<Record<string, string>>) {
    if (this.#dead) return Promise.reject(this.#dead);
    const id = this.#nextId++;
    return new Promise<string>((resolve, reject) => {
      this.#pending.set(id, { resolve, reject });
      this.#worker.postMessage({ type: 'invoke', id, requestId, deadline, event, envPatch });
    });
  }

  /** The worker's V8 heap (used and committed bytes). */
  async heap(): Promise<{ used: number; total: number }> {
    const stats = await this.#worker.getHeapStatistics();
    return { used: stats.used_heap_size, total: stats.total_heap_size };
  }

  /** Kills the environment (the timeout, or the runtime stopping). */
  async kill(error?: Error): Promise<void> {
    if (error) this.#die(error);
    await this.#worker.terminate();
  }
}

/** The warm execution environments of one function, at most `max`, handed out one invocation at a time. */
class EnvironmentPool {
  readonly #idle: ExecutionEnvironment[] = [];
  readonly #all = new Set<ExecutionEnvironment>();
  readonly #waiters: ((env: ExecutionEnvironment | Error) => void)[] = [];
  readonly #spawn: () => Promise<ExecutionEnvironment>;
  readonly #max: number;
  #starting = 0;
  #stopped = false;

  constructor(spawn: () => Promise<ExecutionEnvironment>, max: number) {
    this.#spawn = spawn;
    this.#max = Math.max(1, max);
  }

  async acquire(): Promise<ExecutionEnvironment> {
    if (this.#stopped) throw new Error('the local runtime is stopping');
    const idle = this.#idle.pop();
    if (idle) return idle;
    if (this.#all.size + this.#starting < this.#max) return this.#start();
    return new Promise<ExecutionEnvironment>((resolve, reject) => {
      this.#waiters.push((env) => (env instanceof Error ? reject(env) : resolve(env)));
    });
  }

  async #start(): Promise<ExecutionEnvironment> {
    this.#starting++;
    try {
      const env = await this.#spawn();
      this.#all.add(env);
      return env;
    } finally {
      this.#starting--;
    }
  }

  release(env: ExecutionEnvironment): void {
    if (!env.alive || this.#stopped) {
      this.discard(env);
      return;
    }
    const waiter = this.#waiters.shift();
    if (waiter) waiter(env);
    else this.#idle.push(env);
  }

  /** Forgets a dead (killed, crashed) environment; a waiting invocation gets a new one. */
  discard(env: ExecutionEnvironment): void {
    this.#all.delete(env);
    const waiter = this.#waiters.shift();
    if (waiter && !this.#stopped) this.#start().then(waiter, waiter);
  }

  async stop(): Promise<void> {
    this.#stopped = true;
    for (const waiter of this.#waiters.splice(0)) waiter(new Error('the local runtime is stopping'));
    await Promise.all([...this.#all].map((env) => env.kill()));
    this.#all.clear();
    this.#idle.length = 0;
  }

  get size(): number {
    return this.#all.size;
  }

  get environments(): readonly ExecutionEnvironment[] {
    return [...this.#all];
  }
}

/** One emulated Lambda function. */
export class LocalFunction {
  readonly name: string;
  readonly functionName: string;
  readonly arn: string;
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
  readonly #load: (() => Promise<LambdaHandler>) | undefined;
  readonly #worker: WorkerOptions | undefined;
  readonly #faults: FaultHook | undefined;
  readonly #wrap: ((handler: LambdaHandler) => LambdaHandler) | undefined;
  readonly #pool: EnvironmentPool | undefined;
  readonly #initMs: number[] = [];
  #cpu = { invocations: 0, cpuUs: 0 };
  #handler: Promise<LambdaHandler> | undefined;
  #bundle: Promise<string> | undefined;

  constructor(props: LocalFunctionProps) {
    if ((props.load === undefined) === (props.worker === undefined)) {
      throw new Error(`function ${props.name}: give either load or worker`);
    }
    this.name = props.name;
    this.functionName = `omnilink-local-${props.name}`;
    this.arn = `arn:aws:lambda:${LOCAL_REGION}:${LOCAL_ACCOUNT}:function:${this.functionName}`;
    this.timeoutSeconds = props.timeoutSeconds;
    this.memoryMiB = props.memoryMiB;
    this.#load = props.load;
    this.#worker = props.worker;
    this.#faults = props.faults;
    this.#wrap = props.wrap;
    const worker = props.worker;
    this.#pool = worker
      ? new EnvironmentPool(async () => {
          const bundle = await this.#bundleOf(worker);
          return withInitSlot(async () => {
            const env = new ExecutionEnvironment(bundle, {
              functionName: this.functionName,
              arn: this.arn,
              memoryMiB: this.memoryMiB,
              env: worker.env(),
              onCpu: (cpuUs) => {
                this.#cpu.invocations++;
                this.#cpu.cpuUs += cpuUs;
              },
            });
            try {
              this.#initMs.push(await env.ready);
            } catch (error) {
              await env.kill().catch(() => undefined);
              throw error;
            }
            return env;
          });
        }, worker.maxConcurrency ?? 4)
      : undefined;
  }

  #bundleOf(worker: WorkerOptions): Promise<string> {
    this.#bundle ??= worker.bundle();
    this.#bundle.catch(() => {
      this.#bundle = undefined;
    });
    return this.#bundle;
  }

  /** Cold starts so far (worker mode): each new execution environment is one. */
  coldStarts(): ColdStartStats {
    return { count: this.#initMs.length, initMs: [...this.#initMs] };
  }

  /** CPU time of the invocations so far (worker mode: the workers' thread time per invocation). */
  cpuStats(): CpuStats {
    return { invocations: this.#cpu.invocations, cpuMs: this.#cpu.cpuUs / 1000 };
  }

  /** The V8 heaps of the function's live execution environments (worker mode), in bytes. */
  async heaps(): Promise<{ used: number; total: number }[]> {
    const envs = this.#pool?.environments ?? [];
    return Promise.all(envs.map((env) => env.heap().catch(() => ({ used: 0, total: 0 }))));
  }

  /** Execution environments alive now (worker mode). */
  get environments(): number {
    return this.#pool?.size ?? 0;
  }

  /**
   * Prepares the function: builds (or finds) its bundle, or imports the in-process handler, so that
   * a broken function fails at start-up rather than at the first request.
   */
  async load(): Promise<void> {
    if (this.#worker) {
      await this.#bundleOf(this.#worker);
      return;
    }
    await this.#inProcessHandler();
  }

  #inProcessHandler(): Promise<LambdaHandler> {
    if (!this.#load) throw new Error(`function ${this.name} runs in workers`);
    this.#handler ??= this.#load();
    return this.#handler;
  }

  /** Starts `count` execution environments now (cold starts ahead of the first invocations). */
  async prewarm(count: number): Promise<void> {
    const pool = this.#pool;
    if (!pool) return;
    const envs = await Promise.all(Array.from({ length: count }, () => pool.acquire()));
    for (const env of envs) pool.release(env);
  }

  /** Kills every execution environment (the runtime is stopping). */
  async stop(): Promise<void> {
    await this.#pool?.stop();
  }

  #context(requestId: string, deadline: number): Context {
    return {
      callbackWaitsForEmptyEventLoop: true,
      functionName: this.functionName,
      functionVersion: '$LATEST',
      invokedFunctionArn: this.arn,
      memoryLimitInMB: String(this.memoryMiB),
      awsRequestId: requestId,
      logGroupName: `/aws/lambda/${this.functionName}`,
      logStreamName: `${new Date().toISOString().slice(0, 10).replaceAll('-', '/')}/[$LATEST]${requestId.replaceAll('-', '')}`,
      getRemainingTimeInMillis: () => Math.max(0, deadline - Date.now()),
      done: () => undefined,
      fail: () => undefined,
      succeed: () => undefined,
    };
  }

  /**
   * Invokes the function like Lambda does: the event and the result cross a JSON boundary, the
   * context counts down the function's timeout, and a run past the timeout fails `Sandbox.Timedout`
   * (in a worker: the worker is terminated, so nothing after the deadline happens; out of memory
   * fails `Runtime.OutOfMemory` the same way). A fault hook (if any) runs here, in the runtime's
   * process, and may fail the invocation before the handler, after it, or delay it.
   */
  async invoke(event: unknown): Promise<unknown> {
    const requestId = randomUUID();
    const copy = event === undefined ? {} : JSON.parse(JSON.stringify(event));
    const action = this.#faults
      ? await this.#faults({ functionName: this.name, event: JSON.parse(JSON.stringify(copy)), requestId })
      : undefined;
    const fault = action === undefined ? undefined : normalizeFault(action, this.name);
    const dispatch: LambdaHandler = this.#pool
      ? (payload) => this.#inWorker(payload, requestId, fault)
      : (payload, context) => this.#inProcess(payload, context, requestId, fault);
    const handler = this.#wrap ? this.#wrap(dispatch) : dispatch;
    const deadline = Date.now() + this.timeoutSeconds * 1000;
    const result = await handler(copy, this.#context(requestId, deadline));
    return result === undefined ? null : JSON.parse(JSON.stringify(result));
  }

  async #inWorker(event: unknown, requestId: string, fault: NormalizedFault | undefined): Promise<unknown> {
    const pool = this.#pool;
    const worker = this.#worker;
    if (!pool || !worker) throw new Error('not a worker function');
    const env = await pool.acquire();
    // The timeout starts once an environment has the invocation (init and queueing do not count).
    const deadline = Date.now() + this.timeoutSeconds * 1000;
    let timer: NodeJS.Timeout | undefined;
    const killed = new Promise<never>((_, reject) => {
      timer = setTimeout(() => {
        const error = new LambdaTimeoutError(requestId, this.timeoutSeconds);
        reject(error);
        void env.kill(error);
      }, deadline - Date.now());
    });
    try {
      const run = async (): Promise<string> => {
        if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
        if (fault?.kind === 'throw-before') throw new InjectedFault(fault.errorName, fault.message);
        return env.run(JSON.stringify(event), requestId, deadline, worker.invocationEnv?.());
      };
      const value = await Promise.race([run(), killed]);
      // The side effects are done; the caller never sees the result.
      if (fault?.kind === 'crash-after') throw new InjectedFault(fault.errorName, fault.message);
      return JSON.parse(value);
    } catch (error) {
      if (error instanceof Error && error.name === 'Runtime.OutOfMemory') {
        throw new LambdaOutOfMemoryError(requestId, this.memoryMiB);
      }
      throw error;
    } finally {
      clearTimeout(timer);
      pool.release(env);
    }
  }

  async #inProcess(
    event: unknown,
    context: Context,
    requestId: string,
    fault: NormalizedFault | undefined,
  ): Promise<unknown> {
    const handler = await this.#inProcessHandler();
    const run = async (): Promise<unknown> => {
      if (fault && fault.delayMs > 0) await sleep(fault.delayMs);
      if (fault?.kind === 'throw-before') throw new InjectedFault(fault.errorName, fault.message);
      const result = await handler(event, context);
      // The side effects are done; the caller never sees the result.
      if (fault?.kind === 'crash-after') throw new InjectedFault(fault.errorName, fault.message);
      return result;
    };
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new LambdaTimeoutError(requestId, this.timeoutSeconds)),
        context.getRemainingTimeInMillis(),
      );
    });
    try {
      return await Promise.race([fault ? run() : Promise.resolve(handler(event, context)), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** Imports `entry` (relative to `projectRoot`) and returns its `handler` export. */
export async function importHandler(projectRoot: string, entry: string): Promise<LambdaHandler> {
  const module: Record<string, unknown> = await import(pathToFileURL(join(projectRoot, entry)).href);
  const handler = module.handler;
  if (typeof handler !== 'function') throw new Error(`${entry} does not export a handler function`);
  return (event, context) => handler(event, context);
}

/**
 * The `Cause` Step Functions reports for a failed `lambda:invoke` task: the Lambda runtime's error
 * JSON (`errorType`, `errorMessage`, `trace`).
 */
export function lambdaErrorCause(error: unknown): { name: string; cause: string } {
  const name = error instanceof Error ? error.name : 'Error';
  const message = error instanceof Error ? error.message : String(error);
  // The runtime's own frames are noise (AWS shows its runtime's frames, which are just as useless).
  const trace =
    error instanceof Error && error.stack
      ? error.stack.split('\n').filter((line) => !line.includes('/lib/local/'))
      : [];
  return { name, cause: JSON.stringify({ errorType: name, errorMessage: message, trace }) };
}
