import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Harness, startHarness } from '../../lib/local/harness.ts';
import { runSmokeTest, SmokeTestFailed } from '../../lib/smoke.ts';

/* The post-deploy smoke test (lib/smoke.ts) against the local runtime: it passes only on `completed`. */
describe('smoke test', () => {
  let harness: Harness;
  beforeAll(async () => {
    harness = await startHarness();
  });
  afterAll(async () => {
    await harness?.cleanup();
  });

  it('passes when the submitted goal completes', async () => {
    const lines: string[] = [];
    const final = await runSmokeTest({
      baseUrl: harness.runtime.baseUrl,
      getToken: () => harness.runtime.token('ci-smoke'),
      timeoutMs: 60_000,
      log: (line) => lines.push(line),
    });
    expect(final.status).toBe('completed');
    expect(lines.at(-1)).toMatch(/: completed$/);
  });

  it('fails when the workflow ends otherwise', async () => {
    await expect(
      runSmokeTest({
        baseUrl: harness.runtime.baseUrl,
        getToken: () => harness.runtime.token('ci-smoke'),
        goal: 'Book a flight to Atlantis',
        timeoutMs: 60_000,
      }),
    ).rejects.toThrow(SmokeTestFailed);
  });

  it('fails when the API refuses the token', async () => {
    await expect(
      runSmokeTest({ baseUrl: harness.runtime.baseUrl, getToken: () => 'not-a-jwt', timeoutMs: 10_000 }),
    ).rejects.toMatchObject({ status: 401 });
  });
});
