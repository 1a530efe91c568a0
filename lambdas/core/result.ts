import type { Plan } from '#shared/schemas.ts';
import { bookingOutputSchema } from './tools/travel.ts';

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

export interface WorkflowResult {
  readonly summary: string;
  readonly bookings: ResultBooking[];
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
  for (const step of plan.steps) {
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
  const summary =
    parts.length > 0
      ? `Booked ${joinList(parts)} [${label}].`
      : `Completed ${stepsDone} step${stepsDone === 1 ? '' : 's'} [${label}].`;
  return {
    summary,
    bookings,
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
