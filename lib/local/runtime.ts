import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import type { Server } from 'node:http';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { DEFAULT_BEDROCK_MODEL_ID } from '../../lambdas/adapters/llm/config.ts';
import {
  type FunctionEnvironmentSettings,
  functionEnvironment,
  resolveEnvironment,
} from '../function-environment.ts';
import {
  type FunctionName,
  type FunctionSpec,
  functionSpecs,
  streamMappingOf,
  type TableName,
  tableSpecs,
  workflowDefinitionPath,
} from '../specs.ts';
import { close, listen } from './aws-json.ts';
import { bundleEntry } from './bundles.ts';
import { consoleEndpoints } from './console.ts';
import { deleteTables, ensureTables, type LocalDynamo, startDynamo } from './dynamo.ts';
import { createEventBridgeServer, EventsSink } from './eventbridge.ts';
import { createHttpApi, type LocalEndpoint } from './http-api.ts';
import { type IssuerConfig, LocalIssuer, type SignOptions } from './jwt.ts';
import { type FaultHook, type LambdaHandler, LOCAL_ACCOUNT, LOCAL_REGION, LocalFunction } from './lambda.ts';
import { lambdaTaskHandlers } from './lambda-tasks.ts';
import { createStepFunctionsServer } from './sfn-server.ts';
import {
  type ExecutionRecord,
  type ExecutionStatusChange,
  forEachState,
  LocalStepFunctions,
  type RetryIntervalOverrides,
  substitutePlaceholders,
} from './step-functions.ts';
import { StreamEventSourceMapping, type StreamMappingOptions } from './stream-mapping.ts';
import { LocalWebSocketApi } from './websocket-api.ts';

/**
 * The whole system on one machine: AWS's DynamoDB Local, a Step Functions endpoint running the ASL file with
 * the real task handlers, an EventBridge sink and the HTTP API with a local JWT issuer. The Lambda
 * code is the code that runs in AWS: only the endpoints in its environment differ.
 */

/** The project root (this file is `<root>/lib/local/runtime.ts`). */
export const PROJECT_ROOT = fileURLToPath(new URL('../..', import.meta.url));

export interface LocalRuntimeOptions {
  /** API port; 0 picks a free one. @default env PORT or 3000 */
  readonly port?: number;
  /** @default '127.0.0.1' */
  readonly host?: string;
  /** @default the repository root */
  readonly projectRoot?: string;
  /** Where data (tables, executions, events, issuer key) lives. @default env LOCAL_DATA_DIR or `<projectRoot>/.local` */
  readonly dataDir?: string;
  /** Keep everything in memory (the issuer key included): for tests. @default false */
  readonly inMemory?: boolean;
  /** Retry pauses per state name in ms (aws-local-stepfunctions' format). @default - the ASL's */
  readonly retryIntervalOverrides?: RetryIntervalOverrides;
  /** Shortcut: every retry of every state pauses this many ms. @default - the ASL's */
  readonly retryIntervalMs?: number;
  /** Token issuer and audience. @default env LOCAL_JWT_ISSUER / LOCAL_JWT_AUDIENCE, then 'omnilink-local' / 'omnilink-api' */
  readonly jwt?: IssuerConfig;
  /** Re-run executions that were RUNNING when the last process stopped. @default true */
  readonly resumeRunning?: boolean;
  /**
   * Extra environment for every function (tests and the bench), on top of each function's own (the
   * one lib/function-environment.ts defines for the stack). Also read for the settings the
   * environments are made of (LLM_PROVIDER, HTTP_TOOL_ALLOWED_HOSTS, RATE_LIMIT_*, ...), like `npm start`'s.
   */
  readonly env?: Readonly<Record<string, string>>;
  /**
   * Variables copied into a function's worker at each invocation (tests steer fixtures with them
   * while the runtime runs). @default - none
   */
  readonly invocationEnv?: () => Readonly<Record<string, string>>;
  /**
   * Execution environments to start per function before the runtime answers (their cold starts done
   * ahead, e.g. for tests that time things). @default - none: the first invocations start them
   */
  readonly prewarm?: Readonly<Record<string, number>>;
  /** Execution environments (workers) per function at most. @default env LOCAL_FUNCTION_CONCURRENCY or 4 */
  readonly functionConcurrency?: number;
  /** The functions. @default functionSpecs */
  readonly functions?: Readonly<Record<string, FunctionSpec>>;
  /** The workflow definition. @default the ASL file `statemachines/workflow.asl.json` */
  readonly definition?: unknown;
  /** Reports function errors (500s, failed imports). @default console.error */
  readonly onError?: (where: string, error: unknown) => void;
  /** The event-source mapping that feeds stream functions (the publisher): batching, retries, timing. */
  readonly eventStream?: StreamMappingOptions;
  /** Fault injection into function invocations (tests and harnesses only; see `FaultHook`). @default - none */
  readonly faults?: FaultHook;
  /**
   * Wraps each function's invocations, in the runtime's process around the dispatch to the function's
   * worker (e.g. the bench counts and times invocations). @default - the invocation as is
   */
  readonly wrapHandler?: (functionName: string, handler: LambdaHandler) => LambdaHandler;
}

export interface LocalRuntime {
  readonly baseUrl: string;
  /** The push channel's WebSocket URL (`ws://…/ws`): the protocol of the AWS WebSocket API. */
  readonly pushUrl: string;
  /** The emulated WebSocket API (connections; tests drop them to force reconnects), if the specs have one. */
  readonly websocket: LocalWebSocketApi | undefined;
  readonly sfnUrl: string;
  readonly dynamoUrl: string;
  readonly eventsUrl: string;
  readonly stateMachineArn: string;
  readonly tables: Readonly<Record<TableName, string>>;
  readonly eventBusName: string;
  readonly dataDir: string | undefined;
  readonly issuer: LocalIssuer;
  readonly eventsSink: EventsSink;
  /** The event log's event-source mapping (it invokes the publisher), if a function has a `streamSource`. */
  readonly eventStream: StreamEventSourceMapping | undefined;
  readonly stepFunctions: LocalStepFunctions;
  /** The functions by logical name (their workers, cold starts). */
  readonly functions: ReadonlyMap<string, LocalFunction>;
  /** Each function's environment exactly as its worker gets it. */
  readonly functionEnvironments: ReadonlyMap<string, Readonly<Record<string, string>>>;
  /** Executions resumed at start-up (they were RUNNING when the previous process stopped). */
  readonly resumed: readonly string[];
  /** A token the API accepts for user `sub`. */
  token(sub: string, options?: SignOptions): Promise<string>;
  /** State transitions of an execution (= workflow id), Map iterations and retries included. */
  transitionsOf(executionName: string): number | undefined;
  /** Resolves when the execution has closed. */
  waitForExecution(executionName: string, timeoutMs?: number): Promise<ExecutionRecord>;
  /** Stops everything; running executions stay RUNNING on disk and resume at the next start. */
  stop(): Promise<void>;
  /**
   * Makes the Step Functions endpoint unreachable (connections refused; executions keep running),
   * for tests of "the orchestrator is unavailable". `resumeStepFunctionsEndpoint` listens again on
   * the same port (the Lambdas' clients keep their endpoint).
   */
  pauseStepFunctionsEndpoint(): Promise<void>;
  resumeStepFunctionsEndpoint(): Promise<void>;
}

/**
 * The AWS SDK reads endpoints from the environment once per client, and handler modules create
 * their clients once per process. So within one process, every runtime must use the same service
 * ports (a restart in a test reuses them), and only one runtime may run at a time.
 */
let stickyPorts: { dynamo: number; sfn: number; events: number } | undefined;
let active = false;

const TABLE_NAMES: Record<TableName, string> = {
  eventLog: 'omnilink-local-event-log',
  state: 'omnilink-local-state',
  bookings: 'omnilink-local-bookings',
  cache: 'omnilink-local-cache',
  connections: 'omnilink-local-connections',
};
const EVENT_BUS_NAME = 'omnilink-local';
/**
 * Suffix of this process's tables in a shared DynamoDB Local; fixed for the process because handler
 * modules read their table names once, like the ports above.
 */
const processTableSuffix = `${process.pid}-${crypto.randomUUID().slice(0, 6)}`;

/** Starts the local runtime. */
export async function startLocalRuntime(options: LocalRuntimeOptions = {}): Promise<LocalRuntime> {
  if (active) throw new Error('a local runtime is already running in this process');
  active = true;
  const stack: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () => {
    stopping ??= stopInOrder();
    return stopping;
  };
  const stopInOrder = async () => {
    for (const stop of stack.reverse()) {
      try {
        await stop();
      } catch (error) {
        console.error('[local runtime] error while stopping:', error);
      }
    }
    stack.length = 0;
    active = false;
  };
  try {
    return await start(options, stack, stopAll);
  } catch (error) {
    await stopAll();
    throw error;
  }
}

async function start(
  options: LocalRuntimeOptions,
  stack: (() => Promise<void>)[],
  stopAll: () => Promise<void>,
): Promise<LocalRuntime> {
  const root = options.projectRoot ?? PROJECT_ROOT;
  const dataDir = options.inMemory
    ? undefined
    : (options.dataDir ?? process.env.LOCAL_DATA_DIR ?? join(root, '.local'));
  const onError =
    options.onError ??
    ((where: string, error: unknown) => {
      console.error(`[local runtime] ${where}:`, error);
    });
  if (dataDir) {
    await mkdir(dataDir, { recursive: true });
    await lockDataDir(dataDir);
    stack.push(() => rm(join(dataDir, 'runtime.pid'), { force: true }));
  }
  const host = options.host ?? '127.0.0.1';

  // Functions: each in its own workers with its own environment (made once the services are up).
  const specs: Readonly<Record<string, FunctionSpec>> = options.functions ?? functionSpecs;
  const functions = new Map<string, LocalFunction>();
  const environments = new Map<string, Record<string, string>>();
  const concurrency =
    options.functionConcurrency ?? (Number(process.env.LOCAL_FUNCTION_CONCURRENCY ?? '') || 4);
  for (const [name, spec] of Object.entries(specs)) {
    const wrapHandler = options.wrapHandler;
    functions.set(
      name,
      new LocalFunction({
        name,
        timeoutSeconds: spec.timeoutSeconds,
        memoryMiB: spec.memoryMiB,
        worker: {
          bundle: () => bundleEntry(root, spec.entry),
          env: () => {
            const env = environments.get(name);
            if (!env) throw new Error(`function ${name} was invoked before the runtime started`);
            return env;
          },
          maxConcurrency: concurrency,
          ...(options.invocationEnv ? { invocationEnv: options.invocationEnv } : {}),
        },
        ...(wrapHandler ? { wrap: (handler: LambdaHandler) => wrapHandler(name, handler) } : {}),
        ...(options.faults ? { faults: options.faults } : {}),
      }),
    );
  }

  // The workflow: the ASL file, placeholders replaced by the local functions' ARNs (as CDK does).
  const rawDefinition: unknown =
    options.definition ?? JSON.parse(await readFile(join(root, workflowDefinitionPath), 'utf8'));
  const substitutions: Record<string, string> = {};
  for (const [name, spec] of Object.entries(specs)) {
    const fn = functions.get(name);
    if (spec.aslPlaceholder && fn) substitutions[spec.aslPlaceholder] = fn.arn;
  }
  const definition = substitutePlaceholders(rawDefinition, substitutions);
  const unresolved = /\$\{([A-Za-z0-9_]+)\}/.exec(JSON.stringify(definition));
  if (unresolved) throw new Error(`the workflow uses \${${unresolved[1]}}, which no function spec provides`);
  let retryIntervalOverrides = options.retryIntervalOverrides;
  if (options.retryIntervalMs !== undefined) {
    const all: RetryIntervalOverrides = {};
    forEachState(definition, (name, state) => {
      if (Array.isArray(state.Retry)) all[name] = options.retryIntervalMs ?? 0;
    });
    retryIntervalOverrides = { ...all, ...retryIntervalOverrides };
  }
  // Execution status changes go to the EventBridge sink (the default bus, as AWS sends them) and to
  // the functions a rule routes them to (`executionStatusRule`), invoked asynchronously like Lambda
  // does for EventBridge: two retries, then the error is reported (AWS: the function's DLQ).
  let statusSink: EventsSink | undefined;
  const statusDeliveries = new Set<Promise<void>>();
  const onStatusChange = (change: ExecutionStatusChange) => {
    const detail = { ...change };
    statusSink?.putEvents({
      Entries: [
        {
          Source: 'aws.states',
          DetailType: 'Step Functions Execution Status Change',
          Detail: JSON.stringify(detail),
          Resources: [change.executionArn],
          EventBusName: 'default',
        },
      ],
    });
    for (const [name, spec] of Object.entries(specs)) {
      const fn = functions.get(name);
      const rule: readonly string[] | undefined = spec.executionStatusRule;
      if (!fn || !rule?.includes(change.status)) continue;
      const event = {
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Step Functions Execution Status Change',
        source: 'aws.states',
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [change.executionArn],
        detail,
      };
      const delivery = (async () => {
        for (let attempt = 1; ; attempt++) {
          try {
            await fn.invoke(event);
            return;
          } catch (error) {
            if (attempt >= 3) {
              onError(`${name} (execution status rule)`, error);
              return;
            }
            await new Promise((resolve) => setTimeout(resolve, 20 * attempt));
          }
        }
      })();
      statusDeliveries.add(delivery);
      void delivery.finally(() => statusDeliveries.delete(delivery));
    }
  };
  const stepFunctions = new LocalStepFunctions({
    definition,
    onStatusChange,
    taskHandlers: lambdaTaskHandlers(definition, [...functions.values()]),
    ...(dataDir ? { dataDir: join(dataDir, 'stepfunctions') } : {}),
    ...(retryIntervalOverrides ? { retryIntervalOverrides } : {}),
  });

  // Services.
  const dynamo: LocalDynamo = await startDynamo({
    ...(dataDir ? { path: join(dataDir, 'dynamodb') } : {}),
    port: stickyPorts?.dynamo ?? 0,
  });
  stack.push(() => dynamo.stop());
  // Stopped after the engine and the API (below), before the tables: their work in flight ends here.
  stack.push(async () => {
    await Promise.all([...functions.values()].map((fn) => fn.stop()));
  });
  // A DynamoDB Local shared with other runtimes (tests): tables of this runtime's own, freed at stop
  // when nothing needs to survive it.
  const tables: Record<TableName, string> = dynamo.owned
    ? { ...TABLE_NAMES }
    : (Object.fromEntries(
        Object.entries(TABLE_NAMES).map(([name, table]) => [name, `${table}-${processTableSuffix}`]),
      ) as Record<TableName, string>);
  if (!dynamo.owned && !dataDir) stack.push(() => deleteTables(dynamo.client, Object.values(tables)));
  const eventsSink = new EventsSink(dataDir ? { file: join(dataDir, 'events.jsonl') } : {});
  statusSink = eventsSink;
  const eventsServer = createEventBridgeServer(eventsSink);
  const eventsPort = await listen(eventsServer, stickyPorts?.events ?? 0);
  stack.push(async () => {
    await close(eventsServer);
    await eventsSink.flush();
  });
  const sfnServer = createStepFunctionsServer(stepFunctions);
  const sfnPort = await listen(sfnServer, stickyPorts?.sfn ?? 0);
  stack.push(() => close(sfnServer));
  stickyPorts = { dynamo: dynamo.owned ? dynamo.port : 0, sfn: sfnPort, events: eventsPort };
  const sfnUrl = `http://127.0.0.1:${sfnPort}`;
  const eventsUrl = `http://127.0.0.1:${eventsPort}`;

  // The runtime's own process: SDK defaults for in-process callers (tests, the bench). The functions
  // do not see it: each worker gets exactly its function's environment, made below.
  Object.assign(process.env, {
    AWS_REGION: LOCAL_REGION,
    AWS_DEFAULT_REGION: LOCAL_REGION,
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
    AWS_ENDPOINT_URL_SFN: sfnUrl,
    AWS_ENDPOINT_URL_EVENTBRIDGE: eventsUrl,
  });
  delete process.env.AWS_SESSION_TOKEN;
  delete process.env.AWS_PROFILE;
  // The push channel's WebSocket API: its management endpoint and the issuer's keys go into the
  // environments of the functions that post and authorize (the upgrade is served on the API's port).
  const issuer = await LocalIssuer.load(dataDir ? join(dataDir, 'issuer') : undefined, options.jwt ?? {});
  const websocketRoutes = new Map<string, LocalFunction>();
  let websocketAuthorizer: LocalFunction | undefined;
  for (const [name, spec] of Object.entries(specs)) {
    const fn = functions.get(name);
    if (!fn) continue;
    for (const route of spec.websocketRoutes ?? []) websocketRoutes.set(route, fn);
    if (spec.websocketAuthorizer) websocketAuthorizer = fn;
  }
  const websocket = websocketAuthorizer
    ? new LocalWebSocketApi({
        authorizer: websocketAuthorizer,
        routes: websocketRoutes,
        jwks: () => issuer.jwks(),
        onError,
      })
    : undefined;
  if (websocket) {
    await websocket.start();
    stack.push(() => websocket.stop());
  }
  const given: NodeJS.ProcessEnv = { ...process.env, ...options.env };
  const settings = localEnvironmentSettings(given);
  for (const [name, spec] of Object.entries(specs)) {
    const own = resolveEnvironment(functionEnvironment(name, settings, spec), (reference) => {
      if (reference.ref === 'table') return tables[reference.table];
      if (reference.ref === 'stateMachineArn') return stepFunctions.stateMachineArn;
      if (reference.ref === 'websocketCallbackUrl') return websocket?.callbackUrl ?? '';
      if (reference.ref === 'jwtIssuer') return issuer.issuer;
      if (reference.ref === 'jwtAudience') return issuer.audience;
      if (reference.ref === 'jwksUrl') return websocket?.jwksUrl ?? '';
      return EVENT_BUS_NAME;
    });
    const fn = functions.get(name);
    environments.set(name, {
      // What the Lambda runtime sets in every execution environment (credentials are the local ones).
      AWS_REGION: LOCAL_REGION,
      AWS_DEFAULT_REGION: LOCAL_REGION,
      AWS_ACCESS_KEY_ID: 'local',
      AWS_SECRET_ACCESS_KEY: 'local',
      AWS_LAMBDA_FUNCTION_NAME: fn?.functionName ?? name,
      AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
      AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memoryMiB),
      TZ: 'UTC',
      // The stand-ins' endpoints, where AWS has its regional ones.
      AWS_ENDPOINT_URL_DYNAMODB: dynamo.url,
      AWS_ENDPOINT_URL_SFN: sfnUrl,
      AWS_ENDPOINT_URL_EVENTBRIDGE: eventsUrl,
      ...own,
      // No CloudWatch locally.
      POWERTOOLS_METRICS_DISABLED: 'true',
      ...localOnly(spec, given),
      // The caller's extras, except settings: those reach only the functions that get them (above).
      ...Object.fromEntries(Object.entries(options.env ?? {}).filter(([key]) => !SETTING_KEYS.has(key))),
    });
  }

  await ensureTables(
    dynamo.client,
    Object.entries(tableSpecs).map(([name, spec]) => ({ name: tables[name as TableName], spec })),
  );

  // Bundle every function now (the deployable bundles, cached): a broken one fails `npm start`.
  await Promise.all([...functions.values()].map((fn) => fn.load()));
  await Promise.all(
    Object.entries(options.prewarm ?? {}).map(([name, count]) => functions.get(name)?.prewarm(count)),
  );

  // DynamoDB streams: an event-source mapping per stream function, e.g. the log's stream → the publisher.
  let eventStream: StreamEventSourceMapping | undefined;
  const mappedSources = new Set<string>();
  for (const [name, spec] of Object.entries(specs)) {
    const fn = functions.get(name);
    if (!spec.streamSource || !fn) continue;
    // The first consumer of a stream keeps the checkpoint files' historical names.
    const files = mappedSources.has(spec.streamSource) ? `${spec.streamSource}-${name}` : spec.streamSource;
    mappedSources.add(spec.streamSource);
    const mapped = streamMappingOf(name as FunctionName);
    const mapping = new StreamEventSourceMapping({
      // The stack's mapping for this function (lib/specs.ts); tests may override it.
      batchSize: mapped.batchSize,
      maxBatchingWindowMs: mapped.maxBatchingWindowSeconds * 1000,
      maxRetryAttempts: mapped.retryAttempts,
      ...options.eventStream,
      client: dynamo.client,
      tableName: tables[spec.streamSource],
      functionArn: fn.arn,
      invoke: (event) => fn.invoke(event),
      ...(dataDir
        ? {
            stateFile: join(dataDir, `stream-${files}.json`),
            failureFile: join(dataDir, `stream-${files}-failures.jsonl`),
          }
        : {}),
      onError: (where, error) => onError(`${name} stream (${where})`, error),
    });
    await mapping.start();
    // Stopped after the workflows (below): what they appended last is still published, if it can be.
    stack.push(async () => {
      await mapping.drain(1000).catch(() => undefined);
      await mapping.stop();
    });
    if (spec.streamSource === 'eventLog' && spec.putsEvents) eventStream = mapping;
  }

  await stepFunctions.load();
  stack.push(() => stepFunctions.shutdown());
  // Runs before the engine's shutdown: rule deliveries in flight finish while the tables are up.
  stack.push(async () => {
    const grace = new Promise((resolve) => setTimeout(resolve, 2000).unref());
    await Promise.race([Promise.allSettled([...statusDeliveries]), grace]);
  });
  const resumed = options.resumeRunning === false ? [] : stepFunctions.resumeRunning();

  // Scheduled functions (EventBridge schedules in AWS, e.g. the rollback-deadline sweep): a timer at
  // the same rate, invoked asynchronously with a Scheduled Event; errors are reported.
  for (const [name, spec] of Object.entries(specs)) {
    const fn = functions.get(name);
    const every = spec.schedule === undefined ? undefined : rateMs(spec.schedule);
    if (!fn || every === undefined) continue;
    const timer = setInterval(() => {
      fn.invoke({
        version: '0',
        id: crypto.randomUUID(),
        'detail-type': 'Scheduled Event',
        source: 'aws.events',
        account: LOCAL_ACCOUNT,
        time: new Date().toISOString(),
        region: LOCAL_REGION,
        resources: [],
        detail: {},
      }).catch((error: unknown) => onError(`${name} (schedule)`, error));
    }, every);
    timer.unref();
    stack.push(async () => clearInterval(timer));
  }

  // The HTTP API.
  const health: LocalEndpoint = async () => {
    const checks = await Promise.all([
      dynamo.client
        .send(new ListTablesCommand({ Limit: 1 }), { abortSignal: AbortSignal.timeout(2000) })
        .then(() => true)
        .catch(() => false),
      ping(sfnUrl, 'AWSStepFunctions.DescribeStateMachine', '1.0', {
        stateMachineArn: stepFunctions.stateMachineArn,
      }),
      ping(eventsUrl, 'AWSEvents.ListEventBuses', '1.1', {}),
    ]);
    const [dynamodb, stepfunctions, eventbridge] = checks;
    const ok = checks.every(Boolean);
    return {
      statusCode: ok ? 200 : 503,
      body: {
        status: ok ? 'ok' : 'unavailable',
        services: { dynamodb, stepfunctions, eventbridge },
        llm_provider: settings.models.provider,
      },
    };
  };
  const execution: LocalEndpoint = async ({ params }) => {
    const record = stepFunctions.get(params.name ?? '');
    if (!record)
      return { statusCode: 404, body: { error: { code: 'not_found', message: 'no such execution' } } };
    return {
      statusCode: 200,
      body: {
        name: record.name,
        status: record.status,
        transitions: stepFunctions.transitionsOf(record.name),
        restarts: record.restarts,
        history_events: record.events.length,
      },
    };
  };
  const routes = Object.entries(specs).flatMap(([name, spec]) => {
    const fn = functions.get(name);
    return spec.route && fn ? [{ routeKey: spec.route, fn }] : [];
  });
  const api: Server = createHttpApi({
    routes,
    issuer,
    localEndpoints: {
      'GET /health': health,
      'GET /.well-known/jwks.json': async () => ({ statusCode: 200, body: issuer.jwks() }),
      // The checked-in OpenAPI document of the API (npm run openapi regenerates it).
      'GET /openapi.json': async () => ({
        statusCode: 200,
        body: JSON.parse(await readFile(new URL('../api/openapi.json', import.meta.url), 'utf8')),
      }),
      'GET /_local/executions/{name}': execution,
      // The console (/console) and its local sign-in (POST /_local/token): local only.
      ...consoleEndpoints(root, issuer),
    },
    onFunctionError: (routeKey, error) => onError(routeKey, error),
  });
  websocket?.attach(api, '/ws');
  const port = await listen(api, options.port ?? Number(process.env.PORT ?? 3000), host);
  stack.push(() => close(api));

  return {
    baseUrl: `http://${host}:${port}`,
    pushUrl: `ws://${host}:${port}/ws`,
    websocket,
    sfnUrl,
    dynamoUrl: dynamo.url,
    eventsUrl,
    stateMachineArn: stepFunctions.stateMachineArn,
    tables,
    eventBusName: EVENT_BUS_NAME,
    dataDir,
    issuer,
    eventsSink,
    eventStream,
    stepFunctions,
    functions,
    functionEnvironments: environments,
    resumed,
    token: (sub, signOptions) => issuer.sign(sub, signOptions),
    transitionsOf: (name) => stepFunctions.transitionsOf(name),
    waitForExecution: (name, timeoutMs) => stepFunctions.waitForExecution(name, timeoutMs),
    stop: stopAll,
    pauseStepFunctionsEndpoint: () => close(sfnServer),
    resumeStepFunctionsEndpoint: async () => {
      if (!sfnServer.listening) await listen(sfnServer, sfnPort);
    },
  };
}

/** One process per data directory: LevelDB would fail obscurely on a second one. */
async function lockDataDir(dataDir: string): Promise<void> {
  const file = join(dataDir, 'runtime.pid');
  const pid = Number(await readFile(file, 'utf8').catch(() => ''));
  if (Number.isInteger(pid) && pid > 0 && pid !== process.pid) {
    let alive = true;
    try {
      process.kill(pid, 0);
    } catch (error) {
      alive = typeof error === 'object' && error !== null && 'code' in error && error.code === 'EPERM';
    }
    if (alive) {
      throw new Error(
        `another local runtime (pid ${pid}) is using ${dataDir}: stop it first, or use another data directory`,
      );
    }
  }
  await writeFile(file, String(process.pid));
}

async function ping(url: string, target: string, version: string, body: unknown): Promise<boolean> {
  try {
    const response = await fetch(url, {
      method: 'POST',
      headers: { 'x-amz-target': target, 'content-type': `application/x-amz-json-${version}` },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(2000),
    });
    return response.ok;
  } catch {
    return false;
  }
}

/** Variables that are settings of the functions' environments, not variables of every function. */
const SETTING_KEYS: ReadonlySet<string> = new Set([
  'POWERTOOLS_SERVICE_NAME',
  'POWERTOOLS_METRICS_NAMESPACE',
  'POWERTOOLS_LOG_LEVEL',
  'LOG_LEVEL',
  'RATE_LIMIT_PER_MINUTE',
  'RATE_LIMIT_BURST',
  'APPROVAL_TIMEOUT_SECONDS',
  'EVENT_SOURCE',
  'LLM_PROVIDER',
  'BEDROCK_MODEL_ID',
  'BEDROCK_GUARDRAIL_ID',
  'BEDROCK_GUARDRAIL_VERSION',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'OPENAI_API_KEY_SECRET_ARN',
  'HTTP_TOOL_ALLOWED_HOSTS',
  'OPENAI_API_KEY',
  'LLM_MAX_TOKENS',
  'LLM_TIMEOUT_MS',
  'OPENAI_MAX_TOKENS_PARAM',
  'HTTP_TOOL_ALLOW_HTTP',
  'HTTP_TOOL_MAX_BYTES',
  'HTTP_TOOL_TIMEOUT_MS',
  'HTTP_TOOL_MAX_REDIRECTS',
]);

/**
 * The settings the functions' environments are made of, from `npm start`'s environment: the same
 * names the README documents, the same defaults as the stack except the model provider (offline).
 */
export function localEnvironmentSettings(env: NodeJS.ProcessEnv): FunctionEnvironmentSettings {
  const positive = (key: string, fallback: number) => {
    const value = Number(env[key] ?? '');
    return Number.isInteger(value) && value > 0 ? value : fallback;
  };
  const provider =
    env.LLM_PROVIDER === 'bedrock' || env.LLM_PROVIDER === 'openai' ? env.LLM_PROVIDER : 'offline';
  const guardrailId = env.BEDROCK_GUARDRAIL_ID;
  const guardrailVersion = env.BEDROCK_GUARDRAIL_VERSION;
  return {
    serviceName: env.POWERTOOLS_SERVICE_NAME ?? 'omnilink-local',
    metricsNamespace: env.POWERTOOLS_METRICS_NAMESPACE ?? 'OmnilinkLocal',
    logLevel: env.POWERTOOLS_LOG_LEVEL ?? env.LOG_LEVEL ?? 'WARN',
    rateLimitPerMinute: positive('RATE_LIMIT_PER_MINUTE', 120),
    rateLimitBurst: positive('RATE_LIMIT_BURST', 30),
    approvalTimeoutSeconds: positive('APPROVAL_TIMEOUT_SECONDS', 86_400),
    eventSource: env.EVENT_SOURCE ?? 'omnilink.orchestrator',
    models: {
      provider,
      bedrockModelId: env.BEDROCK_MODEL_ID ?? DEFAULT_BEDROCK_MODEL_ID,
      ...(guardrailId && guardrailVersion
        ? { bedrockGuardrail: { id: guardrailId, version: guardrailVersion } }
        : {}),
      openAiBaseUrl: env.OPENAI_BASE_URL ?? 'https://api.openai.com/v1',
      ...(env.OPENAI_MODEL ? { openAiModel: env.OPENAI_MODEL } : {}),
      ...(env.OPENAI_API_KEY_SECRET_ARN ? { openAiApiKeySecretArn: env.OPENAI_API_KEY_SECRET_ARN } : {}),
      httpToolAllowedHosts: (env.HTTP_TOOL_ALLOWED_HOSTS ?? '')
        .split(',')
        .map((host) => host.trim())
        .filter((host) => host !== ''),
    },
  };
}

/**
 * Local-only variables with no stack setting (README "Configuration"), passed to the functions whose
 * code reads that group only: the API key itself (AWS reads it from Secrets Manager), the model's
 * answer budget and timeout override, and the `http_request` limits.
 */
function localOnly(spec: FunctionSpec, env: NodeJS.ProcessEnv): Record<string, string> {
  const groups: Record<'model' | 'guardrail' | 'httpTool', readonly string[]> = {
    model: ['OPENAI_API_KEY', 'LLM_MAX_TOKENS', 'LLM_TIMEOUT_MS', 'OPENAI_MAX_TOKENS_PARAM'],
    guardrail: [],
    httpTool: [
      'HTTP_TOOL_ALLOW_HTTP',
      'HTTP_TOOL_MAX_BYTES',
      'HTTP_TOOL_TIMEOUT_MS',
      'HTTP_TOOL_MAX_REDIRECTS',
    ],
  };
  const out: Record<string, string> = {};
  for (const group of spec.reads ?? []) {
    for (const key of groups[group]) {
      const value = env[key];
      if (value !== undefined) out[key] = value;
    }
  }
  return out;
}

/** The period of an EventBridge `rate(N unit)` expression in ms (undefined for cron expressions). */
export function rateMs(expression: string): number | undefined {
  const match = /^rate\((\d+) (minute|minutes|hour|hours|day|days)\)$/.exec(expression.trim());
  if (!match) return undefined;
  const unit = match[2]?.startsWith('minute')
    ? 60_000
    : match[2]?.startsWith('hour')
      ? 3_600_000
      : 86_400_000;
  return Number(match[1]) * unit;
}
