import { createDocument, type ZodOpenApiOperationObject, type ZodOpenApiResponseObject } from 'zod-openapi';
import {
  acceptedSchema,
  controlSchema,
  errorBodySchema,
  eventPageSchema,
  gatewayErrorSchema,
  statusSchema,
  workflowListSchema,
} from '../../lambdas/domain/api/bodies.ts';
import { DEFAULT_EVENTS_PAGE, eventsQuerySchema, MAX_EVENTS_PAGE } from '../../lambdas/domain/api/queries.ts';
import {
  approvalSignalBodySchema,
  listWorkflowsQuerySchema,
  submitBodySchema,
} from '../../lambdas/domain/api/requests.ts';
import { idempotencyKeyPattern } from '../../lambdas/domain/idempotency.ts';
import { workflowIdSchema } from '../../lambdas/domain/schemas.ts';
import * as z from '../../lambdas/domain/zod.ts';
import { functionSpecs } from '../specs.ts';

/**
 * The HTTP API as an OpenAPI 3.1 document, generated from the zod schemas that define it: request
 * bodies and parameters from lambdas/domain/api/requests.ts (what the handlers validate with),
 * answers from lambdas/domain/api/bodies.ts (what the handlers build and the client parses with).
 * `npm run openapi` writes it to lib/api/openapi.json;
 * test/unit/openapi.test.ts fails when the file is stale, and validates it with an independent
 * OpenAPI validator. `npm start` serves it at GET /openapi.json.
 */

/** Where the document is checked in. */
export const OPENAPI_PATH = 'lib/api/openapi.json';

// --- Errors -------------------------------------------------------------------------------------

/** The contract's error body with the codes a response may carry. */
function errorBody(codes: readonly [string, ...string[]], id?: string) {
  const schema = z.object({
    error: z.extend(errorBodySchema.shape.error, { code: z.enum(codes) }),
  });
  return id ? schema.check(z.meta({ id })) : schema;
}

const retryAfter = z
  .string()
  .check(z.meta({ description: 'Seconds to wait before retrying (delta-seconds).', example: '2' }));

function error(
  description: string,
  codes: readonly [string, ...string[]],
  options: { retryAfter?: boolean; gateway?: string } = {},
): ZodOpenApiResponseObject {
  const body = errorBody(codes);
  return {
    description,
    ...(options.retryAfter ? { headers: z.object({ 'Retry-After': retryAfter }) } : {}),
    content: {
      'application/json': {
        // In AWS, API Gateway answers some refusals itself, with `{"message": ...}` (HTTP APIs cannot
        // customise those bodies); the local API answers with the contract's body.
        schema: options.gateway
          ? z.union([body, gatewayErrorSchema.check(z.meta({ description: options.gateway }))])
          : body,
      },
    },
  };
}

const unauthorized = error('Missing, invalid or expired bearer token.', ['unauthorized'], {
  gateway: 'API Gateway\'s JWT authorizer in AWS: `{"message": "Unauthorized"}`.',
});
const notFound = error('No such workflow, a workflow of another user, or a malformed id: the same answer.', [
  'not_found',
]);
const invalidRequest = (description: string) =>
  error(`${description} \`issues\` lists what is wrong (path and message).`, ['invalid_request']);
const unavailable = error(
  'The orchestrator is briefly unavailable; retry after `Retry-After`.',
  ['service_unavailable'],
  { retryAfter: true },
);
const stageThrottled = error(
  'Too many requests: the per-user limit (producer: `rate_limited`, with `retry_after_seconds`) or, in AWS, the stage throttling of API Gateway.',
  ['rate_limited'],
  { retryAfter: true, gateway: 'API Gateway stage throttling in AWS: `{"message": "Too Many Requests"}`.' },
);
const internal = error('An unexpected error; nothing about its cause is shown.', ['internal_error']);

// --- Parameters ---------------------------------------------------------------------------------

const workflowPath = z.object({
  id: workflowIdSchema.check(
    z.meta({
      description: 'The workflow id (`wf_…`), as POST /omnilink-agent answered it.',
    }),
  ),
});

/** A query parameter that is a string on the wire and, to the reader, an integer (the use case parses it as one). */
const integerParam = (schema: z.ZodMiniType, bounds: Record<string, number>) =>
  schema.check(
    z.meta({
      override: ({ jsonSchema }) => {
        delete jsonSchema.pattern;
        Object.assign(jsonSchema, { type: 'integer', ...bounds });
      },
    }),
  );

/** GET /workflows/{id}/events query. */
const eventsQuery = z.extend(eventsQuerySchema, {
  after: integerParam(eventsQuerySchema.shape.after, { minimum: 0, default: 0 }),
  limit: integerParam(eventsQuerySchema.shape.limit, {
    minimum: 1,
    maximum: MAX_EVENTS_PAGE,
    default: DEFAULT_EVENTS_PAGE,
  }),
});

const idempotencyHeader = z.object({
  'Idempotency-Key': z.optional(z.string().check(z.regex(idempotencyKeyPattern))).check(
    z.meta({
      description:
        'Makes the submit safe to retry: the same user, key and body answer the same workflow (no second execution); the same key with another body is 409 `idempotency_conflict`.',
    }),
  ),
});

/** Reusable components (one instance each: `.meta` returns a new schema). */
const controlAnswer = controlSchema.check(z.meta({ id: 'ControlAnswer' }));

const json = (schema: z.ZodMiniType, description: string): ZodOpenApiResponseObject => ({
  description,
  content: { 'application/json': { schema } },
});

// --- Operations ---------------------------------------------------------------------------------

const submit: ZodOpenApiOperationObject = {
  operationId: 'submitGoal',
  summary: 'Submit a goal: starts its workflow (the skinny producer)',
  description:
    'Validates, redacts PII, screens the goal with the fast guardian, applies the per-user rate limit and starts the workflow; answers in milliseconds. PII (e-mail addresses, phone numbers, card numbers, national ids, IBANs, …) is redacted before anything is stored, logged, cached, published or sent to a model.',
  requestParams: { header: idempotencyHeader },
  requestBody: {
    required: true,
    content: { 'application/json': { schema: submitBodySchema.check(z.meta({ id: 'SubmitBody' })) } },
  },
  responses: {
    '202': json(
      acceptedSchema.check(z.meta({ id: 'Accepted' })),
      'Accepted: the workflow runs; poll `poll_url`.',
    ),
    '400': invalidRequest(
      'Not JSON, a missing or empty goal, a goal over 4000 characters, a context that is not an object, or a malformed Idempotency-Key.',
    ),
    '401': unauthorized,
    '409': error('The Idempotency-Key was used by this user with a different body.', [
      'idempotency_conflict',
    ]),
    '413': error('The body is over 16 KiB.', ['payload_too_large']),
    '415': error('The body is not `application/json`.', ['unsupported_media_type']),
    '422': {
      ...error('The fast guardian rejected the goal (prompt injection, abuse patterns); `reason` says why.', [
        'rejected_by_guardian',
      ]),
    },
    '429': stageThrottled,
    '500': internal,
    '503': unavailable,
  },
};

const getStatus: ZodOpenApiOperationObject = {
  operationId: 'getStatus',
  summary: "A workflow's status (polling)",
  description:
    '`result` when completed; `error` (`{code, message}`) when failed or rejected; `compensated` (step ids, in undo order) when a saga rolled back; `redrivable` for a failed workflow that POST …/redrive can resume.',
  requestParams: { path: workflowPath },
  responses: {
    '200': json(statusSchema.check(z.meta({ id: 'WorkflowStatus' })), 'The status.'),
    '401': unauthorized,
    '404': notFound,
    '429': stageThrottled,
    '500': internal,
    '503': unavailable,
  },
};

const getEvents: ZodOpenApiOperationObject = {
  operationId: 'getEvents',
  summary: "A workflow's audit trail, a page at a time",
  description:
    'Events in `seq` order, no gaps, no duplicates. The first is `GoalReceived`; the last of a finished workflow is `WorkflowCompleted`, `WorkflowFailed`, `WorkflowCancelled` or `WorkflowRejected`. `next_after` is present when more events remain: pass it as `after`.',
  requestParams: { path: workflowPath, query: eventsQuery },
  responses: {
    '200': json(eventPageSchema.check(z.meta({ id: 'EventPage' })), 'A page of events.'),
    '400': invalidRequest('`after` or `limit` out of range.'),
    '401': unauthorized,
    '404': notFound,
    '429': stageThrottled,
    '500': internal,
    '503': unavailable,
  },
};

const listWorkflows: ZodOpenApiOperationObject = {
  operationId: 'listWorkflows',
  summary: "The caller's workflows, newest first, a page at a time",
  description:
    "Only the caller's. Pass `next` from the previous page to read on; it is absent on the last page. A page may hold fewer than `limit` workflows (expired ones are left out). A workflow accepted a moment ago may take a moment to appear. Costs O(page): an index, never a scan.",
  requestParams: {
    query: z.extend(listWorkflowsQuerySchema, {
      limit: integerParam(listWorkflowsQuerySchema.shape.limit, { minimum: 1, maximum: 100, default: 20 }),
    }),
  },
  responses: {
    '200': json(workflowListSchema.check(z.meta({ id: 'WorkflowList' })), 'A page of workflows.'),
    '400': invalidRequest('`limit` out of 1–100, or `next` is not a cursor of this listing.'),
    '401': unauthorized,
    '429': stageThrottled,
    '500': internal,
    '503': unavailable,
  },
};

const control = (
  operationId: string,
  summary: string,
  description: string,
  accepted: string,
  conflict: { code: string; description: string },
  body?: z.ZodMiniType,
): ZodOpenApiOperationObject => ({
  operationId,
  summary,
  description,
  requestParams: { path: workflowPath },
  ...(body ? { requestBody: { required: true, content: { 'application/json': { schema: body } } } } : {}),
  responses: {
    '202': json(controlAnswer, accepted),
    ...(body ? { '400': invalidRequest('The body does not match the schema.') } : {}),
    '401': unauthorized,
    '404': notFound,
    '409': error(conflict.description, [conflict.code]),
    '429': stageThrottled,
    '500': internal,
    '503': unavailable,
  },
});

/** The document. */
export function openApiDocument() {
  const document = createDocument({
    openapi: '3.1.0',
    info: {
      title: 'Omnilink agent orchestrator',
      version: '1.0.0',
      description:
        'Turns a goal into a durable, auditable workflow. Every route needs `Authorization: Bearer <JWT>` (issuer and audience checked; `sub` is the user id). Every error body is `{"error": {"code", "message"}}` (400 adds `issues`, 422 `reason`, 429 `retry_after_seconds`). `npm start` serves the same routes at http://127.0.0.1:3000, plus GET /health and GET /openapi.json without a token.\n\n' +
        '**Live events (push).** A WebSocket: in AWS the stack output `PushUrl` (`wss://<api>.execute-api.<region>.amazonaws.com/live`), locally `ws://127.0.0.1:3000/ws`; same protocol on both. ' +
        'Connect with the same JWT as `?token=<JWT>` (a missing or invalid token refuses the upgrade with 401). ' +
        'Send `{"action": "subscribe", "workflow_id": "wf_…", "after": <seq>}`: the server replays the events with a greater `seq` from the log, then sends `{"type": "subscribed", "workflow_id", "replayed_through": <seq>}`, then every new event as it is appended, each as `{"type": "event", "workflow_id", "event": {"seq", "type", "at", "data"}}` (`"truncated": true` with empty `data` when an event exceeds the 128 KiB message limit: read it from GET /workflows/{id}/events). ' +
        'Another user\'s workflow and a missing one both answer `{"type": "error", "workflow_id", "error": {"code": "not_found", "message": "no such workflow"}}`. `{"action": "unsubscribe", "workflow_id"}` stops a subscription. ' +
        'Delivery is at least once and, around a subscribe, possibly out of order: keep events in `seq` order and drop seqs already seen. To resume after a disconnect, reconnect and subscribe with `after` = the last `seq` seen. A gap in `seq` that does not fill is a lost message: subscribe again from the last contiguous `seq`.',
      'x-websocket': {
        path: '/ws (local) · PushUrl (AWS)',
        auth: 'query parameter token=<JWT> (same issuer and audience as the HTTP API)',
        clientMessages: [
          { action: 'subscribe', workflow_id: 'wf_…', after: 0 },
          { action: 'unsubscribe', workflow_id: 'wf_…' },
        ],
        serverMessages: [
          { type: 'event', workflow_id: 'wf_…', event: { seq: 1, type: 'GoalReceived', at: '…', data: {} } },
          { type: 'subscribed', workflow_id: 'wf_…', replayed_through: 12 },
          { type: 'error', workflow_id: 'wf_…', error: { code: 'not_found', message: 'no such workflow' } },
        ],
      },
    },
    servers: [{ url: 'http://127.0.0.1:3000', description: 'npm start (the local runtime)' }],
    security: [{ bearer: [] }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description: 'A JWT of the configured issuer (locally: `npm run token -- --sub alice`).',
        },
      },
      schemas: { Error: errorBodySchema },
    },
    paths: {
      '/omnilink-agent': { post: submit },
      '/workflows': { get: listWorkflows },
      '/workflows/{id}/status': { get: getStatus },
      '/workflows/{id}/events': { get: getEvents },
      '/workflows/{id}/cancel': {
        post: control(
          'cancel',
          'Cancel a running or waiting workflow',
          'The workflow ends `cancelled`, its completed steps compensated (undone).',
          'Cancelling: `{"status": "cancelling", "workflow_id"}`.',
          { code: 'not_running', description: 'The workflow has ended already.' },
        ),
      },
      '/workflows/{id}/signals/approval': {
        post: control(
          'signalApproval',
          'Answer the human approval a workflow waits for',
          'Resumes a workflow that is `waiting` on an approval step; a denial ends it `cancelled`, compensated.',
          'Delivered: `{"status": "resumed" | "cancelling", "workflow_id", "approved"}`.',
          { code: 'not_waiting', description: 'No approval is pending.' },
          approvalSignalBodySchema.check(z.meta({ id: 'ApprovalSignal' })),
        ),
      },
      '/workflows/{id}/redrive': {
        post: control(
          'redrive',
          'Resume a failed workflow from where it failed',
          'Step Functions redrive of a workflow that failed on a transient error and was not rolled back (`redrivable` in its status).',
          'Redriving: `{"status": "redriving", "workflow_id"}`.',
          {
            code: 'not_redrivable',
            description: 'Not failed, rolled back, cancelled, running, or past the 14-day redrive window.',
          },
        ),
      },
    },
  });
  return document;
}

/** The routes the document describes, as `METHOD /path/{param}` (the form of lib/specs.ts `route`). */
export function documentedRoutes(document: ReturnType<typeof openApiDocument>): string[] {
  return Object.entries(document.paths ?? {}).flatMap(([path, item]) =>
    ['get', 'post', 'put', 'patch', 'delete']
      .filter((method) => item && method in item)
      .map((method) => `${method.toUpperCase()} ${path}`),
  );
}

/** The routes of the API (lib/specs.ts). */
export const apiRoutes = (): string[] =>
  Object.values(functionSpecs).flatMap((spec) => ('route' in spec && spec.route ? [spec.route] : []));

/** The document as checked in: two-space JSON and a final newline. */
export const serialize = (document: unknown): string => `${JSON.stringify(document, null, 2)}\n`;
