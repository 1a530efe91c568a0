import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { extractFrame, type Frame } from '#core/cache/frame.ts';
import { makeTemplate, rebind } from '#core/cache/template.ts';
import { cities } from '#core/catalog.ts';
import { planGoalOffline } from '#core/offline-planner.ts';

const frame = (goal: string, context: Record<string, unknown> = {}): Frame => {
  const result = extractFrame(goal, context);
  if (!result.ok) throw new Error(`no frame for "${goal}": ${result.reason}`);
  return result.frame;
};

/** Serves `b` from the template of `a`'s plan, as the cache would. */
const serve = (a: string, b: string, context: Record<string, unknown> = {}) => {
  const fa = frame(a, context);
  const fb = frame(b, context);
  const template = makeTemplate(planGoalOffline(a, context), fa);
  return { fa, fb, template, served: rebind(template, fa.slots, fb) };
};

describe('cache templates: re-binding a cached plan to new slots', () => {
  it('serves "Book a flight to Tokyo" the NYC plan re-bound to Tokyo, never the NYC plan unchanged', () => {
    const { template, served } = serve('Book a flight to NYC', 'Book a flight to Tokyo');
    expect(template.rebindable).toBe(true);
    expect(served?.plan).toEqual(planGoalOffline('Book a flight to Tokyo', {}));
    expect(JSON.stringify(served?.plan)).not.toContain('NYC');
    expect(served?.rebound).toEqual([{ slot: 'r1.destination', from: 'NYC', to: 'TYO' }]);
  });

  it('re-derives the default origin: a flight to London from the template of a flight to NYC leaves from NYC', () => {
    const { served } = serve('Book a flight to NYC', 'Book a flight to London');
    expect(served?.plan).toEqual(planGoalOffline('Book a flight to London', {}));
  });

  it('re-binds dates, nights (with the right plural) and approvals in text', () => {
    const a = 'Book a flight to Rome on 2026-05-01 and a hotel there for 1 night with my approval';
    const b = 'Book a flight to Oslo on 2026-06-02 and a hotel there for 3 nights with my approval';
    expect(serve(a, b).served?.plan).toEqual(planGoalOffline(b, {}));
  });

  it('is not re-bindable when a parameter of the goal is not used by any step, or text looks like a placeholder', () => {
    const fa = frame('Book a flight to Paris');
    const plan = planGoalOffline('Book a flight to Paris', {});
    expect(makeTemplate({ ...plan, summary: 'Trip to PARIS (CDG)' }, fa)).toMatchObject({ rebindable: true });
    const unused = { ...plan, steps: plan.steps.map((s) => ({ ...s, input: {} })) };
    expect(makeTemplate(unused, fa)).toMatchObject({ rebindable: false });
    expect(makeTemplate({ ...plan, summary: 'see {{0}}' }, fa)).toMatchObject({ rebindable: false });
  });

  const names = cities.map((c) => c.name);
  const templates: readonly ((a: string, b: string, n: number, d: string) => string)[] = [
    (a) => `Book a flight to ${a}`,
    (a, b) => `Book a flight from ${a} to ${b}`,
    (a) => `Please book me a hotel in ${a}`,
    (a, _b, n) => `Book a hotel in ${a} for ${n} nights`,
    (a, _b, n, d) => `Book a flight to ${a} on ${d} and then a hotel there for ${n} nights`,
    (a, b) => `Book a flight to ${a} and a hotel in ${b} with my approval`,
    (a, b, _n, d) => `Fly from ${a} to ${b} on ${d}, then book a hotel there`,
  ];
  const slotsArb = fc.record({
    a: fc.constantFrom(...names),
    b: fc.constantFrom(...names),
    n: fc.integer({ min: 1, max: 14 }),
    d: fc.date({ min: new Date('2026-01-01'), max: new Date('2027-12-31'), noInvalidDate: true }),
  });

  it("property: a re-bound plan equals the planner's plan for the new goal whenever the signatures match", () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: templates.length - 1 }), slotsArb, slotsArb, (t, x, y) => {
        const make = templates[t];
        if (!make) return;
        fc.pre(x.a !== x.b && y.a !== y.b);
        const goalA = make(x.a, x.b, x.n, x.d.toISOString().slice(0, 10));
        const goalB = make(y.a, y.b, y.n, y.d.toISOString().slice(0, 10));
        const fa = extractFrame(goalA, {});
        const fb = extractFrame(goalB, {});
        fc.pre(fa.ok && fb.ok && fa.frame.signature === fb.frame.signature);
        if (!fa.ok || !fb.ok) return;
        const template = makeTemplate(planGoalOffline(goalA, {}), fa.frame);
        expect(template.rebindable).toBe(true);
        expect(rebind(template, fa.frame.slots, fb.frame)?.plan).toEqual(planGoalOffline(goalB, {}));
      }),
      { numRuns: 300 },
    );
  });
});
