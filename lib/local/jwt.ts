import { chmod, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import {
  calculateJwkThumbprint,
  createLocalJWKSet,
  exportJWK,
  generateKeyPair,
  importJWK,
  type JWK,
  type JWTPayload,
  jwtVerify,
  SignJWT,
} from 'jose';

/**
 * The local token issuer: an ES256 key pair, generated once and kept under the data directory (so
 * tokens from `npm run token` stay valid across restarts of `npm start`), that signs tokens and
 * verifies them the way API Gateway's JWT authorizer does: issuer and audience checked, ES256 only,
 * `exp` required and enforced, `nbf` enforced, `sub` required.
 */

export const DEFAULT_ISSUER = 'omnilink-local';
export const DEFAULT_AUDIENCE = 'omnilink-api';
const ALGORITHM = 'ES256';

type SigningKey = Exclude<Awaited<ReturnType<typeof importJWK>>, Uint8Array>;

export interface IssuerConfig {
  /** `iss` of issued tokens and the only issuer accepted. @default env LOCAL_JWT_ISSUER or 'omnilink-local' */
  readonly issuer?: string;
  /** `aud` of issued tokens and the only audience accepted. @default env LOCAL_JWT_AUDIENCE or 'omnilink-api' */
  readonly audience?: string;
}

export interface SignOptions {
  /** Lifetime in seconds. @default 3600 */
  readonly ttlSeconds?: number;
  /** @default the issuer's audience */
  readonly audience?: string;
  /** @default the issuer's issuer */
  readonly issuer?: string;
  /** Space-separated scopes (the `scope` claim). */
  readonly scope?: string;
  /** Not valid before this many seconds from now. */
  readonly notBeforeSeconds?: number;
  /** Extra claims. */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/** The reason a token was refused (safe to show: it says nothing about the key). */
export class TokenRejected extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TokenRejected';
  }
}

export class LocalIssuer {
  readonly issuer: string;
  readonly audience: string;
  readonly publicJwk: JWK;
  readonly #privateKey: SigningKey;
  readonly #keySet: ReturnType<typeof createLocalJWKSet>;

  private constructor(config: Required<IssuerConfig>, publicJwk: JWK, privateKey: SigningKey) {
    this.issuer = config.issuer;
    this.audience = config.audience;
    this.publicJwk = publicJwk;
    this.#privateKey = privateKey;
    this.#keySet = createLocalJWKSet({ keys: [publicJwk] });
  }

  /**
   * Loads the key pair from `dir` (creating it the first time), or makes an in-memory one when `dir`
   * is undefined.
   */
  static async load(dir: string | undefined, config: IssuerConfig = {}): Promise<LocalIssuer> {
    const resolved = {
      issuer: config.issuer ?? process.env.LOCAL_JWT_ISSUER ?? DEFAULT_ISSUER,
      audience: config.audience ?? process.env.LOCAL_JWT_AUDIENCE ?? DEFAULT_AUDIENCE,
    };
    let privateJwk: JWK | undefined;
    const file = dir ? join(dir, 'private-key.jwk.json') : undefined;
    if (file) {
      try {
        privateJwk = JSON.parse(await readFile(file, 'utf8'));
      } catch {
        privateJwk = undefined;
      }
    }
    if (!privateJwk) {
      const pair = await generateKeyPair(ALGORITHM, { extractable: true });
      privateJwk = await exportJWK(pair.privateKey);
      privateJwk.kid = await calculateJwkThumbprint(privateJwk);
      if (dir && file) {
        await mkdir(dir, { recursive: true });
        await writeFile(file, JSON.stringify(privateJwk), { mode: 0o600 });
        await chmod(file, 0o600);
      }
    }
    const { d: _d, ...publicFields } = privateJwk;
    const publicJwk: JWK = { ...publicFields, alg: ALGORITHM, use: 'sig' };
    const privateKey = await importJWK({ ...privateJwk, alg: ALGORITHM }, ALGORITHM);
    if (privateKey instanceof Uint8Array) throw new Error('unexpected key type');
    return new LocalIssuer(resolved, publicJwk, privateKey);
  }

  /** The JWKS document served at `/.well-known/jwks.json`. */
  jwks(): { keys: JWK[] } {
    return { keys: [this.publicJwk] };
  }

  /** Signs a token for user `sub`. */
  async sign(sub: string, options: SignOptions = {}): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    const jwt = new SignJWT({ ...options.claims, ...(options.scope ? { scope: options.scope } : {}) })
      .setProtectedHeader({ alg: ALGORITHM, typ: 'JWT', kid: this.publicJwk.kid ?? '' })
      .setSubject(sub)
      .setIssuer(options.issuer ?? this.issuer)
      .setAudience(options.audience ?? this.audience)
      .setIssuedAt(now)
      .setJti(crypto.randomUUID())
      .setExpirationTime(now + (options.ttlSeconds ?? 3600));
    if (options.notBeforeSeconds !== undefined) jwt.setNotBefore(now + options.notBeforeSeconds);
    return jwt.sign(this.#privateKey);
  }

  /** Verifies a token; throws `TokenRejected` with a short reason. */
  async verify(token: string): Promise<JWTPayload & { sub: string }> {
    try {
      const { payload } = await jwtVerify(token, this.#keySet, {
        issuer: this.issuer,
        audience: this.audience,
        algorithms: [ALGORITHM],
        requiredClaims: ['sub', 'exp'],
      });
      if (typeof payload.sub !== 'string' || payload.sub === '')
        throw new TokenRejected('the token has no subject');
      return { ...payload, sub: payload.sub };
    } catch (error) {
      if (error instanceof TokenRejected) throw error;
      const code = typeof error === 'object' && error !== null && 'code' in error ? String(error.code) : '';
      const reasons: Record<string, string> = {
        ERR_JWT_EXPIRED: 'the token has expired',
        ERR_JWT_CLAIM_VALIDATION_FAILED: 'the token is not valid for this API',
        ERR_JWS_SIGNATURE_VERIFICATION_FAILED: 'the token signature is invalid',
        ERR_JWKS_NO_MATCHING_KEY: 'the token was not signed by the local issuer',
        ERR_JOSE_ALG_NOT_ALLOWED: 'the token algorithm is not allowed',
      };
      throw new TokenRejected(reasons[code] ?? 'the token is invalid');
    }
  }
}
