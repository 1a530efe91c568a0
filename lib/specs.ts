/**
 * What the system is made of, as plain data shared by the CDK stack and the local runtime, so the
 * two cannot drift: the tables (keys, TTL attribute) and the functions (entry file, the environment
 * they read, the ASL placeholder that names them).
 */

export interface TableSpec {
  /** Environment variable that carries the table's name to the functions. */
  readonly envVar: 'EVENT_LOG_TABLE' | 'STATE_TABLE' | 'BOOKINGS_TABLE' | 'CACHE_TABLE';
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly ttlAttribute: string;
  readonly description: string;
  /** DynamoDB stream of the table (what a record carries), for functions with a `streamSource`. */
  readonly stream?: 'NEW_IMAGE';
  /** Global secondary indexes (projection ALL). */
  readonly indexes?: readonly TableIndexSpec[];
}

export interface TableIndexSpec {
  readonly name: string;
  readonly partitionKey: { readonly name: string; readonly type: 'S' | 'N' };
  readonly sortKey: { readonly name: string; readonly type: 'S' | 'N' };
}

/** The semantic plan cache's table (CACHE_TABLE): plan templates per (scope, intent signature). */
export const cacheTableSpec = {
  envVar: 'CACHE_TABLE',
  partitionKey: { name: 'pk', type: 'S' },
  sortKey: { name: 'sk', type: 'S' },
  ttlAttribute: 'expires_at',
  description:
    'Semantic plan cache: plan templates keyed by (scope, intent signature), per-scope queues for the size cap.',
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
  },
  bookings: {
    envVar: 'BOOKINGS_TABLE',
    partitionKey: { name: 'workflow_id', type: 'S' },
    sortKey: { name: 'step_id', type: 'S' },
    ttlAttribute: 'expires_at',
    description: 'Sandbox travel bookings, keyed by (workflow, step) so a replayed step books nothing twice.',
  },
  cache: cacheTableSpec,
} as const satisfies Record<string, TableSpec>;

export type TableName = keyof typeof tableSpecs;

export type AccessLevel = 'read' | 'write' | 'readWrite';

export interface FunctionSpec {
  /** Handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  /** Tables the function uses and how. */
  readonly tables: Partial<Record<TableName, AccessLevel>>;
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
   * Statuses of the workflow's "Step Functions Execution Status Change" events (source `aws.states`)
   * that invoke the function: in AWS an EventBridge rule with a DLQ, locally routed by the runtime.
   */
  readonly executionStatusRule?: readonly ('RUNNING' | 'SUCCEEDED' | 'FAILED' | 'TIMED_OUT' | 'ABORTED')[];
  /** HTTP route served, for API functions. */
  readonly route?: string;
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
    entry: 'lambdas/handlers/producer.ts',
    description:
      'Skinny producer: validates, redacts, screens and rate-limits a goal, then starts its workflow.',
    tables: { state: 'readWrite' },
    deletesFrom: ['state'],
    stepFunctions: ['states:StartExecution'],
    route: 'POST /omnilink-agent',
    timeoutSeconds: 10,
    memoryMiB: 512,
  },
  status: {
    entry: 'lambdas/handlers/status.ts',
    description:
      "Answers a workflow's status from its read model (one item); asks Step Functions only about silent workflows.",
    tables: { state: 'readWrite' },
    stepFunctions: ['states:DescribeExecution'],
    route: 'GET /workflows/{id}/status',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  events: {
    entry: 'lambdas/handlers/events.ts',
    description: "Serves a workflow's audit trail from the event log.",
    tables: { state: 'read', eventLog: 'read' },
    route: 'GET /workflows/{id}/events',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  guardian: {
    entry: 'lambdas/handlers/guardian.ts',
    description: 'Workflow task: records the goal and screens it with the LLM guardian.',
    tables: { eventLog: 'readWrite', state: 'readWrite' },
    aslPlaceholder: 'GuardianFunctionArn',
    reads: ['model', 'guardrail'],
    timeoutSeconds: 60,
    memoryMiB: 512,
  },
  planner: {
    entry: 'lambdas/handlers/planner.ts',
    description: 'Workflow task: turns the goal into a validated plan (a DAG of tool steps).',
    tables: { eventLog: 'readWrite', state: 'readWrite', cache: 'readWrite' },
    deletesFrom: ['cache'],
    aslPlaceholder: 'PlannerFunctionArn',
    reads: ['model', 'httpTool'],
    timeoutSeconds: 120,
    memoryMiB: 512,
  },
  step: {
    entry: 'lambdas/handlers/step.ts',
    description: 'Workflow task: runs one plan step with its tool, exactly once per (workflow, step).',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    aslPlaceholder: 'StepFunctionArn',
    reads: ['model', 'httpTool'],
    timeoutSeconds: 120,
    memoryMiB: 512,
  },
  finalize: {
    entry: 'lambdas/handlers/finalize.ts',
    description:
      "Workflow task: aggregates the steps' outputs into the result and records WorkflowCompleted.",
    tables: { eventLog: 'readWrite', state: 'readWrite' },
    aslPlaceholder: 'FinalizeFunctionArn',
    timeoutSeconds: 60,
    memoryMiB: 256,
  },
  compensate: {
    entry: 'lambdas/handlers/compensate.ts',
    description: 'Workflow task (saga): undoes completed steps in reverse order and records the failure.',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    aslPlaceholder: 'CompensateFunctionArn',
    timeoutSeconds: 300,
    memoryMiB: 512,
  },
  publisher: {
    entry: 'lambdas/handlers/publish-events.ts',
    description:
      'Publishes every event appended to the event log to the event bus (from the log table stream).',
    tables: {},
    streamSource: 'eventLog',
    putsEvents: true,
    timeoutSeconds: 60,
    memoryMiB: 256,
  },
  requestApproval: {
    entry: 'lambdas/handlers/request-approval.ts',
    description:
      "Workflow task (callback): stores the approval wait's task token and records ApprovalRequested.",
    tables: { eventLog: 'readWrite', state: 'readWrite' },
    aslPlaceholder: 'RequestApprovalFunctionArn',
    timeoutSeconds: 30,
    memoryMiB: 256,
  },
  signal: {
    entry: 'lambdas/handlers/signal.ts',
    description: "Answers a workflow's pending human approval (approve or deny) through its task token.",
    tables: { state: 'readWrite', eventLog: 'readWrite' },
    stepFunctions: ['states:SendTaskSuccess', 'states:SendTaskFailure'],
    route: 'POST /workflows/{id}/signals/approval',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  cancel: {
    entry: 'lambdas/handlers/cancel.ts',
    description:
      'Cancels a running or waiting workflow (cooperative: the saga rolls back and ends it cancelled).',
    tables: { state: 'readWrite', eventLog: 'readWrite' },
    stepFunctions: ['states:SendTaskFailure', 'states:DescribeExecution', 'states:RedriveExecution'],
    route: 'POST /workflows/{id}/cancel',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
  janitor: {
    entry: 'lambdas/handlers/janitor.ts',
    description:
      'Rolls back workflows whose execution was stopped, timed out or failed outside the Catch (exactly once).',
    tables: { eventLog: 'readWrite', state: 'readWrite', bookings: 'readWrite' },
    executionStatusRule: ['FAILED', 'TIMED_OUT', 'ABORTED'],
    timeoutSeconds: 300,
    memoryMiB: 512,
  },
  redrive: {
    entry: 'lambdas/handlers/redrive.ts',
    description: 'Resumes a failed workflow from the state where it failed (Step Functions redrive).',
    tables: { state: 'readWrite' },
    stepFunctions: ['states:DescribeExecution', 'states:RedriveExecution'],
    route: 'POST /workflows/{id}/redrive',
    timeoutSeconds: 10,
    memoryMiB: 256,
  },
} as const satisfies Record<string, FunctionSpec>;

export type FunctionName = keyof typeof functionSpecs;

/** The ASL file: the only copy of the workflow definition. */
export const workflowDefinitionPath = 'statemachines/workflow.asl.json';
