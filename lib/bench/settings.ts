import type { FunctionName } from '../specs.ts';

/** What a bench run measures, and how much: from the BENCH_* variables (README, "Performance"). */
export interface BenchSettings {
  /** BENCH_ONLY: one part only (load, floor, push or bundles); everything by default. */
  readonly only: 'load' | 'floor' | 'push' | 'bundles' | undefined;
  /** BENCH_REQUESTS: samples per latency figure. */
  readonly requests: number;
  /** BENCH_CONCURRENCY: concurrent callers of the concurrent latency figures. */
  readonly concurrency: number;
  /** BENCH_SPAWNS: fresh processes per bundle of the cold-start figures. */
  readonly spawns: number;
  /** BENCH_MAX_SPAWNS: fresh processes per bundle whose import ratio is unsettled (its interval holds the goal). */
  readonly maxSpawns: number;
  /** BENCH_FUNCTIONS (comma-separated): the functions whose bundles are measured; all by default. */
  readonly functions: readonly FunctionName[] | undefined;
  readonly load: {
    /** BENCH_LOAD_DATA=memory: keep the load runtime's data in memory instead of a data directory. */
    readonly inMemory: boolean;
    /** BENCH_BURST_USERS × BENCH_BURST_EACH concurrent POSTs. */
    readonly burstUsers: number;
    readonly burstEach: number;
    /** BENCH_WORKFLOWS submitted by BENCH_CLIENTS closed-loop clients. */
    readonly workflows: number;
    readonly clients: number;
  };
  readonly push: {
    /** BENCH_PUSH_WORKFLOWS followed by watch(). */
    readonly workflows: number;
    /** BENCH_APPROVAL_DELAY_MS before answering an approval. */
    readonly approvalDelayMs: number;
  };
}

const ONLY = ['load', 'floor', 'push', 'bundles'] as const;

/** The settings from an environment; unknown BENCH_ONLY values and non-numbers are errors. */
export function benchSettings(env: Readonly<Record<string, string | undefined>>): BenchSettings {
  const number = (key: string, fallback: number): number => {
    const raw = env[key];
    if (raw === undefined || raw === '') return fallback;
    const value = Number(raw);
    if (!Number.isFinite(value) || value < 0)
      throw new Error(`${key} must be a non-negative number, not "${raw}"`);
    return value;
  };
  const only = env.BENCH_ONLY || undefined;
  if (only !== undefined && !(ONLY as readonly string[]).includes(only)) {
    throw new Error(`BENCH_ONLY must be one of ${ONLY.join(', ')}, not "${only}"`);
  }
  const functions = env.BENCH_FUNCTIONS?.split(',')
    .map((name) => name.trim())
    .filter((name) => name !== '') as FunctionName[] | undefined;
  return {
    only: only as BenchSettings['only'],
    requests: number('BENCH_REQUESTS', 300),
    concurrency: number('BENCH_CONCURRENCY', 50),
    spawns: number('BENCH_SPAWNS', 21),
    maxSpawns: number('BENCH_MAX_SPAWNS', 101),
    functions: functions && functions.length > 0 ? functions : undefined,
    load: {
      inMemory: env.BENCH_LOAD_DATA === 'memory',
      burstUsers: number('BENCH_BURST_USERS', 30),
      burstEach: number('BENCH_BURST_EACH', 10),
      workflows: number('BENCH_WORKFLOWS', 2000),
      clients: number('BENCH_CLIENTS', 60),
    },
    push: {
      workflows: number('BENCH_PUSH_WORKFLOWS', 12),
      approvalDelayMs: number('BENCH_APPROVAL_DELAY_MS', 3000),
    },
  };
}
