import { describe, expect, it } from 'vitest';
import { canonicalPlan } from '../../lib/bench/cache.ts';

/** The cache benchmark's notion of "the same plan" (its false-hit judge). */
describe('bench:cache canonical plans', () => {
  const plan = (ids: [string, string], city: string, prompt: string) => ({
    steps: [
      { id: ids[0], tool: 'search_flights', input: { destination: city, prompt } },
      { id: ids[1], tool: 'book_flight', input: { offer: { $from: ids[0] } }, depends_on: [ids[0]] },
    ],
  });

  it('ignores step ids, prompts and city aliases', () => {
    expect(canonicalPlan(plan(['a', 'b'], 'NYC', 'one'))).toBe(
      canonicalPlan(plan(['search_1', 'book_2'], 'New York', 'two')),
    );
  });

  it('tells apart plans to other cities', () => {
    expect(canonicalPlan(plan(['a', 'b'], 'NYC', 'x'))).not.toBe(
      canonicalPlan(plan(['a', 'b'], 'Rome', 'x')),
    );
  });
});
