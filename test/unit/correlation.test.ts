import { describe, expect, it } from 'vitest';
import { correlationKeys, hashedUserId } from '../../lambdas/adapters/logger.ts';
import { taskCorrelation } from '../../lambdas/middleware/task.ts';

describe('correlation ids', () => {
  it("logs a user as a stable hash, never the JWT's subject itself", () => {
    const keys = correlationKeys({ workflowId: 'wf_1', userId: 'alice@example.com', executionArn: 'arn:x' });
    expect(keys).toEqual({
      workflow_id: 'wf_1',
      user_id: hashedUserId('alice@example.com'),
      execution_arn: 'arn:x',
    });
    expect(keys.user_id).toMatch(/^[0-9a-f]{16}$/);
    expect(JSON.stringify(keys)).not.toContain('alice');
    expect(correlationKeys({})).toEqual({});
  });

  it("takes a state task's workflow, user and execution from the payload the ASL builds", () => {
    expect(
      taskCorrelation({
        workflow_id: 'wf_1',
        user_id: 'alice',
        execution_arn: 'arn:aws:states:eu-west-1:1:execution:wf:wf_1',
        goal: 'Book a flight to NYC',
      }),
    ).toEqual({
      workflowId: 'wf_1',
      userId: 'alice',
      executionArn: 'arn:aws:states:eu-west-1:1:execution:wf:wf_1',
    });
    // A malformed payload has no ids (the use case refuses it), and correlation never throws.
    expect(taskCorrelation({ workflow_id: 7 })).toEqual({
      workflowId: undefined,
      userId: undefined,
      executionArn: undefined,
    });
    expect(taskCorrelation(null)).toEqual({
      workflowId: undefined,
      userId: undefined,
      executionArn: undefined,
    });
  });
});
