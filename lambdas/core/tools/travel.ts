import { z } from 'zod';
import { UnknownDestination } from '#shared/errors.ts';
import { type City, findCity } from '../catalog.ts';
import { code, digest, pick } from '../hash.ts';
import { type Booking, defineTool, type Tool, type ToolContext } from './types.ts';

/*
 * The sandbox travel tools: deterministic searches over the city catalog and bookings persisted in
 * BOOKINGS_TABLE, keyed by (workflow, step) so that a replay books nothing twice and compensation
 * really cancels. A city the catalog does not know fails with UnknownDestination (not retryable).
 */

const isoDate = z.iso.date();
const money = z.object({ amount: z.number(), currency: z.string() });

export const flightOfferSchema = z.object({
  offer_id: z.string().min(1),
  kind: z.literal('flight'),
  origin: z.string().min(1),
  origin_name: z.string(),
  destination: z.string().min(1),
  destination_name: z.string(),
  date: isoDate.optional(),
  carrier: z.string(),
  flight_number: z.string(),
  price: money,
});
export type FlightOffer = z.infer<typeof flightOfferSchema>;

export const hotelOfferSchema = z.object({
  offer_id: z.string().min(1),
  kind: z.literal('hotel'),
  city: z.string().min(1),
  city_name: z.string(),
  hotel_name: z.string(),
  check_in: isoDate.optional(),
  nights: z.number().int().positive(),
  price: money,
});
export type HotelOffer = z.infer<typeof hotelOfferSchema>;

export const searchFlightsInputSchema = z.object({
  /** City name, alias or IATA code; the configured default origin when absent. */
  origin: z.string().min(1).optional(),
  destination: z.string().min(1),
  date: isoDate.optional(),
});
export const searchFlightsOutputSchema = z.object({
  origin: z.string(),
  destination: z.string(),
  offers: z.array(flightOfferSchema).min(1),
});

export const searchHotelsInputSchema = z.object({
  city: z.string().min(1),
  check_in: isoDate.optional(),
  nights: z.number().int().min(1).max(30).optional(),
});
export const searchHotelsOutputSchema = z.object({
  city: z.string(),
  offers: z.array(hotelOfferSchema).min(1),
});

export const bookFlightInputSchema = z.object({ offer: flightOfferSchema });
export const bookHotelInputSchema = z.object({ offer: hotelOfferSchema });
const publicBookingSchema = z.object({
  confirmation_code: z.string(),
  kind: z.enum(['flight', 'hotel']),
  city: z.string(),
  city_name: z.string(),
  status: z.enum(['booked', 'cancelled']),
  offer_id: z.string(),
  price: money,
  details: z.record(z.string(), z.unknown()),
});
export const bookingOutputSchema = z.object({ booking: publicBookingSchema });
export type BookingOutput = z.infer<typeof bookingOutputSchema>;

function cityOrThrow(raw: string, role: string): City {
  const city = findCity(raw);
  if (!city) throw new UnknownDestination(`${role} "${raw}" is not in the sandbox travel catalog`);
  return city;
}

const CARRIERS = ['Omni Air', 'Sandbox Airways', 'Demo Jet'] as const;
const HOTEL_NAMES = ['Grand %s Hotel', '%s Central Inn', 'Hotel Omni %s'] as const;

function confirmationCode(ctx: ToolContext): string {
  return `OMN-${code(digest('booking', ctx.workflow_id, ctx.step_id), 6)}`;
}

function toOutput(booking: Booking): BookingOutput {
  const { confirmation_code, kind, city, city_name, status, offer_id, price, details } = booking;
  return { booking: { confirmation_code, kind, city, city_name, status, offer_id, price, details } };
}

async function cancelBooking(ctx: ToolContext): Promise<void> {
  await ctx.bookings.cancel(ctx.workflow_id, ctx.step_id, ctx.now().toISOString());
}

export interface TravelToolOptions {
  /** Origins used when a flight search names none, in order of preference (the first that differs). */
  readonly defaultOrigins?: readonly string[];
}

/** Picks the first origin that is not the destination. */
export function chooseOrigin(destination: string, candidates: readonly string[]): string | undefined {
  const dest = findCity(destination)?.code ?? destination.toLowerCase();
  return candidates.find((c) => (findCity(c)?.code ?? c.toLowerCase()) !== dest);
}

/** The four sandbox travel tools. */
export function createTravelTools(options: TravelToolOptions = {}): Tool[] {
  const defaultOrigins = [...(options.defaultOrigins ?? []), 'LON', 'NYC'];

  const searchFlights = defineTool({
    name: 'search_flights',
    description:
      'Searches sandbox flights from origin to destination (city names or IATA codes), cheapest first.',
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
      const offers = CARRIERS.map((carrier, i): FlightOffer => {
        const h = digest('flight', origin.code, destination.code, input.date ?? '', String(i));
        return {
          offer_id: `FL-${code(h, 8)}`,
          kind: 'flight',
          origin: origin.code,
          origin_name: origin.name,
          destination: destination.code,
          destination_name: destination.name,
          ...(input.date && { date: input.date }),
          carrier,
          flight_number: `OM${pick(h, 3, 100, 9999)}`,
          price: { amount: pick(h, 5, 60, 1400), currency: 'EUR' },
        };
      }).sort((a, b) => a.price.amount - b.price.amount);
      return { origin: origin.code, destination: destination.code, offers };
    },
    summarize: (out) => ({
      route: `${out.origin}-${out.destination}`,
      offers: out.offers.length,
      cheapest: out.offers[0]?.price,
    }),
  });

  const bookFlight = defineTool({
    name: 'book_flight',
    description: 'Books a flight offer returned by search_flights (sandbox; cancellable).',
    sideEffect: true,
    input: bookFlightInputSchema,
    output: bookingOutputSchema,
    execute: async ({ offer }, ctx) => {
      const destination = cityOrThrow(offer.destination, 'destination');
      cityOrThrow(offer.origin, 'origin');
      const stored = await ctx.bookings.putIfAbsent({
        workflow_id: ctx.workflow_id,
        step_id: ctx.step_id,
        kind: 'flight',
        city: destination.code,
        city_name: destination.name,
        confirmation_code: confirmationCode(ctx),
        status: 'booked',
        offer_id: offer.offer_id,
        details: {
          origin: offer.origin,
          origin_name: offer.origin_name,
          carrier: offer.carrier,
          flight_number: offer.flight_number,
          ...(offer.date && { date: offer.date }),
        },
        price: offer.price,
        booked_at: ctx.now().toISOString(),
      });
      return toOutput(stored);
    },
    compensate: (_input, _output, ctx) => cancelBooking(ctx),
    summarize: (out) => ({
      confirmation_code: out.booking.confirmation_code,
      kind: out.booking.kind,
      city: out.booking.city,
    }),
  });

  const searchHotels = defineTool({
    name: 'search_hotels',
    description: 'Searches sandbox hotels in a city (name or IATA code), cheapest first.',
    sideEffect: false,
    input: searchHotelsInputSchema,
    output: searchHotelsOutputSchema,
    execute: async (input) => {
      const city = cityOrThrow(input.city, 'city');
      const nights = input.nights ?? 1;
      const offers = HOTEL_NAMES.map((pattern, i): HotelOffer => {
        const h = digest('hotel', city.code, input.check_in ?? '', String(i));
        return {
          offer_id: `HT-${code(h, 8)}`,
          kind: 'hotel',
          city: city.code,
          city_name: city.name,
          hotel_name: pattern.replace('%s', city.name),
          ...(input.check_in && { check_in: input.check_in }),
          nights,
          price: { amount: pick(h, 4, 70, 450) * nights, currency: 'EUR' },
        };
      }).sort((a, b) => a.price.amount - b.price.amount);
      return { city: city.code, offers };
    },
    summarize: (out) => ({ city: out.city, offers: out.offers.length, cheapest: out.offers[0]?.price }),
  });

  const bookHotel = defineTool({
    name: 'book_hotel',
    description: 'Books a hotel offer returned by search_hotels (sandbox; cancellable).',
    sideEffect: true,
    input: bookHotelInputSchema,
    output: bookingOutputSchema,
    execute: async ({ offer }, ctx) => {
      const city = cityOrThrow(offer.city, 'city');
      const stored = await ctx.bookings.putIfAbsent({
        workflow_id: ctx.workflow_id,
        step_id: ctx.step_id,
        kind: 'hotel',
        city: city.code,
        city_name: city.name,
        confirmation_code: confirmationCode(ctx),
        status: 'booked',
        offer_id: offer.offer_id,
        details: {
          hotel_name: offer.hotel_name,
          nights: offer.nights,
          ...(offer.check_in && { check_in: offer.check_in }),
        },
        price: offer.price,
        booked_at: ctx.now().toISOString(),
      });
      return toOutput(stored);
    },
    compensate: (_input, _output, ctx) => cancelBooking(ctx),
    summarize: (out) => ({
      confirmation_code: out.booking.confirmation_code,
      kind: out.booking.kind,
      city: out.booking.city,
    }),
  });

  return [searchFlights, bookFlight, searchHotels, bookHotel];
}
