import { describe, expect, it, vi } from 'vitest';
import { actionsOf, functionId, onlyResourceId, resourcesOf, statementsOfFunction, synth } from './synth.ts';

// No function publishes to the bus yet: pretend the finalize task does, to pin down what that would grant.
vi.mock('../../lib/specs.ts', async (importOriginal) => {
  const original = await importOriginal<typeof import('../../lib/specs.ts')>();
  return {
    ...original,
    functionSpecs: {
      ...original.functionSpecs,
      finalize: { ...original.functionSpecs.finalize, putsEvents: true },
    },
  };
});

describe('event bus', () => {
  const synthesized = synth();
  const { template, stack } = synthesized;
  const busId = onlyResourceId(template, 'AWS::Events::EventBus');

  it('has a generated name and is an output', () => {
    expect(template.toJSON().Resources[busId].Properties.Name).toMatch(/^Omnilink/);
    template.hasOutput('EventBusName', { Value: { Ref: busId } });
  });

  it('gives a publishing function EVENT_BUS_NAME and PutEvents on this bus only', () => {
    const fn = template.toJSON().Resources[functionId(stack, 'finalize')];
    expect(fn.Properties.Environment.Variables.EVENT_BUS_NAME).toEqual({ Ref: busId });
    const statements = statementsOfFunction(synthesized, 'finalize').filter((s) =>
      actionsOf(s).includes('events:PutEvents'),
    );
    expect(statements.flatMap(resourcesOf)).toEqual([{ 'Fn::GetAtt': [busId, 'Arn'] }]);
  });

  it('gives functions that do not publish neither the bus name nor PutEvents', () => {
    const fn = template.toJSON().Resources[functionId(stack, 'producer')];
    expect(fn.Properties.Environment.Variables.EVENT_BUS_NAME).toBeUndefined();
    const actions = statementsOfFunction(synthesized, 'producer').flatMap(actionsOf);
    expect(actions).not.toContain('events:PutEvents');
  });
});
