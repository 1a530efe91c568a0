import { describe, expect, it } from 'vitest';
import { deriveTemplate, exactText, matchTemplate, readGoal, rebindTemplate } from '#core/cache/template.ts';
import { planGoalOffline } from '#core/offline-planner.ts';
import { type Plan, planSchema } from '#shared/schemas.ts';

/** What the cache would serve `goal` from the template of (`cachedGoal`, `plan`), or the miss reason. */
function serve(cachedGoal: string, plan: Plan, goal: string): { plan?: unknown; reason?: string } {
  const template = deriveTemplate(cachedGoal, plan);
  if (!template.rebindable) return { reason: `not re-bindable: ${template.issues.join(', ')}` };
  const fit = matchTemplate(readGoal(goal), template);
  if (!fit.ok) return { reason: fit.reason };
  const filled = rebindTemplate(template, fit.bindings);
  return filled.ok ? { plan: filled.plan } : { reason: filled.reason };
}

const offline = (goal: string) => planGoalOffline(goal, {});

/** The first step of a served plan (throws on a miss). */
const firstStep = (served: { plan?: unknown; reason?: string }) => {
  if (served.plan === undefined) throw new Error(`miss: ${served.reason}`);
  return planSchema.parse(served.plan).steps[0];
};

/** A plan as a model might write it for a travel goal with a date and a number of nights. */
const hotelPlan = (city: string, checkIn: string, nights: number): Plan => ({
  steps: [
    {
      id: 'search',
      tool: 'search_hotels',
      input: { city, check_in: checkIn, nights },
      depends_on: [],
      description: `Search hotels in ${city}`,
    },
    {
      id: 'book',
      tool: 'book_hotel',
      input: { offer: { $from: 'search', path: 'offers.0' } },
      depends_on: ['search'],
    },
  ],
});

const fetchPlan = (url: string): Plan => ({
  steps: [
    { id: 'fetch', tool: 'http_request', input: { method: 'GET', url }, depends_on: [] },
    {
      id: 'summarize',
      tool: 'llm_generate',
      input: { prompt: 'Summarize the page.', from: { page: { $from: 'fetch', path: 'body' } } },
      depends_on: ['fetch'],
      description: `Summarize ${url}`,
    },
  ],
});

describe('plan templates derived from the plan', () => {
  it('makes slots of the plan values the goal says, typed by shape, with the role of the word before', () => {
    const t = deriveTemplate(
      'show me flights from boston to san francisco',
      offline('show me flights from boston to san francisco'),
    );
    expect(t.rebindable).toBe(true);
    expect(t.slots).toEqual([
      { kind: 'city', role: 'from', key: 'BOS' },
      { kind: 'city', role: 'to', key: 'SFO' },
    ]);
    expect(t.words).toEqual(['flight']);
    expect(JSON.stringify(t.plan)).not.toMatch(/boston|san francisco/i);
  });

  it('serves a paraphrase the same plan, and re-binds names outside the catalog by role', () => {
    const cached = 'show me flights from boston to san francisco';
    expect(serve(cached, offline(cached), 'i want to fly from boston to san francisco').plan).toEqual(
      offline('i want to fly from boston to san francisco'),
    );
    expect(serve(cached, offline(cached), 'what flights go to san francisco from boston').plan).toEqual(
      offline('show me flights from boston to san francisco'),
    );
    const denver = serve(cached, offline(cached), 'show me the flights from denver to pittsburgh');
    expect(denver.plan).toEqual(offline('show me the flights from denver to pittsburgh'));
  });

  it('reads "between X and Y" as from X to Y', () => {
    const cached = 'show me flights from oakland to denver';
    const served = serve(cached, offline(cached), 'show me all the flights between boston and dallas');
    expect(JSON.stringify(served.plan)).toContain('"origin":"boston","destination":"dallas"');
  });

  it('writes a re-bound value as the plan wrote the old one: code, name or the goal words', () => {
    const plan: Plan = {
      steps: [
        {
          id: 'search',
          tool: 'search_flights',
          input: { origin: 'LON', destination: 'PAR' },
          depends_on: [],
        },
      ],
    };
    const served = serve('Flights from London to Paris', plan, 'flights from Berlin to Rome');
    expect(firstStep(served)).toMatchObject({ input: { origin: 'BER', destination: 'ROM' } });
    // outside the catalog there is no code to write: no hit
    expect(serve('Flights from London to Paris', plan, 'flights from Denver to Rome').reason).toMatch(
      /placeholder/,
    );
  });

  it('matches exact repeats whatever their case, spacing and punctuation', () => {
    expect(exactText('  Fetch https://Example.com  and summarize it!! ')).toBe(
      exactText('fetch https://example.com and summarize it'),
    );
    expect(exactText('Book a flight to Paris')).not.toBe(exactText('Book a flight to Rome'));
  });
});

describe('near misses never reuse the plan', () => {
  const cached = 'show me flights from boston to denver';

  it('city: another city is re-bound into the plan, never served the old one', () => {
    const served = serve(cached, offline(cached), 'show me flights from boston to atlanta');
    expect(JSON.stringify(served.plan)).toContain('"destination":"atlanta"');
    expect(JSON.stringify(served.plan)).not.toContain('denver');
  });

  it('city: swapped direction is re-bound by role', () => {
    const served = serve(cached, offline(cached), 'show me flights from denver to boston');
    expect(JSON.stringify(served.plan)).toContain('"origin":"denver","destination":"boston"');
  });

  it('date: a date the cached goal did not have, or another date the plan does not carry, misses', () => {
    expect(
      serve(cached, offline(cached), 'show me flights from boston to denver on june first').plan,
    ).toBeUndefined();
    const dated = 'show me flights from boston to denver on thursday';
    expect(
      serve(dated, offline(dated), 'show me flights from boston to denver on wednesday').plan,
    ).toBeUndefined();
    const june = 'show me flights from boston to denver on june first';
    expect(
      serve(june, offline(june), 'show me flights from boston to denver on june fourth').plan,
    ).toBeUndefined();
  });

  it('date: a date the plan carries is re-bound (same month), never left as it was', () => {
    const plan = hotelPlan('Rome', '2026-06-01', 3);
    const served = serve(
      'a hotel in Rome on june first for 3 nights',
      plan,
      'a hotel in Rome on june 4th for 3 nights',
    );
    expect(firstStep(served)).toMatchObject({ input: { check_in: '2026-06-04' } });
    // another month: the planner chose the year, so no guess
    expect(
      serve('a hotel in Rome on june first for 3 nights', plan, 'a hotel in Rome on july 4th for 3 nights')
        .plan,
    ).toBeUndefined();
  });

  it('time: another time misses', () => {
    const timed = 'all flights to baltimore after 12 pm';
    const plan = offline('all flights to baltimore');
    expect(serve(timed, plan, 'all flights to baltimore after 6 pm').plan).toBeUndefined();
    expect(
      serve(cached, offline(cached), 'show me flights from boston to denver before 7 am').plan,
    ).toBeUndefined();
  });

  it('class and other qualifiers: missing or different ones miss', () => {
    for (const goal of [
      'show me first class flights from boston to denver',
      'show me cheapest flights from boston to denver',
      'show me round trip flights from boston to denver',
      'show me nonstop flights from boston to denver',
      'book flights from boston to denver',
    ]) {
      expect(serve(cached, offline(cached), goal).plan, goal).toBeUndefined();
      expect(serve(goal, offline(goal), cached).plan, goal).toBeUndefined();
    }
    const first = 'show me first class flights from boston to denver';
    expect(
      serve(first, offline(first), 'show me business class flights from boston to denver').plan,
    ).toBeUndefined();
  });

  it('number: another number of nights is re-bound', () => {
    const plan = hotelPlan('Rome', '2026-06-01', 3);
    const served = serve(
      'a hotel in Rome on june first for 3 nights',
      plan,
      'a hotel in Oslo on june first for 5 nights',
    );
    expect(firstStep(served)).toMatchObject({
      input: { city: 'Oslo', nights: 5 },
      description: 'Search hotels in Oslo',
    });
  });

  it('url: another URL is re-bound; another verb or a second URL misses', () => {
    const goal = 'Fetch https://example.com and summarize it';
    const plan = fetchPlan('https://example.com');
    const served = serve(goal, plan, 'fetch https://example.org/news and summarise it');
    expect(served.plan).toEqual(fetchPlan('https://example.org/news'));
    expect(serve(goal, plan, 'Fetch https://example.com and translate it').plan).toBeUndefined();
    expect(
      serve(goal, plan, 'Fetch https://example.com and https://example.org and summarize it').plan,
    ).toBeUndefined();
  });

  it('a new value equal to a constant the planner chose (the default origin) misses', () => {
    const goal = 'Book a flight to Paris';
    const plan = offline(goal); // origin LON, the default
    expect(firstStep(serve(goal, plan, 'Book a flight to Rome'))).toMatchObject({
      input: { origin: 'LON', destination: 'Rome' },
    });
    expect(serve(goal, plan, 'Book a flight to London').plan).toBeUndefined();
  });

  it('order: "a flight then a hotel" is not "a hotel then a flight"', () => {
    const goal = 'Book a flight to Paris then a hotel in Rome';
    expect(serve(goal, offline(goal), 'Book a flight to Oslo then a hotel in Rome').plan).toEqual(
      offline('Book a flight to Oslo then a hotel in Rome'),
    );
    expect(serve(goal, offline(goal), 'Book a hotel in Rome then a flight to Paris').plan).toBeUndefined();
  });

  it('values that were distinct may not coincide', () => {
    expect(serve(cached, offline(cached), 'show me flights from boston to boston').plan).toBeUndefined();
  });
});

describe('free text in plans', () => {
  it('re-binds numbers and dates the plan repeats in its descriptions', () => {
    const goal = 'Book a hotel in Lisbon for 3 nights';
    const served = serve(goal, offline(goal), 'Book a hotel in Oslo for 4 nights');
    expect(served.plan).toEqual(offline('Book a hotel in Oslo for 4 nights'));
  });
});

describe('values of no known shape', () => {
  it('serve exact repeats only: "philadelphia again" is not a name to look for in other goals', () => {
    const plan: Plan = {
      steps: [
        {
          id: 'search',
          tool: 'search_flights',
          input: { origin: 'pittsburgh', destination: 'philadelphia again' },
          depends_on: [],
        },
      ],
    };
    const t = deriveTemplate('flights from pittsburgh to philadelphia again', plan);
    expect(t.rebindable).toBe(false);
    expect(t.issues).toContain('a value of no known shape');
  });
});
