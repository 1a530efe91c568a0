import { createHash } from 'node:crypto';
import * as chrono from 'chrono-node';
import { findCity } from '../../lambdas/domain/catalog.ts';
import { planGoalOffline } from '../../lambdas/domain/offline-planner.ts';
import { validatePlan } from '../../lambdas/domain/plan-validation.ts';
import { resolveReferences } from '../../lambdas/domain/references.ts';
import type { Plan } from '../../lambdas/domain/schemas.ts';
import { createApprovalTool } from '../../lambdas/domain/tools/approval.ts';
import { createTravelTools } from '../../lambdas/domain/tools/travel.ts';
import { type Booking, type BookingsPort, createToolRegistry } from '../../lambdas/domain/tools/types.ts';
import { atLeast, atMost, type EvalPart, type EvalRow, proportion, readJsonl } from './report.ts';

/*
 * The offline planner on real requests (ATIS and SGD), judged against the corpora's gold slots, not
 * against the planner's grammar:
 * - plan rate: flight/hotel requests whose gold slots name a destination (ATIS toloc.*, SGD
 *   destination*, location, where_to) get a plan;
 * - route right: the plan's first search goes from the gold origin (when there is one) to the gold
 *   destination, both read through the catalog (so "nyc" and "New York" are one city);
 * - date kept: a gold date (ATIS depart/arrive_date.*, SGD departure/check_in/return_date), resolved
 *   with chrono-node against the same "today", is the date of the matching step;
 * - bookings for questions: ATIS (an information system) and SGD Search* requests that do not
 *   themselves ask to book/reserve/buy must plan no booking step;
 * - runnable: the plan validates and every step runs with the sandbox tools (in-memory bookings);
 * - refusals: requests without a destination are refused with a message saying what was understood.
 * Reported on the whole corpus and on a hold-out (sha256 of the text, first byte < 64: about a
 * quarter) that the planner was not tuned on.
 */

interface Row {
  readonly text: string;
  readonly intent?: string;
  readonly slots?: Record<string, string[]>;
}

/** "Today" for every goal and every gold date (SGD dialogues talk about March). */
const NOW = '2026-03-01T12:00:00Z';

const registry = createToolRegistry([...createTravelTools(), createApprovalTool()]);

export function isHoldOut(text: string): boolean {
  return (createHash('sha256').update(text).digest()[0] ?? 0) < 64;
}

function first(slots: Record<string, string[]>, ...keys: string[]): string | undefined {
  for (const key of keys) {
    const value = slots[key]?.[0];
    if (value && value !== 'dontcare') return value;
  }
  return undefined;
}

function kindOf(row: Row): 'flight' | 'hotel' | undefined {
  const intent = row.intent ?? '';
  if (/^atis_/.test(intent)) return /ground_service/.test(intent) ? undefined : 'flight';
  if (/Flight/i.test(intent)) return 'flight';
  if (/Hotel|House/i.test(intent)) return 'hotel';
  return undefined;
}

const iso = (y: number, m: number, d: number) =>
  `${y}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;

const ORDINALS =
  'first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth'.split(
    ' ',
  );
const CARDINALS =
  'one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty'.split(
    ' ',
  );

/** ATIS spells days out ("seventh", "twenty six", "thirty first"): as a number. */
function dayNumber(words: string): string {
  const parts = words.toLowerCase().split(/[\s-]+/);
  let n = 0;
  for (const w of parts) {
    if (w === 'thirty' || w === 'thirtieth') n += 30;
    else if (w === 'twenty' || w === 'twentieth') n += 20;
    else {
      const i = Math.max(ORDINALS.indexOf(w), CARDINALS.indexOf(w));
      if (i >= 0) n += i + 1;
      else if (/^\d+/.test(w)) n += Number.parseInt(w, 10);
    }
  }
  return n >= 1 && n <= 31 ? String(n) : words;
}

/** A gold date phrase as an ISO date; "the 2nd" / "14th of this month" are the next such day. */
function goldDate(phrase: string): string | undefined {
  const ref = new Date(NOW);
  const dom = /^(?:the\s+)?(\d{1,2})(?:st|nd|rd|th)(?:\s+of\s+(this|next)\s+month)?$/i.exec(phrase.trim());
  if (dom) {
    const day = Number(dom[1]);
    let month = ref.getUTCMonth() + 1;
    let year = ref.getUTCFullYear();
    if (dom[2]?.toLowerCase() === 'next' || day < ref.getUTCDate()) month++;
    if (month > 12) {
      month = 1;
      year++;
    }
    return iso(year, month, day);
  }
  const [r] = chrono.parse(phrase, { instant: ref, timezone: 'UTC' }, { forwardDate: true });
  if (!r) return undefined;
  return iso(r.start.get('year') ?? 0, r.start.get('month') ?? 0, r.start.get('day') ?? 0);
}

/** The gold departure (or check-in) dates (any of them is right) and the gold return date. */
function goldDates(row: Row): { depart: string[]; ret?: string } {
  const s = row.slots ?? {};
  const depart: string[] = [];
  for (const prefix of ['depart_date', 'arrive_date']) {
    const month = s[`${prefix}.month_name`]?.[0];
    const day = s[`${prefix}.day_number`]?.[0];
    const rel = s[`${prefix}.date_relative`]?.[0];
    const year = s[`${prefix}.year`]?.[0];
    const phrases: string[] = [];
    if (month && day) phrases.push(`${month} ${dayNumber(day)}${year ? ` ${year}` : ''}`);
    else if (day) phrases.push(`the ${day}`);
    for (const name of s[`${prefix}.day_name`] ?? []) phrases.push(`${rel ?? ''} ${name}`.trim());
    for (const t of s[`${prefix}.today_relative`] ?? []) phrases.push(t);
    for (const p of phrases) {
      const d = goldDate(p);
      if (d) depart.push(d);
    }
    if (depart.length > 0) break;
  }
  for (const key of ['departure_date', 'check_in_date']) {
    const v = first(s, key);
    const d = v && goldDate(v);
    if (d) depart.push(d);
  }
  const ret = first(s, 'return_date');
  const retDate = ret ? goldDate(ret) : undefined;
  return { depart, ...(retDate && { ret: retDate }) };
}

function inMemoryBookings(): BookingsPort {
  const store = new Map<string, Booking>();
  return {
    putIfAbsent: async (b) => {
      const key = `${b.workflow_id}/${b.step_id}`;
      const existing = store.get(key);
      if (existing) return existing;
      store.set(key, b);
      return b;
    },
    get: async (w, s) => store.get(`${w}/${s}`),
    cancel: async (w, s, at) => {
      const b = store.get(`${w}/${s}`);
      if (!b) return 'absent';
      if (b.status === 'cancelled') return 'already_cancelled';
      store.set(`${w}/${s}`, { ...b, status: 'cancelled', cancelled_at: at });
      return 'cancelled';
    },
  };
}

/** Validates the plan and runs every step with the sandbox tools; the first error, or undefined. */
export async function runPlan(plan: Plan): Promise<string | undefined> {
  const checked = validatePlan(plan, registry);
  if (!checked.ok) return checked.issues.join('; ');
  const outputs = new Map<string, unknown>();
  const bookings = inMemoryBookings();
  for (const step of plan.steps) {
    if (step.tool === 'human_approval') {
      outputs.set(step.id, { approved: true });
      continue;
    }
    const tool = registry.get(step.tool);
    try {
      const input = resolveReferences(step.input, outputs);
      const output = await tool?.execute(input, {
        workflow_id: 'wf_eval',
        step_id: step.id,
        bookings,
        now: () => new Date(NOW),
      });
      outputs.set(step.id, output);
    } catch (error) {
      return `${step.id}: ${(error as Error).message}`;
    }
  }
  return undefined;
}

const code = (name: string | undefined) => (name ? findCity(name)?.code : undefined);

interface Tally {
  travel: number;
  planned: number;
  routeN: number;
  routeOk: number;
  datedN: number;
  datedOk: number;
  questions: number;
  questionsBooked: number;
  /** Search-intent rows whose text asks to book ("can you book one hotel room"), and how many booked. */
  askedToBook: number;
  askedToBookBooked: number;
  runnable: number;
  unplannable: number;
  refusedWell: number;
  goldCities: number;
  goldResolved: number;
  misses: string[];
}

const empty = (): Tally => ({
  travel: 0,
  planned: 0,
  routeN: 0,
  routeOk: 0,
  datedN: 0,
  datedOk: 0,
  questions: 0,
  questionsBooked: 0,
  askedToBook: 0,
  askedToBookBooked: 0,
  runnable: 0,
  unplannable: 0,
  refusedWell: 0,
  goldCities: 0,
  goldResolved: 0,
  misses: [],
});

const EXPLICIT_BOOKING = /\b(?:book|reserve|reservation|buy|purchase|rent)\b/i;

async function measure(row: Row, t: Tally): Promise<void> {
  const kind = kindOf(row);
  if (!kind) return;
  const s = row.slots ?? {};
  const goldDest =
    kind === 'flight'
      ? first(
          s,
          'toloc.city_name',
          'toloc.airport_name',
          'toloc.airport_code',
          'destination',
          'destination_city',
        )
      : first(s, 'location', 'where_to', 'destination');
  const goldOrigin =
    kind === 'flight'
      ? first(s, 'fromloc.city_name', 'fromloc.airport_name', 'fromloc.airport_code', 'origin', 'origin_city')
      : undefined;
  for (const g of [goldDest, goldOrigin]) {
    if (!g) continue;
    t.goldCities++;
    if (findCity(g)) t.goldResolved++;
  }
  const isQuestion =
    (/^atis_/.test(row.intent ?? '') || /^Search/.test(row.intent ?? '')) && !EXPLICIT_BOOKING.test(row.text);
  let plan: Plan | undefined;
  let refusal: string | undefined;
  try {
    plan = planGoalOffline(row.text, {}, { now: NOW });
  } catch (error) {
    refusal = (error as Error).message;
  }
  const searchIntent = /^atis_/.test(row.intent ?? '') || /^Search/.test(row.intent ?? '');
  if (searchIntent && !isQuestion) {
    t.askedToBook++;
    if (plan?.steps.some((st) => st.tool.startsWith('book_'))) t.askedToBookBooked++;
  }
  if (isQuestion) {
    t.questions++;
    if (plan?.steps.some((st) => st.tool.startsWith('book_'))) {
      t.questionsBooked++;
      t.misses.push(`booked a question: ${row.text}`);
    }
  }
  if (!goldDest) {
    t.unplannable++;
    if (refusal && /I understood|I found no/.test(refusal)) t.refusedWell++;
    return;
  }
  t.travel++;
  if (!plan) {
    t.misses.push(`no plan: ${row.text} — ${refusal?.slice(0, 90)}`);
    return;
  }
  t.planned++;
  const searches = plan.steps.filter((st) => st.tool.startsWith('search_'));
  const main = searches[0];
  const input = (main?.input ?? {}) as Record<string, unknown>;
  const planDest = typeof input.destination === 'string' ? input.destination : input.city;
  const planOrigin = input.origin;
  t.routeN++;
  const destOk = code(goldDest) !== undefined && code(goldDest) === code(String(planDest ?? ''));
  const originOk =
    !goldOrigin || (code(goldOrigin) !== undefined && code(goldOrigin) === code(String(planOrigin ?? '')));
  if (destOk && originOk) t.routeOk++;
  else
    t.misses.push(
      `route: ${row.text} — gold ${goldOrigin ?? '?'} → ${goldDest}, plan ${planOrigin ?? '?'} → ${planDest}`,
    );
  const { depart, ret } = goldDates(row);
  if (depart.length > 0 || ret) {
    t.datedN++;
    const planDate = input.date ?? input.check_in;
    const back = searches.find((st) => st.id.startsWith('search_return_flight'));
    const departOk = depart.length === 0 || depart.includes(String(planDate));
    const retOk = !ret || (back?.input as Record<string, unknown> | undefined)?.date === ret;
    if (departOk && retOk) t.datedOk++;
    else
      t.misses.push(
        `date: ${row.text} — gold ${depart.join('/') || '-'} ret ${ret ?? '-'}, plan ${String(planDate)}`,
      );
  }
  const error = await runPlan(plan);
  if (error === undefined) t.runnable++;
  else t.misses.push(`not runnable: ${row.text} — ${error.slice(0, 100)}`);
}

function rows(label: string, t: Tally): EvalRow[] {
  return [
    proportion(`${label}: plan for travel requests naming a destination`, t.planned, t.travel, atLeast(0.9)),
    proportion(`${label}: route right (gold slots, via the catalog)`, t.routeOk, t.routeN, atLeast(0.95)),
    proportion(`${label}: date kept (goals with a gold date)`, t.datedOk, t.datedN, atLeast(0.95)),
    proportion(`${label}: questions that booked`, t.questionsBooked, t.questions, atMost(0)),
    proportion(`${label}: plans runnable on the sandbox tools`, t.runnable, t.planned, atLeast(0.95)),
    proportion(
      `${label}: requests without destination refused saying what was understood`,
      t.refusedWell,
      t.unplannable,
    ),
    proportion(`${label}: gold cities the catalog resolves`, t.goldResolved, t.goldCities),
  ];
}

/** `npm run eval` part: the offline planner on real requests. */
export const plannerEval: EvalPart = async (dir) => {
  const all = empty();
  const holdOut = empty();
  const corpus = [...readJsonl<Row>(dir, 'atis.jsonl'), ...readJsonl<Row>(dir, 'sgd_travel.jsonl')];
  for (const row of corpus) {
    await measure(row, all);
    if (isHoldOut(row.text)) await measure(row, holdOut);
  }
  // Misses are shown from the tuning part only, so that the hold-out stays unread.
  const tuningMisses = all.misses
    .filter((m) => !holdOut.misses.includes(m))
    .slice(0, Number(process.env.PLANNER_EVAL_MISSES ?? 12));
  return {
    title: 'Offline planner (real ATIS and SGD requests)',
    rows: [...rows('all', all), ...rows('hold-out', holdOut)],
    notes: [
      `Corpus: ${corpus.length} rows (atis.jsonl, sgd_travel.jsonl); "today" is ${NOW}. Hold-out: sha256(text)[0] < 64 (${holdOut.travel + holdOut.unplannable} travel rows), not used for tuning.`,
      `Questions: every ATIS row and SGD Search* row whose text does not itself ask to book/reserve/buy/rent; the ${all.askedToBook} that do ("Can you book one hotel room for me?") are not counted as questions, and ${all.askedToBookBooked} of them planned a booking.`,
      ...(tuningMisses.length > 0 ? ['Misses (tuning part):', ...tuningMisses.map((m) => `- ${m}`)] : []),
    ],
  };
};
