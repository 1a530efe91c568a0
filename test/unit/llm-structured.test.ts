import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ModelOutputInvalid } from '#adapters/llm/errors.ts';
import { formatIssues, repairRequest } from '#adapters/llm/repair.ts';
import { isStrictCompatible, parseJsonAnswer, toJson, toModelJsonSchema } from '#adapters/llm/structured.ts';
import type { ModelUsage } from '#adapters/llm/types.ts';
import * as z from '#domain/zod.ts';

const usage: ModelUsage = { provider: 'offline', model: 'test', tokens_in: 1, tokens_out: 1, latency_ms: 0 };
const fieldName = fc.stringMatching(/^[a-z][a-z0-9_]{0,11}$/);
const primitive = fc.constantFrom(
  () => z.string(),
  () => z.number(),
  () => z.boolean(),
  () => z.enum(['a', 'b']),
  () => z.nullable(z.string()),
  () => z.array(z.string()),
  () => z.object({ inner: z.number() }),
);

describe('JSON schema for models', () => {
  it('describes the input side: defaults optional, transforms allowed, no $schema', () => {
    const schema = z.object({
      city: z.pipe(
        z.string(),
        z.transform((s) => s.toUpperCase()),
      ),
      nights: z._default(z.number().check(z.int()), 1),
    });

    expect(toModelJsonSchema(schema)).toEqual({
      type: 'object',
      properties: {
        city: { type: 'string' },
        nights: { type: 'integer', default: 1, minimum: expect.any(Number), maximum: expect.any(Number) },
      },
      required: ['city'],
      additionalProperties: false,
    });
  });

  it('is strict-compatible exactly when every field is required (property)', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.tuple(fieldName, primitive, fc.boolean()), {
          minLength: 1,
          maxLength: 6,
          selector: ([n]) => n,
        }),
        (fields) => {
          const shape = Object.fromEntries(
            fields.map(([name, make, optional]) => [name, optional ? z.optional(make()) : make()]),
          );
          const anyOptional = fields.some(([, , optional]) => optional);
          expect(isStrictCompatible(toModelJsonSchema(z.object(shape)))).toBe(!anyOptional);
        },
      ),
    );
  });

  it('closes nested objects but keeps loose objects open', () => {
    const json = toModelJsonSchema(
      z.object({ a: z.object({ b: z.string() }), c: z.looseObject({ d: z.string() }) }),
    );

    expect(json).toMatchObject({
      additionalProperties: false,
      properties: { a: { additionalProperties: false }, c: { additionalProperties: {} } },
    });
    expect(isStrictCompatible(json)).toBe(false);
  });

  it('refuses schemas a model cannot be asked for', () => {
    expect(() => toModelJsonSchema(z.object({ at: z.date() }))).toThrow();
  });
});

describe('model answers', () => {
  it('parses any JSON value, bare or in a code fence (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.boolean(), (value, fenced) => {
        const text = JSON.stringify(value);
        const answer = fenced ? `\`\`\`json\n${text}\n\`\`\`` : `  ${text}\n`;
        expect(parseJsonAnswer(answer, { schemaName: 'x', usage })).toEqual(JSON.parse(text));
      }),
    );
  });

  it('rejects empty and non-JSON answers with distinct reasons', () => {
    expect(() => parseJsonAnswer('  ', { schemaName: 'x', usage })).toThrow(
      expect.objectContaining({ name: 'ModelOutputInvalid', reason: 'empty' }),
    );
    expect(() => parseJsonAnswer('{"a":', { schemaName: 'x', usage })).toThrow(
      expect.objectContaining({ name: 'ModelOutputInvalid', reason: 'not_json' }),
    );
  });

  it('copies JSON values unchanged, "__proto__" keys included (property)', () => {
    expect(Object.keys(toJson(JSON.parse('{"__proto__":{"x":1}}')) ?? {})).toEqual(['__proto__']);
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.stringify(toJson(value))).toBe(JSON.stringify(value));
      }),
    );
  });
});

describe('repair prompt', () => {
  it('lists at most 20 issues, one line each (property)', () => {
    const issue = fc.record({
      path: fc.array(fc.oneof(fieldName, fc.nat(9)), { maxLength: 4 }),
      message: fc.string({ minLength: 1, maxLength: 40 }).map((s) => s.replace(/\n/g, ' ')),
    });
    fc.assert(
      fc.property(fc.array(issue, { minLength: 1, maxLength: 40 }), (issues) => {
        const lines = formatIssues(issues).split('\n');
        expect(lines.length).toBe(Math.min(issues.length, 20) + (issues.length > 20 ? 1 : 0));
        expect(lines.every((line) => line.startsWith('- '))).toBe(true);
      }),
    );
  });

  it('keeps the original prompt and adds the issues and the rejected answer', () => {
    const error = new ModelOutputInvalid('bad', {
      reason: 'schema_mismatch',
      issues: [{ path: ['steps', 0, 'tool'], message: 'Invalid option' }],
      raw: '{"steps":[{"tool":"car"}]}',
    });

    const repaired = repairRequest(
      {
        purpose: 'planner',
        system: 's',
        prompt: 'Goal: X',
        schema: z.object({}),
        jsonSchema: {},
        schemaName: 'plan',
      },
      error,
    );

    expect(repaired.prompt.startsWith('Goal: X\n')).toBe(true);
    expect(repaired.prompt).toContain('- at steps.0.tool: Invalid option');
    expect(repaired.prompt).toContain('{"steps":[{"tool":"car"}]}');
    expect(repaired).toMatchObject({ purpose: 'planner', system: 's', schemaName: 'plan' });
  });
});
