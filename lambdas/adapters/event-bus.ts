import { type EventBridgeClient, PutEventsCommand } from '@aws-sdk/client-eventbridge';
import { type BusEntry, chunkEntries } from '#domain/bus-events.ts';

/**
 * PutEvents with per-entry retries. EventBridge reports failures per entry (`FailedEntryCount`,
 * `Entries[i].ErrorCode`) and does not throw for them, so a request "succeeds" while some of its
 * entries were dropped: only those entries are sent again, after a full-jitter exponential backoff.
 * A request that throws (after the SDK's own retries) counts as all of its entries failing.
 * Entries that still fail after `maxAttempts` are returned, never dropped silently.
 */
export interface EventBusDeps {
  readonly client: EventBridgeClient;
  /** Attempts per entry, the first included. @default 4 */
  readonly maxAttempts?: number;
  /** Backoff before the second attempt; doubles each time. @default 100 */
  readonly baseDelayMs?: number;
  /** Cap of one backoff. @default 2000 */
  readonly maxDelayMs?: number;
  /** @default setTimeout */
  readonly sleep?: (ms: number) => Promise<void>;
  /** @default Math.random */
  readonly random?: () => number;
}

/** An entry that could not be published. */
export interface FailedEntry<T extends BusEntry> {
  readonly entry: T;
  readonly errorCode: string;
  readonly errorMessage: string;
  readonly attempts: number;
}

export interface PutResult<T extends BusEntry> {
  /** Entries EventBridge accepted. */
  readonly published: number;
  /** Entries that failed on every attempt, in their original order. */
  readonly failed: FailedEntry<T>[];
  /** Attempts made (1 = no retry was needed). */
  readonly attempts: number;
}

const defaultSleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Full jitter: a random pause in [0, min(cap, base · 2^(attempt-1))]. */
export function backoffMs(attempt: number, base: number, cap: number, random: () => number): number {
  return Math.round(random() * Math.min(cap, base * 2 ** (attempt - 1)));
}

/** Only the PutEvents fields: callers' entries may carry bookkeeping of their own. */
const toRequestEntry = ({
  EventBusName,
  Source,
  DetailType,
  Detail,
  Time,
  Resources,
}: BusEntry): BusEntry => ({
  EventBusName,
  Source,
  DetailType,
  Detail,
  Time,
  Resources,
});

/**
 * Publishes `entries` (in order, chunked to PutEvents' limits), retrying only the entries that failed.
 * Returns what still failed after the last attempt.
 */
export async function putEntries<T extends BusEntry>(
  deps: EventBusDeps,
  entries: readonly T[],
): Promise<PutResult<T>> {
  const maxAttempts = deps.maxAttempts ?? 4;
  const sleep = deps.sleep ?? defaultSleep;
  const random = deps.random ?? Math.random;
  let pending: { entry: T; index: number }[] = entries.map((entry, index) => ({ entry, index }));
  let failures = new Map<number, FailedEntry<T>>();
  let published = 0;
  let attempt = 0;
  while (pending.length > 0 && attempt < maxAttempts) {
    attempt += 1;
    if (attempt > 1)
      await sleep(backoffMs(attempt - 1, deps.baseDelayMs ?? 100, deps.maxDelayMs ?? 2000, random));
    failures = new Map();
    const byEntry = new Map(pending.map((p) => [p.entry, p.index]));
    for (const chunk of chunkEntries(pending.map((p) => p.entry))) {
      const indexOf = (entry: T): number => byEntry.get(entry) ?? -1;
      try {
        const response = await deps.client.send(new PutEventsCommand({ Entries: chunk.map(toRequestEntry) }));
        chunk.forEach((entry, i) => {
          const result = response.Entries?.[i];
          // No result for an entry would be a broken response: treat it as a failure, not a success.
          if (result?.EventId && !result.ErrorCode) {
            published += 1;
            return;
          }
          failures.set(indexOf(entry), {
            entry,
            errorCode: result?.ErrorCode ?? 'MissingResult',
            errorMessage: result?.ErrorMessage ?? 'PutEvents returned no result for this entry',
            attempts: attempt,
          });
        });
      } catch (error) {
        const name = error instanceof Error ? error.name : 'Error';
        const message = error instanceof Error ? error.message : String(error);
        for (const entry of chunk) {
          failures.set(indexOf(entry), { entry, errorCode: name, errorMessage: message, attempts: attempt });
        }
      }
    }
    pending = pending.filter((p) => failures.has(p.index));
  }
  const failed = [...failures.entries()].sort(([a], [b]) => a - b).map(([, failure]) => failure);
  return { published, failed, attempts: attempt };
}
