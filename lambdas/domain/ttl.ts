/** DynamoDB TTL value (seconds since the epoch) `days` from `now`. */
export function expiresAt(now: Date, days: number): number {
  return Math.floor(now.getTime() / 1000) + days * 86_400;
}

/**
 * True when an item's `expires_at` has passed. DynamoDB deletes expired items lazily (dynalite never
 * does), so readers treat them as absent.
 */
export function isExpired(item: Record<string, unknown>, now: Date): boolean {
  const at = item.expires_at;
  return typeof at === 'number' && at <= Math.floor(now.getTime() / 1000);
}
