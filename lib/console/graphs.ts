import type { WorkflowEventBody } from '../client.ts';

/*
 * The console's graphs as plain data (no DOM): the state machine from the ASL file with the state a
 * workflow is in, and the plan's DAG with each step's state, both laid out in layers for an SVG.
 */

export interface GraphNode {
  readonly id: string;
  readonly label: string;
  readonly layer: number;
  readonly column: number;
  readonly kind: string;
}

export interface Graph {
  readonly nodes: readonly GraphNode[];
  readonly edges: readonly { readonly from: string; readonly to: string; readonly dashed?: boolean }[];
  readonly layers: number;
  readonly width: number;
}

interface AslState {
  readonly Type?: string;
  readonly Next?: string;
  readonly Default?: string;
  readonly Choices?: readonly { readonly Next?: string }[];
  readonly Catch?: readonly { readonly Next?: string }[];
}

/** The top-level states of an ASL definition, layered by breadth-first distance from StartAt. */
export function stateMachineGraph(asl: { StartAt: string; States: Record<string, AslState> }): Graph {
  const edges: { from: string; to: string; dashed?: boolean }[] = [];
  for (const [name, state] of Object.entries(asl.States)) {
    const targets = [state.Next, state.Default, ...(state.Choices ?? []).map((c) => c.Next)];
    for (const to of targets) if (to) edges.push({ from: name, to });
    for (const c of state.Catch ?? []) if (c.Next) edges.push({ from: name, to: c.Next, dashed: true });
  }
  const layerOf = new Map<string, number>([[asl.StartAt, 0]]);
  const queue = [asl.StartAt];
  for (let name = queue.shift(); name !== undefined; name = queue.shift()) {
    for (const edge of edges) {
      if (edge.from !== name || edge.dashed || layerOf.has(edge.to)) continue;
      layerOf.set(edge.to, (layerOf.get(name) ?? 0) + 1);
      queue.push(edge.to);
    }
  }
  // States reached only by a Catch go below the rest.
  let deepest = Math.max(...layerOf.values());
  for (const name of Object.keys(asl.States)) {
    if (!layerOf.has(name)) {
      const parents = edges
        .filter((e) => e.to === name && layerOf.has(e.from))
        .map((e) => layerOf.get(e.from) ?? 0);
      const layer = parents.length > 0 ? Math.max(deepest, ...parents) + 1 : deepest + 1;
      layerOf.set(name, layer);
      deepest = Math.max(deepest, layer);
      for (const edge of edges) {
        if (edge.from === name && !layerOf.has(edge.to)) {
          layerOf.set(edge.to, layer + 1);
          deepest = Math.max(deepest, layer + 1);
        }
      }
    }
  }
  return layout(
    Object.entries(asl.States).map(([name, state]) => ({
      id: name,
      label: name,
      kind: state.Type ?? 'Task',
    })),
    edges,
    layerOf,
  );
}

/** The state the workflow's log says it is in (the execution's current state, as the AWS console shows it). */
export function currentState(events: readonly WorkflowEventBody[]): string | undefined {
  let state: string | undefined;
  for (const event of events) {
    switch (event.type) {
      case 'GoalReceived':
        state = 'Screen goal with guardian';
        break;
      case 'GuardianChecked':
        state = event.data.allowed ? 'Plan the steps' : 'Goal rejected';
        break;
      case 'PlanCreated':
      case 'ApprovalGranted':
        state = 'Any steps ready?';
        break;
      case 'StepStarted':
      case 'StepSucceeded':
        state = 'Run ready steps';
        break;
      case 'ApprovalRequested':
        state = 'Wait for approval';
        break;
      case 'StepFailed':
      case 'ApprovalDenied':
      case 'CompensationStarted':
      case 'StepCompensated':
      case 'CompensationFailed':
        state = 'Roll back completed steps';
        break;
      case 'WorkflowCompleted':
        state = 'Workflow completed';
        break;
      case 'WorkflowFailed':
        state = 'Workflow failed';
        break;
      case 'WorkflowCancelled':
        state = 'Workflow cancelled';
        break;
      case 'WorkflowRejected':
        state = 'Goal rejected';
        break;
      default:
        break;
    }
  }
  return state;
}

export type StepState = 'pending' | 'waiting' | 'running' | 'succeeded' | 'failed' | 'compensated';

export interface PlanStepView {
  readonly id: string;
  readonly tool: string;
  readonly dependsOn: readonly string[];
  readonly state: StepState;
}

/** The plan (from PlanCreated) and each step's state (from the step and approval events). */
export function planSteps(events: readonly WorkflowEventBody[]): PlanStepView[] {
  const created = events.findLast((e) => e.type === 'PlanCreated');
  const states = new Map<string, StepState>();
  for (const event of events) {
    const state = stepStateAfter[event.type];
    if (state) for (const id of stepIdsOf(event)) states.set(id, state);
  }
  return (created?.data.plan.steps ?? []).map(({ id, tool, depends_on }) => ({
    id,
    tool,
    dependsOn: depends_on,
    state: states.get(id) ?? 'pending',
  }));
}

/** The state a step is in after an event about it. */
const stepStateAfter: Partial<Record<WorkflowEventBody['type'], StepState>> = {
  StepStarted: 'running',
  StepSucceeded: 'succeeded',
  StepFailed: 'failed',
  StepCompensated: 'compensated',
  ApprovalRequested: 'waiting',
  ApprovalGranted: 'succeeded',
  ApprovalDenied: 'failed',
};

/** The steps an event is about. */
function stepIdsOf(event: WorkflowEventBody): readonly string[] {
  if ('step_ids' in event.data) return event.data.step_ids;
  if ('step_id' in event.data && event.data.step_id !== undefined) return [event.data.step_id];
  return [];
}

/** The plan's DAG, layered by the longest chain of dependencies. */
export function planGraph(steps: readonly PlanStepView[]): Graph {
  const layerOf = new Map<string, number>();
  const depth = (id: string, seen: Set<string>): number => {
    const known = layerOf.get(id);
    if (known !== undefined) return known;
    if (seen.has(id)) return 0;
    seen.add(id);
    const step = steps.find((s) => s.id === id);
    const layer = Math.max(-1, ...(step?.dependsOn ?? []).map((d) => depth(d, seen))) + 1;
    layerOf.set(id, layer);
    return layer;
  };
  for (const step of steps) depth(step.id, new Set());
  return layout(
    steps.map((s) => ({ id: s.id, label: `${s.id} (${s.tool})`, kind: s.state })),
    steps.flatMap((s) => s.dependsOn.map((d) => ({ from: d, to: s.id }))),
    layerOf,
  );
}

function layout(
  nodes: readonly { id: string; label: string; kind: string }[],
  edges: readonly { from: string; to: string; dashed?: boolean }[],
  layerOf: ReadonlyMap<string, number>,
): Graph {
  const columns = new Map<number, number>();
  const placed = nodes.map((node) => {
    const layer = layerOf.get(node.id) ?? 0;
    const column = columns.get(layer) ?? 0;
    columns.set(layer, column + 1);
    return { ...node, layer, column };
  });
  return {
    nodes: placed,
    edges,
    layers: Math.max(0, ...placed.map((n) => n.layer)) + 1,
    width: Math.max(1, ...columns.values()),
  };
}
