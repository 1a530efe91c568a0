import { describe, expect, it } from 'vitest';
import { planGoalOffline } from '#domain/offline-planner.ts';
import { plannerEval, runPlan } from '../../lib/eval/planner.ts';
import { evalParts } from '../../lib/eval/sections.ts';

const fixture = new URL('../fixtures/realdata-mini-planner/', import.meta.url).pathname;
const row = (rows: readonly { metric: string; value: number; n?: number }[], metric: string) =>
  rows.find((r) => r.metric === metric);

describe('planner evaluation', () => {
  it('is registered as the planner part of npm run eval', () => {
    expect(evalParts.map((p) => p.name)).toContain('planner');
  });

  it('measures plan rate, route, dates, questions, runnability and refusals against gold slots', async () => {
    const section = await plannerEval(fixture);
    // Travel requests naming a destination: 2 ATIS + 1 unknown city + 2 SGD; all planned, but
    // "atlantis" is not a catalog city: its route cannot be right and its plan cannot run.
    expect(row(section.rows, 'all: plan for travel requests naming a destination')).toMatchObject({
      value: 1,
      n: 5,
    });
    expect(row(section.rows, 'all: route right (gold slots, via the catalog)')).toMatchObject({
      value: 0.8,
      n: 5,
    });
    expect(row(section.rows, 'all: plans runnable on the sandbox tools')).toMatchObject({ value: 0.8, n: 5 });
    expect(row(section.rows, 'all: date kept (goals with a gold date)')).toMatchObject({ value: 1, n: 2 });
    expect(row(section.rows, 'all: questions that booked')).toMatchObject({ value: 0, n: 4 });
    expect(
      row(section.rows, 'all: requests without destination refused saying what was understood'),
    ).toMatchObject({ value: 1, n: 1 });
    expect(row(section.rows, 'all: gold cities the catalog resolves')).toMatchObject({ value: 7 / 8, n: 8 });
    expect(section.rows.some((r) => r.metric.startsWith('hold-out:'))).toBe(true);
  });

  it('runs a plan on the sandbox tools and names the step that fails', async () => {
    expect(await runPlan(planGoalOffline('Book a flight to NYC with my approval', {}))).toBeUndefined();
    expect(await runPlan(planGoalOffline('Book a hotel in Atlantis', {}))).toMatch(/search_hotel_1/);
  });
});
