import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  approvedSchedule,
  HUMAN_APPROVAL_TOOL,
  initialSchedule,
  transitiveDependencies,
  waveSchedule,
} from '../../lambdas/domain/dag.ts';
import type { Plan, WaveSchedule } from '../../lambdas/domain/schemas.ts';

const TIMEOUT = 86_400;

const step = (id: string, tool: string, depends_on: string[] = []) => ({ id, tool, input: {}, depends_on });

/** Random DAGs: step i may depend on any earlier step; some steps are human approvals. */
const planArbitrary: fc.Arbitrary<Plan> = fc
  .array(fc.record({ approval: fc.boolean(), deps: fc.array(fc.nat(), { maxLength: 3 }) }), {
    minLength: 1,
    maxLength: 20,
  })
  .map((nodes) => ({
    steps: nodes.map((node, i) =>
      step(
        `s${i}`,
        node.approval ? HUMAN_APPROVAL_TOOL : 'search_flights',
        i === 0 ? [] : [...new Set(node.deps.map((d) => `s${d % i}`))],
      ),
    ),
  }));

/**
 * The state machine's loop over a plan: "Any steps ready?" waits for approval first, else runs the
 * ready wave, whose every iteration returns the same schedule; the approval signal answers with
 * approvedSchedule. Records what ran and what was approved, in order.
 */
function simulate(plan: Plan) {
  const ran: string[] = [];
  const approved: string[] = [];
  const events: { kind: 'ran' | 'awaiting' | 'approved'; id: string }[] = [];
  let schedule: WaveSchedule = {
    ...initialSchedule(plan),
    awaiting_approval: [],
    approval_timeout_seconds: TIMEOUT,
  };
  for (let guard = 0; guard < 200; guard++) {
    if (schedule.awaiting_approval.length > 0) {
      for (const id of schedule.awaiting_approval) events.push({ kind: 'approved', id });
      approved.push(...schedule.awaiting_approval);
      schedule = approvedSchedule(plan, schedule.awaiting_approval, schedule.done, TIMEOUT);
      continue;
    }
    if (schedule.ready.length === 0) break;
    const wave = schedule.ready;
    const answered = new Set(approved);
    const results = wave.map((id) => {
      const isApproval = plan.steps.find((s) => s.id === id)?.tool === HUMAN_APPROVAL_TOOL;
      events.push({ kind: isApproval ? 'awaiting' : 'ran', id });
      if (!isApproval) ran.push(id);
      return waveSchedule(plan, wave, schedule.done, { answered, approvalTimeoutSeconds: TIMEOUT });
    });
    for (const result of results) expect(result).toEqual(results[0]);
    const next = results[0];
    if (!next) throw new Error('empty wave');
    schedule = next;
  }
  return { ran, approved, events, schedule };
}

describe('DAG scheduling with human approval', () => {
  it('leaves the approval steps of a wave awaiting, and the rest done', () => {
    const plan = {
      steps: [
        step('search', 'search_flights'),
        step('approve', HUMAN_APPROVAL_TOOL, ['search']),
        step('book', 'book_flight', ['approve']),
      ],
    };
    expect(waveSchedule(plan, ['search'], [], { approvalTimeoutSeconds: 60 })).toEqual({
      ready: ['approve'],
      done: ['search'],
      awaiting_approval: [],
      approval_timeout_seconds: 60,
    });
    expect(waveSchedule(plan, ['approve'], ['search'], { approvalTimeoutSeconds: 60 })).toEqual({
      ready: [],
      done: ['search'],
      awaiting_approval: ['approve'],
      approval_timeout_seconds: 60,
    });
    expect(approvedSchedule(plan, ['approve'], ['search'], 60)).toEqual({
      ready: ['book'],
      done: ['search', 'approve'],
      awaiting_approval: [],
      approval_timeout_seconds: 60,
    });
  });

  it('treats an approval already answered (a re-run after a restart) as done', () => {
    const plan = { steps: [step('approve', HUMAN_APPROVAL_TOOL), step('book', 'book_flight', ['approve'])] };
    expect(
      waveSchedule(plan, ['approve'], [], { answered: new Set(['approve']), approvalTimeoutSeconds: 60 }),
    ).toMatchObject({ ready: ['book'], done: ['approve'], awaiting_approval: [] });
  });

  it('keeps a mixed wave consistent: normal steps done, approvals awaiting, nothing behind an approval ready', () => {
    const plan = {
      steps: [
        step('a', 'search_flights'),
        step('approve', HUMAN_APPROVAL_TOOL),
        step('after_a', 'search_hotels', ['a']),
        step('after_approve', 'book_flight', ['approve']),
      ],
    };
    expect(waveSchedule(plan, ['a', 'approve'], [], { approvalTimeoutSeconds: 60 })).toEqual({
      ready: ['after_a'],
      done: ['a'],
      awaiting_approval: ['approve'],
      approval_timeout_seconds: 60,
    });
  });

  it('property: every step is done exactly once, and nothing runs before the approvals it depends on', () => {
    fc.assert(
      fc.property(planArbitrary, (plan) => {
        const { ran, approved, events, schedule } = simulate(plan);
        const approvals = plan.steps.filter((s) => s.tool === HUMAN_APPROVAL_TOOL).map((s) => s.id);
        const others = plan.steps.filter((s) => s.tool !== HUMAN_APPROVAL_TOOL).map((s) => s.id);
        // Exactly once.
        expect([...ran].sort()).toEqual([...others].sort());
        expect([...approved].sort()).toEqual([...approvals].sort());
        expect(new Set(schedule.done)).toEqual(new Set(plan.steps.map((s) => s.id)));
        expect(schedule.done).toHaveLength(plan.steps.length);
        // An approval is requested before it is granted, and granted before anything behind it runs.
        for (const s of plan.steps) {
          const at = events.findIndex((e) => e.id === s.id && e.kind !== 'awaiting');
          for (const dep of transitiveDependencies(plan, s.id)) {
            const depDone = events.findIndex((e) => e.id === dep && e.kind !== 'awaiting');
            expect(depDone).toBeGreaterThanOrEqual(0);
            expect(depDone).toBeLessThan(at);
          }
        }
        for (const id of approvals) {
          const requested = events.findIndex((e) => e.id === id && e.kind === 'awaiting');
          const granted = events.findIndex((e) => e.id === id && e.kind === 'approved');
          expect(requested).toBeGreaterThanOrEqual(0);
          expect(requested).toBeLessThan(granted);
        }
      }),
      { numRuns: 300 },
    );
  });
});
