import * as z from '#domain/zod.ts';
import { ModelCallFailed, ModelOutputInvalid, type OutputIssue } from './errors.ts';
import type { ModelUsage } from './types.ts';

/** JSON values: what a model answer parses to and what a JSON Schema is made of. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

const SCHEMA_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Tool names (Bedrock) and json_schema names (OpenAI) share this alphabet; fail before calling. */
export function assertSchemaName(name: string): void {
  if (!SCHEMA_NAME.test(name)) {
    throw new ModelCallFailed(`schemaName must be 1-64 chars of A-Za-z0-9_-, got ${JSON.stringify(name)}`, {
      code: 'invalid_schema_name',
    });
  }
}

/**
 * The JSON Schema a model is asked to fill. It describes the schema's INPUT side (what `parse`
 * accepts: fields with defaults are optional, transforms are allowed), without `$schema` (some
 * back ends reject unknown top-level keys), with every object closed (`additionalProperties: false`)
 * unless the zod schema says otherwise — extra keys would be stripped by zod anyway.
 */
export function toModelJsonSchema(schema: z.ZodMiniType): JsonObject {
  const generated = toJson(z.toJSONSchema(schema, { io: 'input', unrepresentable: 'throw' }));
  if (!isObject(generated)) {
    throw new ModelCallFailed('schema is not an object schema', { code: 'invalid_schema' });
  }
  const { $schema: _dropped, ...rest } = generated;
  return closeObjects(rest);
}

/**
 * Whether OpenAI's `strict: true` accepts the schema: every object lists all its properties as
 * required and forbids others. Optional fields break it (model them as `.nullable()` instead).
 */
export function isStrictCompatible(schema: Json): boolean {
  if (Array.isArray(schema)) return schema.every(isStrictCompatible);
  if (!isObject(schema)) return true;
  const props = schema.properties;
  if (isObject(props)) {
    const required = Array.isArray(schema.required) ? schema.required : [];
    if (schema.additionalProperties !== false) return false;
    if (!Object.keys(props).every((key) => required.includes(key))) return false;
  }
  return Object.values(schema).every(isStrictCompatible);
}

/** Validates a parsed answer; a mismatch becomes `ModelOutputInvalid` with the zod issues. */
export function validateAnswer<T>(
  schema: z.ZodMiniType<T>,
  value: unknown,
  ctx: { schemaName: string; raw: string; usage: ModelUsage },
): T {
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map(toOutputIssue);
  throw new ModelOutputInvalid(`model answer does not match ${ctx.schemaName} (${issues.length} issues)`, {
    reason: 'schema_mismatch',
    issues,
    raw: ctx.raw,
    usage: ctx.usage,
  });
}

/**
 * Parses a model's JSON text. Tolerates a Markdown code fence around it (small local models add one
 * even in JSON mode); anything else that is not JSON becomes `ModelOutputInvalid` (`not_json`).
 */
export function parseJsonAnswer(text: string, ctx: { schemaName: string; usage: ModelUsage }): unknown {
  const trimmed = text.trim();
  if (trimmed === '') {
    throw new ModelOutputInvalid(`model answer for ${ctx.schemaName} is empty`, {
      reason: 'empty',
      raw: text,
      usage: ctx.usage,
    });
  }
  const fenced = /^```(?:json)?\s*\n([\s\S]*?)\n?```$/i.exec(trimmed);
  try {
    return JSON.parse(fenced?.[1] ?? trimmed);
  } catch (cause) {
    throw new ModelOutputInvalid(`model answer for ${ctx.schemaName} is not JSON`, {
      reason: 'not_json',
      issues: [
        {
          path: [],
          message: 'The answer must be a single JSON value matching the schema, and nothing else.',
        },
      ],
      raw: text,
      usage: ctx.usage,
      cause,
    });
  }
}

function toOutputIssue(issue: z.core.$ZodIssue): OutputIssue {
  return {
    path: issue.path.map((key) => (typeof key === 'number' ? key : String(key))),
    message: issue.message,
    code: issue.code,
  };
}

/** Copies any value into plain JSON (drops functions/undefined/symbols, as JSON.stringify would). */
export function toJson(value: unknown): Json {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return value;
  if (typeof value === 'number') return Number.isFinite(value) ? value : null;
  if (Array.isArray(value)) return value.map(toJson);
  if (typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays data and never becomes a prototype.
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, item]) => item !== undefined && typeof item !== 'function' && typeof item !== 'symbol')
        .map(([key, item]) => [key, toJson(item)]),
    );
  }
  return null;
}

function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function closeObjects(schema: JsonObject): JsonObject {
  const out: JsonObject = Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [key, closeAny(value)]),
  );
  if (out.type === 'object' && isObject(out.properties) && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

function closeAny(value: Json): Json {
  if (Array.isArray(value)) return value.map(closeAny);
  return isObject(value) ? closeObjects(value) : value;
}
