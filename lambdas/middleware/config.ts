import { z } from 'zod';
import { cacheScopes, embedderKinds } from '#domain/cache/settings.ts';
import { modelProviders } from '#domain/llm/provider.ts';

/**
 * Environment of every function, read once at module load. Locally the same variables are set by the
 * local runtime; in AWS by the CDK stack. Only the names the function uses need to be present.
 */
const envSchema = z.object({
  EVENT_LOG_TABLE: z.string().min(1).optional(),
  STATE_TABLE: z.string().min(1).optional(),
  BOOKINGS_TABLE: z.string().min(1).optional(),
  EVENT_BUS_NAME: z.string().min(1).optional(),
  STATE_MACHINE_ARN: z.string().min(1).optional(),
  RATE_LIMIT_PER_MINUTE: z.coerce.number().int().positive().default(120),
  RATE_LIMIT_BURST: z.coerce.number().int().positive().default(30),
  /** How long workflow records and idempotency keys live: Step Functions' 90-day name-reuse window. */
  WORKFLOW_RECORD_TTL_DAYS: z.coerce.number().int().positive().default(90),
  /**
   * How long a workflow may log no progress before a status poll asks Step Functions about it (one
   * DescribeExecution per window per workflow, however many clients poll).
   */
  STATUS_STALE_AFTER_SECONDS: z.coerce.number().int().positive().default(60),
  /**
   * How long a workflow left failed and redrivable (a transient failure that outlasted its retries)
   * waits for a redrive before the sweep rolls it back: at most the 14-day redrive window.
   */
  ROLLBACK_DEADLINE_HOURS: z.coerce.number().positive().max(336).default(24),
  /** How long the audit trail is kept. */
  EVENT_LOG_TTL_DAYS: z.coerce.number().int().positive().default(365),
  LLM_PROVIDER: z.enum(modelProviders).default('offline'),
  /** Origin of flights whose goal and context name none (a city name or IATA code). */
  DEFAULT_ORIGIN_CITY: z.string().min(1).default('LON'),
  /** How long a workflow waits for a human approval before it is cancelled (the callback's timeout). */
  APPROVAL_TIMEOUT_SECONDS: z.coerce.number().int().positive().default(86_400),
  /** `Source` of the lifecycle events published to the bus (the `aws.` prefix is AWS's own). */
  EVENT_SOURCE: z
    .string()
    .min(1)
    .max(256)
    .refine((source) => !source.startsWith('aws.'), 'EVENT_SOURCE must not start with "aws."')
    .default('omnilink.orchestrator'),
  CACHE_TABLE: z.string().min(1).optional(),
  /** The push channel's connections and subscriptions. */
  CONNECTIONS_TABLE: z.string().min(1).optional(),
  /** The WebSocket stage's callback URL (API Gateway Management API endpoint). */
  WEBSOCKET_CALLBACK_URL: z.string().url().optional(),
  /** How long connection and subscription items live (a connection lasts 2 hours at most). */
  PUSH_TTL_HOURS: z.coerce.number().positive().default(3),
  /** JWTs the WebSocket authorizer accepts: the HTTP API authorizer's issuer and audiences. */
  JWT_ISSUER: z.string().min(1).optional(),
  JWT_AUDIENCE: z.string().min(1).optional(),
  JWT_JWKS_URL: z.string().url().optional(),
  /** The semantic plan cache in front of the planner (`false` turns it off). */
  CACHE_ENABLED: z
    .enum(['true', 'false'])
    .default('true')
    .transform((v) => v === 'true'),
  /** `user`: one user's entries never reach another; `global`: shared by all users. */
  CACHE_SCOPE: z.enum(cacheScopes).default('user'),
  CACHE_TTL_DAYS: z.coerce.number().int().positive().default(30),
  CACHE_MAX_ENTRIES_PER_SCOPE: z.coerce.number().int().positive().default(500),
  /** Minimum cosine between the wordings of a goal and a cached template that fits it (values masked). */
  CACHE_MIN_SIMILARITY: z.coerce.number().min(-1).max(1).default(0.6),
  /** `offline` (shipped word vectors) or `titan` (Amazon Titan Text Embeddings V2 on Bedrock). */
  CACHE_EMBEDDER: z.enum(embedderKinds).default('offline'),
  CACHE_EMBEDDING_MODEL_ID: z.string().min(1).default('amazon.titan-embed-text-v2:0'),
  CACHE_EMBEDDING_DIMENSIONS: z.coerce
    .number()
    .pipe(z.union([z.literal(256), z.literal(512), z.literal(1024)]))
    .default(256),
});

export type Env = z.infer<typeof envSchema>;

/** Parses the environment; throws a readable error naming the bad variable. */
export function readEnv(source: NodeJS.ProcessEnv = process.env): Env {
  return envSchema.parse(source);
}

/** Returns a required variable, failing loudly at use when the stack forgot to set it. */
export function required<K extends keyof Env>(env: Env, key: K): NonNullable<Env[K]> {
  const value = env[key];
  if (value === undefined || value === null)
    throw new Error(`environment variable ${String(key)} is not set`);
  return value as NonNullable<Env[K]>;
}
