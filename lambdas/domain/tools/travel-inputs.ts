import * as z from '#domain/zod.ts';
import { once } from '../once.ts';
import {
  cabinSchema,
  clock,
  flightOfferSchema,
  hotelOfferSchema,
  isoDate,
  sortSchema,
  timeOfDaySchema,
} from './travel-schemas.ts';

/*
 * What the sandbox travel tools (travel.ts) take: searches and bookings. Each is built at the tool's
 * first use (`once`, see ToolDefinition.input): a step runs one tool.
 */

export const searchFlightsInputSchema = once(() =>
  z.object({
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
  }),
);
export const searchHotelsInputSchema = once(() =>
  z.object({
    city: z.string().check(z.minLength(1)),
    check_in: z.optional(isoDate),
    nights: z.optional(z.number().check(z.int(), z.gte(1), z.lte(30))),
    rooms: z.optional(z.number().check(z.int(), z.gte(1), z.lte(9))),
    guests: z.optional(z.number().check(z.int(), z.gte(1), z.lte(20))),
    /** Minimum star rating. */
    stars: z.optional(z.number().check(z.int(), z.gte(1), z.lte(5))),
    pets: z.optional(z.boolean()),
    sort: z.optional(z.enum(['cheapest', 'most_expensive'])),
  }),
);
export const bookFlightInputSchema = once(() => z.object({ offer: flightOfferSchema }));
export const bookHotelInputSchema = once(() => z.object({ offer: hotelOfferSchema }));
