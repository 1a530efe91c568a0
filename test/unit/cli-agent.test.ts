import { describe, expect, it } from 'vitest';
import {
  describeApproval,
  describeOutput,
  isLoopback,
  palette,
  parseOptions,
  renderResult,
  UsageError,
} from '../../lib/cli/agent.ts';
import type { WorkflowEventBody, WorkflowStatusBody } from '../../lib/client.ts';

/** The CLI's pieces (the whole CLI against a local runtime: test/integration/cli.test.ts). */

describe('npm run agent options', () => {
  it('take the goal from the positionals and defaults from the environment', () => {
    const options = parseOptions(['Book', 'a flight to NYC'], { OMNILINK_URL: 'http://127.0.0.1:9000' });
    expect(options).toMatchObject({
      goal: 'Book a flight to NYC',
      url: 'http://127.0.0.1:9000',
      json: false,
      approval: 'none',
      sub: 'cli-user',
    });
    expect(options).not.toHaveProperty('token');
  });

  it('read the approval mode, context, timeout and token', () => {
    const options = parseOptions(
      ['--auto-approve', '--comment', 'ok', '--context', '{"home_city":"Paris"}', '--timeout', '2', 'goal'],
      { OMNILINK_TOKEN: 'jwt' },
    );
    expect(options).toMatchObject({
      approval: 'approve',
      comment: 'ok',
      context: { home_city: 'Paris' },
      timeoutMs: 2000,
      token: 'jwt',
    });
    expect(parseOptions(['--deny', 'g'], {})).toMatchObject({ approval: 'deny' });
    expect(parseOptions(['--approve', 'g'], {})).toMatchObject({ approval: 'interactive' });
    expect(parseOptions(['--watch', 'wf_1'], {})).toMatchObject({ watch: 'wf_1' });
    expect(parseOptions(['-h'], {})).toBe('help');
  });

  it.each([
    [[], 'a goal (or --watch <id>) is required'],
    [['--watch', 'wf_1', 'goal'], 'give a goal or --watch, not both'],
    [['--approve', '--deny', 'goal'], '--approve, --auto-approve and --deny exclude each other'],
    [['--context', '[1]', 'goal'], '--context must be a JSON object'],
    [['--context', '{', 'goal'], '--context must be a JSON object'],
    [['--timeout', '0', 'goal'], '--timeout must be a positive number'],
  ])('refuse %j: %s', (argv, message) => {
    expect(() => parseOptions(argv, {})).toThrow(UsageError);
    expect(() => parseOptions(argv, {})).toThrow(message);
  });

  it('mint a local token only for a loopback API', () => {
    expect(isLoopback('http://127.0.0.1:3000')).toBe(true);
    expect(isLoopback('http://localhost:3000')).toBe(true);
    expect(isLoopback('https://api.example.com')).toBe(false);
    expect(isLoopback('not a url')).toBe(false);
  });
});

describe('npm run agent output', () => {
  it("describes a step's output in one short line, prices included", () => {
    expect(
      describeOutput({ confirmation_code: 'OMN-1', price: { amount: 120, currency: 'EUR' }, x: null }),
    ).toBe('confirmation_code OMN-1 · price 120 EUR');
    expect(describeOutput('text')).toBe('text');
    expect(describeOutput(undefined)).toBe('');
    expect(describeOutput({ long: 'x'.repeat(200) })).toHaveLength(100);
  });

  it('describes each approval of an ApprovalRequested with its offer', () => {
    const event: WorkflowEventBody = {
      seq: 3,
      type: 'ApprovalRequested',
      at: '2026-01-01T00:00:00Z',
      data: {
        step_ids: ['approve_flight_1', 'approve_hotel_2'],
        timeout_seconds: 3600,
        expires_at: '2026-01-01T01:00:00Z',
        approvals: [
          {
            step_id: 'approve_flight_1',
            prompt: 'Approve the flight to Rome?',
            details: { carrier: 'OA', flight_number: 'OA12', price: { amount: 99, currency: 'EUR' } },
          },
          {
            step_id: 'approve_hotel_2',
            prompt: 'Approve the hotel?',
            details: { hotel_name: 'Roma', nights: 1 },
          },
        ],
      },
    };
    expect(describeApproval(event)).toEqual([
      'Approve the flight to Rome? (OA · OA12 · 99 EUR)',
      'Approve the hotel? (Roma · 1 night)',
    ]);
    expect(describeApproval({ ...event, data: { ...event.data, approvals: [] } })).toEqual([
      'approval requested',
    ]);
  });

  it('renders the result with the bookings and their confirmation codes', () => {
    const status: WorkflowStatusBody = {
      workflow_id: 'wf_1',
      status: 'completed',
      progress: { steps_total: 2, steps_done: 2 },
      started_at: '2026-01-01T00:00:00Z',
      updated_at: '2026-01-01T00:00:01Z',
      result: {
        summary: 'Booked a flight to New York.',
        bookings: [
          {
            step_id: 'book_flight_1',
            kind: 'flight',
            confirmation_code: 'OMN-ABC',
            status: 'confirmed',
            city_name: 'New York',
            origin_name: 'Paris',
            price: { amount: 300, currency: 'EUR' },
          },
        ],
      },
    };
    expect(renderResult(status, palette(false)).split('\n')).toEqual([
      '✔ completed  wf_1',
      '  Booked a flight to New York.',
      '  • OMN-ABC  flight Paris → New York  300 EUR  confirmed',
    ]);
    const failed: WorkflowStatusBody = {
      ...status,
      status: 'failed',
      result: undefined,
      error: { code: 'UnknownDestination', message: 'no such city' },
      compensated: ['book_hotel_2'],
    };
    expect(renderResult(failed, palette(false)).split('\n')).toEqual([
      '✘ failed  wf_1',
      '  error: UnknownDestination — no such city',
      '  rolled back: book_hotel_2',
    ]);
  });
});
