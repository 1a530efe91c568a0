import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { toModelJsonSchema } from '#adapters/llm/structured.ts';
import { answerJsonSchema, toolInputJsonSchema } from '#domain/llm/json-schemas.ts';
import { guardianVerdictSchema } from '#domain/llm/provider.ts';
import { planSchema } from '#domain/schemas.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';
import { generateToolInputJsonSchema, modelJsonSchemasText } from '../../lib/schemas/json-schemas.ts';

const shippedFile = new URL('../../lambdas/domain/llm/json-schemas.json', import.meta.url);

describe('the JSON Schemas models are given (lambdas/domain/llm/json-schemas.json)', () => {
  it('are what npm run build:json-schemas writes from the zod schemas today', () => {
    // Fails when a schema changed and the file was not regenerated: run npm run build:json-schemas.
    expect(readFileSync(shippedFile, 'utf8')).toBe(modelJsonSchemasText());
  });

  it("are the input side of the guardian's verdict and of the plan, objects closed", () => {
    expect(answerJsonSchema('guardian_verdict')).toEqual(toModelJsonSchema(guardianVerdictSchema));
    expect(answerJsonSchema('plan')).toEqual(toModelJsonSchema(planSchema));
    expect(answerJsonSchema('plan')).toMatchObject({ type: 'object', additionalProperties: false });
  });

  it("hold every tool's input, whatever the ports (they shape descriptions, not inputs)", () => {
    const wired = defaultToolRegistry({ allowedHosts: ['api.example.com'], defaultOrigins: ['PAR'] });
    for (const name of wired.names()) {
      const tool = wired.get(name);
      expect(tool && toolInputJsonSchema(name)).toEqual(
        tool && generateToolInputJsonSchema(tool.inputSchema),
      );
    }
    expect(() => toolInputJsonSchema('teleport')).toThrow(/no JSON Schema for tool teleport/);
  });

  it('are what a planner is told about the tools', () => {
    const described = defaultToolRegistry().describe();
    expect(described.map((t) => t.name)).toEqual(defaultToolRegistry().names());
    for (const tool of described) expect(tool.input_schema).toBe(toolInputJsonSchema(tool.name));
  });
});
