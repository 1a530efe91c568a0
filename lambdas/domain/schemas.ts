import * as z from '#domain/zod.ts';
import { guardianCategories, guardianVerdictObject, modelCallReportObject } from './llm/provider.ts';
import { once } from './once.ts';

/*
 * The single definition of every payload that crosses a boundary: API bodies, the execution input,
 * task inputs/outputs and the events of the log. Types are inferred, never cast.
 */

/** Workflow ids double as Step Functions execution names: 1–80 chars of A-Za-z0-9-_. */
export const workflowIdSchema = z.string().check(z.regex(/^wf_[A-Za-z0-9_-]{8,77}$/));
export type WorkflowId = z.infer<typeof workflowIdSchema>;

/** Plan step ids, referenced by `depends_on`. */
export const stepIdSchema = z.string().check(z.regex(/^[a-z][a-z0-9_]{0,39}$/));

/*
 * The schemas below are built at their first parse (`z.lazy`), not when this module loads: zod
 * builds a schema when it is declared, its constructors run cold at a cold start (~30 µs a schema),
 * and every function imports this module while each parses a few of them. The object behind one
 * that another schema extends or picks from is a `once(...)` of its own.
 */

/** The execution input the producer starts (already redacted; small and readable in the console). */
export const workflowInputObject = once(() =>
  z.object({
    workflow_id: workflowIdSchema,
    user_id: z.string().check(z.minLength(1)),
    goal: z.string(),
    context: z.record(z.string(), z.unknown()),
    submitted_at: z.string(),
  }),
);
export const workflowInputSchema = z.lazy(workflowInputObject);
export type WorkflowInput = z.infer<typeof workflowInputSchema>;

/** One step of a plan: a node of the DAG. */
export const planStepSchema = z.lazy(() =>
  z.object({
    id: stepIdSchema,
    tool: z.string().check(z.minLength(1)),
    input: z.record(z.string(), z.unknown()),
    depends_on: z._default(z.array(stepIdSchema), []),
    description: z.optional(z.string()),
  }),
);
export type PlanStep = z.infer<typeof planStepSchema>;

/**
 * A plan. The engine runs plans of up to 100 steps (the state machine's history stays far below its
 * 25,000 events); a planner's output is held to a tighter limit (core/plan-validation.ts).
 */
export const planSchema = z.lazy(() =>
  z.object({
    steps: z.array(planStepSchema).check(z.maxLength(100)),
    summary: z.optional(z.string()),
  }),
);
export type Plan = z.infer<typeof planSchema>;

/** What the DAG loop carries between waves: step ids only, never outputs. */
const scheduleShape = () => ({ ready: z.array(stepIdSchema), done: z.array(stepIdSchema) });
export const scheduleSchema = z.lazy(() => z.object(scheduleShape()));
export type Schedule = z.infer<typeof scheduleSchema>;

/**
 * The schedule a wave's steps (and an approval signal) return: human-approval steps of the wave are
 * not done but awaiting a signal, and the approval wait's timeout travels along so the ASL needs no
 * number of its own.
 */
export const waveScheduleSchema = z.lazy(() =>
  z.object({
    ...scheduleShape(),
    awaiting_approval: z.array(stepIdSchema),
    approval_timeout_seconds: z.number().check(z.int(), z.positive()),
  }),
);
export type WaveSchedule = z.infer<typeof waveScheduleSchema>;

/** Input of the step-executor task, one Map iteration. */
export const runStepInputSchema = z.lazy(() =>
  z.object({
    workflow_id: workflowIdSchema,
    step_id: stepIdSchema,
    wave: z.array(stepIdSchema),
    done: z.array(stepIdSchema),
  }),
);
export type RunStepInput = z.infer<typeof runStepInputSchema>;

/** Step Functions' Catch output: `{Error, Cause}`. */
export const stateErrorSchema = z.lazy(() => z.object({ Error: z.string(), Cause: z.optional(z.string()) }));
export type StateError = z.infer<typeof stateErrorSchema>;

/** `{code, message}`: an error as the log records it (a step's, a compensation's, the workflow's). */
export const errorInfoSchema = z.lazy(() => z.object({ code: z.string(), message: z.string() }));
export type ErrorInfo = z.infer<typeof errorInfoSchema>;

/** Who started a rollback (CompensationStarted.data.by). */
export const rollbackOwners = ['catch', 'janitor', 'cancel', 'deadline'] as const;
export type RollbackOwner = (typeof rollbackOwners)[number];

/** Where a plan came from: the planner, or the semantic cache (PlanCreated.data.source). */
export const planSources = ['planner', 'cache'] as const;
export type PlanSource = (typeof planSources)[number];

/** How a cached plan matched: the same intent, or a template whose slots were re-bound. */
const planCacheHitObject = once(() =>
  z.object({
    similarity: z.number(),
    match: z.enum(['exact', 'template']),
    rebound: z.array(z.object({ slot: z.string(), from: z.string(), to: z.string() })),
  }),
);
export const planCacheHitSchema = z.lazy(planCacheHitObject);
export type PlanCacheHit = z.infer<typeof planCacheHitSchema>;

/** How a workflow ends when the saga rolls it back: failed, or cancelled (by the user or the approval). */
export const rollbackOutcomes = ['failed', 'cancelled'] as const;

const stepRef = () => ({ step_id: stepIdSchema, tool: z.string() });

/** A step and its tool: what StepStarted and StepCompensated record. */
export const stepRefSchema = z.lazy(() => z.object(stepRef()));
export type StepRef = z.infer<typeof stepRefSchema>;
/** ApprovalGranted's and ApprovalDenied's data: one schema for both. */
const approvalAnswer = once(() =>
  z.object({ step_ids: z.array(stepIdSchema), comment: z.optional(z.string()) }),
);

/** The exactly-once claim of the rollback: who owns it and how it will end (CompensationStarted's data). */
export const compensationStartedObject = once(() =>
  z.object({
    by: z.enum(rollbackOwners),
    attempt: z.string(),
    error: errorInfoSchema,
    outcome: z.enum(rollbackOutcomes),
  }),
);
export const compensationStartedSchema = z.lazy(compensationStartedObject);

/**
 * The data of each event type: the one list of the log's event types, and what each one carries.
 * Reading the log validates every event against its type's schema; an appender that supplies
 * another shape does not type-check. Built at first use (with the two unions below, ~130 schemas):
 * zod builds a schema when it is declared, and most cold starts never read an event.
 */
export const eventDataSchemas = once(
  () =>
    ({
      /** The goal as the producer accepted it (redacted): appended by the guardian, or by a cancel/janitor before it. */
      GoalReceived: z.object({
        goal: z.string(),
        context_keys: z.array(z.string()),
        submitted_at: z.string(),
      }),
      /** The guardian's verdict, and who gave it. */
      GuardianChecked: z.extend(guardianVerdictObject(), {
        reason: z.optional(z.string()),
        provider: z.string(),
        model: z.string(),
        source: z.optional(z.enum(['guardrail', 'model'])),
        guardrail_reasons: z.optional(z.array(z.string())),
      }),
      PlanCreated: z.object({
        plan: planSchema,
        source: z.enum(planSources),
        steps_total: z.number().check(z.int(), z.nonnegative()),
        provider: z.string(),
        model: z.string(),
        similarity: z.optional(z.number()),
        cache: z.optional(z.pick(planCacheHitObject(), { match: true, rebound: true })),
      }),
      /** One billed model call (of a step, when a tool made it: a tool's answer has no `outcome`). */
      ModelCalled: z.extend(z.partial(modelCallReportObject(), { outcome: true }), {
        step_id: z.optional(stepIdSchema),
      }),
      StepStarted: stepRefSchema,
      /** `output` is the tool's summary of what the step returned (the output itself is in the state table). */
      StepSucceeded: z.object({ ...stepRef(), output: z.record(z.string(), z.unknown()) }),
      StepFailed: z.object({ ...stepRef(), error: errorInfoSchema, retryable: z.boolean() }),
      ApprovalRequested: z.object({
        step_ids: z.array(stepIdSchema),
        approvals: z.array(
          z.object({ step_id: stepIdSchema, prompt: z.string(), details: z.optional(z.unknown()) }),
        ),
        timeout_seconds: z.number().check(z.int(), z.positive()),
        expires_at: z.string(),
      }),
      ApprovalGranted: approvalAnswer(),
      ApprovalDenied: approvalAnswer(),
      CancelRequested: z.object({ requested_at: z.string() }),
      CompensationStarted: compensationStartedSchema,
      StepCompensated: stepRefSchema,
      CompensationFailed: z.object({ ...stepRef(), error: errorInfoSchema }),
      WorkflowCompleted: z.object({ result: z.unknown() }),
      WorkflowFailed: z.object({ error: errorInfoSchema, compensated: z.array(stepIdSchema) }),
      /** `reason`: cancelled_by_user, approval_denied, approval_timed_out, execution_aborted. */
      WorkflowCancelled: z.object({ reason: z.string(), compensated: z.array(stepIdSchema) }),
      WorkflowRejected: z.object({
        error: errorInfoSchema,
        category: z.enum(guardianCategories),
        reason: z.string(),
      }),
    }) satisfies Record<string, z.ZodMiniType>,
);

type EventDataSchemas = ReturnType<typeof eventDataSchemas>;
export type WorkflowEventType = keyof EventDataSchemas;
/** The data an event of type `T` carries. */
export type EventData<T extends WorkflowEventType> = z.infer<EventDataSchemas[T]>;

const terminalTypes = [
  'WorkflowCompleted',
  'WorkflowFailed',
  'WorkflowCancelled',
  'WorkflowRejected',
] as const satisfies readonly WorkflowEventType[];
/** The event types that end a workflow's log (one of them is its last event). */
export const terminalEventTypes: readonly WorkflowEventType[] = terminalTypes;
export const terminalEventTypeSchema = z.enum(terminalTypes);
export type TerminalEventType = z.infer<typeof terminalEventTypeSchema>;

/** `{type, data}` of one event type, plus the fields of `shape`. */
type EventVariant<T extends WorkflowEventType, S extends z.core.$ZodShape> = z.ZodMiniObject<
  S & { type: z.ZodMiniLiteral<T>; data: EventDataSchemas[T] }
>;
type AnyEventVariant<S extends z.core.$ZodShape> = {
  [T in WorkflowEventType]: EventVariant<T, S>;
}[WorkflowEventType];

/**
 * The log's events as a union discriminated by `type`, each with its data schema, around the fields
 * of `shape()` (the stored envelope, or the fields the API serves): built at its first parse.
 */
function eventUnion<S extends z.core.$ZodShape>(shape: () => S) {
  return z.lazy(() => {
    const data = eventDataSchemas();
    const envelope = shape();
    const variants = (Object.keys(data) as WorkflowEventType[]).map((type) =>
      z.object({ ...envelope, type: z.literal(type), data: data[type] }),
    );
    // One variant per type, in the order of the list: the tuple TypeScript cannot derive from a map.
    return z.discriminatedUnion('type', variants as unknown as [AnyEventVariant<S>, ...AnyEventVariant<S>[]]);
  });
}

/** An event as stored in the log (validated on every read). */
export const workflowEventSchema = eventUnion(() => ({
  workflow_id: workflowIdSchema,
  seq: z.number().check(z.int(), z.positive()),
  /** Deterministic id of what happened (e.g. `StepStarted:s1`): a replayed append finds it and stops. */
  event_id: z.string().check(z.minLength(1)),
  at: z.string(),
}));
export type WorkflowEvent = z.infer<typeof workflowEventSchema>;

/** An event as GET /workflows/{id}/events and the push channel serve it: `{seq, type, at, data}`. */
export const eventBodySchema = eventUnion(() => ({
  seq: z.number().check(z.int(), z.positive()),
  at: z.string(),
}));
export type EventBody = z.infer<typeof eventBodySchema>;

/** The served form of a log event (GET …/events, the push channel): without its ids. */
export function toEventBody(event: WorkflowEvent): EventBody {
  const { workflow_id: _workflow, event_id: _id, ...body } = event;
  return body;
}

/** The event of type `T`. */
export type WorkflowEventOf<T extends WorkflowEventType> = Extract<WorkflowEvent, { type: T }>;

/** What an appender supplies (seq and at are assigned by the log): `data` must be its type's. */
export type NewWorkflowEvent = {
  [T in WorkflowEventType]: { event_id: string; type: T; data: EventData<T> };
}[WorkflowEventType];

/**
 * The log's first event, from the execution input. The guardian appends it, and so do a cancel and
 * the janitor that come before the guardian ran: the same id and the same data, so whichever appends
 * second finds it there.
 */
export function goalReceivedEvent(
  input: Pick<WorkflowInput, 'goal' | 'context' | 'submitted_at'>,
): NewWorkflowEvent {
  return {
    event_id: 'GoalReceived',
    type: 'GoalReceived',
    data: {
      goal: input.goal,
      context_keys: Object.keys(input.context).sort(),
      submitted_at: input.submitted_at,
    },
  };
}

export const workflowStatuses = [
  'running',
  'waiting',
  'completed',
  'failed',
  'cancelled',
  'rejected',
] as const;
export type WorkflowStatus = (typeof workflowStatuses)[number];
