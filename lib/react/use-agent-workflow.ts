import { useCallback, useEffect, useRef, useState } from 'react';
import {
  type OmnilinkClient,
  type SubmitOptions,
  terminalEventTypes,
  type WorkflowEventBody,
  type WorkflowStatusBody,
  type WorkflowStatusValue,
} from '../client.ts';

/**
 * The seed's React hook, on the typed client: follows one workflow with `watch` (push, falling back
 * to polling), and submits, approves and cancels. Importable by any React app:
 *
 *   const { status, events, result, error, submitGoal, approve, cancel } = useAgentWorkflow(client);
 *   await submitGoal('Book a flight to Rome with my approval');   // then follows it
 *   if (status === 'waiting') await approve(true);
 *
 * `status` is the contract's status (derived from the events as they arrive, and read from
 * `GET …/status` when the workflow waits or ends, which also gives `result` and `error`), or `idle`
 * before there is a workflow and `submitting` while the goal is sent.
 */

export type AgentWorkflowStatus = 'idle' | 'submitting' | WorkflowStatusValue;

export interface UseAgentWorkflowOptions {
  /** Follow this workflow (e.g. one picked from a list); `submitGoal` switches to the new one. */
  readonly workflowId?: string;
  /** Passed to `watch`. @default 'auto' */
  readonly transport?: 'auto' | 'push' | 'poll';
}

export interface AgentWorkflow {
  readonly workflowId: string | undefined;
  readonly status: AgentWorkflowStatus;
  /** Every event of the log so far, in seq order, each once. */
  readonly events: readonly WorkflowEventBody[];
  /** The status body's `result` once completed. */
  readonly result: unknown;
  /** The workflow's error (failed, rejected) or the last refusal of the API. */
  readonly error: { readonly code: string; readonly message: string } | undefined;
  /** The last status body read (progress, compensated steps, ...). */
  readonly statusBody: WorkflowStatusBody | undefined;
  /** How events arrive now: `push` or `poll`. */
  readonly transport: 'push' | 'poll' | undefined;
  submitGoal(goal: string, options?: SubmitOptions): Promise<string>;
  approve(approved?: boolean, comment?: string): Promise<void>;
  cancel(): Promise<void>;
}

/** The status an event leaves the workflow in (what GET …/status would answer right after it). */
export function statusAfter(event: WorkflowEventBody, previous: AgentWorkflowStatus): AgentWorkflowStatus {
  switch (event.type) {
    case 'WorkflowCompleted':
      return 'completed';
    case 'WorkflowFailed':
      return 'failed';
    case 'WorkflowCancelled':
      return 'cancelled';
    case 'WorkflowRejected':
      return 'rejected';
    case 'ApprovalRequested':
      return 'waiting';
    default:
      return previous === 'idle' || previous === 'submitting' || previous === 'waiting'
        ? 'running'
        : previous;
  }
}

const errorOf = (error: unknown) => ({
  code: typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : 'error',
  message: error instanceof Error ? error.message : String(error),
});

export function useAgentWorkflow(
  client: OmnilinkClient,
  options: UseAgentWorkflowOptions = {},
): AgentWorkflow {
  const [workflowId, setWorkflowId] = useState<string | undefined>(options.workflowId);
  const [status, setStatus] = useState<AgentWorkflowStatus>(options.workflowId ? 'running' : 'idle');
  const [events, setEvents] = useState<WorkflowEventBody[]>([]);
  const [statusBody, setStatusBody] = useState<WorkflowStatusBody | undefined>();
  const [error, setError] = useState<{ code: string; message: string } | undefined>();
  const [transport, setTransport] = useState<'push' | 'poll' | undefined>();
  const current = useRef(workflowId);
  current.current = workflowId;

  // A workflow picked from outside (a list) replaces the one followed.
  useEffect(() => {
    if (options.workflowId !== undefined) setWorkflowId(options.workflowId);
  }, [options.workflowId]);

  useEffect(() => {
    if (workflowId === undefined) return;
    const abort = new AbortController();
    setEvents([]);
    setStatusBody(undefined);
    setError(undefined);
    setStatus('running');
    const readStatus = async () => {
      const body = await client.getStatus(workflowId, { signal: abort.signal });
      if (abort.signal.aborted) return;
      setStatusBody(body);
      setStatus(body.status);
      if (body.error) setError(body.error);
    };
    (async () => {
      await readStatus();
      for await (const event of client.watch(workflowId, {
        signal: abort.signal,
        ...(options.transport ? { transport: options.transport } : {}),
        onTransport: setTransport,
      })) {
        setEvents((previous) =>
          previous.some((e) => e.seq === event.seq) ? previous : [...previous, event],
        );
        setStatus((previous) => statusAfter(event, previous));
        if (event.type === 'ApprovalRequested' || terminalEventTypes.includes(event.type)) await readStatus();
      }
      await readStatus();
    })().catch((caught: unknown) => {
      if (!abort.signal.aborted) setError(errorOf(caught));
    });
    return () => abort.abort();
  }, [client, workflowId, options.transport]);

  const submitGoal = useCallback(
    async (goal: string, submitOptions: SubmitOptions = {}) => {
      setStatus('submitting');
      setError(undefined);
      try {
        const accepted = await client.submitGoal(goal, submitOptions);
        setWorkflowId(accepted.workflow_id);
        return accepted.workflow_id;
      } catch (caught) {
        setStatus('idle');
        setError(errorOf(caught));
        throw caught;
      }
    },
    [client],
  );

  const approve = useCallback(
    async (approved = true, comment?: string) => {
      const id = current.current;
      if (id === undefined) throw new Error('no workflow to approve');
      try {
        await client.signal(id, { approved, ...(comment !== undefined ? { comment } : {}) });
      } catch (caught) {
        setError(errorOf(caught));
        throw caught;
      }
    },
    [client],
  );

  const cancel = useCallback(async () => {
    const id = current.current;
    if (id === undefined) throw new Error('no workflow to cancel');
    try {
      await client.cancel(id);
    } catch (caught) {
      setError(errorOf(caught));
      throw caught;
    }
  }, [client]);

  return {
    workflowId,
    status,
    events,
    result: statusBody?.result,
    error,
    statusBody,
    transport,
    submitGoal,
    approve,
    cancel,
  };
}
