import { createHash } from 'node:crypto';

/*
 * Deterministic pseudo-randomness for the sandbox: everything derived from a SHA-256 of its inputs,
 * so the same search always shows the same offers and a replayed booking gets the same code.
 */

/** SHA-256 of the parts joined by newlines. */
export function digest(...parts: readonly string[]): Buffer {
  return createHash('sha256').update(parts.join('\n')).digest();
}

/** An integer in [min, max] drawn from byte pair `slot` of the digest. */
export function pick(hash: Buffer, slot: number, min: number, max: number): number {
  const i = (slot * 2) % (hash.length - 1);
  const value = ((hash[i] ?? 0) << 8) | (hash[i + 1] ?? 0);
  return min + (value % (max - min + 1));
}

const CODE_ALPHABET = 'ABCDEFGHJKLMNPQRSTUVWXYZ23456789';

/** `length` characters of an unambiguous alphabet (no 0/O, 1/I) drawn from the digest. */
export function code(hash: Buffer, length: number): string {
  let out = '';
  for (let i = 0; i < length; i++) out += CODE_ALPHABET[(hash[i] ?? 0) % CODE_ALPHABET.length];
  return out;
}
