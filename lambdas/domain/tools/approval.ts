import { NamedError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';
import { HUMAN_APPROVAL_TOOL } from '../dag.ts';
import { once } from '../once.ts';
import { defineTool, type Tool } from './types.ts';

/*
 * `human_approval`: a step that pauses the workflow until a person answers
 * `POST /workflows/{id}/signals/approval`. It is never executed like other tools: "Run step" marks it
 * awaiting, the state machine waits in "Wait for approval" (a `.waitForTaskToken` callback), and the
 * signal stores its output ({approved, comment?, decided_at}) so that it counts as done.
 */

export const approvalInputSchema = once(() =>
  z.object({
    /** The question shown to the person, e.g. "Approve booking a flight to Rome?". */
    prompt: z.string().check(z.minLength(1), z.maxLength(500)),
    /** What is to be approved (typically a reference to an offer found by an earlier step). */
    details: z.optional(z.unknown()),
  }),
);

export const approvalOutputSchema = z.object({
  approved: z.literal(true),
  /** The approver's comment, redacted. */
  comment: z.optional(z.string()),
  decided_at: z.string(),
});
export type ApprovalOutput = z.infer<typeof approvalOutputSchema>;

/** Thrown if something tries to run an approval step as a tool: only a signal answers it. */
export class ApprovalNotExecutable extends NamedError {
  constructor(message: string) {
    super('ApprovalNotExecutable', message);
  }
}

/** The `human_approval` tool definition. */
export function createApprovalTool(): Tool {
  return defineTool({
    name: HUMAN_APPROVAL_TOOL,
    description:
      'Pauses the workflow until the user approves or denies (POST /workflows/{id}/signals/approval). ' +
      'Put it between a search and the booking that needs consent; denied or timed out, the workflow is ' +
      'cancelled and rolled back.',
    sideEffect: false,
    input: approvalInputSchema,
    output: approvalOutputSchema,
    execute: async () => {
      throw new ApprovalNotExecutable('human_approval steps are answered by an approval signal');
    },
    summarize: (out) => ({ approved: out.approved, ...(out.comment ? { comment: out.comment } : {}) }),
  });
}
