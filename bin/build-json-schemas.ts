/** `npm run build:json-schemas`: regenerates lambdas/domain/llm/json-schemas.json (lib/schemas/json-schemas.ts). */
import { writeFileSync } from 'node:fs';
import { modelJsonSchemasText } from '../lib/schemas/json-schemas.ts';

const text = modelJsonSchemasText();
writeFileSync(new URL('../lambdas/domain/llm/json-schemas.json', import.meta.url), text);
console.log(`wrote the models' JSON Schemas: ${(text.length / 1024).toFixed(1)} KiB`);
