import { describe, expect, it } from 'vitest';
import { envField, envSchema, parseEnv } from '../../lambdas/middleware/env.ts';

// Variables of the same shape share one zod schema (lambdas/middleware/env.ts): each must still be
// parsed, defaulted and reported under its own name.
describe('parseEnv', () => {
  it('names every bad or missing variable, however many share a shape', () => {
    const schema = envSchema('EVENT_LOG_TABLE', 'STATE_TABLE', 'RATE_LIMIT_BURST', 'EVENT_LOG_TTL_DAYS');
    let message = '';
    try {
      parseEnv(schema, { STATE_TABLE: '', RATE_LIMIT_BURST: '2.5', EVENT_LOG_TTL_DAYS: '-1' });
    } catch (error) {
      message = String(error);
    }
    expect(message).toMatch(/^Error: invalid environment: /);
    for (const name of ['EVENT_LOG_TABLE', 'STATE_TABLE', 'RATE_LIMIT_BURST', 'EVENT_LOG_TTL_DAYS']) {
      expect(message).toContain(`at ${name}`);
    }
  });

  it('applies each variable its own default over a shared shape', () => {
    const env = parseEnv(
      envSchema('RATE_LIMIT_PER_MINUTE', 'RATE_LIMIT_BURST', 'WORKFLOW_RECORD_TTL_DAYS', 'PUSH_TTL_HOURS'),
      { RATE_LIMIT_BURST: '7' },
    );
    expect(env).toEqual({
      RATE_LIMIT_PER_MINUTE: 120,
      RATE_LIMIT_BURST: 7,
      WORKFLOW_RECORD_TTL_DAYS: 90,
      PUSH_TTL_HOURS: 3,
    });
  });

  it('reads blank as unset, flags and lists alike for every variable that shares them', () => {
    const env = parseEnv(
      envSchema(
        'BEDROCK_MODEL_ID',
        'OPENAI_MODEL',
        'OPENAI_API_KEY',
        'HTTP_TOOL_ALLOW_HTTP',
        'HTTP_TOOL_ALLOWED_HOSTS',
        'JWT_JWKS_URL',
      ),
      {
        BEDROCK_MODEL_ID: '',
        OPENAI_MODEL: 'gpt',
        HTTP_TOOL_ALLOW_HTTP: ' Yes ',
        HTTP_TOOL_ALLOWED_HOSTS: 'a.example, ,b.example',
        JWT_JWKS_URL: 'https://issuer.example/jwks',
      },
    );
    expect(env).toEqual({
      BEDROCK_MODEL_ID: undefined,
      OPENAI_MODEL: 'gpt',
      OPENAI_API_KEY: undefined,
      HTTP_TOOL_ALLOW_HTTP: true,
      HTTP_TOOL_ALLOWED_HOSTS: ['a.example', 'b.example'],
      JWT_JWKS_URL: 'https://issuer.example/jwks',
    });
    expect(() =>
      parseEnv(envSchema('WEBSOCKET_CALLBACK_URL'), { WEBSOCKET_CALLBACK_URL: 'not a url' }),
    ).toThrow(/at WEBSOCKET_CALLBACK_URL/);
  });

  it('builds a shared shape once', () => {
    expect(envField('EVENT_LOG_TABLE')).toBe(envField('STATE_TABLE'));
    expect(envField('BEDROCK_MODEL_ID')).toBe(envField('OPENAI_MODEL'));
  });
});
