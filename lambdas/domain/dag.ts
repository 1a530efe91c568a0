import type { PlanStep, Schedule, WaveSchedule } from '#domain/schemas.ts';

/*
 * The DAG scheduler: pure functions over a plan's `depends_on` edges. The state machine runs one wave
 * of ready steps at a time; each step of a wave returns the next schedule, computed from the wave and
 * what was done before, so every iteration of a wave returns the same answer.
 */

/** What scheduling needs of a plan: its steps' ids, tools and dependencies (not their inputs). */
type Graph = { readonly steps: readonly Pick<PlanStep, 'id' | 'tool' | 'depends_on'>[] };

/** Ids of the steps not done whose dependencies are all done, in plan order. */
export function readySteps(plan: Graph, done: readonly string[]): string[] {
  const finished = new Set(done);
  return plan.steps
    .filter((step) => !finished.has(step.id) && step.depends_on.every((dep) => finished.has(dep)))
    .map((step) => step.id);
}

/** The first schedule: the steps without dependencies. */
export function initialSchedule(plan: Graph): Schedule {
  return { ready: readySteps(plan, []), done: [] };
}

/** The tool whose steps pause the workflow until a human answers (lambdas/domain/tools/approval.ts). */
export const HUMAN_APPROVAL_TOOL = 'human_approval';

/** Ids of the plan's human-approval steps. */
export function approvalStepIds(plan: Graph): Set<string> {
  return new Set(plan.steps.filter((s) => s.tool === HUMAN_APPROVAL_TOOL).map((s) => s.id));
}

/**
 * The schedule after a wave in which human-approval steps do not finish: they await a signal.
 * done = done ∪ (wave − awaiting), awaiting_approval = the wave's approval steps not yet answered,
 * ready = steps whose dependencies are all done and that are neither done nor awaiting. Every
 * iteration of a wave computes the same answer (`answered` is read from storage, which no signal
 * changes while the wave runs: a signal is only accepted during the approval wait).
 */
export function waveSchedule(
  plan: Graph,
  wave: readonly string[],
  done: readonly string[],
  options: { answered?: ReadonlySet<string>; approvalTimeoutSeconds: number },
): WaveSchedule {
  const approvals = approvalStepIds(plan);
  const answered = options.answered ?? new Set<string>();
  const awaiting = [...new Set(wave)].filter((id) => approvals.has(id) && !answered.has(id));
  const waiting = new Set(awaiting);
  const nextDone = [...new Set([...done, ...wave.filter((id) => !waiting.has(id))])];
  return {
    ready: readySteps(plan, nextDone).filter((id) => !waiting.has(id)),
    done: nextDone,
    awaiting_approval: awaiting,
    approval_timeout_seconds: options.approvalTimeoutSeconds,
  };
}

/** The schedule after a granted approval: the approved steps join `done`, nothing awaits. */
export function approvedSchedule(
  plan: Graph,
  approved: readonly string[],
  done: readonly string[],
  approvalTimeoutSeconds: number,
): WaveSchedule {
  return waveSchedule(plan, approved, done, { answered: new Set(approved), approvalTimeoutSeconds });
}

/**
 * A topological order of the steps (Kahn's algorithm, ties broken by plan order), or the ids left on
 * a cycle when there is one. Dependencies on unknown ids are ignored here (validation reports them).
 */
export function topologicalOrder(plan: Graph): { order: string[]; cyclic: string[] } {
  const ids = new Set(plan.steps.map((s) => s.id));
  const remaining = new Map(plan.steps.map((s) => [s.id, new Set(s.depends_on.filter((d) => ids.has(d)))]));
  const order: string[] = [];
  for (;;) {
    const next = plan.steps.find((s) => remaining.get(s.id)?.size === 0);
    if (!next) break;
    remaining.delete(next.id);
    order.push(next.id);
    for (const deps of remaining.values()) deps.delete(next.id);
  }
  return { order, cyclic: [...remaining.keys()] };
}

/** All steps `stepId` depends on, directly or transitively. */
export function transitiveDependencies(plan: Graph, stepId: string): Set<string> {
  const byId = new Map(plan.steps.map((s) => [s.id, s]));
  const seen = new Set<string>();
  const stack = [...(byId.get(stepId)?.depends_on ?? [])];
  while (stack.length > 0) {
    const id = stack.pop();
    if (id === undefined || seen.has(id)) continue;
    seen.add(id);
    stack.push(...(byId.get(id)?.depends_on ?? []));
  }
  return seen;
}
