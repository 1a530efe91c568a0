import { createServer, request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A DynamoDB endpoint for benchmarks: a proxy in front of DynamoDB Local that counts every request by
 * operation (measured) and prices each one in read and write request units with AWS's published
 * rules for on-demand tables (computed: DynamoDB Local's own ConsumedCapacity does not follow AWS's
 * transaction pricing — it reports a 3-item transaction of small items as 2 units, AWS bills 6).
 *
 * The rules (DynamoDB developer guide, "Read/write capacity mode" and "item sizes"):
 * - a strongly consistent read: 1 RRU per 4 KB of what it returns, rounded up per item for
 *   GetItem/BatchGetItem and over the whole page for Query; at least 1 (½ if eventually consistent);
 * - a write: 1 WRU per 1 KB of the item (the larger of before and after), at least 1, charged
 *   even when its condition fails;
 * - a transactional write: 2 WRU per 1 KB per item.
 * Item sizes are computed from the items (attribute names plus values: strings in UTF-8, numbers
 * about 1 byte per 2 digits plus 1, 3 bytes per map or list plus 1 per element). An item an
 * UpdateItem changes is read back by the proxy (uncounted) to learn its new size.
 */
export class DynamoMeter {
  /** DynamoDB Local's URL; set before the first request. */
  target = '';
  readonly requests = new Map<string, number>();
  /** Requests by operation and the tables they touch ("GetItem state", "TransactWriteItems event-log+state"). */
  readonly byTable = new Map<string, number>();
  /** The proxy's own uncounted read-backs (see {@link DynamoMeter.#sizeOf}): DynamoDB Local serves them too. */
  readBacks = 0;
  rru = 0;
  wru = 0;
  /** Failed conditional writes and cancelled transactions (counted in the totals above). */
  conflicts = 0;
  readonly #server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const op = String(req.headers['x-amz-target'] ?? '').split('.')[1] ?? 'unknown';
      const body = Buffer.concat(chunks);
      const headers = { ...req.headers, 'content-length': String(body.length) };
      const upstream = httpRequest(
        `${this.target}${req.url ?? '/'}`,
        { method: req.method, headers },
        (up) => {
          const out: Buffer[] = [];
          up.on('data', (chunk: Buffer) => out.push(chunk));
          up.on('end', () => {
            const answer = Buffer.concat(out);
            const status = up.statusCode ?? 500;
            this.#account(op, body, answer, status)
              .catch(() => undefined)
              .finally(() => {
                res.writeHead(status, up.headers);
                res.end(answer);
              });
          });
        },
      );
      upstream.on('error', () => {
        res.writeHead(502);
        res.end();
      });
      upstream.end(body);
    });
  });

  async listen(): Promise<string> {
    await new Promise<void>((resolve) => this.#server.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(this.#server.address() as AddressInfo).port}`;
  }

  async close(): Promise<void> {
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  snapshot(): MeterSnapshot {
    return { requests: new Map(this.requests), rru: this.rru, wru: this.wru, conflicts: this.conflicts };
  }

  async #account(op: string, requestBody: Buffer, answer: Buffer, status: number): Promise<void> {
    this.requests.set(op, (this.requests.get(op) ?? 0) + 1);
    const input = parse(requestBody);
    const byTable = `${op} ${tablesOf(input)}`;
    this.byTable.set(byTable, (this.byTable.get(byTable) ?? 0) + 1);
    const output = parse(answer);
    const failed = status >= 400;
    const strong = (consistent: unknown) => (consistent === true ? 1 : 0.5);
    switch (op) {
      case 'GetItem': {
        const size = output?.Item ? itemSize(output.Item as Item) : 0;
        this.rru += Math.max(1, Math.ceil(size / 4096)) * strong(input?.ConsistentRead);
        return;
      }
      case 'Query':
      case 'Scan': {
        const size = ((output?.Items as Item[] | undefined) ?? []).reduce((n, item) => n + itemSize(item), 0);
        this.rru += Math.max(1, Math.ceil(size / 4096)) * strong(input?.ConsistentRead);
        return;
      }
      case 'BatchGetItem': {
        const requestItems = (input?.RequestItems ?? {}) as Record<string, { ConsistentRead?: boolean }>;
        for (const [table, items] of Object.entries((output?.Responses ?? {}) as Record<string, Item[]>)) {
          for (const item of items) {
            this.rru +=
              Math.max(1, Math.ceil(itemSize(item) / 4096)) * strong(requestItems[table]?.ConsistentRead);
          }
        }
        return;
      }
      case 'PutItem':
        this.wru += writeUnits(itemSize((input?.Item ?? {}) as Item));
        if (failed) this.conflicts += 1;
        return;
      case 'UpdateItem': {
        const size = failed ? 0 : await this.#sizeOf(String(input?.TableName), input?.Key as Item);
        this.wru += writeUnits(size);
        if (failed) this.conflicts += 1;
        return;
      }
      case 'DeleteItem':
        this.wru += 1;
        return;
      case 'TransactWriteItems': {
        for (const entry of (input?.TransactItems ?? []) as Record<string, Record<string, unknown>>[]) {
          let size = 0;
          if (entry.Put) size = itemSize((entry.Put.Item ?? {}) as Item);
          else if (entry.Update && !failed)
            size = await this.#sizeOf(String(entry.Update.TableName), entry.Update.Key as Item);
          this.wru += 2 * writeUnits(size);
        }
        if (failed) this.conflicts += 1;
        return;
      }
      default:
        return;
    }
  }

  /** The stored size of an item (read back from DynamoDB Local, not counted). */
  async #sizeOf(table: string, key: Item | undefined): Promise<number> {
    if (!key) return 0;
    this.readBacks += 1;
    const response = await fetch(this.target, {
      method: 'POST',
      headers: {
        'x-amz-target': 'DynamoDB_20120810.GetItem',
        'content-type': 'application/x-amz-json-1.0',
        authorization:
          'AWS4-HMAC-SHA256 Credential=local/20260101/us-east-1/dynamodb/aws4_request, SignedHeaders=host, Signature=0',
      },
      body: JSON.stringify({ TableName: table, Key: key, ConsistentRead: true }),
    });
    const json = (await response.json()) as { Item?: Item };
    return json.Item ? itemSize(json.Item) : 0;
  }
}

/** The tables a request names, without the stack's prefix, sorted and deduplicated ("event-log+state"). */
export function tablesOf(input: Record<string, unknown> | undefined): string {
  const names = new Set<string>();
  const add = (table: unknown) => {
    if (typeof table === 'string') names.add(table.replace(/^omnilink-local-/, ''));
  };
  add(input?.TableName);
  for (const table of Object.keys((input?.RequestItems ?? {}) as object)) add(table);
  for (const entry of (input?.TransactItems ?? []) as Record<string, { TableName?: unknown }>[]) {
    for (const action of Object.values(entry)) add(action?.TableName);
  }
  return [...names].sort().join('+');
}

export interface MeterSnapshot {
  readonly requests: ReadonlyMap<string, number>;
  readonly rru: number;
  readonly wru: number;
  readonly conflicts: number;
}

/** What happened between two snapshots. */
export function meterDiff(after: MeterSnapshot, before: MeterSnapshot): MeterSnapshot {
  const requests = new Map<string, number>();
  for (const [op, n] of after.requests) {
    const d = n - (before.requests.get(op) ?? 0);
    if (d !== 0) requests.set(op, d);
  }
  return {
    requests,
    rru: after.rru - before.rru,
    wru: after.wru - before.wru,
    conflicts: after.conflicts - before.conflicts,
  };
}

export const WRITE_OPERATIONS: ReadonlySet<string> = new Set([
  'PutItem',
  'UpdateItem',
  'DeleteItem',
  'BatchWriteItem',
  'TransactWriteItems',
]);

/** Reads and writes in a snapshot (request counts). */
export function readsAndWrites(snapshot: MeterSnapshot): { reads: number; writes: number } {
  let reads = 0;
  let writes = 0;
  for (const [op, n] of snapshot.requests) {
    if (WRITE_OPERATIONS.has(op)) writes += n;
    else if (op !== 'DescribeTable' && op !== 'ListTables') reads += n;
  }
  return { reads, writes };
}

type Item = Record<string, AttributeValue>;
type AttributeValue = Record<string, unknown>;

const writeUnits = (size: number) => Math.max(1, Math.ceil(size / 1024));

/** DynamoDB's size of an item in wire format (attribute names plus values). */
export function itemSize(item: Item): number {
  let size = 0;
  for (const [name, value] of Object.entries(item)) size += Buffer.byteLength(name) + valueSize(value);
  return size;
}

function valueSize(value: AttributeValue): number {
  if ('S' in value) return Buffer.byteLength(String(value.S));
  if ('N' in value) return Math.ceil(String(value.N).replace(/[-.]|^0+/g, '').length / 2) + 1;
  if ('B' in value) return Buffer.from(String(value.B), 'base64').length;
  if ('BOOL' in value || 'NULL' in value) return 1;
  if ('M' in value) {
    let size = 3;
    for (const [name, nested] of Object.entries(value.M as Item))
      size += Buffer.byteLength(name) + valueSize(nested);
    return size;
  }
  if ('L' in value) {
    let size = 3;
    for (const nested of value.L as AttributeValue[]) size += 1 + valueSize(nested);
    return size;
  }
  if ('SS' in value) return (value.SS as string[]).reduce((n, s) => n + Buffer.byteLength(s), 0);
  if ('NS' in value) return (value.NS as string[]).reduce((n, s) => n + Math.ceil(s.length / 2) + 1, 0);
  return 0;
}

function parse(buffer: Buffer): Record<string, unknown> | undefined {
  try {
    return JSON.parse(buffer.toString('utf8')) as Record<string, unknown>;
  } catch {
    return undefined;
  }
}
