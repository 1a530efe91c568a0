import { writeFile } from 'node:fs/promises';
import { OPENAPI_PATH, openApiDocument, serialize } from '../lib/api/openapi.ts';

// `npm run openapi`: regenerates the checked-in OpenAPI document from the zod schemas.
await writeFile(new URL(`../${OPENAPI_PATH}`, import.meta.url), serialize(openApiDocument()));
console.log(`wrote ${OPENAPI_PATH}`);
