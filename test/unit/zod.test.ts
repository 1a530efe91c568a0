import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

/**
 * lambdas/domain/zod.ts: zod/mini, set up as classic zod sets itself up. zod's settings are global
 * (one per process) and classic zod, once loaded (lib/client.ts, zod-openapi), would set them for
 * everyone: so this looks at a fresh Node process that loads the domain and nothing else, as a
 * Lambda bundle does.
 */
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);

const probe = `
import { workflowEventSchema } from '#domain/schemas.ts';
import { submitBodySchema } from '#domain/api/requests.ts';
import { streamEventSchema } from '#domain/bus-events.ts';
import * as z from '#domain/zod.ts';
const out = {};
const bad = submitBodySchema.safeParse({ goal: 1 });
out.message = bad.error.issues[0].message;
out.pretty = z.prettifyError(bad.error);
out.custom = submitBodySchema.safeParse({ goal: '  ' }).error.issues[0].message;
try { z.parse(workflowEventSchema, {}); } catch (error) { out.thrown = { name: error.name, isError: error instanceof Error, issues: error.issues.length > 0 }; }
const shared = { S: 'x' };
const record = { eventName: 'INSERT', dynamodb: { SequenceNumber: '1', NewImage: { a: shared, b: shared } } };
const parsed = streamEventSchema.parse({ Records: [record] }).Records[0].dynamodb.NewImage;
out.sharedParsedOnce = parsed.a === parsed.b;
out.memoizer = typeof z.config().memoizer;
process.stdout.write(JSON.stringify(out));
`;

describe('lambdas/domain/zod.ts', () => {
  it('gives zod/mini English messages, a parse that throws ZodError, and the memoizer', async () => {
    const { stdout } = await run(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '--eval', probe],
      {
        cwd: root,
      },
    );
    const out = JSON.parse(stdout);
    // zod/mini alone would say "Invalid input" (no locale).
    expect(out.message).toBe('Invalid input: expected string, received number');
    expect(out.pretty).toBe('✖ Invalid input: expected string, received number\n  → at goal');
    expect(out.custom).toBe('goal must not be empty');
    // classic zod's name (zod/mini's own is `$ZodError`): it is an error's code in events and Step Functions.
    expect(out.thrown).toEqual({ name: 'ZodError', isError: true, issues: true });
    // classic zod installs the memoizer: a recursive schema hands back one value for a shared reference.
    expect(out.memoizer).toBe('object');
    expect(out.sharedParsedOnce).toBe(true);
  });
});
