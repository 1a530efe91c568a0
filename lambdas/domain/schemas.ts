import { z } from 'zod';

/*
 * The single definition of every payload that crosses a boundary: API bodies, the execution input,
 * task inputs/outputs and the events of the log. Types are inferred, never cast.
 */

/** Workflow ids double as Step Functions execution names: 1–80 chars of A-Za-z0-9-_. */
export const workflowIdSchema = z.string().regex(/^wf_[A-Za-z0-9_-]{8,77}$/);
export type WorkflowId = z.infer<typeof workflowIdSchema>;

/** Plan step ids, referenced by `depends_on`. */
export const stepIdSchema = z.string().regex(/^[a-z][a-z0-9_]{0,39}$/);

/** POST /omnilink-agent body, after JSON parsing. */
export const submitBodySchema = z.strictObject({
  goal: z.string().trim().min(1, 'goal must not be empty').max(4000, 'goal must be at most 4000 characters'),
  context: z.record(z.string(), z.unknown()).optional(),
});
export type SubmitBody = z.infer<typeof submitBodySchema>;

/** The execution input the producer starts (already redacted; small and readable in the console). */
export const workflowInputSchema = z.object({
  workflow_id: workflowIdSchema,
  user_id: z.string().min(1),
  goal: z.string(),
  context: z.record(z.string(), z.unknown()),
  submitted_at: z.string(),
});
export type WorkflowInput = z.infer<typeof workflowInputSchema>;

/** One step of a plan: a node of the DAG. */
export const planStepSchema = z.object({
  id: stepIdSchema,
  tool: z.string().min(1),
  input: z.record(z.string(), z.unknown()),
  depends_on: z.array(stepIdSchema).default([]),
  description: z.string().optional(),
});
export type PlanStep = z.infer<typeof planStepSchema>;

/**
 * A plan. The engine runs plans of up to 100 steps (the state machine's history stays far below its
 * 25,000 events); a planner's output is held to a tighter limit (core/plan-validation.ts).
 */
export const planSchema = z.object({
  steps: z.array(planStepSchema).max(100),
  summary: z.string().optional(),
});
export type Plan = z.infer<typeof planSchema>;

/** What the DAG loop carries between waves: step ids only, never outputs. */
export const scheduleSchema = z.object({
  ready: z.array(stepIdSchema),
  done: z.array(stepIdSchema),
});
export type Schedule = z.infer<typeof scheduleSchema>;

/**
 * The schedule a wave's steps (and an approval signal) return: human-approval steps of the wave are
 * not done but awaiting a signal, and the approval wait's timeout travels along so the ASL needs no
 * number of its own.
 */
export const waveScheduleSchema = scheduleSchema.extend({
  awaiting_approval: z.array(stepIdSchema),
  approval_timeout_seconds: z.number().int().positive(),
});
export type WaveSchedule = z.infer<typeof waveScheduleSchema>;

/** GET /workflows query: `limit` (1–100, default 20) and the `next` cursor of the previous page. */
export const listWorkflowsQuerySchema = z.object({
  limit: z
    .string()
    .regex(/^\d{1,3}$/, 'must be an integer from 1 to 100')
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(1, 'must be an integer from 1 to 100')
        .max(100, 'must be an integer from 1 to 100'),
    )
    .optional()
    .meta({ description: 'Page size, 1–100 (default 20).' }),
  next: z
    .string()
    .min(1)
    .max(512)
    .optional()
    .meta({ description: 'The `next` cursor of the previous page (opaque).' }),
});
export type ListWorkflowsQuery = z.infer<typeof listWorkflowsQuerySchema>;

/** POST /workflows/{id}/signals/approval body. */
export const approvalSignalBodySchema = z.strictObject({
  approved: z.boolean(),
  comment: z.string().max(1000, 'comment must be at most 1000 characters').optional(),
});
export type ApprovalSignalBody = z.infer<typeof approvalSignalBodySchema>;

/** Input of the step-executor task, one Map iteration. */
export const runStepInputSchema = z.object({
  workflow_id: workflowIdSchema,
  step_id: stepIdSchema,
  wave: z.array(stepIdSchema),
  done: z.array(stepIdSchema),
});
export type RunStepInput = z.infer<typeof runStepInputSchema>;

/** Step Functions' Catch output: `{Error, Cause}`. */
export const stateErrorSchema = z.object({ Error: z.string(), Cause: z.string().optional() });
export type StateError = z.infer<typeof stateErrorSchema>;

export const workflowEventTypes = [
  'GoalReceived',
  'GuardianChecked',
  'PlanCreated',
  'ModelCalled',
  'StepStarted',
  'StepSucceeded',
  'StepFailed',
  'StepRetried',
  'ApprovalRequested',
  'ApprovalGranted',
  'ApprovalDenied',
  'CancelRequested',
  'CompensationStarted',
  'StepCompensated',
  'CompensationFailed',
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
] as const;
export const workflowEventTypeSchema = z.enum(workflowEventTypes);
export type WorkflowEventType = z.infer<typeof workflowEventTypeSchema>;

export const terminalEventTypes: readonly WorkflowEventType[] = [
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
];

/** An event as stored in the log and served by GET /workflows/{id}/events. */
export const workflowEventSchema = z.object({
  workflow_id: workflowIdSchema,
  seq: z.number().int().positive(),
  /** Deterministic id of what happened (e.g. `StepStarted:s1`): a replayed append finds it and stops. */
  event_id: z.string().min(1),
  type: workflowEventTypeSchema,
  at: z.string(),
  data: z.record(z.string(), z.unknown()),
});
export type WorkflowEvent = z.infer<typeof workflowEventSchema>;

/** What an appender supplies; seq and at are assigned by the log. */
export type NewWorkflowEvent = Pick<WorkflowEvent, 'event_id' | 'type' | 'data'>;

export const workflowStatuses = [
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
  'rejected',
] as const;
export type WorkflowStatus = (typeof workflowStatuses)[number];
