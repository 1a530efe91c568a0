import * as z from '#domain/zod.ts';

/*
 * What the sandbox travel tools answer (offers, searches, bookings): schemas only, apart from the
 * tools (travel.ts) and from what they take (travel-inputs.ts), so that a reader of results (finalize)
 * neither loads the city catalog the searches run over nor builds the input schemas. The objects are
 * built at their first parse (`z.lazy`), as the log's are (lambdas/domain/schemas.ts): a step runs one
 * tool and parses one of them.
 */

export const isoDate = z.iso.date();
export const clock = z.string().check(z.regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'time must be HH:MM (24-hour)'));
const money = z.lazy(() => z.object({ amount: z.number(), currency: z.string() }));
export const cabinSchema = z.enum(['economy', 'premium_economy', 'business', 'first']);
export const timeOfDaySchema = z.enum(['morning', 'afternoon', 'evening', 'night']);
export const sortSchema = z.enum(['cheapest', 'most_expensive', 'earliest', 'latest']);

export const flightOfferSchema = z.lazy(() =>
  z.object({
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
  }),
);
export type FlightOffer = z.infer<typeof flightOfferSchema>;

export const hotelOfferSchema = z.lazy(() =>
  z.object({
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
  }),
);
export type HotelOffer = z.infer<typeof hotelOfferSchema>;

export const searchFlightsOutputSchema = z.lazy(() =>
  z.object({
    origin: z.string(),
    destination: z.string(),
    offers: z.array(flightOfferSchema).check(z.minLength(1)),
  }),
);

export const searchHotelsOutputSchema = z.lazy(() =>
  z.object({
    city: z.string(),
    offers: z.array(hotelOfferSchema).check(z.minLength(1)),
  }),
);

const publicBookingSchema = z.lazy(() =>
  z.object({
    confirmation_code: z.string(),
    kind: z.enum(['flight', 'hotel']),
    city: z.string(),
    city_name: z.string(),
    status: z.enum(['booked', 'cancelled']),
    offer_id: z.string(),
    price: money,
    details: z.record(z.string(), z.unknown()),
  }),
);
export const bookingOutputSchema = z.lazy(() => z.object({ booking: publicBookingSchema }));
export type BookingOutput = z.infer<typeof bookingOutputSchema>;
