import { clip, ModelOutputInvalid, type OutputIssue } from './errors.ts';
import type { LlmProvider, ModelUsage, StructuredRequest, StructuredResult } from './types.ts';

/** One model call made by `withRepair`, reported as it ends (to record a `ModelCalled` event, a metric...). */
export interface AttemptReport {
  /** 1 = the original request, 2 = the repair round. */
  attempt: 1 | 2;
  purpose: string;
  outcome: 'ok' | 'invalid' | 'error';
  /** Absent when the call failed before the model answered (throttled, denied, timed out). */
  usage?: ModelUsage;
  error?: unknown;
}

export interface RepairOptions {
  onAttempt?: (report: AttemptReport) => void | Promise<void>;
}

export type RepairedResult<T> = StructuredResult<T> & {
  /** How many calls it took (2 = the repair round was needed). */
  attempts: 1 | 2;
  /** Usage summed over the attempts (tokens and latency). */
  usage: ModelUsage;
};

const MAX_ISSUES_IN_PROMPT = 20;
const MAX_RAW_IN_PROMPT = 4000;

/**
 * Asks for a structured answer; if the answer does not fit the schema, re-prompts ONCE with the
 * validation errors and the rejected answer. A second invalid answer throws `ModelOutputInvalid`
 * (with the usage of both calls). Transient and fatal call errors propagate unchanged, so Step
 * Functions retries or fails the task as usual; refusals are not repaired.
 */
export async function withRepair<T>(
  provider: LlmProvider,
  req: StructuredRequest<T>,
  opts: RepairOptions = {},
): Promise<RepairedResult<T>> {
  const first = await attempt(provider, req, 1, opts);
  if (first.ok) return { ...first.result, attempts: 1 };
  const firstError = first.error;
  if (!firstError.repairable) throw firstError;

  const second = await attempt(provider, repairRequest(req, firstError), 2, opts);
  if (second.ok) {
    return { ...second.result, usage: sumUsage(firstError.usage, second.result.usage), attempts: 2 };
  }
  const last = second.error;
  const usage = last.usage === undefined ? firstError.usage : sumUsage(firstError.usage, last.usage);
  throw new ModelOutputInvalid(`${last.message} (after one repair round)`, {
    reason: last.reason,
    issues: last.issues,
    ...(last.raw === undefined ? {} : { raw: last.raw }),
    ...(usage === undefined ? {} : { usage }),
    cause: last,
  });
}

type AttemptOutcome<T> = { ok: true; result: StructuredResult<T> } | { ok: false; error: ModelOutputInvalid };

async function attempt<T>(
  provider: LlmProvider,
  req: StructuredRequest<T>,
  n: 1 | 2,
  opts: RepairOptions,
): Promise<AttemptOutcome<T>> {
  try {
    const result = await provider.generateStructured(req);
    await opts.onAttempt?.({ attempt: n, purpose: req.purpose, outcome: 'ok', usage: result.usage });
    return { ok: true, result };
  } catch (error) {
    if (error instanceof ModelOutputInvalid) {
      await opts.onAttempt?.({
        attempt: n,
        purpose: req.purpose,
        outcome: 'invalid',
        ...(error.usage === undefined ? {} : { usage: error.usage }),
        error,
      });
      return { ok: false, error };
    }
    await opts.onAttempt?.({ attempt: n, purpose: req.purpose, outcome: 'error', error });
    throw error;
  }
}

/** The original request plus what was wrong with the answer. Provider-neutral: only the prompt changes. */
export function repairRequest<T>(req: StructuredRequest<T>, error: ModelOutputInvalid): StructuredRequest<T> {
  const parts = [
    req.prompt,
    '',
    '---',
    `Your previous answer was rejected: it is not a valid ${req.schemaName}.`,
    'Problems:',
    formatIssues(error.issues),
  ];
  if (error.reason === 'max_tokens') {
    parts.push('The answer was cut off at the length limit: give a shorter, complete answer.');
  }
  if (error.raw !== undefined && error.raw.trim() !== '') {
    parts.push('', 'Rejected answer:', clip(error.raw, MAX_RAW_IN_PROMPT));
  }
  parts.push(
    '',
    `Answer again with a complete, corrected ${req.schemaName} that satisfies the schema exactly.`,
  );
  return { ...req, prompt: parts.join('\n') };
}

/** `- at steps.0.tool: Invalid option ...`, one line per issue, capped. */
export function formatIssues(issues: readonly OutputIssue[]): string {
  const lines = issues.slice(0, MAX_ISSUES_IN_PROMPT).map((issue) => {
    const where = issue.path.length === 0 ? '(root)' : issue.path.join('.');
    return `- at ${where}: ${issue.message}`;
  });
  if (issues.length > MAX_ISSUES_IN_PROMPT) {
    lines.push(`- ... and ${issues.length - MAX_ISSUES_IN_PROMPT} more`);
  }
  return lines.join('\n');
}

function sumUsage(a: ModelUsage | undefined, b: ModelUsage): ModelUsage {
  if (a === undefined) return b;
  return {
    provider: b.provider,
    model: b.model,
    tokens_in: a.tokens_in + b.tokens_in,
    tokens_out: a.tokens_out + b.tokens_out,
    latency_ms: a.latency_ms + b.latency_ms,
  };
}
