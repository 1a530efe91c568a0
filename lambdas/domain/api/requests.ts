import * as z from '#domain/zod.ts';

/*
 * What the HTTP API's routes take (CONTRACT.md): bodies after JSON parsing, and the list's query.
 * Each route's handler parses its own, lib/api/openapi.ts documents them; apart from the domain's
 * other schemas so that no other function builds them at its cold start.
 */

/** POST /omnilink-agent body, after JSON parsing. */
export const submitBodySchema = z.strictObject({
  goal: z
    .string()
    .check(
      z.trim(),
      z.minLength(1, 'goal must not be empty'),
      z.maxLength(4000, 'goal must be at most 4000 characters'),
    ),
  context: z.optional(z.record(z.string(), z.unknown())),
});
export type SubmitBody = z.infer<typeof submitBodySchema>;

/** GET /workflows query: `limit` (1–100, default 20) and the `next` cursor of the previous page. */
export const listWorkflowsQuerySchema = z.object({
  limit: z
    .optional(
      z.pipe(
        z.pipe(
          z.string().check(z.regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')),
          z.transform(Number),
        ),
        z
          .number()
          .check(
            z.int(),
            z.gte(1, 'must be an integer from 1 to 100'),
            z.lte(100, 'must be an integer from 1 to 100'),
          ),
      ),
    )
    .check(z.meta({ description: 'Page size, 1–100 (default 20).' })),
  next: z
    .optional(z.string().check(z.minLength(1), z.maxLength(512)))
    .check(z.meta({ description: 'The `next` cursor of the previous page (opaque).' })),
});
export type ListWorkflowsQuery = z.infer<typeof listWorkflowsQuerySchema>;

/** POST /workflows/{id}/signals/approval body. */
export const approvalSignalBodySchema = z.strictObject({
  approved: z.boolean(),
  comment: z.optional(z.string().check(z.maxLength(1000, 'comment must be at most 1000 characters'))),
});
export type ApprovalSignalBody = z.infer<typeof approvalSignalBodySchema>;
