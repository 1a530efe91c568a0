import { randomUUID } from 'node:crypto';
import { appendFile, mkdir } from 'node:fs/promises';
import type { Server } from 'node:http';
import { dirname } from 'node:path';
import { AwsServiceError, createAwsJsonServer } from './aws-json.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda.ts';

/**
 * EventBridge, as a sink: `PutEvents` (AWS JSON 1.1) records the entries in memory and, with a file,
 * appends them as JSON lines. Like AWS it reports failures per entry and does not throw for them;
 * tests can inject such failures with `failEntries` (e.g. to fail each entry's first attempt only).
 */

/** An entry as it was put, plus what EventBridge adds. */
export interface RecordedEvent {
  readonly EventId: string;
  readonly Time: string;
  readonly EventBusName: string;
  readonly Source?: string;
  readonly DetailType?: string;
  /** The parsed `Detail`. */
  readonly Detail: unknown;
  readonly Resources: readonly string[];
}

/** Decides whether an entry fails: return its `{ErrorCode, ErrorMessage}` or undefined. */
export type EntryFailureInjector = (
  entry: Record<string, unknown>,
  index: number,
) => { ErrorCode: string; ErrorMessage: string } | undefined;

export interface EventsSinkProps {
  /** JSON-lines file the entries are appended to. @default - memory only */
  readonly file?: string;
  /**
   * Events kept in memory (`events`), the latest; older ones are only in the file. Keeps a long
   * `npm start` flat. @default 10_000
   */
  readonly keep?: number;
}

/** The recorded events (the latest `keep` in memory) and the test hooks. */
export class EventsSink {
  readonly events: RecordedEvent[] = [];
  readonly #file: string | undefined;
  readonly #keep: number;
  #injector: EntryFailureInjector | undefined;
  #writes: Promise<void> = Promise.resolve();

  constructor(props: EventsSinkProps = {}) {
    this.#file = props.file;
    this.#keep = Math.max(1, props.keep ?? 10_000);
  }

  /** Makes entries fail (per entry, like AWS) until `clearFailures()`. */
  failEntries(injector: EntryFailureInjector): void {
    this.#injector = injector;
  }

  clearFailures(): void {
    this.#injector = undefined;
  }

  /** Events whose Detail or DetailType match, for assertions. */
  find(predicate: (event: RecordedEvent) => boolean): RecordedEvent[] {
    return this.events.filter(predicate);
  }

  /** Waits until pending appends to the file are written. */
  async flush(): Promise<void> {
    await this.#writes;
  }

  putEvents(input: Record<string, unknown>): Record<string, unknown> {
    const entries = input.Entries;
    if (!Array.isArray(entries) || entries.length < 1 || entries.length > 10) {
      throw new AwsServiceError('ValidationException', 'Entries must contain between 1 and 10 entries');
    }
    const results: Record<string, unknown>[] = [];
    const recorded: RecordedEvent[] = [];
    entries.forEach((raw: unknown, index) => {
      const entry = isRecord(raw) ? raw : {};
      const failure = this.#injector?.(entry, index) ?? validate(entry);
      if (failure) {
        results.push(failure);
        return;
      }
      const event: RecordedEvent = {
        EventId: randomUUID(),
        Time: eventTime(entry.Time),
        EventBusName: typeof entry.EventBusName === 'string' ? entry.EventBusName : 'default',
        Source: String(entry.Source),
        DetailType: String(entry.DetailType),
        Detail: JSON.parse(String(entry.Detail)),
        Resources: Array.isArray(entry.Resources) ? entry.Resources.map(String) : [],
      };
      recorded.push(event);
      results.push({ EventId: event.EventId });
    });
    this.events.push(...recorded);
    if (this.events.length > this.#keep) this.events.splice(0, this.events.length - this.#keep);
    if (this.#file && recorded.length > 0) this.#append(this.#file, recorded);
    return { FailedEntryCount: results.filter((r) => 'ErrorCode' in r).length, Entries: results };
  }

  #append(file: string, events: RecordedEvent[]): void {
    const lines = events.map((event) => `${JSON.stringify(event)}\n`).join('');
    this.#writes = this.#writes
      .then(async () => {
        await mkdir(dirname(file), { recursive: true });
        await appendFile(file, lines);
      })
      .catch((error: unknown) => console.error('[local eventbridge] could not append events:', error));
  }
}

/** Like EventBridge: the entry's `Time` (epoch seconds on the wire) if it has one, else now. */
function eventTime(time: unknown): string {
  const date =
    typeof time === 'number' ? new Date(time * 1000) : typeof time === 'string' ? new Date(time) : undefined;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : new Date().toISOString();
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function validate(entry: Record<string, unknown>): { ErrorCode: string; ErrorMessage: string } | undefined {
  for (const key of ['Source', 'DetailType', 'Detail']) {
    if (typeof entry[key] !== 'string' || entry[key] === '') {
      return { ErrorCode: 'InvalidArgument', ErrorMessage: `Parameter ${key} is not valid.` };
    }
  }
  try {
    const detail: unknown = JSON.parse(String(entry.Detail));
    if (typeof detail !== 'object' || detail === null || Array.isArray(detail))
      throw new Error('not an object');
  } catch {
    return { ErrorCode: 'MalformedDetail', ErrorMessage: 'Detail is malformed.' };
  }
  return undefined;
}

/** Creates (does not start) the local EventBridge endpoint. */
export function createEventBridgeServer(sink: EventsSink): Server {
  return createAwsJsonServer({
    targetPrefix: 'AWSEvents',
    jsonVersion: '1.1',
    actions: {
      PutEvents: (input) => sink.putEvents(input),
      // Answers the health check (and `aws events list-event-buses`).
      ListEventBuses: () => ({
        EventBuses: [
          { Name: 'default', Arn: `arn:aws:events:${LOCAL_REGION}:${LOCAL_ACCOUNT}:event-bus/default` },
        ],
      }),
    },
  });
}
