import { build } from 'esbuild';
import { beforeAll, describe, expect, it } from 'vitest';
import { esbuildOptions, lambdaBundle } from '../../lib/constructs/function.ts';
import { functionEnvironment } from '../../lib/function-environment.ts';
import { type FunctionName, functionSpecs } from '../../lib/specs.ts';
import { functionId, type Synthesized, synth } from './synth.ts';

/**
 * Every variable a handler's code reads is set on that function, in the synthesized stack: the bug
 * this guards against is the planner building its tool hints from HTTP_TOOL_ALLOWED_HOSTS, which
 * only the step function had in AWS (so the model was told "no hosts are allowed") while the local
 * runtime, where every function shared one environment, told it the hosts.
 *
 * "Reads" is taken from the bundle `cdk deploy` ships (esbuild, tree-shaken, unminified here): a
 * variable is read when the code accesses it (`env.X`, `process.env.X`, `required(env, "X")`) or
 * names it in the schema it parses its environment with (`envSchema("X", ...)`, or a list of such
 * keys it spreads into one, like `LLM_ENV = ["X", ...]`: tree-shaking keeps a list only where a
 * handler uses it). Only
 * the variables the stack configures somewhere are checked (the Lambda runtime's own and the code's
 * optional knobs with defaults are not deployment settings).
 */

const names = Object.keys(functionSpecs) as FunctionName[];
const bundles = new Map<FunctionName, string>();

beforeAll(async () => {
  await Promise.all(
    names.map(async (name) => {
      const result = await build({
        ...esbuildOptions(lambdaBundle, functionSpecs[name].entry, '/tmp/omnilink-env-scan'),
        write: false,
        minify: false,
        sourcemap: false,
        logLevel: 'silent',
      });
      const code = result.outputFiles.find((file) => file.path.endsWith('.mjs'))?.text ?? '';
      bundles.set(name, code);
    }),
  );
}, 120_000);

const variablesOf = (s: Synthesized, name: FunctionName): Record<string, unknown> =>
  s.template.toJSON().Resources[functionId(s.stack, name)].Properties.Environment.Variables;

/**
 * Variables a function's code can reach but must not get, and why (the only exceptions):
 * - the guardrail screens goals, so only the guardian gets it (the others share the model reader);
 * - the saga, the janitor and the rollback sweep load the tool registry to undo steps, but never call a model or send
 *   a request (only bookings have an undo), so they get no model or http_request settings.
 */
const MODEL_AND_TOOL = /^(LLM_|BEDROCK_|OPENAI_|HTTP_TOOL_)/;
const deliberatelyAbsent = (name: FunctionName, key: string): boolean =>
  (key.startsWith('BEDROCK_GUARDRAIL_') && name !== 'guardian') ||
  ((name === 'compensate' || name === 'janitor' || name === 'rollbackSweep') && MODEL_AND_TOOL.test(key));

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** Whether the bundled code accesses variable `key`. */
function reads(code: string, key: string): boolean {
  const k = escapeRegExp(key);
  return new RegExp(
    [
      `\\.${k}\\b`,
      `\\["${k}"\\]`,
      `required\\w*\\(\\s*\\w+,\\s*"${k}"\\s*\\)`,
      `envSchema\\([^)]*"${k}"`,
      `\\b[A-Z_]+_ENV = \\[[^\\]]*"${k}"`,
    ].join('|'),
  ).test(code);
}

// Every optional setting on: a model with a guardrail, an allow-list; and the OpenAI provider.
const deployments: [string, Record<string, unknown>][] = [
  [
    'bedrock with a guardrail and an http allow-list',
    {
      llmProvider: 'bedrock',
      bedrockGuardrailId: 'gr-123',
      bedrockGuardrailVersion: '1',
      httpToolAllowedHosts: 'api.example.com',
    },
  ],
  [
    'openai with an API-key secret',
    {
      llmProvider: 'openai',
      openAiModel: 'gpt-x',
      openAiApiKeySecretArn: 'openai-key',
      httpToolAllowedHosts: 'api.example.com',
    },
  ],
];

describe.each(deployments)('function environments (%s)', (_label, context) => {
  const s = synth(context);
  const configured = new Set(names.flatMap((name) => Object.keys(variablesOf(s, name))));

  it.each(names)('%s has every configured variable its code reads', (name) => {
    const code = bundles.get(name) ?? '';
    expect(code.length).toBeGreaterThan(1000);
    const set = Object.keys(variablesOf(s, name));
    const missing = [...configured].filter(
      (key) => reads(code, key) && !set.includes(key) && !deliberatelyAbsent(name, key),
    );
    expect(missing, `${name} reads ${missing.join(', ')} but the stack does not set them`).toEqual([]);
  });

  it('gives the planner the same http_request hint as the step function', () => {
    expect(variablesOf(s, 'planner').HTTP_TOOL_ALLOWED_HOSTS).toBe('api.example.com');
    expect(variablesOf(s, 'planner').HTTP_TOOL_ALLOWED_HOSTS).toBe(
      variablesOf(s, 'step').HTTP_TOOL_ALLOWED_HOSTS,
    );
  });

  it.each(names)(
    '%s gets exactly the variables of lib/function-environment.ts (what the local runtime gives it)',
    (name) => {
      const expected = functionEnvironment(name, {
        serviceName: 'x',
        metricsNamespace: 'x',
        logLevel: 'INFO',
        rateLimitPerMinute: 1,
        rateLimitBurst: 1,
        approvalTimeoutSeconds: 1,
        eventSource: 'x',
        models: {
          provider: context.llmProvider as 'bedrock' | 'openai',
          bedrockModelId: 'm',
          ...(context.bedrockGuardrailId ? { bedrockGuardrail: { id: 'g', version: '1' } } : {}),
          openAiBaseUrl: 'u',
          ...(context.openAiModel ? { openAiModel: 'm' } : {}),
          ...(context.openAiApiKeySecretArn ? { openAiApiKeySecretArn: 's' } : {}),
          httpToolAllowedHosts: ['api.example.com'],
        },
      });
      expect(Object.keys(variablesOf(s, name)).sort()).toEqual(Object.keys(expected).sort());
    },
  );
});
