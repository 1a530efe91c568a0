import { workflowIdSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { digest } from './hash.ts';

/*
 * The `next` cursor of GET /workflows: base64url of a small JSON object naming where the next page
 * starts (the last workflow of this page: its `created_at` and id) and whose listing it belongs to
 * (a short hash of the user id, never the id itself). Opaque to clients, checked on the way in: a
 * cursor that does not decode, or belongs to another user, is refused, so it can never position a
 * query anywhere but in the caller's own workflows.
 */

export interface ListPosition {
  readonly created_at: string;
  readonly workflow_id: string;
}

/** Longest cursor accepted (a real one is about 120 characters). */
export const MAX_CURSOR_LENGTH = 512;

const cursorSchema = z.strictObject({
  v: z.literal(1),
  /** `created_at` of the last workflow of the page (ISO-8601, UTC). */
  c: z.string().check(z.regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,9})?Z$/)),
  w: workflowIdSchema,
  u: z.string(),
});

/** 12 bytes of SHA-256 of the user id: binds a cursor to its listing without revealing whose it is. */
const ownerTag = (userId: string): string =>
  digest('omnilink:list-cursor', userId).subarray(0, 12).toString('base64url');

/** The cursor of the page that starts after `position`, for `userId`'s listing. */
export function encodeListCursor(userId: string, position: ListPosition): string {
  const body = { v: 1, c: position.created_at, w: position.workflow_id, u: ownerTag(userId) };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

/** Where the page of `cursor` starts; undefined for anything that is not a cursor of `userId`'s listing. */
export function decodeListCursor(userId: string, cursor: string): ListPosition | undefined {
  if (cursor.length === 0 || cursor.length > MAX_CURSOR_LENGTH || !/^[A-Za-z0-9_-]+$/.test(cursor))
    return undefined;
  let json: unknown;
  try {
    json = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    return undefined;
  }
  const parsed = cursorSchema.safeParse(json);
  if (!parsed.success || parsed.data.u !== ownerTag(userId)) return undefined;
  return { created_at: parsed.data.c, workflow_id: parsed.data.w };
}
