import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Validator } from '@seriousme/openapi-schema-validator';
import { describe, expect, it } from 'vitest';
import {
  apiRoutes,
  documentedRoutes,
  OPENAPI_PATH,
  openApiDocument,
  serialize,
} from '../../lib/api/openapi.ts';

/*
 * The checked-in OpenAPI document (lib/api/openapi.json): current with the zod schemas it is generated
 * from, valid OpenAPI 3.1 for an independent validator, and complete against the contract — every
 * route, status code, error code and header.
 */

const root = new URL('../../', import.meta.url).pathname;
const checkedIn = readFileSync(join(root, OPENAPI_PATH), 'utf8');
const document = JSON.parse(checkedIn);

type Operation = {
  parameters?: { in: string; name: string }[];
  requestBody?: unknown;
  responses: Record<string, { headers?: Record<string, unknown>; content?: unknown }>;
  security?: unknown[];
};
const operation = (route: string): Operation => {
  const [method = '', path = ''] = route.split(' ');
  return document.paths[path][method.toLowerCase()];
};

describe('OpenAPI document', () => {
  it('is current: regenerating it from the zod schemas gives the checked-in file (npm run openapi)', () => {
    expect(serialize(openApiDocument())).toBe(checkedIn);
  });

  it('is valid OpenAPI 3.1 for an independent validator (@seriousme/openapi-schema-validator)', async () => {
    const validator = new Validator();
    const result = await validator.validate(document);
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('describes exactly the routes of the API (lib/specs.ts), GET /workflows among them', () => {
    expect(documentedRoutes(document).sort()).toEqual(apiRoutes().sort());
    expect(documentedRoutes(document)).toContain('GET /workflows');
  });

  it('asks for a bearer JWT on every route', () => {
    expect(document.components.securitySchemes.bearer).toMatchObject({
      type: 'http',
      scheme: 'bearer',
      bearerFormat: 'JWT',
    });
    expect(document.security).toEqual([{ bearer: [] }]);
    for (const route of apiRoutes()) {
      expect(operation(route).security, route).toBeUndefined();
      expect(Object.keys(operation(route).responses), route).toContain('401');
    }
  });

  it.each([
    ['POST /omnilink-agent', ['202', '400', '401', '409', '413', '415', '422', '429', '500', '503']],
    ['GET /workflows', ['200', '400', '401', '429', '500', '503']],
    ['GET /workflows/{id}/status', ['200', '401', '404', '429', '500', '503']],
    ['GET /workflows/{id}/events', ['200', '400', '401', '404', '429', '500', '503']],
    ['POST /workflows/{id}/cancel', ['202', '401', '404', '409', '429', '500', '503']],
    ['POST /workflows/{id}/signals/approval', ['202', '400', '401', '404', '409', '429', '500', '503']],
    ['POST /workflows/{id}/redrive', ['202', '401', '404', '409', '429', '500', '503']],
  ])('%s answers the contract’s status codes', (route, codes) => {
    expect(Object.keys(operation(route).responses).sort()).toEqual([...codes].sort());
  });

  it('names Retry-After on every 429 and 503', () => {
    for (const route of apiRoutes()) {
      for (const status of ['429', '503']) {
        expect(operation(route).responses[status]?.headers, `${route} ${status}`).toHaveProperty(
          'Retry-After',
        );
      }
    }
  });

  it('documents Idempotency-Key on the submit, the paging parameters and the path id', () => {
    const params = (route: string) => (operation(route).parameters ?? []).map((p) => `${p.in}:${p.name}`);
    expect(params('POST /omnilink-agent')).toEqual(['header:Idempotency-Key']);
    expect(params('GET /workflows').sort()).toEqual(['query:limit', 'query:next']);
    expect(params('GET /workflows/{id}/events').sort()).toEqual(['path:id', 'query:after', 'query:limit']);
    expect(params('GET /workflows/{id}/status')).toEqual(['path:id']);
  });

  it('lists every error code the handlers throw (and the gateway-level ones)', () => {
    const handlerSources = readdirSync(join(root, 'lambdas'), { recursive: true, encoding: 'utf8' })
      .filter((f) => f.endsWith('.ts'))
      .map((f) => join(root, 'lambdas', f))
      .map((f) => readFileSync(f, 'utf8'))
      .join('\n');
    const thrown = new Set(
      [...handlerSources.matchAll(/HttpError\(\s*\d{3},\s*'([a-z_]+)'/g)].map((m) => m[1] ?? ''),
    );
    thrown.add('idempotency_conflict'); // thrown through a helper of the producer
    const documented = new Set<string>();
    JSON.stringify(document, (key, value) => {
      if (key === 'code' && Array.isArray(value?.enum)) for (const code of value.enum) documented.add(code);
      return value;
    });
    for (const code of thrown) expect(documented, code).toContain(code);
    for (const code of ['service_unavailable', 'internal_error', 'unauthorized', 'rate_limited'])
      expect(documented).toContain(code);
  });

  it('reuses the zod schemas: the submit body is strict, the goal 1–4000 characters', () => {
    const body = document.components.schemas.SubmitBody;
    expect(body.additionalProperties).toBe(false);
    expect(body.required).toEqual(['goal']);
    expect(body.properties.goal).toMatchObject({ type: 'string', minLength: 1, maxLength: 4000 });
    expect(document.components.schemas.WorkflowList.required).toEqual(['workflows']);
  });
});
