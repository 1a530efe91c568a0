import { UnknownDestination } from '#domain/errors.ts';
import type * as z from '#domain/zod.ts';
import { type City, chooseOrigin, findCity } from '../catalog.ts';
import { code, digest, pick } from '../hash.ts';
import {
  bookFlightInputSchema,
  bookHotelInputSchema,
  searchFlightsInputSchema,
  searchHotelsInputSchema,
} from './travel-inputs.ts';
import {
  type BookingOutput,
  bookingOutputSchema,
  type FlightOffer,
  type HotelOffer,
  searchFlightsOutputSchema,
  searchHotelsOutputSchema,
} from './travel-schemas.ts';
import { type Booking, defineTool, type Tool, type ToolContext } from './types.ts';

/*
 * The sandbox travel tools: deterministic searches over the city catalog and bookings persisted in
 * BOOKINGS_TABLE, keyed by (workflow, step) so that a replay books nothing twice and compensation
 * really cancels. A city the catalog does not know fails with UnknownDestination (not retryable).
 */

function cityOrThrow(raw: string, role: string): City {
  const city = findCity(raw);
  if (!city) throw new UnknownDestination(`${role} "${raw}" is not in the sandbox travel catalog`);
  return city;
}

const CARRIERS = ['Omni Air', 'Sandbox Airways', 'Demo Jet'] as const;
const HOTEL_NAMES = ['Grand %s Hotel', '%s Central Inn', 'Hotel Omni %s'] as const;
const CABIN_FACTOR = { economy: 1, premium_economy: 1.6, business: 3, first: 5 } as const;
const PERIODS = { morning: [6, 11], afternoon: [12, 17], evening: [18, 21], night: [21, 23] } as const;

type FlightSearch = z.infer<ReturnType<typeof searchFlightsInputSchema>>;
type HotelSearch = z.infer<ReturnType<typeof searchHotelsInputSchema>>;

const minutes = (t: string) => Number(t.slice(0, 2)) * 60 + Number(t.slice(3, 5));
const clockOf = (m: number) =>
  `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

/** The departure window [from, to] in minutes that the search's time and time of day allow. */
function window(input: FlightSearch): [number, number] {
  let lo = 6 * 60;
  let hi = 22 * 60;
  if (input.time_of_day) {
    const [a, b] = PERIODS[input.time_of_day];
    lo = a * 60;
    hi = b * 60 + 30;
  }
  if (input.time) {
    const t = minutes(input.time);
    const relation = input.time_relation ?? 'at';
    const last = 23 * 60 + 30;
    if (relation === 'between' && input.time_end) {
      lo = t;
      hi = Math.max(t, minutes(input.time_end));
    } else if (relation === 'after') {
      lo = Math.max(lo, t);
      if (lo > hi) hi = Math.min(last, lo + 120);
    } else if (relation === 'before') {
      hi = Math.min(hi, t);
      if (hi < lo) lo = Math.max(0, hi - 120);
    } else {
      lo = Math.max(0, t - 45);
      hi = Math.min(last, t + 45);
    }
  }
  return lo <= hi ? [lo, hi] : [hi, lo];
}

/** Three deterministic offers that honour every constraint of the search, in its order. */
function flightOffers(input: FlightSearch, origin: City, destination: City): FlightOffer[] {
  const [lo, hi] = window(input);
  const passengers = input.passengers ?? 1;
  const factor = CABIN_FACTOR[input.cabin ?? 'economy'];
  const offers = CARRIERS.map((carrier, i): FlightOffer => {
    const h = digest('flight', origin.code, destination.code, input.date ?? '', String(i));
    const departs = lo + Math.floor(((hi - lo) * (pick(h, 7, 0, 1000) / 1000)) / 5) * 5;
    const duration = pick(h, 9, 55, 11 * 60);
    const stops = input.nonstop ? 0 : pick(h, 11, 0, 1);
    return {
      offer_id: `FL-${code(h, 8)}`,
      kind: 'flight',
      origin: origin.code,
      origin_name: origin.name,
      destination: destination.code,
      destination_name: destination.name,
      ...(input.date && { date: input.date }),
      departs_at: clockOf(departs),
      arrives_at: clockOf(departs + duration),
      carrier: input.airline ?? carrier,
      flight_number: `OM${pick(h, 3, 100, 9999)}`,
      ...(input.cabin && { cabin: input.cabin }),
      ...(input.passengers && { passengers }),
      stops,
      ...(input.trip && { trip: input.trip }),
      price: { amount: Math.round(pick(h, 5, 60, 1400) * factor) * passengers, currency: 'EUR' },
    };
  });
  const sort = input.sort ?? 'cheapest';
  return offers.sort((a, b) =>
    sort === 'most_expensive'
      ? b.price.amount - a.price.amount
      : sort === 'earliest'
        ? (a.departs_at ?? '').localeCompare(b.departs_at ?? '')
        : sort === 'latest'
          ? (b.departs_at ?? '').localeCompare(a.departs_at ?? '')
          : a.price.amount - b.price.amount,
  );
}

function hotelOffers(input: HotelSearch, city: City): HotelOffer[] {
  const nights = input.nights ?? 1;
  const rooms = input.rooms ?? 1;
  const offers = HOTEL_NAMES.map((pattern, i): HotelOffer => {
    const h = digest('hotel', city.code, input.check_in ?? '', String(i));
    const stars = Math.max(input.stars ?? 1, pick(h, 6, 2, 5));
    return {
      offer_id: `HT-${code(h, 8)}`,
      kind: 'hotel',
      city: city.code,
      city_name: city.name,
      hotel_name: pattern.replace('%s', city.name),
      ...(input.check_in && { check_in: input.check_in }),
      nights,
      ...(input.rooms && { rooms }),
      ...(input.guests && { guests: input.guests }),
      stars,
      ...(input.pets && { pets_allowed: true }),
      price: { amount: pick(h, 4, 70, 450) * nights * rooms, currency: 'EUR' },
    };
  });
  return offers.sort((a, b) =>
    input.sort === 'most_expensive' ? b.price.amount - a.price.amount : a.price.amount - b.price.amount,
  );
}

function confirmationCode(ctx: ToolContext): string {
  return `OMN-${code(digest('booking', ctx.workflow_id, ctx.step_id), 6)}`;
}

function toOutput(booking: Booking): BookingOutput {
  const { confirmation_code, kind, city, city_name, status, offer_id, price, details } = booking;
  return { booking: { confirmation_code, kind, city, city_name, status, offer_id, price, details } };
}

/** Books `offer` in `city` once per (workflow, step) — a replay finds the stored booking — and answers it. */
async function book(
  ctx: ToolContext,
  kind: Booking['kind'],
  city: City,
  offer: { readonly offer_id: string; readonly price: Booking['price'] },
  details: Booking['details'],
): Promise<BookingOutput> {
  const stored = await ctx.bookings.putIfAbsent({
    workflow_id: ctx.workflow_id,
    step_id: ctx.step_id,
    kind,
    city: city.code,
    city_name: city.name,
    confirmation_code: confirmationCode(ctx),
    status: 'booked',
    offer_id: offer.offer_id,
    details,
    price: offer.price,
    booked_at: ctx.now().toISOString(),
  });
  return toOutput(stored);
}

/** What the two booking tools share: a side effect, their answer, its undo and its summary. */
const bookingTool = {
  sideEffect: true,
  output: bookingOutputSchema,
  compensate: async (_input: unknown, _output: unknown, ctx: ToolContext): Promise<void> => {
    await ctx.bookings.cancel(ctx.workflow_id, ctx.step_id, ctx.now().toISOString());
  },
  summarize: (out: BookingOutput) => ({
    confirmation_code: out.booking.confirmation_code,
    kind: out.booking.kind,
    city: out.booking.city,
  }),
};

export interface TravelToolOptions {
  /** Origins used when a flight search names none, in order of preference (the first that differs). */
  readonly defaultOrigins?: readonly string[];
}

/** The four sandbox travel tools. */
export function createTravelTools(options: TravelToolOptions = {}): Tool[] {
  const defaultOrigins = [...(options.defaultOrigins ?? []), 'LON', 'NYC'];

  const searchFlights = defineTool({
    name: 'search_flights',
    description:
      'Searches sandbox flights from origin to destination (city names or IATA codes) on a date, with optional time, cabin, airline, passengers, nonstop; offers in the requested order (cheapest first by default). A search books nothing: its offers answer a question.',
    sideEffect: false,
    input: searchFlightsInputSchema,
    output: searchFlightsOutputSchema,
    execute: async (input) => {
      const destination = cityOrThrow(input.destination, 'destination');
      const origin = cityOrThrow(
        input.origin ?? chooseOrigin(input.destination, defaultOrigins) ?? 'LON',
        'origin',
      );
      if (origin.code === destination.code) {
        throw new UnknownDestination(`no flights from ${origin.name} to itself`);
      }
      const offers = flightOffers(input, origin, destination);
      return { origin: origin.code, destination: destination.code, offers };
    },
    summarize: (out) => ({
      route: `${out.origin}-${out.destination}`,
      offers: out.offers.length,
      first: out.offers[0]?.price,
    }),
  });

  const bookFlight = defineTool({
    name: 'book_flight',
    description: 'Books a flight offer returned by search_flights (sandbox; cancellable).',
    input: bookFlightInputSchema,
    ...bookingTool,
    execute: async ({ offer }, ctx) => {
      const destination = cityOrThrow(offer.destination, 'destination');
      cityOrThrow(offer.origin, 'origin');
      return book(ctx, 'flight', destination, offer, {
        origin: offer.origin,
        origin_name: offer.origin_name,
        carrier: offer.carrier,
        flight_number: offer.flight_number,
        ...(offer.date && { date: offer.date }),
        ...(offer.departs_at && { departs_at: offer.departs_at }),
        ...(offer.cabin && { cabin: offer.cabin }),
        ...(offer.passengers && { passengers: offer.passengers }),
        ...(offer.stops !== undefined && { stops: offer.stops }),
        ...(offer.trip && { trip: offer.trip }),
      });
    },
  });

  const searchHotels = defineTool({
    name: 'search_hotels',
    description:
      'Searches sandbox hotels in a city (name or IATA code) from a check-in date for some nights, rooms and guests; cheapest first unless sort says otherwise. A search books nothing.',
    sideEffect: false,
    input: searchHotelsInputSchema,
    output: searchHotelsOutputSchema,
    execute: async (input) => {
      const city = cityOrThrow(input.city, 'city');
      const offers = hotelOffers(input, city);
      return { city: city.code, offers };
    },
    summarize: (out) => ({ city: out.city, offers: out.offers.length, first: out.offers[0]?.price }),
  });

  const bookHotel = defineTool({
    name: 'book_hotel',
    description: 'Books a hotel offer returned by search_hotels (sandbox; cancellable).',
    input: bookHotelInputSchema,
    ...bookingTool,
    execute: async ({ offer }, ctx) => {
      const city = cityOrThrow(offer.city, 'city');
      return book(ctx, 'hotel', city, offer, {
        hotel_name: offer.hotel_name,
        nights: offer.nights,
        ...(offer.check_in && { check_in: offer.check_in }),
        ...(offer.rooms && { rooms: offer.rooms }),
        ...(offer.guests && { guests: offer.guests }),
        ...(offer.stars && { stars: offer.stars }),
      });
    },
  });

  return [searchFlights, bookFlight, searchHotels, bookHotel];
}
