import { findCity, normalizeCityName } from '../catalog.ts';
import {
  canonicalWord,
  contentWords,
  findSpans,
  type GoalText,
  isSoftWord,
  normalizedGoal,
  roleAt,
  type SlotKind,
  type Span,
  tokenize,
} from './goal.ts';

/*
 * A cached plan's TEMPLATE, derived from the planner's own result rather than from a grammar:
 *
 *   slots    every string or number in the plan's step inputs whose value (normalised) occurs in the
 *            goal — a city, a date, a number, a URL, a quoted name, a name after "from"/"to"… — typed
 *            by its shape and given the role of the word before it in the goal ("from", "to", "on");
 *   wording  the goal's other words, canonical (filler dropped, synonyms and plurals folded);
 *   plan     the plan with every slot value replaced by a placeholder `{"$slot": i, "form": f}`, and
 *            inside free text (descriptions, prompts, the summary) `{{i:f}}`.
 *
 * A later goal is served the template only when every slot re-binds from the new goal (same kind,
 * same role), nothing in the new goal is left unaccounted for (each of its content words is in the
 * template's wording) and the template's wording says nothing the new goal leaves out (except a few
 * soft words). The re-bound plan is then validated like any plan. A template in which a value of the
 * old goal survives as a constant is not re-bindable: it serves exact repeats only.
 */

/** How a slot's value is written in the plan, given the goal's text for it. */
export type SlotForm = 'same' | 'lower' | 'upper' | 'title' | 'code' | 'name' | 'iso' | 'number';

export interface TemplateSlot {
  readonly kind: SlotKind;
  /** Canonical role word before it in the goal (`between` reads as `from`). */
  readonly role: string;
  /** The old goal's value, comparable (city code, month-day, number, text). */
  readonly key: string;
}

export interface GoalTemplate {
  readonly slots: readonly TemplateSlot[];
  /** Canonical content words of the goal outside the slots, unique, in the goal's order. */
  readonly words: readonly string[];
  /** The goal's wording with every value as `<role:kind>`: what an embedder compares. */
  readonly text: string;
  /** The plan with placeholders (JSON-safe). */
  readonly plan: unknown;
  readonly rebindable: boolean;
  /** Why not (empty when it is). */
  readonly issues: readonly string[];
  /** The plan holds a date the goal does not say ("tomorrow"): it holds for the day it was made. */
  readonly dated: boolean;
  /**
   * The earliest date the goal says without its year ("june first"): the planner chose the year as
   * the next such day, so the plan holds only before that day (UTC, YYYY-MM-DD).
   */
  readonly until?: string;
}

export interface Rebinding {
  readonly slot: string;
  readonly from: string;
  readonly to: string;
}

export type TemplateMatch =
  | {
      readonly ok: true;
      /** The goal's value for each slot, in the slots' order. */
      readonly bindings: readonly Span[];
      /** The goal's other values (a date the plan does not carry may still count for it). */
      readonly others: readonly Span[];
    }
  | { readonly ok: false; readonly reason: string };

const SLOT = '$slot';
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;
const MONTH_DAY = /^\d{2}-\d{2}$/;

const dayOf = (now: Date) => now.toISOString().slice(0, 10);

/**
 * The next `MM-DD` from `now` (UTC) as the planner dates "june first": this year's if it is still to
 * come, else next year's. Undefined for today (the planner's choice then depends on the hour) and for
 * a day some years lack (02-29).
 */
export function nextDate(monthDay: string, now: Date): string | undefined {
  if (!MONTH_DAY.test(monthDay) || monthDay === '02-29') return undefined;
  const today = dayOf(now);
  const year = now.getUTCFullYear();
  const date = `${year}-${monthDay}`;
  if (Number.isNaN(Date.parse(`${date}T00:00:00Z`)) || dayOf(new Date(`${date}T00:00:00Z`)) !== date)
    return undefined;
  if (date === today) return undefined;
  return date > today ? date : `${year + 1}-${monthDay}`;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

const titleCase = (text: string) =>
  text.replace(/(^|[\s-])(\p{L})/gu, (_m, a: string, b: string) => a + b.toUpperCase());

function formOf(value: string, surface: string): SlotForm | undefined {
  if (value === surface) return 'same';
  if (value === surface.toLowerCase()) return 'lower';
  if (value === surface.toUpperCase()) return 'upper';
  if (value === titleCase(surface.toLowerCase())) return 'title';
  return undefined;
}

/** The normalised exact-repeat text of a goal (case, spacing and punctuation folded). */
export function exactText(goal: string): string {
  return normalizedGoal(tokenize(goal));
}

const readRole = (role: string) => (role === 'between' ? 'from' : role);

/** Kinds that may stand in for each other: a catalog city and a name after "from"/"to". */
function compatible(stored: SlotKind, found: SlotKind): boolean {
  if (stored === found) return true;
  const placeLike = (k: SlotKind) => k === 'city' || k === 'place';
  return placeLike(stored) && placeLike(found);
}

interface Leaf {
  readonly value: string | number;
}

/** Every string/number in the steps' inputs (references `{$from, path}` left out). */
function leavesOf(plan: unknown): Leaf[] {
  const out: Leaf[] = [];
  const walk = (value: unknown) => {
    if (typeof value === 'string' || typeof value === 'number') out.push({ value });
    else if (Array.isArray(value)) value.forEach(walk);
    else if (isRecord(value) && typeof value.$from !== 'string') Object.values(value).forEach(walk);
  };
  if (isRecord(plan) && Array.isArray(plan.steps)) {
    for (const step of plan.steps) if (isRecord(step)) walk(step.input);
  }
  return out;
}

/** Where the tokens of `value` occur in the goal, as a token range. */
function findTokens(goal: GoalText, value: string): { from: number; to: number } | undefined {
  const needle = tokenize(value).tokens.map((t) => t.norm);
  const hay = goal.tokens.map((t) => t.norm);
  // a value is a name, a number, a date… not free text: a prompt that repeats the goal is no slot
  if (needle.length === 0 || needle.length > 6 || needle.length >= hay.length) return undefined;
  for (let i = 0; i + needle.length <= hay.length; i++) {
    if (needle.every((w, k) => hay[i + k] === w)) return { from: i, to: i + needle.length };
  }
  return undefined;
}

interface Binding {
  readonly span: Span;
  readonly form: SlotForm;
}

/** Which goal span (and form) a plan value stands for, if any. */
function bindValue(goal: GoalText, spans: Span[], value: string | number): Binding | undefined {
  if (typeof value === 'number') {
    const span = spans.find((s) => s.kind === 'number' && s.key === String(value));
    return span && { span, form: 'number' };
  }
  if (ISO_DATE.test(value)) {
    // "2027-06-01" in the goal is that date; "june first" is the month-day, the planner chose the year
    const span = spans.find((s) => s.kind === 'date' && (s.key === value || s.key === value.slice(5)));
    return span && { span, form: 'iso' };
  }
  const range = findTokens(goal, value);
  if (range) {
    let span = spans.find((s) => s.from === range.from && s.to === range.to);
    if (!span) {
      // a value no shape rule found: a name the plan took from the goal as it is
      span = {
        ...range,
        kind: findCity(value) ? 'city' : 'text',
        surface: goal.text.slice(goal.tokens[range.from]?.start, goal.tokens[range.to - 1]?.end),
        key: normalizeCityName(value),
        role: roleAt(goal, range.from, spans),
      };
      // overlapping shape spans give way
      for (let i = spans.length - 1; i >= 0; i--) {
        const s = spans[i];
        if (s && s.from < range.to && range.from < s.to) spans.splice(i, 1);
      }
      spans.push(span);
      spans.sort((a, b) => a.from - b.from);
    }
    const form = formOf(value, span.surface);
    return form ? { span, form } : undefined;
  }
  const city = findCity(value);
  if (city) {
    const span = spans.find((s) => s.kind === 'city' && s.key === city.code);
    if (span && value === city.code) return { span, form: 'code' };
    if (span && value === city.name) return { span, form: 'name' };
  }
  return undefined;
}

/** The text forms of a bound value that may appear in free text, longest first. */
function textForms(binding: Binding, value: string): { text: string; form: SlotForm }[] {
  const forms: { text: string; form: SlotForm }[] = [{ text: value, form: binding.form }];
  const surface = binding.span.surface;
  for (const form of ['same', 'title', 'upper'] as const) {
    forms.push({ text: format(surface, form) ?? surface, form });
  }
  const city = binding.span.kind === 'city' ? findCity(surface) : undefined;
  if (city) forms.push({ text: city.code, form: 'code' }, { text: city.name, form: 'name' });
  const seen = new Set<string>();
  return forms
    .filter((f) => f.text.length >= 2 && !seen.has(f.text) && seen.add(f.text))
    .sort((a, b) => b.text.length - a.text.length);
}

function format(surface: string, form: SlotForm): string | undefined {
  switch (form) {
    case 'same':
      return surface;
    case 'lower':
      return surface.toLowerCase();
    case 'upper':
      return surface.toUpperCase();
    case 'title':
      return titleCase(surface.toLowerCase());
    case 'code':
      return findCity(surface)?.code;
    case 'name':
      return findCity(surface)?.name;
    default:
      return undefined;
  }
}

/**
 * Derives the template of `plan`, the plan the planner made for `goal` at `options.now` (the
 * planning time: "june first" is dated from it). Pure; any plan shape.
 */
export function deriveTemplate(goal: string, plan: unknown, options: { now?: Date } = {}): GoalTemplate {
  const now = options.now ?? new Date();
  const g = tokenize(goal);
  const spans = findSpans(g);
  const issues: string[] = [];
  const bound = new Map<string | number, Binding>();
  for (const leaf of leavesOf(plan)) {
    if (bound.has(leaf.value)) continue;
    const binding = bindValue(g, spans, leaf.value);
    if (binding) bound.set(leaf.value, binding);
  }
  const slotSpans = [...new Set([...bound.values()].map((b) => b.span))].sort((a, b) => a.from - b.from);
  // One goal value the plan writes two ways ("LON" and "London"): one of them may be a choice of the
  // planner that happens to equal it (a default origin LON for "a hotel in London"), not the goal's.
  for (const span of slotSpans) {
    const forms = new Set([...bound.values()].filter((b) => b.span === span).map((b) => b.form));
    if (forms.size > 1) issues.push('a value the plan writes two ways');
  }
  const indexOf = (span: Span) => slotSpans.indexOf(span);

  // free text: every form of every slot, longest first
  const textual: { text: string; slot: number; form: SlotForm }[] = [];
  for (const [value, binding] of bound) {
    // numbers and ISO dates in free text as the plan wrote them ("for 3 nights", "on 2026-06-01")
    if (typeof value === 'number' || binding.form === 'iso') {
      textual.push({ text: String(value), form: binding.form, slot: indexOf(binding.span) });
      continue;
    }
    for (const f of textForms(binding, value)) textual.push({ ...f, slot: indexOf(binding.span) });
  }
  textual.sort((a, b) => b.text.length - a.text.length);
  const alternation = textual.length
    ? new RegExp(
        `(?<![\\p{L}\\p{N}])(?:${textual.map((f) => escapeRegExp(f.text)).join('|')})(?![\\p{L}\\p{N}])`,
        'gu',
      )
    : undefined;
  const bindText = (text: string): string => {
    if (text.includes('{{')) issues.push('text already holds "{{"');
    if (!alternation) return text;
    return text.replace(alternation, (m) => {
      const f = textual.find((t) => t.text === m);
      return f ? `{{${f.slot}:${f.form}}}` : m;
    });
  };
  const templ = (value: unknown, inInput: boolean): unknown => {
    if (inInput && (typeof value === 'string' || typeof value === 'number')) {
      const binding = bound.get(value);
      if (binding) {
        const year = binding.form === 'iso' && typeof value === 'string' ? { year: value.slice(0, 4) } : {};
        return { [SLOT]: indexOf(binding.span), form: binding.form, ...year };
      }
    }
    if (typeof value === 'string') return bindText(value);
    if (Array.isArray(value)) return value.map((v) => templ(v, inInput));
    if (isRecord(value)) {
      if (typeof value.$from === 'string') return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, templ(v, inInput)]));
    }
    return value;
  };
  let templated: unknown = plan;
  if (isRecord(plan) && Array.isArray(plan.steps)) {
    templated = {
      ...plan,
      steps: plan.steps.map((step: unknown) =>
        isRecord(step)
          ? Object.fromEntries(
              Object.entries(step).map(([k, v]) => [k, k === 'input' ? templ(v, true) : templ(v, false)]),
            )
          : step,
      ),
      ...(typeof plan.summary === 'string' && { summary: bindText(plan.summary) }),
    };
  } else issues.push('not a plan');

  // Nothing of the old goal's values may survive as a constant.
  const rest = JSON.stringify(templated).replace(/\{\{\d+:\w+\}\}/g, ' ');
  for (const span of slotSpans) {
    const city = span.kind === 'city' ? findCity(span.surface) : undefined;
    for (const name of [span.surface, ...(city ? [city.code, city.name] : [])]) {
      const flags = name.length <= 3 ? 'u' : 'iu';
      if (new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(name)}(?![\\p{L}\\p{N}])`, flags).test(rest)) {
        issues.push(`a ${span.kind} value is left in the plan`);
      }
    }
  }
  // a value of no known shape (not a city, a name after a role word, a date, a number, a URL, a
  // quoted name) cannot be found again in another goal with any confidence: exact repeats only
  if (slotSpans.some((s) => s.kind === 'text')) issues.push('a value of no known shape');
  const dated = leavesOf(plan).some(
    (l) => typeof l.value === 'string' && ISO_DATE.test(l.value) && !bound.has(l.value),
  );
  // A date the goal says without its year: the plan's year must be the next such day's, or the
  // cache cannot tell how the planner chose it (and then no other goal's date is re-bound into it).
  let until: string | undefined;
  for (const [value, binding] of bound) {
    if (binding.form !== 'iso' || typeof value !== 'string' || !MONTH_DAY.test(binding.span.key)) continue;
    if (nextDate(binding.span.key, now) !== value) issues.push('a date the plan puts in a year not its next');
    if (until === undefined || value < until) until = value;
  }

  return {
    slots: slotSpans.map((s) => ({ kind: s.kind, role: s.role, key: s.key })),
    words: [...new Set(contentWords(g, slotSpans))],
    // every value masked, used by the plan or not: the embedder compares wordings, the guard values
    text: templateText(g, spans),
    plan: templated,
    rebindable: issues.length === 0,
    issues: [...new Set(issues)],
    dated,
    ...(until !== undefined && { until }),
  };
}

/** The wording with values as `<role:kind>`, filler dropped: "flight <from:place> <to:place>". */
function templateText(g: GoalText, slots: readonly Span[]): string {
  const out: string[] = [];
  g.tokens.forEach((token, i) => {
    const slot = slots.find((s) => s.from <= i && i < s.to);
    if (slot) {
      if (slot.from === i) out.push(`<${readRole(slot.role)}:${slot.kind === 'city' ? 'place' : slot.kind}>`);
      return;
    }
    const next = slots.find((s) => s.from === i + 1);
    if (next && next.role !== 'none') return; // the slot's role says it
    const word = canonicalWord(token.norm);
    if (word) out.push(word);
  });
  return out.join(' ');
}

/** The wording of a goal that has no plan yet, every value found by shape as a slot (for embedding). */
export function goalText(goal: string): string {
  const g = tokenize(goal);
  return templateText(g, findSpans(g));
}

/** A goal read once for matching against many templates. */
export interface ReadGoal {
  readonly goal: GoalText;
  readonly spans: readonly Span[];
}

export function readGoal(goal: string): ReadGoal {
  const g = tokenize(goal);
  return { goal: g, spans: findSpans(g) };
}

/**
 * Whether a template fits a goal: every slot re-binds (same kind, same role), every content word of
 * the goal is in the template's wording, and the template's wording has nothing the goal leaves out
 * (soft words aside). Reasons never quote the goal.
 */
export function matchTemplate(
  read: ReadGoal,
  template: Pick<GoalTemplate, 'slots' | 'words'>,
): TemplateMatch {
  const used = new Set<Span>();
  const bindings: Span[] = [];
  for (const slot of template.slots) {
    const span = read.spans.find(
      (s) => !used.has(s) && compatible(slot.kind, s.kind) && readRole(s.role) === readRole(slot.role),
    );
    if (!span) return { ok: false, reason: `no ${slot.kind} value for the ${readRole(slot.role)} slot` };
    used.add(span);
    bindings.push(span);
  }
  const words = contentWords(read.goal, bindings);
  const cached = new Set(template.words);
  const unaccounted = words.filter((w) => !cached.has(w));
  if (unaccounted.length > 0)
    return { ok: false, reason: `${unaccounted.length} word(s) of the goal not in the template` };
  const said = new Set(words);
  const leftOut = template.words.filter((w) => !said.has(w) && !isSoftWord(w));
  if (leftOut.length > 0)
    return { ok: false, reason: `${leftOut.length} word(s) of the template not in the goal` };
  // "a flight then a hotel" is not "a hotel then a flight": the words come in the same order
  const order = [...said];
  const cachedOrder = template.words.filter((w) => said.has(w));
  if (order.some((w, i) => w !== cachedOrder[i]))
    return { ok: false, reason: 'the words come in another order' };
  return { ok: true, bindings, others: read.spans.filter((s) => !used.has(s)) };
}

/** A value comparable with plan constants: a city's code, else the normalised text. */
function valueKey(value: unknown): string {
  if (typeof value !== 'string') return String(value);
  return findCity(value)?.code ?? normalizeCityName(value);
}

/**
 * Fills a template's placeholders with a goal's values (the match from {@link matchTemplate}), as of
 * `options.now` (dates the goal says without a year are dated from it, as the planner does). Returns
 * the plan candidate (still to be validated) and what changed, or the reason it cannot.
 */
export function rebindTemplate(
  template: Pick<GoalTemplate, 'slots' | 'plan'>,
  match: { readonly bindings: readonly Span[]; readonly others?: readonly Span[] },
  options: { now?: Date } = {},
): { ok: true; plan: unknown; rebound: Rebinding[] } | { ok: false; reason: string } {
  const bindings = match.bindings;
  const now = options.now ?? new Date();
  if (bindings.length !== template.slots.length) return { ok: false, reason: 'slot count differs' };
  // values equal before must be equal after, and different ones different
  for (let i = 0; i < bindings.length; i++) {
    for (let j = i + 1; j < bindings.length; j++) {
      const before = template.slots[i]?.key === template.slots[j]?.key;
      const after = bindings[i]?.key === bindings[j]?.key;
      if (before !== after)
        return { ok: false, reason: 'slots that were distinct coincide (or the reverse)' };
    }
  }
  // a time is read by the planner ("at 5" may be 17:00, "6:30" either): another time is a miss
  for (const [i, slot] of template.slots.entries()) {
    if (slot.kind === 'time' && bindings[i]?.key !== slot.key)
      return { ok: false, reason: 'another time than the cached one' };
  }
  // the year of each date slot, from the plan's own value
  const yearOf = new Map<number, string>();
  const constants: unknown[] = [];
  const scan = (value: unknown) => {
    if (Array.isArray(value)) value.forEach(scan);
    else if (isRecord(value)) {
      if (SLOT in value && value.form === 'iso' && typeof value.year === 'string')
        yearOf.set(Number(value[SLOT]), value.year);
      else if (!(SLOT in value) && typeof value.$from !== 'string') Object.values(value).forEach(scan);
    } else if (typeof value === 'string' || typeof value === 'number') constants.push(value);
  };
  if (isRecord(template.plan) && Array.isArray(template.plan.steps)) {
    for (const step of template.plan.steps) if (isRecord(step)) scan(step.input);
  }
  // Dates: the new date as the planner would write it today, the old one as it wrote it.
  const dates = new Map<number, { before: string; after: string }>();
  for (const [i, year] of yearOf) {
    const slot = template.slots[i];
    const span = bindings[i];
    if (!slot || !span || span.kind !== 'date')
      return { ok: false, reason: 'a value does not fit its placeholder' };
    let after: string | undefined;
    if (ISO_DATE.test(slot.key)) {
      // the goal wrote the year: so must this one
      after = ISO_DATE.test(span.key) ? span.key : undefined;
    } else if (MONTH_DAY.test(span.key) && span.key.slice(0, 2) === slot.key.slice(0, 2)) {
      // the planner chose the year (the next such day): only within the same month
      after = nextDate(span.key, now);
    }
    if (!after) return { ok: false, reason: 'a date does not fit its placeholder' };
    dates.set(i, { before: ISO_DATE.test(slot.key) ? slot.key : `${year}-${slot.key}`, after });
  }
  // A city the plan holds that the goal does not say (a default origin) was chosen knowing the goal's
  // cities ("LON" unless the flight goes to London, then "NYC"): with other cities it may not hold.
  const cityConstant = constants.some((c) => {
    if (typeof c !== 'string') return false;
    const city = findCity(c);
    return city !== undefined && (c === city.code || normalizeCityName(c) === normalizeCityName(city.name));
  });
  if (
    cityConstant &&
    template.slots.some((slot, i) => compatible('city', slot.kind) && bindings[i]?.key !== slot.key)
  )
    return { ok: false, reason: 'another city in a plan holding a city the planner chose' };
  if ([...dates.values()].some((d) => d.before !== d.after)) {
    // A plan may count between dates (nights from check-in to check-out, a return dropped when it
    // falls before the departure): with another date the plan holds only when no other date or
    // derived number stays behind, and the dates keep their order.
    if (constants.some((c) => typeof c === 'number' || (typeof c === 'string' && ISO_DATE.test(c))))
      return { ok: false, reason: 'another date in a plan that counts from its dates' };
    if ((match.others ?? []).some((s) => s.kind === 'date'))
      return { ok: false, reason: 'another date next to a date the plan does not carry' };
    const list = [...dates.values()];
    for (const a of list) {
      for (const b of list) {
        if (Math.sign(a.before.localeCompare(b.before)) !== Math.sign(a.after.localeCompare(b.after)))
          return { ok: false, reason: 'dates in another order' };
      }
    }
  }
  let failure: string | undefined;
  const valueFor = (i: number, form: string): string | number | undefined => {
    const span = bindings[i];
    const slot = template.slots[i];
    if (!span || !slot) return undefined;
    if (form === 'number') return span.kind === 'number' ? Number(span.key) : undefined;
    if (form === 'iso') return dates.get(i)?.after;
    return format(span.surface, form as SlotForm);
  };
  const fillText = (text: string): string =>
    text.replace(/\{\{(\d+):(\w+)\}\}/g, (_m, i: string, form: string) => {
      const value = valueFor(Number(i), form);
      if (value === undefined) failure = 'a value does not fit its placeholder';
      return String(value ?? '');
    });
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return fillText(value);
    if (Array.isArray(value)) return value.map(fill);
    if (isRecord(value)) {
      if (SLOT in value) {
        const filled = valueFor(Number(value[SLOT]), String(value.form));
        if (filled === undefined) failure = 'a value does not fit its placeholder';
        return filled;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };
  const plan = fill(template.plan);
  if (failure) return { ok: false, reason: failure };
  // a new value equal to a constant of the plan (the default origin): the planner may have chosen
  // that constant because of the old value, so the plan may not hold
  const constantKeys = new Set(constants.map(valueKey));
  if (bindings.some((b) => constantKeys.has(b.kind === 'city' ? b.key : valueKey(b.surface)))) {
    return { ok: false, reason: 'a new value equals a constant of the plan' };
  }
  const rebound = bindings.flatMap((span, i) => {
    const slot = template.slots[i];
    return slot && slot.key !== span.key
      ? [{ slot: `${readRole(slot.role)}.${slot.kind}`, from: slot.key, to: span.key }]
      : [];
  });
  return { ok: true, plan, rebound };
}
