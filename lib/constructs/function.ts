import { type Duration, type RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { NodejsFunction, type NodejsFunctionProps, OutputFormat } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

/** Props of {@link FunctionWithLogGroup}. */
export interface FunctionWithLogGroupProps
  extends Omit<
    NodejsFunctionProps,
    'runtime' | 'architecture' | 'tracing' | 'logGroup' | 'role' | 'timeout'
  > {
  /** Handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly timeout: Duration;
  /** How long the function's own log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /** What happens to the log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
  /** Powertools `POWERTOOLS_SERVICE_NAME`. */
  readonly serviceName: string;
  /** Powertools `POWERTOOLS_METRICS_NAMESPACE`. */
  readonly metricsNamespace: string;
  /**
   * Powertools `POWERTOOLS_LOG_LEVEL`.
   * @default 'INFO'
   */
  readonly logLevel?: string;
}

/**
 * Every Lambda of the stack: Node.js 24 on ARM64, an esbuild-bundled minified ESM bundle with source maps,
 * the AWS SDK v3 taken from the runtime, X-Ray tracing, its own log group with a retention, Powertools
 * settings, and its own role that starts with nothing but writing to that log group (callers grant the rest).
 */
export class FunctionWithLogGroup extends NodejsFunction {
  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    const {
      logRetention,
      logRemovalPolicy,
      serviceName,
      metricsNamespace,
      logLevel = 'INFO',
      bundling,
      environment,
      ...rest
    } = props;
    // Created in the parent scope: a constructor cannot add children before super().
    const logGroup = new LogGroup(scope, `${id}LogGroup`, {
      retention: logRetention,
      removalPolicy: logRemovalPolicy,
    });
    // An explicit role instead of AWSLambdaBasicExecutionRole: the managed policy may write to any log group.
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Execution role of the ${id} function`,
    });
    super(scope, id, {
      ...rest,
      runtime: Runtime.NODEJS_24_X,
      architecture: Architecture.ARM_64,
      tracing: Tracing.ACTIVE,
      logGroup,
      role,
      environment: {
        NODE_OPTIONS: '--enable-source-maps',
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
        POWERTOOLS_LOG_LEVEL: logLevel,
        ...environment,
      },
      bundling: {
        format: OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        // The Lambda runtime ships the AWS SDK v3; bundling it again only grows cold starts.
        externalModules: ['@aws-sdk/*'],
        mainFields: ['module', 'main'],
        // Some dependencies still call require(); an ESM bundle has to provide it.
        banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
        ...bundling,
      },
    });
    logGroup.grantWrite(role);
    // Scoped to the role's policy document, where the finding is.
    Validations.of(role.node.findChild('DefaultPolicy')).acknowledge({
      id: 'AwsSolutions-IAM5[Resource::*]',
      reason:
        'Active tracing: xray:PutTraceSegments and xray:PutTelemetryRecords support no resource-level ' +
        'permissions (AWS X-Ray IAM reference), so CDK grants them on "*". Nothing else here uses "*".',
    });
  }
}
