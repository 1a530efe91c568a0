import type { ModelSettings } from './constructs/model-access.ts';
import { type FunctionName, type FunctionSpec, functionSpecs, type TableName, tableSpecs } from './specs.ts';

/**
 * Each function's environment, exactly: the one source of truth for the CDK stack (which resolves the
 * references to its tables, state machine and bus) and for the local runtime (which resolves them to
 * its stand-ins and gives each function's worker this environment and nothing else). A variable set
 * here for one function is absent from every other, locally as in AWS.
 */

/** A value known only once the resources exist: resolved by the stack (a token) or the local runtime. */
export type EnvReference =
  | { readonly ref: 'table'; readonly table: TableName }
  | { readonly ref: 'stateMachineArn' }
  | { readonly ref: 'eventBusName' }
  /** The push channel's WebSocket stage URL for the API Gateway Management API (PostToConnection). */
  | { readonly ref: 'websocketCallbackUrl' }
  /** The issuer, audiences (comma-separated) and JWKS URL of the JWTs the APIs accept. */
  | { readonly ref: 'jwtIssuer' }
  | { readonly ref: 'jwtAudience' }
  | { readonly ref: 'jwksUrl' };

export type EnvValue = string | EnvReference;

/** The deployment settings the environment is made of (the stack's props/context; locally `npm start`'s env). */
export interface FunctionEnvironmentSettings {
  readonly serviceName: string;
  readonly metricsNamespace: string;
  /** Powertools log level. */
  readonly logLevel: string;
  readonly rateLimitPerMinute: number;
  readonly rateLimitBurst: number;
  readonly approvalTimeoutSeconds: number;
  /** `Source` of the lifecycle events (the publisher's EVENT_SOURCE). */
  readonly eventSource: string;
  readonly models: ModelSettings;
}

/**
 * Per-call model timeout that keeps an invocation inside its function timeout: the guardian and the
 * planner may call twice (the repair round), the guardian also waits up to 10 s for the guardrail,
 * and 5 s stay for the event log. At most 60 s a call; the step function calls once (`llm_generate`).
 */
export function modelCallTimeoutMs(timeoutSeconds: number, calls: number, guardrail: boolean): number {
  const budget = timeoutSeconds * 1000 - 5_000 - (guardrail ? 10_000 : 0);
  return Math.max(5_000, Math.min(60_000, Math.floor(budget / calls)));
}

/**
 * How long a connection's and a subscription's items live (DynamoDB TTL): API Gateway closes a
 * WebSocket connection after 2 hours at most, so anything older is left over from a lost $disconnect.
 */
export const PUSH_TTL_HOURS = 3;

/** How many model calls one invocation may make (the guardian and planner have a repair round). */
const MODEL_CALLS: Partial<Record<FunctionName, number>> = { guardian: 2, planner: 2 };

/** The environment of function `name` (every variable the stack sets on it, and only those). */
export function functionEnvironment(
  name: string,
  settings: FunctionEnvironmentSettings,
  spec: FunctionSpec = functionSpecs[name as FunctionName],
): Record<string, EnvValue> {
  const reads = new Set(spec.reads ?? []);
  const env: Record<string, EnvValue> = {
    POWERTOOLS_SERVICE_NAME: settings.serviceName,
    POWERTOOLS_METRICS_NAMESPACE: settings.metricsNamespace,
    POWERTOOLS_LOG_LEVEL: settings.logLevel,
    RATE_LIMIT_PER_MINUTE: String(settings.rateLimitPerMinute),
    RATE_LIMIT_BURST: String(settings.rateLimitBurst),
    APPROVAL_TIMEOUT_SECONDS: String(settings.approvalTimeoutSeconds),
    LLM_PROVIDER: settings.models.provider,
  };
  for (const table of Object.keys(spec.tables) as TableName[]) {
    env[tableSpecs[table].envVar] = { ref: 'table', table };
  }
  if (spec.putsEvents === true) env.EVENT_BUS_NAME = { ref: 'eventBusName' };
  if (spec.stepFunctions !== undefined && spec.stepFunctions.length > 0) {
    env.STATE_MACHINE_ARN = { ref: 'stateMachineArn' };
  }
  if (spec.streamSource === 'eventLog' && spec.putsEvents === true) env.EVENT_SOURCE = settings.eventSource;
  if (spec.postsToConnections === true) env.WEBSOCKET_CALLBACK_URL = { ref: 'websocketCallbackUrl' };
  if (spec.websocketAuthorizer === true) {
    env.JWT_ISSUER = { ref: 'jwtIssuer' };
    env.JWT_AUDIENCE = { ref: 'jwtAudience' };
    env.JWT_JWKS_URL = { ref: 'jwksUrl' };
  }
  if (spec.websocketRoutes !== undefined || spec.postsToConnections === true) {
    env.PUSH_TTL_HOURS = String(PUSH_TTL_HOURS);
  }

  const models = settings.models;
  if (reads.has('model')) {
    const guarded = reads.has('guardrail') && models.bedrockGuardrail !== undefined;
    if (models.provider !== 'offline') {
      env.LLM_TIMEOUT_MS = String(
        modelCallTimeoutMs(spec.timeoutSeconds, MODEL_CALLS[name as FunctionName] ?? 1, guarded),
      );
    }
    if (models.provider === 'bedrock') env.BEDROCK_MODEL_ID = models.bedrockModelId;
    if (models.provider === 'openai') {
      env.OPENAI_BASE_URL = models.openAiBaseUrl;
      if (models.openAiModel !== undefined) env.OPENAI_MODEL = models.openAiModel;
      if (models.openAiApiKeySecretArn !== undefined) {
        env.OPENAI_API_KEY_SECRET_ARN = models.openAiApiKeySecretArn;
      }
    }
    if (guarded && models.bedrockGuardrail !== undefined) {
      env.BEDROCK_GUARDRAIL_ID = models.bedrockGuardrail.id;
      env.BEDROCK_GUARDRAIL_VERSION = models.bedrockGuardrail.version;
    }
  }
  // The planner tells the model which hosts `http_request` may call: the same list the step enforces.
  if (reads.has('httpTool') && models.httpToolAllowedHosts.length > 0) {
    env.HTTP_TOOL_ALLOWED_HOSTS = models.httpToolAllowedHosts.join(',');
  }
  return env;
}

/** Resolves the references of an environment (`resolve` gives each its value). */
export function resolveEnvironment<T>(
  env: Readonly<Record<string, EnvValue>>,
  resolve: (reference: EnvReference) => T,
): Record<string, string | T> {
  return Object.fromEntries(
    Object.entries(env).map(([key, value]) => [key, typeof value === 'string' ? value : resolve(value)]),
  );
}
