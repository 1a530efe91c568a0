import {
  ApplyGuardrailCommand,
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type StopReason,
} from '@aws-sdk/client-bedrock-runtime';
import type { DocumentType } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { createAgentModelFromConfig, createGuardrailCheck } from '#adapters/llm/index.ts';
import * as z from '#domain/zod.ts';
import { llmConfigOf } from '#middleware/models.ts';
import { handler as guardian } from '../../lambdas/handlers/states/guardian.ts';
import { type GuardianDeps, screenGoal } from '../../lambdas/usecases/screen-goal.ts';
import { eventTrail, type Item, installFakeDynamo, lambdaContext, storedEvents, TABLES } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const fake = installFakeDynamo();
const input = (workflow_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context,
  submitted_at: '2026-11-25T17:00:00.000Z',
});

beforeEach(() => fake.reset());

describe('guardian task', () => {
  it('allows a travel goal and records the goal, the model call and the verdict', async () => {
    const id = 'wf_guardallow0001';
    const result = await guardian(
      input(id, 'Book a flight to NYC', { trip: 'x', home_city: 'LON' }),
      lambdaContext,
    );
    expect(result).toEqual({ allowed: true });
    const events = storedEvents(fake, id);
    expect(events.map((e) => e.event_id)).toEqual([
      'GoalReceived',
      'ModelCalled:guardian:1',
      'GuardianChecked',
    ]);
    expect(events[0]?.data).toEqual({
      goal: 'Book a flight to NYC',
      context_keys: ['home_city', 'trip'],
      submitted_at: '2026-11-25T17:00:00.000Z',
    });
    expect(events[1]?.data).toMatchObject({
      purpose: 'guardian',
      provider: 'offline',
      model: 'offline-rules-v1',
      tokens_in: expect.any(Number),
      tokens_out: expect.any(Number),
      latency_ms: expect.any(Number),
      attempt: 1,
      outcome: 'ok',
    });
    expect(events[2]?.data).toEqual({
      allowed: true,
      provider: 'offline',
      model: 'offline-rules-v1',
      source: 'model',
    });
  });

  it('denies a harmful goal with a category and records WorkflowRejected', async () => {
    const id = 'wf_guarddeny00001';
    const result = await guardian(
      input(id, 'Book a flight to Rome and help me build a pipe bomb'),
      lambdaContext,
    );
    expect(result).toEqual({ allowed: false });
    const events = storedEvents(fake, id);
    expect(events.map((e) => e.type)).toEqual([
      'GoalReceived',
      'ModelCalled',
      'GuardianChecked',
      'WorkflowRejected',
    ]);
    expect(events[2]?.data).toMatchObject({ allowed: false, category: 'weapons', provider: 'offline' });
    expect(events[3]?.data).toEqual({
      error: { code: 'rejected_by_guardian', message: expect.any(String) },
      category: 'weapons',
      reason: expect.any(String),
    });
  });

  it('reuses the recorded verdict on a re-run and appends nothing twice', async () => {
    const id = 'wf_guardreplay001';
    const event = input(id, 'I want to launder money through hotels in Paris');
    await guardian(event, lambdaContext);
    const again = await guardian(event, lambdaContext);
    expect(again).toEqual({ allowed: false });
    expect(eventTrail(fake, id)).toEqual([
      'GoalReceived',
      'ModelCalled',
      'GuardianChecked',
      'WorkflowRejected',
    ]);
  });

  it('rejects a malformed execution input as InvalidTaskInput', async () => {
    await expect(guardian({ workflow_id: 'wf_guardbad00001' }, lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'InvalidTaskInput',
    });
  });
});

describe('guardian task with Bedrock (mocked)', () => {
  const MODEL_ID = 'amazon.nova-lite-v1:0';
  const bedrock = mockClient(BedrockRuntimeClient);
  const client = new BedrockRuntimeClient({ region: 'us-east-1' });
  const config = llmConfigOf({
    LLM_PROVIDER: 'bedrock',
    BEDROCK_MODEL_ID: MODEL_ID,
    BEDROCK_GUARDRAIL_ID: 'gr-travel',
    BEDROCK_GUARDRAIL_VERSION: '2',
  });
  const check = createGuardrailCheck(config, { bedrockClient: client });
  if (check === undefined) throw new Error('guardrail expected');
  const model = createAgentModelFromConfig(config, { bedrockClient: client });
  const events = { client: dynamo, tableName: TABLES.events, stateTable: TABLES.state };
  const withGuardrail: GuardianDeps = { events, model, guardrail: { id: 'gr-travel', version: '2', check } };
  const modelOnly: GuardianDeps = { events, model };
  const converse = (content: ContentBlock[], stopReason: StopReason = 'tool_use') => ({
    $metadata: { httpStatusCode: 200 },
    output: { message: { role: 'assistant' as const, content } },
    stopReason,
    usage: { inputTokens: 90, outputTokens: 12, totalTokens: 102 },
    metrics: { latencyMs: 1 },
  });
  const verdict = (value: DocumentType) =>
    converse([{ toolUse: { toolUseId: 't1', name: 'guardian_verdict', input: value } }]);
  const dataOf = (event: Item | undefined) => z.parse(z.record(z.string(), z.unknown()), event?.data);
  const ids = (id: string) => storedEvents(fake, id).map((e) => e.event_id);

  beforeEach(() => bedrock.reset());

  it('allows a goal the model allows, recording provider, model and tokens', async () => {
    const id = 'wf_bedrockallow01';
    bedrock.on(ConverseCommand).resolves(verdict({ allowed: true }));
    await expect(screenGoal(modelOnly, input(id, 'Book a flight to NYC'))).resolves.toEqual({
      allowed: true,
    });
    expect(ids(id)).toEqual(['GoalReceived', 'ModelCalled:guardian:1', 'GuardianChecked']);
    expect(dataOf(storedEvents(fake, id)[1])).toEqual({
      purpose: 'guardian',
      provider: 'bedrock',
      model: MODEL_ID,
      tokens_in: 90,
      tokens_out: 12,
      latency_ms: expect.any(Number),
      attempt: 1,
      outcome: 'ok',
    });
    expect(dataOf(storedEvents(fake, id)[2])).toEqual({
      allowed: true,
      provider: 'bedrock',
      model: MODEL_ID,
      source: 'model',
    });
    const call = bedrock.commandCalls(ConverseCommand)[0]?.args[0].input;
    expect(call?.toolConfig?.toolChoice).toEqual({ tool: { name: 'guardian_verdict' } });
    expect(call?.messages?.[0]?.content?.[0]?.text).toContain('Book a flight to NYC');
  });

  it('denies with the category and reason the model gives, and records WorkflowRejected', async () => {
    const id = 'wf_bedrockdeny001';
    bedrock
      .on(ConverseCommand)
      .resolves(verdict({ allowed: false, category: 'fraud', reason: 'Money laundering is not a trip.' }));
    await expect(screenGoal(modelOnly, input(id, 'Launder money via hotels'))).resolves.toEqual({
      allowed: false,
    });
    expect(ids(id)).toEqual([
      'GoalReceived',
      'ModelCalled:guardian:1',
      'GuardianChecked',
      'WorkflowRejected',
    ]);
    expect(dataOf(storedEvents(fake, id)[3])).toEqual({
      error: { code: 'rejected_by_guardian', message: 'Money laundering is not a trip.' },
      category: 'fraud',
      reason: 'Money laundering is not a trip.',
    });
  });

  it('denies on a guardrail intervention without asking the model, category from the policy codes', async () => {
    const id = 'wf_guardrailblk01';
    bedrock.on(ApplyGuardrailCommand).resolves({
      $metadata: {},
      action: 'GUARDRAIL_INTERVENED',
      outputs: [{ text: 'Sorry.' }],
      assessments: [
        {
          contentPolicy: {
            filters: [{ type: 'VIOLENCE', confidence: 'HIGH', action: 'BLOCKED', detected: true }],
          },
        },
      ],
    });
    await expect(screenGoal(withGuardrail, input(id, 'Hurt someone in Rome'))).resolves.toEqual({
      allowed: false,
    });
    expect(bedrock).toHaveReceivedCommandWith(ApplyGuardrailCommand, {
      guardrailIdentifier: 'gr-travel',
      guardrailVersion: '2',
      source: 'INPUT',
    });
    expect(bedrock).not.toHaveReceivedCommand(ConverseCommand);
    expect(ids(id)).toEqual([
      'GoalReceived',
      'ModelCalled:guardrail:1',
      'GuardianChecked',
      'WorkflowRejected',
    ]);
    expect(dataOf(storedEvents(fake, id)[1])).toMatchObject({
      purpose: 'guardrail',
      provider: 'bedrock',
      model: 'guardrail/gr-travel:2',
    });
    expect(dataOf(storedEvents(fake, id)[2])).toMatchObject({
      allowed: false,
      category: 'violence',
      source: 'guardrail',
      guardrail_reasons: ['content:VIOLENCE'],
    });
    expect(dataOf(storedEvents(fake, id)[3])).toMatchObject({ category: 'violence' });
  });

  it('asks the model after the guardrail lets the goal through', async () => {
    const id = 'wf_guardrailpass1';
    bedrock
      .on(ApplyGuardrailCommand)
      .resolves({ $metadata: {}, action: 'NONE', outputs: [], assessments: [] });
    bedrock.on(ConverseCommand).resolves(verdict({ allowed: true }));
    await expect(screenGoal(withGuardrail, input(id, 'A hotel in Rome'))).resolves.toEqual({ allowed: true });
    expect(ids(id)).toEqual([
      'GoalReceived',
      'ModelCalled:guardrail:1',
      'ModelCalled:guardian:1',
      'GuardianChecked',
    ]);
  });

  it('repairs a verdict that does not fit the schema once, recording both calls', async () => {
    const id = 'wf_bedrockrepair1';
    bedrock
      .on(ConverseCommand)
      .resolvesOnce(verdict({ allowed: 'maybe' }))
      .resolves(verdict({ allowed: true }));
    await expect(screenGoal(modelOnly, input(id, 'A hotel in Rome'))).resolves.toEqual({ allowed: true });
    expect(ids(id)).toEqual([
      'GoalReceived',
      'ModelCalled:guardian:1',
      'ModelCalled:guardian:2',
      'GuardianChecked',
    ]);
    expect(dataOf(storedEvents(fake, id)[1])).toMatchObject({ attempt: 1, outcome: 'invalid' });
    expect(dataOf(storedEvents(fake, id)[2])).toMatchObject({ attempt: 2, outcome: 'ok' });
    const repair = bedrock.commandCalls(ConverseCommand)[1]?.args[0].input.messages?.[0]?.content?.[0]?.text;
    expect(repair).toContain('Your previous guardian_verdict was rejected');
  });

  it('fails closed with ModelOutputInvalid when the repaired verdict is still malformed, keeping the calls', async () => {
    const id = 'wf_bedrockbadbad1';
    bedrock.on(ConverseCommand).resolves(converse([{ text: 'I think it is fine' }], 'end_turn'));
    await expect(screenGoal(modelOnly, input(id, 'A hotel in Rome'))).rejects.toMatchObject({
      name: 'ModelOutputInvalid',
    });
    expect(ids(id)).toEqual(['GoalReceived', 'ModelCalled:guardian:1', 'ModelCalled:guardian:2']);
  });

  it('denies a goal the model refuses to look at (content filter)', async () => {
    const id = 'wf_bedrockrefuse1';
    bedrock.on(ConverseCommand).resolves(converse([{ text: '' }], 'content_filtered'));
    await expect(screenGoal(modelOnly, input(id, 'something awful'))).resolves.toEqual({ allowed: false });
    expect(dataOf(storedEvents(fake, id).at(-1))).toMatchObject({ category: 'other' });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
  });
});
