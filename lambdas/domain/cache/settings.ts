/*
 * The plan cache's named choices, once: CACHE_SCOPE and CACHE_EMBEDDER (lambdas/middleware/env.ts)
 * parse against these, and the cache and embedder code take their types. Values only: this module is
 * cheap to import from the environment schema of every function.
 */

/** `user`: one user's entries never reach another; `global`: shared by all users (opt-in). */
export const cacheScopes = ['user', 'global'] as const;
export type CacheScope = (typeof cacheScopes)[number];

/** `offline` (shipped word vectors, no network) or `titan` (Amazon Titan Text Embeddings V2 on Bedrock). */
export const embedderKinds = ['offline', 'titan'] as const;
export type EmbedderKind = (typeof embedderKinds)[number];
