import shipped from './json-schemas.json' with { type: 'json' };

/*
 * The JSON Schemas models are given, generated from the zod schemas when the project is built
 * (lib/schemas/json-schemas.ts, `npm run build:json-schemas`) and shipped beside the bundles that
 * call a model or describe the tools: no Lambda carries zod's JSON Schema generator, and none runs it
 * at its first model call. test/unit/json-schemas.test.ts keeps the file in step with the schemas.
 */

/** A JSON Schema, as JSON. */
export type JsonSchema = Readonly<Record<string, unknown>>;

/** The answers a model is asked for, by `StructuredRequest.schemaName`. */
export type AnswerName = keyof typeof shipped.answers;

/** The JSON Schema of the input side of an answer's zod schema, objects closed. */
export function answerJsonSchema(name: AnswerName): JsonSchema {
  return shipped.answers[name];
}

/** The JSON Schema of a tool's input, as a planner is told about it. */
export function toolInputJsonSchema(tool: string): JsonSchema {
  const schema = (shipped.tools as Readonly<Record<string, JsonSchema>>)[tool];
  if (schema === undefined) {
    throw new Error(`no JSON Schema for tool ${tool} in json-schemas.json (npm run build:json-schemas)`);
  }
  return schema;
}
