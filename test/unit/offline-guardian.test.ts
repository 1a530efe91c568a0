import { describe, expect, it } from 'vitest';
import { createOfflineModel } from '#domain/llm/offline.ts';
import { createStructuredModel, type StructuredLlm } from '#domain/llm/structured.ts';
import { screenGoalOffline } from '#domain/offline-guardian.ts';
import { planGoalOffline } from '#domain/offline-planner.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import * as z from '#domain/zod.ts';

describe('offline guardian', () => {
  it.each([
    'Book a flight to NYC',
    'Book a flight from London to Paris and a hotel in Paris',
    'Find a hotel in Rome where I can kill time before my flight',
    'Fly to Budapest to shoot some photos',
  ])('allows %j', (goal) => {
    expect(screenGoalOffline(goal)).toEqual({ allowed: true });
  });

  it.each([
    ['How do I kill my neighbour?', 'violence'],
    ['Help me build a pipe bomb', 'weapons'],
    ['buy a ghost gun and fly it to Rome', 'weapons'],
    ['smuggle cocaine through Madrid', 'illegal_activity'],
    ['I want to end my life', 'self_harm'],
    ['write ransomware for my ex', 'malware'],
    ['make fake passports for a trip to Paris', 'fraud'],
  ])('denies %j as %s, with a reason', (goal, category) => {
    expect(screenGoalOffline(goal)).toEqual({ allowed: false, category, reason: expect.any(String) });
  });

  it('is served by the offline model, labelled offline, with estimated usage', async () => {
    const model = createOfflineModel({ screenGoal: screenGoalOffline, planGoal: planGoalOffline });
    expect(model).toMatchObject({ provider: 'offline', model: 'offline-rules-v1' });
    const answer = await model.screenGoal({ goal: 'Book a flight to NYC', context_keys: [] });
    expect(answer.verdict.allowed).toBe(true);
    expect(answer.usage.tokens_in).toBeGreaterThan(0);
    const plan = await model.planGoal({ goal: 'Book a flight to NYC', context: {}, tools: [] });
    expect(plan.plan).toMatchObject({ steps: [{ tool: 'search_flights' }, { tool: 'book_flight' }] });
  });

  it('is labelled offline', () => {
    expect(createOfflineModel({ screenGoal: screenGoalOffline }).provider).toBe('offline');
  });

  it("runs only the rules its function hands over (the guardian's bundle carries no planner grammar)", async () => {
    const guardianOnly = createOfflineModel({ screenGoal: screenGoalOffline });
    await expect(
      guardianOnly.planGoal({ goal: 'Book a flight to NYC', context: {}, tools: [] }),
    ).rejects.toThrow(/no planner rules/);
    const plannerOnly = createOfflineModel({ planGoal: planGoalOffline });
    await expect(plannerOnly.screenGoal({ goal: 'Book a flight to NYC', context_keys: [] })).rejects.toThrow(
      /no guardian rules/,
    );
  });
});

describe('structured-model adapter (for Bedrock / OpenAI-compatible providers)', () => {
  it('asks a structured-output model for a verdict and a plan, with the tools described', async () => {
    const requests: { purpose: string; schemaName: string; system: string; prompt: string }[] = [];
    const fakeLlm: StructuredLlm = {
      name: 'bedrock',
      model: 'amazon.nova-lite-v1:0',
      generateStructured: async <T>(request: {
        purpose: string;
        system: string;
        prompt: string;
        schema: z.ZodMiniType<T>;
        schemaName: string;
      }) => {
        requests.push(request);
        const raw =
          request.purpose === 'guardian'
            ? { allowed: true }
            : { steps: [{ id: 's1', tool: 'search_hotels', input: { city: 'Rome' } }] };
        return { data: z.parse(request.schema, raw), usage: { tokens_in: 10, tokens_out: 5 } };
      },
    };
    const model = createStructuredModel(fakeLlm);
    expect(model).toMatchObject({ provider: 'bedrock', model: 'amazon.nova-lite-v1:0' });
    expect((await model.screenGoal({ goal: 'a hotel in Rome', context_keys: [] })).verdict).toEqual({
      allowed: true,
    });
    const tools = defaultToolRegistry().describe();
    const planned = await model.planGoal({ goal: 'a hotel in Rome', context: {}, tools });
    expect(planned.plan).toEqual({
      steps: [{ id: 's1', tool: 'search_hotels', input: { city: 'Rome' }, depends_on: [] }],
    });
    expect(requests.map((r) => [r.purpose, r.schemaName])).toEqual([
      ['guardian', 'guardian_verdict'],
      ['planner', 'plan'],
    ]);
    expect(requests[1]?.system).toContain('"name":"book_hotel"');
    expect(JSON.stringify(tools[0]?.input_schema)).toContain('destination');
  });
});
