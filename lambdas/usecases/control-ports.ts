import type { DocumentClient, StepFunctions } from '#adapters/executions.ts';
import { expiresAt } from '#domain/ttl.ts';

/**
 * What the control routes (cancel, the approval signal) run on: the workflow records and approvals in
 * the state table, the event log, and Step Functions for the waiting task's token.
 */
export interface ControlPorts {
  readonly dynamo: DocumentClient;
  readonly sfn: StepFunctions;
  readonly stateTable: string;
  readonly eventLogTable: string;
  readonly ttlDays: number;
  readonly eventLogTtlDays: number;
  readonly now?: () => Date;
}

/**
 * The stores a control route reads and appends with at `now`: the owner's record, the approval
 * (with the records' TTL) and the event log (with the log's).
 */
export function controlStores(ports: ControlPorts, now: Date) {
  const { dynamo: client, stateTable } = ports;
  return {
    records: { client, tableName: stateTable, now: ports.now },
    approvals: { client, tableName: stateTable, ttlDays: ports.ttlDays, now: ports.now },
    events: {
      client,
      tableName: ports.eventLogTable,
      stateTable,
      expiresAt: expiresAt(now, ports.eventLogTtlDays),
      now: ports.now,
    },
  };
}
