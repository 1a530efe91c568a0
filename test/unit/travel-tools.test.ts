import { ConditionalCheckFailedException, DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient, GetCommand, PutCommand, UpdateCommand } from '@aws-sdk/lib-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createBookingsStore } from '#adapters/bookings-store.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import type { Tool, ToolContext } from '#domain/tools/types.ts';

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const now = new Date('2026-11-25T17:00:00.000Z');
const bookings = createBookingsStore({ client, tableName: 'bookings', ttlDays: 90, now: () => now });
const ctx = (step_id = 'book_flight_1', workflow_id = 'wf_tooltest00001'): ToolContext => ({
  workflow_id,
  step_id,
  bookings,
  now: () => now,
});
const tools = defaultToolRegistry();
function tool(name: string): Tool {
  const found = tools.get(name);
  if (!found) throw new Error(`no tool ${name}`);
  return found;
}
const conditionFailed = () => new ConditionalCheckFailedException({ message: 'failed', $metadata: {} });

beforeEach(() => {
  ddb.reset();
  ddb.on(PutCommand).resolves({});
  ddb.on(UpdateCommand).resolves({});
});

describe('search_flights', () => {
  it('returns deterministic offers, cheapest first, between catalog cities', async () => {
    const out = await tool('search_flights').execute(
      { origin: 'London', destination: 'JFK', date: '2026-12-01' },
      ctx(),
    );
    const again = await tool('search_flights').execute(
      { origin: 'LHR', destination: 'New York City', date: '2026-12-01' },
      ctx(),
    );
    expect(again).toEqual(out);
    expect(out).toMatchObject({ origin: 'LON', destination: 'NYC' });
    const offers = (out as { offers: { price: { amount: number }; flight_number: string }[] }).offers;
    expect(offers).toHaveLength(3);
    expect(offers.map((o) => o.price.amount)).toEqual(
      [...offers.map((o) => o.price.amount)].sort((a, b) => a - b),
    );
    for (const offer of offers) expect(offer.flight_number).toMatch(/^OM\d{3,4}$/);
    expect(ddb).not.toHaveReceivedAnyCommand();
  });

  it('uses the default origin when none is given, never the destination', async () => {
    expect(await tool('search_flights').execute({ destination: 'Paris' }, ctx())).toMatchObject({
      origin: 'LON',
    });
    expect(await tool('search_flights').execute({ destination: 'London' }, ctx())).toMatchObject({
      origin: 'NYC',
    });
  });

  it('fails with UnknownDestination for a city outside the catalog', async () => {
    await expect(tool('search_flights').execute({ destination: 'Atlantis' }, ctx())).rejects.toMatchObject({
      name: 'UnknownDestination',
    });
  });

  it('fails with InvalidStepInput for an input that does not fit', async () => {
    await expect(tool('search_flights').execute({ to: 'Paris' }, ctx())).rejects.toMatchObject({
      name: 'InvalidStepInput',
    });
  });
});

describe('search constraints', () => {
  type Offer = {
    departs_at: string;
    carrier: string;
    cabin?: string;
    passengers?: number;
    stops: number;
    date?: string;
    price: { amount: number };
  };
  const search = async (input: Record<string, unknown>) =>
    ((await tool('search_flights').execute(input, ctx())) as { offers: Offer[] }).offers;

  it('honours date, time window, airline, cabin, passengers and nonstop in every offer', async () => {
    const offers = await search({
      origin: 'boston',
      destination: 'denver',
      date: '2026-04-03',
      time: '16:00',
      time_relation: 'between',
      time_end: '20:00',
      airline: 'Delta Air Lines',
      cabin: 'business',
      passengers: 2,
      nonstop: true,
    });
    for (const offer of offers) {
      expect(offer).toMatchObject({
        date: '2026-04-03',
        carrier: 'Delta Air Lines',
        cabin: 'business',
        passengers: 2,
        stops: 0,
      });
      expect(offer.departs_at >= '16:00' && offer.departs_at <= '20:00').toBe(true);
    }
    const after = await search({
      origin: 'boston',
      destination: 'denver',
      time: '19:00',
      time_relation: 'after',
    });
    for (const offer of after) expect(offer.departs_at >= '19:00').toBe(true);
    const morning = await search({ origin: 'boston', destination: 'denver', time_of_day: 'morning' });
    for (const offer of morning)
      expect(offer.departs_at >= '06:00' && offer.departs_at <= '11:30').toBe(true);
  });

  it('orders offers as asked: the first is what a booking takes', async () => {
    const dear = await search({ origin: 'Paris', destination: 'Rome', sort: 'most_expensive' });
    expect(dear.map((o) => o.price.amount)).toEqual(
      [...dear.map((o) => o.price.amount)].sort((a, b) => b - a),
    );
    const early = await search({ origin: 'Paris', destination: 'Rome', sort: 'earliest' });
    expect(early.map((o) => o.departs_at)).toEqual([...early.map((o) => o.departs_at)].sort());
  });

  it('prices hotels for every room and night, with the star rating asked for at least', async () => {
    const out = (await tool('search_hotels').execute(
      { city: 'Rome', check_in: '2026-04-03', nights: 3, rooms: 2, guests: 4, stars: 4, pets: true },
      ctx(),
    )) as {
      offers: { nights: number; rooms: number; guests: number; stars: number; pets_allowed: boolean }[];
    };
    for (const offer of out.offers) {
      expect(offer).toMatchObject({ nights: 3, rooms: 2, guests: 4, pets_allowed: true });
      expect(offer.stars).toBeGreaterThanOrEqual(4);
    }
  });

  it('resolves every city of the generated catalog, e.g. Ontario (CA) and Westchester County', async () => {
    expect(
      await tool('search_flights').execute({ origin: 'ontario', destination: 'westchester county' }, ctx()),
    ).toMatchObject({
      origin: 'ONT',
      destination: 'HPN',
    });
  });
});

describe('book_flight and book_hotel', () => {
  async function cheapestFlight() {
    const out = await tool('search_flights').execute({ origin: 'Paris', destination: 'Rome' }, ctx());
    return (out as { offers: unknown[] }).offers[0];
  }

  it('carries date, cabin, airline and passengers of the offer into the booking', async () => {
    const out = await tool('search_flights').execute(
      {
        origin: 'Paris',
        destination: 'Rome',
        date: '2026-04-03',
        cabin: 'first',
        airline: 'Alitalia',
        passengers: 2,
      },
      ctx(),
    );
    const offer = (out as { offers: unknown[] }).offers[0];
    expect(await tool('book_flight').execute({ offer }, ctx())).toMatchObject({
      booking: { details: { date: '2026-04-03', cabin: 'first', carrier: 'Alitalia', passengers: 2 } },
    });
  });

  it('persists the booking with a conditional put and a deterministic confirmation code', async () => {
    const offer = await cheapestFlight();
    const out = await tool('book_flight').execute({ offer }, ctx());
    expect(out).toMatchObject({
      booking: { kind: 'flight', city: 'ROM', city_name: 'Rome', status: 'booked' },
    });
    expect(ddb).toHaveReceivedCommandWith(PutCommand, {
      TableName: 'bookings',
      Item: expect.objectContaining({
        workflow_id: 'wf_tooltest00001',
        step_id: 'book_flight_1',
        status: 'booked',
        expires_at: Math.floor(now.getTime() / 1000) + 90 * 86_400,
      }),
      ConditionExpression: expect.stringContaining('attribute_not_exists(step_id)'),
    });
    const again = await tool('book_flight').execute({ offer }, ctx());
    expect(again).toEqual(out);
    const other = await tool('book_flight').execute({ offer }, ctx('book_flight_2'));
    expect(other).not.toEqual(out);
    const code = (out as { booking: { confirmation_code: string } }).booking.confirmation_code;
    expect(code).toMatch(/^OMN-[A-Z2-9]{6}$/);
  });

  it('returns the existing booking instead of booking twice', async () => {
    const offer = await cheapestFlight();
    const first = await tool('book_flight').execute({ offer }, ctx());
    const stored = ddb.commandCalls(PutCommand)[0]?.args[0].input.Item;
    ddb.on(PutCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({ Item: stored });
    expect(await tool('book_flight').execute({ offer }, ctx())).toEqual(first);
  });

  it('refuses a tampered offer for a city outside the catalog', async () => {
    const offer = { ...((await cheapestFlight()) as object), destination: 'ATL-ANTIS' };
    await expect(tool('book_flight').execute({ offer }, ctx())).rejects.toMatchObject({
      name: 'UnknownDestination',
    });
    expect(ddb).not.toHaveReceivedCommand(PutCommand);
  });

  it('books a hotel offer from search_hotels', async () => {
    const search = await tool('search_hotels').execute({ city: 'tokyo', nights: 2 }, ctx());
    const offer = (search as { offers: unknown[] }).offers[0];
    const out = await tool('book_hotel').execute({ offer }, ctx('book_hotel_1'));
    expect(out).toMatchObject({ booking: { kind: 'hotel', city: 'TYO', details: { nights: 2 } } });
  });

  it('compensation cancels the booking, idempotently', async () => {
    await tool('book_flight').compensate?.({}, undefined, ctx());
    expect(ddb).toHaveReceivedCommandWith(UpdateCommand, {
      TableName: 'bookings',
      Key: { workflow_id: 'wf_tooltest00001', step_id: 'book_flight_1' },
      ConditionExpression: 'attribute_exists(step_id) AND #status = :booked',
      ExpressionAttributeValues: { ':cancelled': 'cancelled', ':booked': 'booked', ':at': now.toISOString() },
    });
    // Already cancelled (or never booked): the condition fails and that is fine.
    ddb.on(UpdateCommand).rejects(conditionFailed());
    ddb.on(GetCommand).resolves({});
    await expect(tool('book_flight').compensate?.({}, undefined, ctx())).resolves.toBeUndefined();
  });

  it('searches have no side effect and nothing to compensate', () => {
    for (const name of ['search_flights', 'search_hotels']) {
      expect(tool(name).sideEffect).toBe(false);
      expect(tool(name).compensate).toBeUndefined();
    }
    expect(tool('book_hotel').sideEffect).toBe(true);
  });

  it('treats an expired booking as absent', async () => {
    ddb.on(GetCommand).resolves({ Item: { workflow_id: 'w', step_id: 's', expires_at: 1 } });
    expect(await bookings.get('w', 's')).toBeUndefined();
  });
});
