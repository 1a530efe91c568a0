import { execFile } from 'node:child_process';
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, describe, expect, it } from 'vitest';

/**
 * The layers are enforced by the linter (.biome.json's overrides): a forbidden import or a read of
 * `process.env` in lambdas/domain, lambdas/usecases or lambdas/adapters fails `npm run lint`. Each
 * case writes a probe file into the layer's folder, lints it with the project's configuration and
 * expects the rule's diagnostic (and a clean probe passes, so the rules are not failing everything).
 */
const root = new URL('../..', import.meta.url).pathname;
const run = promisify(execFile);
const probes: string[] = [];

async function lint(folder: string, source: string): Promise<string[]> {
  const file = join(root, 'lambdas', folder, `__layer_probe_${process.pid}_${probes.length}.ts`);
  probes.push(file);
  await writeFile(file, source);
  const { stdout } = await run(
    join(root, 'node_modules/.bin/biome'),
    ['lint', '--reporter=json', '--max-diagnostics=50', file],
    { cwd: root },
  ).catch((error: { stdout?: string }) => ({ stdout: error.stdout ?? '' }));
  const report = JSON.parse(stdout) as { diagnostics: { category: string }[] };
  return report.diagnostics.map((d) => d.category);
}

afterAll(async () => {
  await Promise.all(probes.map((file) => rm(file, { force: true })));
});

describe('layers (npm run lint)', () => {
  it.each([
    ['domain', "import { dynamo } from '#adapters/aws/dynamodb.ts';\nexport const a = dynamo;\n"],
    ['domain', "import { appendEvent } from '../adapters/event-log.ts';\nexport const a = appendEvent;\n"],
    ['domain', "import { SFNClient } from '@aws-sdk/client-sfn';\nexport const a = SFNClient;\n"],
    ['domain', "import { readFile } from 'node:fs/promises';\nexport const a = readFile;\n"],
    ['domain', "import { correlated } from '#middleware/correlation.ts';\nexport const a = correlated;\n"],
    ['usecases', "import { dynamo } from '#adapters/aws/dynamodb.ts';\nexport const a = dynamo;\n"],
    ['usecases', "import middy from '@middy/core';\nexport const a = middy;\n"],
    ['adapters', "import { x } from '#usecases/submit-goal.ts';\nexport const a = x;\n"],
  ])('refuses a forbidden import in lambdas/%s', async (folder, source) => {
    expect(await lint(folder, source)).toContain('lint/style/noRestrictedImports');
  });

  it.each(['domain', 'usecases', 'adapters'])('refuses process.env in lambdas/%s', async (folder) => {
    expect(await lint(folder, 'export const a = process.env.STATE_TABLE;\n')).toContain(
      'lint/style/noProcessEnv',
    );
  });

  it('lets the domain import zod, node:crypto and itself', async () => {
    const source =
      "import { createHash } from 'node:crypto';\nimport { z } from 'zod';\nimport { digest } from '#domain/hash.ts';\n" +
      'export const a = [createHash, z, digest];\n';
    expect(await lint('domain', source)).toEqual([]);
  });
});
