import { Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import type { FunctionName } from '../../lib/specs.ts';
import {
  actionsOf,
  buildApp,
  functionId,
  resourcesOf,
  type Statement,
  type Synthesized,
  statementsOfFunction,
  synth,
} from './synth.ts';

const variables = (s: Synthesized, name: FunctionName): Record<string, unknown> =>
  s.template.toJSON().Resources[functionId(s.stack, name)].Properties.Environment.Variables;

const statementsWith = (s: Synthesized, name: FunctionName, prefix: string): Statement[] =>
  statementsOfFunction(s, name).filter((st) => actionsOf(st).some((a) => a.startsWith(prefix)));

const flat = (value: unknown): string => JSON.stringify(value);

const modelFunctions: FunctionName[] = ['guardian', 'planner', 'step'];
const otherFunctions: FunctionName[] = ['producer', 'status', 'events', 'finalize', 'compensate'];

describe('model access: bedrock', () => {
  const s = synth({ llmProvider: 'bedrock' });

  it.each(modelFunctions)(
    '%s may invoke the default foundation model in its own Region, and nothing else in Bedrock',
    (name) => {
      const statements = statementsWith(s, name, 'bedrock:');
      expect(statements.flatMap(actionsOf)).toEqual(['bedrock:InvokeModel']);
      const resources = statements.flatMap(resourcesOf);
      expect(resources).toHaveLength(1);
      expect(flat(resources[0])).toContain(':bedrock:');
      expect(flat(resources[0])).toContain('{"Ref":"AWS::Region"}');
      expect(flat(resources[0])).toContain('::foundation-model/amazon.nova-lite-v1:0');
      expect(variables(s, name)).toMatchObject({
        LLM_PROVIDER: 'bedrock',
        BEDROCK_MODEL_ID: 'amazon.nova-lite-v1:0',
      });
    },
  );

  it.each(otherFunctions)('%s gets no Bedrock permission', (name) => {
    expect(statementsWith(s, name, 'bedrock:')).toEqual([]);
    expect(variables(s, name).BEDROCK_MODEL_ID).toBeUndefined();
  });

  it('grants an inference profile and its foundation model in the Regions it routes to', () => {
    const p = synth({
      llmProvider: 'bedrock',
      bedrockModelId: 'us.anthropic.claude-haiku-4-5-20251001-v1:0',
    });
    const resources = statementsWith(p, 'planner', 'bedrock:').flatMap(resourcesOf).map(flat);
    expect(resources).toHaveLength(2);
    expect(resources.find((r) => r.includes(':inference-profile/'))).toMatch(
      /\{"Ref":"AWS::Region"\}.*\{"Ref":"AWS::AccountId"\}.*:inference-profile\/us\.anthropic\.claude-haiku-4-5-20251001-v1:0/,
    );
    expect(resources.find((r) => r.includes('foundation-model'))).toContain(
      ':bedrock:*::foundation-model/anthropic.claude-haiku-4-5-20251001-v1:0',
    );
    expect(variables(p, 'planner').BEDROCK_MODEL_ID).toBe('us.anthropic.claude-haiku-4-5-20251001-v1:0');
  });

  it('grants a global profile on the Region-less foundation model too', () => {
    const g = synth({ llmProvider: 'bedrock', bedrockModelId: 'global.amazon.nova-2-lite-v1:0' });
    const resources = statementsWith(g, 'guardian', 'bedrock:InvokeModel').flatMap(resourcesOf).map(flat);
    expect(resources.some((r) => r.includes(':bedrock:::foundation-model/amazon.nova-2-lite-v1:0'))).toBe(
      true,
    );
  });

  it('takes a model ARN as it is', () => {
    const arn = 'arn:aws:bedrock:eu-west-1::foundation-model/amazon.nova-micro-v1:0';
    const a = synth({ llmProvider: 'bedrock', bedrockModelId: arn });
    expect(statementsWith(a, 'step', 'bedrock:').flatMap(resourcesOf)).toEqual([arn]);
  });

  it('lets only the guardian apply the configured guardrail, and tells it which', () => {
    const gr = synth({
      llmProvider: 'bedrock',
      bedrockGuardrailId: 'abc123xyz',
      bedrockGuardrailVersion: '3',
    });
    const apply = statementsOfFunction(gr, 'guardian').filter((st) =>
      actionsOf(st).includes('bedrock:ApplyGuardrail'),
    );
    expect(apply.flatMap(resourcesOf).map(flat)).toEqual([expect.stringContaining(':guardrail/abc123xyz')]);
    expect(variables(gr, 'guardian')).toMatchObject({
      BEDROCK_GUARDRAIL_ID: 'abc123xyz',
      BEDROCK_GUARDRAIL_VERSION: '3',
    });
    for (const name of ['planner', 'step'] as const) {
      expect(statementsOfFunction(gr, name).flatMap(actionsOf)).not.toContain('bedrock:ApplyGuardrail');
      expect(variables(gr, name).BEDROCK_GUARDRAIL_ID).toBeUndefined();
    }
  });

  it('rejects half a guardrail and a malformed version', () => {
    expect(() => synth({ bedrockGuardrailId: 'abc' })).toThrow(/bedrockGuardrailVersion/);
    expect(() => synth({ bedrockGuardrailId: 'abc', bedrockGuardrailVersion: 'latest' })).toThrow(/DRAFT/);
  });
});

describe('model access: openai', () => {
  const secretArn = 'arn:aws:secretsmanager:eu-west-1:123456789012:secret:omnilink/openai-AbCdEf';
  const s = synth({
    llmProvider: 'openai',
    openAiBaseUrl: 'https://llm.internal.example/v1',
    openAiModel: 'llama-3.1-8b-instruct',
    openAiApiKeySecretArn: secretArn,
  });

  it.each(modelFunctions)(
    '%s reads the API key secret and knows the endpoint, without Bedrock access',
    (name) => {
      const secrets = statementsWith(s, name, 'secretsmanager:');
      expect(secrets.flatMap(actionsOf)).toContain('secretsmanager:GetSecretValue');
      expect(secrets.flatMap(resourcesOf)).toEqual([secretArn]);
      expect(statementsWith(s, name, 'bedrock:')).toEqual([]);
      expect(variables(s, name)).toMatchObject({
        LLM_PROVIDER: 'openai',
        OPENAI_BASE_URL: 'https://llm.internal.example/v1',
        OPENAI_MODEL: 'llama-3.1-8b-instruct',
        OPENAI_API_KEY_SECRET_ARN: secretArn,
      });
    },
  );

  it.each(otherFunctions)('%s cannot read the secret', (name) => {
    expect(statementsWith(s, name, 'secretsmanager:')).toEqual([]);
  });

  it('grants a secret given by name on its ARN pattern', () => {
    const n = synth({
      llmProvider: 'openai',
      openAiModel: 'gpt-4o-mini',
      openAiApiKeySecretArn: 'omnilink/openai',
    });
    const resources = statementsWith(n, 'planner', 'secretsmanager:').flatMap(resourcesOf).map(flat);
    expect(resources).toEqual([expect.stringContaining(':secret:omnilink/openai-??????')]);
    expect(variables(n, 'planner').OPENAI_API_KEY_SECRET_ARN).toBe('omnilink/openai');
  });

  it('needs a model name', () => {
    expect(() => synth({ llmProvider: 'openai' })).toThrow(/openAiModel is required/);
  });
});

describe('model access: offline and the http tool', () => {
  it('grants nothing model-related for the offline provider', () => {
    const s = synth({ llmProvider: 'offline' });
    for (const name of modelFunctions) {
      expect(statementsWith(s, name, 'bedrock:')).toEqual([]);
      expect(statementsWith(s, name, 'secretsmanager:')).toEqual([]);
      expect(variables(s, name).LLM_PROVIDER).toBe('offline');
    }
  });

  it('passes the http_request allow-list to the step function and the planner (its tool hints), and validates it', () => {
    const s = synth({ httpToolAllowedHosts: 'api.example.com, *.weather.example:8443' });
    expect(variables(s, 'step').HTTP_TOOL_ALLOWED_HOSTS).toBe('api.example.com,*.weather.example:8443');
    expect(variables(s, 'planner').HTTP_TOOL_ALLOWED_HOSTS).toBe('api.example.com,*.weather.example:8443');
    for (const name of ['producer', 'guardian', 'finalize', 'status'] as const) {
      expect(variables(s, name).HTTP_TOOL_ALLOWED_HOSTS).toBeUndefined();
    }
    expect(() => synth({ httpToolAllowedHosts: '*' })).toThrow(/allow-list entry/);
  });
});

describe('model access passes cdk-nag', () => {
  it.each([
    [
      'bedrock with a foundation model and a guardrail',
      { llmProvider: 'bedrock', bedrockGuardrailId: 'gr1', bedrockGuardrailVersion: '1' },
    ],
    [
      'bedrock with a cross-Region profile',
      { llmProvider: 'bedrock', bedrockModelId: 'eu.amazon.nova-lite-v1:0' },
    ],
    [
      'bedrock with a global profile',
      { llmProvider: 'bedrock', bedrockModelId: 'global.amazon.nova-2-lite-v1:0' },
    ],
    [
      'openai with a secret',
      { llmProvider: 'openai', openAiModel: 'm', openAiApiKeySecretArn: 'omnilink/openai' },
    ],
  ])('%s', (_label, context) => {
    const { app } = buildApp(context);
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).not.toThrow();
  });
});

describe('model call timeouts', () => {
  it('keep the model calls of an invocation inside the function timeout', () => {
    const s = synth({ llmProvider: 'bedrock', bedrockGuardrailId: 'gr1', bedrockGuardrailVersion: '1' });
    // guardian 60 s: guardrail 10 s + 2 calls; planner 120 s: 2 calls; step 120 s: 1 call (capped at 60 s).
    expect(variables(s, 'guardian').LLM_TIMEOUT_MS).toBe('22500');
    expect(variables(s, 'planner').LLM_TIMEOUT_MS).toBe('57500');
    expect(variables(s, 'step').LLM_TIMEOUT_MS).toBe('60000');
    expect(variables(synth({ llmProvider: 'offline' }), 'planner').LLM_TIMEOUT_MS).toBeUndefined();
  });
});
