import type { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { createOfflineEmbedder, type Embedder } from '#domain/cache/embedder.ts';
import type { EmbedderKind } from '#domain/cache/settings.ts';
import { createTitanEmbedder } from './titan.ts';
import { shippedWordVectors } from './word-vectors.ts';

export interface EmbedderSettings {
  /** `offline` (the shipped word vectors, read once; no network) or `titan` (Bedrock). */
  readonly kind: EmbedderKind;
  readonly modelId?: string;
  readonly dimensions?: 256 | 512 | 1024;
  /** Needed for `titan`; created once at module load by the handler. */
  readonly bedrock?: BedrockRuntimeClient;
}

/** The embedder CACHE_EMBEDDER selects. */
export function createEmbedder(settings: EmbedderSettings): Embedder {
  if (settings.kind === 'offline') return createOfflineEmbedder(shippedWordVectors());
  if (!settings.bedrock) throw new Error('the titan embedder needs a Bedrock runtime client');
  return createTitanEmbedder({
    client: settings.bedrock,
    ...(settings.modelId && { modelId: settings.modelId }),
    ...(settings.dimensions && { dimensions: settings.dimensions }),
  });
}
