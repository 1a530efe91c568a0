import { fillerWords, rolePrepositions } from './lexicon.ts';
import { cosine, type WordVectors } from './vocabulary.ts';

/**
 * Turns text into a vector whose cosine with another text's vector says how alike their meanings
 * are. The cache embeds a goal's WORDING (its values masked, see template.ts) and ranks the templates
 * that fit a goal by it, requiring a minimum similarity.
 */
export interface Embedder {
  /** Identifies the model and its settings: vectors of different embedders are never compared. */
  readonly id: string;
  embed(text: string): Promise<Float32Array>;
}

/**
 * The offline embedder: the mean of the word vectors of the text's content words (filler and
 * prepositions left out), unit length. No network; deterministic. The shipped vectors are
 * lambdas/adapters/embedders/word-vectors.ts's `shippedWordVectors()`.
 */
export function createOfflineEmbedder(vectors: WordVectors): Embedder {
  return {
    id: 'offline-glove-100d-int8-v2',
    embed: async (text) => {
      const sum = new Float32Array(vectors.dimensions);
      const words = text.toLowerCase().match(/[a-z]+/g) ?? [];
      for (const word of words) {
        if (fillerWords.has(word) || rolePrepositions.has(word)) continue;
        const v = vectors.get(word);
        if (!v) continue;
        for (let d = 0; d < sum.length; d++) sum[d] = (sum[d] ?? 0) + (v[d] ?? 0);
      }
      const norm = Math.hypot(...sum) || 1;
      return sum.map((x) => x / norm);
    },
  };
}

/** Packs a vector as base64 int8 (scaled by its largest component): cosine is scale-invariant. */
export function quantize(vector: ArrayLike<number>): string {
  let max = 0;
  for (let i = 0; i < vector.length; i++) max = Math.max(max, Math.abs(vector[i] ?? 0));
  const bytes = new Int8Array(vector.length);
  for (let i = 0; i < vector.length; i++) bytes[i] = max ? Math.round(((vector[i] ?? 0) / max) * 127) : 0;
  return Buffer.from(bytes.buffer).toString('base64');
}

/** Unpacks {@link quantize}'s output. */
export function dequantize(packed: string): Float32Array {
  return Float32Array.from(new Int8Array(Buffer.from(packed, 'base64')));
}

/** Cosine of two vectors, 0 when the lengths differ (vectors of different models). */
export function similarity(a: ArrayLike<number>, b: ArrayLike<number>): number {
  return a.length === b.length ? cosine(a, b) : 0;
}
