import type { NewWorkflowEvent } from '#domain/schemas.ts';
import type { GuardianCategory, ModelCallReport } from './provider.ts';

/**
 * `ModelCalled` events for model calls, with deterministic ids `ModelCalled:<purpose>:<n>`: `n`
 * counts the calls of that purpose in the workflow, continuing after the ones already in the log, so
 * a task re-run after a crash or a retry records its new (billed) calls instead of colliding with
 * the first run's, while a replayed append of the same call is still a no-op.
 */
export function modelCalledEvents(
  existingEventIds: readonly string[],
  calls: readonly ModelCallReport[],
): NewWorkflowEvent[] {
  const next = new Map<string, number>();
  const ordinal = (purpose: string): number => {
    const prefix = `ModelCalled:${purpose}:`;
    const n = next.get(purpose) ?? existingEventIds.filter((id) => id.startsWith(prefix)).length + 1;
    next.set(purpose, n + 1);
    return n;
  };
  return calls.map((call) => ({
    event_id: `ModelCalled:${call.purpose}:${ordinal(call.purpose)}`,
    type: 'ModelCalled',
    data: {
      purpose: call.purpose,
      provider: call.provider,
      model: call.model,
      tokens_in: call.tokens_in,
      tokens_out: call.tokens_out,
      latency_ms: call.latency_ms,
      attempt: call.attempt,
      outcome: call.outcome,
    },
  }));
}

/** Keywords of guardrail policy codes (`content:VIOLENCE`, `topic:Weapons`, ...) → guardian category. */
const CATEGORY_HINTS: readonly [RegExp, GuardianCategory][] = [
  [/self[-_ ]?harm|suicid/i, 'self_harm'],
  [/weapon|firearm|explosive|\bguns?\b|bomb/i, 'weapons'],
  [/malware|hack|exploit|ransomware|virus/i, 'malware'],
  [/fraud|scam|launder|phish/i, 'fraud'],
  [/violen/i, 'violence'],
  [/misconduct|illegal|crime|criminal|drug/i, 'illegal_activity'],
];

/** The guardian category of a guardrail intervention, from its policy codes; `other` when none fits. */
export function guardrailCategory(reasons: readonly string[]): GuardianCategory {
  for (const [pattern, category] of CATEGORY_HINTS) {
    if (reasons.some((reason) => pattern.test(reason))) return category;
  }
  return 'other';
}
