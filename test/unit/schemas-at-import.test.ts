import { describe, expect, it, vi } from 'vitest';

/*
 * zod builds a schema when it is declared, and at a cold start its constructors run cold (~30 µs a
 * schema): the shared schema modules, which every function imports, build their objects at the first
 * parse (`z.lazy`) and only a few small ones at import. Measured by counting the schemas zod builds
 * while a module loads (each gets its `_zod` property defined once).
 */

async function schemasBuiltImporting(load: () => Promise<unknown>): Promise<number> {
  vi.resetModules();
  await import('../../lambdas/domain/zod.ts'); // zod and its configuration: not counted
  let built = 0;
  const define = Object.defineProperty;
  Object.defineProperty = (<T>(target: T, key: PropertyKey, attributes: PropertyDescriptor) => {
    if (key === '_zod') built += 1;
    return define(target, key, attributes);
  }) as typeof Object.defineProperty;
  try {
    await load();
  } finally {
    Object.defineProperty = define;
  }
  return built;
}

describe('schemas built when a shared module loads', () => {
  it.each([
    // [module, at most: what the module builds at import today, with some room]
    ['domain/schemas.ts', () => import('../../lambdas/domain/schemas.ts'), 25],
    ['domain/projection.ts (with schemas.ts)', () => import('../../lambdas/domain/projection.ts'), 27],
    ['domain/llm/provider.ts', () => import('../../lambdas/domain/llm/provider.ts'), 3],
    ['domain/tools/travel-schemas.ts', () => import('../../lambdas/domain/tools/travel-schemas.ts'), 15],
    // The tools' inputs are built at the tool's first use: the registry of every tool builds none.
    [
      'the tool registry (all tools, with travel-schemas.ts)',
      async () => {
        const [{ createToolRegistry }, { createTravelTools }] = await Promise.all([
          import('../../lambdas/domain/tools/types.ts'),
          import('../../lambdas/domain/tools/travel.ts'),
        ]);
        return createToolRegistry(createTravelTools());
      },
      45, // 108 when the inputs were built with their tools
    ],
  ] as const)('%s builds few (the many of them at their first parse)', async (_name, load, most) => {
    const built = await schemasBuiltImporting(load);
    expect(built).toBeGreaterThan(0); // the count sees zod at work
    expect(built).toBeLessThanOrEqual(most);
  });

  it('a lazy schema parses as the schema it builds', async () => {
    const { planSchema, workflowEventSchema } = await import('../../lambdas/domain/schemas.ts');
    const { workflowViewSchema, emptyView } = await import('../../lambdas/domain/projection.ts');
    expect(planSchema.parse({ steps: [{ id: 's1', tool: 'search_flights', input: {} }] })).toEqual({
      steps: [{ id: 's1', tool: 'search_flights', input: {}, depends_on: [] }],
    });
    expect(planSchema.safeParse({ steps: [{ id: 'S 1', tool: 'x', input: {} }] }).success).toBe(false);
    expect(workflowViewSchema.parse(emptyView)).toEqual(emptyView);
    const event = {
      workflow_id: 'wf_abcdefgh12',
      seq: 1,
      event_id: 'StepStarted:s1',
      at: '2026-12-03T00:00:00.000Z',
      type: 'StepStarted',
      data: { step_id: 's1', tool: 'search_flights' },
    };
    expect(workflowEventSchema.parse(event)).toEqual(event);
  });
});
