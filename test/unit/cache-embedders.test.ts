import { BedrockRuntimeClient, InvokeModelCommand } from '@aws-sdk/client-bedrock-runtime';
import { mockClient } from 'aws-sdk-client-mock';
import { beforeEach, describe, expect, it } from 'vitest';
import { createEmbedder } from '#adapters/embedders/index.ts';
import { createTitanEmbedder } from '#adapters/embedders/titan.ts';
import { shippedWordVectors } from '#adapters/embedders/word-vectors.ts';
import { createOfflineEmbedder, dequantize, quantize, similarity } from '#domain/cache/embedder.ts';
import { goalText } from '#domain/cache/template.ts';
import { isVocabularyWord, wordVectors } from '#domain/cache/vocabulary.ts';
import { TransientError } from '#domain/errors.ts';

const bedrock = mockClient(BedrockRuntimeClient);
const body = (value: unknown) => new TextEncoder().encode(JSON.stringify(value)) as never;

beforeEach(() => bedrock.reset());

describe('Titan Text Embeddings V2 embedder', () => {
  it('calls InvokeModel with the model id, dimensions and normalization, and returns the vector', async () => {
    bedrock
      .on(InvokeModelCommand)
      .resolves({ body: body({ embedding: Array(256).fill(0.5), inputTextTokenCount: 5 }) });
    const embedder = createTitanEmbedder({ client: new BedrockRuntimeClient({}) });
    const vector = await embedder.embed('book a flight to city');
    expect(vector).toHaveLength(256);
    expect(embedder.id).toBe('amazon.titan-embed-text-v2:0/256');
    expect(bedrock).toHaveReceivedCommandWith(InvokeModelCommand, {
      modelId: 'amazon.titan-embed-text-v2:0',
      contentType: 'application/json',
    });
    const sent = bedrock.commandCalls(InvokeModelCommand)[0]?.args[0].input.body;
    expect(JSON.parse(String(sent))).toEqual({
      inputText: 'book a flight to city',
      dimensions: 256,
      normalize: true,
    });
  });

  it('honours another model id and dimension count', async () => {
    bedrock.on(InvokeModelCommand).resolves({ body: body({ embedding: Array(1024).fill(0.1) }) });
    const embedder = createEmbedder({
      kind: 'titan',
      bedrock: new BedrockRuntimeClient({}),
      modelId: 'arn:aws:bedrock:eu-west-1::foundation-model/amazon.titan-embed-text-v2:0',
      dimensions: 1024,
    });
    expect(await embedder.embed('x')).toHaveLength(1024);
    expect(embedder.id).toContain('/1024');
  });

  it('turns throttling into a TransientError (the task retries)', async () => {
    const throttled = Object.assign(new Error('slow down'), { name: 'ThrottlingException' });
    bedrock.on(InvokeModelCommand).rejects(throttled);
    await expect(
      createTitanEmbedder({ client: new BedrockRuntimeClient({}) }).embed('x'),
    ).rejects.toBeInstanceOf(TransientError);
  });

  it('rejects an answer without an embedding of the requested size', async () => {
    bedrock.on(InvokeModelCommand).resolves({ body: body({ embedding: [1, 2, 3] }) });
    await expect(createTitanEmbedder({ client: new BedrockRuntimeClient({}) }).embed('x')).rejects.toThrow(
      /256-d/,
    );
    bedrock.on(InvokeModelCommand).resolves({ body: body({ message: 'nope' }) });
    await expect(createTitanEmbedder({ client: new BedrockRuntimeClient({}) }).embed('x')).rejects.toThrow();
  });
});

describe('the shipped word vectors (vocabulary.json words, vocabulary-vectors.bin rows)', () => {
  it('give each vocabulary word a unit vector, and none to other words', () => {
    const vectors = shippedWordVectors();
    expect(vectors.dimensions).toBe(100);
    for (const word of ['hotel', 'lodging', 'book', 'reserve']) {
      expect(isVocabularyWord(word)).toBe(true);
      const v = vectors.get(word.toUpperCase());
      expect(Math.hypot(...(v ?? []))).toBeCloseTo(1, 5);
    }
    expect(isVocabularyWord('qzxv')).toBe(false);
    expect(vectors.get('qzxv')).toBeUndefined();
  });

  it('refuse bytes that are not one row per word', () => {
    expect(() => wordVectors(new Map([['a', 0]]), 2, new Int8Array(3))).toThrow(
      /3 bytes for 1 words × 2 dimensions/,
    );
  });
});

describe('offline embedder (shipped word vectors)', () => {
  const embedder = createOfflineEmbedder(shippedWordVectors());
  const intent = (goal: string) => embedder.embed(goalText(goal));

  it("rates the issue's paraphrases as similar wordings", async () => {
    expect(
      similarity(
        await intent('Find and reserve a hotel room in Paris'),
        await intent('Book a hotel in Paris'),
      ),
    ).toBeGreaterThan(0.6);
    expect(
      similarity(
        await intent('show me flights from boston to san francisco'),
        await intent('i want to fly from boston to san francisco'),
      ),
    ).toBeGreaterThan(0.6);
    expect(
      similarity(
        await intent('Please book me a flight to New York City'),
        await intent('Book a flight to NYC'),
      ),
    ).toBeGreaterThan(0.6);
  });

  it('is deterministic and unit length', async () => {
    const a = await embedder.embed('book a flight');
    expect(Array.from(a)).toEqual(Array.from(await embedder.embed('book a flight')));
    expect(Math.hypot(...a)).toBeCloseTo(1, 5);
  });

  it('survives int8 quantization with a cosine close to 1', async () => {
    const a = await embedder.embed('reserve a hotel room');
    expect(similarity(a, dequantize(quantize(a)))).toBeGreaterThan(0.999);
    expect(similarity(a, Float32Array.from([1, 2]))).toBe(0);
  });
});
