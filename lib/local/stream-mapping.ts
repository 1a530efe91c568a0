import { appendFile, mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { DescribeTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  DynamoDBStreamsClient,
  ExpiredIteratorException,
  GetRecordsCommand,
  GetShardIteratorCommand,
  type _Record as StreamsRecord,
  TrimmedDataAccessException,
} from '@aws-sdk/client-dynamodb-streams';

/**
 * Lambda's DynamoDB event-source mapping, on DynamoDB Local's Streams API (DescribeStream,
 * GetShardIterator, GetRecords): the same records AWS delivers, with the semantics the CDK stack
 * configures (lib/constructs/event-publishing.ts):
 * - per shard, one batch at a time, in sequence order; a child shard only after its parent is done;
 * - batches of up to `batchSize` records, INSERTs only (the mapping's filter), gathered for up to
 *   `maxBatchingWindowMs` (the stack's batching window), each shard read at most every `pollIntervalMs`;
 * - partial batch responses (`batchItemFailures`): the batch is checkpointed before the lowest failed
 *   record and retried from it;
 * - bisect on error: a failed batch is split in two and each half retried (splits do not count as
 *   retries), so a poison record ends up alone;
 * - after `maxRetryAttempts` retries the batch goes to the on-failure destination (AWS: an SQS queue
 *   receiving Lambda's failure record; here `onFailure`, and a JSON-lines file) and the shard moves on.
 * The shard is blocked while a batch is retried, as in AWS; other shards are not.
 *
 * Not emulated: the maximum record age (DynamoDB Local keeps records 24 h anyway), and parallelization
 * factor (1, as configured). Checkpoints (last delivered sequence number per shard) persist in
 * `stateFile`, so a restart resumes after them (at least once: a batch in flight is delivered again).
 */

export interface StreamMappingOptions {
  /**
   * Pause between polls of a shard that had nothing new. AWS's mapping polls each shard four times
   * a second; so does this one by default (fewer, fuller batches than a faster poll). @default 250
   */
  readonly pollIntervalMs?: number;
  /** Records per invocation. @default 100 */
  readonly batchSize?: number;
  /**
   * How long records are gathered before an invocation, unless `batchSize` of them are there first
   * (the stack's `maxBatchingWindow`, lib/constructs/event-publishing.ts). @default 1000
   */
  readonly maxBatchingWindowMs?: number;
  /** Retries of a failed batch (splits excluded) before it goes to the on-failure destination. @default 10 */
  readonly maxRetryAttempts?: number;
  /** Split failed batches in two. @default true */
  readonly bisectBatchOnFunctionError?: boolean;
  /** Pause before the first retry, doubling. @default 200 */
  readonly retryBaseMs?: number;
  /** @default 5000 */
  readonly retryMaxMs?: number;
}

/** Lambda's on-failure record for a stream batch (what lands in the destination queue). */
export interface StreamFailureRecord {
  readonly requestContext: {
    readonly requestId: string;
    readonly functionArn: string;
    readonly condition: 'RetryAttemptsExhausted';
    readonly approximateInvokeCount: number;
  };
  readonly responseContext: { readonly statusCode: number; readonly functionError: string };
  readonly version: '1.0';
  readonly timestamp: string;
  readonly DDBStreamBatchInfo: {
    readonly shardId: string;
    readonly startSequenceNumber: string;
    readonly endSequenceNumber: string;
    readonly approximateArrivalOfFirstRecord: string;
    readonly approximateArrivalOfLastRecord: string;
    readonly batchSize: number;
    readonly streamArn: string;
  };
}

export interface StreamMappingProps extends StreamMappingOptions {
  /** A client of the local DynamoDB (to find the table's stream). */
  readonly client: DynamoDBClient;
  readonly tableName: string;
  /** The function's ARN, for failure records. */
  readonly functionArn: string;
  /** Invokes the function with `{Records}`; resolves with its response. */
  readonly invoke: (event: unknown) => Promise<unknown>;
  /** Checkpoints. @default - memory only */
  readonly stateFile?: string;
  /** The on-failure destination as JSON lines. @default - none */
  readonly failureFile?: string;
  /** Also told about every failure record. */
  readonly onFailure?: (record: StreamFailureRecord) => void;
  /** Reports poll and delivery errors. @default console.error */
  readonly onError?: (where: string, error: unknown) => void;
}

/** A stream record as Lambda passes it: the Streams API's record, times in epoch seconds, plus the source ARN. */
type LambdaStreamRecord = Omit<StreamsRecord, 'dynamodb'> & {
  dynamodb?: Omit<NonNullable<StreamsRecord['dynamodb']>, 'ApproximateCreationDateTime'> & {
    ApproximateCreationDateTime?: number;
  };
  eventSourceARN: string;
};

function lambdaRecord(record: StreamsRecord, streamArn: string): LambdaStreamRecord {
  const { dynamodb, ...rest } = record;
  if (!dynamodb) return { ...rest, eventSourceARN: streamArn };
  const { ApproximateCreationDateTime: created, ...fields } = dynamodb;
  return {
    ...rest,
    eventSourceARN: streamArn,
    dynamodb: {
      ...fields,
      ...(created ? { ApproximateCreationDateTime: Math.floor(created.getTime() / 1000) } : {}),
    },
  };
}

interface ShardState {
  readonly shardId: string;
  readonly parentShardId: string | undefined;
  iterator: string | undefined;
  /** GetRecords returned no next iterator: the shard has ended (its records may still be buffered). */
  ended: boolean;
  /** Last sequence number delivered (or given up). */
  checkpoint: string | undefined;
  /** GetRecords found its position trimmed this many times in a row. */
  trimmed: number;
  closed: boolean;
  /** Records read but not delivered yet, in order. */
  buffer: LambdaStreamRecord[];
  /** When the buffer's oldest record was read (the batching window runs from there). */
  bufferedSince: number;
  /** When GetRecords was last called on the shard. */
  lastRead: number;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class StreamEventSourceMapping {
  readonly #props: StreamMappingProps;
  readonly #streams: DynamoDBStreamsClient;
  readonly #shards = new Map<string, ShardState>();
  readonly #checkpoints = new Map<string, string>();
  readonly failures: StreamFailureRecord[] = [];
  /** Invocations that failed (threw, or reported batch item failures). */
  failedInvocations = 0;
  /** Records delivered (acknowledged by the function) or given up, per shard: the checkpoints. */
  get checkpoints(): ReadonlyMap<string, string> {
    return this.#checkpoints;
  }
  #streamArn = '';
  #running: Promise<void> | undefined;
  #stopping = false;
  #busy = 0;
  #idleSince = 0;
  /** Set while `drain` waits: gathered records are delivered without waiting out the batching window. */
  #draining = 0;

  constructor(props: StreamMappingProps) {
    this.#props = props;
    const config = props.client.config;
    this.#streams = new DynamoDBStreamsClient({
      region: config.region,
      credentials: config.credentials,
      endpoint: config.endpoint,
    });
  }

  get streamArn(): string {
    return this.#streamArn;
  }

  async start(): Promise<void> {
    const table = await this.#props.client.send(
      new DescribeTableCommand({ TableName: this.#props.tableName }),
    );
    const arn = table.Table?.LatestStreamArn;
    if (!arn) throw new Error(`table ${this.#props.tableName} has no stream`);
    this.#streamArn = arn;
    await this.#loadState();
    this.#running = this.#run();
  }

  async stop(): Promise<void> {
    this.#stopping = true;
    await this.#running;
    await this.#saveState();
  }

  /** Resolves once every shard has been read to its end and delivered (or `timeoutMs` passed). */
  async drain(timeoutMs = 10_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const since = Date.now();
    this.#draining++;
    try {
      while (Date.now() < deadline) {
        if (this.#busy === 0 && this.#idleSince >= since) return;
        await sleep(20);
      }
    } finally {
      this.#draining--;
    }
    throw new Error('the stream mapping did not drain in time');
  }

  async #run(): Promise<void> {
    const workers = new Map<string, Promise<void>>();
    let lastDescribe = 0;
    while (!this.#stopping) {
      if (Date.now() - lastDescribe > 1000 || this.#shards.size === 0) {
        lastDescribe = Date.now();
        try {
          await this.#discoverShards();
        } catch (error) {
          this.#report('DescribeStream', error);
        }
      }
      for (const shard of this.#shards.values()) {
        if (workers.has(shard.shardId) || shard.closed) continue;
        if (this.#stopping) break;
        const parent = shard.parentShardId ? this.#shards.get(shard.parentShardId) : undefined;
        if (parent && !parent.closed) continue;
        const worker = this.#pollShard(shard).finally(() => workers.delete(shard.shardId));
        workers.set(shard.shardId, worker);
      }
      if (workers.size === 0 && this.#busy === 0) this.#idleSince = Date.now();
      await sleep(this.#props.pollIntervalMs ?? 250);
    }
    await Promise.allSettled([...workers.values()]);
  }

  async #discoverShards(): Promise<void> {
    let exclusiveStartShardId: string | undefined;
    do {
      const described = await this.#streams.send(
        new DescribeStreamCommand({
          StreamArn: this.#streamArn,
          ExclusiveStartShardId: exclusiveStartShardId,
        }),
      );
      for (const shard of described.StreamDescription?.Shards ?? []) {
        if (!shard.ShardId || this.#shards.has(shard.ShardId)) continue;
        this.#shards.set(shard.ShardId, {
          shardId: shard.ShardId,
          parentShardId: shard.ParentShardId,
          iterator: undefined,
          ended: false,
          trimmed: 0,
          checkpoint: this.#checkpoints.get(shard.ShardId),
          closed: false,
          buffer: [],
          bufferedSince: 0,
          lastRead: 0,
        });
      }
      exclusiveStartShardId = described.StreamDescription?.LastEvaluatedShardId;
    } while (exclusiveStartShardId);
  }

  /** Reads and delivers one shard until it is caught up (or closed). */
  async #pollShard(shard: ShardState): Promise<void> {
    const batchSize = this.#props.batchSize ?? 100;
    const windowMs = this.#props.maxBatchingWindowMs ?? 1000;
    const pollMs = this.#props.pollIntervalMs ?? 250;
    this.#busy++;
    try {
      while (!this.#stopping) {
        if (shard.buffer.length < batchSize && !shard.ended) await this.#read(shard, batchSize);
        if (shard.buffer.length === 0) {
          if (shard.ended) shard.closed = true;
          break;
        }
        // The batching window: more records are read (at the polling rate) until the batch is full
        // or the window, counted from the oldest record gathered, has passed.
        for (;;) {
          const left = shard.bufferedSince + windowMs - Date.now();
          if (shard.buffer.length >= batchSize || shard.ended || left <= 0) break;
          if (this.#stopping || this.#draining > 0) break;
          await sleep(Math.min(left, Math.max(0, shard.lastRead + pollMs - Date.now()), 50));
          if (Date.now() >= shard.lastRead + pollMs) await this.#read(shard, batchSize);
        }
        const batch = shard.buffer.slice(0, batchSize);
        await this.#deliver(shard, batch);
        shard.buffer.splice(0, batch.length);
        shard.bufferedSince = Date.now();
        shard.checkpoint = batch.at(-1)?.dynamodb?.SequenceNumber ?? shard.checkpoint;
        if (shard.checkpoint) this.#checkpoints.set(shard.shardId, shard.checkpoint);
        await this.#saveState();
      }
    } catch (error) {
      this.#report(`shard ${shard.shardId}`, error);
    } finally {
      this.#busy--;
      if (this.#busy === 0) this.#idleSince = Date.now();
    }
  }

  /** Reads the next records of a shard into its buffer. */
  async #read(shard: ShardState, batchSize: number): Promise<void> {
    if (!shard.iterator) {
      const iteratorOf = async (afterCheckpoint: boolean) =>
        (
          await this.#streams.send(
            new GetShardIteratorCommand({
              StreamArn: this.#streamArn,
              ShardId: shard.shardId,
              ...(afterCheckpoint && shard.checkpoint
                ? { ShardIteratorType: 'AFTER_SEQUENCE_NUMBER', SequenceNumber: shard.checkpoint }
                : { ShardIteratorType: 'TRIM_HORIZON' }),
            }),
          )
        ).ShardIterator;
      try {
        // Trimmed twice from the checkpoint: start at the oldest record kept.
        shard.iterator = await iteratorOf(shard.trimmed < 2);
      } catch (error) {
        // The checkpoint is older than the stream's 24 h: start at the oldest record kept.
        if (!(error instanceof TrimmedDataAccessException)) throw error;
        shard.iterator = await iteratorOf(false);
      }
      if (!shard.iterator) {
        shard.ended = true;
        return;
      }
    }
    try {
      shard.lastRead = Date.now();
      const page = await this.#streams.send(
        new GetRecordsCommand({ ShardIterator: shard.iterator, Limit: batchSize }),
      );
      shard.iterator = page.NextShardIterator;
      shard.trimmed = 0;
      if (!shard.iterator) shard.ended = true;
      // The mapping's filter: INSERTs only (the publisher ignores the rest anyway).
      if (shard.buffer.length === 0) shard.bufferedSince = Date.now();
      for (const record of page.Records ?? []) {
        if (record.eventName === 'INSERT') shard.buffer.push(lambdaRecord(record, this.#streamArn));
      }
    } catch (error) {
      // An iterator past its 15 minutes, or a position DynamoDB has trimmed: get a new iterator.
      if (error instanceof TrimmedDataAccessException) {
        shard.trimmed++;
        if (shard.trimmed > 3) shard.ended = true;
      } else if (!(error instanceof ExpiredIteratorException)) {
        throw error;
      }
      shard.iterator = undefined;
    }
  }

  /**
   * Delivers one batch with AWS's error handling: partial failures retry from the lowest failed
   * record, a failed batch is bisected, a batch that keeps failing goes to the on-failure destination.
   */
  async #deliver(shard: ShardState, batch: readonly LambdaStreamRecord[]): Promise<void> {
    let pending = [...batch];
    let retries = 0;
    let invocations = 0;
    while (pending.length > 0 && !this.#stopping) {
      invocations++;
      let failedFrom: number | undefined;
      let errorName = '';
      try {
        const response = await this.#props.invoke({ Records: pending });
        failedFrom = lowestFailure(response, pending);
        if (failedFrom !== undefined) errorName = 'PartialBatchFailure';
      } catch (error) {
        failedFrom = 0;
        errorName = error instanceof Error ? error.name : 'Unhandled';
      }
      if (failedFrom === undefined) return;
      this.failedInvocations++;
      pending = pending.slice(failedFrom);
      if ((this.#props.bisectBatchOnFunctionError ?? true) && pending.length > 1) {
        // Split: each half is a batch of its own (in order); splitting is not a retry.
        const half = Math.ceil(pending.length / 2);
        await this.#deliver(shard, pending.slice(0, half));
        await this.#deliver(shard, pending.slice(half));
        return;
      }
      if (retries >= (this.#props.maxRetryAttempts ?? 10)) {
        await this.#giveUp(shard, pending, invocations, errorName);
        return;
      }
      retries++;
      const base = this.#props.retryBaseMs ?? 200;
      await sleep(Math.min(this.#props.retryMaxMs ?? 5000, base * 2 ** (retries - 1)));
    }
  }

  async #giveUp(
    shard: ShardState,
    records: readonly LambdaStreamRecord[],
    invocations: number,
    functionError: string,
  ): Promise<void> {
    const first = records[0]?.dynamodb;
    const last = records.at(-1)?.dynamodb;
    const arrival = (seconds: number | undefined) =>
      (seconds === undefined ? new Date() : new Date(seconds * 1000)).toISOString();
    const failure: StreamFailureRecord = {
      requestContext: {
        requestId: crypto.randomUUID(),
        functionArn: this.#props.functionArn,
        condition: 'RetryAttemptsExhausted',
        approximateInvokeCount: invocations,
      },
      responseContext: { statusCode: 200, functionError },
      version: '1.0',
      timestamp: new Date().toISOString(),
      DDBStreamBatchInfo: {
        shardId: shard.shardId,
        startSequenceNumber: first?.SequenceNumber ?? '',
        endSequenceNumber: last?.SequenceNumber ?? '',
        approximateArrivalOfFirstRecord: arrival(first?.ApproximateCreationDateTime),
        approximateArrivalOfLastRecord: arrival(last?.ApproximateCreationDateTime),
        batchSize: records.length,
        streamArn: this.#streamArn,
      },
    };
    this.failures.push(failure);
    this.#props.onFailure?.(failure);
    if (this.#props.failureFile) {
      await mkdir(dirname(this.#props.failureFile), { recursive: true });
      await appendFile(this.#props.failureFile, `${JSON.stringify(failure)}\n`);
    }
  }

  async #loadState(): Promise<void> {
    if (!this.#props.stateFile) return;
    try {
      const state = JSON.parse(await readFile(this.#props.stateFile, 'utf8')) as {
        streamArn?: string;
        checkpoints?: Record<string, string>;
      };
      // A new table (a new stream) starts over.
      if (state.streamArn !== this.#streamArn) return;
      for (const [shard, seq] of Object.entries(state.checkpoints ?? {})) this.#checkpoints.set(shard, seq);
    } catch {
      // No state yet.
    }
  }

  async #saveState(): Promise<void> {
    const file = this.#props.stateFile;
    if (!file) return;
    await mkdir(dirname(file), { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    await writeFile(
      tmp,
      JSON.stringify({ streamArn: this.#streamArn, checkpoints: Object.fromEntries(this.#checkpoints) }),
    );
    await rename(tmp, file);
  }

  #report(where: string, error: unknown): void {
    if (this.#stopping) return;
    (this.#props.onError ?? ((w, e) => console.error(`[stream mapping] ${w}:`, e)))(where, error);
  }
}

/** Index of the lowest record a partial batch response names as failed (undefined: none failed). */
function lowestFailure(response: unknown, batch: readonly LambdaStreamRecord[]): number | undefined {
  if (typeof response !== 'object' || response === null || !('batchItemFailures' in response))
    return undefined;
  const failures = (response as { batchItemFailures?: unknown }).batchItemFailures;
  if (!Array.isArray(failures) || failures.length === 0) return undefined;
  let lowest: number | undefined;
  for (const failure of failures) {
    const id =
      typeof failure === 'object' && failure !== null && 'itemIdentifier' in failure
        ? String((failure as { itemIdentifier: unknown }).itemIdentifier)
        : '';
    const index = batch.findIndex((record) => record.dynamodb?.SequenceNumber === id);
    // An identifier that names no record of the batch fails the whole batch, as in AWS.
    const at = Math.max(index, 0);
    lowest = lowest === undefined ? at : Math.min(lowest, at);
  }
  return lowest;
}
