/**
 * Cold start, for `npm run bench`: bundles every function of lib/specs.ts with the options the CDK
 * stack deploys ({@link lambdaBundle}), and times `await import(bundle)` in fresh Node processes.
 *
 *   node --import tsx bin/bench-bundles.ts   # this part alone
 */
import { execFile } from 'node:child_process';
import { copyFile, mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { esbuildOptions, lambdaBundle, sideFilesOf } from '../lib/constructs/function.ts';
import { PROJECT_ROOT } from '../lib/local/runtime.ts';
import { type FunctionName, functionSpecs, tableSpecs } from '../lib/specs.ts';

const run = promisify(execFile);

export interface BundleMeasure {
  readonly name: FunctionName;
  /** index.mjs, bytes. */
  readonly bytes: number;
  /** Files shipped next to it (e.g. vocabulary.json), bytes. */
  readonly sideBytes: number;
  /** Median `await import()` time in a fresh process, ms (the AWS SDK packages it imports included). */
  readonly importMs: number;
  /** The part of it spent loading the AWS SDK packages (median), ms. */
  readonly sdkMs: number;
  readonly importSamples: readonly number[];
  /** The largest inputs of the bundle (package or project folder → bytes in the output). */
  readonly top: readonly [string, number][];
  /** Why it could not be bundled or imported (e.g. an entry being written by someone else). */
  readonly error?: string;
}

/** What the handlers read at import, as dummy values (nothing is called at import). */
function dummyEnv(): Record<string, string> {
  const env: Record<string, string> = {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: 'bench',
    NODE_OPTIONS: '--enable-source-maps',
    POWERTOOLS_SERVICE_NAME: 'omnilink-orchestrator',
    POWERTOOLS_METRICS_NAMESPACE: 'Omnilink',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    LLM_PROVIDER: 'offline',
    STATE_MACHINE_ARN: 'arn:aws:states:us-east-1:000000000000:stateMachine:bench',
    EVENT_BUS_NAME: 'bench',
  };
  for (const spec of Object.values(tableSpecs)) env[spec.envVar] = `bench-${spec.envVar.toLowerCase()}`;
  return env;
}

function topInputs(metafile: Metafile): [string, number][] {
  const output = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
  const byGroup = new Map<string, number>();
  for (const [file, input] of Object.entries(output?.inputs ?? {})) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const group = pkg ?? file.split('/').slice(0, 2).join('/');
    byGroup.set(group, (byGroup.get(group) ?? 0) + input.bytesInOutput);
  }
  return [...byGroup.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
}

/**
 * The import time of `file` in a fresh Node process, measured inside it (ms): first the AWS SDK
 * packages the bundle imports (the runtime provides them, but loading them is part of the cold
 * start), then the bundle itself.
 */
async function importOnce(file: string, sdk: readonly string[]): Promise<{ sdkMs: number; totalMs: number }> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const t0 = performance.now();',
    `await Promise.all(${JSON.stringify(sdk)}.map((m) => import(m)));`,
    'const t1 = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'process.stdout.write(JSON.stringify({ sdkMs: t1 - t0, totalMs: performance.now() - t0 }));',
  ].join('\n');
  const { stdout } = await run(
    process.execPath,
    ['--enable-source-maps', '--input-type=module', '--eval', script],
    {
      env: dummyEnv(),
      cwd: PROJECT_ROOT,
      timeout: 60_000,
    },
  );
  return JSON.parse(stdout);
}

const median = (xs: readonly number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] ?? Number.NaN;
};

/** Bundles and times every function; bundles land in `<out>/<name>/`. */
export async function measureBundles(out: string, spawns = 5): Promise<BundleMeasure[]> {
  await rm(out, { recursive: true, force: true });
  const results: BundleMeasure[] = [];
  for (const [name, spec] of Object.entries(functionSpecs) as [
    FunctionName,
    (typeof functionSpecs)[FunctionName],
  ][]) {
    const dir = join(out, name);
    await mkdir(dir, { recursive: true });
    try {
      results.push(await measureOne(name, spec.entry, dir, spawns));
    } catch (error) {
      const message =
        error instanceof Error ? error.message.split('\n').slice(0, 2).join(' ') : String(error);
      results.push({
        name,
        bytes: 0,
        sideBytes: 0,
        importMs: Number.NaN,
        sdkMs: Number.NaN,
        importSamples: [],
        top: [],
        error: message,
      });
    }
  }
  return results;
}

async function measureOne(
  name: FunctionName,
  entry: string,
  dir: string,
  spawns: number,
): Promise<BundleMeasure> {
  {
    const result = await build(esbuildOptions(lambdaBundle, join(PROJECT_ROOT, entry), dir));
    const file = join(dir, 'index.mjs');
    const code = await readFile(file, 'utf8');
    let sideBytes = 0;
    for (const [fileName, source] of sideFilesOf(lambdaBundle, code)) {
      await copyFile(source, join(dir, fileName));
      sideBytes += (await stat(source)).size;
    }
    await writeFile(join(dir, 'meta.json'), JSON.stringify(result.metafile));
    const sdk = [
      ...new Set(
        Object.values(result.metafile.outputs)
          .flatMap((o) => o.imports)
          .filter((i) => i.external && i.path.startsWith('@aws-sdk/'))
          .map((i) => i.path),
      ),
    ].sort();
    const samples: number[] = [];
    const sdkSamples: number[] = [];
    for (let i = 0; i < spawns; i++) {
      const { sdkMs, totalMs } = await importOnce(file, sdk);
      samples.push(totalMs);
      sdkSamples.push(sdkMs);
    }
    return {
      name,
      bytes: Buffer.byteLength(code),
      sideBytes,
      importMs: median(samples),
      sdkMs: median(sdkSamples),
      importSamples: samples,
      top: topInputs(result.metafile),
    };
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  const measures = await measureBundles(join(PROJECT_ROOT, '.local', 'bench', 'bundles'));
  for (const m of measures) {
    console.log(
      m.error
        ? `${m.name}: ${m.error}`
        : `${m.name.padEnd(16)} ${(m.bytes / 1024).toFixed(0).padStart(5)} KiB  +${(m.sideBytes / 1024).toFixed(0)} KiB side  import ${m.importMs.toFixed(1)} ms (SDK ${m.sdkMs.toFixed(1)})  ${m.top.map(([k, v]) => `${k} ${(v / 1024).toFixed(0)}`).join(', ')}`,
    );
  }
}
