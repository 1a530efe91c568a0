import { ArnFormat, Stack, Validations } from 'aws-cdk-lib';
import { type IGrantable, PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { Function as LambdaFunction } from 'aws-cdk-lib/aws-lambda';
import { type ISecret, Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import { parseAllowEntry } from '../../lambdas/adapters/http/allow-list.ts';
import { DEFAULT_BEDROCK_MODEL_ID } from '../../lambdas/adapters/llm/config.ts';
import { type ModelProviderName, modelProviders } from '../../lambdas/domain/llm/provider.ts';

/** LLM providers the functions understand (lambdas/adapters/llm `readLlmConfig`). */
export type ModelProvider = ModelProviderName;

/** The Bedrock model used when none is configured: the functions' own default. */
export { DEFAULT_BEDROCK_MODEL_ID } from '../../lambdas/adapters/llm/config.ts';

/** The provider a deployment uses when none is configured (the local runtime defaults to `offline`). */
export const DEFAULT_LLM_PROVIDER: ModelProviderName = 'bedrock';

/** Model and tool settings, resolved from props or context (see {@link resolveModelSettings}). */
export interface ModelSettings {
  readonly provider: ModelProvider;
  /** Foundation model id, cross-Region inference profile id (`us.…`, `eu.…`, `global.…`) or an ARN. */
  readonly bedrockModelId: string;
  readonly bedrockGuardrail?: { readonly id: string; readonly version: string };
  readonly openAiBaseUrl: string;
  readonly openAiModel?: string;
  /** Secrets Manager secret (ARN or name) with the OpenAI-compatible API key. */
  readonly openAiApiKeySecretArn?: string;
  /** Allow-list of the `http_request` tool (empty: every request is refused). */
  readonly httpToolAllowedHosts: readonly string[];
}

/** Props of {@link ModelAccess}. */
export interface ModelAccessProps {
  readonly settings: ModelSettings;
  /** Functions that call the model (guardian, planner, and the step executor for `llm_generate`). */
  readonly modelFunctions: readonly LambdaFunction[];
  /** The function that screens goals: it alone gets the guardrail. */
  readonly guardrailFunction: LambdaFunction;
  /** The function that runs tools: it gets the `http_request` allow-list. */
  readonly toolFunction: LambdaFunction;
}

/** Cross-Region (system-defined) inference profile ids start with a geography. */
const PROFILE_PREFIX = /^(us|us-gov|eu|apac|jp|au|ca|global)\.(.+)$/;

/**
 * The configured model's least-privilege grants (the variables that configure it, BEDROCK_MODEL_ID,
 * BEDROCK_GUARDRAIL_ID/VERSION, OPENAI_*, LLM_TIMEOUT_MS, HTTP_TOOL_ALLOWED_HOSTS, come from
 * lib/function-environment.ts, the definition the local runtime shares):
 * - bedrock: `bedrock:InvokeModel` (Converse) on the foundation model; for an inference profile on
 *   the profile and on the foundation model in every Region the profile may route to;
 * - a guardrail: `bedrock:ApplyGuardrail` on that guardrail, for the guardian only;
 * - openai: `secretsmanager:GetSecretValue` on the API-key secret, when one is given.
 * `offline` needs nothing.
 */
export class ModelAccess extends Construct {
  /** The Bedrock resources the model functions may invoke (empty unless the provider is bedrock). */
  readonly invokableArns: readonly string[];
  readonly apiKeySecret: ISecret | undefined;

  constructor(scope: Construct, id: string, props: ModelAccessProps) {
    super(scope, id);
    const { settings } = props;
    const stack = Stack.of(this);

    this.invokableArns =
      settings.provider === 'bedrock' ? bedrockModelArns(stack, settings.bedrockModelId) : [];
    this.apiKeySecret = undefined;
    // The variables are set from lib/function-environment.ts (shared with the local runtime); here the grants.
    if (settings.provider === 'bedrock') {
      for (const fn of props.modelFunctions) this.grantInvoke(fn, stack);
    }

    if (settings.provider === 'openai' && settings.openAiApiKeySecretArn !== undefined) {
      const given = settings.openAiApiKeySecretArn;
      const secret = !given.startsWith('arn:')
        ? Secret.fromSecretNameV2(this, 'OpenAiApiKey', given)
        : /-[A-Za-z0-9]{6}$/.test(given)
          ? Secret.fromSecretCompleteArn(this, 'OpenAiApiKey', given)
          : Secret.fromSecretPartialArn(this, 'OpenAiApiKey', given);
      this.apiKeySecret = secret;
      for (const fn of props.modelFunctions) {
        secret.grantRead(fn);
      }
    }

    const guardrail = settings.bedrockGuardrail;
    if (guardrail !== undefined) {
      const fn = props.guardrailFunction;
      const guardrailArn = guardrail.id.startsWith('arn:')
        ? guardrail.id
        : stack.formatArn({ service: 'bedrock', resource: 'guardrail', resourceName: guardrail.id });
      fn.addToRolePolicy(
        new PolicyStatement({ actions: ['bedrock:ApplyGuardrail'], resources: [guardrailArn] }),
      );
    }
  }

  private grantInvoke(fn: LambdaFunction & IGrantable, stack: Stack): void {
    fn.addToRolePolicy(
      new PolicyStatement({ actions: ['bedrock:InvokeModel'], resources: [...this.invokableArns] }),
    );
    for (const arn of this.invokableArns) {
      const flattened = flattenCfnReference(stack.resolve(arn));
      if (!flattened.includes('*')) continue;
      Validations.of(fn.role?.node.tryFindChild('DefaultPolicy') ?? fn).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattened}]`,
        reason:
          'A cross-Region inference profile routes each request to the foundation model in one of the ' +
          "profile's Regions, and Bedrock authorizes the model in that Region: the Region is a wildcard, " +
          'the model is exactly the configured one.',
      });
    }
  }
}

/** The ARNs `bedrock:InvokeModel` must allow for a model id, inference profile id or ARN. */
export function bedrockModelArns(stack: Stack, modelId: string): string[] {
  const foundationModel = (id: string, region?: string) =>
    stack.formatArn({
      service: 'bedrock',
      account: '',
      ...(region === undefined ? {} : { region }),
      resource: 'foundation-model',
      resourceName: id,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
  const profileModels = (profileId: string): string[] => {
    const match = PROFILE_PREFIX.exec(profileId);
    if (match?.[2] === undefined) return [];
    const base = match[2];
    // Global profiles are also authorized on the Region-less foundation-model ARN.
    return match[1] === 'global'
      ? [foundationModel(base, '*'), foundationModel(base, '')]
      : [foundationModel(base, '*')];
  };
  if (modelId.startsWith('arn:')) {
    const profile = /:inference-profile\/(.+)$/.exec(modelId)?.[1];
    return [modelId, ...(profile === undefined ? [] : profileModels(profile))];
  }
  if (PROFILE_PREFIX.test(modelId)) {
    const profileArn = stack.formatArn({
      service: 'bedrock',
      resource: 'inference-profile',
      resourceName: modelId,
      arnFormat: ArnFormat.SLASH_RESOURCE_NAME,
    });
    return [profileArn, ...profileModels(modelId)];
  }
  return [foundationModel(modelId)];
}

/** Settings read by {@link resolveModelSettings}: each a prop or, else, a context key of the same name. */
export interface ModelSettingsInput {
  /** Model provider (`LLM_PROVIDER`). */
  readonly llmProvider?: ModelProvider;
  /**
   * Bedrock model (`BEDROCK_MODEL_ID`): a foundation model id, a cross-Region inference profile id
   * (`us.amazon.nova-lite-v1:0`, `eu.…`, `global.…`) or an ARN. It must support Converse with a forced tool.
   * @default 'amazon.nova-lite-v1:0'
   */
  readonly bedrockModelId?: string;
  /**
   * Bedrock guardrail id or ARN applied to every goal before the guardian model (`BEDROCK_GUARDRAIL_ID`).
   * @default - no guardrail
   */
  readonly bedrockGuardrailId?: string;
  /**
   * Version of that guardrail: a number or DRAFT (`BEDROCK_GUARDRAIL_VERSION`).
   * @default - required with `bedrockGuardrailId`
   */
  readonly bedrockGuardrailVersion?: string;
  /**
   * OpenAI-compatible endpoint, up to the API version (`OPENAI_BASE_URL`).
   * @default 'https://api.openai.com/v1'
   */
  readonly openAiBaseUrl?: string;
  /**
   * Model name at that endpoint (`OPENAI_MODEL`).
   * @default - required when the provider is openai
   */
  readonly openAiModel?: string;
  /**
   * Secrets Manager secret (ARN or name) holding the endpoint's API key: the secret string, or a JSON
   * secret with `api_key` (`OPENAI_API_KEY_SECRET_ARN`).
   * @default - no API key (a private endpoint)
   */
  readonly openAiApiKeySecretArn?: string;
  /**
   * Hosts the `http_request` tool may call (`HTTP_TOOL_ALLOWED_HOSTS`): a list or a comma-separated
   * string of `host`, `host:port`, `*.domain`.
   * @default - none (every request is refused)
   */
  readonly httpToolAllowedHosts?: readonly string[] | string;
}

/**
 * Props, else context, else defaults; validated so a bad value fails the synthesis, not the first
 * workflow. `defaultProvider` is the provider when neither says.
 */
export function resolveModelSettings(
  scope: Construct,
  props: ModelSettingsInput,
  defaultProvider: ModelProvider,
): ModelSettings {
  const text = (key: keyof ModelSettingsInput): string | undefined => {
    const value: unknown = props[key] ?? scope.node.tryGetContext(key);
    if (value === undefined || value === null || value === '') return undefined;
    return Array.isArray(value) ? value.map(String).join(',') : String(value).trim();
  };
  const providerText = text('llmProvider') ?? defaultProvider;
  const provider = modelProviders.find((p) => p === providerText);
  if (provider === undefined) {
    throw new Error(`llmProvider must be one of offline, bedrock, openai, got "${providerText}"`);
  }
  const guardrailId = text('bedrockGuardrailId');
  const guardrailVersion = text('bedrockGuardrailVersion');
  if ((guardrailId === undefined) !== (guardrailVersion === undefined)) {
    throw new Error('set both bedrockGuardrailId and bedrockGuardrailVersion, or neither');
  }
  if (guardrailVersion !== undefined && !/^(DRAFT|[1-9][0-9]{0,7})$/.test(guardrailVersion)) {
    throw new Error(`bedrockGuardrailVersion must be DRAFT or a version number, got "${guardrailVersion}"`);
  }
  const openAiModel = text('openAiModel');
  if (provider === 'openai' && openAiModel === undefined) {
    throw new Error('openAiModel is required when llmProvider is openai');
  }
  const openAiBaseUrl = text('openAiBaseUrl') ?? 'https://api.openai.com/v1';
  if (!URL.canParse(openAiBaseUrl)) throw new Error(`openAiBaseUrl is not a URL: "${openAiBaseUrl}"`);
  const hosts = (text('httpToolAllowedHosts') ?? '')
    .split(',')
    .map((h) => h.trim())
    .filter((h) => h !== '');
  for (const host of hosts) parseAllowEntry(host); // throws InvalidHttpPolicy naming the bad entry
  const secret = text('openAiApiKeySecretArn');
  return {
    provider,
    bedrockModelId: text('bedrockModelId') ?? DEFAULT_BEDROCK_MODEL_ID,
    ...(guardrailId !== undefined && guardrailVersion !== undefined
      ? { bedrockGuardrail: { id: guardrailId, version: guardrailVersion } }
      : {}),
    openAiBaseUrl,
    ...(openAiModel === undefined ? {} : { openAiModel }),
    ...(secret === undefined ? {} : { openAiApiKeySecretArn: secret }),
    httpToolAllowedHosts: hosts,
  };
}
