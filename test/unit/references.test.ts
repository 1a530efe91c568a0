import { describe, expect, it } from 'vitest';
import { allowReferences, readPath, resolveReferences } from '#domain/references.ts';
import * as z from '#domain/zod.ts';

const outputs = new Map<string, unknown>([
  ['s1', { offers: [{ id: 'a', price: 1 }, { id: 'b' }] }],
  ['s2', 'plain'],
]);

describe('step input references', () => {
  it('resolves references anywhere in an input', () => {
    expect(
      resolveReferences({ offer: { $from: 's1', path: 'offers.0' }, list: [{ $from: 's2' }], n: 3 }, outputs),
    ).toEqual({ offer: { id: 'a', price: 1 }, list: ['plain'], n: 3 });
  });

  it.each([
    [{ $from: 's9' }, /not available/],
    [{ $from: 's1', path: 'offers.7' }, /points at nothing/],
    [{ $from: 's1', path: 'offers..0' }, /malformed/],
    [{ $from: 's1', extra: true }, /malformed/],
  ])('fails with InvalidStepInput for %j', (ref, message) => {
    expect(() => resolveReferences({ offer: ref }, outputs)).toThrow(
      expect.objectContaining({ name: 'InvalidStepInput', message: expect.stringMatching(message) }),
    );
  });

  it('walks only own properties', () => {
    expect(readPath({ a: [1, { b: 2 }] }, 'a.1.b')).toBe(2);
    expect(readPath({}, 'constructor')).toBeUndefined();
    expect(readPath({ a: 1 }, 'a.b')).toBeUndefined();
  });

  it('allows a reference wherever a top-level field expects a value, keeping optional fields optional', () => {
    const schema = allowReferences(z.object({ city: z.string(), nights: z.optional(z.number()) }));
    expect(schema.safeParse({ city: 'Rome' }).success).toBe(true);
    expect(schema.safeParse({ city: { $from: 's1', path: 'city' } }).success).toBe(true);
    expect(schema.safeParse({ city: 'Rome', nights: { $from: 's1' } }).success).toBe(true);
    expect(schema.safeParse({ nights: 1 }).success).toBe(false);
    expect(schema.safeParse({ city: { $from: 'S 1' } }).success).toBe(false);
  });
});
