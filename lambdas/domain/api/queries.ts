import * as z from '#domain/zod.ts';

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
    .optional(
      z.pipe(z.string().check(z.regex(/^\d{1,15}$/, 'must be a non-negative integer')), z.transform(Number)),
    )
    .check(
      z.meta({ description: 'Only events with a greater `seq` (the `next_after` of the previous page).' }),
    ),
  limit: z
    .optional(
      z.pipe(
        z.pipe(z.string().check(z.regex(/^\d{1,15}$/, limitMessage)), z.transform(Number)),
        z.number().check(z.int(), z.gte(1, limitMessage), z.lte(MAX_EVENTS_PAGE, limitMessage)),
      ),
    )
    .check(z.meta({ description: `Page size, 1–${MAX_EVENTS_PAGE}.` })),
});
