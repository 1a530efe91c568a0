import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { OmnilinkStack } from '../lib/omnilink-stack.ts';

// Entry point of `cdk synth` / `cdk deploy`: settings come from the context (cdk.json or `-c key=value`).
const app = new App();

new OmnilinkStack(app, 'OmnilinkOrchestrator', {
  description:
    "Omnilink's agent orchestrator: skinny producer, Step Functions workflow, event-sourced audit trail.",
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 is a policy-validation plugin: any unacknowledged finding, error or warning, fails the synthesis
// (exit code 1). Acknowledgements (Validations.of(x).acknowledge) are also copied into the template's
// resource metadata (`cdk_nag.rules_to_suppress`), an audit trail that travels with the template.
Validations.of(app).addPlugins(
  new AwsSolutionsChecks(app, { verbose: true, writeSuppressionsToCloudFormation: true }),
);

app.synth();
