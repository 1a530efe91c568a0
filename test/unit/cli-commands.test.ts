import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deriveVocabulary } from '../../lib/catalog/embeddings.ts';
import { runSmoke, stackOutputs } from '../../lib/cli/smoke.ts';
import { startFailure } from '../../lib/cli/start.ts';
import { runToken } from '../../lib/cli/token.ts';

/** The small commands' programs (bin/token.ts, bin/smoke.ts, bin/local.ts, bin/derive-embeddings.ts wire them). */

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'omnilink-cli-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const capture = () => {
  const out: string[] = [];
  const err: string[] = [];
  return { out, err, output: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) } };
};

describe('npm run token', () => {
  it("prints a token of the data directory's issuer for --sub", async () => {
    const { out, output } = capture();
    expect(await runToken(['--sub', 'alice', '--ttl', '60', '--data-dir', dir], {}, output)).toBe(0);
    const claims = decodeJwt(out[0] ?? '');
    expect(claims.sub).toBe('alice');
    expect((claims.exp ?? 0) - (claims.iat ?? 0)).toBe(60);
  });

  it('exits 2 with the usage without --sub or with a bad --ttl, 0 for --help', async () => {
    const { err, output } = capture();
    expect(await runToken(['--data-dir', dir], {}, output)).toBe(2);
    expect(await runToken(['--sub', 'a', '--ttl', '1.5', '--data-dir', dir], {}, output)).toBe(2);
    expect(await runToken(['--help'], {}, output)).toBe(0);
    expect(err.join('\n')).toContain('--ttl must be a whole number of seconds');
    expect(err[0]).toContain('Usage: npm run token');
  });
});

describe('npm run smoke', () => {
  it("reads the stack's outputs from a cdk --outputs-file", async () => {
    const file = join(dir, 'outputs.json');
    await writeFile(
      file,
      JSON.stringify({ OmnilinkOrchestrator: { ApiUrl: 'https://api', CiClientId: 'c' } }),
    );
    expect(stackOutputs(file)).toEqual({ ApiUrl: 'https://api', CiClientId: 'c' });
    expect(stackOutputs(undefined)).toEqual({});
  });

  it('exits 2 without an API URL and 1 when the test fails', async () => {
    const { err, output } = capture();
    expect(await runSmoke([], {}, output)).toBe(2);
    expect(err[0]).toContain('smoke: no API URL');
    // No token source in the environment: the run fails, it does not throw.
    expect(await runSmoke(['--url', 'http://127.0.0.1:9', '--timeout', '1'], {}, output)).toBe(1);
    expect(err.at(-1)).toMatch(/^smoke: FAILED: /);
  });
});

describe('npm start', () => {
  it('names a busy port, and otherwise says what failed', () => {
    expect(startFailure(Object.assign(new Error('listen'), { code: 'EADDRINUSE' }), { PORT: '4000' })).toBe(
      'npm start: port 4000 is in use: stop what uses it or set PORT',
    );
    expect(startFailure(new Error('no java'), {})).toBe('npm start: no java');
  });
});

describe('the derived word vectors', () => {
  it('keep plain frequent words, normalised and quantised to int8', () => {
    const vocabulary = deriveVocabulary(
      {
        dimensions: 2,
        words: ['hello', 'x1', 'world'],
        vectors: { hello: [3, 4], world: [0, -2], x1: [1, 1] },
      },
      0,
    );
    const parsed = JSON.parse(vocabulary.text);
    const words: string[] = parsed.words.split(' ');
    expect(words).toContain('hello');
    expect(words).not.toContain('x1');
    expect(parsed.vectors).toBeUndefined();
    const bytes = vocabulary.vectors;
    expect(bytes.length).toBe(words.length * 2);
    const at = words.indexOf('hello');
    // [3, 4] / 5 = [0.6, 0.8]; scaled so the largest is 127: [95, 127].
    expect([bytes[at * 2], bytes[at * 2 + 1]]).toEqual([95, 127]);
    expect(vocabulary.words).toBe(words.length);
  });
});
