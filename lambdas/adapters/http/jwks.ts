import type { IncomingMessage } from 'node:http';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';

// node:http(s) as CommonJS exports (see safe-fetch.ts), not the global fetch: the first use of fetch or
// Headers loads undici, which took ~22 ms of the authorizer's ~50 ms cold start (measured), against
// ~6 ms for node:https.
const http = process.getBuiltinModule('node:http');
const https = process.getBuiltinModule('node:https');

/** jose's defaults for a remote key set (`createRemoteJWKSet`), and a cap on the document's size. */
export interface RemoteKeySetOptions {
  /** The whole request, body included. @default 5000 */
  readonly timeoutMs?: number;
  /** After a fetch, a token with an unknown `kid` does not refetch for this long. @default 30000 */
  readonly cooldownMs?: number;
  /** Keys older than this are refetched before the next verification. @default 600000 */
  readonly maxAgeMs?: number;
  /** A bigger document is refused. @default 524288 */
  readonly maxBytes?: number;
  /** The clock (tests). @default Date.now */
  readonly now?: () => number;
}

type LocalKeySet = ReturnType<typeof createLocalJWKSet>;

/**
 * The issuer's JSON Web Key Set at `url`, as jose's `createRemoteJWKSet` keeps it: fetched at the
 * first verification and cached; refetched when older than `maxAgeMs`, or when a token names a key
 * the set lacks (a rotation) and the last fetch is older than `cooldownMs`; one fetch at a time. The
 * fetch is a GET over node:http(s) that takes a 200 with a JSON body and follows no redirect, as
 * jose's does; its errors are jose's (`JWKSTimeout`, `JOSEError`, `JWKSInvalid`), so a failed fetch
 * fails the verification like any other bad token.
 */
export function remoteKeySet(url: URL, options: RemoteKeySetOptions = {}): JWTVerifyGetKey {
  const {
    timeoutMs = 5_000,
    cooldownMs = 30_000,
    maxAgeMs = 600_000,
    maxBytes = 512 * 1024,
    now = Date.now,
  } = options;
  let local: LocalKeySet | undefined;
  let fetchedAt = Number.NEGATIVE_INFINITY;
  let pending: Promise<LocalKeySet> | undefined;
  const reload = (): Promise<LocalKeySet> => {
    pending ??= getJson(url, timeoutMs, maxBytes)
      .then((document) => {
        local = createLocalJWKSet(document as JSONWebKeySet);
        fetchedAt = now();
        return local;
      })
      .finally(() => {
        pending = undefined;
      });
    return pending;
  };
  return async (header, token) => {
    const keys = local !== undefined && now() < fetchedAt + maxAgeMs ? local : await reload();
    try {
      return await keys(header, token);
    } catch (error) {
      if (error instanceof errors.JWKSNoMatchingKey && now() >= fetchedAt + cooldownMs) {
        return (await reload())(header, token);
      }
      throw error;
    }
  };
}

/** GET `url` for a JSON document: 200 only, no redirect, at most `maxBytes`, within `timeoutMs`. */
function getJson(url: URL, timeoutMs: number, maxBytes: number): Promise<unknown> {
  const client = url.protocol === 'https:' ? https : url.protocol === 'http:' ? http : undefined;
  if (client === undefined) {
    return Promise.reject(new errors.JOSEError(`JWKS URL scheme ${url.protocol} is not http(s)`));
  }
  return new Promise((resolve, reject) => {
    let settled = false;
    /** Settles once; whatever the request or the response emit afterwards is ignored. */
    const finish = (error: Error | undefined, value?: unknown) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (error) {
        request.destroy();
        reject(error);
      } else resolve(value);
    };
    const request = client.get(
      url,
      {
        headers: {
          accept: 'application/json, application/jwk-set+json',
          'user-agent': 'omnilink-authorizer',
        },
      },
      (response: IncomingMessage) => {
        if (response.statusCode !== 200) {
          finish(new errors.JOSEError('Expected 200 OK from the JSON Web Key Set HTTP response'));
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > maxBytes) finish(new errors.JOSEError(`JSON Web Key Set over ${maxBytes} bytes`));
          else chunks.push(chunk);
        });
        response.on('end', () => {
          let document: unknown;
          try {
            document = JSON.parse(Buffer.concat(chunks).toString('utf8'));
          } catch (cause) {
            finish(
              new errors.JOSEError('Failed to parse the JSON Web Key Set HTTP response as JSON', { cause }),
            );
            return;
          }
          finish(undefined, document);
        });
        response.on('error', finish);
      },
    );
    const timer = setTimeout(() => finish(new errors.JWKSTimeout()), timeoutMs);
    request.on('error', finish);
  });
}
