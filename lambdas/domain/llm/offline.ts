import type { screenGoalOffline } from '../offline-guardian.ts';
import type { planGoalOffline } from '../offline-planner.ts';
import {
  type AgentModel,
  estimateTokens,
  type ModelCallObserver,
  type ModelUsage,
  OFFLINE_MODEL_ID,
} from './provider.ts';

/**
 * The offline rules a function runs: the guardian's screening, the planner's grammar. Each function
 * hands over only its own, so the other's code (the planner's grammar brings chrono-node and the
 * city catalog) stays out of its bundle.
 */
export interface OfflineRules {
  readonly screenGoal?: typeof screenGoalOffline;
  readonly planGoal?: typeof planGoalOffline;
}

export interface OfflineModelOptions {
  /** Origin of flights whose goal and context name none. @default 'LON' */
  readonly defaultOrigin?: string;
}

export { OFFLINE_MODEL_ID };

/** Reports the one "call" the offline model makes, with estimated tokens. */
function report(
  observer: ModelCallObserver | undefined,
  purpose: string,
  attempt: number,
  usage: ModelUsage,
  started: number,
): void {
  observer?.({
    purpose,
    provider: 'offline',
    model: OFFLINE_MODEL_ID,
    tokens_in: usage.tokens_in,
    tokens_out: usage.tokens_out,
    latency_ms: Math.round(performance.now() - started),
    attempt,
    outcome: 'ok',
  });
}

/**
 * The offline "model": deterministic rules and grammar, no network. Everything it produces is labelled
 * `offline` so nobody mistakes it for a model's answer.
 */
export function createOfflineModel(rules: OfflineRules, options: OfflineModelOptions = {}): AgentModel {
  const missing = (purpose: string) =>
    new Error(`the offline model of this function was given no ${purpose} rules (createOfflineModel)`);
  return {
    provider: 'offline',
    model: OFFLINE_MODEL_ID,
    deterministic: true,
    screenGoal: async ({ goal, onModelCall }) => {
      const started = performance.now();
      if (!rules.screenGoal) throw missing('guardian');
      const verdict = rules.screenGoal(goal);
      const usage = { tokens_in: estimateTokens(goal), tokens_out: estimateTokens(JSON.stringify(verdict)) };
      report(onModelCall, 'guardian', 1, usage, started);
      return { verdict, usage };
    },
    planGoal: async ({ goal, context, now, attempt, onModelCall }) => {
      const started = performance.now();
      if (!rules.planGoal) throw missing('planner');
      const plan = rules.planGoal(goal, context, {
        ...(options.defaultOrigin && { defaultOrigin: options.defaultOrigin }),
        ...(now && { now }),
      });
      const usage = { tokens_in: estimateTokens(goal), tokens_out: estimateTokens(JSON.stringify(plan)) };
      report(onModelCall, 'planner', attempt ?? 1, usage, started);
      return { plan, usage };
    },
  };
}

/** Label of every text the offline provider writes: nobody should take it for a model's prose. */
export const OFFLINE_TEXT_LABEL = '[offline model]';

const MAX_OFFLINE_TEXT = 2000;

/** What a booking-like value says about itself, found anywhere in the inputs. */
interface BookingFacts {
  kind?: string;
  city?: string;
  code: string;
  status?: string;
}

function collectBookings(value: unknown, out: BookingFacts[], depth = 0): void {
  if (depth > 8 || value === null || typeof value !== 'object') return;
  if (Array.isArray(value)) {
    for (const item of value) collectBookings(item, out, depth + 1);
    return;
  }
  const record: Record<string, unknown> = Object.fromEntries(Object.entries(value));
  const code = record.confirmation_code;
  if (typeof code === 'string') {
    const text = (key: string): string | undefined => {
      const field = record[key];
      return typeof field === 'string' ? field : undefined;
    };
    const kind = text('kind');
    const city = text('city_name') ?? text('city');
    const status = text('status');
    out.push({ code, ...(kind && { kind }), ...(city && { city }), ...(status && { status }) });
    return;
  }
  for (const item of Object.values(record)) collectBookings(item, out, depth + 1);
}

function describeBooking(b: BookingFacts): string {
  const what = b.kind === 'flight' ? 'flight to' : b.kind === 'hotel' ? 'hotel in' : 'booking in';
  const where = b.city ?? 'an unnamed place';
  const status = b.status && b.status !== 'booked' ? `, ${b.status}` : '';
  return `${what} ${where} (${b.code}${status})`;
}

/**
 * The offline text "model" of `llm_generate`: a deterministic, clearly labelled summary of the
 * request and of the inputs it was given (bookings are listed with their confirmation codes).
 */
export function generateTextOffline(prompt: string, inputs: unknown): string {
  const bookings: BookingFacts[] = [];
  collectBookings(inputs, bookings);
  const request = prompt.trim().replace(/\s+/g, ' ');
  const shortRequest = request.length > 200 ? `${request.slice(0, 200)}…` : request;
  const parts = [`${OFFLINE_TEXT_LABEL} Summary for "${shortRequest}".`];
  if (bookings.length > 0) {
    parts.push(`Booked: ${bookings.map(describeBooking).join('; ')}.`);
  } else if (inputs !== undefined && inputs !== null && typeof inputs === 'object') {
    const keys = Array.isArray(inputs) ? inputs.map((_, i) => String(i)) : Object.keys(inputs);
    if (keys.length > 0) parts.push(`Based on: ${keys.join(', ')}.`);
  }
  parts.push('(Deterministic text from the offline provider; no language model was called.)');
  const text = parts.join(' ');
  return text.length > MAX_OFFLINE_TEXT ? `${text.slice(0, MAX_OFFLINE_TEXT)}…` : text;
}

/**
 * `generateTextOffline` as a text model's answer, with estimated tokens: what the offline provider
 * answers, and the text model of `llm_generate` when none is wired.
 */
export function offlineTextAnswer(request: { system?: string; prompt: string; inputs?: unknown }): {
  text: string;
  usage: { provider: 'offline'; model: string; tokens_in: number; tokens_out: number; latency_ms: number };
} {
  const started = performance.now();
  const text = generateTextOffline(request.prompt, request.inputs);
  return {
    text,
    usage: {
      provider: 'offline',
      model: OFFLINE_MODEL_ID,
      tokens_in: estimateTokens(`${request.system ?? ''}${request.prompt}`),
      tokens_out: estimateTokens(text),
      latency_ms: Math.round(performance.now() - started),
    },
  };
}
