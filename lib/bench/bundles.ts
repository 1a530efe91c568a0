/**
 * Cold start, for `npm run bench` (and `npm run bench:bundles` alone): bundles every function of
 * lib/specs.ts exactly as `cdk deploy` does ({@link lambdaBundle} through {@link esbuildOptions}), and
 * next to each one a baseline bundle that imports the same AWS SDK packages and constructs the same
 * clients, and nothing else. Each bundle is imported by a fresh Node process (the one running the
 * bench: Node 24 under npm scripts) with the function's own environment, each right after an import
 * of its baseline; the median of several such imports is the cold import time, and the median of the
 * pairs' ratios is what the function's own code adds to the floor the AWS SDK sets (goals: ≤ 250 KiB,
 * ≤ 1.3×).
 *
 * One import varies by ±15% from process to process on a small shared VM, so a ratio from 21 pairs
 * moves by ±0.05 from run to run: every ratio is given with a 90% interval, and a function whose
 * interval after the first pairs holds the goal ({@link isUnsettled}) gets more (up to `maxSpawns`).
 */
import { execFile } from 'node:child_process';
import { mkdir, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { basename, join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build, type Metafile } from 'esbuild';
import { bundleFunction, esbuildOptions, lambdaBundle } from '../constructs/function.ts';
import { DEFAULT_LLM_PROVIDER } from '../constructs/model-access.ts';
import { functionEnvironment, resolveEnvironment } from '../function-environment.ts';
import { localEnvironmentSettings, PROJECT_ROOT } from '../local/runtime.ts';
import { type FunctionName, functionSpecs } from '../specs.ts';
import { median, percentile, type Row, renderTable, verdict } from './table.ts';

const run = promisify(execFile);

export const KIB = 1024;
/** Issue #15's goals: every bundle at most this big… */
export const BUNDLE_GOAL_KIB = 250;
/** …and every cold import at most this many times its SDK-only baseline's. */
export const IMPORT_RATIO_GOAL = 1.3;
/**
 * Whether a ratio's 90% interval holds the goal, so that the verdict could go either way: such a
 * function is measured with up to `maxSpawns` pairs (no interval, from fewer than two pairs: no).
 */
export const isUnsettled = ([low, high]: readonly [number, number]): boolean =>
  low <= IMPORT_RATIO_GOAL && IMPORT_RATIO_GOAL <= high;

export interface BundleMeasure {
  readonly name: FunctionName;
  /** The JavaScript shipped (index.mjs and its chunks), bytes. */
  readonly bytes: number;
  /** Of which chunks only a dynamic `import()` loads, not the cold start, bytes. */
  readonly lazyBytes: number;
  /** Files shipped next to it (e.g. vocabulary.json), bytes. */
  readonly sideBytes: number;
  /** The AWS SDK packages the bundle imports (external: the Lambda runtime provides them). */
  readonly sdk: readonly string[];
  /** Median cold import of the bundle, ms: `await import(bundle)` in a fresh process, nothing else. */
  readonly importMs: number;
  readonly importSamples: readonly number[];
  /** Median cold import of the baseline bundle (the same SDK clients, constructed, and nothing else), ms. */
  readonly baselineMs: number;
  readonly baselineSamples: readonly number[];
  /** The median of the pairs' ratios ({@link importRatio}). */
  readonly ratio: number;
  /** A 90% interval of the ratio ({@link ratioInterval}). */
  readonly ratioLow: number;
  readonly ratioHigh: number;
  /** The largest inputs of the bundle (package or project folder → bytes in the output). */
  readonly top: readonly [string, number][];
  /** Why it could not be bundled or imported. */
  readonly error?: string;
}

/** How the baseline constructs the client of each AWS SDK package a function may import. */
const SDK_CLIENTS: Readonly<
  Record<string, { readonly names: readonly string[]; readonly construct: string }>
> = {
  '@aws-sdk/client-dynamodb': { names: ['DynamoDBClient'], construct: 'new DynamoDBClient({})' },
  '@aws-sdk/lib-dynamodb': {
    names: ['DynamoDBDocumentClient'],
    construct: 'DynamoDBDocumentClient.from(new DynamoDBClient({}))',
  },
  '@aws-sdk/client-sfn': { names: ['SFNClient'], construct: 'new SFNClient({})' },
  '@aws-sdk/client-eventbridge': { names: ['EventBridgeClient'], construct: 'new EventBridgeClient({})' },
  '@aws-sdk/client-bedrock-runtime': {
    names: ['BedrockRuntimeClient'],
    construct: 'new BedrockRuntimeClient({})',
  },
  '@aws-sdk/client-secrets-manager': {
    names: ['SecretsManagerClient'],
    construct: 'new SecretsManagerClient({})',
  },
  '@aws-sdk/client-apigatewaymanagementapi': {
    names: ['ApiGatewayManagementApiClient'],
    construct: "new ApiGatewayManagementApiClient({ endpoint: 'https://example.com' })",
  },
};

/**
 * The baseline's entry: imports `sdk` and constructs their clients (a document client wraps its own
 * DynamoDB client, as the functions' does); a package without a client (e.g. util-dynamodb) is
 * imported whole. The clients are exported so that nothing is shaken off.
 */
export function baselineEntry(sdk: readonly string[]): string {
  const packages = [...new Set(sdk)].sort();
  const wrapsDynamo = packages.includes('@aws-sdk/lib-dynamodb');
  const lines: string[] = [];
  const built: string[] = [];
  packages.forEach((pkg, i) => {
    const client = SDK_CLIENTS[pkg];
    if (!client) {
      lines.push(`import * as sdk${i} from ${JSON.stringify(pkg)};`);
      built.push(`sdk${i}`);
      return;
    }
    lines.push(`import { ${client.names.join(', ')} } from ${JSON.stringify(pkg)};`);
    // The document client constructs the DynamoDB client it wraps.
    if (!(pkg === '@aws-sdk/client-dynamodb' && wrapsDynamo)) built.push(client.construct);
  });
  if (wrapsDynamo && !packages.includes('@aws-sdk/client-dynamodb')) {
    lines.push("import { DynamoDBClient } from '@aws-sdk/client-dynamodb';");
  }
  lines.push(`export const clients = [${built.join(', ')}];`);
  return `${lines.join('\n')}\n`;
}

/** The AWS SDK packages a bundle imports (left external), sorted. */
export function sdkImportsOf(metafile: Metafile): string[] {
  return [
    ...new Set(
      Object.values(metafile.outputs)
        .flatMap((o) => o.imports)
        .filter((i) => i.external && i.path.startsWith('@aws-sdk/'))
        .map((i) => i.path),
    ),
  ].sort();
}

/**
 * The code files `import` of index.mjs loads (its static imports of chunks, transitively), by file
 * name; the other chunks wait for a dynamic `import()`.
 */
export function loadedAtImport(metafile: Metafile): Set<string> {
  const byName = new Map(Object.entries(metafile.outputs).map(([file, output]) => [basename(file), output]));
  const loaded = new Set<string>();
  const visit = (name: string) => {
    if (loaded.has(name) || !byName.has(name)) return;
    loaded.add(name);
    for (const i of byName.get(name)?.imports ?? []) {
      if (i.kind === 'import-statement' && !i.external) visit(basename(i.path));
    }
  };
  visit('index.mjs');
  return loaded;
}

/** The largest inputs of a bundle (index.mjs and its chunks), grouped by package (or by project folder). */
export function topInputs(metafile: Metafile): [string, number][] {
  const outputs = Object.entries(metafile.outputs).filter(([file]) => file.endsWith('.mjs'));
  const byGroup = new Map<string, number>();
  for (const [file, input] of outputs.flatMap(([, output]) => Object.entries(output.inputs))) {
    const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(file)?.[1];
    const group = pkg ?? file.split('/').slice(0, 2).join('/');
    byGroup.set(group, (byGroup.get(group) ?? 0) + input.bytesInOutput);
  }
  return [...byGroup.entries()].sort((a, b) => b[1] - a[1]).slice(0, 4);
}

/**
 * The environment function `name` gets in AWS with the stack's defaults (lib/function-environment.ts;
 * the model provider is Bedrock, as `cdk deploy` sets it, not the local runtime's offline rules),
 * references resolved to placeholders, plus what the Lambda runtime sets: its handler parses it at
 * import.
 */
export function importEnvironment(name: FunctionName): Record<string, string> {
  const settings = localEnvironmentSettings({ LLM_PROVIDER: DEFAULT_LLM_PROVIDER });
  const own = resolveEnvironment(functionEnvironment(name, settings), (reference) =>
    reference.ref === 'table'
      ? `bench-${reference.table}`
      : reference.ref === 'stateMachineArn'
        ? 'arn:aws:states:us-east-1:000000000000:stateMachine:bench'
        : reference.ref === 'jwksUrl' ||
            reference.ref === 'websocketCallbackUrl' ||
            reference.ref === 'jwtIssuer'
          ? 'https://bench.example.com'
          : 'bench',
  );
  return {
    PATH: process.env.PATH ?? '',
    HOME: process.env.HOME ?? '/tmp',
    AWS_REGION: 'us-east-1',
    AWS_DEFAULT_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'bench',
    AWS_SECRET_ACCESS_KEY: 'bench',
    AWS_LAMBDA_FUNCTION_NAME: name,
    ...own,
    POWERTOOLS_LOG_LEVEL: 'ERROR',
  };
}

/** The time `await import(file)` takes in a fresh Node process, measured inside it (ms). */
export async function coldImportMs(file: string, env: Readonly<Record<string, string>>): Promise<number> {
  const script = [
    "const { performance } = await import('node:perf_hooks');",
    'const t0 = performance.now();',
    `await import(${JSON.stringify(pathToFileURL(file).href)});`,
    'process.stdout.write(String(performance.now() - t0));',
  ].join('\n');
  try {
    const { stdout } = await run(process.execPath, ['--input-type=module', '--eval', script], {
      env,
      cwd: PROJECT_ROOT,
      timeout: 60_000,
    });
    return Number(stdout);
  } catch (error) {
    // The child's own words (its stderr's last lines), not the command line.
    const stderr = String((error as { stderr?: unknown }).stderr ?? '').trim();
    throw new Error(`importing ${file} failed: ${stderr.split('\n').slice(-3).join(' ') || String(error)}`);
  }
}

/** The ratio of each pair: sample i over baseline sample i, taken right before it. */
export const pairRatios = (samples: readonly number[], baselineSamples: readonly number[]): number[] =>
  samples.slice(0, baselineSamples.length).map((sample, i) => sample / (baselineSamples[i] ?? Number.NaN));

/**
 * The import ratio: the median of the pairs' ratios. A pair is taken back to back, so a slow spell of
 * the machine (on this 2-core VM the baseline's median over 10 pairs moved between 88 and 116 ms
 * within one function's 101) weighs on both of its imports; the median over the median mixes spells,
 * and its interval over 101 pairs came out about twice as wide.
 */
export const importRatio = (samples: readonly number[], baselineSamples: readonly number[]): number =>
  median(pairRatios(samples, baselineSamples));

/**
 * A 90% interval of {@link importRatio}: a percentile bootstrap that resamples the pairs. Seeded, so
 * the same samples give the same interval. NaN for fewer than two pairs.
 */
export function ratioInterval(
  samples: readonly number[],
  baselineSamples: readonly number[],
  resamples = 2000,
): [number, number] {
  const ratios = pairRatios(samples, baselineSamples);
  const n = ratios.length;
  if (n < 2) return [Number.NaN, Number.NaN];
  let seed = 0x5eed;
  // mulberry32
  const random = () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  const medians: number[] = [];
  const resample: number[] = new Array(n);
  for (let r = 0; r < resamples; r++) {
    for (let i = 0; i < n; i++) resample[i] = ratios[Math.floor(random() * n)] ?? Number.NaN;
    medians.push(median(resample));
  }
  return [percentile(medians, 5), percentile(medians, 95)];
}

export interface MeasureBundlesOptions {
  /** Where the bundles land: `<out>/<name>/index.mjs` and `<out>/<name>/baseline/index.mjs`. */
  readonly out: string;
  /** Fresh processes per bundle (the median is reported). @default 21 */
  readonly spawns?: number;
  /** Fresh processes per bundle whose ratio was unsettled after `spawns` ({@link isUnsettled}). @default 101 */
  readonly maxSpawns?: number;
  /** Only these functions. @default every function */
  readonly only?: readonly FunctionName[];
  readonly log?: (line: string) => void;
}

/** Bundles and times every function and its baseline. */
export async function measureBundles(options: MeasureBundlesOptions): Promise<BundleMeasure[]> {
  const { out, spawns = 21, maxSpawns = 101, log = () => undefined } = options;
  await rm(out, { recursive: true, force: true });
  await mkdir(out, { recursive: true });
  // The bundles leave the AWS SDK to the runtime: outside the project they find it through a link.
  if (relative(PROJECT_ROOT, out).startsWith('..')) {
    await symlink(join(PROJECT_ROOT, 'node_modules'), join(out, 'node_modules'), 'dir');
  }
  const names = options.only ?? (Object.keys(functionSpecs) as FunctionName[]);
  const results: BundleMeasure[] = [];
  for (const name of names) {
    try {
      results.push(await measureOne(name, join(out, name), spawns, maxSpawns));
    } catch (error) {
      const message =
        error instanceof Error ? error.message.split('\n').slice(0, 3).join(' ') : String(error);
      results.push({
        name,
        bytes: 0,
        lazyBytes: 0,
        sideBytes: 0,
        sdk: [],
        importMs: Number.NaN,
        importSamples: [],
        baselineMs: Number.NaN,
        baselineSamples: [],
        ratio: Number.NaN,
        ratioLow: Number.NaN,
        ratioHigh: Number.NaN,
        top: [],
        error: message,
      });
    }
    log(`bundled and imported ${name}`);
  }
  return results;
}

async function measureOne(
  name: FunctionName,
  dir: string,
  spawns: number,
  maxSpawns: number,
): Promise<BundleMeasure> {
  await mkdir(join(dir, 'baseline'), { recursive: true });
  const entry = join(PROJECT_ROOT, functionSpecs[name].entry);
  const result = await bundleFunction(lambdaBundle, entry, dir);
  const file = join(dir, 'index.mjs');
  let sideBytes = 0;
  for (const [, source] of result.sideFiles) sideBytes += (await stat(source)).size;
  await writeFile(join(dir, 'meta.json'), JSON.stringify(result.metafile));
  const size = (names: Iterable<string>) =>
    [...names].reduce((sum, name) => sum + Buffer.byteLength(result.code[name] ?? ''), 0);
  const loaded = loadedAtImport(result.metafile);
  const sdk = sdkImportsOf(result.metafile);

  // The baseline, bundled with the same options, without the module injected into the functions (ours).
  const baselineSource = join(dir, 'baseline', 'entry.mjs');
  await writeFile(baselineSource, baselineEntry(sdk));
  await build(esbuildOptions({ ...lambdaBundle, inject: [] }, baselineSource, join(dir, 'baseline')));
  const baselineFile = join(dir, 'baseline', 'index.mjs');

  const env = importEnvironment(name);
  const samples: number[] = [];
  const baselineSamples: number[] = [];
  // Interleaved, so that a busy spell of the machine weighs on both alike.
  const measurePairs = async (count: number) => {
    for (let i = 0; i < count; i++) {
      baselineSamples.push(await coldImportMs(baselineFile, env));
      samples.push(await coldImportMs(file, env));
    }
  };
  await measurePairs(spawns);
  // The same rule for every function, decided once: an unsettled ratio is measured with maxSpawns.
  if (sdk.length > 0 && isUnsettled(ratioInterval(samples, baselineSamples))) {
    await measurePairs(Math.max(0, maxSpawns - spawns));
  }
  const importMs = median(samples);
  const baselineMs = median(baselineSamples);
  const [ratioLow, ratioHigh] = ratioInterval(samples, baselineSamples);
  return {
    name,
    bytes: size(Object.keys(result.code)),
    lazyBytes: size(Object.keys(result.code).filter((name) => !loaded.has(name))),
    sideBytes,
    sdk,
    importMs,
    importSamples: samples,
    baselineMs,
    baselineSamples,
    ratio: importRatio(samples, baselineSamples),
    ratioLow,
    ratioHigh,
    top: topInputs(result.metafile),
  };
}

const kib = (bytes: number) => (bytes / KIB).toFixed(0);
/** `248 (72 lazy) +491`: the JavaScript, what of it only a dynamic import loads, the side files. */
/** Whether the chunks only a dynamic import loads are worth naming (not a few hundred bytes). */
const showsLazy = (m: BundleMeasure) => m.lazyBytes >= KIB / 2;
const bundleKib = (m: BundleMeasure) =>
  `${kib(m.bytes)}${showsLazy(m) ? ` (${kib(m.lazyBytes)} lazy)` : ''}${m.sideBytes ? ` +${kib(m.sideBytes)}` : ''}`;
const shortSdk = (sdk: readonly string[]) =>
  sdk.map((p) => p.replace('@aws-sdk/', '').replace('client-', '')).join(', ') || '(none)';

/**
 * Whether the import goal applies: it is relative to the same AWS SDK clients, and for a function that
 * imports none (wsAuthorizer) the baseline is an empty module (~5 ms of Node loading a file), against
 * which a ratio measures nothing the goal is about. Such a function is shown with its ratio to the
 * empty module, marked, and not judged by it.
 */
export const ratioApplies = (m: BundleMeasure): boolean => m.sdk.length > 0;

/** Whether a measured bundle meets the goals (the import goal where it applies). */
export function meetsGoals(m: BundleMeasure): boolean {
  return !m.error && m.bytes <= BUNDLE_GOAL_KIB * KIB && (!ratioApplies(m) || m.ratio <= IMPORT_RATIO_GOAL);
}

/** `1.26× (1.21–1.31)`: the ratio and its 90% interval (the interval only where there is one). */
const ratioText = (m: BundleMeasure) =>
  ratioApplies(m)
    ? `${m.ratio.toFixed(2)}×${Number.isFinite(m.ratioLow) ? ` (${m.ratioLow.toFixed(2)}–${m.ratioHigh.toFixed(2)})` : ''}`
    : `n/a (${m.ratio.toFixed(2)}× an empty module)`;

/** One row per function for the bench's results. */
export function bundleRows(measures: readonly BundleMeasure[]): Row[] {
  return measures.map((m) => {
    if (m.error)
      return { measure: `cold start, ${m.name}`, value: 'not bundled', note: m.error.slice(0, 120) };
    return {
      measure: `cold start, ${m.name}`,
      value: `${kib(m.bytes)} KiB${showsLazy(m) ? ` (${kib(m.lazyBytes)} KiB loaded lazily)` : ''}${m.sideBytes ? ` (+${kib(m.sideBytes)} KiB data files)` : ''} · import ${m.importMs.toFixed(0)} ms · SDK baseline ${m.baselineMs.toFixed(0)} ms · ${ratioText(m)}`,
      note: `${meetsGoals(m) ? 'meets' : 'misses'} ≤ ${BUNDLE_GOAL_KIB} KiB / ≤ ${IMPORT_RATIO_GOAL}×; SDK: ${shortSdk(m.sdk)}; largest: ${m.top
        .slice(0, 3)
        .map(([k, v]) => `${k} ${kib(v)}`)
        .join(', ')}`,
    };
  });
}

/** The goal rows: every bundle ≤ 250 KiB, every cold import ≤ 1.3× its baseline. */
export function bundleGoalRows(measures: readonly BundleMeasure[]): Row[] {
  const built = measures.filter((m) => !m.error);
  const biggest = [...built].sort((a, b) => b.bytes - a.bytes)[0];
  const judged = built.filter(ratioApplies);
  const worst = [...judged].sort((a, b) => b.ratio - a.ratio)[0];
  const unjudged = built.filter((m) => !ratioApplies(m));
  const all = built.length === measures.length;
  const importGoal = `GOAL every cold import ≤ ${IMPORT_RATIO_GOAL}× its SDK-only baseline`;
  if (!biggest) {
    const none = { value: 'no function bundled: MISSED', note: measures.map((m) => m.name).join(', ') };
    return [
      { measure: `GOAL every bundle ≤ ${BUNDLE_GOAL_KIB} KiB`, ...none },
      { measure: importGoal, ...none },
    ];
  }
  const notJudged = unjudged.length
    ? `; no AWS SDK client, so no SDK baseline: ${unjudged.map((m) => `${m.name} ${m.importMs.toFixed(0)} ms (an empty module ${m.baselineMs.toFixed(0)} ms)`).join(', ')}`
    : '';
  return [
    {
      measure: `GOAL every bundle ≤ ${BUNDLE_GOAL_KIB} KiB`,
      value: `largest ${biggest.name} ${kib(biggest.bytes)} KiB: ${verdict(all && built.every((m) => m.bytes <= BUNDLE_GOAL_KIB * KIB))}`,
      note: `${built.length}/${measures.length} functions bundled as cdk deploy does (index.mjs and the chunks of its dynamic imports; data files beside some)`,
    },
    {
      measure: importGoal,
      value: worst
        ? `worst ${worst.name} ${ratioText(worst)} (${worst.importMs.toFixed(0)} vs ${worst.baselineMs.toFixed(0)} ms, ${worst.importSamples.length} pairs), ${judged.length} function${judged.length === 1 ? '' : 's'} with an SDK baseline: ${verdict(all && judged.every((m) => m.ratio <= IMPORT_RATIO_GOAL))}`
        : `no function with an AWS SDK client measured: ${verdict(false)}`,
      note: `baseline: a bundle importing the same @aws-sdk/* packages and constructing the same clients, nothing else; judged on the median of the pairs' ratios, its 90% interval in brackets${notJudged}`,
    },
  ];
}

/** The cold-start table: one line per function. */
export function renderBundleTable(measures: readonly BundleMeasure[]): string {
  const counts = measures.filter((m) => !m.error).map((m) => m.importSamples.length);
  const fewest = Math.min(...counts);
  const more = measures.filter((m) => !m.error && m.importSamples.length > fewest);
  const samples = counts.length
    ? `${fewest}${more.length ? ` (${more.map((m) => `${m.name} ${m.importSamples.length}`).join(', ')}: their 90% interval held the goal after ${fewest})` : ''}`
    : '0';
  return `${renderTable(
    ['function', 'bundle KiB', 'cold import ms', 'SDK baseline ms', 'ratio', 'goals', 'AWS SDK clients'],
    measures.map((m) =>
      m.error
        ? [m.name, 'not bundled', '', '', '', 'MISSED', m.error.slice(0, 80)]
        : [
            m.name,
            bundleKib(m),
            m.importMs.toFixed(0),
            m.baselineMs.toFixed(0),
            ratioText(m),
            meetsGoals(m) ? 'met' : 'MISSED',
            shortSdk(m.sdk),
          ],
    ),
  )}\n\nCold import: median of ${samples} fresh Node ${process.versions.node} processes each, \`await import()\` of the bundle and nothing else, with the function's environment, interleaved with as many of its baseline. Ratio: the median of the pairs' ratios (each function's import over the baseline's just before it), in brackets its 90% interval (a bootstrap over the pairs). Goals: bundle ≤ ${BUNDLE_GOAL_KIB} KiB, cold import ≤ ${IMPORT_RATIO_GOAL}× the SDK-only baseline.`;
}
