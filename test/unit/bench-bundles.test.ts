import type { Metafile } from 'esbuild';
import { describe, expect, it } from 'vitest';
import {
  type BundleMeasure,
  baselineEntry,
  bundleGoalRows,
  bundleRows,
  importEnvironment,
  importRatio,
  isUnsettled,
  loadedAtImport,
  meetsGoals,
  ratioInterval,
  renderBundleTable,
  sdkImportsOf,
  topInputs,
} from '../../lib/bench/bundles.ts';
import { tableSpecs } from '../../lib/specs.ts';

const measure = (over: Partial<BundleMeasure> = {}): BundleMeasure => ({
  name: 'status',
  bytes: 200 * 1024,
  lazyBytes: 0,
  sideBytes: 0,
  sdk: ['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb'],
  importMs: 120,
  importSamples: [110, 120, 130],
  baselineMs: 100,
  baselineSamples: [90, 100, 110],
  ratio: 1.2,
  ratioLow: 1.15,
  ratioHigh: 1.25,
  top: [['@aws-lambda-powertools/logger', 40 * 1024]],
  ...over,
});

describe('the SDK-only baseline bundle', () => {
  it('imports the same AWS SDK packages and constructs their clients, the document client wrapping its own', () => {
    const entry = baselineEntry(['@aws-sdk/lib-dynamodb', '@aws-sdk/client-sfn', '@aws-sdk/client-dynamodb']);
    expect(entry).toContain('import { DynamoDBClient } from "@aws-sdk/client-dynamodb";');
    expect(entry).toContain('import { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";');
    expect(entry).toContain('import { SFNClient } from "@aws-sdk/client-sfn";');
    expect(entry).toContain(
      'export const clients = [new SFNClient({}), DynamoDBDocumentClient.from(new DynamoDBClient({}))];',
    );
  });

  it('imports a package without a client whole, and constructs nothing for it', () => {
    expect(baselineEntry(['@aws-sdk/util-dynamodb'])).toBe(
      'import * as sdk0 from "@aws-sdk/util-dynamodb";\nexport const clients = [sdk0];\n',
    );
  });

  it('is empty for a function without AWS SDK clients', () => {
    expect(baselineEntry([])).toBe('export const clients = [];\n');
  });
});

describe("a bundle's metafile", () => {
  const metafile = {
    inputs: {},
    outputs: {
      'out/index.mjs': {
        bytes: 1000,
        entryPoint: 'lambdas/handlers/api/status.ts',
        exports: ['handler'],
        imports: [
          { path: '@aws-sdk/lib-dynamodb', kind: 'import-statement', external: true },
          { path: '@aws-sdk/client-dynamodb', kind: 'import-statement', external: true },
          { path: '@aws-sdk/lib-dynamodb', kind: 'import-statement', external: true },
          { path: 'node:module', kind: 'import-statement', external: true },
          { path: './vocabulary.json', kind: 'import-statement', external: true },
          { path: 'out/chunk-A.mjs', kind: 'import-statement' },
          { path: 'out/offline-B.mjs', kind: 'dynamic-import' },
        ],
        inputs: {
          'node_modules/zod/v4/core/index.js': { bytesInOutput: 300 },
          'node_modules/@aws-lambda-powertools/logger/lib/index.js': { bytesInOutput: 200 },
          'lambdas/domain/projection.ts': { bytesInOutput: 100 },
        },
      },
      'out/chunk-A.mjs': {
        bytes: 250,
        imports: [],
        exports: [],
        inputs: { 'node_modules/@aws-lambda-powertools/logger/lib/other.js': { bytesInOutput: 250 } },
      },
      'out/offline-B.mjs': {
        bytes: 70,
        imports: [{ path: 'out/chunk-A.mjs', kind: 'import-statement' }],
        exports: [],
        inputs: { 'lambdas/domain/offline-planner.ts': { bytesInOutput: 70 } },
      },
      'out/index.mjs.map': { bytes: 5000, imports: [], exports: [], inputs: {} },
    },
  } as unknown as Metafile;

  it('names the AWS SDK packages it leaves to the runtime, once each, sorted', () => {
    expect(sdkImportsOf(metafile)).toEqual(['@aws-sdk/client-dynamodb', '@aws-sdk/lib-dynamodb']);
  });

  it('groups its largest inputs, over index.mjs and its chunks, by package or project folder', () => {
    expect(topInputs(metafile)).toEqual([
      ['@aws-lambda-powertools/logger', 450],
      ['zod', 300],
      ['lambdas/domain', 170],
    ]);
  });

  it('tells the chunks the import of index.mjs loads from those only a dynamic import() loads', () => {
    expect([...loadedAtImport(metafile)].sort()).toEqual(['chunk-A.mjs', 'index.mjs']);
  });
});

describe('the environment a bundle is imported with', () => {
  it("is the function's own (its tables named) plus what the Lambda runtime sets", () => {
    const env = importEnvironment('status');
    expect(env[tableSpecs.state.envVar]).toBe('bench-state');
    expect(env.STATE_MACHINE_ARN).toMatch(/^arn:aws:states:/);
    expect(env).toMatchObject({ AWS_REGION: 'us-east-1', AWS_LAMBDA_FUNCTION_NAME: 'status' });
    // Another function's table is not in it, as in AWS.
    expect(env[tableSpecs.bookings.envVar]).toBeUndefined();
  });

  it("has the deployed stack's model settings (Bedrock), not the local runtime's offline rules", () => {
    expect(importEnvironment('planner')).toMatchObject({
      LLM_PROVIDER: 'bedrock',
      BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
    });
  });
});

describe('the cold-start figures', () => {
  it('meet the goals at ≤ 250 KiB and ≤ 1.3× the baseline, and miss them above either', () => {
    expect(meetsGoals(measure())).toBe(true);
    expect(meetsGoals(measure({ bytes: 251 * 1024 }))).toBe(false);
    expect(meetsGoals(measure({ ratio: 1.31 }))).toBe(false);
    expect(meetsGoals(measure({ error: 'no entry' }))).toBe(false);
  });

  it('judge a function with no AWS SDK client by its size only: its baseline is an empty module', () => {
    const authorizer = measure({ name: 'wsAuthorizer', sdk: [], importMs: 31, baselineMs: 5, ratio: 6.2 });
    expect(meetsGoals(authorizer)).toBe(true);
    expect(meetsGoals({ ...authorizer, bytes: 251 * 1024 })).toBe(false);
    expect(bundleRows([authorizer])[0]?.value).toMatch(/· n\/a \(6\.20× an empty module\)$/);
    const rows = bundleGoalRows([measure(), authorizer]);
    expect(rows[1]).toMatchObject({
      value: 'worst status 1.20× (1.15–1.25) (120 vs 100 ms, 3 pairs), 1 function with an SDK baseline: met',
      note: expect.stringMatching(
        /no AWS SDK client, so no SDK baseline: wsAuthorizer 31 ms \(an empty module 5 ms\)$/,
      ),
    });
    // Judged on nothing is not met.
    expect(bundleGoalRows([authorizer])[1]?.value).toBe(
      'no function with an AWS SDK client measured: MISSED',
    );
    expect(renderBundleTable([authorizer]).split('\n')[2]).toMatch(
      /^\| wsAuthorizer +\| 200 +\| 31 +\| 5 +\| n\/a \(6\.20× an empty module\) +\| met +\| \(none\) +\|$/,
    );
  });

  it('give one row per function with size, import, baseline and ratio', () => {
    expect(bundleRows([measure()])).toEqual([
      {
        measure: 'cold start, status',
        value: '200 KiB · import 120 ms · SDK baseline 100 ms · 1.20× (1.15–1.25)',
        note: 'meets ≤ 250 KiB / ≤ 1.3×; SDK: dynamodb, lib-dynamodb; largest: @aws-lambda-powertools/logger 40',
      },
    ]);
  });

  it('judge the goals on the worst function, and miss them when one was not bundled', () => {
    const rows = bundleGoalRows([measure(), measure({ name: 'producer', bytes: 300 * 1024, ratio: 1.5 })]);
    expect(rows.map((r) => r.value)).toEqual([
      'largest producer 300 KiB: MISSED',
      'worst producer 1.50× (1.15–1.25) (120 vs 100 ms, 3 pairs), 2 functions with an SDK baseline: MISSED',
    ]);
    expect(bundleGoalRows([measure()]).map((r) => r.value)).toEqual([
      'largest status 200 KiB: met',
      'worst status 1.20× (1.15–1.25) (120 vs 100 ms, 3 pairs), 1 function with an SDK baseline: met',
    ]);
    expect(bundleGoalRows([measure(), measure({ name: 'events', error: 'boom' })])[0]?.value).toMatch(
      /MISSED$/,
    );
    expect(bundleGoalRows([measure({ error: 'boom' })]).map((r) => r.value)).toEqual([
      'no function bundled: MISSED',
      'no function bundled: MISSED',
    ]);
  });

  it('render as a table with a line per function', () => {
    const table = renderBundleTable([
      measure(),
      measure({ name: 'events', error: 'entry not found' }),
      measure({ name: 'planner', bytes: 246 * 1024, lazyBytes: 70 * 1024, sideBytes: 491 * 1024 }),
    ]);
    const lines = table.split('\n');
    expect(lines[0]).toMatch(/^\| function +\| bundle KiB +\| cold import ms +\| SDK baseline ms +\| ratio/);
    expect(lines[2]).toMatch(
      /^\| status +\| 200 +\| 120 +\| 100 +\| 1\.20× \(1\.15–1\.25\) +\| met +\| dynamodb, lib-dynamodb +\|$/,
    );
    expect(lines[3]).toMatch(/^\| events +\| not bundled .*\| MISSED +\| entry not found +\|$/);
    expect(lines[4]).toMatch(/^\| planner +\| 246 \(70 lazy\) \+491 +\| 120 +\|/);
    expect(table).toContain('median of 3 fresh Node');
    const more = renderBundleTable([
      measure(),
      measure({ name: 'planner', importSamples: Array(101).fill(1) }),
    ]);
    expect(more).toContain('median of 3 (planner 101: their 90% interval held the goal after 3) fresh Node');
  });

  it('measure again a ratio whose 90% interval holds the goal, on either side of it', () => {
    expect(isUnsettled([1.22, 1.31])).toBe(true);
    expect(isUnsettled([1.29, 1.36])).toBe(true);
    expect(isUnsettled([1.24, 1.29])).toBe(false);
    expect(isUnsettled([1.31, 1.4])).toBe(false);
    expect(isUnsettled([Number.NaN, Number.NaN])).toBe(false);
  });

  it("take the ratio as the median of the pairs' ratios, which a slow spell of both imports leaves alone", () => {
    expect(importRatio([120, 240, 130], [100, 200, 100])).toBe(1.2);
    // Ratio of medians would say 130 / 100.
    expect(importRatio([110, 130, 250, 260], [100, 100, 200, 200])).toBeCloseTo(1.25);
  });

  it('give a ratio a 90% interval that holds the ratio and narrows with more pairs', () => {
    // Pairs of a function ~1.25× its baseline, with ±15% noise on each import.
    let seed = 7;
    const noise = () => {
      seed = (seed * 16807) % 2147483647;
      return 0.85 + 0.3 * (seed / 2147483647);
    };
    const pairs = (n: number) => {
      const b = Array.from({ length: n }, () => 100 * noise());
      return { f: b.map(() => 125 * noise()), b };
    };
    const few = pairs(21);
    const many = pairs(401);
    const [low, high] = ratioInterval(few.f, few.b);
    const ratio = importRatio(few.f, few.b);
    expect(low).toBeLessThanOrEqual(ratio);
    expect(high).toBeGreaterThanOrEqual(ratio);
    const [manyLow, manyHigh] = ratioInterval(many.f, many.b);
    expect(manyHigh - manyLow).toBeLessThan((high - low) / 2);
    expect(manyLow).toBeLessThan(1.25);
    expect(manyHigh).toBeGreaterThan(1.25);
    // Seeded: the same samples, the same interval.
    expect(ratioInterval(few.f, few.b)).toEqual([low, high]);
    expect(ratioInterval([1], [1]).every(Number.isNaN)).toBe(true);
  });
});
