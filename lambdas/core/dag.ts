import type { Plan, Schedule } from '#shared/schemas.ts';

/*
 * The DAG scheduler: pure functions over a plan's `depends_on` edges. The state machine runs one wave
 * of ready steps at a time; each step of a wave returns the next schedule, computed from the wave and
 * what was done before, so every iteration of a wave returns the same answer.
 */

type Graph = Pick<Plan, 'steps'>;

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

/** The schedule after a wave: done = done ∪ wave (order kept, no duplicates), ready = what that unblocks. */
export function nextSchedule(plan: Graph, wave: readonly string[], done: readonly string[]): Schedule {
  const nextDone = [...new Set([...done, ...wave])];
  return { ready: readySteps(plan, nextDone), done: nextDone };
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
