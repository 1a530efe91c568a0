import { z } from 'zod';
import { cacheScopes, embedderKinds } from '#domain/cache/settings.ts';

/**
 * Every variable a function may read, named and validated once. Each handler parses exactly the
 * ones it needs, once at module load: `const env = parseEnv(envSchema('STATE_TABLE', ...))`. A
 * variable the stack forgot fails the cold start with its name, not a later call. Which function
 * gets which variable is lib/function-environment.ts (the stack and the local runtime both use it).
 */
const name = z.string().min(1);
const positiveInt = z.coerce.number().int().positive();

export const envFields = {
  EVENT_LOG_TABLE: name,
  STATE_TABLE: name,
  BOOKINGS_TABLE: name,
  CACHE_TABLE: name,
  /** The push channel's connections and subscriptions. */
  CONNECTIONS_TABLE: name,
  EVENT_BUS_NAME: name,
  STATE_MACHINE_ARN: name,
  RATE_LIMIT_PER_MINUTE: positiveInt.default(120),
  RATE_LIMIT_BURST: positiveInt.default(30),
  /** How long workflow records and idempotency keys live: Step Functions' 90-day name-reuse window. */
  WORKFLOW_RECORD_TTL_DAYS: positiveInt.default(90),
  /**
   * How long a workflow may log no progress before a status poll asks Step Functions about it (one
   * DescribeExecution per window per workflow, however many clients poll).
   */
  STATUS_STALE_AFTER_SECONDS: positiveInt.default(60),
  /**
   * How long a workflow left failed and redrivable (a transient failure that outlasted its retries)
   * waits for a redrive before the sweep rolls it back: at most the 14-day redrive window.
   */
  ROLLBACK_DEADLINE_HOURS: z.coerce.number().positive().max(336).default(24),
  /** How long the audit trail is kept. */
  EVENT_LOG_TTL_DAYS: positiveInt.default(365),
  /** Origin of flights whose goal and context name none (a city name or IATA code). */
  DEFAULT_ORIGIN_CITY: name.default('LON'),
  /** How long a workflow waits for a human approval before it is cancelled (the callback's timeout). */
  APPROVAL_TIMEOUT_SECONDS: positiveInt.default(86_400),
  /** `Source` of the lifecycle events published to the bus (the `aws.` prefix is AWS's own). */
  EVENT_SOURCE: z
    .string()
    .min(1)
    .max(256)
    .refine((source) => !source.startsWith('aws.'), 'EVENT_SOURCE must not start with "aws."')
    .default('omnilink.orchestrator'),
  /** The WebSocket stage's callback URL (API Gateway Management API endpoint). */
  WEBSOCKET_CALLBACK_URL: z.string().url(),
  /** How long connection and subscription items live (a connection lasts 2 hours at most). */
  PUSH_TTL_HOURS: z.coerce.number().positive().default(3),
  /** JWTs the WebSocket authorizer accepts: the HTTP API authorizer's issuer and audiences. */
  JWT_ISSUER: name,
  JWT_AUDIENCE: name,
  JWT_JWKS_URL: z.string().url(),
  /** The semantic plan cache in front of the planner (`false` turns it off). */
  CACHE_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** `user`: one user's entries never reach another; `global`: shared by all users. */
  CACHE_SCOPE: z.enum(cacheScopes).default('user'),
  CACHE_TTL_DAYS: positiveInt.default(30),
  CACHE_MAX_ENTRIES_PER_SCOPE: positiveInt.default(500),
  /** Minimum cosine between the wordings of a goal and a cached template that fits it (values masked). */
  CACHE_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.6),
  /** `offline` (shipped word vectors) or `titan` (Amazon Titan Text Embeddings V2 on Bedrock). */
  CACHE_EMBEDDER: z.enum(embedderKinds).default('offline'),
  CACHE_EMBEDDING_MODEL_ID: name.default('amazon.titan-embed-text-v2:0'),
  CACHE_EMBEDDING_DIMENSIONS: z.coerce
    .number()
    .pipe(z.union([z.literal(256), z.literal(512), z.literal(1024)]))
    .default(256),
} as const;

export type EnvKey = keyof typeof envFields;

/** The schema of a function's environment: exactly the named variables. */
export function envSchema<const K extends EnvKey>(
  ...keys: readonly K[]
): z.ZodObject<Pick<typeof envFields, K>> {
  const shape = Object.fromEntries(keys.map((key) => [key, envFields[key]])) as Pick<typeof envFields, K>;
  return z.object(shape);
}

/** Parses the environment once; throws naming every bad or missing variable. */
export function parseEnv<S extends z.ZodType>(
  schema: S,
  source: NodeJS.ProcessEnv = process.env,
): z.output<S> {
  const parsed = schema.safeParse(source);
  if (!parsed.success)
    throw new Error(`invalid environment: ${z.prettifyError(parsed.error).replaceAll('\n', '; ')}`);
  return parsed.data;
}
