import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toEventBody, type WorkflowEventType } from '../../lambdas/domain/schemas.ts';
import type { WorkflowEventBody } from '../../lib/client.ts';
import { currentState, planGraph, planSteps, stateMachineGraph } from '../../lib/console/graphs.ts';
import { statusAfter } from '../../lib/react/use-agent-workflow.ts';
import { logEvent } from '../support/events.ts';

const asl = JSON.parse(
  readFileSync(new URL('../../statemachines/workflow.asl.json', import.meta.url), 'utf8'),
);
let seq = 0;
const event = (type: WorkflowEventType, data: Record<string, unknown> = {}): WorkflowEventBody =>
  toEventBody(
    logEvent(type, data, { workflow_id: 'wf_consolegraphs01', seq: ++seq, at: '2026-12-01T10:00:00.000Z' }),
  );

describe('console graphs', () => {
  it('draws every top-level state of the ASL file, the start on top, with its transitions', () => {
    const graph = stateMachineGraph(asl);
    expect(graph.nodes.map((n) => n.id).sort()).toEqual(Object.keys(asl.States).sort());
    expect(graph.nodes.find((n) => n.id === asl.StartAt)?.layer).toBe(0);
    expect(graph.edges).toContainEqual({ from: 'Wait for approval', to: 'Any steps ready?' });
    expect(graph.edges.filter((e) => e.dashed).map((e) => e.to)).toContain('Roll back completed steps');
  });

  it('names the state a workflow is in from its log (every name a state of the ASL file)', () => {
    const story = [
      event('GoalReceived'),
      event('GuardianChecked', { allowed: true }),
      event('PlanCreated'),
      event('StepStarted', { step_id: 'a' }),
      event('ApprovalRequested', { step_ids: ['b'] }),
    ];
    expect(currentState(story)).toBe('Wait for approval');
    expect(currentState([...story, event('ApprovalGranted'), event('WorkflowCompleted')])).toBe(
      'Workflow completed',
    );
    for (const type of <const>[
      'GoalReceived',
      'PlanCreated',
      'StepFailed',
      'WorkflowCancelled',
      'WorkflowRejected',
    ]) {
      expect(Object.keys(asl.States)).toContain(currentState([event(type)]));
    }
  });

  it("lays the plan's DAG out by dependencies, each step in the state its events leave it", () => {
    const events = [
      event('PlanCreated', {
        plan: {
          steps: [
            { id: 'search', tool: 'search_flights', input: {}, depends_on: [] },
            { id: 'approve', tool: 'human_approval', input: {}, depends_on: ['search'] },
            { id: 'book', tool: 'book_flight', input: {}, depends_on: ['approve'] },
          ],
        },
      }),
      event('StepSucceeded', { step_id: 'search' }),
      event('ApprovalRequested', { step_ids: ['approve'] }),
    ];
    const steps = planSteps(events);
    expect(steps.map((s) => [s.id, s.state])).toEqual([
      ['search', 'succeeded'],
      ['approve', 'waiting'],
      ['book', 'pending'],
    ]);
    expect(planGraph(steps).nodes.map((n) => n.layer)).toEqual([0, 1, 2]);
  });
});

describe('useAgentWorkflow status', () => {
  it('follows the contract statuses as events arrive', () => {
    expect(statusAfter(event('GoalReceived'), 'submitting')).toBe('running');
    expect(statusAfter(event('ApprovalRequested'), 'running')).toBe('waiting');
    expect(statusAfter(event('ApprovalGranted'), 'waiting')).toBe('running');
    expect(statusAfter(event('WorkflowCompleted'), 'running')).toBe('completed');
    expect(statusAfter(event('WorkflowRejected'), 'running')).toBe('rejected');
  });
});
