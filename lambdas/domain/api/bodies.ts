import * as z from '#domain/zod.ts';
import { type EventBody, errorInfoSchema, eventBodySchema, workflowStatuses } from '../schemas.ts';

/*
 * The HTTP API's response bodies (CONTRACT.md), defined once: the handlers build their answers with
 * these types, lib/client.ts parses answers with these schemas, and lib/api/openapi.ts documents
 * them. Objects are loose: a reader keeps fields it does not know (forward compatibility).
 * Relative imports only: lib/client.ts (and the browser console that bundles it) imports this file.
 */

/** What a workflow's status can be. */
export const workflowStatusSchema = z.enum(workflowStatuses);
export type WorkflowStatusValue = z.infer<typeof workflowStatusSchema>;

/** Statuses a workflow never leaves (a redrive aside, which the caller asks for explicitly). */
export const terminalStatuses: readonly WorkflowStatusValue[] = [
  'completed',
  'failed',
  'cancelled',
  'rejected',
];

/** What the control routes answer in their 202: cancel, approval signal (approved / denied), redrive. */
export const controlStatuses = ['cancelling', 'resumed', 'redriving'] as const;

/** 202 of POST /omnilink-agent. */
export const acceptedSchema = z.looseObject({
  status: z.literal('accepted'),
  workflow_id: z.string().check(z.minLength(1)),
  poll_url: z.string(),
  events_url: z.string(),
});
export type Accepted = z.infer<typeof acceptedSchema>;

/** Why a workflow failed or was rejected (the read model keeps exactly these two fields). */
/** The `{code, message}` of an error, as the events carry it. */
export const statusErrorSchema = errorInfoSchema;
export type StatusError = z.infer<typeof statusErrorSchema>;

export const progressSchema = z.looseObject({
  steps_total: z.number().check(z.int(), z.nonnegative()),
  steps_done: z.number().check(z.int(), z.nonnegative()),
  /** The step started last and not finished yet. */
  current: z.optional(z.string()),
});

/** 200 of GET /workflows/{id}/status. */
export const statusSchema = z.looseObject({
  workflow_id: z.string(),
  status: workflowStatusSchema,
  /** Present when completed. */
  result: z.optional(z.unknown()),
  /** Present when failed or rejected. */
  error: z.optional(statusErrorSchema),
  /** Step ids in the order they were undone, when a saga rolled back. */
  compensated: z.optional(z.array(z.string())),
  /** A failed workflow that POST /workflows/{id}/redrive can resume (a transient failure, not rolled back). */
  redrivable: z.optional(z.boolean()),
  /** When a redrivable workflow is rolled back if nobody redrives it (ISO-8601). */
  rollback_deadline: z.optional(z.string()),
  progress: progressSchema,
  started_at: z.string(),
  updated_at: z.string(),
});
export type WorkflowStatusBody = z.infer<typeof statusSchema>;

/** One event of the audit trail as served (the log's item without its keys). */
export const eventSchema = eventBodySchema;
export type WorkflowEventBody = EventBody;

/** 200 of GET /workflows/{id}/events: `next_after` when more events remain. */
export const eventPageSchema = z.looseObject({
  events: z.array(eventSchema),
  next_after: z.optional(z.number().check(z.int(), z.nonnegative())),
});
export type EventPage = z.infer<typeof eventPageSchema>;

/** One workflow of `GET /workflows`. */
export const workflowSummarySchema = z.looseObject({
  workflow_id: z.string(),
  /** The goal as stored: redacted, and shortened to 120 characters. */
  goal: z.string(),
  status: workflowStatusSchema,
  progress: progressSchema,
  created_at: z.string(),
  updated_at: z.string(),
});
export type WorkflowSummary = z.infer<typeof workflowSummarySchema>;

/** 200 of `GET /workflows`: a page of the caller's workflows, newest first; `next` when more remain. */
export const workflowListSchema = z.looseObject({
  workflows: z.array(workflowSummarySchema),
  next: z.optional(z.string().check(z.minLength(1))),
});
export type WorkflowList = z.infer<typeof workflowListSchema>;

/** 202 answers of the control routes (`cancelling`, `resumed`, `redriving`, ...). */
export const controlSchema = z.looseObject({
  status: z.enum(controlStatuses),
  workflow_id: z.optional(z.string()),
  /** The approval signal's decision. */
  approved: z.optional(z.boolean()),
});
export type ControlAnswer = z.infer<typeof controlSchema>;

/** The contract's error body: `{"error": {code, message, ...}}` (400 adds `issues`, 422 `reason`). */
export const errorBodySchema = z.object({
  error: z.looseObject({
    code: z.string(),
    message: z.string(),
    issues: z.optional(z.array(z.unknown())),
    reason: z.optional(z.string()),
    retry_after_seconds: z.optional(z.number()),
  }),
});
export type ErrorBody = z.infer<typeof errorBodySchema>;

/** API Gateway's own refusals in AWS (`{"message": ...}`): HTTP APIs cannot customise those bodies. */
export const gatewayErrorSchema = z.object({ message: z.string() });
