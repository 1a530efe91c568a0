import { Validations } from 'aws-cdk-lib';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { buildApp } from './synth.ts';

describe('cdk-nag (AwsSolutions)', () => {
  it('finds nothing unacknowledged in the default app', () => {
    const { app } = buildApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // cdk-nag 3 is a policy-validation plugin: a finding makes synth throw with the report.
    expect(() => app.synth()).not.toThrow();
    expect(new AwsSolutionsChecks().validateScope(app).violations).toEqual([]);
  });

  it('finds nothing unacknowledged with an external OIDC issuer and no user pool', () => {
    const { app } = buildApp({ oidcIssuer: 'https://login.example.com', oidcAudience: 'omnilink' });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });

  it('fails the synthesis on an unacknowledged finding', () => {
    const { app, stack } = buildApp();
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    stack.functions.events.addToRolePolicy(
      new PolicyStatement({ actions: ['dynamodb:*'], resources: [stack.tables.byName.bookings.tableArn] }),
    );
    expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::dynamodb:\*\]/);
  });

  it('gives every acknowledgement a specific reason', () => {
    const { app } = buildApp();
    const reasons = app.node
      .findAll()
      .flatMap((construct) => construct.node.metadata)
      .filter((entry) => entry.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY)
      .flatMap((entry) => Object.entries(entry.data as Record<string, string>));
    expect(reasons.length).toBeGreaterThan(0);
    for (const [id, reason] of reasons) {
      expect(id).toMatch(/AwsSolutions-[A-Z]+\d+/);
      expect(reason.length).toBeGreaterThan(60);
    }
  });
});
