import { describe, expect, it } from 'vitest';
import {
  type CacheIndex,
  candidatesFor,
  entryKey,
  type IndexEntry,
  indexWith,
  newEntry,
  serveExact,
  serveTemplate,
} from '#domain/cache/entries.ts';
import { readGoal } from '#domain/cache/template.ts';
import { planGoalOffline } from '#domain/offline-planner.ts';
import type { Plan } from '#domain/schemas.ts';
import { defaultToolRegistry } from '#domain/tools/registry.ts';

const tools = defaultToolRegistry();
const now = new Date('2026-06-01T10:00:00Z');
const ask = (goal: string, context: Record<string, unknown> = {}) => ({ user_id: 'alice', goal, context });

async function entryFor(goal: string, plan: Plan = planGoalOffline(goal, {}), context = {}) {
  const request = { ...ask(goal, context), plan, workflow_id: 'wf_entries0001' };
  const made = await newEntry(entryKey('user', request), request, now);
  return { ...made, entry: { ...made.entry, confirmed: true } };
}

const line = (sk: string, at: string): IndexEntry => ({ sk, ctx: 'c', slots: [], words: [], t: true, at });

describe('plan cache entries (pure)', () => {
  it('keys by digests of the scope and the normalised goal and context', () => {
    const a = entryKey('user', ask('Book a flight to Paris!'));
    expect(a).toEqual(entryKey('user', ask('  book a FLIGHT to paris ')));
    expect(a.pk).not.toEqual(entryKey('user', { ...ask('Book a flight to Paris'), user_id: 'bob' }).pk);
    expect(a.sk).not.toEqual(entryKey('user', ask('Book a flight to Paris', { home_city: 'Rome' })).sk);
    expect(JSON.stringify(a)).not.toMatch(/alice|paris/i);
  });

  it('evicts the oldest lines over the cap and drops lines past the TTL', () => {
    const index: CacheIndex = {
      entries: [
        line('G#old', '2026-04-01T00:00:00Z'),
        line('G#a', '2026-05-30T00:00:00Z'),
        line('G#b', '2026-05-31T00:00:00Z'),
      ],
      version: 4,
    };
    const next = indexWith(index, line('G#c', now.toISOString()), {
      maxEntries: 2,
      maxBytes: 1e6,
      ttlDays: 30,
      now,
    });
    expect(next.index.entries.map((e) => e.sk)).toEqual(['G#b', 'G#c']);
    expect(next.evicted).toEqual(['G#a']);
    expect(next.index.version).toBe(5);
  });

  it('serves only confirmed entries, and a plan with a date the goal does not say only on its day', async () => {
    const { entry } = await entryFor('Book a flight from Berlin to Paris');
    expect(serveExact({ ...entry, confirmed: false }, tools, now)).toMatchObject({ ok: false });
    expect(serveExact(entry, tools, now)).toMatchObject({ ok: true, match: 'exact' });
    const tomorrow: Plan = {
      steps: [
        {
          id: 's',
          tool: 'search_flights',
          input: { destination: 'Paris', date: '2026-06-02' },
          depends_on: [],
        },
      ],
    };
    const dated = await entryFor('Book a flight to Paris tomorrow', tomorrow);
    expect(dated.entry.day).toBe('2026-06-01');
    expect(serveExact(dated.entry, tools, now)).toMatchObject({ ok: true });
    expect(serveExact(dated.entry, tools, new Date('2026-06-02T10:00:00Z'))).toMatchObject({
      ok: false,
      reason: 'entry holds for another day',
    });
  });

  it('lists the templates that fit a goal in the same context, most recent first, and serves them re-bound', async () => {
    const older = await entryFor('Book a flight from Berlin to Paris');
    const newer = await entryFor('Please book a flight from Berlin to Rome');
    const other = await entryFor('Book a flight from Berlin to Oslo', undefined, { home_city: 'Berlin' });
    const index: CacheIndex = { entries: [older.line, newer.line, other.line], version: 3 };
    const read = readGoal('book a flight from Berlin to Madrid');
    const fitting = candidatesFor(read, ask('book a flight from Berlin to Madrid'), index, now);
    expect(fitting.map((l) => l.sk)).toEqual([newer.line.sk, older.line.sk]);
    const served = serveTemplate(older.entry, read, tools, now);
    expect(served).toMatchObject({
      ok: true,
      match: 'template',
      rebound: [{ slot: 'to.city', from: 'PAR', to: 'MAD' }],
    });
    if (served.ok) expect(served.plan).toEqual(planGoalOffline('book a flight from Berlin to Madrid', {}));
  });
});
