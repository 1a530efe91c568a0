import { cacheScopes, embedderKinds } from '#domain/cache/settings.ts';
import { modelProviders } from '#domain/llm/provider.ts';
import { once } from '#domain/once.ts';
import * as z from '#domain/zod.ts';

/**
 * Every variable a function may read, named and validated once. Each handler parses exactly the
 * ones it needs, once at module load: `const env = parseEnv(envSchema('STATE_TABLE', ...))`. A
 * variable the stack forgot fails the cold start with its name, not a later call. Which function
 * gets which variable is lib/function-environment.ts (the stack and the local runtime both use it).
 */
/*
 * The shapes several variables share are built once and shared (zod schemas are immutable): a
 * variable that only adds a default or `optional` wraps the shared one. Each is built at its first
 * use, so a function builds only what its variables need.
 */
const name = once(() => z.string().check(z.minLength(1)));
const positiveInt = once(() => z.coerce.number().check(z.int(), z.positive()));
const positiveNumber = once(() => z.coerce.number().check(z.positive()));
const url = once(() => z.string().check(z.url()));
const blankToUndefined = once(() => z.transform((value: unknown) => (value === '' ? undefined : value)));
/** Unset and empty are the same thing (CloudFormation cannot unset a variable, only blank it). */
const blankIsUnset = <S extends z.ZodMiniType>(schema: S) =>
  // classic zod's `z.preprocess(fn, schema)` is this pipe (zod/mini has no preprocess).
  z.pipe(blankToUndefined(), z.optional(schema));
const optionalString = once(() => blankIsUnset(z.string()));
/** `true`/`1`/`yes` or `false`/`0`/`no` (any case, spaces ignored); unset is false. */
const flag = once(() =>
  z.pipe(
    z.pipe(
      z.pipe(
        z.optional(z.string()),
        z.transform((v) => (v ?? '').trim().toLowerCase()),
      ),
      z.enum(['true', 'false', '1', '0', 'yes', 'no', '']),
    ),
    z.transform((v) => v === 'true' || v === '1' || v === 'yes'),
  ),
);
/** A comma-separated list; unset or empty is the empty list. */
const list = once(() =>
  z.pipe(
    z._default(z.string(), ''),
    z.transform((v) =>
      v
        .split(',')
        .map((item) => item.trim())
        .filter((item) => item !== ''),
    ),
  ),
);

/**
 * How to build each variable's schema. Built on demand, for the variables a function names: building
 * all fifty at every cold start cost ~8 ms (zod constructs a schema eagerly), and a function reads
 * five to twenty of them.
 */
const envFieldSchemas = {
  EVENT_LOG_TABLE: name,
  STATE_TABLE: name,
  BOOKINGS_TABLE: name,
  CACHE_TABLE: name,
  /** The push channel's connections and subscriptions. */
  CONNECTIONS_TABLE: name,
  EVENT_BUS_NAME: name,
  STATE_MACHINE_ARN: name,
  RATE_LIMIT_PER_MINUTE: () => z._default(positiveInt(), 120),
  RATE_LIMIT_BURST: () => z._default(positiveInt(), 30),
  /** How long workflow records and idempotency keys live: Step Functions' 90-day name-reuse window. */
  WORKFLOW_RECORD_TTL_DAYS: () => z._default(positiveInt(), 90),
  /**
   * How long a workflow may log no progress before a status poll asks Step Functions about it (one
   * DescribeExecution per window per workflow, however many clients poll).
   */
  STATUS_STALE_AFTER_SECONDS: () => z._default(positiveInt(), 60),
  /**
   * How long a workflow left failed and redrivable (a transient failure that outlasted its retries)
   * waits for a redrive before the sweep rolls it back: at most the 14-day redrive window.
   */
  ROLLBACK_DEADLINE_HOURS: () => z._default(z.coerce.number().check(z.positive(), z.lte(336)), 24),
  /** How long the audit trail is kept. */
  EVENT_LOG_TTL_DAYS: () => z._default(positiveInt(), 365),
  /** Origin of flights whose goal and context name none (a city name or IATA code). */
  DEFAULT_ORIGIN_CITY: () => z._default(name(), 'LON'),
  /** How long a workflow waits for a human approval before it is cancelled (the callback's timeout). */
  APPROVAL_TIMEOUT_SECONDS: () => z._default(positiveInt(), 86_400),
  /** `Source` of the lifecycle events published to the bus (the `aws.` prefix is AWS's own). */
  EVENT_SOURCE: () =>
    z._default(
      z.string().check(
        z.minLength(1),
        z.maxLength(256),
        z.refine((source) => !source.startsWith('aws.'), 'EVENT_SOURCE must not start with "aws."'),
      ),
      'omnilink.orchestrator',
    ),
  /** The WebSocket stage's callback URL (API Gateway Management API endpoint). */
  WEBSOCKET_CALLBACK_URL: url,
  /** How long connection and subscription items live (a connection lasts 2 hours at most). */
  PUSH_TTL_HOURS: () => z._default(positiveNumber(), 3),
  /** JWTs the WebSocket authorizer accepts: the HTTP API authorizer's issuer and audiences. */
  JWT_ISSUER: name,
  JWT_AUDIENCE: name,
  JWT_JWKS_URL: url,
  /** The semantic plan cache in front of the planner (`false` turns it off). */
  CACHE_ENABLED: () =>
    z.pipe(
      z._default(z.enum(['true', 'false']), 'true'),
      z.transform((v) => v === 'true'),
    ),
  /** `user`: one user's entries never reach another; `global`: shared by all users. */
  CACHE_SCOPE: () => z._default(z.enum(cacheScopes), 'user'),
  CACHE_TTL_DAYS: () => z._default(positiveInt(), 30),
  CACHE_MAX_ENTRIES_PER_SCOPE: () => z._default(positiveInt(), 500),
  /** Minimum cosine between the wordings of a goal and a cached template that fits it (values masked). */
  CACHE_MIN_SIMILARITY: () => z._default(z.coerce.number().check(z.gte(-1), z.lte(1)), 0.6),
  /** `offline` (shipped word vectors) or `titan` (Amazon Titan Text Embeddings V2 on Bedrock). */
  CACHE_EMBEDDER: () => z._default(z.enum(embedderKinds), 'offline'),
  CACHE_EMBEDDING_MODEL_ID: () => z._default(name(), 'amazon.titan-embed-text-v2:0'),
  CACHE_EMBEDDING_DIMENSIONS: () =>
    z._default(z.pipe(z.coerce.number(), z.union([z.literal(256), z.literal(512), z.literal(1024)])), 256),
  // The model (lambdas/adapters/llm `llmConfig`): which provider, its model and limits.
  LLM_PROVIDER: () => z._default(z.enum(modelProviders), 'offline'),
  /** Per-call timeout; keep it below the function timeout. */
  LLM_TIMEOUT_MS: () => z._default(positiveInt(), 60_000),
  /** Default answer budget when a request sets none. */
  LLM_MAX_TOKENS: () => z._default(positiveInt(), 1024),
  BEDROCK_MODEL_ID: optionalString,
  /** The content guardrail the guardian applies (both or neither). */
  BEDROCK_GUARDRAIL_ID: optionalString,
  BEDROCK_GUARDRAIL_VERSION: optionalString,
  OPENAI_BASE_URL: () => blankIsUnset(z.url()),
  OPENAI_MODEL: optionalString,
  OPENAI_API_KEY: optionalString,
  /** In AWS: ARN (or name) of the Secrets Manager secret holding the key, read when OPENAI_API_KEY is unset. */
  OPENAI_API_KEY_SECRET_ARN: optionalString,
  OPENAI_MAX_TOKENS_PARAM: () => blankIsUnset(z.enum(['max_tokens', 'max_completion_tokens'])),
  // The `http_request` tool's fetch policy (lambdas/adapters/http/safe-fetch.ts `httpToolPolicy`).
  /** Hosts `http_request` may call (comma-separated); unset or empty = every request is refused. */
  HTTP_TOOL_ALLOWED_HOSTS: list,
  HTTP_TOOL_ALLOW_HTTP: flag,
  HTTP_TOOL_MAX_BYTES: () => z.optional(positiveInt()),
  HTTP_TOOL_TIMEOUT_MS: () => z.optional(positiveInt()),
  HTTP_TOOL_MAX_REDIRECTS: () => z.optional(z.coerce.number().check(z.int(), z.gte(0))),
} as const satisfies Record<string, () => z.ZodMiniType>;

/**
 * The workflow's log and records, for functions that append events or keep workflow records
 * (`eventLogDeps`, `stateTableDeps`): `envSchema(...WORKFLOW_LOG_ENV, ...)`.
 */
export const WORKFLOW_LOG_ENV = [
  'EVENT_LOG_TABLE',
  'STATE_TABLE',
  'EVENT_LOG_TTL_DAYS',
  'WORKFLOW_RECORD_TTL_DAYS',
] as const;

/** The model settings, for functions that call a model (`envSchema(...LLM_ENV, ...)`). */
export const LLM_ENV = [
  'LLM_PROVIDER',
  'LLM_TIMEOUT_MS',
  'LLM_MAX_TOKENS',
  'BEDROCK_MODEL_ID',
  'BEDROCK_GUARDRAIL_ID',
  'BEDROCK_GUARDRAIL_VERSION',
  'OPENAI_BASE_URL',
  'OPENAI_MODEL',
  'OPENAI_API_KEY',
  'OPENAI_API_KEY_SECRET_ARN',
  'OPENAI_MAX_TOKENS_PARAM',
] as const;

/** The plan cache's settings, for the planner (CACHE_TABLE apart: without it there is no cache). */
export const PLAN_CACHE_ENV = [
  'CACHE_ENABLED',
  'CACHE_SCOPE',
  'CACHE_TTL_DAYS',
  'CACHE_MAX_ENTRIES_PER_SCOPE',
  'CACHE_MIN_SIMILARITY',
  'CACHE_EMBEDDER',
  'CACHE_EMBEDDING_MODEL_ID',
  'CACHE_EMBEDDING_DIMENSIONS',
] as const;

/** The `http_request` tool's settings, for functions that run or describe it. */
export const HTTP_TOOL_ENV = [
  'HTTP_TOOL_ALLOWED_HOSTS',
  'HTTP_TOOL_ALLOW_HTTP',
  'HTTP_TOOL_MAX_BYTES',
  'HTTP_TOOL_TIMEOUT_MS',
  'HTTP_TOOL_MAX_REDIRECTS',
] as const;

/** The schema of each variable. */
export type EnvFields = { [K in keyof typeof envFieldSchemas]: ReturnType<(typeof envFieldSchemas)[K]> };
export type EnvKey = keyof EnvFields;

/** The parsed values of the variables `K` (what `parseEnv(envSchema(...K))` returns). */
export type EnvOf<K extends EnvKey> = z.output<z.ZodMiniObject<Pick<EnvFields, K>>>;

/** The schema of one variable (e.g. to make it optional for one function). */
export function envField<K extends EnvKey>(key: K): EnvFields[K] {
  return envFieldSchemas[key]() as EnvFields[K];
}

/** The schema of a function's environment: exactly the named variables. */
export function envSchema<const K extends EnvKey>(
  ...keys: readonly K[]
): z.ZodMiniObject<Pick<EnvFields, K>> {
  const shape = Object.fromEntries(keys.map((key) => [key, envField(key)])) as Pick<EnvFields, K>;
  return z.object(shape);
}

/** Parses the environment once; throws naming every bad or missing variable. */
export function parseEnv<S extends z.ZodMiniType>(
  schema: S,
  source: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success)
    throw new Error(`invalid environment: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`);
  return parsed.data;
}
