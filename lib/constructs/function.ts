import { copyFileSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AssetHashType, type Duration, type ILocalBundling, RemovalPolicy, Validations } from 'aws-cdk-lib';
import { Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import {
  Architecture,
  Code,
  type FunctionProps,
  Function as LambdaFunction,
  Runtime,
  Tracing,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';
import { type BuildOptions, type BuildResult, build, buildSync } from 'esbuild';

/**
 * How every Lambda is bundled, as data: the stack bundles each function with it through esbuild's API
 * ({@link bundleFunctionSync}, CDK local bundling), and `npm run bench` and the local runtime bundle
 * with the same data ({@link bundleFunction}), so the measured and run bundles are the deployed ones.
 */
export interface LambdaBundle {
  readonly format: 'esm';
  readonly target: string;
  readonly minify: boolean;
  readonly sourceMap: boolean;
  /** Whether the source map carries the sources themselves (not needed to map a stack trace). */
  readonly sourcesContent: boolean;
  /**
   * Code behind a dynamic `import()` goes to chunk files next to `index.mjs`, loaded (compiled, and
   * source-mapped) when the import runs, not at the cold start.
   */
  readonly splitting: boolean;
  /** Project-relative modules put in every bundle ahead of its code (esbuild's `inject`). */
  readonly inject: readonly string[];
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
  // Stack traces map to the TypeScript, from file names and positions only (the sources in the map made
  // it 3-4 times bigger). The map is read when a stack is first formatted, not at the cold start: see
  // `inject`.
  sourceMap: true,
  sourcesContent: false,
  // What a function loads only on some invocations (the offline rules on Bedrock, the tools' undo
  // steps in a rollback) stays out of the cold start: Node compiles a module when it loads (measured,
  // then with --enable-source-maps on: the planner's cold import 128 → 117 ms).
  splitting: true,
  // Maps stack traces through the bundle's source maps when a stack is formatted, instead of
  // NODE_OPTIONS=--enable-source-maps, which reads and parses every map while the code loads (measured:
  // ~8 ms of the planner's cold import). See lambdas/middleware/stack-traces.ts.
  inject: ['lambdas/middleware/stack-traces.ts'],
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
  // Some dependencies still call require(); an ESM bundle has to provide it (each chunk its own).
  banner: "import { createRequire } from 'node:module';const require = createRequire(import.meta.url);",
  sideFiles: {
    'vocabulary.json': 'lambdas/domain/cache/vocabulary.json',
    'catalog-data.json': 'lambdas/domain/catalog-data.json',
  },
};

/**
 * The bundle as esbuild `build()` options for one entry: `<outdir>/index.mjs`, the chunks of its
 * dynamic imports beside it, with a metafile. {@link bundleFunction} also copies the side files.
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
    outdir,
    entryNames: 'index',
    chunkNames: '[name]-[hash]',
    outExtension: { '.js': '.mjs' },
    splitting: bundle.splitting,
    inject: [...bundle.inject],
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

/** What {@link bundleFunction} wrote. */
export interface BuiltBundle {
  readonly metafile: NonNullable<BuildResult['metafile']>;
  /** The JavaScript files, by name: `index.mjs` and its chunks. */
  readonly code: Readonly<Record<string, string>>;
  /** The side files copied next to them: [file name, absolute source]. */
  readonly sideFiles: readonly [string, string][];
}

const isCode = (name: string) => name.endsWith('.mjs');

/**
 * Bundles `entry` (project-relative or absolute) into `outdir` as it is deployed: `index.mjs`, its
 * chunks and source maps, and the side files any of them imports. `outdir` holds nothing else that
 * ends in `.mjs`.
 */
export async function bundleFunction(
  bundle: LambdaBundle,
  entry: string,
  outdir: string,
  root: string = projectRootDir,
): Promise<BuiltBundle> {
  const { metafile } = await build({ ...esbuildOptions(bundle, entry, outdir), absWorkingDir: root });
  return withSideFiles(bundle, outdir, metafile);
}

/** {@link bundleFunction}, synchronously: what CDK's local bundling runs (it cannot wait). */
export function bundleFunctionSync(bundle: LambdaBundle, entry: string, outdir: string): BuiltBundle {
  const { metafile } = buildSync(esbuildOptions(bundle, entry, outdir));
  return withSideFiles(bundle, outdir, metafile);
}

/** Reads what a build wrote to `outdir` and copies the side files its code imports next to it. */
function withSideFiles(bundle: LambdaBundle, outdir: string, metafile: BuiltBundle['metafile']): BuiltBundle {
  const code = Object.fromEntries(
    readdirSync(outdir)
      .filter(isCode)
      .map((name) => [name, readFileSync(join(outdir, name), 'utf8')]),
  );
  const sideFiles = sideFilesOf(bundle, Object.values(code).join('\n'));
  for (const [name, source] of sideFiles) copyFileSync(source, join(outdir, name));
  return { metafile, code, sideFiles };
}

/**
 * CDK local bundling of one entry. CDK tells one asset's bundling from another's (and caches the
 * bundle) by the JSON of these options: the entry is a field so that it is in it.
 */
class LocalBundling implements ILocalBundling {
  constructor(
    readonly bundle: LambdaBundle,
    readonly entry: string,
  ) {}

  tryBundle(outputDir: string): boolean {
    bundleFunctionSync(this.bundle, this.entry, outputDir);
    return true;
  }
}

/**
 * The code of a function: `entry` bundled by {@link bundleFunctionSync} when the stack synthesizes
 * (skipped, as CDK skips all bundling, for stacks outside `aws:cdk:bundling-stacks`).
 */
export function bundledCode(bundle: LambdaBundle, entry: string): Code {
  return Code.fromAsset(projectRootDir, {
    // The hash of what ships, not of the project folder (node_modules and all).
    assetHashType: AssetHashType.OUTPUT,
    bundling: {
      // The API requires an image, for when local bundling declines; this one never does (esbuild is a
      // dependency of the project, and a failed build fails the synth with esbuild's message).
      image: Runtime.NODEJS_24_X.bundlingImage,
      local: new LocalBundling(bundle, entry),
    },
  });
}

/** Props of {@link FunctionWithLogGroup}. */
export interface FunctionWithLogGroupProps
  extends Omit<
    FunctionProps,
    'runtime' | 'architecture' | 'tracing' | 'logGroup' | 'role' | 'timeout' | 'code' | 'handler'
  > {
  /** Handler file (absolute, or relative to the project root); it exports `handler`. */
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
export class FunctionWithLogGroup extends LambdaFunction {
  constructor(scope: Construct, id: string, props: FunctionWithLogGroupProps) {
    const {
      logRetention,
      logRemovalPolicy,
      serviceName,
      metricsNamespace,
      logLevel = 'INFO',
      entry,
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
        POWERTOOLS_SERVICE_NAME: serviceName,
        POWERTOOLS_METRICS_NAMESPACE: metricsNamespace,
        POWERTOOLS_LOG_LEVEL: logLevel,
        ...environment,
      },
      code: bundledCode(lambdaBundle, entry),
      handler: 'index.handler',
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
