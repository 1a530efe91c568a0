import {
  GetSecretValueCommand,
  type GetSecretValueCommandOutput,
  type SecretsManagerClient,
} from '@aws-sdk/client-secrets-manager';
import { TransientError } from '#domain/errors.ts';
import * as z from '#domain/zod.ts';
import { clip, ModelCallFailed } from './errors.ts';

const TRANSIENT = new Set([
  'ThrottlingException',
  'InternalServiceError',
  'ServiceUnavailableException',
  'TimeoutError',
  'RequestTimeout',
]);

/** A JSON secret may hold the key under one of these names (else the whole string is the key). */
const jsonKeySchema = z.lazy(() =>
  z.union([
    z.pipe(
      z.object({ api_key: z.string().check(z.minLength(1)) }),
      z.transform((s) => s.api_key),
    ),
    z.pipe(
      z.object({ apiKey: z.string().check(z.minLength(1)) }),
      z.transform((s) => s.apiKey),
    ),
    z.pipe(
      z.object({ OPENAI_API_KEY: z.string().check(z.minLength(1)) }),
      z.transform((s) => s.OPENAI_API_KEY),
    ),
  ]),
);

/**
 * Reads an API key from Secrets Manager (`OPENAI_API_KEY_SECRET_ARN`, an ARN or a name): the secret
 * string itself, or the `api_key` / `apiKey` / `OPENAI_API_KEY` field of a JSON secret. Throttling
 * and service errors → `TransientError`; anything else (missing secret, access denied) →
 * `ModelCallFailed`. Needs `secretsmanager:GetSecretValue` on the secret (and kms:Decrypt when it is
 * encrypted with a customer managed key).
 */
export function secretApiKeyResolver(
  client: SecretsManagerClient,
  secretId: string,
): () => Promise<string | undefined> {
  return async () => {
    let response: GetSecretValueCommandOutput;
    try {
      response = await client.send(new GetSecretValueCommand({ SecretId: secretId }));
    } catch (error) {
      const name = error instanceof Error ? error.name : 'Error';
      const message = error instanceof Error ? clip(error.message) : clip(String(error));
      if (TRANSIENT.has(name) || Reflect.get(Object(error), '$retryable') !== undefined) {
        throw new TransientError(`Secrets Manager: ${name}: ${message}`, { cause: error });
      }
      throw new ModelCallFailed(`cannot read the model API key secret: ${name}: ${message}`, {
        code: name,
        cause: error,
      });
    }
    const text = response.SecretString?.trim();
    if (text === undefined || text === '') {
      throw new ModelCallFailed('the model API key secret has no string value', { code: 'empty_secret' });
    }
    if (text.startsWith('{')) {
      try {
        const parsed = jsonKeySchema.safeParse(JSON.parse(text));
        if (parsed.success) return parsed.data;
      } catch {
        // not JSON after all: the string is the key
      }
    }
    return text;
  };
}
