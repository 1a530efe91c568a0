import { readFileSync } from 'node:fs';
import { CfnDeletionPolicy, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IVersion } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import {
  type CfnStateMachine,
  CfnStateMachineAlias,
  CfnStateMachineVersion,
  DefinitionBody,
  LogLevel,
  StateMachine,
  StateMachineType,
} from 'aws-cdk-lib/aws-stepfunctions';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';

/** How the alias moves to the version a deploy publishes (CloudFormation's DeploymentPreference). */
export type WorkflowDeployment = Omit<
  CfnStateMachineAlias.DeploymentPreferenceProperty,
  'stateMachineVersionArn'
>;

/** Props of {@link Workflow}. */
export interface WorkflowProps {
  /** Absolute path of the ASL file (the only copy of the workflow). */
  readonly definitionPath: string;
  /**
   * The task functions, by the ASL placeholder (without `${}`) that names them, as the published Lambda
   * versions the definition pins (e.g. `fn.currentVersion`): an execution runs the code it started with.
   */
  readonly taskFunctions: Readonly<Record<string, IVersion>>;
  /**
   * Further `${Name}` substitutions (table names, bus name, ...) should the ASL ever need them.
   * @default - none
   */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** How long the execution log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /** What happens to the execution log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /**
   * Name of the alias new executions start through.
   * @default 'live'
   */
  readonly aliasName?: string;
  /**
   * How the alias shifts to a newly published version (`ALL_AT_ONCE`, or `CANARY`/`LINEAR` with
   * `percentage`, `interval` in minutes and optional `alarms` that roll it back).
   * @default { type: 'ALL_AT_ONCE' }
   */
  readonly deployment?: WorkflowDeployment;
}

/** `${Name}` placeholders of an ASL document, in order of appearance, without duplicates. */
export function aslPlaceholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? ''))];
}

/**
 * The workflow: one Standard state machine from the ASL file, every placeholder substituted, all events
 * logged without execution data (inputs may hold redacted goals, still nothing for a log), X-Ray tracing
 * on, and a role that may invoke the task functions and nothing else.
 *
 * Deploys do not change the code under a running execution (a Standard execution may wait days for an
 * approval): the definition names version-qualified Lambda ARNs, each deploy that changes the state
 * machine publishes a new version (the old one is retained, as are the old Lambda versions), and new
 * executions start through an alias that moves to the new version. An execution, and a redrive of it,
 * runs on the version it started with.
 */
export class Workflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;
  /** The version this deploy published. */
  readonly version: CfnStateMachineVersion;
  /** The alias new executions start through. */
  readonly alias: CfnStateMachineAlias;
  /** ARN of {@link alias} (`arn:…:stateMachine:<name>:<alias>`): what StartExecution is called on. */
  readonly aliasArn: string;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const definition = readFileSync(props.definitionPath, 'utf8');
    const placeholders = aslPlaceholders(definition);
    const taskArns = Object.fromEntries(
      // A version's ARN is qualified (…:function:name:7): the execution keeps calling that code.
      Object.entries(props.taskFunctions).map(([name, version]) => [name, version.functionArn]),
    );
    const unused = Object.keys(taskArns).filter((name) => !placeholders.includes(name));
    if (unused.length > 0) {
      throw new Error(`${props.definitionPath} names no task for: ${unused.join(', ')}`);
    }
    // Only what the ASL uses: an unused substitution would still make the state machine depend on it.
    const available: Record<string, string> = { ...props.substitutions, ...taskArns };
    const missing = placeholders.filter((name) => !(name in available));
    if (missing.length > 0) {
      throw new Error(`${props.definitionPath} has placeholders without a value: ${missing.join(', ')}`);
    }
    const substitutions = Object.fromEntries(placeholders.map((name) => [name, available[name] ?? '']));

    this.logGroup = new LogGroup(this, 'ExecutionLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    // Inline (not fromFile, which uploads an S3 asset): the definition stays visible in the template,
    // in `cdk diff` and in tests.
    this.stateMachine = new StateMachine(this, 'StateMachine', {
      stateMachineType: StateMachineType.STANDARD,
      definitionBody: DefinitionBody.fromString(definition),
      definitionSubstitutions: substitutions,
      logs: { destination: this.logGroup, level: LogLevel.ALL, includeExecutionData: false },
      tracingEnabled: true,
    });
    // Any version of the task functions, and nothing else: executions started before a deploy still call
    // the versions their state machine version names.
    const invoked = Object.values(props.taskFunctions).map((version) => `${version.lambda.functionArn}:*`);
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({ actions: ['lambda:InvokeFunction'], resources: invoked }),
    );
    const stack = Stack.of(this);
    // Scoped to the role's policy document, where the findings are.
    const policy = this.stateMachine.role.node.findChild('DefaultPolicy');
    Validations.of(policy).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Granted by CDK for logging and tracing, whose actions support no resource-level permissions: the ' +
        'CloudWatch Logs vended-log-delivery actions (logs:CreateLogDelivery, ...) and X-Ray ' +
        '(xray:PutTraceSegments, GetSamplingRules, ...). Lambda invocation is limited to the task functions.',
    });
    for (const arn of invoked) {
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(stack.resolve(arn))}]`,
        reason:
          'The versions of one task function (`<function ARN>:*`): the definition names version-qualified ARNs, ' +
          'and executions started before a deploy keep invoking the (retained) versions of their own ' +
          'state machine version, whose numbers are only known at deploy time.',
      });
    }

    // Every change of definition or configuration is a new revision; a new revision id replaces this
    // resource, which publishes a new version. The replaced version is retained: executions running on
    // it (or redriven later) still need it. CloudFormation does not delete it; clean up versions without
    // executions out of band (1,000 versions per state machine).
    const cfnStateMachine = this.stateMachine.node.defaultChild as CfnStateMachine;
    this.version = new CfnStateMachineVersion(this, 'Version', {
      stateMachineArn: this.stateMachine.stateMachineArn,
      stateMachineRevisionId: cfnStateMachine.attrStateMachineRevisionId,
    });
    this.version.cfnOptions.updateReplacePolicy = CfnDeletionPolicy.RETAIN;
    // With the state machine, Step Functions deletes its versions anyway; Retain only keeps CloudFormation
    // from deleting a version a running execution uses when the resource leaves the template.
    this.version.cfnOptions.deletionPolicy = CfnDeletionPolicy.RETAIN;
    this.alias = new CfnStateMachineAlias(this, 'Alias', {
      name: props.aliasName ?? 'live',
      description: 'New executions start here; it moves to the version each deploy publishes.',
      deploymentPreference: {
        ...(props.deployment ?? { type: 'ALL_AT_ONCE' }),
        stateMachineVersionArn: this.version.ref, // Ref: the version ARN
      },
    });
    this.aliasArn = this.alias.ref; // Ref: the alias ARN
  }
}
