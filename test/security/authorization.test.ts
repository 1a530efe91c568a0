import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, pollStatus, startHarness } from '../../lib/local/harness.ts';
import { type FunctionSpec, functionSpecs } from '../../lib/specs.ts';

/*
 * Authorization: every route that names a workflow (every route of lib/specs.ts with `{id}`, so a
 * route added later — redrive — is covered without touching this file) answers another user's
 * workflow exactly like a missing one: same status, same body bytes, same headers (except the
 * per-request id and date). And the other user's request changes nothing.
 */

const workflowRoutes = Object.values(functionSpecs as Record<string, FunctionSpec>)
  .flatMap((spec) => (spec.route?.includes('{id}') ? [spec.route] : []))
  .sort();

/** Headers that legitimately differ per request. */
const VARYING = new Set(['date', 'apigw-requestid', 'connection', 'keep-alive']);

let harness: Harness;
let alice: string;
let bob: string;
let completedId: string;
let waitingId: string;

async function submit(goal: string) {
  const response = await harness.api('POST', '/omnilink-agent', { token: alice, body: { goal } });
  expect(response.status).toBe(202);
  if (!isRecord(response.json) || typeof response.json.workflow_id !== 'string') throw new Error('no id');
  return response.json.workflow_id;
}

beforeAll(async () => {
  harness = await startHarness();
  alice = await harness.runtime.token('alice');
  bob = await harness.runtime.token('bob');
  completedId = await submit('Book a flight to NYC');
  waitingId = await submit('Book a flight to Paris, with my approval');
  await pollStatus(harness, completedId, alice);
  await pollStatus(harness, waitingId, alice, ['waiting']);
}, 60_000);

afterAll(async () => {
  await harness?.cleanup();
});

/** Body of a POST route: a valid one, so that only ownership decides. */
const bodyFor = (routeKey: string): unknown =>
  routeKey.includes('/signals/')
    ? { approved: true, comment: 'ok' }
    : routeKey.startsWith('POST')
      ? {}
      : undefined;

async function hit(routeKey: string, id: string, token: string, query = '') {
  const [method = 'GET', template = '/'] = routeKey.split(' ');
  const path = template.replace('{id}', id) + query;
  const body = bodyFor(routeKey);
  const response = await harness.api(method, path, { token, ...(body === undefined ? {} : { body }) });
  const headers: Record<string, string> = {};
  response.headers.forEach((value, name) => {
    if (!VARYING.has(name)) headers[name] = value;
  });
  return { status: response.status, text: response.text, headers };
}

const MISSING = 'wf_ZZZZZZZZZZZZZZZZZZZZZZZZZZ';
const MALFORMED = [
  'x',
  'wf_',
  'wf_short',
  `wf_${'A'.repeat(78)}`,
  'WF_AAAAAAAAAAAAAAAAAAAAAAAAAA',
  'wf_AAAA%20AAAA',
  'wf_%C3%A9AAAAAAAAAAAA',
  // ('..' and '%2e%2e' are not here: the client's URL parser resolves them before sending.)
  'wf_AAAAAAAA%00',
  "wf_AAAAAAAA'--",
  'wf_AAAAAAAA%2FMETA',
];

describe('authorization: another user’s workflow is indistinguishable from a missing one', () => {
  it('covers every route of lib/specs.ts that names a workflow', () => {
    expect(workflowRoutes).toEqual(
      expect.arrayContaining([
        'GET /workflows/{id}/status',
        'GET /workflows/{id}/events',
        'POST /workflows/{id}/cancel',
        'POST /workflows/{id}/signals/approval',
      ]),
    );
    console.info(`[security] authorization: routes with {id}: ${workflowRoutes.join(', ')}`);
  });

  it.each(workflowRoutes)(
    '%s: 404, byte-identical to a missing workflow and to a malformed id',
    async (routeKey) => {
      const reference = await hit(routeKey, MISSING, bob);
      expect(reference.status).toBe(404);
      expect(JSON.parse(reference.text)).toEqual({
        error: { code: 'not_found', message: 'workflow not found' },
      });
      for (const id of [completedId, waitingId]) {
        const foreign = await hit(routeKey, id, bob);
        expect(foreign, `${routeKey} on alice's ${id}`).toEqual(reference);
      }
      for (const id of MALFORMED) {
        const malformed = await hit(routeKey, id, bob);
        expect(malformed, `${routeKey} with id ${id}`).toEqual(reference);
      }
    },
  );

  it('answers the same for a foreign and a missing workflow even with bad query parameters', async () => {
    const missing = await hit('GET /workflows/{id}/events', MISSING, bob, '?limit=0');
    const foreign = await hit('GET /workflows/{id}/events', completedId, bob, '?limit=0');
    expect(foreign).toEqual(missing);
  });

  it('answers the same for a foreign and a missing workflow whatever the signal body', async () => {
    for (const body of ['{', '{"approved":"yes"}', '{"approved":true,"extra":1}', '']) {
      const send = (id: string) =>
        harness.api('POST', `/workflows/${id}/signals/approval`, { token: bob, body });
      const [missing, foreign] = [await send(MISSING), await send(waitingId)];
      expect({ status: foreign.status, text: foreign.text }).toEqual({
        status: missing.status,
        text: missing.text,
      });
      expect(foreign.status).toBe(404);
    }
  });

  it('leaves the owner’s workflows untouched after the other user’s cancel and signal attempts', async () => {
    const status = await harness.api('GET', `/workflows/${waitingId}/status`, { token: alice });
    expect(status.status).toBe(200);
    expect(isRecord(status.json) && status.json.status).toBe('waiting');
    const events = await harness.api('GET', `/workflows/${waitingId}/events`, { token: alice });
    const types =
      isRecord(events.json) && Array.isArray(events.json.events) ? events.json.events.map((e) => e.type) : [];
    expect(types).not.toContain('CancelRequested');
    expect(types).not.toContain('ApprovalGranted');
    // The owner still can: the 404 above is ownership, not a broken route.
    expect((await hit('POST /workflows/{id}/cancel', waitingId, alice)).status).toBe(202);
    expect((await hit('GET /workflows/{id}/status', completedId, alice)).status).toBe(200);
  });
});
