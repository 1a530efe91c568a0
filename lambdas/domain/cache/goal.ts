import { findCity, normalizeCityName } from '../catalog.ts';
import {
  anchorRoles,
  boundaryWords,
  canonicalWords,
  fillerWords,
  placePrefixes,
  placeSuffixes,
  softWords,
  unfoldedPlurals,
} from './lexicon.ts';
import { isVocabularyWord } from './vocabulary.ts';

/*
 * What the cache reads in a goal, whatever the goal is about: its tokens (case, spacing and
 * punctuation normalised), the values a plan could take from it (typed by SHAPE: URLs, ISO dates,
 * "june first", times, numbers, quoted names, catalog cities, and the words after a role word such as
 * "from" or "to"), the role of each value (the word before it), and the content words left over.
 * No grammar of any domain: the plan, not this file, says which values matter (see template.ts).
 */

export const slotKinds = ['url', 'date', 'time', 'number', 'name', 'city', 'place', 'text'] as const;
export type SlotKind = (typeof slotKinds)[number];

export interface Token {
  /** Normalised form: lower case, no accents, no apostrophes. */
  readonly norm: string;
  readonly start: number;
  readonly end: number;
}

export interface Span {
  /** Token range [from, to). */
  readonly from: number;
  readonly to: number;
  readonly kind: SlotKind;
  /** The goal's own text for it. */
  readonly surface: string;
  /**
   * What the value means, comparable across wordings: city code, month-day (`06-01`, or the whole
   * `2027-06-01` when the goal writes the year), time (`7am`, `18:30`, `5h`), number, URL.
   */
  readonly key: string;
  /** The role word(s) before it, canonical (`from`, `to`, `in`, `on`, …) or `none`. */
  readonly role: string;
}

export interface GoalText {
  readonly text: string;
  readonly tokens: readonly Token[];
}

const MONTHS = [
  'january',
  'february',
  'march',
  'april',
  'may',
  'june',
  'july',
  'august',
  'september',
  'october',
  'november',
  'december',
];
const ORDINALS: ReadonlyMap<string, number> = new Map(
  [
    'first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth thirteenth',
    'fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth',
  ]
    .join(' ')
    .split(' ')
    .map((w, i) => [w, i + 1]),
);
const NUMBER_WORDS: ReadonlyMap<string, number> = new Map(
  'one two three four five six seven eight nine ten eleven twelve'.split(' ').map((w, i) => [w, i + 1]),
);

/** Lower-cases, strips accents and apostrophes: the comparable form of a word. */
export function normalizeWord(word: string): string {
  return word
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase()
    .replace(/['’]/g, '');
}

/** Splits a goal into tokens: URLs and ISO dates whole, words (with apostrophes), numbers. */
export function tokenize(text: string): GoalText {
  const tokens: Token[] = [];
  const pattern =
    /https?:\/\/[^\s"'<>]+[^\s"'<>.,;:!?)]|\d{4}-\d{2}-\d{2}|\d{1,2}:\d{2}|[\p{L}\p{N}]+(?:['’.][\p{L}]+)*/giu;
  for (const m of text.normalize('NFKC').matchAll(pattern)) {
    tokens.push({ norm: normalizeWord(m[0]), start: m.index, end: m.index + m[0].length });
  }
  return { text: text.normalize('NFKC'), tokens };
}

/** The goal with case, spacing and punctuation normalised: the key of exact repeats. */
export function normalizedGoal(goal: GoalText): string {
  return goal.tokens.map((t) => t.norm).join(' ');
}

/** A word's canonical form for comparing wordings: synonyms and plurals folded, '' for filler. */
export function canonicalWord(norm: string): string {
  if (fillerWords.has(norm)) return '';
  const mapped = canonicalWords.get(norm);
  if (mapped !== undefined) return mapped;
  // plurals: "flights" = "flight", "fares" = "fare" (not "bus", "class", "business")
  if (norm.length > 4 && norm.endsWith('s') && !/(?:ss|us|is)$/.test(norm)) {
    const singular = norm.slice(0, -1);
    if (unfoldedPlurals.has(singular)) return norm;
    return canonicalWords.get(singular) ?? singular;
  }
  return norm;
}

/** Whether a canonical word may be missing from a later goal without changing the plan. */
export function isSoftWord(word: string): boolean {
  return softWords.has(word);
}

function surfaceOf(goal: GoalText, from: number, to: number): string {
  const first = goal.tokens[from];
  const last = goal.tokens[to - 1];
  return first && last ? goal.text.slice(first.start, last.end) : '';
}

/**
 * ISO month-day of "june first" / "june 1" / "1st of june" at token i, with its length; the whole ISO
 * date when the goal writes the year ("2026-06-01", "june 1 2026", "november eleventh, 1991").
 */
function dateAt(goal: GoalText, i: number): { length: number; key: string } | undefined {
  const found = monthDayAt(goal, i);
  if (found?.key.length !== 5) return found;
  const year = goal.tokens[i + found.length]?.norm ?? '';
  return /^(?:19|20)\d{2}$/.test(year) ? { length: found.length + 1, key: `${year}-${found.key}` } : found;
}

function monthDayAt(goal: GoalText, i: number): { length: number; key: string } | undefined {
  const t = (k: number) => goal.tokens[i + k]?.norm;
  // an ISO date says its year: its key is the whole date ("june first" leaves the year to the planner)
  const iso = /^(\d{4})-(\d{2})-(\d{2})$/.exec(t(0) ?? '');
  if (iso) return { length: 1, key: `${iso[1]}-${iso[2]}-${iso[3]}` };
  const day = (word: string | undefined): number | undefined => {
    if (!word) return undefined;
    const n = /^(\d{1,2})(?:st|nd|rd|th)?$/.exec(word);
    if (n) return Number(n[1]);
    return ORDINALS.get(word);
  };
  const pad = (n: number) => String(n).padStart(2, '0');
  const month = MONTHS.indexOf(t(0) ?? '');
  if (month >= 0) {
    // "june twenty first" / "june 21" / "june first"
    let d = day(t(1));
    let length = 2;
    if (t(1) === 'twenty' || t(1) === 'thirty') {
      // "twenty first" and "twenty one" alike
      const word = t(2) ?? '';
      const spoken = NUMBER_WORDS.get(word);
      const unit = day(word) ?? (spoken !== undefined && spoken <= 9 ? spoken : undefined);
      d = (t(1) === 'twenty' ? 20 : 30) + (unit ?? 0);
      length = unit ? 3 : 2;
    }
    if (d && d <= 31) return { length, key: `${pad(month + 1)}-${pad(d)}` };
    return undefined;
  }
  const d = day(t(0));
  const ofMonth = t(1) === 'of' ? 2 : 1;
  const m = MONTHS.indexOf(t(ofMonth) ?? '');
  if (d && d <= 31 && m >= 0) return { length: ofMonth + 1, key: `${pad(m + 1)}-${pad(d)}` };
  return undefined;
}

/** "6 pm", "7 am", "5 o'clock", "18:30" at token i. */
function timeAt(goal: GoalText, i: number): { length: number; key: string } | undefined {
  const a = goal.tokens[i]?.norm ?? '';
  const b = goal.tokens[i + 1]?.norm;
  const c = goal.tokens[i + 2]?.norm;
  // "6:30 am" is not "6:30 pm", nor "6:30" (which a planner may read either way): the key says which
  if (/^\d{1,2}:\d{2}$/.test(a))
    return b === 'am' || b === 'pm' ? { length: 2, key: `${a}${b}` } : { length: 1, key: a };
  const hour = /^\d{1,2}$/.test(a) ? Number(a) : NUMBER_WORDS.get(a);
  if (hour === undefined || hour > 24) return undefined;
  if (b === 'am' || b === 'pm') return { length: 2, key: `${hour}${b}` };
  if (b === 'oclock')
    return c === 'am' || c === 'pm' ? { length: 3, key: `${hour}${c}` } : { length: 2, key: `${hour}h` };
  return undefined;
}

/** The longest catalog city at token i (up to 4 words); codes and short aliases only in capitals. */
function cityAt(goal: GoalText, i: number): { length: number; key: string } | undefined {
  for (let n = Math.min(4, goal.tokens.length - i); n >= 1; n--) {
    const surface = surfaceOf(goal, i, i + n);
    const city = findCity(surface);
    // the whole span must be a name of the city ("Seoul, with my approval" is not Seoul)
    const names = city ? [city.code, city.name, ...city.aliases].map(normalizeCityName) : [];
    if (!city || !names.includes(normalizeCityName(surface))) continue;
    const compact = surface.replace(/[^\p{L}]/gu, '');
    // "was", "sea", "la", "rio"… are words too: a code or short alias must be written in capitals
    if (compact.length <= 3 && compact !== compact.toUpperCase()) continue;
    return { length: n, key: city.code };
  }
  return undefined;
}

/** The role of a value starting at token i: the canonical role word(s) just before it. */
function roleBefore(goal: GoalText, i: number, spans: readonly Span[]): string {
  const w1 = goal.tokens[i - 1]?.norm;
  const w2 = goal.tokens[i - 2]?.norm;
  if (w1 === undefined) return 'none';
  const two = w2 !== undefined ? anchorRoles.get(`${w2} ${w1}`) : undefined;
  if (two) return two;
  if (w1 === 'and') {
    // "between X and Y": Y is where one goes
    const previous = spans.findLast((s) => s.to === i - 1);
    if (previous?.role === 'between') return 'to';
    return 'none';
  }
  return anchorRoles.get(w1) ?? 'none';
}

function isBoundary(norm: string): boolean {
  return (
    fillerWords.has(norm) ||
    anchorRoles.has(norm) ||
    boundaryWords.has(norm) ||
    boundaryWords.has(canonicalWord(norm)) ||
    /^\d/.test(norm) ||
    MONTHS.includes(norm) ||
    ORDINALS.has(norm)
  );
}

/**
 * Every value a plan could take from the goal, by shape, in order. Typed values (URL, date, time,
 * number, quoted name, catalog city) are found anywhere; other names ("denver") only right after a
 * role word ("from", "to", "between … and", "in"), up to three words that are not common words.
 */
export function findSpans(goal: GoalText): Span[] {
  const spans: Span[] = [];
  const tokens = goal.tokens;
  const quoted = [...goal.text.matchAll(/["“]([^"”]{1,200})["”]/g)].map((m) => ({
    start: m.index + 1,
    end: m.index + 1 + (m[1]?.length ?? 0),
  }));
  const add = (from: number, length: number, kind: SlotKind, key: string) => {
    const span: Span = {
      from,
      to: from + length,
      kind,
      surface: surfaceOf(goal, from, from + length),
      key,
      role: 'none',
    };
    spans.push({ ...span, role: roleBefore(goal, from, spans) });
  };
  for (let i = 0; i < tokens.length; ) {
    const token = tokens[i];
    if (!token) break;
    const q = quoted.find((r) => r.start <= token.start && token.end <= r.end);
    if (q) {
      let j = i;
      while (j < tokens.length && (tokens[j]?.end ?? 0) <= q.end) j++;
      add(i, j - i, 'name', normalizeWord(goal.text.slice(q.start, q.end)));
      i = j;
      continue;
    }
    if (/^https?:\/\//.test(token.norm)) {
      add(i, 1, 'url', goal.text.slice(token.start, token.end));
      i += 1;
      continue;
    }
    const date = dateAt(goal, i);
    if (date) {
      add(i, date.length, 'date', date.key);
      i += date.length;
      continue;
    }
    const time = timeAt(goal, i);
    if (time) {
      add(i, time.length, 'time', time.key);
      i += time.length;
      continue;
    }
    if (/^\d+(?:\.\d+)?$/.test(token.norm) || NUMBER_WORDS.has(token.norm)) {
      add(i, 1, 'number', String(NUMBER_WORDS.get(token.norm) ?? Number(token.norm)));
      i += 1;
      continue;
    }
    const city = cityAt(goal, i);
    if (city) {
      add(i, city.length, 'city', city.key);
      i += city.length;
      continue;
    }
    const role = roleBefore(goal, i, spans);
    if (role !== 'none' && role !== 'on' && !isBoundary(token.norm)) {
      let j = i + 1;
      // a name goes on past its first word only as a place name does ("san diego", "kansas city")
      // or with words no common vocabulary knows ("st. paul" no, "des moines" yes)
      while (j < tokens.length && j - i < 3) {
        const next = tokens[j]?.norm ?? '';
        if (isBoundary(next)) break;
        // "to denver, boston" is two names: punctuation ends one
        if (/[^\s]/.test(goal.text.slice(tokens[j - 1]?.end, tokens[j]?.start))) break;
        const known = isVocabularyWord(next);
        if (known && !placePrefixes.has(token.norm) && !placeSuffixes.has(next)) break;
        j++;
      }
      add(
        i,
        j - i,
        'place',
        tokens
          .slice(i, j)
          .map((t) => t.norm)
          .join(' '),
      );
      i = j;
      continue;
    }
    i += 1;
  }
  return spans;
}

/** The canonical content words of tokens outside the given spans (filler dropped). */
export function contentWords(goal: GoalText, outside: readonly { from: number; to: number }[]): string[] {
  const words: string[] = [];
  goal.tokens.forEach((token, i) => {
    if (outside.some((s) => s.from <= i && i < s.to)) return;
    if (anchorRoles.has(token.norm)) return; // role words live in the slots' roles
    const word = canonicalWord(token.norm);
    if (word) words.push(word);
  });
  return words;
}

/** The role word(s) just before token i, for a span the caller found itself. */
export function roleAt(goal: GoalText, i: number, spans: readonly Span[]): string {
  return roleBefore(goal, i, spans);
}
