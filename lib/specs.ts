/**
 * What the system is made of, as plain data shared by the CDK stack and the local runtime, so the
 * two cannot drift: the tables (keys, TTL attribute) and the functions (entry file, the environment
 * they read, the ASL placeholder that names them).
 */

export interface TableSpec {
  /** Environment variable that carries the table's name to the functions. */
  readonly envVar: 'EVENT_LOG_TABLE' | 'STATE_TABLE' | 'BOOKINGS_TABLE' | 'CACHE_TABLE' | 'CONNECTIONS_TABLE';
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly ttlAttribute: string;
  readonly description: string;
  /** DynamoDB stream of the table (what a record carries), for functions with a `streamSource`. */
  readonly stream?: 'NEW_IMAGE';
  /** Global secondary indexes. */
  readonly indexes?: readonly TableIndexSpec[];
}

export interface TableIndexSpec {
  readonly name: string;
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
  /**
   * What the index holds besides its keys and the table's: `KEYS_ONLY` for an index whose items the
   * reader fetches from the table (the index is then written only when its keys change). @default 'ALL'
   */
  readonly projection?: 'ALL' | 'KEYS_ONLY';
}

/**
 * The index of workflow heads by owner, newest first (`GET /workflows`): sparse, since only heads
 * carry `owner` (the workflow record's `user_id` stays out of it). Keys only: a head is rewritten by
 * every event append, and a projection of its view would double those writes; the list reads the page's
 * heads from the table instead (one BatchGetItem).
 */
export const workflowsByOwnerIndex = {
  name: 'workflows-by-owner',
  partitionKey: { name: 'owner', type: 'S' },
  sortKey: { name: 'created_at', type: 'S' },
  projection: 'KEYS_ONLY',
} as const satisfies TableIndexSpec;

/** The plan cache's table (CACHE_TABLE): per scope, plans and templates by goal, and their index. */
export const cacheTableSpec = {
  envVar: 'CACHE_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expires_at',
  description:
    'Plan cache: per scope, one entry per normalised goal (plan and template) and an index of the entries.',
} as const satisfies TableSpec;

export const tableSpecs = {
  eventLog: {
    envVar: 'EVENT_LOG_TABLE',
    partitionKey: { name: 'workflow_id', type: 'S' },
    sortKey: { name: 'seq', type: 'N' },
    ttlAttribute: 'expires_at',
    description: 'The event log: one ordered, gap-free sequence of events per workflow (the audit trail).',
    stream: 'NEW_IMAGE',
  },
  state: {
    envVar: 'STATE_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expires_at',
    description:
      "Workflow records (owner, idempotency fingerprint, execution input), each workflow's read model (the event log's head) and per-event markers, rate-limit buckets, plans and step outputs.",
    indexes: [
      workflowsByOwnerIndex,
      // Sparse: only heads of workflows left failed and redrivable carry `rollback_due` (see the sweep).
      {
        name: 'rollback-due',
        partitionKey: { name: 'rollback_due', type: 'S' },
        sortKey: { name: 'rollback_due_at', type: 'N' },
        projection: 'KEYS_ONLY',
      },
    ],
  },
  bookings: {
    envVar: 'BOOKINGS_TABLE',
    partitionKey: { name: 'workflow_id', type: 'S' },
    sortKey: { name: 'step_id', type: 'S' },
    ttlAttribute: 'expires_at',
    description: 'Sandbox travel bookings, keyed by (workflow, step) so a replayed step books nothing twice.',
  },
  cache: cacheTableSpec,
  connections: {
    envVar: 'CONNECTIONS_TABLE',
    partitionKey: { name: 'pk', type: 'S' },
    sortKey: { name: 'sk', type: 'S' },
    ttlAttribute: 'expires_at',
    description:
      'Push channel: WebSocket connections (owner) and their subscriptions, keyed both by workflow (who to push an event to: one Query) and by connection (what to forget when it closes).',
  },
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof tableSpecs;

/** How a stream's event-source mapping batches and retries for one function. */
export interface StreamMappingSpec {
  readonly batchSize: number;
  /** How long records are gathered before an invocation (0: invoke as soon as records arrive). */
  readonly maxBatchingWindowSeconds: number;
  /** Retries of a failing batch (bisected) before it goes to the on-failure destination. */
  readonly retryAttempts: number;
}

export type AccessLevel = 'read' | 'write' | 'readWrite';

export interface FunctionSpec {
  /** Handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Tables the function uses and how. */
  readonly tables: Partial<Record<TableName, AccessLevel>>;
  /** Global secondary indexes the function queries: Query on them is granted nowhere else. */
  readonly queries?: readonly { readonly table: TableName; readonly index: string }[];
  /** Tables the function deletes items from: DeleteItem is granted nowhere else. */
  readonly deletesFrom?: readonly TableName[];
  /** ASL placeholder (without `${}`) replaced by this function's ARN, for state-machine tasks. */
  readonly aslPlaceholder?: string;
  /** Step Functions API actions the function calls on the workflow's state machine / executions. */
  readonly stepFunctions?: readonly (
    | 'states:StartExecution'
    | 'states:DescribeExecution'
    | 'states:StopExecution'
    | 'states:RedriveExecution'
    | 'states:SendTaskSuccess'
    | 'states:SendTaskFailure'
    | 'states:GetExecutionHistory'
  )[];
  /** Publishes to the event bus. */
  readonly putsEvents?: boolean;
  /** Table whose stream invokes the function (in AWS an event-source mapping, locally a tailer). */
  readonly streamSource?: TableName;
  /**
   * The event-source mapping's batching and retries (with `streamSource`): the stack's mapping and the
   * local one are both built from this.
   */
  readonly streamMapping?: StreamMappingSpec;
  /**
   * Statuses of the workflow's "Step Functions Execution Status Change" events (source `aws.states`)
   * that invoke the function: in AWS an EventBridge rule with a DLQ, locally routed by the runtime.
   */
  readonly executionStatusRule?: readonly ('RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED')[];
  /** HTTP route served, for API functions. */
  readonly route?: string;
  /**
   * WebSocket API routes served (`$connect`, `$disconnect`, or an `action` of the route selection
   * expression `$request.body.action`), for push-channel functions.
   */
  readonly websocketRoutes?: readonly string[];
  /** The WebSocket API's `$connect` REQUEST authorizer (verifies the same JWTs as the HTTP API's). */
  readonly websocketAuthorizer?: boolean;
  /** Posts to WebSocket connections (`execute-api:ManageConnections` on the push channel's stage). */
  readonly postsToConnections?: boolean;
  /** An EventBridge schedule expression that invokes the function (locally, a timer). */
  readonly schedule?: string;
  /**
   * Deployment settings the function's code reads (lib/function-environment.ts sets their variables):
   * `model` the LLM configuration, `guardrail` the Bedrock guardrail, `httpTool` the `http_request`
   * allow-list. test/infra/function-environment.test.ts checks it against each bundle's code.
   */
  readonly reads?: readonly ('model' | 'guardrail' | 'httpTool')[];
  readonly timeoutSeconds: number;
  readonly memoryMiB: number;
}

export const functionSpecs = {
  producer: {
    entry: 'lambdas/handlers/api/producer.ts',
    description:
      'Skinny producer: validates, redacts, screens and rate-limits a goal, then starts its workflow.',
    tables: { state: 'readWrite' },
    deletesFrom: ['state'],
    // DescribeExecution settles an ambiguous StartExecution (a timeout after the request was sent).
    stepFunctions: ['states:StartExecution', 'states:DescribeExecution'],
    route: 'POST /omnilink-agent',
    timeoutSeconds: 10,
    memoryMiB: 512,
  },
  status: {
    entry: 'lambdas/handlers/api/status.ts',
    description:
      "Answers a workflow's status from its read model (one item); asks Step Functions only about silent workflows.",
    tables: { state: 'readWrite' },
    stepFunctions: ['states:DescribeExecution'],
    route: 'GET /workflows/{id}/status',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  events: {
    entry: 'lambdas/handlers/api/events.ts',
    description: "Serves a workflow's audit trail from the event log.",
    tables: { state: 'read', eventLog: 'read' },
    route: 'GET /workflows/{id}/events',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  list: {
    entry: 'lambdas/handlers/api/list-workflows.ts',
    description:
      "Lists the caller's workflows, newest first, a page at a time: one Query of the owner index and one BatchGetItem of the heads.",
    tables: { state: 'read' },
    queries: [{ table: 'state', index: workflowsByOwnerIndex.name }],
    route: 'GET /workflows',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  guardian: {
    entry: 'lambdas/handlers/states/guardian.ts',
    description: 'Workflow task: records the goal and screens it with the LLM guardian.',
    tables: { eventLog: 'readWrite', state: 'readWrite' },
    aslPlaceholder: 'GuardianFunctionArn',
    reads: ['model', 'guardrail'],
    timeoutSeconds: 60,
    memoryMiB: 512,
  },
  planner: {
    entry: 'lambdas/handlers/states/planner.ts',
    description: 'Workflow task: turns the goal into a validated plan (a DAG of tool steps).',
    tables: { eventLog: 'readWrite', state: 'readWrite', cache: 'readWrite' },
    deletesFrom: ['cache'],
    aslPlaceholder: 'PlannerFunctionArn',
    reads: ['model', 'httpTool'],
    timeoutSeconds: 120,
    memoryMiB: 512,
  },
  step: {
    entry: 'lambdas/handlers/states/step.ts',
    description: 'Workflow task: runs one plan step with its tool, exactly once per (workflow, step).',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    aslPlaceholder: 'StepFunctionArn',
    reads: ['model', 'httpTool'],
    timeoutSeconds: 120,
    memoryMiB: 512,
  },
  finalize: {
    entry: 'lambdas/handlers/states/finalize.ts',
    description:
      "Workflow task: aggregates the steps' outputs into the result and records WorkflowCompleted.",
    tables: { eventLog: 'readWrite', state: 'readWrite', cache: 'write' },
    aslPlaceholder: 'FinalizeFunctionArn',
    timeoutSeconds: 60,
    memoryMiB: 256,
  },
  compensate: {
    entry: 'lambdas/handlers/states/compensate.ts',
    description: 'Workflow task (saga): undoes completed steps in reverse order and records the failure.',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    aslPlaceholder: 'CompensateFunctionArn',
    timeoutSeconds: 300,
    memoryMiB: 512,
  },
  publisher: {
    entry: 'lambdas/handlers/streams/publish-events.ts',
    description:
      'Publishes every event appended to the event log to the event bus (from the log table stream).',
    tables: {},
    streamSource: 'eventLog',
    // Throughput over latency: consumers of the bus are not waiting on each event.
    streamMapping: { batchSize: 100, maxBatchingWindowSeconds: 1, retryAttempts: 10 },
    putsEvents: true,
    timeoutSeconds: 60,
    memoryMiB: 256,
  },
  requestApproval: {
    entry: 'lambdas/handlers/states/request-approval.ts',
    description:
      "Workflow task (callback): stores the approval wait's task token and records ApprovalRequested.",
    tables: { eventLog: 'readWrite', state: 'readWrite' },
    aslPlaceholder: 'RequestApprovalFunctionArn',
    timeoutSeconds: 30,
    memoryMiB: 256,
  },
  signal: {
    entry: 'lambdas/handlers/api/signal.ts',
    description: "Answers a workflow's pending human approval (approve or deny) through its task token.",
    tables: { state: 'readWrite', eventLog: 'readWrite' },
    stepFunctions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    route: 'POST /workflows/{id}/signals/approval',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  cancel: {
    entry: 'lambdas/handlers/api/cancel.ts',
    description:
      'Cancels a running or waiting workflow (cooperative: the saga rolls back and ends it cancelled).',
    tables: { state: 'readWrite', eventLog: 'readWrite' },
    stepFunctions: ['states:SendTaskFailure', 'states:DescribeExecution', 'states:RedriveExecution'],
    route: 'POST /workflows/{id}/cancel',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  janitor: {
    entry: 'lambdas/handlers/jobs/janitor.ts',
    description:
      'Rolls back workflows whose execution was stopped, timed out or failed outside the Catch (exactly once).',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    executionStatusRule: ['FAILED', 'TIMED_OUT', 'ABORTED'],
    timeoutSeconds: 300,
    memoryMiB: 512,
  },
  rollbackSweep: {
    entry: 'lambdas/handlers/jobs/rollback-sweep.ts',
    description:
      'Rolls back workflows left failed and redrivable past their rollback deadline (ROLLBACK_DEADLINE_HOURS).',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    queries: [{ table: 'state', index: 'rollback-due' }],
    stepFunctions: ['states:DescribeExecution'],
    schedule: 'rate(15 minutes)',
    timeoutSeconds: 300,
    memoryMiB: 512,
  },
  redrive: {
    entry: 'lambdas/handlers/api/redrive.ts',
    description: 'Resumes a failed workflow from the state where it failed (Step Functions redrive).',
    tables: { state: 'readWrite' },
    stepFunctions: ['states:DescribeExecution', 'states:RedriveExecution'],
    route: 'POST /workflows/{id}/redrive',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  wsAuthorizer: {
    entry: 'lambdas/handlers/ws/ws-authorize.ts',
    description:
      "Push channel: authorizes a WebSocket connection with the HTTP API's JWT (issuer, audience, signature, expiry).",
    tables: {},
    websocketAuthorizer: true,
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  wsConnection: {
    entry: 'lambdas/handlers/ws/ws-connection.ts',
    description:
      'Push channel: records an authorized WebSocket connection and its owner; forgets it and its subscriptions when it closes.',
    tables: { connections: 'readWrite' },
    deletesFrom: ['connections'],
    websocketRoutes: ['$connect', '$disconnect'],
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  wsSubscribe: {
    entry: 'lambdas/handlers/ws/ws-subscribe.ts',
    description:
      "Push channel: subscribes a connection to one of its owner's workflows and replays the log after the given seq.",
    tables: { connections: 'readWrite', state: 'read', eventLog: 'read' },
    deletesFrom: ['connections'],
    websocketRoutes: ['subscribe', 'unsubscribe'],
    postsToConnections: true,
    timeoutSeconds: 30,
    memoryMiB: 256,
  },
  pushEvents: {
    entry: 'lambdas/handlers/streams/push-events.ts',
    description:
      "Push channel: posts every event appended to the log to the workflow's subscribed connections (from the log table stream).",
    tables: { connections: 'read' },
    deletesFrom: ['connections'],
    streamSource: 'eventLog',
    // Latency over batching: a client waits for each event. Push is best effort: a client that sees
    // a gap in seq re-subscribes from its last seq (the replay), so few retries.
    streamMapping: { batchSize: 100, maxBatchingWindowSeconds: 0, retryAttempts: 3 },
    postsToConnections: true,
    timeoutSeconds: 60,
    memoryMiB: 256,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functionSpecs;

/** The ASL file: the only copy of the workflow definition. */
export const workflowDefinitionPath = 'statemachines/workflow.asl.json';

/** The stream mapping of a function with a `streamSource` (its spec's `streamMapping`). */
export function streamMappingOf(name: FunctionName): StreamMappingSpec {
  const spec: FunctionSpec = functionSpecs[name];
  if (!spec.streamSource || !spec.streamMapping) {
    throw new Error(`function ${name} has no stream mapping in lib/specs.ts`);
  }
  return spec.streamMapping;
}
