import { InvalidStepInput } from '#domain/errors.ts';
import type { ModelCallReport } from '#domain/llm/provider.ts';
import * as z from '#domain/zod.ts';
import { toolInputJsonSchema } from '../llm/json-schemas.ts';
import { once } from '../once.ts';
import { allowReferences } from '../references.ts';

/** A sandbox booking as stored in BOOKINGS_TABLE (pk workflow_id, sk step_id). */
export const bookingSchema = z.lazy(() =>
  z.object({
    workflow_id: z.string(),
    step_id: z.string(),
    kind: z.enum(['flight', 'hotel']),
    /** IATA city code of the destination (flight) or the hotel's city. */
    city: z.string(),
    city_name: z.string(),
    confirmation_code: z.string(),
    status: z.enum(['booked', 'cancelled']),
    offer_id: z.string(),
    details: z.record(z.string(), z.unknown()),
    price: z.object({ amount: z.number(), currency: z.string() }),
    booked_at: z.string(),
    cancelled_at: z.optional(z.string()),
  }),
);
export type Booking = z.infer<typeof bookingSchema>;

/** What the tools need from the bookings table; `lambdas/adapters/bookings-store.ts` implements it. */
export interface BookingsPort {
  /** Stores the booking unless one exists for (workflow, step); returns the stored one either way. */
  putIfAbsent(booking: Booking): Promise<Booking>;
  get(workflowId: string, stepId: string): Promise<Booking | undefined>;
  /** Marks the booking cancelled; idempotent. */
  cancel(
    workflowId: string,
    stepId: string,
    at: string,
  ): Promise<'cancelled' | 'already_cancelled' | 'absent'>;
}

/** What a tool gets besides its input: who is calling and the I/O it may use. */
export interface ToolContext {
  readonly workflow_id: string;
  readonly step_id: string;
  readonly bookings: BookingsPort;
  readonly now: () => Date;
  /**
   * Records a model call a tool made (`llm_generate`) as a `ModelCalled` event. Optional: a tool
   * calls it when present and still works without it.
   */
  readonly recordModelCall?: (call: ToolModelCall) => Promise<void>;
}

/** A model call made by a tool: the data of its `ModelCalled` event (a tool's answer has no fixed shape). */
export type ToolModelCall = Omit<ModelCallReport, 'outcome'>;

/**
 * One tool of the registry. Inputs are validated against `inputSchema` before `execute` runs (the
 * plan validator uses `planInputSchema`, which also accepts references). `execute` must be
 * idempotent per (workflow, step): a replay returns the same output and has no second effect.
 * `compensate` undoes the effect (also idempotent); it gets the output when one was stored, and must
 * cope without it (the step may have crashed after its effect).
 */
export interface Tool {
  readonly name: string;
  readonly description: string;
  /** True when the tool changes something outside the workflow (a booking, a message sent...). */
  readonly sideEffect: boolean;
  readonly inputSchema: z.ZodMiniObject;
  readonly planInputSchema: z.ZodMiniObject;
  execute(input: unknown, ctx: ToolContext): Promise<unknown>;
  compensate?(input: unknown, output: unknown, ctx: ToolContext): Promise<void>;
  /** A small summary of the output for the StepSucceeded event (the full output is in STATE_TABLE). */
  summarize(output: unknown): Record<string, unknown>;
}

export interface ToolDefinition<S extends z.core.$ZodShape, O> {
  readonly name: string;
  readonly description: string;
  readonly sideEffect: boolean;
  /**
   * Builds the input schema (once, at the tool's first use): the step runs one tool of the registry
   * and the rollbacks undo a few, so the others' schemas are never built (zod builds a schema when it
   * is declared: ~30 µs a schema at a cold start).
   */
  readonly input: () => z.ZodMiniObject<S>;
  readonly output: z.ZodMiniType<O>;
  execute(input: z.infer<z.ZodMiniObject<S>>, ctx: ToolContext): Promise<O>;
  compensate?(input: unknown, output: O | undefined, ctx: ToolContext): Promise<void>;
  summarize(output: O): Record<string, unknown>;
}

/** Wraps a typed tool definition into a registry entry that validates what crosses its boundary. */
export function defineTool<S extends z.core.$ZodShape, O>(def: ToolDefinition<S, O>): Tool {
  const inputSchema = once(def.input);
  const parseInput = (input: unknown) => {
    const parsed = inputSchema().safeParse(input);
    if (!parsed.success) {
      throw new InvalidStepInput(`${def.name}: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`);
    }
    return parsed.data;
  };
  const compensate = def.compensate;
  // Only the planner's plan validation reads it: the step and rollback functions never build it.
  const planInputSchema = once(() => allowReferences(inputSchema()));
  return {
    name: def.name,
    description: def.description,
    sideEffect: def.sideEffect,
    get inputSchema() {
      return inputSchema();
    },
    get planInputSchema() {
      return planInputSchema();
    },
    execute: async (input, ctx) => z.parse(def.output, await def.execute(parseInput(input), ctx)),
    ...(compensate && {
      compensate: async (input: unknown, output: unknown, ctx: ToolContext) => {
        const parsed = def.output.safeParse(output);
        await compensate(input, parsed.success ? parsed.data : undefined, ctx);
      },
    }),
    summarize: (output) => {
      const parsed = def.output.safeParse(output);
      return parsed.success ? def.summarize(parsed.data) : {};
    },
  };
}

export interface ToolDescription {
  readonly name: string;
  readonly description: string;
  readonly sideEffect: boolean;
  readonly input_schema: unknown;
}

/** The tools a plan may use, by name. */
export interface ToolRegistry {
  get(name: string): Tool | undefined;
  names(): string[];
  /** Every tool as a model planner is told about it: name, description, side effect, input JSON Schema. */
  describe(): ToolDescription[];
}

export function createToolRegistry(tools: readonly Tool[]): ToolRegistry {
  const byName = new Map<string, Tool>();
  for (const tool of tools) {
    if (byName.has(tool.name)) throw new Error(`tool ${tool.name} is registered twice`);
    byName.set(tool.name, tool);
  }
  return {
    get: (name) => byName.get(name),
    names: () => [...byName.keys()],
    describe: () =>
      tools.map(({ name, description, sideEffect }) => ({
        name,
        description,
        sideEffect,
        input_schema: toolInputJsonSchema(name),
      })),
  };
}
