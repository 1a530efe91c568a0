import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, isRecord, startHarness } from '../../lib/local/harness.ts';
import { finalStatus, queryPartition, recordFigure, tablesClient, workflowIdOf } from './support.ts';

/**
 * Reliability case 6: a model that answers garbage, an empty plan, a cyclic plan (and a few cousins).
 * The workflow must fail cleanly with `PlanInvalid` — no crash, no retry storm — with every model
 * call on record (`ModelCalled`). The model is a fake OpenAI-compatible server on loopback, reached
 * through the real provider (LLM_PROVIDER=openai): the Lambdas are not told anything.
 */

/** What the fake planner answers, chosen by a marker in the goal. */
const SCENARIOS = {
  garbage: 'Sure! Here is your plan: <<book flight>> }{ not JSON at all',
  'empty-answer': '',
  'empty-plan': JSON.stringify({ steps: [], summary: 'I have no idea how to do this.' }),
  'wrong-shape': JSON.stringify({ plan: 'book a flight', steps: 'all of them' }),
  cyclic: JSON.stringify({
    steps: [
      { id: 'search', tool: 'search_flights', input: { destination: 'NYC' }, depends_on: ['book'] },
      {
        id: 'book',
        tool: 'book_flight',
        input: { offer: { $from: 'search', path: 'offers.0' } },
        depends_on: ['search'],
      },
    ],
  }),
  'self-loop': JSON.stringify({
    steps: [{ id: 'a', tool: 'search_flights', input: { destination: 'NYC' }, depends_on: ['a'] }],
  }),
  'unknown-tool': JSON.stringify({
    steps: [{ id: 'a', tool: 'launch_rocket', input: { to: 'Mars' }, depends_on: [] }],
  }),
} as const;
type Scenario = keyof typeof SCENARIOS;

const calls = new Map<string, number>();
let model: Server;
let harness: Harness;
let token: string;

function startFakeModel(): Promise<Server> {
  const server = createServer((request, response) => {
    let raw = '';
    request.setEncoding('utf8');
    request.on('data', (chunk: string) => {
      raw += chunk;
    });
    request.on('end', () => {
      const body: unknown = JSON.parse(raw);
      const format = isRecord(body) && isRecord(body.response_format) ? body.response_format : {};
      const schemaName = isRecord(format.json_schema) ? String(format.json_schema.name) : 'text';
      const messages = isRecord(body) && Array.isArray(body.messages) ? body.messages : [];
      const prompt = messages
        .filter(isRecord)
        .map((m) => String(m.content))
        .join('\n');
      let content: string;
      if (schemaName === 'guardian_verdict') {
        content = JSON.stringify({ allowed: true });
      } else {
        const scenario = (Object.keys(SCENARIOS) as Scenario[]).find((s) => prompt.includes(`[${s}]`));
        content = scenario ? SCENARIOS[scenario] : 'no scenario';
        const name = scenario ?? 'none';
        calls.set(name, (calls.get(name) ?? 0) + 1);
      }
      response.writeHead(200, { 'content-type': 'application/json' });
      response.end(
        JSON.stringify({
          id: 'chatcmpl-fake',
          object: 'chat.completion',
          choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
          usage: { prompt_tokens: 100, completion_tokens: 20 },
        }),
      );
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

beforeAll(async () => {
  model = await startFakeModel();
  const { port } = model.address() as AddressInfo;
  harness = await startHarness({
    inMemory: true,
    env: {
      LLM_PROVIDER: 'openai',
      OPENAI_BASE_URL: `http://127.0.0.1:${port}/v1`,
      OPENAI_MODEL: 'fake-model',
      OPENAI_API_KEY: 'not-a-secret',
      LLM_TIMEOUT_MS: '5000',
      CACHE_ENABLED: 'false',
      POWERTOOLS_LOG_LEVEL: 'ERROR',
    },
  });
  token = await harness.runtime.token('model-user');
});

afterAll(async () => {
  await harness?.cleanup();
  await new Promise((resolve) => model?.close(resolve));
});

describe('reliability: a model that answers nonsense', () => {
  const results: Record<string, unknown>[] = [];

  afterAll(async () => {
    await recordFigure('case6-model-garbage', { scenarios: results });
  });

  it.each(Object.keys(SCENARIOS) as Scenario[])(
    'fails a workflow whose model plans %s with a clean PlanInvalid',
    async (scenario) => {
      const accepted = await harness.api('POST', '/omnilink-agent', {
        token,
        body: { goal: `Book a flight to NYC [${scenario}]` },
      });
      expect(accepted.status, accepted.text).toBe(202);
      const id = workflowIdOf(accepted);
      const status = await finalStatus(harness, id, token, 60_000);
      const execution = await harness.runtime.waitForExecution(id);
      const events = await queryPartition(
        tablesClient(harness.runtime.dynamoUrl),
        harness.runtime.tables.eventLog,
        'workflow_id',
        id,
      );
      const types = events.map((e) => String(e.type));
      const plannerCalls = events.filter(
        (e) => e.type === 'ModelCalled' && isRecord(e.data) && e.data.purpose === 'planner',
      );
      const taskErrors = execution.events
        .filter((e) => e.type === 'TaskFailed' || e.type === 'LambdaFunctionFailed')
        .map((e) => {
          const details = Object.values(e).find((v) => isRecord(v) && typeof v.error === 'string');
          if (!isRecord(details)) return 'unknown';
          // The one name Step Functions sees, and the code that travels first in the cause's message.
          const code = /"errorMessage":"([A-Za-z.]+):/.exec(String(details.cause ?? ''))?.[1];
          return code ? `${String(details.error)}(${code})` : String(details.error);
        });
      results.push({
        scenario,
        status: status.status,
        error: isRecord(status.error) ? status.error.code : undefined,
        execution: execution.status,
        planner_calls: plannerCalls.length,
        task_errors: taskErrors,
      });

      expect(status.status, JSON.stringify(status)).toBe('failed');
      expect(status.error).toMatchObject({ code: 'PlanInvalid', message: expect.any(String) });
      expect(execution.status).toBe('FAILED');
      // One clean failure of the planner task: PlanInvalid, not a crash, not retried.
      expect(taskErrors).toEqual(['WorkflowError(PlanInvalid)']);
      expect(types[0]).toBe('GoalReceived');
      expect(types.at(-1)).toBe('WorkflowFailed');
      expect(types).not.toContain('PlanCreated');
      expect(types).not.toContain('StepStarted');
      // Every answered call is on record: the first ask, and the repair round where one is made.
      expect(plannerCalls.length).toBeGreaterThanOrEqual(1);
      expect(plannerCalls.length).toBe(calls.get(scenario));
      expect(events.map((e) => Number(e.seq))).toEqual(events.map((_, i) => i + 1));
    },
  );
});
