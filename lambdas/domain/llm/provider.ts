import * as z from '#domain/zod.ts';
import { once } from '../once.ts';

/*
 * The model as the guardian and planner tasks see it (an LlmProvider-style port at the level of the
 * task: "screen this goal", "plan this goal"). Implementations: the offline rules (offline.ts) and
 * any structured-output model (structured.ts: Bedrock Converse or an OpenAI-compatible endpoint from
 * lambdas/adapters/llm). LLM_PROVIDER selects one; the tasks do not change.
 */

/** The model providers LLM_PROVIDER selects from (also the `provider` dimension of the token metrics). */
export const modelProviders = ['offline', 'bedrock', 'openai'] as const;
export type ModelProviderName = (typeof modelProviders)[number];

/** The model id of the offline rules (`provider: 'offline'`). */
export const OFFLINE_MODEL_ID = 'offline-rules-v1';

export const guardianCategories = [
  'violence',
  'weapons',
  'illegal_activity',
  'self_harm',
  'malware',
  'fraud',
  'other',
] as const;
export type GuardianCategory = (typeof guardianCategories)[number];

/** A model's judgement of a goal; what a model returns is parsed with this schema. */
export const guardianVerdictObject = once(() =>
  z.object({
    allowed: z.boolean(),
    category: z.optional(z.enum(guardianCategories)),
    reason: z.optional(z.string().check(z.maxLength(500))),
  }),
);
/** Built at its first parse (like the log's schemas: lambdas/domain/schemas.ts). */
export const guardianVerdictSchema = z.lazy(guardianVerdictObject);
export type GuardianVerdict = z.infer<typeof guardianVerdictSchema>;

/** Token counts of one model call (estimated by providers that have no tokenizer). */
export interface ModelUsage {
  readonly tokens_in: number;
  readonly tokens_out: number;
  /** Wall time of the call, when the provider measured it. */
  readonly latency_ms?: number;
}

/**
 * One model call as it ended with an answer (valid or not): the payload of a `ModelCalled` event.
 * Calls that failed before the model answered (throttled, timed out) cost nothing and are not reported.
 */
export const modelCallReportObject = once(() =>
  z.object({
    /** 'guardian', 'planner', 'llm_generate', ... */
    purpose: z.string(),
    provider: z.string(),
    model: z.string(),
    tokens_in: z.number(),
    tokens_out: z.number(),
    latency_ms: z.number(),
    /** 1 = the first ask, 2 = the repair round. */
    attempt: z.number().check(z.int()),
    /** Whether the answer had the requested shape (a plan may still fail the graph rules later). */
    outcome: z.enum(['ok', 'invalid']),
  }),
);
export type ModelCallReport = z.infer<ReturnType<typeof modelCallReportObject>>;

/** Receives every model call a request makes, as each ends (to record `ModelCalled` events). */
export type ModelCallObserver = (call: ModelCallReport) => void;

export interface ScreenGoalRequest {
  /** The redacted goal. */
  readonly goal: string;
  /** Keys of the (redacted) context, never its values. */
  readonly context_keys: readonly string[];
  readonly onModelCall?: ModelCallObserver;
}

export interface PlanGoalRequest {
  readonly goal: string;
  readonly context: Readonly<Record<string, unknown>>;
  /** The tools the plan may use. */
  readonly tools: readonly {
    name: string;
    description: string;
    sideEffect: boolean;
    input_schema?: unknown;
  }[];
  /**
   * The repair round: the previous answer was rejected for these reasons (schema and graph rules);
   * the model is asked again with them.
   */
  readonly repair?: {
    readonly issues: readonly string[];
    /** The rejected answer as JSON text (clipped). */
    readonly rejected: string;
  };
  /**
   * The workflow's submission time (ISO-8601): "today" for relative dates in the goal, so that a replay
   * plans the same dates. @default - the current time
   */
  readonly now?: string;
  /** Which attempt this is (1 = first ask, 2 = repair round), for the reports. @default 1 */
  readonly attempt?: number;
  readonly onModelCall?: ModelCallObserver;
}

export interface AgentModel {
  /** `offline`, `bedrock`, `openai`: recorded in ModelCalled, GuardianChecked, PlanCreated and results. */
  readonly provider: string;
  readonly model: string;
  /**
   * True when the same request always gets the same answer (the offline rules): a repair round
   * would only repeat the rejected plan, so the planner skips it.
   */
  readonly deterministic?: boolean;
  /**
   * Classifies a goal as allowed or not, with a category and a reason when not. A model whose answer
   * does not fit the verdict schema is asked once more with the problems; a second bad answer
   * throws `ModelOutputInvalid` (the workflow fails closed). A model that refuses to judge the goal
   * (content filter) yields a deny.
   */
  screenGoal(request: ScreenGoalRequest): Promise<{ verdict: GuardianVerdict; usage: ModelUsage }>;
  /**
   * Proposes a plan. The result is a candidate: the planner validates it (planSchema + graph rules)
   * before it is stored, and runs the repair round (`request.repair`) when it is invalid. An answer
   * that does not even fit the plan schema is returned as the candidate too (the rejected JSON, or the
   * raw text), so the validation names its problems. Throws PlanInvalid when the goal cannot be
   * planned at all (the offline grammar does not understand it, or the model refuses).
   */
  planGoal(request: PlanGoalRequest): Promise<{ plan: unknown; usage: ModelUsage }>;
}

/** A rough token estimate (≈4 characters a token) for providers without a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
