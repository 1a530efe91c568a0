import { createHash } from 'node:crypto';
import { findCity, normalizeCityName } from '../catalog.ts';
import { type ParsedGoal, parseGoal } from '../offline-planner.ts';
import { chooseOrigin } from '../tools/travel.ts';
import { type Concept, conceptSeeds, connectors, fillerWords, rolePrepositions } from './lexicon.ts';
import { nearestConcept, shippedWordVectors, type WordVectors } from './vocabulary.ts';

/*
 * A goal's canonical FRAME: what the cache matches on instead of raw text similarity.
 *
 *   signature = the intent: per request its object (flight/hotel), action (book/search/cancel/change),
 *               group ("and" vs "then"), which optional parameters it has (explicit origin, date,
 *               nights), the approval flag, which slots hold equal values, the words nobody
 *               understood ("residue", kept verbatim) and a digest of the context;
 *   slots     = the typed parameters, in a fixed order: cities (IATA-coded through the catalog, with
 *               their role: origin / destination / hotel city), ISO dates and numbers of nights.
 *
 * "Please book me a flight to New York City" and "Book a flight to NYC" share signature AND slots;
 * "Book a flight to Tokyo" shares the signature, not the slots (a re-bindable hit); "Book a flight
 * from NYC to Paris" has another signature (an explicit origin). Word vectors only map unknown words
 * to intent concepts ("organize" ≈ "book", "lodging" ≈ "hotel"); they never decide a parameter.
 *
 * Whenever the offline planner's grammar also understands the goal, the frame must agree with it on
 * every request, city, date and number — otherwise there is no frame (a cache miss), so a frame never
 * claims two goals are the same when the planner would plan them differently.
 */

export type Action = 'book' | 'search' | 'cancel' | 'change';
export type SlotType = 'city' | 'date' | 'nights';

export interface Slot {
  /** Position-derived name, e.g. `r1.destination`, `r2.nights`. */
  readonly name: string;
  readonly type: SlotType;
  /** Canonical value: IATA code (or `raw:<name>` for a city outside the catalog), date, number. */
  readonly key: string;
  /** The text a planner would use for it (the goal's own words for a city). */
  readonly surface: string;
  /** Said in the goal (false: derived, e.g. the default origin or a date inherited from a flight). */
  readonly explicit: boolean;
}

export interface RequestFrame {
  readonly kind: 'flight' | 'hotel';
  readonly action: Action;
  readonly group: number;
  readonly explicitOrigin: boolean;
  readonly hasDate: boolean;
  readonly hasNights: boolean;
}

export interface Frame {
  readonly requests: readonly RequestFrame[];
  readonly approval: boolean;
  readonly slots: readonly Slot[];
  /** Words that are neither filler, nor lexicon, nor slots, nor mapped by word vectors. */
  readonly residue: readonly string[];
  /** Unknown words mapped to a concept through word vectors, for the record. */
  readonly mapped: readonly { word: string; concept: Concept; similarity: number }[];
  /** The canonical intent (JSON) and its SHA-256: the cache key's intent part. */
  readonly signature: string;
  readonly signatureHash: string;
  /** SHA-256 of the slot values: the key of exact (not re-bindable) entries. */
  readonly slotsHash: string;
  /** The goal with its parameters masked, for sentence embeddings: "book a flight to <city>". */
  readonly intentText: string;
}

export type FrameResult = { ok: true; frame: Frame } | { ok: false; reason: string };

export interface FrameOptions {
  /** Origin of flights with none in the goal or context (the planner's DEFAULT_ORIGIN_CITY). @default 'LON' */
  readonly defaultOrigin?: string;
  /** Minimum cosine between an unknown word and a concept's seed word to map it. @default 0.8 */
  readonly wordSimilarity?: number;
  readonly vectors?: WordVectors;
}

const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  Object.entries({
    a: 1,
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
  }),
);

/** The offline planner's approval phrases (kept in step with lambdas/core/offline-planner.ts). */
const APPROVAL_PATTERNS = [
  /\b(?:and\s+|but\s+)?(?:please\s+)?(?:ask|check with|consult)\s+(?:me\s+)?(?:for\s+)?(?:my\s+)?(?:approval|permission|confirmation|ok)\b(?:\s+(?:before|prior to)\s+(?:you\s+)?(?:booking|book)(?:\s+(?:anything|it|them))?)?/gi,
  /\b(?:and\s+)?(?:only\s+)?with\s+my\s+(?:approval|permission|confirmation|sign[- ]?off|ok)\b/gi,
  /\b(?:and\s+)?(?:i\s+)?(?:need|require|want)s?\s+(?:to\s+)?(?:my\s+)?(?:approve|approval)\b(?:\s+(?:it|them|everything))?(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
  /\b(?:and\s+|but\s+)?ask\s+me\s+(?:first|before\s+(?:booking|you book)(?:\s+anything)?)/gi,
  /\b(?:and\s+)?(?:wait for|get)\s+my\s+approval\b(?:\s+before\s+(?:booking|you book)(?:\s+anything)?)?/gi,
];
const APPROVAL_LEFTOVER = /\b(?:approval|approve|permission|sign[- ]?off|consent)\b/i;

const DATE = /^\d{4}-\d{2}-\d{2}$/;
const DATE_PREPOSITIONS = new Set(['on', 'for', 'from', 'departing', 'leaving', 'starting', 'arriving']);
const SEPARATORS = new Set([',', ';', '.', '!', '?']);

interface Token {
  readonly text: string;
  readonly word: string;
  readonly start: number;
  readonly end: number;
}

type CityRole = 'origin' | 'destination' | 'location' | 'none';

interface Segment {
  tokens: Token[];
  connector: 'and' | 'then' | 'start';
}

interface SegmentAnalysis {
  objects: Set<'flight' | 'hotel'>;
  actions: Set<Action>;
  cities: { role: CityRole; surface: string; key: string }[];
  date?: string;
  nights?: number;
  there: boolean;
  residue: string[];
  mapped: { word: string; concept: Concept; similarity: number }[];
  masked: string[];
}

interface Draft {
  kind: 'flight' | 'hotel';
  action: Action;
  group: number;
  origin?: { surface: string; key: string };
  destination?: { surface: string; key: string };
  city?: { surface: string; key: string };
  there: boolean;
  date?: string;
  nights?: number;
}

const lexicon = new Map<string, Concept>();
for (const [concept, words] of Object.entries(conceptSeeds) as [Concept, readonly string[]][]) {
  for (const word of words) lexicon.set(word, concept);
}

/** Canonical value of a city text: its IATA code, or `raw:<normalized>` outside the catalog. */
export function cityKey(text: string): string {
  return findCity(text)?.code ?? `raw:${normalizeCityName(text)}`;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('base64url').slice(0, 32);
}

function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  for (const m of text.matchAll(/\d{4}-\d{2}-\d{2}|[\p{L}\p{N}]+(?:['’][\p{L}]+)*|[,;.!?]/gu)) {
    const raw = m[0];
    tokens.push({
      text: raw,
      word: raw
        .toLowerCase()
        .normalize('NFKD')
        .replace(/[\u0300-\u036f]/g, '')
        .replace(/['’]/g, ''),
      start: m.index,
      end: m.index + raw.length,
    });
  }
  return tokens;
}

/** The longest catalog city starting at token `i` (up to 4 words): its end index and text. */
function cityAt(
  text: string,
  tokens: readonly Token[],
  i: number,
): { end: number; surface: string } | undefined {
  for (let j = Math.min(tokens.length - 1, i + 3); j >= i; j--) {
    const first = tokens[i];
    const last = tokens[j];
    if (!first || !last) continue;
    const span = text.slice(first.start, last.end);
    if (/[,;!?]/.test(span)) continue;
    if (findCity(span) && !span.includes(',')) return { end: j, surface: span };
    // "Washington D.C." / "L.A.": allow a trailing dot that belongs to the name
    const next = tokens[j + 1];
    if (next?.text === '.' && next.start === last.end && findCity(`${span}.`)) {
      return { end: j + 1, surface: `${span}.` };
    }
  }
  return undefined;
}

/** A bare city (no preposition) counts only when it cannot be an ordinary word: "was", "sea", "la". */
function plausibleBareCity(surface: string): boolean {
  return normalizeCityName(surface).length > 3 || surface === surface.toUpperCase();
}

function splitSegments(tokens: readonly Token[]): Segment[] {
  const segments: Segment[] = [{ tokens: [], connector: 'start' }];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    const two = `${token.word} ${tokens[i + 1]?.word ?? ''}`;
    const connector = connectors.get(two) ?? connectors.get(token.word);
    if (SEPARATORS.has(token.text) || connector) {
      const kind = connectors.get(two) ?? connector;
      if (connectors.has(two)) i++;
      // "…, then a hotel": a separator followed by a connector is one boundary
      const previous = segments.at(-1);
      if (previous && previous.tokens.length === 0 && previous.connector !== 'start') {
        if (kind === 'then') previous.connector = 'then';
      } else {
        segments.push({ tokens: [], connector: kind === 'then' ? 'then' : 'and' });
      }
      continue;
    }
    segments.at(-1)?.tokens.push(token);
  }
  return segments;
}

function analyse(
  text: string,
  tokens: readonly Token[],
  vectors: WordVectors,
  minSim: number,
): SegmentAnalysis {
  const out: SegmentAnalysis = {
    objects: new Set(),
    actions: new Set(),
    cities: [],
    there: false,
    residue: [],
    mapped: [],
    masked: [],
  };
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i];
    if (!token) continue;
    const w = token.word;
    const next = tokens[i + 1];
    if (DATE.test(token.text)) {
      out.date = token.text;
      out.masked.push('date');
      continue;
    }
    if (DATE_PREPOSITIONS.has(w) && next && DATE.test(next.text)) {
      continue;
    }
    // "for 3 nights" / "for a night"
    const amount = next
      ? (NUMBER_WORDS.get(next.word) ?? (/^\d{1,2}$/.test(next.word) ? Number(next.word) : NaN))
      : NaN;
    if (w === 'for' && !Number.isNaN(amount) && /^nights?$/.test(tokens[i + 2]?.word ?? '')) {
      out.nights = amount;
      out.masked.push('for', 'nights');
      i += 2;
      continue;
    }
    const role = rolePrepositions.get(w);
    if (role && next) {
      const skip = next.word === 'the' ? 1 : 0;
      const city = cityAt(text, tokens, i + 1 + skip);
      if (city) {
        out.cities.push({ role, surface: city.surface, key: cityKey(city.surface) });
        out.masked.push(w, 'city');
        i = city.end;
        continue;
      }
    }
    const bare = cityAt(text, tokens, i);
    if (bare && plausibleBareCity(bare.surface)) {
      out.cities.push({ role: 'none', surface: bare.surface, key: cityKey(bare.surface) });
      out.masked.push('city');
      i = bare.end;
      continue;
    }
    if (w === 'there') {
      out.there = true;
      out.masked.push(w);
      continue;
    }
    if (SEPARATORS.has(token.text)) continue;
    out.masked.push(w);
    const concept = lexiconConcept(w) ?? mappedConcept(w, vectors, minSim, out);
    if (concept === 'object:flight') out.objects.add('flight');
    else if (concept === 'object:hotel') out.objects.add('hotel');
    else if (concept?.startsWith('action:')) out.actions.add(concept.slice(7) as Action);
    else if (concept === 'other') out.residue.push(w);
    else if (!concept && !fillerWords.has(w) && !rolePrepositions.has(w) && !DATE_PREPOSITIONS.has(w))
      out.residue.push(w);
  }
  return out;
}

/** The lexicon's concept of a word or of its plain inflections ("booked", "reserving", "rooms"). */
function lexiconConcept(word: string): Concept | undefined {
  const direct = lexicon.get(word);
  if (direct) return direct;
  for (const [suffix, replacement] of [
    ['s', ''],
    ['es', ''],
    ['ed', ''],
    ['ed', 'e'],
    ['d', ''],
    ['ing', ''],
    ['ing', 'e'],
  ] as const) {
    if (word.length > suffix.length + 2 && word.endsWith(suffix)) {
      const concept = lexicon.get(word.slice(0, -suffix.length) + replacement);
      if (concept) return concept;
    }
  }
  return undefined;
}

function mappedConcept(
  word: string,
  vectors: WordVectors,
  minSim: number,
  out: SegmentAnalysis,
): Concept | undefined {
  if (fillerWords.has(word) || rolePrepositions.has(word) || DATE_PREPOSITIONS.has(word)) return undefined;
  const match = nearestConcept(vectors, word, minSim);
  if (!match || match.concept === 'other') return undefined;
  out.mapped.push({ word, concept: match.concept, similarity: Math.round(match.similarity * 1000) / 1000 });
  return match.concept;
}

function actionOf(actions: ReadonlySet<Action>, inherited: Action | undefined): Action {
  if (actions.has('cancel')) return 'cancel';
  if (actions.has('change')) return 'change';
  if (actions.has('book')) return 'book';
  if (actions.has('search')) return 'search';
  return inherited ?? 'book';
}

function fail(reason: string): FrameResult {
  return { ok: false, reason };
}

/** Canonical JSON of the context without `home_city` (which is a slot), hashed. */
function contextDigest(context: Readonly<Record<string, unknown>>): string | null {
  const { home_city: _home, ...rest } = context;
  if (Object.keys(rest).length === 0) return null;
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.entries(value as Record<string, unknown>)
              .sort(([a], [b]) => (a < b ? -1 : 1))
              .map(([k, v]) => [k, canonical(v)]),
          )
        : value;
  return sha256(JSON.stringify(canonical(rest)));
}

/**
 * Parses a goal into its frame, or says why it has none (then the cache neither serves nor stores).
 */
export function extractFrame(
  goal: string,
  context: Readonly<Record<string, unknown>>,
  options: FrameOptions = {},
): FrameResult {
  const vectors = options.vectors ?? shippedWordVectors;
  const minSim = options.wordSimilarity ?? 0.8;
  let text = goal.normalize('NFKC').replace(/\s+/g, ' ').trim();
  if (text.includes('{{')) return fail('unsupported characters');
  let approval = false;
  for (const pattern of APPROVAL_PATTERNS) {
    text = text.replace(pattern, (m) => {
      approval = true;
      return ' '.repeat(m.length);
    });
  }
  if (APPROVAL_LEFTOVER.test(text)) return fail('an approval request in words the cache does not know');

  // Segments without an object ("Find and reserve a hotel": "Find") join the next one (or the last).
  const raw = splitSegments(tokenize(text)).filter((s) => s.tokens.length > 0);
  const analysed: { a: SegmentAnalysis; connector: Segment['connector'] }[] = [];
  let pending: { tokens: Token[]; connector: Segment['connector'] } | undefined;
  for (const segment of raw) {
    const tokens = pending ? [...pending.tokens, ...segment.tokens] : segment.tokens;
    const connector = pending ? pending.connector : segment.connector;
    const a = analyse(text, tokens, vectors, minSim);
    if (a.objects.size === 0) {
      pending = { tokens, connector };
      continue;
    }
    pending = undefined;
    analysed.push({ a, connector });
  }
  if (pending) {
    const last = analysed.pop();
    if (!last) return fail('no flight or hotel request');
    // trailing words ("…, please") belong to the last request
    const tail = analyse(text, pending.tokens, vectors, minSim);
    if (tail.objects.size > 0 || tail.cities.length > 0 || tail.date || tail.nights) {
      return fail('words after the last request that look like a request');
    }
    last.a.residue.push(...tail.residue);
    last.a.mapped.push(...tail.mapped);
    last.a.masked.push(...tail.masked);
    for (const action of tail.actions) last.a.actions.add(action);
    analysed.push(last);
  }
  if (analysed.length === 0) return fail('no flight or hotel request');

  const drafts: Draft[] = [];
  let group = 0;
  let previousAction: Action | undefined;
  for (const [index, { a, connector }] of analysed.entries()) {
    if (a.objects.size > 1) return fail('a request that names both a flight and a hotel');
    if (connector === 'then' && index > 0) group++;
    const kind = a.objects.has('flight') ? 'flight' : 'hotel';
    const action = actionOf(a.actions, previousAction);
    previousAction = action;
    const draft: Draft = { kind, action, group, there: a.there };
    if (a.date) draft.date = a.date;
    if (a.nights !== undefined) {
      if (kind !== 'hotel') return fail('nights on a flight');
      draft.nights = a.nights;
    }
    for (const city of a.cities) {
      const value = { surface: city.surface, key: city.key };
      if (kind === 'flight' && city.role === 'origin' && !draft.origin) draft.origin = value;
      else if (kind === 'flight' && city.role === 'destination' && !draft.destination)
        draft.destination = value;
      else if (kind === 'hotel' && city.role === 'location') draft.city = value;
      else return fail(`a city in an unexpected role (${city.role}) for a ${kind}`);
    }
    if (kind === 'hotel' && draft.city && draft.there) return fail('a hotel both "there" and in a city');
    drafts.push(draft);
  }

  // The planner's gap filling: a flight without destination goes to a later hotel's city; a hotel
  // without city is where the last flight went, checking in on its date when it is the same city.
  let lastDestination: { surface: string; key: string } | undefined;
  let lastDate: string | undefined;
  const implicitCheckIn = new Set<number>();
  for (const [i, draft] of drafts.entries()) {
    if (draft.kind === 'flight') {
      if (!draft.destination) {
        const later = drafts.slice(i + 1).find((d) => d.kind === 'hotel' && d.city);
        if (!later?.city) return fail('a flight without destination');
        draft.destination = later.city;
      }
      lastDestination = draft.destination;
      lastDate = draft.date;
    } else {
      if (!draft.city) {
        if (!lastDestination) return fail('a hotel without city');
        draft.city = lastDestination;
      }
      if (!draft.date && lastDestination?.key === draft.city.key && lastDate) {
        draft.date = lastDate;
        implicitCheckIn.add(i);
      }
    }
  }

  // Cross-check with the offline planner's grammar where it understands the goal.
  let parsed: ParsedGoal | undefined;
  try {
    parsed = parseGoal(goal);
  } catch {
    parsed = undefined;
  }
  if (parsed) {
    const disagreement = compareWithPlanner(parsed, drafts, approval);
    if (disagreement) return fail(`the planner's grammar reads it differently (${disagreement})`);
  }

  const home =
    typeof context.home_city === 'string' && context.home_city.trim() ? context.home_city.trim() : undefined;
  const origins = [home, options.defaultOrigin ?? 'LON', 'LON', 'NYC'].filter((o): o is string => Boolean(o));

  const slots: Slot[] = [];
  const requests: RequestFrame[] = [];
  for (const [i, draft] of drafts.entries()) {
    const r = `r${i + 1}`;
    const p = parsed?.requests[i]?.request;
    if (draft.kind === 'flight' && draft.destination) {
      const destSurface = p?.kind === 'flight' && p.destination ? p.destination : draft.destination.surface;
      if (draft.origin) {
        const surface = p?.kind === 'flight' && p.origin ? p.origin : draft.origin.surface;
        slots.push({ name: `${r}.origin`, type: 'city', key: draft.origin.key, surface, explicit: true });
      } else {
        const origin = chooseOrigin(destSurface, origins);
        if (!origin) return fail('no origin for the flight');
        slots.push({
          name: `${r}.origin`,
          type: 'city',
          key: cityKey(origin),
          surface: origin,
          explicit: false,
        });
      }
      slots.push({
        name: `${r}.destination`,
        type: 'city',
        key: draft.destination.key,
        surface: destSurface,
        explicit: true,
      });
      if (draft.date)
        slots.push({ name: `${r}.date`, type: 'date', key: draft.date, surface: draft.date, explicit: true });
    } else if (draft.city) {
      const surface = p?.kind === 'hotel' && p.city ? p.city : draft.city.surface;
      slots.push({ name: `${r}.city`, type: 'city', key: draft.city.key, surface, explicit: true });
      if (draft.date) {
        slots.push({
          name: `${r}.check_in`,
          type: 'date',
          key: draft.date,
          surface: draft.date,
          explicit: !implicitCheckIn.has(i),
        });
      }
      if (draft.nights !== undefined) {
        const n = String(draft.nights);
        slots.push({ name: `${r}.nights`, type: 'nights', key: n, surface: n, explicit: true });
      }
    }
    if (draft.origin && draft.destination && draft.origin.key === draft.destination.key) {
      return fail('origin and destination are the same');
    }
    requests.push({
      kind: draft.kind,
      action: draft.action,
      group: draft.group,
      explicitOrigin: Boolean(draft.origin),
      hasDate: Boolean(draft.date),
      hasNights: draft.nights !== undefined,
    });
  }

  // Which slots hold equal values is part of the intent: "to Paris and a hotel in Paris" differs
  // from "to Paris and a hotel in Rome" (the planner's check-in date follows the flight only when equal).
  const equal = slots.map((s) => slots.findIndex((t) => t.type === s.type && t.key === s.key));
  const residue = [...new Set(analysed.flatMap(({ a }) => a.residue))].sort();
  const mapped = analysed.flatMap(({ a }) => a.mapped);
  const signature = JSON.stringify({
    v: 1,
    r: requests.map((q) => [
      q.kind,
      q.action,
      q.group,
      q.explicitOrigin ? 1 : 0,
      q.hasDate ? 1 : 0,
      q.hasNights ? 1 : 0,
    ]),
    ap: approval,
    eq: equal,
    res: residue,
    ctx: contextDigest(context),
  });
  return {
    ok: true,
    frame: {
      requests,
      approval,
      slots,
      residue,
      mapped,
      signature,
      signatureHash: sha256(signature),
      slotsHash: sha256(JSON.stringify(slots.map((s) => [s.type, s.key]))),
      intentText: [
        ...analysed.flatMap(({ a }, i) => (i === 0 ? a.masked : ['and', ...a.masked])),
        ...(approval ? ['with', 'my', 'approval'] : []),
      ].join(' '),
    },
  };
}

function compareWithPlanner(
  parsed: ParsedGoal,
  drafts: readonly Draft[],
  approval: boolean,
): string | undefined {
  if (parsed.approval !== approval) return 'approval';
  if (parsed.requests.length !== drafts.length) return 'number of requests';
  for (const [i, { request, group }] of parsed.requests.entries()) {
    const draft = drafts[i];
    if (!draft || draft.kind !== request.kind) return `request ${i + 1} kind`;
    if (draft.group !== group) return `request ${i + 1} group`;
    if (request.kind === 'flight') {
      if (!request.destination || cityKey(request.destination) !== draft.destination?.key)
        return 'destination';
      if ((request.origin ? cityKey(request.origin) : undefined) !== draft.origin?.key) return 'origin';
      if (request.date !== draft.date) return 'date';
    } else {
      if (!request.city || cityKey(request.city) !== draft.city?.key) return 'hotel city';
      if (request.check_in !== draft.date) return 'check-in';
      if (request.nights !== draft.nights) return 'nights';
    }
  }
  return undefined;
}
