import { readFileSync } from 'node:fs';
import { type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { DefinitionBody, LogLevel, StateMachine, StateMachineType } from 'aws-cdk-lib/aws-stepfunctions';
import { Construct } from 'constructs';

/** Props of {@link Workflow}. */
export interface WorkflowProps {
  /** Absolute path of the ASL file (the only copy of the workflow). */
  readonly definitionPath: string;
  /** The task functions, by the ASL placeholder (without `${}`) that names them. */
  readonly taskFunctions: Readonly<Record<string, IFunction>>;
  /**
   * Further `${Name}` substitutions (table names, bus name, ...) should the ASL ever need them.
   * @default - none
   */
  readonly substitutions?: Readonly<Record<string, string>>;
  /** How long the execution log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /** What happens to the execution log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/** `${Name}` placeholders of an ASL document, in order of appearance, without duplicates. */
export function aslPlaceholders(definition: string): string[] {
  return [...new Set([...definition.matchAll(/\$\{([A-Za-z0-9_]+)\}/g)].map((match) => match[1] ?? ''))];
}

/**
 * The workflow: one Standard state machine from the ASL file, every placeholder substituted, all events
 * logged without execution data (inputs may hold redacted goals, still nothing for a log), X-Ray tracing
 * on, and a role that may invoke the task functions and nothing else.
 */
export class Workflow extends Construct {
  readonly stateMachine: StateMachine;
  readonly logGroup: LogGroup;

  constructor(scope: Construct, id: string, props: WorkflowProps) {
    super(scope, id);
    const definition = readFileSync(props.definitionPath, 'utf8');
    const placeholders = aslPlaceholders(definition);
    const taskArns = Object.fromEntries(
      Object.entries(props.taskFunctions).map(([name, fn]) => [name, fn.functionArn]),
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
    // Only the unqualified ARNs the ASL names: `grantInvoke` would add `<arn>:*` (every version and alias).
    this.stateMachine.addToRolePolicy(
      new PolicyStatement({
        actions: ['lambda:InvokeFunction'],
        resources: Object.values(props.taskFunctions).map((fn) => fn.functionArn),
      }),
    );
    // Scoped to the role's policy document, where the finding is.
    Validations.of(this.stateMachine.role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Granted by CDK for logging and tracing, whose actions support no resource-level permissions: the ' +
        'CloudWatch Logs vended-log-delivery actions (logs:CreateLogDelivery, ...) and X-Ray ' +
        '(xray:PutTraceSegments, GetSamplingRules, ...). Lambda invocation is limited to the task functions.',
    });
  }
}
