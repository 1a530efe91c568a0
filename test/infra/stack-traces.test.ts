import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, lambdaBundle } from '../../lib/constructs/function.ts';

/**
 * Stack traces of a deployed bundle name the TypeScript, without NODE_OPTIONS=--enable-source-maps:
 * the module the bundler injects (lambdas/middleware/stack-traces.ts) reads a file's source map when a
 * stack through it is first formatted, not while the code loads.
 */

const run = promisify(execFile);
const FIXTURE = 'test/fixtures/stack-traces';

/** Imports the bundle in a fresh Node, calls its handler, and prints the error's stack. */
async function stackOf(
  bundle: string,
  where: 'entry' | 'chunk',
  options: { flags?: string[]; removeMapsAfterImport?: string } = {},
): Promise<string> {
  const script = [
    `const { handler } = await import(${JSON.stringify(pathToFileURL(bundle).href)});`,
    options.removeMapsAfterImport
      ? `for (const f of (await import('node:fs')).readdirSync(${JSON.stringify(options.removeMapsAfterImport)})) if (f.endsWith('.map')) (await import('node:fs')).rmSync(${JSON.stringify(options.removeMapsAfterImport)} + '/' + f);`
      : '',
    `try { await handler(${JSON.stringify(where)}); } catch (error) { process.stdout.write(error.stack); }`,
  ].join('\n');
  const { stdout } = await run(
    process.execPath,
    [...(options.flags ?? []), '--input-type=module', '--eval', script],
    {
      env: { PATH: process.env.PATH ?? '' },
    },
  );
  return stdout;
}

describe('stack traces of a bundled function', () => {
  let out: string;
  const bundleIn = async (dir: string) => {
    await build(esbuildOptions(lambdaBundle, `${FIXTURE}/entry.ts`, dir));
    return join(dir, 'index.mjs');
  };

  beforeAll(() => {
    out = mkdtempSync(join(process.cwd(), '.local', 'stack-traces-'));
  });
  afterAll(() => rmSync(out, { recursive: true, force: true }));

  it.each([
    [
      'index.mjs',
      'entry',
      'Error: boom: from the entry',
      /\n {4}at explodeNow \(test\/fixtures\/stack-traces\/entry\.ts:4:9\)/,
    ],
    [
      'a chunk of a dynamic import',
      'chunk',
      'RangeError: later: from a chunk',
      /\n {4}at \w+ \(test\/fixtures\/stack-traces\/lazy\.ts:4:9\)/,
    ],
  ] as const)(
    'map a frame in %s to the TypeScript, frame for frame as Node would',
    async (_, where, header, frame) => {
      const dir = join(out, where);
      const bundle = await bundleIn(dir);
      if (where === 'chunk')
        expect(readdirSync(dir).filter((f) => /^lazy-\w+\.mjs$/.test(f))).toHaveLength(1);
      const stack = await stackOf(bundle, where);
      expect(stack.split('\n')[0]).toBe(header);
      expect(stack).toMatch(frame);
      expect(stack).not.toMatch(/\.mjs:/);
      // Node's own mapping (--enable-source-maps, this module then stands aside) writes the same frames
      // with the source's absolute path; here they are written from the project's root.
      const nodes = await stackOf(bundle, where, { flags: ['--enable-source-maps'] });
      expect(nodes).toContain(`${process.cwd()}/test/fixtures/stack-traces/`);
      expect(stack).toBe(nodes.replaceAll(`${process.cwd()}/test/`, 'test/'));
    },
  );

  it('read no map while the code loads: maps removed after the import leave the frames as they are', async () => {
    const dir = join(out, 'lazy');
    const bundle = await bundleIn(dir);
    const stack = await stackOf(bundle, 'entry', { removeMapsAfterImport: dir });
    // With --enable-source-maps, Node would have parsed the map during the import and mapped anyway.
    expect(stack.split('\n')[0]).toBe('Error: boom: from the entry');
    expect(stack).toContain(`${pathToFileURL(bundle).href}:`);
    expect(stack).not.toContain('entry.ts');
  });
});
