import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

/* The deploy workflow runs the post-deploy smoke test after `cdk deploy`, on the deployed outputs. */
describe('.github/workflows/deploy.yml', () => {
  const text = readFileSync(new URL('../../.github/workflows/deploy.yml', import.meta.url), 'utf8');
  const deployJob = text.slice(text.indexOf('\n  deploy:'));
  const deployAt = deployJob.indexOf('npx cdk deploy');
  const smokeAt = deployJob.indexOf('npm run -s smoke -- --outputs cdk-outputs.json');

  it('runs the smoke test in the deploy job, after cdk deploy wrote its outputs', () => {
    expect(deployAt).toBeGreaterThan(0);
    expect(deployJob.slice(deployAt, deployAt + 200)).toContain('--outputs-file cdk-outputs.json');
    expect(smokeAt).toBeGreaterThan(deployAt);
  });

  it('gives it the token sources from secrets, never as literals', () => {
    for (const name of ['SMOKE_USERNAME', 'SMOKE_PASSWORD', 'SMOKE_TOTP_SECRET', 'SMOKE_CLIENT_SECRET']) {
      expect(deployJob).toContain(`${name}: \${{ secrets.${name} }}`);
    }
  });

  it('adds the CI app client to the stack when a Cognito CI user is configured', () => {
    expect(deployJob).toContain('add smokeTestClient "$SMOKE_TEST_CLIENT"');
  });
});
