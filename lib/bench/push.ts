import { OmnilinkClient } from '../client.ts';
import { startHarness } from '../local/harness.ts';
import type { BenchSettings } from './settings.ts';
import { latencyRow, percentile, type Row } from './table.ts';

/**
 * The push channel on the local runtime: each workflow is followed by `watch` (push) while the
 * shipped polling client (`waitForCompletion`, DEFAULT_POLL_INTERVAL) follows it too, counting its
 * status polls. Latency is from the event's append (`at`, stamped by the appending function) to its
 * receipt in `watch`; "live" events are those appended after the watcher had received its first
 * event (so the subscription surely existed: no replay in them).
 */
export async function measurePush(settings: BenchSettings['push']): Promise<Row[]> {
  const { workflows, approvalDelayMs } = settings;
  const harness = await startHarness(
    {
      inMemory: true,
      retryIntervalMs: 10,
      env: { RATE_LIMIT_PER_MINUTE: '1000000', RATE_LIMIT_BURST: '1000000', LOG_LEVEL: 'ERROR' },
      prewarm: { producer: 1, status: 1, guardian: 1, planner: 1, step: 2, finalize: 1, wsAuthorizer: 1 },
    },
    {},
  );
  const runtime = harness.runtime;
  const live: number[] = [];
  const all: number[] = [];
  const polls: number[] = [];
  const messages: number[] = [];
  const eventsPerWorkflow: number[] = [];
  const transports = new Set<string>();
  try {
    const token = await runtime.token('bench-push');
    const goals = [
      'Book a flight to NYC',
      'Book a flight to Rome and a hotel in Rome',
      'Book a flight to Paris with my approval',
    ];
    for (let i = 0; i < workflows; i++) {
      const goal = goals[i % goals.length] ?? 'Book a flight to NYC';
      let statusPolls = 0;
      const counting: typeof fetch = (input, init) => {
        if (String(input).endsWith('/status')) statusPolls += 1;
        return fetch(input, init);
      };
      const pusher = new OmnilinkClient({ baseUrl: runtime.baseUrl, token });
      const poller = new OmnilinkClient({ baseUrl: runtime.baseUrl, token, fetch: counting });
      const { workflow_id: id } = await pusher.submitGoal(goal);
      // The shipped polling schedule, following the same workflow to its end (approval included).
      const polled = poller.waitForCompletion(id, {});
      let first: number | undefined;
      let received = 0;
      for await (const event of pusher.watch(id, { onTransport: (t) => transports.add(t) })) {
        const now = Date.now();
        const latency = now - Date.parse(event.at);
        all.push(latency);
        if (first !== undefined && Date.parse(event.at) > first) live.push(latency);
        first ??= now;
        received += 1;
        if (event.type === 'ApprovalRequested') {
          // A person takes a while to answer: the polling client keeps polling meanwhile.
          await new Promise((resolve) => setTimeout(resolve, approvalDelayMs));
          await pusher.signal(id, { approved: true });
        }
      }
      await polled;
      polls.push(statusPolls);
      eventsPerWorkflow.push(received);
      // One subscribe message up, the events and one "subscribed" down.
      messages.push(received + 2);
    }
  } finally {
    await harness.cleanup();
  }
  const median = (values: readonly number[]) => percentile(values, 50);
  // Push asks no status: its requests up are the connection and the subscribe message.
  const saved = polls.map((p) => p - 2);
  return [
    latencyRow(
      'push: event append → watch() receipt (live events)',
      live,
      `${live.length} events of ${workflows} workflows over ${[...transports].join('+')} (local WebSocket API, stream poll 100 ms)`,
    ),
    latencyRow(
      'push: event append → watch() receipt (all events, incl. replay at subscribe)',
      all,
      `${all.length} events`,
    ),
    {
      measure: 'status polls per workflow: shipped polling schedule vs push',
      value: `polling: median ${median(polls)} status polls (p95 ${percentile(polls, 95)}) · push: 1 connection, 1 subscribe, median ${median(messages)} messages received (${median(eventsPerWorkflow)} events)`,
      note: `${median(saved)} requests saved per workflow (median; polls minus push's connect and subscribe), approval answered after ${approvalDelayMs} ms in 1 of 3 goals; waitForCompletion with DEFAULT_POLL_INTERVAL (250 ms → 5 s, full jitter)`,
    },
  ];
}
