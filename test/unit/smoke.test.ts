import { describe, expect, it } from 'vitest';
import { base32Decode, cognitoAccessToken, SmokeTestFailed, tokenFromEnv, totp } from '../../lib/smoke.ts';

/* The post-deploy smoke test's token sources (lib/smoke.ts); its run against an API: test/integration/smoke.test.ts. */

// RFC 6238 appendix B: the SHA-1 seed "12345678901234567890" (base32 below), 8-digit codes.
const RFC_SECRET = 'GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ';

describe('TOTP (RFC 6238)', () => {
  it.each([
    [59, '94287082'],
    [1_111_111_109, '07081804'],
    [1_234_567_890, '89005924'],
    [20_000_000_000, '65353130'],
  ])('at %i s gives %s', (seconds, code) => {
    expect(totp(RFC_SECRET, seconds * 1000, 8)).toBe(code);
  });

  it('gives 6 digits by default, and decodes secrets with spaces and lower case', () => {
    expect(totp(RFC_SECRET.toLowerCase().replace(/(.{4})/g, '$1 '), 59_000)).toBe('287082');
    expect(base32Decode(RFC_SECRET).toString()).toBe('12345678901234567890');
    expect(() => base32Decode('not base32!')).toThrow(/base32/);
  });
});

/** A fake Cognito endpoint that records its calls. */
function fakeCognito(answers: Record<string, unknown>[]) {
  const calls: { target: string; body: Record<string, unknown> }[] = [];
  const fetchImpl: typeof fetch = async (_url, init) => {
    const headers = new Headers(init?.headers);
    calls.push({
      target: headers.get('x-amz-target') ?? '',
      body: JSON.parse(String(init?.body)) as Record<string, unknown>,
    });
    const answer = answers.shift() ?? { __type: 'NotAuthorizedException' };
    return new Response(JSON.stringify(answer), { status: '__type' in answer ? 400 : 200 });
  };
  return { calls, fetchImpl };
}

describe('cognitoAccessToken', () => {
  it('signs in with USER_PASSWORD_AUTH and answers the TOTP challenge', async () => {
    const cognito = fakeCognito([
      { ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 'session-1' },
      { AuthenticationResult: { AccessToken: 'access-token', IdToken: 'id', RefreshToken: 'r' } },
    ]);
    const token = await cognitoAccessToken({
      region: 'eu-west-1',
      clientId: 'ci-client',
      username: 'ci@example.com',
      password: 'pw',
      totpSecret: RFC_SECRET,
      fetch: cognito.fetchImpl,
      now: () => 59_000,
    });
    expect(token).toBe('access-token');
    expect(cognito.calls).toEqual([
      {
        target: 'AWSCognitoIdentityProviderService.InitiateAuth',
        body: {
          AuthFlow: 'USER_PASSWORD_AUTH',
          ClientId: 'ci-client',
          AuthParameters: { USERNAME: 'ci@example.com', PASSWORD: 'pw' },
        },
      },
      {
        target: 'AWSCognitoIdentityProviderService.RespondToAuthChallenge',
        body: {
          ChallengeName: 'SOFTWARE_TOKEN_MFA',
          ClientId: 'ci-client',
          Session: 'session-1',
          ChallengeResponses: { USERNAME: 'ci@example.com', SOFTWARE_TOKEN_MFA_CODE: '287082' },
        },
      },
    ]);
  });

  it('fails with SmokeTestFailed when Cognito refuses, without echoing the password', async () => {
    const cognito = fakeCognito([
      { __type: 'NotAuthorizedException', message: 'Incorrect username or password.' },
    ]);
    const login = cognitoAccessToken({
      region: 'eu-west-1',
      clientId: 'c',
      username: 'u',
      password: 'secret-pw',
      fetch: cognito.fetchImpl,
    });
    await expect(login).rejects.toThrow(SmokeTestFailed);
    await expect(login).rejects.not.toThrow(/secret-pw/);
  });

  it('fails when MFA is asked for and no TOTP secret is set', async () => {
    const cognito = fakeCognito([{ ChallengeName: 'SOFTWARE_TOKEN_MFA', Session: 's' }]);
    await expect(
      cognitoAccessToken({
        region: 'r',
        clientId: 'c',
        username: 'u',
        password: 'p',
        fetch: cognito.fetchImpl,
      }),
    ).rejects.toThrow(/TOTP/);
  });
});

describe('tokenFromEnv', () => {
  it('takes OMNILINK_TOKEN as it is', async () => {
    await expect(tokenFromEnv({ OMNILINK_TOKEN: 'tok', SMOKE_USERNAME: 'u' })).resolves.toBe('tok');
  });

  it('uses a client-credentials grant with SMOKE_TOKEN_URL', async () => {
    let seen: { url: string; auth: string | null; body: string } | undefined;
    const fetchImpl: typeof fetch = async (url, init) => {
      seen = {
        url: String(url),
        auth: new Headers(init?.headers).get('authorization'),
        body: String(init?.body),
      };
      return new Response(JSON.stringify({ access_token: 'cc-token', token_type: 'Bearer' }));
    };
    const token = await tokenFromEnv(
      { SMOKE_TOKEN_URL: 'https://idp.example.com/token', SMOKE_CLIENT_ID: 'id', SMOKE_CLIENT_SECRET: 'sec' },
      fetchImpl,
    );
    expect(token).toBe('cc-token');
    expect(seen).toEqual({
      url: 'https://idp.example.com/token',
      auth: `Basic ${Buffer.from('id:sec').toString('base64')}`,
      body: 'grant_type=client_credentials',
    });
  });

  it('signs the Cognito CI user in with SMOKE_USERNAME/SMOKE_PASSWORD', async () => {
    const cognito = fakeCognito([{ AuthenticationResult: { AccessToken: 'user-token' } }]);
    const env = {
      SMOKE_USERNAME: 'ci',
      SMOKE_PASSWORD: 'pw',
      SMOKE_COGNITO_CLIENT_ID: 'ci-client',
      AWS_REGION: 'us-east-1',
    };
    await expect(tokenFromEnv(env, cognito.fetchImpl)).resolves.toBe('user-token');
  });

  it('says what to set when nothing is set', async () => {
    await expect(tokenFromEnv({})).rejects.toThrow(/OMNILINK_TOKEN/);
  });
});
