import { PlanInvalid } from '#shared/errors.ts';
import type { Plan, PlanStep } from '#shared/schemas.ts';
import { normalizeCityName } from './catalog.ts';
import type { Reference } from './references.ts';
import { chooseOrigin } from './tools/travel.ts';

/*
 * The offline planner: a small, deterministic grammar for travel goals (no model, no network).
 *
 *   goal      := request (connector request)* [approval]
 *   connector := "and" | "," (same group: independent, may run in parallel)
 *              | "then" | "and then" | "after that" (a new group that waits for the previous one)
 *   request   := flight | hotel
 *   flight    := … ("flight" | "fly" | "plane") … ["from" A] "to" B [date]
 *   hotel     := … ("hotel" | "room" | "accommodation" | "stay") … ("in" | "at") Y | "there" [date] [N nights]
 *   approval  := "ask for my approval before booking" | "with my approval" | "need my approval" | …
 *
 * Each flight becomes search_flights → book_flight, each hotel search_hotels → book_hotel, the booking
 * taking the cheapest offer by reference ({"$from": <search>, "path": "offers.0"}). With approval, a
 * human_approval step sits between every search and its booking. City names are not checked here: an
 * unknown city is a valid plan whose step fails with UnknownDestination.
 */

export type TravelRequest =
  | { kind: 'flight'; origin?: string; destination?: string; date?: string }
  | { kind: 'hotel'; city?: string; there?: boolean; check_in?: string; nights?: number };

export interface ParsedGoal {
  /** Requests in order; `group` increases at every "then". */
  readonly requests: readonly { request: TravelRequest; group: number }[];
  readonly approval: boolean;
}

export interface OfflinePlannerOptions {
  /** Origin of flights whose goal and context name none (a city name or IATA code). @default 'LON' */
  readonly defaultOrigin?: string;
}

const HELP =
  'The offline planner understands requests such as "Book a flight to Paris", "a flight from London to Paris", ' +
  '"fly to Rome", "a hotel in Rome", several of them joined by "and" or "then", and "with my approval".';

const APPROVAL_PATTERNS = [
  /\b(?:and\s+|but\s+)?(?:please\s+)?(?:ask|check with|consult)\s+(?:me\s+)?(?:for\s+)?(?:my\s+)?(?:approval|permission|confirmation|ok)\b(?:\s+(?:before|prior to)\s+(?:you\s+)?(?:booking|book)(?:\s+(?:anything|it|them))?)?/gi,
  /\b(?:and\s+)?(?:only\s+)?with\s+my\s+(?:approval|permission|confirmation|sign[- ]?off|ok)\b/gi,
  /\b(?:and\s+)?(?:i\s+)?(?:need|require|want)s?\s+(?:to\s+)?(?:my\s+)?(?:approve|approval)\b(?:\s+(?:it|them|everything))?(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
  /\b(?:and\s+|but\s+)?ask\s+me\s+(?:first|before\s+(?:booking|you book)(?:\s+anything)?)/gi,
  /\b(?:and\s+)?(?:wait for|get)\s+my\s+approval\b(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
];

const NUMBER_WORDS: Record<string, number> = {
  one: 1,
  two: 2,
  three: 3,
  four: 4,
  five: 5,
  six: 6,
  seven: 7,
  eight: 8,
  nine: 9,
  ten: 10,
  a: 1,
};

const FLIGHT_WORDS = /\b(?:flights?|fly|flying|plane|airfare|air ticket)\b/i;
const HOTEL_WORDS = /\b(?:hotels?|rooms?|accommodations?|place to stay|stay|lodging)\b/i;
const TRAILING_FILLER =
  /(?:\s+(?:please|for me|for us|as well|too|asap|tomorrow|today|next (?:week|month)|this (?:week|weekend)))+$/i;

const WHEN =
  /\b(?:in|during|for) (?:early |late |mid-?)?(?:january|february|march|april|may|june|july|august|september|october|november|december|spring|summer|autumn|fall|winter)\b/gi;

/** What may follow a city name and is not part of it: "Paris on Friday", "Rome for a week", "Oslo with a view". */
const QUALIFIERS =
  /\s+(?:on|for|next|this|tomorrow|today|tonight|around|by|before|after|during|until|with|departing|leaving|returning|arriving)\b.*$/i;

function clean(text: string): string {
  return text.replace(/\s+/g, ' ').trim();
}

/** Strips filler and punctuation around a city name; '' when nothing is left. */
function cityText(raw: string): string {
  return clean(raw)
    .replace(QUALIFIERS, '')
    .replace(TRAILING_FILLER, '')
    .replace(/^(?:the\s+)?(?:city of\s+)?/i, '')
    .replace(/^[\s"'“”‘’.,;:!?()-]+|[\s"'“”‘’.,;:!?()-]+$/g, '')
    .trim();
}

function parseRequest(segment: string): TravelRequest {
  let text = ` ${segment} `;
  let date: string | undefined;
  let nights: number | undefined;
  const nightsMatch =
    /\bfor\s+(\d{1,2}|one|two|three|four|five|six|seven|eight|nine|ten|a)\s+nights?\b/i.exec(text);
  if (nightsMatch?.[1]) {
    const n = nightsMatch[1].toLowerCase();
    nights = NUMBER_WORDS[n] ?? Number(n);
    text = text.replace(nightsMatch[0], ' ');
  }
  const dateMatch = /\b(?:on|for|from|departing|leaving|starting|arriving)?\s*(\d{4}-\d{2}-\d{2})\b/i.exec(
    text,
  );
  if (dateMatch?.[1]) {
    date = dateMatch[1];
    text = text.replace(dateMatch[0], ' ');
  }
  // "in December" is a time, not a place: drop it before looking for "in <city>".
  text = clean(text.replace(WHEN, ' '));

  if (FLIGHT_WORDS.test(text)) {
    const fromTo = /\bfrom\s+(.+?)\s+to\s+(.+)$/i.exec(text);
    // Greedy prefixes: "I want to fly to Rome" → the last "to" introduces the destination.
    const toFrom = /.*\bto\s+(.+?)\s+from\s+(.+)$/i.exec(text);
    const to = /.*\bto\s+(.+)$/i.exec(text);
    const from = /\bfrom\s+(.+)$/i.exec(text);
    const origin = fromTo?.[1] ?? toFrom?.[2] ?? (to ? undefined : from?.[1]);
    const destination = fromTo?.[2] ?? toFrom?.[1] ?? to?.[1];
    const request: TravelRequest = { kind: 'flight' };
    if (origin && cityText(origin)) request.origin = cityText(origin);
    if (destination && cityText(destination)) request.destination = cityText(destination);
    if (date) request.date = date;
    return request;
  }
  if (HOTEL_WORDS.test(text)) {
    const request: TravelRequest = { kind: 'hotel' };
    const place = /.*\b(?:in|at|near)\s+(.+)$/i.exec(text);
    if (place?.[1] && cityText(place[1]) && !/^there$/i.test(cityText(place[1])))
      request.city = cityText(place[1]);
    else if (/\bthere\b/i.test(text)) request.there = true;
    if (date) request.check_in = date;
    if (nights) request.nights = nights;
    return request;
  }
  throw new PlanInvalid(`could not understand "${truncate(segment)}". ${HELP}`);
}

function truncate(text: string): string {
  return text.length > 60 ? `${text.slice(0, 57)}...` : text;
}

/** Parses a goal into travel requests; throws PlanInvalid (with help) when it cannot. */
export function parseGoal(goal: string): ParsedGoal {
  let text = clean(goal.normalize('NFKC'));
  let approval = false;
  for (const pattern of APPROVAL_PATTERNS) {
    text = text.replace(pattern, () => {
      approval = true;
      return ' ';
    });
  }
  text = clean(text).replace(/[.!?]+$/, '');
  if (!text) throw new PlanInvalid(`the goal has no request to plan. ${HELP}`);

  // Split on connectors, remembering which ones start a new ("then") group.
  const parts = text.split(/\s*[,;.]?\s+(and then|then|after that|afterwards|and also|and|plus)\s+/i);
  const segments: { text: string; afterThen: boolean }[] = [];
  for (let i = 0; i < parts.length; i += 2) {
    const connector = i === 0 ? '' : (parts[i - 1] ?? '').toLowerCase();
    const then = ['and then', 'then', 'after that', 'afterwards'].includes(connector);
    // A bare comma also separates requests when what follows is a request of its own.
    const pieces = (parts[i] ?? '').split(/\s*,\s*(?=[^,]*\b(?:flights?|fly|hotels?|rooms?)\b)/i);
    pieces.forEach((piece, j) => {
      segments.push({ text: piece, afterThen: j === 0 && then });
    });
  }

  let group = 0;
  const requests: { request: TravelRequest; group: number }[] = [];
  for (const segment of segments) {
    const stripped = segment.text.replace(/^[\s,;:.]+|[\s,;:.]+$/g, '');
    if (!stripped) continue;
    if (segment.afterThen && requests.length > 0) group++;
    requests.push({ request: parseRequest(stripped), group });
  }
  if (requests.length === 0) throw new PlanInvalid(`the goal has no request to plan. ${HELP}`);
  return { requests: fillGaps(requests), approval };
}

/** "a flight and a hotel in Paris" → the flight goes to Paris; "a hotel there" → the last destination. */
function fillGaps(requests: { request: TravelRequest; group: number }[]): typeof requests {
  let lastDestination: string | undefined;
  let lastDate: string | undefined;
  return requests.map(({ request, group }, i) => {
    if (request.kind === 'flight') {
      let destination = request.destination;
      if (!destination) {
        const later = requests.slice(i + 1).find((r) => r.request.kind === 'hotel' && r.request.city);
        destination = later?.request.kind === 'hotel' ? later.request.city : undefined;
      }
      if (!destination) {
        throw new PlanInvalid(`the flight has no destination: say "a flight to <city>". ${HELP}`);
      }
      lastDestination = destination;
      lastDate = request.date;
      return { request: { ...request, destination }, group };
    }
    // "a flight to Oslo and a hotel (there)": the hotel is where the last flight goes.
    const city = request.city ?? lastDestination;
    if (!city) throw new PlanInvalid(`the hotel has no city: say "a hotel in <city>". ${HELP}`);
    const sameCity =
      lastDestination !== undefined && normalizeCityName(lastDestination) === normalizeCityName(city);
    const check_in = request.check_in ?? (sameCity ? lastDate : undefined);
    const { there: _there, ...rest } = request;
    return { request: { ...rest, city, ...(check_in && { check_in }) }, group };
  });
}

function ref(step: string, path: string): Reference {
  return { $from: step, path };
}

/**
 * Turns a goal into a plan with the grammar above. `context.home_city` (a string) is the origin of
 * flights that name none, else `options.defaultOrigin`.
 */
export function planGoalOffline(
  goal: string,
  context: Record<string, unknown>,
  options: OfflinePlannerOptions = {},
): Plan {
  const { requests, approval } = parseGoal(goal);
  const home =
    typeof context.home_city === 'string' && context.home_city.trim() ? context.home_city.trim() : undefined;
  const origins = [home, options.defaultOrigin ?? 'LON', 'LON', 'NYC'].filter((o): o is string => Boolean(o));

  const steps: PlanStep[] = [];
  const describe: string[] = [];
  let previousGroupEnds: string[] = [];
  let currentGroupEnds: string[] = [];
  let currentGroup = 0;

  requests.forEach(({ request, group }, index) => {
    if (group !== currentGroup) {
      previousGroupEnds = currentGroupEnds;
      currentGroupEnds = [];
      currentGroup = group;
    }
    const n = index + 1;
    const kind = request.kind;
    const search = `search_${kind}_${n}`;
    const approve = `approve_${kind}_${n}`;
    const book = `book_${kind}_${n}`;
    let searchInput: Record<string, unknown>;
    let what: string;
    if (request.kind === 'flight') {
      const destination = request.destination ?? '';
      if (request.origin && normalizeCityName(request.origin) === normalizeCityName(destination)) {
        throw new PlanInvalid(`the flight's origin and destination are the same (${truncate(destination)})`);
      }
      const origin = request.origin ?? chooseOrigin(destination, origins);
      searchInput = { ...(origin && { origin }), destination, ...(request.date && { date: request.date }) };
      what = `a flight ${origin ? `from ${origin} ` : ''}to ${destination}${request.date ? ` on ${request.date}` : ''}`;
    } else {
      const city = request.city ?? '';
      searchInput = {
        city,
        ...(request.check_in && { check_in: request.check_in }),
        ...(request.nights && { nights: request.nights }),
      };
      what = `a hotel in ${city}${request.nights ? ` for ${request.nights} night${request.nights > 1 ? 's' : ''}` : ''}`;
    }
    describe.push(what);
    steps.push({
      id: search,
      tool: kind === 'flight' ? 'search_flights' : 'search_hotels',
      input: searchInput,
      depends_on: [...previousGroupEnds],
      description: `Search ${what}`,
    });
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
      id: book,
      tool: kind === 'flight' ? 'book_flight' : 'book_hotel',
      input: { offer: ref(search, 'offers.0') },
      depends_on: [bookAfter],
      description: `Book the cheapest offer for ${what}`,
    });
    currentGroupEnds.push(book);
  });

  return {
    steps,
    summary: `Book ${describe.join(', ')}${approval ? ', each after your approval' : ''} (offline planner).`,
  };
}
