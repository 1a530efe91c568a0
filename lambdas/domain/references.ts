import { InvalidStepInput } from '#domain/errors.ts';
import { stepIdSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';

/**
 * References let a step's input take a value from the output of a step it depends on, so the plan
 * stays a static document and outputs never travel through the state machine:
 *
 *   { "offer": { "$from": "search_flight_1", "path": "offers.0" } }
 *
 * `$from` names the step, `path` (optional) walks its output: dot-separated object keys or array
 * indexes. A reference stands for a whole field value; it is resolved by the step executor just before
 * the tool runs, and the resolved input is then validated against the tool's schema.
 */
export const referencePathSchema = z
  .string()
  .check(
    z.regex(
      /^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/,
      'path must be dot-separated keys or indexes, e.g. "offers.0"',
    ),
  );

export const referenceSchema = z.lazy(() =>
  z.strictObject({
    $from: stepIdSchema,
    path: z.optional(referencePathSchema),
  }),
);
export type Reference = z.infer<typeof referenceSchema>;

/** True for anything that claims to be a reference (has `$from`), well-formed or not. */
export function looksLikeReference(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && '$from' in value;
}

/** Every reference in a step input, with where it sits (for error messages). */
export function collectReferences(input: unknown, at = 'input'): { at: string; value: unknown }[] {
  if (looksLikeReference(input)) return [{ at, value: input }];
  if (Array.isArray(input)) return input.flatMap((item, i) => collectReferences(item, `${at}.${i}`));
  if (typeof input === 'object' && input !== null) {
    return Object.entries(input).flatMap(([key, value]) => collectReferences(value, `${at}.${key}`));
  }
  return [];
}

/**
 * The plan-time form of a tool's input schema: every top-level field accepts either its value or a
 * reference (optional fields stay optional).
 */
export function allowReferences<S extends z.core.$ZodShape>(schema: z.ZodMiniObject<S>): z.ZodMiniObject {
  const shape: Record<string, z.ZodMiniType> = {};
  for (const [key, field] of Object.entries(schema.shape)) shape[key] = z.union([referenceSchema, field]);
  return z.object(shape);
}

/** Walks `path` into `value`; `undefined` when the path does not exist. */
export function readPath(value: unknown, path: string | undefined): unknown {
  if (path === undefined) return value;
  let current: unknown = value;
  for (const segment of path.split('.')) {
    if (Array.isArray(current) && /^\d+$/.test(segment)) current = current[Number(segment)];
    else if (typeof current === 'object' && current !== null && !Array.isArray(current))
      current = Object.hasOwn(current, segment) ? Reflect.get(current, segment) : undefined;
    else return undefined;
  }
  return current;
}

/**
 * Replaces every reference in `input` by the value it points at in `outputs` (step id → output).
 * Throws InvalidStepInput for a malformed reference, an output that is not there or a path that leads
 * nowhere: all three are plan bugs, and retrying would not help.
 */
export function resolveReferences(input: unknown, outputs: ReadonlyMap<string, unknown>): unknown {
  if (looksLikeReference(input)) {
    const parsed = referenceSchema.safeParse(input);
    if (!parsed.success)
      throw new InvalidStepInput(`malformed reference: ${parsed.error.issues[0]?.message}`);
    const { $from, path } = parsed.data;
    if (!outputs.has($from))
      throw new InvalidStepInput(`reference to ${$from}, whose output is not available`);
    const value = readPath(outputs.get($from), path);
    if (value === undefined) throw new InvalidStepInput(`reference ${$from}.${path ?? ''} points at nothing`);
    return value;
  }
  if (Array.isArray(input)) return input.map((item) => resolveReferences(item, outputs));
  if (typeof input === 'object' && input !== null) {
    return Object.fromEntries(Object.entries(input).map(([k, v]) => [k, resolveReferences(v, outputs)]));
  }
  return input;
}

/** Ids of the steps a step input references (each once): the outputs a step must read to run. */
export function referencedSteps(input: unknown): string[] {
  const ids = new Set<string>();
  for (const { value } of collectReferences(input)) {
    const parsed = referenceSchema.safeParse(value);
    if (parsed.success) ids.add(parsed.data.$from);
  }
  return [...ids];
}
