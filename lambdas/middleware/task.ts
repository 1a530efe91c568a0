import type { Correlation } from './correlation.ts';

/**
 * The correlation ids of a state-machine task: every task's payload names its workflow. The payload is
 * raw here (validated by the use case), so anything that is not a string is left out.
 */
export function taskCorrelation(event: unknown): Correlation {
  const id = (event as { workflow_id?: unknown } | null | undefined)?.workflow_id;
  return typeof id === 'string' ? { workflowId: id } : {};
}
