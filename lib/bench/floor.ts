import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { setTimeout as sleep } from 'node:timers/promises';
import { startHarness } from '../local/harness.ts';
import { DynamoMeter } from './dynamo-meter.ts';
import { processTreeMemory } from './process-tree.ts';
import type { Row } from './table.ts';

/** The goal of the local-fidelity issue: end-to-end workflows per second on this machine. */
export const THROUGHPUT_GOAL = 25;

export interface FloorMeasure {
  readonly dataDir: boolean;
  /** DynamoDB requests the functions make per workflow (measured at their endpoint). */
  readonly requests: number;
  /** The meter's own read-backs per workflow (DynamoDB Local serves them; not the functions'). */
  readonly readBacks: number;
  /** Requests per workflow by operation and tables, most first. */
  readonly byTable: readonly (readonly [string, number])[];
  /** DynamoDB Local's JVM CPU per request served, its idle rate (stream polling) taken out, ms. */
  readonly cpuPerRequestMs: number;
  /** Idle CPU of the JVM, ms per second (the stream mappings' polls). */
  readonly idleCpuMsPerS: number;
}

/**
 * What DynamoDB Local alone costs a "Book a flight to NYC" workflow: its requests, counted at the
 * functions' endpoint, times the JVM's CPU per request, measured over `workflows` workflows run one
 * after another on a runtime of its own (after `warm` to let the JVM compile). The JVM's idle CPU
 * (the stream mappings poll each shard about 4 times a second) is measured first and taken out.
 */
export async function measureFloor(options: {
  readonly inMemory: boolean;
  readonly workflows?: number;
  readonly warm?: number;
}): Promise<FloorMeasure> {
  const { inMemory, workflows = 60, warm = 20 } = options;
  const meter = new DynamoMeter();
  const proxyUrl = await meter.listen();
  const harness = await startHarness(
    { ...(inMemory ? { inMemory } : {}), env: { LOG_LEVEL: 'ERROR', AWS_ENDPOINT_URL_DYNAMODB: proxyUrl } },
    {},
  );
  meter.target = harness.runtime.dynamoUrl;
  const jvmCpuMs = () =>
    processTreeMemory()
      .processes.filter((p) => p.command === 'java')
      .reduce((sum, p) => sum + p.cpuMs, 0);
  try {
    const run = crypto.randomUUID().slice(0, 8);
    const one = async (i: number) => {
      const token = await harness.token(`floor-${run}-${i % 20}`);
      const answer = await harness.postGoal('Book a flight to NYC', { token, idempotencyKey: `${run}-${i}` });
      if (!answer.workflowId) throw new Error(`the floor's workflow ${i} was refused: ${answer.status}`);
      const record = await harness.runtime.waitForExecution(answer.workflowId, 60_000);
      if (record.status !== 'SUCCEEDED') throw new Error(`the floor's workflow ${i} ended ${record.status}`);
      await harness.runtime.eventStream?.drain(5000).catch(() => undefined);
    };
    for (let i = 0; i < warm; i++) await one(i);
    const idleStart = { cpu: jvmCpuMs(), at: performance.now() };
    await sleep(5000);
    const idleCpuMsPerS = ((jvmCpuMs() - idleStart.cpu) / (performance.now() - idleStart.at)) * 1000;

    const before = {
      requests: sum(meter.requests),
      byTable: new Map(meter.byTable),
      readBacks: meter.readBacks,
    };
    const start = { cpu: jvmCpuMs(), at: performance.now() };
    for (let i = warm; i < warm + workflows; i++) await one(i);
    const busyCpu = jvmCpuMs() - start.cpu - (idleCpuMsPerS * (performance.now() - start.at)) / 1000;
    const requests = sum(meter.requests) - before.requests;
    const readBacks = meter.readBacks - before.readBacks;
    const byTable = [...meter.byTable]
      .map(([key, n]) => [key, (n - (before.byTable.get(key) ?? 0)) / workflows] as const)
      .filter(([, n]) => n > 0)
      .sort((a, b) => b[1] - a[1]);
    return {
      dataDir: !inMemory,
      requests: requests / workflows,
      readBacks: readBacks / workflows,
      byTable,
      cpuPerRequestMs: busyCpu / (requests + readBacks),
      idleCpuMsPerS,
    };
  } finally {
    await harness.cleanup();
    await meter.close();
  }
}

const sum = (counts: ReadonlyMap<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/** The floor as rows: requests per workflow, CPU per request, and the throughput they allow at most. */
export function floorRows(measures: readonly FloorMeasure[], cores = cpus().length): Row[] {
  const rows: Row[] = [];
  const first = measures[0];
  if (first) {
    rows.push({
      measure: 'DynamoDB requests per "Book a flight to NYC" workflow (2 steps)',
      value: `${first.requests.toFixed(1)}`,
      note: first.byTable.map(([key, n]) => `${key} ${n.toFixed(2)}`).join(' · '),
    });
  }
  for (const m of measures) {
    const perWorkflow = m.requests * m.cpuPerRequestMs;
    const ceiling = (cores * 1000) / perWorkflow;
    rows.push({
      measure: `DynamoDB Local's CPU per request, data ${m.dataDir ? 'in a data directory (as npm start)' : 'in memory'}`,
      value: `${m.cpuPerRequestMs.toFixed(2)} ms → ${perWorkflow.toFixed(0)} ms per workflow`,
      note:
        `JVM CPU over the run, its idle ${m.idleCpuMsPerS.toFixed(0)} ms/s (stream polls) taken out, ÷ the requests ` +
        `(+${m.readBacks.toFixed(1)} meter read-backs per workflow). Computed from it: DynamoDB Local alone caps ` +
        `${cores} cores at ${ceiling.toFixed(1)} workflows/s even if nothing else ran (goal ${THROUGHPUT_GOAL}: ` +
        `${ceiling >= THROUGHPUT_GOAL ? 'not blocked by it' : 'blocked by it'})`,
    });
  }
  return rows;
}
