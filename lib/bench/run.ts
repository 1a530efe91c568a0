/**
 * `npm run bench`: measures the system on the local runtime and prints a table (also written to
 * `<out>/bench.md`, `bench.json` and `bench.svg`). Numbers, not assertions: the tests never time
 * anything. Each part starts (and stops) a runtime of its own; when the last one has stopped nothing
 * is left to keep the process alive, so the command exits by itself.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { cpus, loadavg } from 'node:os';
import { join } from 'node:path';
import {
  bundleGoalRows,
  bundleRows,
  KIB,
  type MeasureBundlesOptions,
  measureBundles,
  renderBundleTable,
} from './bundles.ts';
import { renderChart } from './chart.ts';
import { floorRows, measureFloor } from './floor.ts';
import { measureLoad } from './load.ts';
import { measurePush } from './push.ts';
import { formatScaleReport, measureScale } from './scale.ts';
import { type BenchSettings, benchSettings } from './settings.ts';
import { percentile, type Row, renderRows } from './table.ts';
import { goalRows, measureWorkflows } from './workflows.ts';

const NOTE = [
  'Notes. Latencies are on this 2-core machine with the whole system local: DynamoDB Local (Java), the local',
  'Step Functions engine and the API in one Node process, every Lambda in worker threads of that process (its',
  'deployed bundle, its environment, its memory limit). "engine held": the workflows the producer starts wait at',
  'their first task until the phase ends, so the producer alone is measured; "workflows running": the engine and',
  'the functions share the machine with the API. Cold start rows: the deployed esbuild bundles imported in fresh',
  'Node 24 processes, next to a baseline bundle of the same AWS SDK clients only; "cold starts, <fn>": execution',
  'environments the runtime started and their init times.',
  "Transitions, invocations, DynamoDB requests (counted at the functions' DynamoDB endpoint; RRU/WRU as DynamoDB",
  'Local reports them) and EventBridge entries are per workflow; costs use AWS list prices (SFN Standard',
  '$0.025/1k transitions, Lambda arm64 $0.0000133334/GB-s + $0.20/1M requests with local durations and configured',
  'memory, DynamoDB on-demand $0.625/M WRU + $0.125/M RRU, EventBridge $1/M events); model tokens are 0 offline.',
].join('\n');

export interface BenchRun {
  /** The results' directory (`.local/bench` for npm run bench). */
  readonly out: string;
  /** The environment the BENCH_* settings come from. */
  readonly env: Readonly<Record<string, string | undefined>>;
  /** Where the tables go. @default console.log */
  readonly print?: (text: string) => void;
  /** Progress lines. @default console.error */
  readonly log?: (line: string) => void;
}

const machine = () =>
  `Machine: ${cpus().length} cores, load average (1/5/15 min) at the end ${loadavg()
    .map((l) => l.toFixed(1))
    .join(' / ')}`;

const bundleOptions = (settings: BenchSettings, out: string, log: (line: string) => void) =>
  ({
    out: join(out, 'bundles'),
    spawns: settings.spawns,
    maxSpawns: settings.maxSpawns,
    ...(settings.functions ? { only: settings.functions } : {}),
    log,
  }) satisfies MeasureBundlesOptions;

/** Runs the bench (BENCH_ONLY: one part) and writes its results. */
export async function runBench(run: BenchRun): Promise<void> {
  const settings = benchSettings(run.env);
  const print = run.print ?? console.log;
  const log = run.log ?? ((line: string) => console.error(line));
  if (settings.only === 'push') {
    print(renderRows(await measurePush(settings.push)));
    return;
  }
  if (settings.only === 'load') {
    print(`${renderRows(await measureLoad(settings.load))}\n\n${machine()}.`);
    return;
  }
  if (settings.only === 'floor') {
    print(`${renderRows(await measureFloors())}\n\n${machine()}.`);
    return;
  }
  if (settings.only === 'bundles') {
    await runBundleBench(run);
    return;
  }

  // The burst, throughput, memory and cold-start figures (a runtime of their own).
  const rows = [...(await measureLoad(settings.load))];
  // What DynamoDB Local alone costs a workflow, which bounds the throughput above (runtimes of their own).
  rows.push(...(await measureFloors()));
  // The push channel: event → client latency, and the status polls it saves (a runtime of its own).
  rows.push(...(await measurePush(settings.push)));
  // Cold start: the deployed bundles and their SDK-only baselines, each imported in fresh processes.
  const bundles = await measureBundles(bundleOptions(settings, run.out, log));
  rows.push(...bundleRows(bundles));
  // Latency, throughput and the cost of a workflow (a runtime of their own).
  const workflows = await measureWorkflows(settings);
  rows.push(...workflows.rows, ...goalRows(workflows.goals), ...bundleGoalRows(bundles));
  // The hot paths at scale (a runtime of its own, after this one stopped): npm run bench:scale.
  const scale = formatScaleReport(await measureScale());

  const table = `${renderRows(rows)}\n\n${renderBundleTable(bundles)}\n\n${NOTE}\n\n${scale}\n\n${machine()}: every latency and import time above is inflated by whatever else ran.`;
  print(table);
  await mkdir(run.out, { recursive: true });
  await writeFile(join(run.out, 'bench.md'), `${table}\n`);
  await writeFile(join(run.out, 'bench.json'), `${JSON.stringify(rows, null, 2)}\n`);
  await writeFile(
    join(run.out, 'bench.svg'),
    renderChart(
      workflows.latencies.map(({ label, samples }) => ({
        label,
        p50: percentile(samples, 50),
        p95: percentile(samples, 95),
        p99: percentile(samples, 99),
      })),
      bundles
        .filter((b) => !b.error)
        .map((b) => ({ label: b.name, kib: b.bytes / KIB, importMs: b.importMs })),
    ),
  );
  print(`\nwritten to ${join(run.out, 'bench.md')} and ${join(run.out, 'bench.svg')}`);
}

/** The floor on disk (as npm start) and in memory. */
async function measureFloors(): Promise<Row[]> {
  return floorRows([await measureFloor({ inMemory: false }), await measureFloor({ inMemory: true })]);
}

/** Only the cold-start part: prints its table and writes `<out>/bundles.md` and `bundles.json`. */
export async function runBundleBench(run: BenchRun): Promise<void> {
  const settings = benchSettings(run.env);
  const print = run.print ?? console.log;
  const log = run.log ?? ((line: string) => console.error(line));
  const bundles = await measureBundles(bundleOptions(settings, run.out, log));
  const rows = [...bundleRows(bundles), ...bundleGoalRows(bundles)];
  const table = `${renderBundleTable(bundles)}\n\n${renderRows(bundleGoalRows(bundles))}\n\n${machine()}.`;
  print(table);
  await mkdir(run.out, { recursive: true });
  await writeFile(join(run.out, 'bundles.md'), `${table}\n`);
  await writeFile(join(run.out, 'bundles.json'), `${JSON.stringify({ rows, bundles }, null, 2)}\n`);
}
