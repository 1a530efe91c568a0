import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { initialSchedule, readySteps, topologicalOrder, waveSchedule } from '#domain/dag.ts';
import { planInvalidError, validatePlan } from '#domain/plan-validation.ts';
import type { Plan } from '#domain/schemas.ts';
import { createTravelTools } from '#domain/tools/travel.ts';
import { createToolRegistry } from '#domain/tools/types.ts';

const tools = createToolRegistry(createTravelTools());
const search = (id: string, deps: string[] = [], city = 'Rome') => ({
  id,
  tool: 'search_hotels',
  input: { city },
  depends_on: deps,
});
const book = (id: string, from: string, deps: string[] = [from]) => ({
  id,
  tool: 'book_hotel',
  input: { offer: { $from: from, path: 'offers.0' } },
  depends_on: deps,
});
const issues = (plan: unknown) => {
  const result = validatePlan(plan, tools);
  return result.ok ? [] : result.issues;
};

describe('plan validation', () => {
  it('accepts a plan whose bookings take offers by reference from steps they depend on', () => {
    expect(issues({ steps: [search('s1'), book('b1', 's1')] })).toEqual([]);
  });

  it('accepts references to transitive dependencies', () => {
    expect(issues({ steps: [search('s1'), search('s2', ['s1']), book('b1', 's1', ['s2'])] })).toEqual([]);
  });

  it.each([
    ['no steps', { steps: [] }, /no steps/],
    ['not a plan', { stepz: [] }, /steps/],
    ['duplicate ids', { steps: [search('s1'), search('s1')] }, /duplicate step id/],
    [
      'an unknown tool',
      { steps: [{ id: 's1', tool: 'launch_rocket', input: {} }] },
      /unknown tool launch_rocket/,
    ],
    ['a self dependency', { steps: [search('s1', ['s1'])] }, /depends on itself/],
    ['a dangling dependency', { steps: [search('s1', ['ghost'])] }, /unknown step ghost/],
    ['a repeated dependency', { steps: [search('s1'), search('s2', ['s1', 's1'])] }, /twice/],
    ['a cycle', { steps: [search('a', ['b']), search('b', ['a'])] }, /cycle among a, b/],
    [
      'an input that does not fit the tool',
      { steps: [{ id: 's1', tool: 'search_hotels', input: { town: 'Rome' } }] },
      /input\.city/,
    ],
    [
      'a wrongly typed field',
      { steps: [{ id: 's1', tool: 'search_hotels', input: { city: 'Rome', nights: 'two' } }] },
      /nights/,
    ],
    [
      'a reference to a step it does not depend on',
      { steps: [search('s1'), search('s2'), book('b1', 's1', ['s2'])] },
      /does not depend on/,
    ],
    [
      'a malformed reference',
      {
        steps: [
          search('s1'),
          {
            id: 'b1',
            tool: 'book_hotel',
            input: { offer: { $from: 's1', path: '../x' } },
            depends_on: ['s1'],
          },
        ],
      },
      /path/,
    ],
    [
      'a reference with extra keys',
      {
        steps: [
          search('s1'),
          { id: 'b1', tool: 'book_hotel', input: { offer: { $from: 's1', pick: 1 } }, depends_on: ['s1'] },
        ],
      },
      /offer/,
    ],
    ['too many steps', { steps: Array.from({ length: 26 }, (_, i) => search(`s${i}`)) }, /25/],
  ])('rejects %s', (_name, plan, message) => {
    const found = issues(plan);
    expect(found.length).toBeGreaterThan(0);
    expect(found.join('\n')).toMatch(message);
  });

  it('names the issues of an invalid plan in a PlanInvalid (a named, non-retried error)', () => {
    const result = validatePlan({ steps: [search('a', ['a'])] }, tools);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(planInvalidError(result.issues)).toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringContaining('depends on itself'),
    });
  });
});

/** Random DAGs: each step may depend only on earlier ones, so the graph is acyclic by construction. */
const dagArbitrary = fc
  .integer({ min: 1, max: 25 })
  .chain((n) =>
    fc.tuple(
      ...Array.from({ length: n }, (_, i) =>
        fc.subarray(
          Array.from({ length: i }, (_, j) => j),
          { maxLength: Math.min(4, i) },
        ),
      ),
    ),
  )
  .chain((deps) =>
    fc.tuple(
      fc.constant(deps),
      fc.shuffledSubarray(
        deps.map((_, i) => i),
        { minLength: deps.length },
      ),
    ),
  )
  .map(
    ([deps, order]): Plan => ({
      // Plan order shuffled, so nothing relies on steps being listed in dependency order.
      steps: order.map((i) =>
        search(
          `s${i}`,
          (deps[i] ?? []).map((d) => `s${d}`),
        ),
      ),
    }),
  );

describe('DAG properties (fast-check)', () => {
  it('accepts every random DAG', () => {
    fc.assert(fc.property(dagArbitrary, (plan) => validatePlan(plan, tools).ok));
  });

  it('rejects every graph with a cycle', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), fc.nat(), (plan, a, b) => {
        // Close a cycle: take an edge (y depends on x) and make x depend on y.
        const withDeps = plan.steps.filter((s) => s.depends_on.length > 0);
        fc.pre(withDeps.length > 0);
        const y = withDeps[a % withDeps.length];
        if (!y) return true;
        const x = y.depends_on[b % y.depends_on.length];
        const cyclic = {
          steps: plan.steps.map((s) => (s.id === x ? { ...s, depends_on: [...s.depends_on, y.id] } : s)),
        };
        const result = validatePlan(cyclic, tools);
        return !result.ok && result.issues.some((i) => i.includes('cycle'));
      }),
    );
  });

  it('orders every step after all of its dependencies', () => {
    fc.assert(
      fc.property(dagArbitrary, (plan) => {
        const { order, cyclic } = topologicalOrder(plan);
        const position = new Map(order.map((id, i) => [id, i]));
        return (
          cyclic.length === 0 &&
          order.length === plan.steps.length &&
          plan.steps.every((s) =>
            s.depends_on.every((d) => (position.get(d) ?? 99) < (position.get(s.id) ?? -1)),
          )
        );
      }),
    );
  });

  it('the wave scheduler runs every step exactly once, after its dependencies, and terminates', () => {
    fc.assert(
      fc.property(dagArbitrary, (plan) => {
        const runs: string[] = [];
        const finishedBefore = new Set<string>();
        let schedule = initialSchedule(plan);
        for (let waves = 0; schedule.ready.length > 0; waves++) {
          if (waves > plan.steps.length) return false;
          for (const id of schedule.ready) {
            const step = plan.steps.find((s) => s.id === id);
            if (!step?.depends_on.every((d) => finishedBefore.has(d))) return false;
            runs.push(id);
          }
          // Every iteration of a wave computes the same next schedule.
          // (What the step handler computes; these plans have no approval steps.)
          const afterWave = () =>
            waveSchedule(plan, schedule.ready, schedule.done, { approvalTimeoutSeconds: 60 });
          const next = afterWave();
          for (const _ of schedule.ready) expect(afterWave()).toEqual(next);
          for (const id of schedule.ready) finishedBefore.add(id);
          schedule = next;
        }
        return runs.length === plan.steps.length && new Set(runs).size === runs.length;
      }),
    );
  });

  it('readySteps never offers a step that is done', () => {
    fc.assert(
      fc.property(dagArbitrary, fc.nat(), (plan, k) => {
        const done = plan.steps.slice(0, k % (plan.steps.length + 1)).map((s) => s.id);
        return readySteps(plan, done).every((id) => !done.includes(id));
      }),
    );
  });
});
