import { PlanInvalid } from '#domain/errors.ts';
import { type Plan, planSchema } from '#domain/schemas.ts';
import { type PlanValidation, planInvalidError, validatePlan } from '../plan-validation.ts';
import type { ToolRegistry } from '../tools/types.ts';
import type { AgentModel, ModelCallObserver, ModelCallReport } from './provider.ts';

export interface PlanRequest {
  /** The redacted goal. */
  readonly goal: string;
  /** The redacted context. */
  readonly context: Readonly<Record<string, unknown>>;
  /** The workflow's submission time (ISO-8601), "today" for relative dates. */
  readonly now?: string;
}

/** Longest rejected plan quoted back to the model. */
const MAX_REJECTED = 4000;

function asJsonText(value: unknown): string {
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return text.length > MAX_REJECTED ? `${text.slice(0, MAX_REJECTED)}…` : text;
}

/**
 * Asks the model for a plan and validates it (plan schema + graph rules: known tools, inputs valid
 * for their tools, acyclic, no dangling dependencies, at most 25 steps). An invalid candidate gets
 * ONE repair round: the model is asked again with the validation errors and its rejected answer. A
 * second invalid answer is `PlanInvalid` (not retried: the saga ends the workflow failed).
 *
 * No repair round for a deterministic model (the offline rules would answer the same) nor for an
 * empty plan that fits the schema (the model's way to say the goal cannot be planned with these
 * tools; its `summary` says why). Every model call goes to `onModelCall`.
 */
export async function planWithRepair(
  model: AgentModel,
  request: PlanRequest,
  tools: ToolRegistry,
  onModelCall?: ModelCallObserver,
): Promise<Plan> {
  const catalogue = tools.describe();
  /** One ask; its calls are reported after validation, marked `invalid` when the plan was rejected. */
  const ask = async (attempt: number, repair?: { issues: string[]; rejected: string }) => {
    const reports: ModelCallReport[] = [];
    let checked: PlanValidation | undefined;
    try {
      const answer = await model.planGoal({
        goal: request.goal,
        context: request.context,
        ...(request.now === undefined ? {} : { now: request.now }),
        tools: catalogue,
        attempt,
        ...(repair === undefined ? {} : { repair }),
        onModelCall: (call) => reports.push(call),
      });
      checked = validatePlan(answer.plan, tools);
      return { candidate: answer.plan, checked };
    } finally {
      for (const call of reports) {
        onModelCall?.(checked?.ok === false ? { ...call, outcome: 'invalid' } : call);
      }
    }
  };

  const first = await ask(1);
  if (first.checked.ok) return first.checked.plan;
  if (model.deterministic === true) throw planInvalidError(first.checked.issues);
  const declined = planSchema.safeParse(first.candidate);
  if (declined.success && declined.data.steps.length === 0) {
    const why = declined.data.summary?.trim();
    throw new PlanInvalid(
      `the model found nothing it can do for this goal with the available tools${why ? `: ${why.slice(0, 300)}` : ''}`,
    );
  }

  const second = await ask(2, { issues: first.checked.issues, rejected: asJsonText(first.candidate) });
  if (second.checked.ok) return second.checked.plan;
  throw planInvalidError(second.checked.issues, ' after one repair round');
}
