import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

/**
 * `npm run bench` and `npm run bench:bundles` end by themselves: each runs in a child process, on a
 * tiny workload, and must exit with status 0 without being killed (nothing left keeping it alive —
 * a runtime, DynamoDB Local, a server, a timer). The child starts its own DynamoDB Local, as the
 * command does, rather than the test run's shared one.
 */

const root = fileURLToPath(new URL('../../', import.meta.url));

interface Exit {
  readonly code: number | null;
  readonly killed: boolean;
  readonly stdout: string;
  readonly stderr: string;
}

function runScript(script: string, env: Record<string, string>, timeoutMs: number): Promise<Exit> {
  return new Promise((resolve, reject) => {
    const { LOCAL_DYNAMODB_URL: _shared, ...inherited } = process.env;
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: root,
      env: { ...inherited, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString('utf8');
    });
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString('utf8');
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, timeoutMs);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, stdout, stderr });
    });
  });
}

describe('bench commands exit when their work is done', () => {
  it('BENCH_ONLY=load npm run bench prints its table and exits 0 by itself', async () => {
    const run = await runScript(
      'bin/bench.ts',
      {
        BENCH_ONLY: 'load',
        BENCH_WORKFLOWS: '3',
        BENCH_CLIENTS: '2',
        BENCH_BURST_USERS: '1',
        BENCH_BURST_EACH: '2',
      },
      150_000,
    );
    expect(run.killed, run.stderr).toBe(false);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toMatch(/\| end-to-end throughput, 3 workflows, 2 clients +\| [\d.]+ workflows\/s/);
  }, 180_000);

  it('npm run bench:bundles prints the cold-start table, writes it and exits 0', async () => {
    const out = await mkdtemp(join(tmpdir(), 'omnilink-bench-test-'));
    try {
      const run = await runScript(
        'bin/bench-bundles.ts',
        { BENCH_FUNCTIONS: 'status', BENCH_SPAWNS: '1', BENCH_OUT: out },
        120_000,
      );
      expect(run.killed, run.stderr).toBe(false);
      expect(run.code, run.stderr).toBe(0);
      expect(run.stdout).toMatch(
        /\| status +\| \d+ +\| \d+ +\| \d+ +\| [\d.]+× +\| (met|MISSED) +\| .*lib-dynamodb/,
      );
      const written = JSON.parse(await readFile(join(out, 'bundles.json'), 'utf8'));
      expect(written.bundles).toEqual([
        expect.objectContaining({ name: 'status', sdk: expect.arrayContaining(['@aws-sdk/lib-dynamodb']) }),
      ]);
    } finally {
      await rm(out, { recursive: true, force: true });
    }
  }, 150_000);
});
