import { createHash } from 'node:crypto';
import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { performance } from 'node:perf_hooks';
import {
  type AttributeValue,
  type DynamoDBClient,
  QueryCommand,
  ScanCommand,
} from '@aws-sdk/client-dynamodb';
import type { TableSpec } from '../specs.ts';
import { LOCAL_ACCOUNT, LOCAL_REGION } from './lambda.ts';

/**
 * DynamoDB Streams, emulated for one table (dynalite has no streams): a tailer polls the table and
 * invokes the stream's function with DynamoDB-stream-shaped records (`INSERT`, `NEW_IMAGE`, marshalled
 * images), exactly the event Lambda's event-source mapping delivers in AWS, so the same handler runs.
 *
 * How it finds new items: a keys-only Scan finds, per partition (workflow), the highest sort key
 * (seq); partitions past their cursor are read with a strongly consistent Query `seq > cursor`, in
 * order. Cursors (last delivered seq per partition) are persisted in `stateFile` after every batch,
 * so a restart resumes where it stopped instead of re-publishing everything (a batch that was being
 * delivered when the process died is delivered again: at least once, like AWS).
 *
 * Differences from AWS (written down, and acceptable for a local stand-in):
 * - Latency: a poll interval (fast while there is activity, backing off to `maxIntervalMs` when idle)
 *   instead of sub-second stream delivery; each poll scans the table's keys.
 * - Only INSERTs of new keys are seen (no MODIFY/REMOVE records); the publisher ignores those anyway.
 * - Partial failures: AWS re-delivers the shard from the lowest failed sequence number (records of
 *   other workflows after it included); here only the failed workflow's records, from its first
 *   failed one, are re-delivered. Both are at-least-once and in order per workflow.
 * - Retries back off per workflow; after `maxRetryAttempts` the failed records are appended to
 *   `failureFile` (AWS: the on-failure SQS destination) and skipped. No bisection, no record age.
 * - Sequence numbers are local counters, unique and increasing within the process.
 */

export interface EventStreamOptions {
  /** Shortest pause between polls (while records keep arriving). @default 100 */
  readonly intervalMs?: number;
  /** Longest pause between polls when idle. @default 1000 */
  readonly maxIntervalMs?: number;
  /** Records per invocation (the event-source mapping's batch size). @default 100 */
  readonly batchSize?: number;
  /** Failed deliveries of a workflow's records before they are given up. @default 10 */
  readonly maxRetryAttempts?: number;
  /** Backoff after the first failed delivery, doubling each time. @default 200 */
  readonly retryBaseMs?: number;
  /** Cap of the backoff. @default 5000 */
  readonly retryMaxMs?: number;
}

export interface EventStreamTailerProps extends EventStreamOptions {
  /** A low-level client of the local DynamoDB (items stay marshalled, as in stream records). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** Keys of the table: a string partition key and a numeric sort key. */
  readonly spec: Pick<TableSpec, 'partitionKey' | 'sortKey'>;
  /** Invokes the stream's function with `{Records: [...]}`; resolves with its response. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  /** Where cursors are persisted. @default - memory only */
  readonly stateFile?: string;
  /** JSON lines of records given up after `maxRetryAttempts` (the on-failure destination). @default - none */
  readonly failureFile?: string;
  /** Reports poll and delivery errors. @default console.error */
  readonly onError?: (where: string, error: unknown) => void;
}

/** A DynamoDB stream record, as Lambda passes it. */
export interface StreamRecord {
  readonly eventID: string;
  readonly eventName: 'INSERT';
  readonly eventVersion: '1.1';
  readonly eventSource: 'aws:dynamodb';
  readonly awsRegion: string;
  readonly eventSourceARN: string;
  readonly dynamodb: {
    readonly ApproximateCreationDateTime: number;
    readonly Keys: Record<string, AttributeValue>;
    readonly NewImage: Record<string, AttributeValue>;
    readonly SequenceNumber: string;
    readonly SizeBytes: number;
    readonly StreamViewType: 'NEW_IMAGE';
  };
}

interface Pending {
  readonly partition: string;
  readonly seq: number;
  readonly record: StreamRecord;
}

interface Backoff {
  attempts: number;
  notBefore: number;
}

const STATE_VERSION = 1;

/** Tails one table and feeds its new items to a function, like a DynamoDB stream + event-source mapping. */
export class EventStreamTailer {
  readonly #props: EventStreamTailerProps;
  readonly #cursors = new Map<string, number>();
  readonly #backoff = new Map<string, Backoff>();
  readonly #streamArn: string;
  #sequence = BigInt(Date.now()) * 1_000_000n;
  #queue: Promise<unknown> = Promise.resolve();
  #loop: Promise<void> | undefined;
  #stopped = false;
  #loaded: Promise<void> | undefined;
  #wake: (() => void) | undefined;
  /** Records delivered (the function reported no failure for them), for tests and diagnostics. */
  delivered = 0;
  /** Invocations that reported failures or threw. */
  failedInvocations = 0;

  constructor(props: EventStreamTailerProps) {
    if (props.spec.sortKey.type !== 'N' || props.spec.partitionKey.type !== 'S') {
      throw new Error('the stream emulator tails tables with a string partition key and a numeric sort key');
    }
    this.#props = props;
    this.#streamArn = `arn:aws:dynamodb:${LOCAL_REGION}:${LOCAL_ACCOUNT}:table/${props.tableName}/stream/local`;
  }

  /** Loads the persisted cursors (if any) and starts polling. */
  async start(): Promise<void> {
    this.#loaded ??= this.#loadState();
    await this.#loaded;
    this.#stopped = false;
    this.#loop = this.#run();
  }

  /** Stops polling after the delivery in progress, if any; cursors are already persisted. */
  async stop(): Promise<void> {
    this.#stopped = true;
    this.#wake?.();
    await this.#loop;
    await this.#queue.catch(() => undefined);
  }

  /** Last delivered sort key of a partition (0 = none). */
  cursorOf(partition: string): number {
    return this.#cursors.get(partition) ?? 0;
  }

  /**
   * Polls until nothing is left to deliver (records waiting for a retry included), or `timeoutMs`
   * passes: for tests and for a clean shutdown.
   */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const { remaining, waitMs } = await this.poll();
      if (remaining === 0) return;
      if (Date.now() + waitMs > deadline)
        throw new Error(`event stream: ${remaining} record(s) still pending`);
      await new Promise((resolve) => setTimeout(resolve, Math.max(10, waitMs)));
    }
  }

  /**
   * One poll: delivers up to `batchSize` records in one invocation. Resolves with how many records
   * were waiting after it, and how long until the earliest backed-off partition may be retried.
   */
  poll(): Promise<{ delivered: number; remaining: number; waitMs: number }> {
    const run = this.#queue.then(() => this.#pollOnce());
    this.#queue = run.catch(() => undefined);
    return run;
  }

  async #run(): Promise<void> {
    const min = this.#props.intervalMs ?? 100;
    const max = this.#props.maxIntervalMs ?? 1000;
    let interval = min;
    while (!this.#stopped) {
      try {
        const started = performance.now();
        const { delivered, remaining, waitMs } = await this.poll();
        // Busy: poll again soon. Waiting for a retry: poll when it is due. Idle: back off.
        if (delivered > 0 || (remaining > 0 && waitMs === 0)) interval = min;
        else if (remaining > 0) interval = Math.min(max, Math.max(min, waitMs));
        else interval = Math.min(max, interval * 2);
        // Each poll scans the table's keys, in the same process as the API and the workflows: keep
        // that under a tenth of the time however large the table grows (AWS streams cost nothing here).
        interval = Math.max(interval, 10 * (performance.now() - started));
      } catch (error) {
        this.#report('poll', error);
        interval = max;
      }
      if (this.#stopped) break;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, interval);
        this.#wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
      this.#wake = undefined;
    }
  }

  async #pollOnce(): Promise<{ delivered: number; remaining: number; waitMs: number }> {
    this.#loaded ??= this.#loadState();
    await this.#loaded;
    const now = Date.now();
    const heads = await this.#scanHeads();
    let remaining = 0;
    let waitMs = Number.POSITIVE_INFINITY;
    const ready: string[] = [];
    for (const [partition, head] of heads) {
      const behind = head - this.cursorOf(partition);
      if (behind <= 0) continue;
      remaining += behind;
      const backoff = this.#backoff.get(partition);
      if (backoff && backoff.notBefore > now) waitMs = Math.min(waitMs, backoff.notBefore - now);
      else ready.push(partition);
    }
    if (ready.length === 0) return { delivered: 0, remaining, waitMs: Number.isFinite(waitMs) ? waitMs : 0 };

    const batchSize = this.#props.batchSize ?? 100;
    const batch: Pending[] = [];
    for (const partition of ready) {
      if (batch.length >= batchSize) break;
      batch.push(...(await this.#readAfter(partition, batchSize - batch.length)));
    }
    if (batch.length === 0) return { delivered: 0, remaining, waitMs: 0 };

    const failed = await this.#invoke(batch);
    const delivered = await this.#advance(batch, failed);
    return { delivered, remaining: remaining - delivered, waitMs: 0 };
  }

  /** The highest sort key of every partition (a keys-only scan). */
  async #scanHeads(): Promise<Map<string, number>> {
    const { partitionKey, sortKey } = this.#props.spec;
    const heads = new Map<string, number>();
    let startKey: Record<string, AttributeValue> | undefined;
    do {
      const page = await this.#props.client.send(
        new ScanCommand({
          TableName: this.#props.tableName,
          ProjectionExpression: '#pk, #sk',
          ExpressionAttributeNames: { '#pk': partitionKey.name, '#sk': sortKey.name },
          ExclusiveStartKey: startKey,
        }),
      );
      for (const item of page.Items ?? []) {
        const partition = item[partitionKey.name]?.S;
        const sort = Number(item[sortKey.name]?.N);
        if (partition === undefined || !Number.isFinite(sort)) continue;
        if (sort > (heads.get(partition) ?? 0)) heads.set(partition, sort);
      }
      startKey = page.LastEvaluatedKey;
    } while (startKey);
    return heads;
  }

  /** A partition's items after its cursor, in order, as stream records. */
  async #readAfter(partition: string, limit: number): Promise<Pending[]> {
    const { partitionKey, sortKey } = this.#props.spec;
    const page = await this.#props.client.send(
      new QueryCommand({
        TableName: this.#props.tableName,
        KeyConditionExpression: '#pk = :pk AND #sk > :after',
        ExpressionAttributeNames: { '#pk': partitionKey.name, '#sk': sortKey.name },
        ExpressionAttributeValues: {
          ':pk': { S: partition },
          ':after': { N: String(this.cursorOf(partition)) },
        },
        ConsistentRead: true,
        Limit: limit,
      }),
    );
    return (page.Items ?? []).flatMap((item) => {
      const pk = item[partitionKey.name];
      const sk = item[sortKey.name];
      if (!pk || !sk) return [];
      return [
        {
          partition,
          seq: Number(sk.N),
          record: this.#record(item, { [partitionKey.name]: pk, [sortKey.name]: sk }),
        },
      ];
    });
  }

  #record(item: Record<string, AttributeValue>, keys: Record<string, AttributeValue>): StreamRecord {
    this.#sequence += 1n;
    const sequenceNumber = this.#sequence.toString().padStart(21, '0');
    return {
      eventID: createHash('sha256')
        .update(`${this.#streamArn}\n${sequenceNumber}`)
        .digest('hex')
        .slice(0, 32),
      eventName: 'INSERT',
      eventVersion: '1.1',
      eventSource: 'aws:dynamodb',
      awsRegion: LOCAL_REGION,
      eventSourceARN: this.#streamArn,
      dynamodb: {
        ApproximateCreationDateTime: Math.floor(Date.now() / 1000),
        Keys: keys,
        NewImage: item,
        SequenceNumber: sequenceNumber,
        SizeBytes: Buffer.byteLength(JSON.stringify(item)),
        StreamViewType: 'NEW_IMAGE',
      },
    };
  }

  /**
   * Invokes the function; returns the sequence numbers that failed. Like Lambda: a thrown error, or
   * a `batchItemFailures` entry that names no record of the batch, fails the whole batch.
   */
  async #invoke(batch: readonly Pending[]): Promise<Set<string>> {
    const all = new Set(batch.map((p) => p.record.dynamodb.SequenceNumber));
    let response: unknown;
    try {
      response = await this.#props.invoke({ Records: batch.map((p) => p.record) });
    } catch (error) {
      this.failedInvocations += 1;
      this.#report('invoke', error);
      return all;
    }
    const failures = batchItemFailures(response);
    if (failures === undefined) return new Set();
    const failed = new Set<string>();
    for (const id of failures) {
      if (typeof id !== 'string' || !all.has(id)) {
        this.failedInvocations += 1;
        this.#report('invoke', new Error(`batchItemFailures names an unknown record: ${String(id)}`));
        return all;
      }
      failed.add(id);
    }
    if (failed.size > 0) this.failedInvocations += 1;
    return failed;
  }

  /** Moves each partition's cursor past what was delivered; backs off (or gives up) on the rest. */
  async #advance(batch: readonly Pending[], failed: ReadonlySet<string>): Promise<number> {
    let delivered = 0;
    const byPartition = new Map<string, Pending[]>();
    for (const pending of batch) {
      const list = byPartition.get(pending.partition) ?? [];
      list.push(pending);
      byPartition.set(pending.partition, list);
    }
    const givenUp: Pending[] = [];
    for (const [partition, records] of byPartition) {
      const firstFailed = records.findIndex((p) => failed.has(p.record.dynamodb.SequenceNumber));
      const ok = firstFailed === -1 ? records : records.slice(0, firstFailed);
      delivered += ok.length;
      const last = ok.at(-1);
      if (last) this.#cursors.set(partition, last.seq);
      if (firstFailed === -1) {
        this.#backoff.delete(partition);
        continue;
      }
      const attempts = (this.#backoff.get(partition)?.attempts ?? 0) + 1;
      if (attempts > (this.#props.maxRetryAttempts ?? 10)) {
        const rest = records.slice(firstFailed);
        givenUp.push(...rest);
        const lastRest = rest.at(-1);
        if (lastRest) this.#cursors.set(partition, lastRest.seq);
        this.#backoff.delete(partition);
        continue;
      }
      const base = this.#props.retryBaseMs ?? 200;
      const cap = this.#props.retryMaxMs ?? 5000;
      this.#backoff.set(partition, {
        attempts,
        notBefore: Date.now() + Math.min(cap, base * 2 ** (attempts - 1)),
      });
    }
    this.delivered += delivered;
    if (givenUp.length > 0) await this.#giveUp(givenUp);
    await this.#saveState();
    return delivered;
  }

  async #giveUp(records: readonly Pending[]): Promise<void> {
    this.#report(
      'deliver',
      new Error(
        `gave up on ${records.length} record(s) after ${this.#props.maxRetryAttempts ?? 10} retries: ` +
          records.map((p) => `${p.partition}#${p.seq}`).join(', '),
      ),
    );
    const file = this.#props.failureFile;
    if (!file) return;
    const at = new Date().toISOString();
    const lines = records
      .map((p) =>
        JSON.stringify({
          at,
          table: this.#props.tableName,
          partition: p.partition,
          seq: p.seq,
          record: p.record,
        }),
      )
      .join('\n');
    await mkdir(dirname(file), { recursive: true });
    await appendFile(file, `${lines}\n`);
  }

  async #loadState(): Promise<void> {
    const file = this.#props.stateFile;
    if (!file) return;
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch {
      return; // First start: deliver everything in the table (like TRIM_HORIZON).
    }
    try {
      const state: unknown = JSON.parse(text);
      if (!isRecord(state) || state.version !== STATE_VERSION || !isRecord(state.cursors))
        throw new Error('unknown format');
      for (const [partition, seq] of Object.entries(state.cursors)) {
        if (typeof seq === 'number' && Number.isFinite(seq)) this.#cursors.set(partition, seq);
      }
    } catch (error) {
      // Unreadable cursors: start over, re-publishing (at least once beats never).
      this.#report('load state', error);
    }
  }

  async #saveState(): Promise<void> {
    const file = this.#props.stateFile;
    if (!file) return;
    const state = {
      version: STATE_VERSION,
      table: this.#props.tableName,
      cursors: Object.fromEntries(this.#cursors),
    };
    await mkdir(dirname(file), { recursive: true });
    // Write-and-rename: a crash never leaves half a file behind.
    const temporary = `${file}.tmp`;
    await writeFile(temporary, JSON.stringify(state));
    await rename(temporary, file);
  }

  #report(where: string, error: unknown): void {
    (this.#props.onError ?? ((w, e) => console.error(`[local event stream] ${w}:`, e)))(where, error);
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The `itemIdentifier`s of a partial batch response; undefined when there are none. */
function batchItemFailures(response: unknown): unknown[] | undefined {
  if (!isRecord(response) || !Array.isArray(response.batchItemFailures)) return undefined;
  return response.batchItemFailures.map((failure: unknown) =>
    isRecord(failure) ? failure.itemIdentifier : undefined,
  );
}
