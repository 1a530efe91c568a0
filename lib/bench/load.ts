import { cpus } from 'node:os';
import { performance } from 'node:perf_hooks';
import { startHarness } from '../local/harness.ts';
import { processTreeMemory } from './process-tree.ts';
import type { BenchSettings } from './settings.ts';
import { percentile, type Row, verdict } from './table.ts';

/**
 * The issue's load figures, on a runtime with the default per-user limits (as `npm start`):
 * - burst: BENCH_BURST_USERS users × BENCH_BURST_EACH concurrent POSTs (distinct Idempotency-Keys),
 *   all at once; every answer's status counted (only 202, or 429 for a user over its burst, is right);
 * - throughput: BENCH_WORKFLOWS workflows submitted by BENCH_CLIENTS closed-loop clients (each user
 *   under its rate limit), wall time from the first submit to the last completion;
 * - memory: the RSS of the whole process tree — this process (API, engine, every function's worker
 *   threads) and its children (DynamoDB Local's JVM, esbuild's service) — after the load phase's
 *   200th completed workflow and after all of them;
 * - CPU: CPU time of that tree per workflow over the load phase (what bounds throughput);
 * - cold starts: execution environments each function started, and their init times.
 * Like `npm start`, the runtime keeps its data in a data directory (a temporary one, removed after):
 * DynamoDB Local on disk, executions in files. BENCH_LOAD_DATA=memory runs it in memory instead.
 */
export async function measureLoad(settings: BenchSettings['load']): Promise<Row[]> {
  const rows: Row[] = [];
  const { inMemory } = settings;
  // npm start's runtime defaults (no test prewarming, the ASL's retry pauses).
  const harness = await startHarness({ ...(inMemory ? { inMemory } : {}), env: { LOG_LEVEL: 'ERROR' } }, {});
  const runtime = harness.runtime;
  try {
    const post = async (sub: string, key: string) => {
      const token = await harness.token(sub);
      const t0 = performance.now();
      try {
        const answer = await harness.postGoal('Book a flight to NYC', { token, idempotencyKey: key });
        return { status: answer.status, ms: performance.now() - t0, id: answer.workflowId };
      } catch {
        return { status: 0, ms: performance.now() - t0, id: undefined };
      }
    };
    const run = crypto.randomUUID().slice(0, 8);
    // Warm-up: one workflow per function path (the cold starts are counted below anyway).
    const warm = await post(`warm-${run}`, `warm-${run}`);
    if (warm.id) await runtime.waitForExecution(warm.id, 120_000);

    // Burst.
    const users = settings.burstUsers;
    const each = settings.burstEach;
    const burstStart = performance.now();
    const answers = await Promise.all(
      Array.from({ length: users * each }, (_, i) => post(`burst-${run}-${i % users}`, `burst-${run}-${i}`)),
    );
    const burstMs = performance.now() - burstStart;
    const byStatus = new Map<number, number>();
    for (const a of answers) byStatus.set(a.status, (byStatus.get(a.status) ?? 0) + 1);
    const accepted = answers.filter((a) => a.status === 202 && a.id).map((a) => a.id as string);
    const burstFinal = await Promise.all(accepted.map((id) => runtime.waitForExecution(id, 600_000)));
    const burstDone = burstFinal.filter((r) => r.status === 'SUCCEEDED').length;
    const statuses = [...byStatus].map(([status, n]) => `${status}: ${n}`).join(', ');
    const wrong = answers.filter((a) => a.status !== 202 && a.status !== 429).length;
    rows.push({
      measure: `burst: ${users * each} concurrent POSTs, ${users} users × ${each}`,
      value: `${statuses} · producer p50 ${percentile(
        answers.map((a) => a.ms),
        50,
      ).toFixed(0)} ms, p99 ${percentile(
        answers.map((a) => a.ms),
        99,
      ).toFixed(0)} ms`,
      note: `${accepted.length} accepted in ${(burstMs / 1000).toFixed(1)} s, ${burstDone}/${accepted.length} completed; answers other than 202/429: ${wrong} (${verdict(wrong === 0 && burstDone === accepted.length)})`,
    });

    // Throughput and memory.
    const total = settings.workflows;
    const clients = settings.clients;
    // Each user submits 5 workflows: well inside 120/min and a burst of 30.
    const userCount = Math.ceil(total / 5);
    let next = 0;
    let completed = 0;
    let at200: ReturnType<typeof processTreeMemory> | undefined;
    const rejected = new Map<number, number>();
    const submitMs: number[] = [];
    const cpuStart = processTreeMemory();
    const fnCpuStart = new Map([...runtime.functions].map(([name, fn]) => [name, fn.cpuStats()] as const));
    const start = performance.now();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < total; i = next++) {
          const answer = await post(`load-${run}-${i % userCount}`, `load-${run}-${i}`);
          submitMs.push(answer.ms);
          if (answer.status !== 202 || !answer.id) {
            rejected.set(answer.status, (rejected.get(answer.status) ?? 0) + 1);
            continue;
          }
          const record = await runtime.waitForExecution(answer.id, 600_000);
          if (record.status === 'SUCCEEDED') completed++;
          if (completed === 200 && !at200) at200 = processTreeMemory();
        }
      }),
    );
    const wall = (performance.now() - start) / 1000;
    const end = processTreeMemory();
    const rate = completed / wall;
    const cpuPerWorkflow = (end.totalCpuMs - cpuStart.totalCpuMs) / Math.max(1, total);
    const cpuOf = (tree: typeof end, node: boolean) =>
      tree.processes.filter((p) => (p.pid === process.pid) === node).reduce((sum, p) => sum + p.cpuMs, 0);
    rows.push({
      measure: `end-to-end throughput, ${total} workflows, ${clients} clients`,
      value: `${rate.toFixed(1)} workflows/s`,
      note: `${completed}/${total} completed in ${wall.toFixed(1)} s; POST p50 ${percentile(submitMs, 50).toFixed(0)} ms, p99 ${percentile(submitMs, 99).toFixed(0)} ms; refused: ${[...rejected].map(([k, v]) => `${k}: ${v}`).join(', ') || 'none'} (goal ≥ 25/s: ${verdict(rate >= 25)})`,
    });
    rows.push({
      measure: 'CPU per workflow (whole process tree)',
      value: `${cpuPerWorkflow.toFixed(0)} ms`,
      note: `Node process (API, engine, workers) ${((cpuOf(end, true) - cpuOf(cpuStart, true)) / total).toFixed(0)} ms + children (DynamoDB Local, esbuild) ${((cpuOf(end, false) - cpuOf(cpuStart, false)) / total).toFixed(0)} ms; 25 workflows/s on ${cpus().length} cores allows at most ${((cpus().length * 1000) / 25).toFixed(0)} ms`,
    });
    const fnCpu = [...runtime.functions]
      .map(([name, fn]) => {
        const now = fn.cpuStats();
        const was = fnCpuStart.get(name) ?? { invocations: 0, cpuMs: 0 };
        return { name, invocations: now.invocations - was.invocations, cpuMs: now.cpuMs - was.cpuMs };
      })
      .filter((f) => f.invocations > 0)
      .sort((a, b) => b.cpuMs - a.cpuMs);
    rows.push({
      measure: "functions' CPU per workflow (worker threads)",
      value: `${(fnCpu.reduce((sum, f) => sum + f.cpuMs, 0) / total).toFixed(0)} ms`,
      note: fnCpu
        .map(
          (f) =>
            `${f.name} ${(f.invocations / total).toFixed(2)} × ${(f.cpuMs / f.invocations).toFixed(1)} ms`,
        )
        .join(' · '),
    });
    const mib = (n: number) => `${(n / 1024 / 1024).toFixed(0)} MB`;
    const parts = (tree: typeof end) =>
      tree.processes
        .filter((p) => p.rssBytes > 0)
        .map((p) => `${p.pid === process.pid ? 'node' : p.command} ${mib(p.rssBytes)}`)
        .join(' + ');
    const before = at200?.totalBytes ?? Number.NaN;
    const growth = end.totalBytes - before;
    rows.push({
      measure: `memory (RSS of the process tree${end.complete ? '' : ': this process only, no /proc'})`,
      value: `${mib(before)} after 200 workflows · ${mib(end.totalBytes)} after ${completed}`,
      note: `growth ${mib(growth)} (goal ≤ 150 MB: ${verdict(growth <= 150 * 1024 * 1024)}); at 200: ${at200 ? parts(at200) : '-'}; at the end: ${parts(end)}; data ${inMemory ? 'in memory' : 'in a data directory, as npm start'}`,
    });
    for (const [name, fn] of runtime.functions) {
      const cold = fn.coldStarts();
      if (cold.count === 0) continue;
      rows.push({
        measure: `cold starts, ${name}`,
        value: `${cold.count} execution environment(s) · init p50 ${percentile(cold.initMs, 50).toFixed(0)} ms, max ${Math.max(...cold.initMs).toFixed(0)} ms`,
        note: `${fn.memoryMiB} MB, worker thread importing the deployed bundle`,
      });
    }
  } finally {
    await harness.cleanup();
  }
  return rows;
}
