import { findCity } from '../catalog.ts';
import { cityKey, type Frame, type Slot } from './frame.ts';

/*
 * A cached plan is stored as a TEMPLATE: the plan with every parameter of its goal replaced by a
 * placeholder naming the slot (by position in the frame). Re-binding fills the placeholders with
 * another goal's slots of the same signature, so "Book a flight to Tokyo" is served the plan cached
 * for "Book a flight to NYC" with Tokyo in it — never the NYC plan unchanged.
 *
 * Placeholders: a whole string value becomes `{"$slot": i}` (a number for nights); inside free text
 * (descriptions, prompts, the summary) `{{i}}`, or `{{i:nights}}` for "N night(s)".
 *
 * A template is re-bindable only when nothing of the old goal is left in it: every explicit slot is
 * used by some step input, and no city, date or night count of the old goal survives as a constant.
 * Otherwise the plan can only be served to a goal with exactly the same slots.
 */

export interface PlanTemplate {
  /** The plan with placeholders. */
  readonly plan: unknown;
  readonly rebindable: boolean;
  /** Why it is not re-bindable (empty when it is). */
  readonly issues: readonly string[];
}

export interface Rebinding {
  readonly slot: string;
  readonly from: string;
  readonly to: string;
}

const SLOT = '$slot';

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The forms a city slot may take in a plan's text: the goal's words, its code, its names. */
function cityForms(slot: Slot, extra: readonly string[]): string[] {
  const city = findCity(slot.surface);
  const forms = [slot.surface, ...extra, ...(city ? [city.code, city.name, ...city.aliases] : [])];
  return [...new Set(forms.filter((f) => f.length >= 2))];
}

/** Which slot a whole string value stands for: its exact surface first, then the same city/date. */
function slotForValue(value: string, slots: readonly Slot[]): number {
  const exact = slots.findIndex((s) => s.type !== 'nights' && s.surface === value);
  if (exact >= 0) return exact;
  if (/^\d{4}-\d{2}-\d{2}$/.test(value)) return slots.findIndex((s) => s.type === 'date' && s.key === value);
  const city = findCity(value);
  if (city) return slots.findIndex((s) => s.type === 'city' && s.key === city.code);
  return -1;
}

/** Builds the template of a plan for the frame of its goal. */
export function makeTemplate(plan: unknown, frame: Frame): PlanTemplate {
  const slots = frame.slots;
  const used = new Set<number>();
  const boundValues = new Map<number, Set<string>>();
  const issues: string[] = [];

  // 1. Whole values inside step inputs (references `{$from, path}` are kept as they are).
  const bindInput = (value: unknown, key: string | undefined): unknown => {
    if (typeof value === 'string') {
      const i = slotForValue(value, slots);
      if (i >= 0) {
        used.add(i);
        boundValues.set(i, (boundValues.get(i) ?? new Set()).add(value));
        return { [SLOT]: i };
      }
      return value;
    }
    if (typeof value === 'number' && key === 'nights') {
      const i = slots.findIndex((s) => s.type === 'nights' && s.key === String(value));
      if (i >= 0) {
        used.add(i);
        return { [SLOT]: i };
      }
      return value;
    }
    if (Array.isArray(value)) return value.map((v) => bindInput(v, undefined));
    if (isRecord(value)) {
      if (typeof value.$from === 'string') return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bindInput(v, k)]));
    }
    return value;
  };

  // 2. Free text: one alternation of every form of every slot, longest first.
  const forms: { form: string; slot: number }[] = [];
  slots.forEach((slot, i) => {
    if (slot.type === 'city') {
      for (const form of cityForms(slot, [...(boundValues.get(i) ?? [])])) {
        // a form shared by several slots goes to the one whose surface it is, else the first
        const owner = slots.findIndex((s) => s.type === 'city' && s.surface === form);
        forms.push({
          form,
          slot: owner >= 0 ? owner : slots.findIndex((s) => s.type === 'city' && s.key === slot.key),
        });
      }
    } else if (slot.type === 'date') {
      forms.push({ form: slot.key, slot: slots.findIndex((s) => s.type === 'date' && s.key === slot.key) });
    }
  });
  forms.sort((a, b) => b.form.length - a.form.length);
  const formIndex = new Map(forms.map((f) => [f.form.toLowerCase(), f]));
  const alternation = forms.length
    ? new RegExp(
        `(?<![\\p{L}\\p{N}])(?:${forms.map((f) => escapeRegExp(f.form)).join('|')})(?![\\p{L}\\p{N}])`,
        'giu',
      )
    : undefined;
  const bindText = (text: string): string => {
    if (text.includes('{{')) issues.push('text already contains "{{"');
    let out = text.replace(/\b(\d{1,2}) nights?\b/g, (m, n: string) => {
      const i = slots.findIndex((s) => s.type === 'nights' && s.key === n);
      return i >= 0 ? `{{${i}:nights}}` : m;
    });
    if (alternation) {
      out = out.replace(alternation, (m) => {
        const found = formIndex.get(m.toLowerCase());
        // codes and short aliases ("LA", "WAS", "SEA") only in their own case: "was" is a word
        if (!found || found.slot < 0 || (found.form.length <= 3 && m !== found.form)) return m;
        return `{{${found.slot}}}`;
      });
    }
    return out;
  };
  const bindFreeText = (value: unknown): unknown => {
    if (typeof value === 'string') return bindText(value);
    if (Array.isArray(value)) return value.map(bindFreeText);
    if (isRecord(value)) {
      if (SLOT in value || typeof value.$from === 'string') return value;
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, bindFreeText(v)]));
    }
    return value;
  };

  let templated: unknown = plan;
  if (isRecord(plan) && Array.isArray(plan.steps)) {
    const steps = plan.steps.map((step: unknown) => {
      if (!isRecord(step)) return step;
      const input = bindInput(step.input, undefined);
      return {
        ...step,
        input: bindFreeText(input),
        ...(typeof step.description === 'string' && { description: bindText(step.description) }),
      };
    });
    templated = {
      ...plan,
      steps,
      ...(typeof plan.summary === 'string' && { summary: bindText(plan.summary) }),
    };
  } else {
    issues.push('not a plan');
  }

  slots.forEach((slot, i) => {
    if (
      slot.explicit &&
      !used.has(i) &&
      !slots.some((s, j) => used.has(j) && s.type === slot.type && s.key === slot.key)
    )
      issues.push(`${slot.name} is not used by any step`);
  });
  // Nothing of the old goal may survive as a constant.
  const rest = JSON.stringify(templated).replace(/\{\{\d+(?::nights)?\}\}/g, ' ');
  for (const slot of slots) {
    if (slot.type === 'city') {
      const city = findCity(slot.surface);
      const names = [slot.surface, ...(city ? [city.code, city.name] : [])];
      for (const name of names) {
        const flags = name.length <= 3 ? 'u' : 'iu';
        if (new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(name)}(?![\\p{L}\\p{N}])`, flags).test(rest)) {
          issues.push(`${slot.name} (${name}) is left in the plan`);
        }
      }
    } else if (slot.type === 'date' && rest.includes(slot.key)) {
      issues.push(`${slot.name} is left in the plan`);
    }
  }
  return { plan: templated, rebindable: issues.length === 0, issues: [...new Set(issues)] };
}

/**
 * Fills a template with a frame's slots (same signature as the template's frame). Returns the plan
 * candidate (still to be validated) and what changed, or undefined when a placeholder has no slot.
 */
export function rebind(
  template: PlanTemplate,
  stored: readonly Pick<Slot, 'name' | 'key'>[],
  frame: Frame,
): { plan: unknown; rebound: Rebinding[] } | undefined {
  const slots = frame.slots;
  if (stored.length !== slots.length) return undefined;
  let missing = false;
  const fillText = (text: string): string =>
    text.replace(/\{\{(\d+)(:nights)?\}\}/g, (_m, i: string, nights?: string) => {
      const slot = slots[Number(i)];
      if (!slot) {
        missing = true;
        return '';
      }
      if (nights) return `${slot.key} night${Number(slot.key) > 1 ? 's' : ''}`;
      return slot.surface;
    });
  const fill = (value: unknown): unknown => {
    if (typeof value === 'string') return fillText(value);
    if (Array.isArray(value)) return value.map(fill);
    if (isRecord(value)) {
      if (SLOT in value) {
        const slot = slots[Number(value[SLOT])];
        if (!slot) {
          missing = true;
          return undefined;
        }
        return slot.type === 'nights' ? Number(slot.key) : slot.surface;
      }
      return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, fill(v)]));
    }
    return value;
  };
  const plan = fill(template.plan);
  if (missing) return undefined;
  const rebound = slots.flatMap((slot, i) => {
    const before = stored[i];
    return before && before.key !== slot.key ? [{ slot: slot.name, from: before.key, to: slot.key }] : [];
  });
  return { plan, rebound };
}

/** Canonical value of a city-like string, for comparing plans modulo aliases ("NYC" = "New York"). */
export { cityKey };
