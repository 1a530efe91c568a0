import type { RemovalPolicy } from 'aws-cdk-lib';
import {
  AttributeType,
  BillingMode,
  ProjectionType,
  StreamViewType,
  Table,
  TableEncryption,
} from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';
import { type TableName, type TableSpec, tableSpecs } from '../specs.ts';

/** Props of {@link Tables}. */
export interface TablesProps {
  /** What happens to the tables (and their data) when they leave the stack. */
  readonly removalPolicy: RemovalPolicy;
}

const attributeType = (type: TableSpec['partitionKey']['type']): AttributeType =>
  type === 'N' ? AttributeType.NUMBER : AttributeType.STRING;

/**
 * The tables of `tableSpecs`: on-demand, point-in-time recovery, AWS-managed encryption, the spec's TTL
 * attribute, its global secondary indexes and, where the spec asks for one, a DynamoDB stream (the
 * event log's feeds the bus). Names are generated; functions learn them through the spec's
 * environment variable.
 */
export class Tables extends Construct {
  readonly byName: Readonly<Record<TableName, Table>>;

  constructor(scope: Construct, id: string, props: TablesProps) {
    super(scope, id);
    const entries = (Object.entries(tableSpecs) as [TableName, TableSpec][]).map(([name, spec]) => {
      const table = new Table(this, pascal(name), {
        partitionKey: { name: spec.partitionKey.name, type: attributeType(spec.partitionKey.type) },
        sortKey: { name: spec.sortKey.name, type: attributeType(spec.sortKey.type) },
        billingMode: BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        encryption: TableEncryption.AWS_MANAGED,
        timeToLiveAttribute: spec.ttlAttribute,
        ...(spec.stream === 'NEW_IMAGE' ? { stream: StreamViewType.NEW_IMAGE } : {}),
        removalPolicy: props.removalPolicy,
      });
      for (const index of spec.indexes ?? []) {
        table.addGlobalSecondaryIndex({
          indexName: index.name,
          partitionKey: { name: index.partitionKey.name, type: attributeType(index.partitionKey.type) },
          sortKey: { name: index.sortKey.name, type: attributeType(index.sortKey.type) },
          projectionType: index.projection === 'KEYS_ONLY' ? ProjectionType.KEYS_ONLY : ProjectionType.ALL,
        });
      }
      return [name, table] as const;
    });
    this.byName = Object.fromEntries(entries) as Record<TableName, Table>;
  }
}

/** `eventLog` → `EventLog`, for construct ids and output names. */
export const pascal = (name: string): string => name.charAt(0).toUpperCase() + name.slice(1);
