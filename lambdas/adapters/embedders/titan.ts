import { type BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import type { Embedder } from '#domain/cache/embedder.ts';
import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';

const titanResponseSchema = z.object({ embedding: z.array(z.number()) });

/** Amazon Titan Text Embeddings V2 (on demand). */
export const DEFAULT_TITAN_EMBEDDING_MODEL_ID = 'amazon.titan-embed-text-v2:0';

export interface TitanEmbedderOptions {
  /** Created once per function (module level) by the caller; tests pass a mock. */
  readonly client: BedrockRuntimeClient;
  /** @default 'amazon.titan-embed-text-v2:0' */
  readonly modelId?: string;
  /** 256, 512 or 1024. @default 256 */
  readonly dimensions?: 256 | 512 | 1024;
}

/**
 * Titan Text Embeddings V2 through Bedrock's InvokeModel: `{inputText, dimensions, normalize: true}`
 * in, `{embedding: number[]}` out. Throttling and 5xx become TransientError (the task retries).
 */
export function createTitanEmbedder(options: TitanEmbedderOptions): Embedder {
  const modelId = options.modelId ?? DEFAULT_TITAN_EMBEDDING_MODEL_ID;
  const dimensions = options.dimensions ?? 256;
  return {
    id: `${modelId}/${dimensions}`,
    embed: async (text) => {
      let body: Uint8Array | undefined;
      try {
        const out = await options.client.send(
          new InvokeModelCommand({
            modelId,
            contentType: 'application/json',
            accept: 'application/json',
            body: JSON.stringify({ inputText: text, dimensions, normalize: true }),
          }),
        );
        body = out.body;
      } catch (error) {
        const name = error instanceof Error ? error.name : '';
        if (/Throttling|ServiceUnavailable|InternalServer|ModelNotReady|Timeout/.test(name)) {
          throw new TransientError(`Titan embeddings unavailable (${name})`, { cause: error });
        }
        throw error;
      }
      const parsed = titanResponseSchema.safeParse(JSON.parse(new TextDecoder().decode(body)));
      const embedding = parsed.success ? parsed.data.embedding : undefined;
      if (!embedding || embedding.length !== dimensions) {
        throw new Error(`Titan returned no ${dimensions}-d embedding`);
      }
      return Float32Array.from(embedding);
    },
  };
}
