import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  canonicalJson,
  idempotencyKeyPattern,
  randomWorkflowId,
  requestFingerprint,
  workflowIdForKey,
} from '#domain/idempotency.ts';
import { workflowIdSchema } from '#domain/schemas.ts';

describe('workflow ids', () => {
  it('derives wf_ + 26 base64url chars of sha256(user \\n key)', () => {
    const expected = `wf_${createHash('sha256').update('alice\nkey-1').digest('base64url').slice(0, 26)}`;
    expect(workflowIdForKey('alice', 'key-1')).toBe(expected);
    expect(workflowIdForKey('alice', 'key-1')).toHaveLength(29);
  });

  it('gives the same id for the same user and key, and different ids across users', () => {
    expect(workflowIdForKey('alice', 'k')).toBe(workflowIdForKey('alice', 'k'));
    expect(workflowIdForKey('alice', 'k')).not.toBe(workflowIdForKey('bob', 'k'));
    // The separator keeps ("ab","c") and ("a","bc") apart.
    expect(workflowIdForKey('ab', 'c')).not.toBe(workflowIdForKey('a', 'bc'));
  });

  it('makes a fresh random id without a key', () => {
    expect(randomWorkflowId()).not.toBe(randomWorkflowId());
    expect(randomWorkflowId(() => Buffer.alloc(20, 0xff))).toBe(`wf_${'_'.repeat(26)}`);
  });

  it('always produces valid execution names', () => {
    fc.assert(
      fc.property(fc.string({ minLength: 1 }), fc.stringMatching(idempotencyKeyPattern), (user, key) => {
        expect(workflowIdSchema.safeParse(workflowIdForKey(user, key)).success).toBe(true);
        expect(workflowIdSchema.safeParse(randomWorkflowId()).success).toBe(true);
      }),
    );
  });
});

describe('canonicalJson and fingerprints', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } })).toBe(
      '{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}',
    );
  });

  it('drops undefined members like JSON.stringify', () => {
    expect(canonicalJson({ a: undefined, b: [undefined] })).toBe('{"b":[null]}');
  });

  it('is insensitive to key order', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.jsonValue()), (obj) => {
        const reversed = Object.fromEntries(Object.entries(obj).reverse());
        expect(canonicalJson(reversed)).toBe(canonicalJson(obj));
        expect(JSON.parse(canonicalJson(obj))).toEqual(JSON.parse(JSON.stringify(obj)));
      }),
    );
  });

  it('fingerprints equal requests equally and different requests differently', () => {
    const a = requestFingerprint({ goal: 'Book a flight to NYC', context: { x: 1, y: 2 } });
    expect(a).toMatch(/^[0-9a-f]{64}$/);
    expect(requestFingerprint({ goal: 'Book a flight to NYC', context: { y: 2, x: 1 } })).toBe(a);
    expect(requestFingerprint({ goal: 'Book a flight to NYC', context: { x: 1 } })).not.toBe(a);
    expect(requestFingerprint({ goal: 'Book a flight to LAX', context: { x: 1, y: 2 } })).not.toBe(a);
  });

  it('accepts 1-64 chars of A-Za-z0-9_- as Idempotency-Key', () => {
    expect(idempotencyKeyPattern.test('a')).toBe(true);
    expect(idempotencyKeyPattern.test('A-z_0'.repeat(12).slice(0, 64))).toBe(true);
    expect(idempotencyKeyPattern.test('x'.repeat(65))).toBe(false);
    expect(idempotencyKeyPattern.test('')).toBe(false);
    expect(idempotencyKeyPattern.test('a b')).toBe(false);
    expect(idempotencyKeyPattern.test('a/b')).toBe(false);
  });
});
