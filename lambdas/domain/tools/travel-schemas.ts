import * as z from '#domain/zod.ts';

/*
 * What the sandbox travel tools take and answer (offers, searches, bookings): schemas only, apart from
 * the tools (travel.ts), so that a reader of results (finalize, the rollback) does not load the city
 * catalog the searches run over.
 */

const isoDate = z.iso.date();
const clock = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be HH:MM (24-hour)'));
const money = z.object({ amount: z.number(), currency: z.string() });
const cabinSchema = z.enum(['economy', 'premium_economy', 'business', 'first']);
const timeOfDaySchema = z.enum(['morning', 'afternoon', 'evening', 'night']);
const sortSchema = z.enum(['cheapest', 'most_expensive', 'earliest', 'latest']);

export const flightOfferSchema = z.object({
  offer_id: z.string().check(z.minLength(1)),
  kind: z.literal('flight'),
  origin: z.string().check(z.minLength(1)),
  origin_name: z.string(),
  destination: z.string().check(z.minLength(1)),
  destination_name: z.string(),
  date: z.optional(isoDate),
  /** Local departure and arrival time, HH:MM. */
  departs_at: z.optional(clock),
  arrives_at: z.optional(clock),
  carrier: z.string(),
  flight_number: z.string(),
  cabin: z.optional(cabinSchema),
  passengers: z.optional(z.number().check(z.int(), z.gte(1), z.lte(9))),
  stops: z.optional(z.number().check(z.int(), z.gte(0))),
  trip: z.optional(z.enum(['one_way', 'round_trip'])),
  /** Total for all passengers. */
  price: money,
});
export type FlightOffer = z.infer<typeof flightOfferSchema>;

export const hotelOfferSchema = z.object({
  offer_id: z.string().check(z.minLength(1)),
  kind: z.literal('hotel'),
  city: z.string().check(z.minLength(1)),
  city_name: z.string(),
  hotel_name: z.string(),
  check_in: z.optional(isoDate),
  nights: z.number().check(z.int(), z.positive()),
  rooms: z.optional(z.number().check(z.int(), z.gte(1), z.lte(9))),
  guests: z.optional(z.number().check(z.int(), z.gte(1), z.lte(20))),
  stars: z.optional(z.number().check(z.int(), z.gte(1), z.lte(5))),
  pets_allowed: z.optional(z.boolean()),
  /** Total for all rooms and nights. */
  price: money,
});
export type HotelOffer = z.infer<typeof hotelOfferSchema>;

export const searchFlightsInputSchema = z.object({
  /** City name, alias or IATA code; the configured default origin when absent. */
  origin: z.optional(z.string().check(z.minLength(1))),
  destination: z.string().check(z.minLength(1)),
  /** Departure date (YYYY-MM-DD). */
  date: z.optional(isoDate),
  /** Departure time (HH:MM) and how it constrains the flight. */
  time: z.optional(clock),
  time_relation: z.optional(z.enum(['at', 'after', 'before', 'around', 'between'])),
  /** End of a "between" window (HH:MM). */
  time_end: z.optional(clock),
  time_of_day: z.optional(timeOfDaySchema),
  /** A leg of a round trip (the plan has one search per leg) or a one-way flight. */
  trip: z.optional(z.enum(['one_way', 'round_trip'])),
  cabin: z.optional(cabinSchema),
  airline: z.optional(z.string().check(z.minLength(1), z.maxLength(60))),
  passengers: z.optional(z.number().check(z.int(), z.gte(1), z.lte(9))),
  nonstop: z.optional(z.boolean()),
  /** Order of the offers (offers.0 is the one a booking takes). @default 'cheapest' */
  sort: z.optional(sortSchema),
});
export const searchFlightsOutputSchema = z.object({
  origin: z.string(),
  destination: z.string(),
  offers: z.array(flightOfferSchema).check(z.minLength(1)),
});

export const searchHotelsInputSchema = z.object({
  city: z.string().check(z.minLength(1)),
  check_in: z.optional(isoDate),
  nights: z.optional(z.number().check(z.int(), z.gte(1), z.lte(30))),
  rooms: z.optional(z.number().check(z.int(), z.gte(1), z.lte(9))),
  guests: z.optional(z.number().check(z.int(), z.gte(1), z.lte(20))),
  /** Minimum star rating. */
  stars: z.optional(z.number().check(z.int(), z.gte(1), z.lte(5))),
  pets: z.optional(z.boolean()),
  sort: z.optional(z.enum(['cheapest', 'most_expensive'])),
});
export const searchHotelsOutputSchema = z.object({
  city: z.string(),
  offers: z.array(hotelOfferSchema).check(z.minLength(1)),
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
