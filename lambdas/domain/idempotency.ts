import { createHash, randomBytes } from 'node:crypto';

/**
 * Workflow ids and request fingerprints.
 *
 * The workflow id doubles as the Step Functions execution name, so a client that resends with the
 * same `Idempotency-Key` lands on the same execution: the id is derived from (user, key), never from
 * the key alone, so two users cannot collide or probe each other's keys.
 *
 * The fingerprint tells "same request again" from "same key, different request" (409). It is taken
 * over the REDACTED goal and context: the workflow record stores it for up to 90 days, and a hash of
 * raw input would be derived from raw PII (a short, guessable value such as a phone number can be
 * recovered from its hash by brute force). Nothing derived from raw PII is stored. The price: two
 * requests that differ only in a redacted value (another e-mail address) count as the same request,
 * which is harmless since they would start byte-identical executions anyway.
 */

const ID_LENGTH = 26;

const base64url = (bytes: Buffer): string => bytes.toString('base64url');

/** `wf_` + 26 chars of base64url(sha256(user + "\n" + key)): stable per (user, key). */
export function workflowIdForKey(userId: string, idempotencyKey: string): string {
  const digest = createHash('sha256').update(`${userId}\n${idempotencyKey}`, 'utf8').digest();
  return `wf_${base64url(digest).slice(0, ID_LENGTH)}`;
}

/** `wf_` + 26 random base64url chars (156 bits). */
export function randomWorkflowId(random: (size: number) => Buffer = randomBytes): string {
  return `wf_${base64url(random(20)).slice(0, ID_LENGTH)}`;
}

/**
 * JSON with object keys sorted at every level (arrays keep their order); `undefined` members are
 * dropped like JSON.stringify does. Equal values give equal strings whatever their key order, which
 * DynamoDB maps do not preserve.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value)) ?? 'null';
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map((item) => (item === undefined ? null : sortKeys(item)));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties, so a "__proto__" key stays a key (JSON.parse makes it one).
    return Object.fromEntries(
      Object.entries(value)
        .filter(([, child]) => child !== undefined)
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([key, child]) => [key, sortKeys(child)]),
    );
  }
  return value;
}

/** sha256 (hex) of the canonical JSON of the REDACTED {goal, context}. */
export function requestFingerprint(redacted: { goal: string; context: Record<string, unknown> }): string {
  return createHash('sha256')
    .update(canonicalJson({ goal: redacted.goal, context: redacted.context }), 'utf8')
    .digest('hex');
}

/** `Idempotency-Key`: 1–64 chars of A-Za-z0-9_- (contract). */
export const idempotencyKeyPattern = /^[A-Za-z0-9_-]{1,64}$/;
