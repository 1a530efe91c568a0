import { z } from 'zod';

/*
 * The model as the guardian and planner tasks see it (an LlmProvider-style port at the level of the
 * task: "screen this goal", "plan this goal"). Only the offline model exists today. A Bedrock or
 * OpenAI-compatible model implements the same port on top of a transport-level provider
 * (lambdas/io/llm: generateStructured with guardianVerdictSchema / planSchema and a repair round), so
 * the tasks do not change; LLM_PROVIDER selects it.
 */

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
export const guardianVerdictSchema = z.object({
  allowed: z.boolean(),
  category: z.enum(guardianCategories).optional(),
  reason: z.string().max(500).optional(),
});
export type GuardianVerdict = z.infer<typeof guardianVerdictSchema>;

/** Token counts of one model call (estimated by providers that have no tokenizer). */
export interface ModelUsage {
  readonly tokens_in: number;
  readonly tokens_out: number;
}

export interface ScreenGoalRequest {
  /** The redacted goal. */
  readonly goal: string;
  /** Keys of the (redacted) context, never its values. */
  readonly context_keys: readonly string[];
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
}

export interface AgentModel {
  /** `offline`, `bedrock`, `openai`: recorded in ModelCalled, GuardianChecked, PlanCreated and results. */
  readonly provider: string;
  readonly model: string;
  /** Classifies a goal as allowed or not, with a category and a reason when not. */
  screenGoal(request: ScreenGoalRequest): Promise<{ verdict: GuardianVerdict; usage: ModelUsage }>;
  /**
   * Proposes a plan. The result is a candidate: the planner validates it (planSchema + graph rules)
   * before it is stored. Throws PlanInvalid when the goal cannot be planned at all.
   */
  planGoal(request: PlanGoalRequest): Promise<{ plan: unknown; usage: ModelUsage }>;
}

/** A rough token estimate (≈4 characters a token) for providers without a tokenizer. */
export function estimateTokens(text: string): number {
  return Math.max(1, Math.ceil(text.length / 4));
}
