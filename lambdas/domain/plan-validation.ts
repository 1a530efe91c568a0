import { PlanInvalid } from '#domain/errors.ts';
import { type Plan, planSchema } from '#domain/schemas.ts';
import * as z from '#domain/zod.ts';
import { topologicalOrder, transitiveDependencies } from './dag.ts';
import { collectReferences, referenceSchema } from './references.ts';
import type { ToolRegistry } from './tools/types.ts';

/** The most steps a plan may have (the ASL's history budget and the contract's limit). */
export const MAX_PLAN_STEPS = 25;

export type PlanValidation = { ok: true; plan: Plan } | { ok: false; issues: string[] };

/**
 * Checks a candidate plan (from the offline planner, a model or the cache): the plan schema, then the
 * graph rules — unique ids, known tools, no self/dangling/duplicate dependencies, no cycles, every
 * input valid for its tool (references allowed for a field's value), references only to steps the
 * step (transitively) depends on, at most {@link MAX_PLAN_STEPS} steps.
 */
export function validatePlan(candidate: unknown, tools: ToolRegistry): PlanValidation {
  const parsed = planSchema.safeParse(candidate);
  if (!parsed.success) {
    return {
      ok: false,
      issues: parsed.error.issues.map((i) => `${i.path.join('.') || 'plan'}: ${i.message}`),
    };
  }
  const plan = parsed.data;
  const issues: string[] = [];
  if (plan.steps.length === 0) issues.push('plan: has no steps');
  if (plan.steps.length > MAX_PLAN_STEPS) issues.push(`plan: has more than ${MAX_PLAN_STEPS} steps`);

  const ids = new Set<string>();
  for (const step of plan.steps) {
    if (ids.has(step.id)) issues.push(`${step.id}: duplicate step id`);
    ids.add(step.id);
  }

  for (const step of plan.steps) {
    const seenDeps = new Set<string>();
    for (const dep of step.depends_on) {
      if (dep === step.id) issues.push(`${step.id}: depends on itself`);
      else if (!ids.has(dep)) issues.push(`${step.id}: depends on unknown step ${dep}`);
      if (seenDeps.has(dep)) issues.push(`${step.id}: lists dependency ${dep} twice`);
      seenDeps.add(dep);
    }
    const tool = tools.get(step.tool);
    if (!tool) {
      issues.push(`${step.id}: unknown tool ${step.tool} (available: ${tools.names().join(', ')})`);
    } else {
      const input = tool.planInputSchema.safeParse(step.input);
      if (!input.success) {
        for (const issue of input.error.issues) {
          issues.push(`${step.id}: input.${issue.path.join('.')}: ${issue.message}`);
        }
      }
    }
  }

  const { cyclic } = topologicalOrder(plan);
  if (cyclic.length > 0) issues.push(`plan: dependency cycle among ${cyclic.join(', ')}`);

  // Reference rules (only meaningful on an acyclic graph with known ids).
  if (cyclic.length === 0) {
    for (const step of plan.steps) {
      const upstream = transitiveDependencies(plan, step.id);
      for (const { at, value } of collectReferences(step.input)) {
        const ref = referenceSchema.safeParse(value);
        if (!ref.success) {
          issues.push(
            `${step.id}: ${at}: malformed reference (${z.prettifyError(ref.error).replaceAll('\n', '; ')})`,
          );
        } else if (!upstream.has(ref.data.$from)) {
          issues.push(`${step.id}: ${at}: refers to ${ref.data.$from}, which it does not depend on`);
        }
      }
    }
  }

  return issues.length > 0 ? { ok: false, issues } : { ok: true, plan };
}

/** PlanInvalid listing the first issues (`after` is appended, e.g. " after one repair round"). */
export function planInvalidError(issues: readonly string[], after = ''): PlanInvalid {
  const shown = issues.slice(0, 5).join('; ');
  const more = issues.length > 5 ? ` (and ${issues.length - 5} more)` : '';
  return new PlanInvalid(`the plan is invalid${after}: ${shown}${more}`);
}
