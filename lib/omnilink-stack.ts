import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  ArnFormat,
  CfnOutput,
  Duration,
  RemovalPolicy,
  Stack,
  type StackProps,
  Validations,
} from 'aws-cdk-lib';
import { Alarm } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction } from 'aws-cdk-lib/aws-events-targets';
import { Grant, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import type { Construct } from 'constructs';
import { type ModelProviderName, modelProviders } from '../lambdas/domain/llm/provider.ts';
import { Api, type ApiRoute } from './constructs/api.ts';
import { WorkflowEventBus } from './constructs/event-bus.ts';
import { DEFAULT_EVENT_SOURCE, EventPublishing } from './constructs/event-publishing.ts';
import { ExecutionJanitor } from './constructs/execution-janitor.ts';
import { FunctionWithLogGroup } from './constructs/function.ts';
import { Identity } from './constructs/identity.ts';
import {
  DEFAULT_LLM_PROVIDER,
  ModelAccess,
  type ModelSettingsInput,
  resolveModelSettings,
} from './constructs/model-access.ts';
import { Observability } from './constructs/observability.ts';
import { PushChannel } from './constructs/push-channel.ts';
import { pascal, Tables } from './constructs/tables.ts';
import { Workflow, type WorkflowDeployment } from './constructs/workflow.ts';
import { type FunctionEnvironmentSettings, functionEnvironment } from './function-environment.ts';
import {
  type AccessLevel,
  type FunctionName,
  type FunctionSpec,
  functionSpecs,
  streamMappingOf,
  type TableName,
  tableSpecs,
  workflowDefinitionPath,
} from './specs.ts';

/** LLM providers the functions understand (lambdas/domain/llm/provider.ts). */
export type LlmProvider = ModelProviderName;

/**
 * Settings of the stack. Each one is also read from the CDK context under the same name
 * (`cdk deploy -c rateLimitPerMinute=60`), props taking precedence over context.
 */
export interface OmnilinkStackProps extends StackProps, Omit<ModelSettingsInput, 'llmProvider'> {
  /**
   * Issuer of an existing OIDC provider the API should trust instead of a user pool of its own.
   * @default - a Cognito user pool and app client are created and are the issuer/audience
   */
  readonly oidcIssuer?: string;
  /**
   * Audiences accepted with `oidcIssuer` (a list, or a comma-separated string in context).
   * @default - required when `oidcIssuer` is set
   */
  readonly oidcAudience?: readonly string[];
  /**
   * Requests a minute each user may submit to the producer (`RATE_LIMIT_PER_MINUTE`).
   * @default 120
   */
  readonly rateLimitPerMinute?: number;
  /**
   * Burst each user may submit above the steady rate (`RATE_LIMIT_BURST`).
   * @default 30
   */
  readonly rateLimitBurst?: number;
  /**
   * Steady-state requests per second of the API stage, all users together.
   * @default 50
   */
  readonly apiThrottleRate?: number;
  /**
   * Burst capacity of the API stage, all users together.
   * @default 100
   */
  readonly apiThrottleBurst?: number;
  /**
   * Retention of every log group (functions, executions, access logs); a CloudWatch Logs retention value.
   * @default 30
   */
  readonly logRetentionDays?: number;
  /**
   * Model provider of the guardian, planner and `llm_generate` (`LLM_PROVIDER`). `bedrock` needs model
   * access to `bedrockModelId` in the account and Region; `offline` runs the deterministic rules.
   * @default 'bedrock'
   */
  readonly llmProvider?: LlmProvider;
  /**
   * Powertools log level of the functions (`POWERTOOLS_LOG_LEVEL`).
   * @default 'INFO'
   */
  readonly logLevel?: string;
  /**
   * What happens to data (tables, user pool, log groups) when the stack is deleted: `retain` keeps it.
   * @default 'retain'
   */
  readonly removalPolicy?: 'retain' | 'destroy';
  /**
   * Seconds a workflow waits for a human approval before it is cancelled (`APPROVAL_TIMEOUT_SECONDS`).
   * @default 86400
   */
  readonly approvalTimeoutSeconds?: number;
  /**
   * `Source` of the lifecycle events on the bus (`EVENT_SOURCE`); also read from context `eventSource`.
   * @default 'omnilink.orchestrator'
   */
  readonly eventSource?: string;
  /**
   * E-mail address notified of every alarm (through a KMS-encrypted SNS topic); also context `alarmEmail`.
   * @default - no subscription
   */
  readonly alarmEmail?: string;
  /**
   * Create the alarm SNS topic even without an e-mail subscription; also context `alarmTopic=true`.
   * @default false
   */
  readonly alarmTopic?: boolean;
  /**
   * Create a Cognito app client for the post-deploy smoke test's CI user (USER_PASSWORD_AUTH; output
   * `CiClientId`); also context `smokeTestClient=true`. Ignored with `oidcIssuer`.
   * @default false
   */
  readonly smokeTestClient?: boolean;
  /**
   * How the workflow's alias moves to the state machine version a deploy publishes: `ALL_AT_ONCE`, or
   * `CANARY`/`LINEAR` with `percentage`, `interval` (minutes) and `alarms` that roll it back.
   * @default { type: 'ALL_AT_ONCE' }
   */
  readonly workflowDeployment?: WorkflowDeployment;
}

const READ_ACTIONS = [
  'dynamodb:GetItem',
  'dynamodb:BatchGetItem',
  'dynamodb:Query',
  'dynamodb:ConditionCheckItem',
  'dynamodb:DescribeTable',
] as const;
const WRITE_ACTIONS = ['dynamodb:PutItem', 'dynamodb:UpdateItem', 'dynamodb:DescribeTable'] as const;

/** DynamoDB actions per access level of lib/specs.ts: the calls lambdas/io makes, nothing more. */
const tableActions: Readonly<Record<AccessLevel, readonly string[]>> = {
  read: READ_ACTIONS,
  write: WRITE_ACTIONS,
  readWrite: [...new Set([...READ_ACTIONS, ...WRITE_ACTIONS])],
};

/** The project root: entries in `lib/specs.ts` are relative to it. */
const projectRoot = fileURLToPath(new URL('../', import.meta.url));
const fromRoot = (path: string): string => join(projectRoot, path);

/**
 * Omnilink's agent orchestrator: HTTP API → skinny producer → Step Functions Standard workflow, with the
 * event log, state and bookings tables, the lifecycle event bus and the identity that guards the API.
 */
export class OmnilinkStack extends Stack {
  readonly functions: Readonly<Record<FunctionName, FunctionWithLogGroup>>;
  readonly tables: Tables;
  readonly workflow: Workflow;
  readonly api: Api;
  readonly identity: Identity;
  readonly eventBus: WorkflowEventBus;
  readonly eventPublishing: EventPublishing;
  /** Rolls back executions that were stopped, timed out or failed outside the Catch. */
  readonly executionJanitor: ExecutionJanitor;
  /** Model configuration and grants of the guardian, planner and step functions. */
  readonly models: ModelAccess;
  /** The dashboard and alarms. */
  readonly observability: Observability;
  /** Live events: the WebSocket API, its routes and the stream consumer that posts to connections. */
  readonly pushChannel: PushChannel;

  constructor(scope: Construct, id: string, props: OmnilinkStackProps = {}) {
    super(scope, id, props);
    const settings = resolveSettings(this, props);
    const logRetention = settings.logRetentionDays;
    const removalPolicy = settings.removalPolicy === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY;

    this.tables = new Tables(this, 'Tables', { removalPolicy });
    this.eventBus = new WorkflowEventBus(this, 'Events');
    this.identity = new Identity(this, 'Identity', {
      oidcIssuer: settings.oidcIssuer,
      oidcAudience: settings.oidcAudience,
      removalPolicy,
      ciClient: settings.smokeTestClient,
    });

    const modelSettings = resolveModelSettings(
      this,
      { ...props, llmProvider: settings.llmProvider },
      settings.llmProvider,
    );
    const contextSource: unknown = this.node.tryGetContext('eventSource');
    const eventSource =
      props.eventSource ?? (typeof contextSource === 'string' ? contextSource : DEFAULT_EVENT_SOURCE);
    const environmentSettings: FunctionEnvironmentSettings = {
      serviceName: 'omnilink-orchestrator',
      metricsNamespace: 'Omnilink',
      logLevel: settings.logLevel,
      rateLimitPerMinute: settings.rateLimitPerMinute,
      rateLimitBurst: settings.rateLimitBurst,
      approvalTimeoutSeconds: settings.approvalTimeoutSeconds,
      eventSource,
      models: modelSettings,
    };
    const needsStateMachineArn: FunctionWithLogGroup[] = [];
    // The push channel is made after its functions: its URL is set on them then.
    const needsCallbackUrl: FunctionWithLogGroup[] = [];
    // The WebSocket authorizer checks the tokens the HTTP API's JWT authorizer checks. Cognito (and
    // most OIDC providers) publish the keys at `<issuer>/.well-known/jwks.json`.
    const jwt = {
      jwtIssuer: this.identity.issuer,
      jwtAudience: this.identity.audience.join(','),
      jwksUrl: `${this.identity.issuer}/.well-known/jwks.json`,
    };
    const names = Object.keys(functionSpecs) as FunctionName[];
    const functions = Object.fromEntries(
      names.map((name) => {
        const spec: FunctionSpec = functionSpecs[name];
        const fn = new FunctionWithLogGroup(this, `${pascal(name)}Function`, {
          entry: fromRoot(spec.entry),
          description: spec.description,
          timeout: Duration.seconds(spec.timeoutSeconds),
          memorySize: spec.memoryMiB,
          logRetention,
          logRemovalPolicy: removalPolicy,
          serviceName: 'omnilink-orchestrator',
          metricsNamespace: 'Omnilink',
          logLevel: settings.logLevel,
        });
        // The environment from the one definition the local runtime uses too (lib/function-environment.ts).
        const environment = functionEnvironment(name, environmentSettings);
        for (const [key, value] of Object.entries(environment)) {
          if (typeof value === 'string') fn.addEnvironment(key, value);
          else if (value.ref === 'table') fn.addEnvironment(key, this.tables.byName[value.table].tableName);
          else if (value.ref === 'eventBusName') fn.addEnvironment(key, this.eventBus.bus.eventBusName);
          else if (value.ref === 'websocketCallbackUrl') needsCallbackUrl.push(fn);
          else if (value.ref === 'stateMachineArn')
            needsStateMachineArn.push(fn); // made after its tasks
          else fn.addEnvironment(key, jwt[value.ref]);
        }
        for (const [tableName, access] of Object.entries(spec.tables) as [TableName, AccessLevel][]) {
          const table = this.tables.byName[tableName];
          // What the handlers call, not CDK's grant*Data (which add Scan, BatchWriteItem and DeleteItem:
          // a workflow task could then delete audit-trail events).
          // On the table only: CDK's table.grant would add `index/*` for every function of a table
          // with an index; Query on an index goes to the functions whose spec lists it (`queries`).
          const onTable = (...actions: string[]) =>
            Grant.addToPrincipal({ grantee: fn, actions, resourceArns: [table.tableArn] });
          onTable(...tableActions[access]);
          if ((spec.deletesFrom as readonly TableName[] | undefined)?.includes(tableName)) {
            onTable('dynamodb:DeleteItem');
          }
        }
        for (const { table, index } of spec.queries ?? []) {
          Grant.addToPrincipal({
            grantee: fn,
            actions: ['dynamodb:Query'],
            resourceArns: [`${this.tables.byName[table].tableArn}/index/${index}`],
          });
        }
        if (spec.putsEvents === true) this.eventBus.bus.grantPutEventsTo(fn);
        return [name, fn];
      }),
    ) as Record<FunctionName, FunctionWithLogGroup>;
    this.functions = functions;

    // The configured model (and http_request allow-list): environment and least-privilege grants.
    this.models = new ModelAccess(this, 'Models', {
      settings: modelSettings,
      modelFunctions: [functions.guardian, functions.planner, functions.step],
      guardrailFunction: functions.guardian,
      toolFunction: functions.step,
    });

    // Every event appended to the log is published to the bus, from the log table's stream.
    this.eventPublishing = new EventPublishing(this, 'EventPublishing', {
      publisher: functions.publisher,
      table: this.tables.byName[functionSpecs.publisher.streamSource],
      bus: this.eventBus.bus,
      source: eventSource,
      removalPolicy,
      mapping: streamMappingOf('publisher'),
    });

    // Live events over WebSocket, from the same log stream, authorized by the same JWTs.
    const pushRoutes = names.flatMap((name) =>
      ((functionSpecs[name] as FunctionSpec).websocketRoutes ?? []).map((route) => ({
        route,
        handler: functions[name],
      })),
    );
    const pushConsumer = names.find((name) => {
      const spec: FunctionSpec = functionSpecs[name];
      return spec.streamSource === 'eventLog' && spec.postsToConnections === true;
    });
    const pushAuthorizer = names.find((name) => (functionSpecs[name] as FunctionSpec).websocketAuthorizer);
    if (!pushConsumer || !pushAuthorizer) throw new Error('the specs define no push channel');
    this.pushChannel = new PushChannel(this, 'PushChannel', {
      authorizer: functions[pushAuthorizer],
      routes: pushRoutes,
      posters: needsCallbackUrl,
      consumer: functions[pushConsumer],
      eventLog: this.tables.byName.eventLog,
      mapping: streamMappingOf(pushConsumer),
      throttleRate: settings.apiThrottleRate,
      throttleBurst: settings.apiThrottleBurst,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });
    for (const fn of needsCallbackUrl)
      fn.addEnvironment('WEBSOCKET_CALLBACK_URL', this.pushChannel.callbackUrl);

    // The state machine depends on the task functions; the API functions depend on the state machine.
    const taskFunctions = Object.fromEntries(
      names.flatMap((name) => {
        const placeholder: string | undefined = (functionSpecs[name] as FunctionSpec).aslPlaceholder;
        // The published version: an execution keeps running the code it started with across deploys.
        return placeholder === undefined ? [] : [[placeholder, functions[name].currentVersion]];
      }),
    );
    this.workflow = new Workflow(this, 'Workflow', {
      definitionPath: fromRoot(workflowDefinitionPath),
      taskFunctions,
      substitutions: {
        EventBusName: this.eventBus.bus.eventBusName,
        ...Object.fromEntries(
          (Object.keys(tableSpecs) as TableName[]).map((t) => [
            `${pascal(t)}TableName`,
            this.tables.byName[t].tableName,
          ]),
        ),
      },
      logRetention,
      logRemovalPolicy: removalPolicy,
      ...(props.workflowDeployment ? { deployment: props.workflowDeployment } : {}),
    });
    for (const fn of needsStateMachineArn) {
      fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.stateMachine.stateMachineArn);
    }
    for (const name of names) {
      const spec: FunctionSpec = functionSpecs[name];
      if (spec.stepFunctions !== undefined && spec.stepFunctions.length > 0) {
        this.grantStepFunctions(functions[name], spec.stepFunctions);
      }
    }

    // Executions that die outside the happy path: their status-change events run the janitor.
    this.executionJanitor = new ExecutionJanitor(this, 'ExecutionJanitor', {
      stateMachine: this.workflow.stateMachine,
      janitor: functions.janitor,
      statuses: functionSpecs.janitor.executionStatusRule,
      removalPolicy,
    });

    // Scheduled functions (the rollback-deadline sweep): an EventBridge schedule each, retried twice.
    for (const name of names) {
      const schedule: string | undefined = (functionSpecs[name] as FunctionSpec).schedule;
      if (schedule === undefined) continue;
      new Rule(this, `${pascal(name)}Schedule`, {
        description: `Runs the ${name} function: ${functionSpecs[name].description}`,
        schedule: Schedule.expression(schedule),
        targets: [new LambdaFunction(functions[name], { retryAttempts: 2 })],
      });
    }

    const routes: ApiRoute[] = names.flatMap((name) => {
      const route: string | undefined = (functionSpecs[name] as FunctionSpec).route;
      return route === undefined ? [] : [{ route, handler: functions[name] }];
    });
    this.api = new Api(this, 'Api', {
      routes,
      jwtIssuer: this.identity.issuer,
      jwtAudience: this.identity.audience,
      throttleRate: settings.apiThrottleRate,
      throttleBurst: settings.apiThrottleBurst,
      logRetention,
      logRemovalPolicy: removalPolicy,
    });

    // The dashboard and alarms, on the functions' Powertools metrics (same namespace and service as above).
    const alarmEmail: unknown = props.alarmEmail ?? this.node.tryGetContext('alarmEmail');
    const alarmTopic: unknown = props.alarmTopic ?? this.node.tryGetContext('alarmTopic');
    // Alarms made by other constructs (e.g. the publisher's dead-letter alarm) are shown and notify too.
    const otherAlarms = this.node.findAll().filter((c): c is Alarm => c instanceof Alarm);
    this.observability = new Observability(this, 'Observability', {
      namespace: 'Omnilink',
      serviceName: 'omnilink-orchestrator',
      stateMachine: this.workflow.stateMachine,
      httpApi: this.api.httpApi,
      functions,
      otherAlarms,
      alarmTopic: alarmTopic === true || alarmTopic === 'true',
      ...(typeof alarmEmail === 'string' && alarmEmail !== '' ? { alarmEmail } : {}),
      removalPolicy,
    });

    new CfnOutput(this, 'ApiUrl', { value: this.api.url, description: 'Base URL of the HTTP API' });
    new CfnOutput(this, 'PushUrl', {
      value: this.pushChannel.url,
      description: 'WebSocket URL of live events (connect with ?token=<JWT>; README "Live events")',
    });
    new CfnOutput(this, 'StateMachineArn', { value: this.workflow.stateMachine.stateMachineArn });
    new CfnOutput(this, 'StateMachineAliasArn', {
      value: this.workflow.aliasArn,
      description: 'The alias new executions start through (it moves to the version each deploy publishes)',
    });
    new CfnOutput(this, 'EventBusName', { value: this.eventBus.bus.eventBusName });
    for (const t of Object.keys(tableSpecs) as TableName[]) {
      new CfnOutput(this, `${pascal(t)}TableName`, { value: this.tables.byName[t].tableName });
    }
    new CfnOutput(this, 'JwtIssuer', { value: this.identity.issuer });
    if (this.identity.userPool !== undefined && this.identity.userPoolClient !== undefined) {
      new CfnOutput(this, 'UserPoolId', { value: this.identity.userPool.userPoolId });
      new CfnOutput(this, 'UserPoolClientId', { value: this.identity.userPoolClient.userPoolClientId });
    }
    if (this.identity.ciClient !== undefined) {
      new CfnOutput(this, 'CiClientId', {
        value: this.identity.ciClient.userPoolClientId,
        description: 'App client of the smoke test CI user (USER_PASSWORD_AUTH + TOTP)',
      });
    }
  }

  /**
   * Step Functions permissions from the spec, each on the narrowest resource the service allows:
   * StartExecution on the alias (new executions run the version this deploy published), task-token
   * answers on this state machine and its versions/aliases, everything else on its executions.
   */
  private grantStepFunctions(
    fn: FunctionWithLogGroup,
    actions: NonNullable<FunctionSpec['stepFunctions']>,
  ): void {
    const stateMachine = this.workflow.stateMachine;
    const policy = fn.role?.node.tryFindChild('DefaultPolicy') ?? fn;
    // StartExecution names the alias; task responses the state machine; the rest name an execution.
    const stateMachineActions: readonly string[] = ['states:StartExecution'];
    const taskTokenActions: readonly string[] = ['states:SendTaskSuccess', 'states:SendTaskFailure'];
    const onStateMachine = actions.filter((a) => stateMachineActions.includes(a));
    const onTaskTokens = actions.filter((a) => taskTokenActions.includes(a));
    const onExecutions = actions.filter(
      (a) => !stateMachineActions.includes(a) && !taskTokenActions.includes(a),
    );
    // One meaning everywhere: the ARN executions are started through. Handlers derive execution ARNs
    // from it (lambdas/domain/execution-arn.ts strips the alias qualifier).
    fn.addEnvironment('STATE_MACHINE_ARN', this.workflow.aliasArn);
    if (onTaskTokens.length > 0) {
      // IAM evaluates SendTaskSuccess/Failure against the state machine whose execution issued the token
      // (what CDK's grantTaskResponse scopes them to); `:*` covers its versions and aliases, which the
      // executions started through the alias run on.
      const versionsAndAliases = `${stateMachine.stateMachineArn}:*`;
      fn.addToRolePolicy(
        new PolicyStatement({
          actions: onTaskTokens,
          resources: [stateMachine.stateMachineArn, versionsAndAliases],
        }),
      );
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(this.resolve(versionsAndAliases))}]`,
        reason:
          'states:SendTaskSuccess/SendTaskFailure list no required resource type in the Service Authorization ' +
          'Reference for AWS Step Functions (https://docs.aws.amazon.com/service-authorization/latest/reference/' +
          "list_awsstepfunctions.html); they are authorized against the state machine of the token, as CDK's " +
          'grantTaskResponse does. ":*" is only the versions and aliases of this one state machine.',
      });
    }
    if (onStateMachine.length > 0) {
      fn.addToRolePolicy(
        new PolicyStatement({ actions: onStateMachine, resources: [this.workflow.aliasArn] }),
      );
    }
    if (onExecutions.length > 0) {
      // Execution ARNs name the state machine, never the alias or version they started through.
      const executions = this.formatArn({
        service: 'states',
        resource: 'execution',
        resourceName: `${stateMachine.stateMachineName}:*`,
        arnFormat: ArnFormat.COLON_RESOURCE_NAME,
      });
      fn.addToRolePolicy(new PolicyStatement({ actions: onExecutions, resources: [executions] }));
      Validations.of(policy).acknowledge({
        // The finding names the resource as cdk-nag flattens it; the region/partition may be literals or tokens.
        id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(this.resolve(executions))}]`,
        reason:
          'Execution ARNs are only known at run time (execution name = workflow id); the wildcard is ' +
          "confined to this workflow's own executions.",
      });
    }
  }
}

interface Settings {
  oidcIssuer: string | undefined;
  oidcAudience: string[] | undefined;
  rateLimitPerMinute: number;
  rateLimitBurst: number;
  apiThrottleRate: number;
  apiThrottleBurst: number;
  logRetentionDays: RetentionDays;
  llmProvider: LlmProvider;
  logLevel: string;
  removalPolicy: 'retain' | 'destroy';
  approvalTimeoutSeconds: number;
  smokeTestClient: boolean;
}

/** Props, else context (which arrives as strings from the command line), else defaults; validated. */
function resolveSettings(stack: Stack, props: OmnilinkStackProps): Settings {
  const context = (key: string): unknown => stack.node.tryGetContext(key);
  const text = (key: keyof OmnilinkStackProps): string | undefined => {
    const value = props[key] ?? context(key);
    if (value === undefined || value === null || value === '') return undefined;
    return String(value);
  };
  const positiveInt = (key: keyof OmnilinkStackProps, fallback: number): number => {
    const value = text(key);
    if (value === undefined) return fallback;
    const parsed = Number(value);
    if (!Number.isInteger(parsed) || parsed <= 0)
      throw new Error(`${key} must be a positive integer, got "${value}"`);
    return parsed;
  };
  const oneOf = <T extends string>(key: keyof OmnilinkStackProps, allowed: readonly T[], fallback: T): T => {
    const value = text(key);
    if (value === undefined) return fallback;
    const found = allowed.find((candidate) => candidate === value);
    if (found === undefined) throw new Error(`${key} must be one of ${allowed.join(', ')}, got "${value}"`);
    return found;
  };

  const audienceValue = props.oidcAudience ?? context('oidcAudience');
  const oidcAudience =
    audienceValue === undefined || audienceValue === null
      ? undefined
      : (Array.isArray(audienceValue) ? audienceValue.map(String) : String(audienceValue).split(','))
          .map((audience) => audience.trim())
          .filter((audience) => audience.length > 0);

  const logRetentionDays = positiveInt('logRetentionDays', 30);
  const retention = Object.values(RetentionDays).find(
    (days): days is RetentionDays => typeof days === 'number' && days === logRetentionDays,
  );
  if (retention === undefined) {
    throw new Error(
      `logRetentionDays must be a CloudWatch Logs retention (1, 3, 5, 7, 14, 30, ...), got ${logRetentionDays}`,
    );
  }

  return {
    oidcIssuer: text('oidcIssuer'),
    oidcAudience,
    rateLimitPerMinute: positiveInt('rateLimitPerMinute', 120),
    rateLimitBurst: positiveInt('rateLimitBurst', 30),
    approvalTimeoutSeconds: positiveInt('approvalTimeoutSeconds', 86_400),
    apiThrottleRate: positiveInt('apiThrottleRate', 50),
    apiThrottleBurst: positiveInt('apiThrottleBurst', 100),
    logRetentionDays: retention,
    // Bedrock is the default in AWS (grants and model id: lib/constructs/model-access.ts).
    llmProvider: oneOf('llmProvider', modelProviders, DEFAULT_LLM_PROVIDER),
    logLevel: oneOf('logLevel', ['DEBUG', 'INFO', 'WARN', 'ERROR', 'SILENT', 'CRITICAL'], 'INFO'),
    removalPolicy: oneOf('removalPolicy', ['retain', 'destroy'], 'retain'),
    smokeTestClient: oneOf('smokeTestClient', ['true', 'false'], 'false') === 'true',
  };
}
