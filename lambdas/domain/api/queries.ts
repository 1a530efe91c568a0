import { z } from 'zod';

/*
 * Query strings of the HTTP API, defined once: the use cases parse them, lib/api/openapi.ts documents
 * them. On the wire every value is a string; the schemas turn them into numbers.
 */

export const DEFAULT_EVENTS_PAGE = 500;
export const MAX_EVENTS_PAGE = 1000;
const limitMessage = `must be an integer from 1 to ${MAX_EVENTS_PAGE}`;

/** GET /workflows/{id}/events query: `after` (a seq, default 0) and `limit` (1–1000, default 500). */
export const eventsQuerySchema = z.object({
  after: z
    .string()
    .regex(/^\d{1,15}$/, 'must be a non-negative integer')
    .transform(Number)
    .optional()
    .meta({ description: 'Only events with a greater `seq` (the `next_after` of the previous page).' }),
  limit: z
    .string()
    .regex(/^\d{1,15}$/, limitMessage)
    .transform(Number)
    .pipe(z.number().int().min(1, limitMessage).max(MAX_EVENTS_PAGE, limitMessage))
    .optional()
    .meta({ description: `Page size, 1–${MAX_EVENTS_PAGE}.` }),
});
