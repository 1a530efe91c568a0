import * as chrono from 'chrono-node';
import { PlanInvalid } from '#domain/errors.ts';
import type { Plan, PlanStep } from '#domain/schemas.ts';
import { type City, chooseOrigin, findCity, matchCityPrefix, normalizeCityName } from './catalog.ts';
import type { Reference } from './references.ts';

/*
 * The offline planner: a deterministic reading of travel goals (no model, no network).
 *
 *   goal      := request (connector request)* [approval]
 *   connector := "and" | "," (same group: independent, may run in parallel)
 *              | "then" | "and then" | "after that" (a new group that waits for the previous one)
 *   request   := flight | hotel, anywhere in one or more sentences ("I want to travel soon. Maybe next
 *                Friday. Find me a one way ticket to London")
 *   approval  := "ask for my approval before booking" | "with my approval" | "need my approval" | …
 *
 * Cities are the catalog's (the longest catalog name after a marker: "from", "to", "between … and",
 * "leaving", "in", …), so the words after a city never become part of it; a name the catalog does not
 * know is still planned (its step fails with UnknownDestination). Dates and times go through
 * chrono-node against the workflow's submission time (`options.now`), so a replay plans the same
 * dates. A question ("what flights…", "show me…", "find me a hotel") becomes a search whose offers are
 * the workflow's result; only an explicit request to book ("book", "reserve", "buy") books the offer
 * the search ranks first (`{"$from": <search>, "path": "offers.0"}`). A round trip is two flights.
 */

export type Cabin = 'economy' | 'premium_economy' | 'business' | 'first';
export type SortOrder = 'cheapest' | 'most_expensive' | 'earliest' | 'latest';
export type TimeOfDay = 'morning' | 'afternoon' | 'evening' | 'night';

export interface TimeConstraint {
  /** "HH:MM", 24-hour. */
  readonly time?: string;
  readonly relation?: 'at' | 'after' | 'before' | 'around' | 'between';
  /** End of a "between" window, "HH:MM". */
  readonly until?: string;
  readonly period?: TimeOfDay;
}

export type TravelRequest =
  | {
      kind: 'flight';
      action?: 'search' | 'book';
      origin?: string;
      destination?: string;
      /** Departure date, YYYY-MM-DD. */
      date?: string;
      time?: TimeConstraint;
      trip?: 'one_way' | 'round_trip';
      return_date?: string;
      return_time?: TimeConstraint;
      cabin?: Cabin;
      airline?: string;
      passengers?: number;
      nonstop?: boolean;
      sort?: SortOrder;
    }
  | {
      kind: 'hotel';
      action?: 'search' | 'book';
      city?: string;
      there?: boolean;
      check_in?: string;
      nights?: number;
      rooms?: number;
      guests?: number;
      stars?: number;
      pets?: boolean;
      sort?: SortOrder;
    };

export interface ParsedGoal {
  /** Requests in order; `group` increases at every "then". */
  readonly requests: readonly { request: TravelRequest; group: number }[];
  readonly approval: boolean;
}

export interface OfflinePlannerOptions {
  /** Origin of flights whose goal and context name none (a city name or IATA code). @default 'LON' */
  readonly defaultOrigin?: string;
  /**
   * "Today" for relative dates ("next Friday", "tomorrow"): the workflow's submission time, so that a
   * replay plans the same dates. @default - the current time
   */
  readonly now?: Date | string;
}

const HELP =
  'The offline planner understands requests such as "Book a flight to Paris", "flights from Boston to Denver ' +
  'on Monday", "a round trip between Rome and Oslo in business class", "show me hotels in Rome for 2 nights", ' +
  'several of them joined by "and" or "then", and "with my approval".';

const APPROVAL_PATTERNS = [
  /\b(?:and\s+|but\s+)?(?:please\s+)?(?:ask|check with|consult)\s+(?:me\s+)?(?:for\s+)?(?:my\s+)?(?:approval|permission|confirmation|ok)\b(?:\s+(?:before|prior to)\s+(?:you\s+)?(?:booking|book)(?:\s+(?:anything|it|them))?)?/gi,
  /\b(?:and\s+)?(?:only\s+)?with\s+my\s+(?:approval|permission|confirmation|sign[- ]?off|ok)\b/gi,
  /\b(?:and\s+)?(?:i\s+)?(?:need|require|want)s?\s+(?:to\s+)?(?:my\s+)?(?:approve|approval)\b(?:\s+(?:it|them|everything))?(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
  /\b(?:and\s+|but\s+)?ask\s+me\s+(?:first|before\s+(?:booking|you book)(?:\s+anything)?)/gi,
  /\b(?:and\s+)?(?:wait for|get)\s+my\s+approval\b(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
];

const NUMBER_WORDS: Record<string, number> = {
  a: 1,
  an: 1,
  one: 1,
  single: 1,
  two: 2,
  couple: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
};
const NUM = '(\\d{1,2}|a|an|one|two|three|four|five|six|seven|eight|nine|ten)';
const toNumber = (w: string): number => NUMBER_WORDS[w.toLowerCase()] ?? Number(w);

const FLIGHT_WORDS =
  /\b(?:flights?|fly|flying|flies|plane|airfares?|fares?|air ?tickets?|tickets?|airlines?|round[- ]?trips?|one[- ]?way|oneway|nonstop|non-stop|departures?|arrivals?)\b/i;
const HOTEL_WORDS =
  /\b(?:hotels?|rooms?|accommodations?|place to stay|lodging|motels?|hostels?|houses?|apartments?|home|inn)\b/i;
const OTHER_SERVICES = /\b(?:ground transportation|rental cars?|car rentals?|limousine|taxi|buses)\b/i;

/** An explicit request to book (only these book). */
const BOOK_WORDS =
  /\b(?:book|booking|reserve|reservation|buy|purchase|get me (?:a |the )?(?:ticket|seat|room)|make (?:a |the )?(?:reservation|booking)|rent)\b/i;
/** A question or a search: never books, even next to "book" ("can you help me book" stays a booking). */
const QUESTION_START =
  /^(?:what|which|whats|what's|when|where|how|show|list|give me|tell me|find|search|look|are there|is there|do you|does|can you (?:show|tell|list|find|search|look|give)|could you (?:show|tell|list|find|search|look|give)|please (?:show|list|find|search|give)|i(?:'d| would) like to (?:see|know|find)|i need (?:information|info)|information)\b/i;

const MONTHS = 'january|february|march|april|may|june|july|august|september|october|november|december';
/** "the 2nd", "the 14th of this month" (but not "the 5th of March", which chrono-node reads). */
const DAY_OF_MONTH = new RegExp(
  `\\b(?:on\\s+)?the\\s+(\\d{1,2})(?:st|nd|rd|th)\\b(?!\\s+of\\s+(?:${MONTHS}))(\\s+of\\s+(?:this|next)\\s+month)?`,
  'gi',
);

/** Words that end a city name written outside the catalog ("to Atlantis on Friday"). */
const STOP_WORDS = new Set(
  (
    'on for next this tomorrow today tonight around by before after during until with departing leaving ' +
    'returning arriving and or then that which who please i we in at from to via the a an is are leaves ' +
    'leave leaving arrive arrives near first business economy coach class one round nonstop direct ' +
    'cheapest cheap early late morning afternoon evening night flight flights hotel hotels room rooms ' +
    'stopping stop stopover connecting so but also as soon go get see be have make know find book buy ' +
    'visit travel fly take come return leave stay spend meet attend do pay help check look ' +
    'january february march april may june july august september october november december ' +
    'monday tuesday wednesday thursday friday saturday sunday noon midnight'
  ).split(' '),
);
/** Lower-case three-letter words that are also IATA codes ("for" is Fortaleza, "the" Teresina). */
const NOT_CODES = new Set(
  (
    'the and for can day man all one any not out yes fly get now who low how see new old are was has had his ' +
    'her its our you yet via per off top end big bad few far arm art ask bar bay bed bet bid bit box boy bus ' +
    'buy car cat cup cut dog dry due eat eye fan fat fee fit fix fun gap gas hat hit hot ice job joy key kid ' +
    'law lay leg let lie lot map mix net nor oil pan pay pen pet pie pin pop pot put raw red rid row run sad ' +
    'sat say sea set she sit six sky son sun tax tea ten tie tip toe ton too toy try two use van war way web ' +
    'wet win may its leg arr dep way air'
  ).split(' '),
);

interface Word {
  /** Normalized. */
  readonly n: string;
  /** As written. */
  readonly raw: string;
}

function words(text: string): Word[] {
  const out: Word[] = [];
  for (const m of text.matchAll(/[\p{L}\p{N}'’.-]+/gu)) {
    const raw = m[0].replace(/^[.'’-]+|[.'’-]+$/g, '');
    const n = normalizeCityName(raw);
    if (!n) continue;
    // "dallas-fort" → two words; "st." → "st".
    for (const piece of n.split(' ')) out.push({ n: piece, raw: n.includes(' ') ? piece : raw });
  }
  return out;
}

interface CityHit {
  readonly city?: City;
  /** The name as written (what goes on the step). */
  readonly text: string;
  readonly start: number;
  readonly end: number;
}

/** The catalog city (or, failing that, a capitalized unknown name) at `start`. */
function cityAt(
  ws: readonly Word[],
  start: number,
  allowUnknown: boolean | 'capitalized' | 'any',
): CityHit | undefined {
  let i = start;
  // "the city of boston", "the airport in dallas"
  while (ws[i] && /^(?:the|city|of|downtown)$/.test(ws[i]?.n ?? '') && i < start + 3) i++;
  const rest = ws.slice(i).map((w) => w.n);
  const match = matchCityPrefix(
    rest,
    (k) => {
      const w = ws[i + k];
      return Boolean(w && (/[A-Z]{2}/.test(w.raw) || !NOT_CODES.has(w.n)));
    },
    (k) => /^[A-Z]{2}$/.test(ws[i + k]?.raw ?? ''),
  );
  if (match) {
    let end = i + match.length;
    // "logan airport", "general mitchell international"
    while (ws[end] && /^(?:airport|international|intl)$/.test(ws[end]?.n ?? '')) end++;
    const text = ws
      .slice(i, end)
      .map((w) => w.raw)
      .join(' ');
    return { city: match.city, text, start: i, end };
  }
  if (!allowUnknown) return undefined;
  const taken: Word[] = [];
  for (let j = i; j < ws.length && taken.length < 3; j++) {
    const w = ws[j];
    if (!w || STOP_WORDS.has(w.n) || /^\d/.test(w.n)) break;
    taken.push(w);
  }
  const first = taken[0];
  if (!first) return undefined;
  if (allowUnknown === 'any' && !/^\p{Lu}/u.test(first.raw)) {
    // Lower case: one or two words, never a word the rest of the sentence needs.
    if (/^(?:everywhere|anywhere|somewhere|there|here|home|it|them|you|me|us)$/.test(first.n))
      return undefined;
    return { text: first.raw, start: i, end: i + 1 };
  }
  if (!/^\p{Lu}/u.test(first.raw)) return undefined;
  // Only the capitalized run: "Atlantis", "El Dorado Springs".
  const run: Word[] = [];
  for (const w of taken) {
    if (!/^\p{Lu}/u.test(w.raw) && !['de', 'del', 'la', 'le', 'da', 'do', 'of'].includes(w.n)) break;
    run.push(w);
  }
  // "the Pacific Express Hotel": a hotel's name, not a place.
  if (/^(?:hotels?|inn|suites|resort|motel|lodge|hostel)$/.test(ws[i + run.length]?.n ?? ''))
    return undefined;
  return { text: run.map((w) => w.raw).join(' '), start: i, end: i + run.length };
}

const ORIGIN_MARKERS = new Set([
  'from',
  'leaving',
  'leave',
  'leaves',
  'departing',
  'depart',
  'departs',
  'out',
]);
const DEST_MARKERS = new Set(['to', 'into', 'visiting', 'visit', 'reach']);
const ARRIVAL_WORDS = new Set(
  'arriving arrive arrives arrival landing land lands going headed heading'.split(' '),
);
/** Words right before "to"/"from" that make the next word a place even in lower case. */
const TRAVEL_NOUNS = new Set(
  'flight flights fly flying trip tickets ticket plane fare fares airfare travel traveling travelling'.split(
    ' ',
  ),
);
const HOTEL_MARKERS = new Set(['in', 'at', 'near', 'around', 'to', 'visiting', 'visit', 'of']);

interface Route {
  origin?: CityHit;
  destination?: CityHit;
}

/** Origin and destination of a flight request, from its markers and "X to Y" / "between X and Y". */
function findRoute(ws: readonly Word[]): Route {
  const route: Route = {};
  for (let i = 0; i < ws.length; i++) {
    const w = ws[i]?.n ?? '';
    const next = ws[i + 1]?.n;
    if (w === 'between') {
      const a = cityAt(ws, i + 1, true);
      if (a && ws[a.end]?.n === 'and') {
        const b = cityAt(ws, a.end + 1, true);
        if (b) {
          route.origin ??= a;
          route.destination ??= b;
          i = b.end - 1;
          continue;
        }
      }
    }
    let role: 'origin' | 'destination' | undefined;
    let skip = 1;
    if (ORIGIN_MARKERS.has(w)) {
      role = 'origin';
      if (w === 'out' && next === 'of') skip = 2;
      else if (w === 'out') role = undefined;
      else if (next === 'from' || next === 'out') skip = next === 'out' && ws[i + 2]?.n === 'of' ? 3 : 2;
    } else if (DEST_MARKERS.has(w)) role = 'destination';
    else if (ARRIVAL_WORDS.has(w)) {
      if (['in', 'at', 'into', 'to'].includes(next ?? '')) {
        role = 'destination';
        skip = 2;
      } else if (cityAt(ws, i + 1, false)?.city) role = 'destination'; // "arriving philadelphia"
    } else if (w === 'for' && !route.destination && (route.origin || ws[i - 1]?.n === 'leaving')) {
      // "leaving pittsburgh around midnight for oakland": only a catalog city.
      if (cityAt(ws, i + 1, false)?.city) role = 'destination';
    }
    if (!role) {
      // "boston to denver": a city right before "to".
      if (!route.origin && (i === 0 || !DEST_MARKERS.has(ws[i - 1]?.n ?? ''))) {
        const a = cityAt(ws, i, false);
        if (a && a.start === i && a.city && ws[a.end]?.n === 'to') {
          const b = cityAt(ws, a.end + 1, true);
          if (b) {
            route.origin = a;
            route.destination ??= b;
            i = b.end - 1;
          }
        }
      }
      continue;
    }
    // An unknown name is taken when capitalized ("to Atlantis"), or in any case right after a travel
    // word ("flights to atlantis"); elsewhere only catalog cities count.
    const unknown =
      role === 'destination' || w === 'from'
        ? TRAVEL_NOUNS.has(ws[i - 1]?.n ?? '') && (w === 'to' || w === 'from')
          ? 'any'
          : 'capitalized'
        : false;
    const hit = cityAt(ws, i + skip, unknown);
    if (!hit) continue;
    if (role === 'origin' && !route.origin) route.origin = hit;
    else if (role === 'destination' && !route.destination) route.destination = hit;
    i = hit.end - 1;
  }
  return route;
}

interface DateHit {
  readonly date?: string;
  /** A day named only by its weekday ("on Monday"). */
  readonly weekdayOnly?: boolean;
  /** The end of a range ("April 3 to April 6"). */
  readonly endDate?: string;
  readonly time?: TimeConstraint;
  readonly index: number;
  /** The few words before it, lower case. */
  readonly before: string;
}

const iso = (y: number, m: number, d: number) =>
  `${String(y).padStart(4, '0')}-${String(m).padStart(2, '0')}-${String(d).padStart(2, '0')}`;
const hhmm = (h: number, m: number) => `${String(h).padStart(2, '0')}:${String(m).padStart(2, '0')}`;

function relationOf(before: string): TimeConstraint['relation'] {
  if (/\b(?:after|later than|from)\s*$/.test(before)) return 'after';
  if (/\b(?:before|by|earlier than|until|no later than)\s*$/.test(before)) return 'before';
  if (/\b(?:around|about|approximately|near)\s*$/.test(before)) return 'around';
  return 'at';
}

const UNITS: Record<string, number> = {
  one: 1,
  first: 1,
  two: 2,
  second: 2,
  three: 3,
  third: 3,
  four: 4,
  fourth: 4,
  five: 5,
  fifth: 5,
  six: 6,
  sixth: 6,
  seven: 7,
  seventh: 7,
  eight: 8,
  eighth: 8,
  nine: 9,
  ninth: 9,
};
const TEENS: Record<string, number> = {
  ten: 10,
  tenth: 10,
  eleven: 11,
  eleventh: 11,
  twelve: 12,
  twelfth: 12,
  thirteen: 13,
  thirteenth: 13,
  fourteen: 14,
  fourteenth: 14,
  fifteen: 15,
  fifteenth: 15,
  sixteen: 16,
  sixteenth: 16,
  seventeen: 17,
  seventeenth: 17,
  eighteen: 18,
  eighteenth: 18,
  nineteen: 19,
  nineteenth: 19,
  twenty: 20,
  twentieth: 20,
  thirty: 30,
  thirtieth: 30,
};
const DAY_WORDS = new RegExp(
  `\\b(${MONTHS})\\s+(?:the\\s+)?(?:(twenty|thirty)[\\s-]+(${Object.keys(UNITS).join('|')})|(${[...Object.keys(TEENS), ...Object.keys(UNITS)].join('|')}))\\b`,
  'gi',
);

/** "june twenty six" → "june 26": chrono-node reads ordinals ("twenty sixth") but not every spoken day. */
function dayNumbers(text: string): string {
  return text.replace(DAY_WORDS, (whole, month: string, tens?: string, unit?: string, single?: string) => {
    const n =
      tens && unit
        ? (TEENS[tens.toLowerCase()] ?? 0) + (UNITS[unit.toLowerCase()] ?? 0)
        : single
          ? (TEENS[single.toLowerCase()] ?? UNITS[single.toLowerCase()] ?? 0)
          : 0;
    const padded = `${month} ${n}`;
    return n >= 1 && n <= 31 ? padded.padEnd(whole.length, ' ') : whole;
  });
}

/** Dates and times in the text, in order, resolved against `ref` (UTC). */
function findDates(text: string, ref: Date): DateHit[] {
  const hits: DateHit[] = [];
  let masked = text;
  const mask = (m: RegExpExecArray | { index: number; 0: string }) => {
    masked = masked.slice(0, m.index) + ' '.repeat(m[0].length) + masked.slice(m.index + m[0].length);
  };
  const beforeOf = (index: number) =>
    text
      .slice(Math.max(0, index - 40), index)
      .toLowerCase()
      .trim();
  // ISO dates as written.
  for (const m of text.matchAll(/\b(\d{4})-(\d{2})-(\d{2})\b/g)) {
    hits.push({ date: `${m[1]}-${m[2]}-${m[3]}`, index: m.index, before: beforeOf(m.index) });
    mask(m);
  }
  // "the 2nd", "the 14th of this month", "the 5th of next month": the next such day from today.
  for (const m of masked.matchAll(DAY_OF_MONTH)) {
    const day = Number(m[1]);
    if (day < 1 || day > 31) continue;
    let y = ref.getUTCFullYear();
    let mo = ref.getUTCMonth() + 1;
    if (/next/i.test(m[2] ?? '') || day < ref.getUTCDate()) mo++;
    if (mo > 12) {
      mo = 1;
      y++;
    }
    hits.push({ date: iso(y, mo, day), index: m.index, before: beforeOf(m.index) });
    mask(m);
  }
  // "between 4 and 8 pm": a window; "after 2": ATIS's bare afternoon hours.
  for (const m of masked.matchAll(
    /\bbetween\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)?\s+and\s+(\d{1,2})(?::(\d{2}))?\s*(am|pm)\b/gi,
  )) {
    const suffix = (m[3] ?? m[6] ?? '').toLowerCase();
    const h = (n: number) => (suffix === 'pm' && n < 12 ? n + 12 : n);
    hits.push({
      time: {
        time: hhmm(h(Number(m[1])), Number(m[2] ?? 0)),
        until: hhmm(h(Number(m[4])), Number(m[5] ?? 0)),
        relation: 'between',
      },
      index: m.index,
      before: '',
    });
    mask(m);
  }
  for (const m of masked.matchAll(
    /\b(after|before|around|about|by|at)\s+(\d{1,2})(?::(\d{2}))?(?!\s*(?:am|pm|a\.m|p\.m|o'?clock|:|\d|st|nd|rd|th|people|persons?|passengers?|tickets?|adults?|rooms?|nights?|days?|stars?))\b/gi,
  )) {
    const n = Number(m[2]);
    if (n < 1 || n > 12) continue;
    const hour = n <= 6 ? n + 12 : n;
    hits.push({
      time: { time: hhmm(hour, Number(m[3] ?? 0)), relation: relationOf(m[1] ?? '') },
      index: m.index,
      before: beforeOf(m.index),
    });
    mask(m);
  }
  const results = chrono.parse(dayNumbers(masked), { instant: ref, timezone: 'UTC' }, { forwardDate: true });
  for (const r of results) {
    const s = r.start;
    const hasDay = s.isCertain('day') || s.isCertain('weekday') || /\b(?:week|weekend)\b/i.test(r.text);
    const hasHour = s.isCertain('hour');
    const lower = r.text.toLowerCase();
    const period: TimeOfDay | undefined = /morning/.test(lower)
      ? 'morning'
      : /afternoon/.test(lower)
        ? 'afternoon'
        : /evening/.test(lower)
          ? 'evening'
          : /night/.test(lower)
            ? 'night'
            : undefined;
    if (/^(?:this|next|last) month$|^(?:this|that) (?:trip|one)$/i.test(r.text.trim())) continue;
    const before = beforeOf(r.index);
    const time: TimeConstraint | undefined =
      hasHour || period
        ? {
            ...(hasHour && {
              time: hhmm(s.get('hour') ?? 0, s.get('minute') ?? 0),
              // chrono-node may take "tuesday before noon" as one phrase: its own words count too.
              relation: relationOf(
                `${before} ${/^(.*?)(?=\d|noon|midnight)/i.exec(r.text)?.[1] ?? ''}`.trim(),
              ),
            }),
            ...(period && { period }),
          }
        : undefined;
    const date = hasDay ? iso(s.get('year') ?? 0, s.get('month') ?? 0, s.get('day') ?? 0) : undefined;
    if (!date && !time) continue;
    const e = r.end;
    const endDate =
      date && e && (e.isCertain('day') || e.isCertain('weekday'))
        ? iso(e.get('year') ?? 0, e.get('month') ?? 0, e.get('day') ?? 0)
        : undefined;
    hits.push({
      ...(date && { date }),
      ...(date && !s.isCertain('day') && s.isCertain('weekday') && { weekdayOnly: true }),
      ...(endDate && endDate > (date ?? '') && { endDate }),
      ...(time && { time }),
      index: r.index,
      before,
    });
  }
  // "in the morning", "evening flights": a period of day on its own.
  for (const m of masked.matchAll(/\b(morning|afternoon|evening|night|overnight|red[- ]?eye)\b/gi)) {
    if (hits.some((h) => Math.abs(h.index - m.index) < 30 && h.time?.period)) continue;
    const p = (m[1] ?? '').toLowerCase();
    const period: TimeOfDay = p === 'overnight' || p.startsWith('red') ? 'night' : (p as TimeOfDay);
    hits.push({ time: { period }, index: m.index, before: beforeOf(m.index) });
  }
  hits.sort((a, b) => a.index - b.index);
  // "wednesday the 21st": the day of the month says which Wednesday.
  return hits.filter((h, i) => {
    const next = hits[i + 1];
    return !(h.weekdayOnly && next?.date && !next.weekdayOnly && next.index - h.index < 16);
  });
}

const RETURN_CUE = /\b(?:return(?:ing)?|back|come back|coming back|get back|inbound|way back)\b[^.]*$/;
const CHECKOUT_CUE = /\b(?:check(?:ing)?[- ]?out|until|till|leav(?:e|ing))\b[^.]*$/;

function detectCabin(text: string): Cabin | undefined {
  if (/\bpremium economy\b/i.test(text)) return 'premium_economy';
  if (/\bfirst[- ]class\b|\bfirst\b(?=\s+(?:class|cabin))/i.test(text)) return 'first';
  if (/\bbusiness\b(?!\s+trip)/i.test(text) && !/\b(?:business or economy|economy or business)\b/i.test(text))
    return 'business';
  if (
    /\b(?:economy|coach|thrift)\b/i.test(text) &&
    !/\b(?:business or economy|economy or business)\b/i.test(text)
  )
    return 'economy';
  return undefined;
}

/** Airlines by the names people type (ATIS, SGD and the large carriers); the value is the display name. */
const AIRLINES: readonly [RegExp, string][] = [
  [/\bamerican(?: airlines?)?\b(?! west)/i, 'American Airlines'],
  [/\bunited(?: airlines?)?\b/i, 'United Airlines'],
  [/\bdelta(?: air ?lines?)?\b/i, 'Delta Air Lines'],
  [/\bcontinental(?: airlines?)?\b/i, 'Continental Airlines'],
  [/\b(?:us ?air(?:ways)?)\b/i, 'US Airways'],
  [/\btwa\b|\btrans world airlines?\b/i, 'TWA'],
  [/\bnorthwest(?: airlines?)?\b/i, 'Northwest Airlines'],
  [/\beastern(?: airlines?)\b/i, 'Eastern Air Lines'],
  [/\balaska(?: airlines?)\b/i, 'Alaska Airlines'],
  [/\bamerica west(?: airlines?)?\b/i, 'America West Airlines'],
  [/\bsouthwest(?: airlines?)?\b/i, 'Southwest Airlines'],
  [/\bjet ?blue\b/i, 'JetBlue'],
  [/\blufthansa\b/i, 'Lufthansa'],
  [/\bair canada\b/i, 'Air Canada'],
  [/\bcanadian airlines?(?: international)?\b/i, 'Canadian Airlines'],
  [/\bbritish airways\b/i, 'British Airways'],
  [/\bair france\b/i, 'Air France'],
  [/\bklm\b/i, 'KLM'],
  [/\biberia\b/i, 'Iberia'],
  [/\bemirates\b/i, 'Emirates'],
  [/\bqantas\b/i, 'Qantas'],
  [/\bryanair\b/i, 'Ryanair'],
  [/\beasy ?jet\b/i, 'easyJet'],
  [/\bsingapore airlines\b/i, 'Singapore Airlines'],
  [/\bmidwest express\b/i, 'Midwest Express'],
  [/\btower air\b/i, 'Tower Air'],
  [/\bspirit airlines\b/i, 'Spirit Airlines'],
  [/\bfrontier airlines\b/i, 'Frontier Airlines'],
  [/\bhawaiian airlines\b/i, 'Hawaiian Airlines'],
];

function detectAirline(text: string): string | undefined {
  return AIRLINES.find(([re]) => re.test(text))?.[1];
}

function detectSort(text: string): SortOrder | undefined {
  if (/\b(?:most expensive|highest (?:fare|price|cost)|priciest)\b/i.test(text)) return 'most_expensive';
  if (
    /\b(?:cheapest|lowest|least expensive|cheap|inexpensive|budget|lowest cost|best price|minimum)\b/i.test(
      text,
    )
  )
    return 'cheapest';
  if (/\b(?:earliest|first flight|first (?:one|plane))\b/i.test(text)) return 'earliest';
  if (/\b(?:latest|last flight|last (?:one|plane))\b/i.test(text)) return 'latest';
  return undefined;
}

function detectCount(text: string, nouns: string): number | undefined {
  const m = new RegExp(`\\b${NUM}\\s+(?:(?!for\\b|of\\b|\\d)\\w+\\s+){0,2}?(?:${nouns})\\b`, 'i').exec(text);
  if (m?.[1]) return toNumber(m[1]);
  return undefined;
}

function detectPeople(text: string): number | undefined {
  // "a ticket", "for a hotel" say nothing about the party: only numbers count.
  const plain = text.replace(/\b(?:a|an)\b/gi, ' ');
  const direct =
    detectCount(plain, 'people|persons?|passengers?|adults?|travell?ers?|guests?|seats?|tickets?') ??
    (() => {
      const m = new RegExp(
        `\\b(?:for|group of|party of)\\s+${NUM}\\b(?!\\s*(?:nights?|days?|weeks?|rooms?|stars?|am|pm|:))`,
        'i',
      ).exec(plain);
      return m?.[1] ? toNumber(m[1]) : undefined;
    })();
  if (direct !== undefined) return direct > 0 && direct <= 9 ? direct : undefined;
  if (/\b(?:my wife and i|my husband and i|the two of us|me and my \w+|my partner and i)\b/i.test(text))
    return 2;
  return undefined;
}

/** What is left of a request piece: its action, kind and text. */
interface Piece {
  text: string;
  kind?: 'flight' | 'hotel';
  action?: 'search' | 'book';
  afterThen: boolean;
}

function actionOf(text: string): 'search' | 'book' | undefined {
  const t = text.trim().replace(/^(?:hi|hello|hey|ok|okay|please|yes|so|now|well|and)\b[\s,!.]*/i, '');
  // "Fly to Tokyo" (an order, not "flying from…" or "I want to fly…"): a request to travel.
  if (/^fly\b/i.test(t)) return 'book';
  const book = BOOK_WORDS.exec(t);
  if (book && !/\b(?:looking to book|look to book|want to book a house)\b/i.test(t)) return 'book';
  if (QUESTION_START.test(t) || /\?\s*$/.test(t)) return 'search';
  if (
    /\b(?:find|search|look(?:ing)? for|show|list|see|check|what|which|how much|information|info)\b/i.test(t)
  )
    return 'search';
  return undefined;
}

function kindOf(text: string): 'flight' | 'hotel' | undefined {
  const hotel = HOTEL_WORDS.exec(text);
  const flight = FLIGHT_WORDS.exec(text);
  if (hotel && flight) return hotel.index < flight.index ? 'hotel' : 'flight';
  if (hotel) return 'hotel';
  if (flight) return 'flight';
  // "Book a trip to Paris", "I want to go from Boston to Denver": travel between places is a flight.
  if (/\b(?:trip|travel(?:l?ing)?|go|going|get|fly)\b[^.]*\b(?:to|from)\s+\S/i.test(text)) return 'flight';
  // "san francisco to denver", "from sfo to denver": a route between two catalog cities.
  const route = findRoute(words(text));
  if (route.origin?.city && route.destination?.city) return 'flight';
  return undefined;
}

/** Splits the goal into request pieces; a sentence or clause with no request of its own joins its neighbour. */
function splitPieces(text: string): Piece[] {
  // Sentences end before a capital letter, never after an abbreviation ("st. petersburg").
  const marked = text.replace(
    /(?<=[.!?;])(?<!\b(?:[Ss]t|[Ff]t|[Mm]t|[Dd]r|[Mm]rs?|[Mm]s|[Jj]r|[Ss]r|[A-Za-z])\.)\s+(?=[\p{Lu}"'(])/gu,
    ' \uE000 ',
  );
  const parts = marked.split(
    /\s*(?:[,;]\s*)?\b(and then|then|after that|afterwards|and also|and|plus)\s+|\s*\uE000\s*/i,
  );
  const raw: { text: string; connector: string }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const piece = parts[i];
    if (piece === undefined) continue;
    raw.push({ text: piece, connector: i === 0 ? '' : (parts[i - 1] ?? '') });
  }
  const pieces: Piece[] = [];
  let pending = '';
  for (const { text: t, connector } of raw) {
    const kind = kindOf(t);
    const then = ['and then', 'then', 'after that', 'afterwards'].includes(connector.toLowerCase());
    const previous = pieces.at(-1);
    const joiner = connector ? ` ${connector} ` : ' ';
    // A piece is a request of its own only when it names a kind and either names a place or is
    // of another kind than the previous one ("a flight to Oslo and a hotel"); otherwise it belongs
    // to the request before it ("… to orlando and long beach", "… Can you search flights, please?").
    const own =
      kind !== undefined &&
      (!previous ||
        previous.kind !== kind ||
        (then && /\b(?:to|from|in|at)\s+\S/i.test(t)) ||
        (/\b(?:a|another|one)\s+(?:\w+\s+)?(?:flight|hotel|room)\b/i.test(t) &&
          /\b(?:to|from|in|at)\s+\p{Lu}/u.test(t) &&
          /\b(?:to|from|in|at)\s+\S/i.test(previous.text)));
    if (own) {
      pieces.push({
        text: `${pending}${t}`,
        kind,
        afterThen: then,
        ...(actionOf(t) && { action: actionOf(t) }),
      });
      pending = '';
    } else if (previous) {
      previous.text += `${joiner}${t}`;
      if (!previous.action) {
        const a = actionOf(t);
        if (a) previous.action = a;
      }
    } else {
      pending += `${t}${joiner}`;
    }
  }
  if (pending && pieces.length === 0) return [{ text: pending.trim(), afterThen: false }];
  // An action stated before the request ("I want to book. A flight to Rome") counts for it.
  const first = pieces[0];
  if (first && !first.action) {
    const a = actionOf(first.text);
    if (a) first.action = a;
  }
  return pieces;
}

function describeUnderstood(text: string, ws: readonly Word[], ref: Date): string {
  const kind = kindOf(text);
  const route = findRoute(ws);
  const dates = findDates(text, ref);
  const bits: string[] = [];
  if (kind) bits.push(`a ${kind} ${actionOf(text) === 'book' ? 'booking' : 'search'}`);
  if (route.origin) bits.push(`from ${route.origin.city?.name ?? route.origin.text}`);
  if (route.destination) bits.push(`to ${route.destination.city?.name ?? route.destination.text}`);
  const date = dates.find((d) => d.date)?.date;
  if (date) bits.push(`on ${date}`);
  return bits.length > 0 ? `I understood ${bits.join(' ')}` : 'I found no flight or hotel request in it';
}

function refuse(message: string, understood: string): never {
  throw new PlanInvalid(`${message} (${understood}). ${HELP}`);
}

function parsePiece(piece: Piece, ref: Date): TravelRequest {
  const text = ` ${piece.text} `;
  const ws = words(piece.text);
  const dates = findDates(piece.text, ref);
  const kind = piece.kind;
  if (!kind) {
    const understood = describeUnderstood(piece.text, ws, ref);
    if (OTHER_SERVICES.test(piece.text)) {
      refuse(
        `the sandbox has no tool for ground transportation or car rental in "${truncate(piece.text)}"`,
        understood,
      );
    }
    refuse(`could not understand "${truncate(piece.text)}"`, understood);
  }
  const action = piece.action;
  if (kind === 'flight') {
    const route = findRoute(ws);
    const request: TravelRequest = { kind: 'flight', ...(action && { action }) };
    if (route.origin?.text) request.origin = route.origin.text;
    if (route.destination?.text) request.destination = route.destination.text;
    const roundTrip =
      /\b(?:round[- ]?trips?|return (?:flight|ticket|trip)s?|and back|there and back|returning|come back|coming back|be back|return(?:ing)? (?:on|date|the))\b/i.test(
        text,
      ) && !/\bone[- ]?way\b/i.test(text);
    if (roundTrip) request.trip = 'round_trip';
    else if (/\bone[- ]?ways?\b|\boneway\b/i.test(text)) request.trip = 'one_way';
    for (const hit of dates) {
      const isReturn =
        RETURN_CUE.test(hit.before.split(/[.!?]/).at(-1) ?? '') && request.trip === 'round_trip';
      if (isReturn) {
        if (hit.date && !request.return_date) request.return_date = hit.date;
        if (hit.time && !request.return_time && (hit.date === undefined || hit.date === request.return_date))
          request.return_time = hit.time;
        continue;
      }
      if (hit.date && !request.date) request.date = hit.date;
      if (hit.time && (hit.date === undefined || hit.date === request.date)) {
        request.time = mergeTime(request.time, hit.time);
      }
    }
    // "from April 3 to April 10" on a round trip: the range's end is the return.
    const range = dates.find((d) => d.date === request.date && d.endDate);
    if (request.trip === 'round_trip' && !request.return_date && range?.endDate)
      request.return_date = range.endDate;
    if (request.return_date && request.date && request.return_date < request.date) delete request.return_date;
    const cabin = detectCabin(text);
    if (cabin) request.cabin = cabin;
    const airline = detectAirline(text);
    if (airline) request.airline = airline;
    const passengers = detectPeople(text);
    if (passengers) request.passengers = passengers;
    if (/\b(?:non[- ]?stop|direct)\b/i.test(text)) request.nonstop = true;
    const sort = detectSort(text);
    if (sort) request.sort = sort;
    return request;
  }
  const request: TravelRequest = { kind: 'hotel', ...(action && { action }) };
  // A catalog city after any marker first ("near the Eiffel Tower in Paris"), then an unknown name.
  for (const unknown of [false, true]) {
    for (let i = 0; i < ws.length && !request.city; i++) {
      if (!HOTEL_MARKERS.has(ws[i]?.n ?? '')) continue;
      if (
        ws[i]?.n === 'in' &&
        ws[i + 1]?.n === 'the' &&
        /^(?:city|hotel|morning|evening)$/.test(ws[i + 2]?.n ?? '')
      )
        continue;
      const hit = cityAt(ws, i + 1, unknown && ws[i]?.n !== 'of' && ws[i]?.n !== 'around');
      if (hit?.text) request.city = hit.text;
    }
  }
  if (!request.city) {
    // "I am visiting NY this weekend, …", "a London hotel": a catalog city anywhere, typed as a name.
    for (let i = 0; i < ws.length && !request.city; i++) {
      const w = ws[i];
      if (!w || !/^\p{Lu}/u.test(w.raw)) continue;
      const hit = cityAt(ws, i, false);
      if (hit?.city && hit.start === i) request.city = hit.text;
    }
  }
  if (!request.city && /\bthere\b/i.test(text)) request.there = true;
  let checkOut: string | undefined;
  for (const hit of dates) {
    if (!hit.date) continue;
    if (
      CHECKOUT_CUE.test(hit.before.split(/[.!?]/).at(-1) ?? '') &&
      (request.check_in || /check/.test(hit.before))
    ) {
      checkOut ??= hit.date;
    } else if (!request.check_in) {
      request.check_in = hit.date;
      if (hit.endDate) checkOut ??= hit.endDate;
    } else checkOut ??= hit.date;
  }
  const nightsMatch = new RegExp(`\\b${NUM}\\s+(nights?|days?|weeks?)\\b`, 'i').exec(text);
  if (nightsMatch?.[1]) {
    const n = toNumber(nightsMatch[1]) * (/^week/i.test(nightsMatch[2] ?? '') ? 7 : 1);
    if (n >= 1 && n <= 30) request.nights = n;
  } else if (/\bfor (?:a|one) week\b/i.test(text)) request.nights = 7;
  else if (/\b(?:this|the|next) weekend\b/i.test(text) && !checkOut) request.nights = 2;
  if (!request.nights && request.check_in && checkOut && checkOut > request.check_in) {
    const days = Math.round((Date.parse(checkOut) - Date.parse(request.check_in)) / 86_400_000);
    if (days >= 1 && days <= 30) request.nights = days;
  }
  const rooms = detectCount(text, 'rooms?');
  if (rooms && rooms <= 9) request.rooms = rooms;
  const guests = detectPeople(text.replace(new RegExp(`\\b${NUM}\\s+(?:\\w+\\s+)?rooms?\\b`, 'gi'), ' '));
  if (guests) request.guests = guests;
  const stars =
    /\b(\d|one|two|three|four|five)[- ]stars?\b|\b(\d|one|two|three|four|five) star rating\b/i.exec(text);
  if (stars) request.stars = toNumber(stars[1] ?? stars[2] ?? '');
  if (/\bpets?\b|\bdogs?\b|\bcats?\b/i.test(text)) request.pets = true;
  const sort = detectSort(text);
  if (sort === 'cheapest' || sort === 'most_expensive') request.sort = sort;
  return request;
}

function mergeTime(a: TimeConstraint | undefined, b: TimeConstraint): TimeConstraint {
  if (!a) return b;
  return { ...b, ...a, ...(a.period || b.period ? { period: a.period ?? b.period } : {}) };
}

function truncate(text: string): string {
  const t = text.trim();
  return t.length > 60 ? `${t.slice(0, 57)}...` : t;
}

function refDate(now: OfflinePlannerOptions['now']): Date {
  const d = now === undefined ? new Date() : new Date(now);
  return Number.isNaN(d.getTime()) ? new Date() : d;
}

/** Parses a goal into travel requests; throws PlanInvalid (saying what it understood) when it cannot. */
export function parseGoal(goal: string, options: Pick<OfflinePlannerOptions, 'now'> = {}): ParsedGoal {
  const ref = refDate(options.now);
  let text = goal.normalize('NFKC').replace(/\s+/g, ' ').trim();
  let approval = false;
  for (const pattern of APPROVAL_PATTERNS) {
    text = text.replace(pattern, () => {
      approval = true;
      return ' ';
    });
  }
  text = text
    .replace(/\s+/g, ' ')
    .trim()
    .replace(/^[\s,;.!?]+|[\s,;]+$/g, '');
  if (!text || !/\p{L}/u.test(text)) throw new PlanInvalid(`the goal has no request to plan. ${HELP}`);

  const pieces = splitPieces(text);
  let group = 0;
  let action: 'search' | 'book' | undefined;
  const requests: { request: TravelRequest; group: number }[] = [];
  for (const piece of pieces) {
    const stripped = piece.text.replace(/^[\s,;:.]+|[\s,;:.]+$/g, '');
    if (!stripped) continue;
    if (piece.afterThen && requests.length > 0) group++;
    // A request without a verb of its own takes the one before it ("Book a flight and a hotel").
    piece.action = piece.action ?? action;
    action = piece.action;
    requests.push({ request: parsePiece({ ...piece, text: stripped }, ref), group });
  }
  if (requests.length === 0) throw new PlanInvalid(`the goal has no request to plan. ${HELP}`);
  return { requests: fillGaps(requests, text, ref), approval };
}

/** "a flight and a hotel in Paris" → the flight goes to Paris; "a hotel there" → the last destination. */
function fillGaps(
  requests: { request: TravelRequest; group: number }[],
  text: string,
  ref: Date,
): typeof requests {
  let lastDestination: string | undefined;
  let lastDate: string | undefined;
  let lastReturn: string | undefined;
  return requests.map(({ request, group }, i) => {
    if (request.kind === 'flight') {
      let destination = request.destination;
      if (!destination) {
        const later = requests.slice(i + 1).find((r) => r.request.kind === 'hotel' && r.request.city);
        destination = later?.request.kind === 'hotel' ? later.request.city : undefined;
      }
      if (!destination) {
        refuse(
          'the flight has no destination: say where to, e.g. "a flight to <city>"',
          describeUnderstood(text, words(text), ref),
        );
      }
      lastDestination = destination;
      lastDate = request.date;
      lastReturn = request.return_date;
      return { request: { ...request, destination }, group };
    }
    // "a flight to Oslo and a hotel (there)": the hotel is where the last flight goes.
    const city = request.city ?? lastDestination;
    if (!city) {
      refuse(
        'the hotel has no city: say where, e.g. "a hotel in <city>"',
        describeUnderstood(text, words(text), ref),
      );
    }
    const sameCity =
      lastDestination !== undefined && normalizeCityName(lastDestination) === normalizeCityName(city);
    const check_in = request.check_in ?? (sameCity ? lastDate : undefined);
    let nights = request.nights;
    // A round trip around the stay gives its length.
    if (!nights && sameCity && check_in && lastReturn && lastReturn > check_in) {
      const days = Math.round((Date.parse(lastReturn) - Date.parse(check_in)) / 86_400_000);
      if (days >= 1 && days <= 30) nights = days;
    }
    const { there: _there, ...rest } = request;
    return { request: { ...rest, city, ...(check_in && { check_in }), ...(nights && { nights }) }, group };
  });
}

function ref(step: string, path: string): Reference {
  return { $from: step, path };
}

function sameCity(a: string, b: string): boolean {
  const ca = findCity(a);
  const cb = findCity(b);
  if (ca && cb) return ca.code === cb.code;
  return normalizeCityName(a) === normalizeCityName(b);
}

/** A time constraint as search_flights input fields. */
function timeInput(time: TimeConstraint | undefined): Record<string, unknown> {
  if (!time) return {};
  return {
    ...(time.time && { time: time.time, time_relation: time.relation ?? 'at' }),
    ...(time.until && { time_end: time.until }),
    ...(time.period && { time_of_day: time.period }),
  };
}

function describeTime(input: Record<string, unknown>): string {
  const parts: string[] = [];
  if (typeof input.time === 'string') {
    parts.push(
      input.time_relation === 'between' && typeof input.time_end === 'string'
        ? `between ${input.time} and ${input.time_end}`
        : `${input.time_relation ?? 'at'} ${input.time}`,
    );
  }
  if (typeof input.time_of_day === 'string') parts.push(`in the ${input.time_of_day}`);
  return parts.length > 0 ? ` ${parts.join(', ')}` : '';
}

/**
 * Turns a goal into a plan. `context.home_city` (a string) is the origin of flights that name none,
 * else `options.defaultOrigin`; relative dates are resolved against `options.now`.
 */
export function planGoalOffline(
  goal: string,
  context: Record<string, unknown>,
  options: OfflinePlannerOptions = {},
): Plan {
  const { requests, approval } = parseGoal(goal, options.now === undefined ? {} : { now: options.now });
  const home =
    typeof context.home_city === 'string' && context.home_city.trim() ? context.home_city.trim() : undefined;
  const origins = [home, options.defaultOrigin ?? 'LON', 'LON', 'NYC'].filter((o): o is string => Boolean(o));

  const steps: PlanStep[] = [];
  const describe: string[] = [];
  let previousGroupEnds: string[] = [];
  let currentGroupEnds: string[] = [];
  let currentGroup = 0;
  let books = false;

  const addLeg = (
    n: number,
    kind: 'flight' | 'hotel' | 'return_flight',
    tool: 'flights' | 'hotels',
    input: Record<string, unknown>,
    what: string,
    book: boolean,
  ) => {
    const search = `search_${kind}_${n}`;
    const approve = `approve_${kind}_${n}`;
    const bookId = `book_${kind}_${n}`;
    steps.push({
      id: search,
      tool: `search_${tool}`,
      input,
      depends_on: [...previousGroupEnds],
      description: `Search ${what}`,
    });
    if (!book) {
      currentGroupEnds.push(search);
      return;
    }
    let bookAfter = search;
    if (approval) {
      steps.push({
        id: approve,
        tool: 'human_approval',
        input: { prompt: `Approve booking ${what}?`, details: ref(search, 'offers.0') },
        depends_on: [search],
        description: `Ask for approval before booking ${what}`,
      });
      bookAfter = approve;
    }
    steps.push({
      id: bookId,
      tool: tool === 'flights' ? 'book_flight' : 'book_hotel',
      input: { offer: ref(search, 'offers.0') },
      depends_on: [bookAfter],
      description: `Book the ${input.sort === 'most_expensive' ? 'first' : 'best'} offer for ${what}`,
    });
    currentGroupEnds.push(bookId);
  };

  requests.forEach(({ request, group }, index) => {
    if (group !== currentGroup) {
      previousGroupEnds = currentGroupEnds;
      currentGroupEnds = [];
      currentGroup = group;
    }
    const n = index + 1;
    // "with my approval" only makes sense for bookings: it makes the request one.
    const book = request.action === 'book' || approval;
    books ||= book;
    if (request.kind === 'flight') {
      const destination = request.destination ?? '';
      if (request.origin && sameCity(request.origin, destination)) {
        throw new PlanInvalid(`the flight's origin and destination are the same (${truncate(destination)})`);
      }
      const origin = request.origin ?? chooseOrigin(destination, origins);
      const common = {
        ...(request.cabin && { cabin: request.cabin }),
        ...(request.airline && { airline: request.airline }),
        ...(request.passengers && { passengers: request.passengers }),
        ...(request.nonstop && { nonstop: true }),
        ...(request.sort && { sort: request.sort }),
      };
      const input = {
        ...(origin && { origin }),
        destination,
        ...(request.date && { date: request.date }),
        ...timeInput(request.time),
        ...(request.trip && { trip: request.trip }),
        ...common,
      };
      const what = `a flight ${origin ? `from ${origin} ` : ''}to ${destination}${request.date ? ` on ${request.date}` : ''}${describeTime(input)}`;
      describe.push(what);
      addLeg(n, 'flight', 'flights', input, what, book);
      if (request.trip === 'round_trip' && origin) {
        const back = {
          origin: destination,
          destination: origin,
          ...(request.return_date && { date: request.return_date }),
          ...timeInput(request.return_time),
          trip: 'round_trip',
          ...common,
        };
        const whatBack = `the return flight from ${destination} to ${origin}${request.return_date ? ` on ${request.return_date}` : ''}${describeTime(back)}`;
        describe.push(whatBack);
        addLeg(n, 'return_flight', 'flights', back, whatBack, book);
      }
    } else {
      const city = request.city ?? '';
      const input = {
        city,
        ...(request.check_in && { check_in: request.check_in }),
        ...(request.nights && { nights: request.nights }),
        ...(request.rooms && { rooms: request.rooms }),
        ...(request.guests && { guests: request.guests }),
        ...(request.stars && { stars: request.stars }),
        ...(request.pets && { pets: true }),
        ...(request.sort && { sort: request.sort }),
      };
      const what = `a hotel in ${city}${request.check_in ? ` from ${request.check_in}` : ''}${request.nights ? ` for ${request.nights} night${request.nights > 1 ? 's' : ''}` : ''}`;
      describe.push(what);
      addLeg(n, 'hotel', 'hotels', input, what, book);
    }
  });

  return {
    steps,
    summary: `${books ? 'Book' : 'Search'} ${describe.join(', ')}${approval ? ', each after your approval' : ''} (offline planner).`,
  };
}
