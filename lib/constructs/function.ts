import { fileURLToPath } from 'node:url';
import { type Duration, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import {
  type BundlingOptions,
  NodejsFunction,
  type NodejsFunctionProps,
  OutputFormat,
} from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import type { BuildOptions } from 'esbuild';

/**
 * How every Lambda is bundled, as data: CDK renders it for NodejsFunction ({@link cdkBundling}) and
 * `npm run bench` bundles with the same data through esbuild's API ({@link esbuildOptions}), so the
 * measured bundles are the deployed ones.
 */
export interface LambdaBundle {
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /** Whether the source map carries the sources themselves (not needed to map a stack trace). */
  readonly sourcesContent: boolean;
  /** Left as imports: provided by the runtime, or shipped next to the bundle (`sideFiles`). */
  readonly external: readonly string[];
  readonly mainFields: readonly string[];
  readonly banner: string;
  /**
   * Files copied next to `index.mjs` when the bundle imports them (`./<name>`, kept external):
   * project-relative path by file name.
   */
  readonly sideFiles: Readonly<Record<string, string>>;
}

const projectRootDir = fileURLToPath(new URL('../../', import.meta.url));

export const lambdaBundle: LambdaBundle = {
  format: 'esm',
  target: 'node24',
  minify: true,
  // Stack traces map to the TypeScript (NODE_OPTIONS=--enable-source-maps), from file names and
  // positions only: Node parses the whole map when the bundle loads, and the sources in it made it
  // 3-4 times bigger (measured: ~50 ms of the planner's cold import).
  sourceMap: true,
  sourcesContent: false,
  external: [
    // The Lambda runtime ships the AWS SDK v3; bundling it again only grows cold starts.
    '@aws-sdk/*',
    // Data as data: the cache's word vectors (~400 KB of JSON) and the city catalog (~93 KB), files
    // next to the bundles that import them, parsed by Node's JSON import instead of compiled as
    // JavaScript (see sideFiles).
    './vocabulary.json',
    './catalog-data.json',
  ],
  mainFields: ['module', 'main'],
  // Some dependencies still call require(); an ESM bundle has to provide it.
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
  sideFiles: {
    'vocabulary.json': 'lambdas/domain/cache/vocabulary.json',
    'catalog-data.json': 'lambdas/domain/catalog-data.json',
  },
};

/** The bundle as NodejsFunction bundling options (and a hook that copies the side files). */
export function cdkBundling(bundle: LambdaBundle): BundlingOptions {
  const copies = Object.entries(bundle.sideFiles).map(
    ([name, source]) =>
      (inputDir: string, outputDir: string) =>
        `if grep -q '"./${name}"' "${outputDir}/index.mjs"; then cp "${inputDir}/${source}" "${outputDir}/${name}"; fi`,
  );
  return {
    format: OutputFormat.ESM,
    target: bundle.target,
    minify: bundle.minify,
    sourceMap: bundle.sourceMap,
    sourcesContent: bundle.sourcesContent,
    externalModules: [...bundle.external],
    mainFields: [...bundle.mainFields],
    banner: bundle.banner,
    commandHooks: {
      beforeBundling: () => [],
      beforeInstall: () => [],
      afterBundling: (inputDir, outputDir) => copies.map((copy) => copy(inputDir, outputDir)),
    },
  };
}

/**
 * The bundle as esbuild `build()` options for one entry (what CDK runs: `esbuild --bundle <entry>
 * --platform=node --outfile=<dir>/index.mjs ...`), with a metafile. Copy the side files with
 * {@link sideFilesOf}.
 */
export function esbuildOptions(
  bundle: LambdaBundle,
  entry: string,
  outdir: string,
): BuildOptions & { metafile: true } {
  return {
    entryPoints: [entry],
    bundle: true,
    platform: 'node',
    format: bundle.format,
    target: bundle.target,
    outfile: `${outdir}/index.mjs`,
    minify: bundle.minify,
    sourcemap: bundle.sourceMap,
    sourcesContent: bundle.sourcesContent,
    external: [...bundle.external],
    mainFields: [...bundle.mainFields],
    banner: { js: bundle.banner },
    absWorkingDir: projectRootDir,
    metafile: true,
    logLevel: 'warning',
  };
}

/** Side files the bundled code imports: [file name, absolute source]. */
export function sideFilesOf(bundle: LambdaBundle, code: string): [string, string][] {
  return Object.entries(bundle.sideFiles)
    .filter(([name]) => code.includes(`"./${name}"`))
    .map(([name, source]) => [name, `${projectRootDir}${source}`]);
}

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
 * Every Lambda of the stack: Node.js 24 on ARM64, an esbuild-bundled minified ESM bundle with source maps
 * ({@link lambdaBundle}), the AWS SDK v3 taken from the runtime, X-Ray tracing, its own log group with a retention, Powertools
 * settings, and its own role that starts with nothing but writing to that log group (callers grant the rest).
 * Its `currentVersion`, when used, is retained across deploys (running workflows pin it).
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
      bundling: { ...cdkBundling(lambdaBundle), ...bundling },
      // `currentVersion` (what the workflow's definition pins) is kept when a deploy publishes the next one:
      // executions that started before the deploy still invoke it.
      currentVersionOptions: { removalPolicy: RemovalPolicy.RETAIN, ...rest.currentVersionOptions },
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
