import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { approvalStepIds, initialSchedule, waveSchedule } from '#core/dag.ts';
import { parseGoal, planGoalOffline } from '#core/offline-planner.ts';
import { validatePlan } from '#core/plan-validation.ts';
import { createTravelTools } from '#core/tools/travel.ts';
import { createToolRegistry, defineTool } from '#core/tools/types.ts';

const travel = createToolRegistry(createTravelTools());
/** A stand-in for the approval tool of a later issue, to check approval plans validate once it exists. */
const approvalStub = defineTool({
  name: 'human_approval',
  description: 'Waits for the user to approve.',
  sideEffect: false,
  input: z.object({ prompt: z.string(), details: z.unknown().optional() }),
  output: z.object({ approved: z.boolean() }),
  execute: async () => ({ approved: true }),
  summarize: (out) => out,
});
const withApproval = createToolRegistry([...createTravelTools(), approvalStub]);

const shape = (goal: string, context: Record<string, unknown> = {}) =>
  planGoalOffline(goal, context).steps.map((s) => ({
    id: s.id,
    tool: s.tool,
    input: s.input,
    after: s.depends_on,
  }));

/** Waves of the plan as the state machine would run them. */
function waves(goal: string): string[][] {
  const plan = planGoalOffline(goal, {});
  const out: string[][] = [];
  let schedule = initialSchedule(plan);
  while (schedule.ready.length > 0) {
    out.push(schedule.ready);
    // As the step handler schedules it, every approval answered yes.
    schedule = waveSchedule(plan, schedule.ready, schedule.done, {
      answered: approvalStepIds(plan),
      approvalTimeoutSeconds: 60,
    });
  }
  return out;
}

describe('offline planner grammar', () => {
  it('"Book a flight to NYC": search then book the cheapest offer, by reference, from the default origin', () => {
    expect(shape('Book a flight to NYC')).toEqual([
      {
        id: 'search_flight_1',
        tool: 'search_flights',
        input: { origin: 'LON', destination: 'NYC' },
        after: [],
      },
      {
        id: 'book_flight_1',
        tool: 'book_flight',
        input: { offer: { $from: 'search_flight_1', path: 'offers.0' } },
        after: ['search_flight_1'],
      },
    ]);
    expect(validatePlan(planGoalOffline('Book a flight to NYC', {}), travel).ok).toBe(true);
  });

  it('"from London to Paris and a hotel in Paris": independent requests run in parallel', () => {
    const goal = 'Book a flight from London to Paris and a hotel in Paris';
    expect(shape(goal)).toEqual([
      expect.objectContaining({
        id: 'search_flight_1',
        input: { origin: 'London', destination: 'Paris' },
        after: [],
      }),
      expect.objectContaining({ id: 'book_flight_1', after: ['search_flight_1'] }),
      expect.objectContaining({
        id: 'search_hotel_2',
        tool: 'search_hotels',
        input: { city: 'Paris' },
        after: [],
      }),
      expect.objectContaining({ id: 'book_hotel_2', tool: 'book_hotel', after: ['search_hotel_2'] }),
    ]);
    expect(waves(goal)).toEqual([
      ['search_flight_1', 'search_hotel_2'],
      ['book_flight_1', 'book_hotel_2'],
    ]);
    expect(validatePlan(planGoalOffline(goal, {}), travel).ok).toBe(true);
  });

  it('"a flight to Rome, then a hotel in Rome": the later request waits for the earlier one', () => {
    const goal = 'Book a flight to Rome, then book a hotel in Rome';
    expect(shape(goal)[2]).toMatchObject({ id: 'search_hotel_2', after: ['book_flight_1'] });
    expect(waves(goal)).toEqual([
      ['search_flight_1'],
      ['book_flight_1'],
      ['search_hotel_2'],
      ['book_hotel_2'],
    ]);
  });

  it('groups "and" inside "then": each group waits for every booking of the previous one', () => {
    const plan = planGoalOffline(
      'A flight to Rome and a hotel in Rome, then a flight from Rome to Madrid',
      {},
    );
    expect(plan.steps.find((s) => s.id === 'search_flight_3')?.depends_on).toEqual([
      'book_flight_1',
      'book_hotel_2',
    ]);
  });

  it.each([
    ['fly to Tokyo', { destination: 'Tokyo' }],
    ['I want to fly to Tokyo', { destination: 'Tokyo' }],
    ['a flight from Berlin to Vienna', { origin: 'Berlin', destination: 'Vienna' }],
    ['Book a flight to Paris from Madrid.', { origin: 'Madrid', destination: 'Paris' }],
    ['book a flight to Lisbon on 2026-12-24 please', { destination: 'Lisbon', date: '2026-12-24' }],
    ['a flight to Rio de Janeiro on Friday', { destination: 'Rio de Janeiro' }],
    ['a flight to Cape Town next week', { destination: 'Cape Town' }],
  ])('understands the flight phrasing %j', (goal, expected) => {
    expect(planGoalOffline(goal, {}).steps[0]?.input).toMatchObject(expected);
  });

  it.each([
    ['a hotel in Rome', { city: 'Rome' }],
    ['book me a room in Lisbon for 3 nights', { city: 'Lisbon', nights: 3 }],
    ['a hotel in Hong Kong with a pool in December', { city: 'Hong Kong' }],
    ['a hotel in Paris for a week', { city: 'Paris' }],
    [
      'Find a hotel in New York City from 2026-12-01 for two nights',
      { city: 'New York City', check_in: '2026-12-01', nights: 2 },
    ],
  ])('understands the hotel phrasing %j', (goal, expected) => {
    expect(planGoalOffline(goal, {}).steps[0]).toMatchObject({ tool: 'search_hotels', input: expected });
  });

  it('resolves "there" and a flight without destination from the neighbouring request', () => {
    expect(shape('Book a flight to Oslo and a hotel there')[2]?.input).toEqual({ city: 'Oslo' });
    expect(shape('Book a flight to Oslo, then a hotel')[2]?.input).toEqual({ city: 'Oslo' });
    expect(shape('Book a flight and a hotel in Madrid')[0]?.input).toMatchObject({ destination: 'Madrid' });
  });

  it('takes the origin from context.home_city, else the configured default, never the destination itself', () => {
    expect(shape('Fly to Rome', { home_city: 'Berlin' })[0]?.input).toMatchObject({ origin: 'Berlin' });
    expect(planGoalOffline('Fly to Rome', {}, { defaultOrigin: 'MAD' }).steps[0]?.input).toMatchObject({
      origin: 'MAD',
    });
    expect(shape('Fly to London')[0]?.input).toMatchObject({ origin: 'NYC', destination: 'London' });
  });

  it.each([
    'Book a flight to Paris and ask for my approval before booking',
    'Book a flight to Paris with my approval',
    'With my approval, book a flight to Paris',
    'Book a flight to Paris but ask me before booking',
  ])('puts a human_approval step before every booking for %j', (goal) => {
    const plan = planGoalOffline(goal, {});
    expect(plan.steps.map((s) => [s.id, s.tool, s.depends_on])).toEqual([
      ['search_flight_1', 'search_flights', []],
      ['approve_flight_1', 'human_approval', ['search_flight_1']],
      ['book_flight_1', 'book_flight', ['approve_flight_1']],
    ]);
    expect(plan.steps[0]?.input).toEqual({ origin: 'LON', destination: 'Paris' });
    // Valid once the approval tool is registered; today's registry reports it as unknown.
    expect(validatePlan(plan, withApproval).ok).toBe(true);
    expect(validatePlan(plan, travel)).toMatchObject({
      ok: false,
      issues: [expect.stringContaining('human_approval')],
    });
  });

  it('adds no approval step when the goal does not ask for one', () => {
    const goals = [
      'Book a flight to NYC',
      'Book a flight to Rome, then book a hotel in Rome',
      'a hotel in Paris',
    ];
    for (const goal of goals) {
      expect(planGoalOffline(goal, {}).steps.some((s) => s.tool === 'human_approval')).toBe(false);
    }
  });

  it('plans cities the catalog does not know: the step fails later with UnknownDestination', () => {
    const plan = planGoalOffline('Book a flight to NYC, then book a hotel in Atlantis', {});
    expect(validatePlan(plan, travel).ok).toBe(true);
    expect(plan.steps[2]?.input).toEqual({ city: 'Atlantis' });
  });

  it.each(['asdf qwerty', 'What is the weather like?', '', '   ', 'and then'])(
    'rejects %j with PlanInvalid and explains what it understands',
    (goal) => {
      expect(() => planGoalOffline(goal, {})).toThrow(expect.objectContaining({ name: 'PlanInvalid' }));
      expect(() => planGoalOffline(goal, {})).toThrow(/Book a flight to Paris|no request/);
    },
  );

  it('rejects a flight without destination and a flight to where it starts', () => {
    expect(() => parseGoal('book a flight please')).toThrow(/no destination/);
    expect(() => parseGoal('book a hotel')).toThrow(/no city/);
    expect(() => planGoalOffline('a flight from Paris to paris', {})).toThrow(/same/);
  });

  it('is deterministic', () => {
    const goal = 'Book a flight from London to Paris and a hotel in Paris, then fly to Rome';
    expect(planGoalOffline(goal, {})).toEqual(planGoalOffline(goal, {}));
  });
});
