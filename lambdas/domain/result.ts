import type { Plan } from '#domain/schemas.ts';
import { referencedSteps } from './references.ts';
import {
  bookingOutputSchema,
  searchFlightsOutputSchema,
  searchHotelsOutputSchema,
} from './tools/travel-schemas.ts';

/** One booking of a completed workflow, as shown in its result. */
export interface ResultBooking {
  readonly step_id: string;
  readonly kind: 'flight' | 'hotel';
  readonly confirmation_code: string;
  readonly status: 'booked' | 'cancelled';
  readonly city: string;
  readonly city_name: string;
  readonly origin?: string;
  readonly origin_name?: string;
  readonly date?: string;
  readonly check_in?: string;
  readonly nights?: number;
  readonly price: { amount: number; currency: string };
  readonly details: Record<string, unknown>;
}

/** The answer of a search step (a question is answered with these, never with a booking). */
export interface ResultSearch {
  readonly step_id: string;
  readonly kind: 'flight' | 'hotel';
  /** "BOS-DEN" for flights, the city code for hotels. */
  readonly route: string;
  /** The offers in the order the search ranked them (at most {@link MAX_OFFERS_SHOWN}). */
  readonly offers: readonly Record<string, unknown>[];
}

/** Offers shown per search in the result (the status body stays small). */
export const MAX_OFFERS_SHOWN = 3;

export interface WorkflowResult {
  readonly summary: string;
  readonly bookings: ResultBooking[];
  /** Search answers of the steps that are not followed by a booking of their offer. */
  readonly searches: ResultSearch[];
  readonly steps_total: number;
  readonly steps_done: number;
  /** Who planned: `offline` for the rule-based planner. */
  readonly provider: string;
  readonly source: string;
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** Aggregates a finished plan's outputs into the result the status endpoint shows. Pure. */
export function buildResult(
  plan: Plan,
  outputs: ReadonlyMap<string, unknown>,
  meta: { provider: string; source: string },
): WorkflowResult {
  const bookings: ResultBooking[] = [];
  const searches: ResultSearch[] = [];
  // A search whose offer a booking took is shown through that booking, not twice.
  const booked = new Set(
    plan.steps
      .filter((s) => s.tool === 'book_flight' || s.tool === 'book_hotel')
      .flatMap((s) => referencedSteps(s.input)),
  );
  for (const step of plan.steps) {
    if (!booked.has(step.id)) {
      const flights = searchFlightsOutputSchema.safeParse(outputs.get(step.id));
      if (flights.success) {
        const { origin, destination, offers } = flights.data;
        searches.push({
          step_id: step.id,
          kind: 'flight',
          route: `${origin}-${destination}`,
          offers: offers.slice(0, MAX_OFFERS_SHOWN),
        });
        continue;
      }
      const hotels = searchHotelsOutputSchema.safeParse(outputs.get(step.id));
      if (hotels.success) {
        searches.push({
          step_id: step.id,
          kind: 'hotel',
          route: hotels.data.city,
          offers: hotels.data.offers.slice(0, MAX_OFFERS_SHOWN),
        });
        continue;
      }
    }
    const parsed = bookingOutputSchema.safeParse(outputs.get(step.id));
    if (!parsed.success) continue;
    const { booking } = parsed.data;
    const origin = text(booking.details.origin);
    const originName = text(booking.details.origin_name);
    const date = text(booking.details.date);
    const checkIn = text(booking.details.check_in);
    const nights = typeof booking.details.nights === 'number' ? booking.details.nights : undefined;
    bookings.push({
      step_id: step.id,
      kind: booking.kind,
      confirmation_code: booking.confirmation_code,
      status: booking.status,
      city: booking.city,
      city_name: booking.city_name,
      ...(origin && { origin }),
      ...(originName && { origin_name: originName }),
      ...(date && { date }),
      ...(checkIn && { check_in: checkIn }),
      ...(nights !== undefined && { nights }),
      price: booking.price,
      details: booking.details,
    });
  }
  const parts = bookings.map((b) =>
    b.kind === 'flight'
      ? `a flight ${b.origin_name ? `${b.origin_name} → ` : 'to '}${b.city_name}${b.date ? ` on ${b.date}` : ''} (${b.confirmation_code})`
      : `a hotel in ${b.city_name}${b.check_in ? ` from ${b.check_in}` : ''}${b.nights ? `, ${b.nights} night${b.nights > 1 ? 's' : ''}` : ''} (${b.confirmation_code})`,
  );
  const stepsDone = plan.steps.filter((s) => outputs.has(s.id)).length;
  const label =
    meta.provider === 'offline' ? 'offline planner, sandbox bookings' : `${meta.provider} planner`;
  const found = searches.map(describeSearch);
  const sentences: string[] = [];
  if (parts.length > 0) sentences.push(`Booked ${joinList(parts)}`);
  if (found.length > 0) sentences.push(`Found ${joinList(found)}`);
  const summary =
    sentences.length > 0
      ? `${sentences.join('. ')} [${label}${parts.length === 0 ? ', nothing booked' : ''}].`
      : `Completed ${stepsDone} step${stepsDone === 1 ? '' : 's'} [${label}].`;
  return {
    summary,
    bookings,
    searches,
    steps_total: plan.steps.length,
    steps_done: stepsDone,
    provider: meta.provider,
    source: meta.source,
  };
}

function joinList(items: readonly string[]): string {
  if (items.length <= 1) return items.join('');
  return `${items.slice(0, -1).join(', ')} and ${items.at(-1)}`;
}

function describeSearch(search: ResultSearch): string {
  const top = search.offers[0] ?? {};
  const price = top.price as { amount?: number; currency?: string } | undefined;
  const money = price?.amount !== undefined ? `${price.amount} ${price.currency ?? ''}`.trim() : '';
  if (search.kind === 'flight') {
    const name = `${String(top.origin_name ?? '')} → ${String(top.destination_name ?? '')}`;
    const date = typeof top.date === 'string' ? ` on ${top.date}` : '';
    const first = `${String(top.carrier ?? '')} ${String(top.flight_number ?? '')}${
      typeof top.departs_at === 'string' ? ` at ${top.departs_at}` : ''
    }${money ? `, ${money}` : ''}`;
    return `${search.offers.length} flight offer${search.offers.length === 1 ? '' : 's'} ${name}${date} (first: ${first})`;
  }
  const first = `${String(top.hotel_name ?? '')}${money ? `, ${money}` : ''}`;
  return `${search.offers.length} hotel offer${search.offers.length === 1 ? '' : 's'} in ${String(top.city_name ?? search.route)} (first: ${first})`;
}
