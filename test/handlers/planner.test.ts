import {
  BedrockRuntimeClient,
  type ContentBlock,
  ConverseCommand,
  type StopReason,
  ThrottlingException,
} from '@aws-sdk/client-bedrock-runtime';
import { PutCommand } from '@aws-sdk/lib-dynamodb';
import type { DocumentType } from '@smithy/types';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { dynamo } from '#adapters/aws/dynamodb.ts';
import { createAgentModelFromConfig } from '#adapters/llm/index.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import * as z from '#domain/zod.ts';
import { llmConfigOf } from '#middleware/models.ts';
import { handler as planner } from '../../lambdas/handlers/states/planner.ts';
import { planWorkflow } from '../../lambdas/usecases/plan-steps.ts';
import { type Item, installFakeDynamo, lambdaContext, storedEvents, TABLES } from './harness.ts';

vi.hoisted(() => {
  process.env.EVENT_LOG_TABLE = 'test-events';
  process.env.STATE_TABLE = 'test-state';
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
});

const fake = installFakeDynamo();
/** The stored plans (the state table also holds the log's head and markers). */
const planItems = () => fake.items(TABLES.state).filter((i) => i.sk === 'PLAN');
const input = (workflow_id: string, goal: string, context: Record<string, unknown> = {}) => ({
  workflow_id,
  user_id: 'alice',
  goal,
  context,
});

beforeEach(() => fake.reset());

describe('planner task', () => {
  it('stores the plan, records PlanCreated and returns the steps without dependencies', async () => {
    const id = 'wf_plannerok00001';
    const result = await planner(
      input(id, 'Book a flight from London to Paris and a hotel in Paris'),
      lambdaContext,
    );
    expect(result).toEqual({ ready: ['search_flight_1', 'search_hotel_2'], done: [] });
    const [item] = planItems();
    expect(item).toMatchObject({
      pk: `WF#${id}`,
      sk: 'PLAN',
      source: 'planner',
      provider: 'offline',
      expires_at: expect.any(Number),
    });
    expect(fake.mock).toHaveReceivedCommandWith(PutCommand, {
      TableName: TABLES.state,
      ConditionExpression: expect.stringContaining('attribute_not_exists(pk)'),
    });
    const events = storedEvents(fake, id);
    expect(events.map((e) => e.event_id)).toEqual(['ModelCalled:planner:1', 'PlanCreated']);
    expect(events[0]?.data).toMatchObject({ purpose: 'planner', provider: 'offline' });
    expect(events[1]?.data).toMatchObject({ source: 'planner', steps_total: 4, provider: 'offline' });
  });

  it('takes the origin from context.home_city', async () => {
    const id = 'wf_plannerhome001';
    await planner(input(id, 'Fly to Tokyo', { home_city: 'Berlin' }), lambdaContext);
    const plan = planItems()[0]?.plan;
    expect(plan).toMatchObject({
      steps: [{ id: 'search_flight_1', input: { origin: 'Berlin', destination: 'Tokyo' } }, {}],
    });
  });

  it('keeps the first stored plan on a re-run', async () => {
    const id = 'wf_plannerrerun01';
    await planner(input(id, 'Book a flight to Rome'), lambdaContext);
    const again = await planner(input(id, 'Book a hotel in Lisbon'), lambdaContext);
    expect(again).toEqual({ ready: ['search_flight_1'], done: [] });
    expect(storedEvents(fake, id).map((e) => e.event_id)).toEqual(['ModelCalled:planner:1', 'PlanCreated']);
  });

  it('plans a goal with an unknown city (the step fails later, not the plan)', async () => {
    const result = await planner(
      input('wf_planneratlant1', 'Book a flight to NYC, then book a hotel in Atlantis'),
      lambdaContext,
    );
    expect(result).toEqual({ ready: ['search_flight_1'], done: [] });
  });

  it('fails with PlanInvalid and a helpful message for a goal it cannot understand', async () => {
    const id = 'wf_plannergibber1';
    await expect(planner(input(id, 'blorp zzzt quux'), lambdaContext)).rejects.toMatchObject({
      name: 'WorkflowError',
      code: 'PlanInvalid',
      message: expect.stringContaining('Book a flight to Paris'),
    });
    expect(planItems()).toEqual([]);
  });

  it('plans a human_approval step when the goal asks for approval', async () => {
    const id = 'wf_plannerapprov1';
    await planner(input(id, 'Book a flight to Rome with my approval'), lambdaContext);
    const plan = planItems()[0]?.plan;
    expect(JSON.stringify(plan)).toContain('"tool":"human_approval"');
  });
});

describe('planner task with a model (Bedrock Converse, mocked)', () => {
  const MODEL_ID = 'us.amazon.nova-lite-v1:0';
  const bedrock = mockClient(BedrockRuntimeClient);
  const client = new BedrockRuntimeClient({ region: 'us-east-1' });
  const model = createAgentModelFromConfig(
    { ...llmConfigOf({ LLM_PROVIDER: 'bedrock', BEDROCK_MODEL_ID: MODEL_ID }) },
    { bedrockClient: client },
  );
  const tools = defaultToolRegistry();
  const deps = {
    events: { client: dynamo, tableName: TABLES.events, stateTable: TABLES.state },
    state: { client: dynamo, tableName: TABLES.state, ttlDays: 90 },
    model,
    tools,
  };
  const converse = (content: ContentBlock[], stopReason: StopReason = 'tool_use', tokens = [200, 50]) => ({
    $metadata: { httpStatusCode: 200 },
    output: { message: { role: 'assistant' as const, content } },
    stopReason,
    usage: { inputTokens: tokens[0] ?? 0, outputTokens: tokens[1] ?? 0, totalTokens: 0 },
    metrics: { latencyMs: 1 },
  });
  const planAnswer = (plan: DocumentType, tokens?: number[]) =>
    converse([{ toolUse: { toolUseId: 't1', name: 'plan', input: plan } }], 'tool_use', tokens);
  const dataOf = (event: Item | undefined) => z.parse(z.record(z.string(), z.unknown()), event?.data);
  const good: DocumentType = {
    steps: [
      { id: 'search', tool: 'search_flights', input: { origin: 'LON', destination: 'Rome' }, depends_on: [] },
      {
        id: 'book',
        tool: 'book_flight',
        input: { offer: { $from: 'search', path: 'offers.0' } },
        depends_on: ['search'],
      },
    ],
  };
  const unknownTool: DocumentType = {
    steps: [{ id: 'teleport', tool: 'teleport', input: { to: 'Rome' }, depends_on: [] }],
  };
  const cyclic: DocumentType = {
    steps: [
      { id: 'a', tool: 'search_hotels', input: { city: 'Rome' }, depends_on: ['b'] },
      { id: 'b', tool: 'search_hotels', input: { city: 'Paris' }, depends_on: ['a'] },
    ],
  };
  const modelEvents = (id: string) => storedEvents(fake, id).filter((e) => e.type === 'ModelCalled');
  const userPrompt = (call: number): string =>
    bedrock.commandCalls(ConverseCommand)[call]?.args[0].input.messages?.[0]?.content?.[0]?.text ?? '';

  beforeEach(() => bedrock.reset());

  it('stores a valid plan after one call and records it with attempt 1', async () => {
    const id = 'wf_modelplanok001';
    bedrock.on(ConverseCommand).resolves(planAnswer(good, [321, 45]));
    const result = await planWorkflow(deps, input(id, 'Book a flight from London to Rome'));
    expect(result).toEqual({ ready: ['search'], done: [] });
    expect(storedEvents(fake, id).map((e) => e.event_id)).toEqual(['ModelCalled:planner:1', 'PlanCreated']);
    expect(modelEvents(id)[0]?.data).toEqual({
      purpose: 'planner',
      provider: 'bedrock',
      model: MODEL_ID,
      tokens_in: 321,
      tokens_out: 45,
      latency_ms: expect.any(Number),
      attempt: 1,
      outcome: 'ok',
    });
    expect(storedEvents(fake, id)[1]?.data).toMatchObject({ provider: 'bedrock', model: MODEL_ID });
    expect(planItems()[0]).toMatchObject({ provider: 'bedrock', model: MODEL_ID });
  });

  it('tells the model the tool catalogue: names, descriptions and JSON input schemas', async () => {
    bedrock.on(ConverseCommand).resolves(planAnswer(good));
    await planWorkflow(deps, input('wf_modelplancat01', 'Book a flight from London to Rome'));
    const system = bedrock.commandCalls(ConverseCommand)[0]?.args[0].input.system?.[0]?.text ?? '';
    for (const name of ['search_flights', 'book_flight', 'http_request', 'llm_generate', 'human_approval']) {
      expect(system).toContain(`"name":"${name}"`);
    }
    expect(system).toContain('"input_schema"');
    expect(system).toContain('"destination"');
    expect(userPrompt(0)).toContain('Book a flight from London to Rome');
  });

  it('repairs an invalid plan once: the second call gets the validation errors and the rejected plan', async () => {
    const id = 'wf_modelrepair001';
    bedrock.on(ConverseCommand).resolvesOnce(planAnswer(unknownTool)).resolves(planAnswer(good));
    const result = await planWorkflow(deps, input(id, 'Book a flight from London to Rome'));
    expect(result).toEqual({ ready: ['search'], done: [] });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
    expect(userPrompt(1)).toContain('Your previous plan was rejected');
    expect(userPrompt(1)).toContain('unknown tool teleport');
    expect(userPrompt(1)).toContain('"tool":"teleport"');
    expect(modelEvents(id).map((e) => [e.event_id, dataOf(e).attempt, dataOf(e).outcome])).toEqual([
      ['ModelCalled:planner:1', 1, 'invalid'],
      ['ModelCalled:planner:2', 2, 'ok'],
    ]);
    expect(planItems()[0]?.plan).toMatchObject({ steps: [{ id: 'search' }, { id: 'book' }] });
  });

  it('fails with PlanInvalid when the repaired plan is still invalid, recording both calls', async () => {
    const id = 'wf_modelbadbad001';
    bedrock.on(ConverseCommand).resolves(planAnswer(unknownTool));
    await expect(planWorkflow(deps, input(id, 'Teleport me to Rome'))).rejects.toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringMatching(/after one repair round.*unknown tool teleport/),
    });
    expect(modelEvents(id).map((e) => e.event_id)).toEqual([
      'ModelCalled:planner:1',
      'ModelCalled:planner:2',
    ]);
    expect(storedEvents(fake, id).map((e) => e.type)).not.toContain('PlanCreated');
    expect(planItems()).toEqual([]);
  });

  it('turns garbage (text instead of a plan) into a clean PlanInvalid after the repair round', async () => {
    const id = 'wf_modelgarbage01';
    bedrock.on(ConverseCommand).resolves(converse([{ text: 'lol what is a plan' }], 'end_turn'));
    await expect(planWorkflow(deps, input(id, 'Book a flight to Rome'))).rejects.toMatchObject({
      name: 'PlanInvalid',
    });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 2);
    expect(userPrompt(1)).toContain('lol what is a plan');
    expect(modelEvents(id)).toHaveLength(2);
  });

  it('repairs a plan that does not fit the schema (a step without a tool)', async () => {
    const id = 'wf_modelschema001';
    const broken: DocumentType = { steps: [{ id: 'search', input: { destination: 'Rome' } }] };
    bedrock.on(ConverseCommand).resolvesOnce(planAnswer(broken)).resolves(planAnswer(good));
    await expect(planWorkflow(deps, input(id, 'Book a flight to Rome'))).resolves.toEqual({
      ready: ['search'],
      done: [],
    });
    expect(userPrompt(1)).toContain('steps.0.tool');
  });

  it('fails a cyclic plan with PlanInvalid naming the cycle', async () => {
    bedrock.on(ConverseCommand).resolves(planAnswer(cyclic));
    await expect(
      planWorkflow(deps, input('wf_modelcyclic001', 'Hotels in Rome and Paris')),
    ).rejects.toMatchObject({ name: 'PlanInvalid', message: expect.stringContaining('dependency cycle') });
  });

  it('fails a plan over 25 steps with PlanInvalid', async () => {
    const steps: DocumentType[] = Array.from({ length: 26 }, (_, i) => ({
      id: `s${i}`,
      tool: 'search_hotels',
      input: { city: 'Rome' },
      depends_on: [],
    }));
    bedrock.on(ConverseCommand).resolves(planAnswer({ steps }));
    await expect(planWorkflow(deps, input('wf_modeltoolong01', 'Many hotels'))).rejects.toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringContaining('steps'),
    });
  });

  it('fails an empty plan with PlanInvalid without a repair round, quoting why', async () => {
    const id = 'wf_modelempty0001';
    bedrock.on(ConverseCommand).resolves(planAnswer({ steps: [], summary: 'I cannot order pizza.' }));
    await expect(planWorkflow(deps, input(id, 'Order a pizza'))).rejects.toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringContaining('I cannot order pizza.'),
    });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
    expect(modelEvents(id).map((e) => dataOf(e).outcome)).toEqual(['invalid']);
  });

  it('fails with PlanInvalid without a repair round when the model refuses', async () => {
    bedrock.on(ConverseCommand).resolves(converse([{ text: 'blocked' }], 'content_filtered'));
    await expect(planWorkflow(deps, input('wf_modelrefuse001', 'Book a flight'))).rejects.toMatchObject({
      name: 'PlanInvalid',
      message: expect.stringContaining('refused'),
    });
    expect(bedrock).toHaveReceivedCommandTimes(ConverseCommand, 1);
  });

  it('lets a throttled call fail as TransientError (retried by the ASL) and records nothing', async () => {
    const id = 'wf_modelthrottle1';
    bedrock.on(ConverseCommand).rejects(new ThrottlingException({ message: 'slow down', $metadata: {} }));
    await expect(planWorkflow(deps, input(id, 'Book a flight'))).rejects.toMatchObject({
      name: 'TransientError',
    });
    expect(storedEvents(fake, id)).toEqual([]);
  });

  it('numbers the calls of a re-run after the first run failed, so every billed call is recorded', async () => {
    const id = 'wf_modelrerun0001';
    bedrock
      .on(ConverseCommand)
      .resolvesOnce(planAnswer(unknownTool))
      .rejectsOnce(new ThrottlingException({ message: 'slow down', $metadata: {} }))
      .resolves(planAnswer(good));
    await expect(planWorkflow(deps, input(id, 'Book a flight'))).rejects.toMatchObject({
      name: 'TransientError',
    });
    expect(modelEvents(id).map((e) => e.event_id)).toEqual(['ModelCalled:planner:1']);
    await planWorkflow(deps, input(id, 'Book a flight'));
    expect(modelEvents(id).map((e) => e.event_id)).toEqual([
      'ModelCalled:planner:1',
      'ModelCalled:planner:2',
    ]);
    expect(dataOf(modelEvents(id)[1]).attempt).toBe(1);
  });
});
