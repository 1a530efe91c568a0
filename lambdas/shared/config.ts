import { z } from 'zod';

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
  /** How long the audit trail is kept. */
  EVENT_LOG_TTL_DAYS: z.coerce.number().int().positive().default(365),
  LLM_PROVIDER: z.enum(['offline', 'bedrock', 'openai']).default('offline'),
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
