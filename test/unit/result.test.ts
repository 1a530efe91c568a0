import { describe, expect, it } from 'vitest';
import { planGoalOffline } from '#domain/offline-planner.ts';
import { buildResult } from '#domain/result.ts';
import { createTravelTools } from '#domain/tools/travel.ts';

const booking = (kind: 'flight' | 'hotel', code: string, details: Record<string, unknown>) => ({
  booking: {
    confirmation_code: code,
    kind,
    city: 'PAR',
    city_name: 'Paris',
    status: 'booked',
    offer_id: 'X',
    price: { amount: 100, currency: 'EUR' },
    details,
  },
});

describe('workflow result', () => {
  it('lists the bookings and summarizes them, labelled with the offline planner', () => {
    const plan = planGoalOffline('Book a flight from London to Paris and a hotel in Paris', {});
    const outputs = new Map<string, unknown>([
      ['search_flight_1', { offers: [] }],
      [
        'book_flight_1',
        booking('flight', 'OMN-AAAAAA', { origin: 'LON', origin_name: 'London', date: '2026-12-01' }),
      ],
      ['search_hotel_2', { offers: [] }],
      ['book_hotel_2', booking('hotel', 'OMN-BBBBBB', { nights: 2 })],
    ]);
    const result = buildResult(plan, outputs, { provider: 'offline', source: 'planner' });
    expect(result).toMatchObject({
      steps_total: 4,
      steps_done: 4,
      provider: 'offline',
      source: 'planner',
      bookings: [
        {
          step_id: 'book_flight_1',
          kind: 'flight',
          confirmation_code: 'OMN-AAAAAA',
          origin: 'LON',
          date: '2026-12-01',
        },
        { step_id: 'book_hotel_2', kind: 'hotel', confirmation_code: 'OMN-BBBBBB', nights: 2 },
      ],
    });
    expect(result.summary).toBe(
      'Booked a flight London → Paris on 2026-12-01 (OMN-AAAAAA) and a hotel in Paris, 2 nights (OMN-BBBBBB) [offline planner, sandbox bookings].',
    );
  });

  it('summarizes a plan without bookings', () => {
    const plan = planGoalOffline('a hotel in Paris', {});
    const result = buildResult(plan, new Map([['search_hotel_1', { offers: [] }]]), {
      provider: 'offline',
      source: 'planner',
    });
    expect(result.summary).toBe('Completed 1 step [offline planner, sandbox bookings].');
    expect(result.bookings).toEqual([]);
  });

  it('answers a question with the search offers, in the search order, and books nothing', async () => {
    const plan = planGoalOffline(
      'what flights go from Boston to Denver on April 3',
      {},
      { now: '2026-03-01T12:00:00Z' },
    );
    expect(plan.steps.map((s) => s.tool)).toEqual(['search_flights']);
    const search = createTravelTools().find((t) => t.name === 'search_flights');
    const ctx = {
      workflow_id: 'wf_result',
      step_id: 'search_flight_1',
      bookings: unusedBookings,
      now: () => new Date(),
    };
    const output = await search?.execute(plan.steps[0]?.input, ctx);
    const result = buildResult(plan, new Map([['search_flight_1', output]]), {
      provider: 'offline',
      source: 'planner',
    });
    expect(result.bookings).toEqual([]);
    expect(result.searches).toEqual([
      expect.objectContaining({
        step_id: 'search_flight_1',
        kind: 'flight',
        route: 'BOS-DEN',
        offers: expect.any(Array),
      }),
    ]);
    expect(result.searches[0]?.offers).toHaveLength(3);
    expect(result.summary).toMatch(
      /^Found 3 flight offers Boston → Denver on 2026-04-03 \(first: .+\) \[offline planner, sandbox bookings, nothing booked\]\.$/,
    );
  });
});

const unusedBookings = {
  putIfAbsent: () => Promise.reject(new Error('a search must not book')),
  get: () => Promise.resolve(undefined),
  cancel: () => Promise.reject(new Error('a search must not cancel')),
};
