import { readFileSync } from 'node:fs';
import { shippedWordVectors as over, type WordVectors } from '#domain/cache/vocabulary.ts';
import { once } from '#domain/once.ts';

/**
 * The shipped vocabulary's word vectors: vocabulary-vectors.bin, int8 rows in the order of
 * vocabulary.json's words (bin/derive-embeddings.ts writes both), beside this module in the project
 * and beside the bundle that imports it in a Lambda (lib/constructs/function.ts ships it). Read once:
 * ~290 KB of bytes, where base64 in JSON cost ~7 ms of the planner's cold import.
 */
export const shippedWordVectors: () => WordVectors = once(() => {
  const file = readFileSync(new URL('./vocabulary-vectors.bin', import.meta.url));
  return over(new Int8Array(file.buffer, file.byteOffset, file.byteLength));
});
