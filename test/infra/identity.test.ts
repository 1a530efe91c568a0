import { describe, expect, it } from 'vitest';
import { httpApiResources, onlyResourceId, synth } from './synth.ts';

describe('identity', () => {
  it('creates a user pool with a strong password policy and required MFA', () => {
    const { template } = synth();
    template.hasResourceProperties('AWS::Cognito::UserPool', {
      Policies: {
        PasswordPolicy: {
          MinimumLength: 12,
          RequireLowercase: true,
          RequireUppercase: true,
          RequireNumbers: true,
          RequireSymbols: true,
        },
      },
      MfaConfiguration: 'ON',
      EnabledMfas: ['SOFTWARE_TOKEN_MFA'],
      AdminCreateUserConfig: { AllowAdminCreateUserOnly: true },
    });
  });

  it('creates a public app client: no secret, SRP and refresh flows only, no OAuth', () => {
    const { template } = synth();
    const client =
      template.toJSON().Resources[onlyResourceId(template, 'AWS::Cognito::UserPoolClient')].Properties;
    expect(client.GenerateSecret).toBe(false);
    expect([...client.ExplicitAuthFlows].sort()).toEqual(['ALLOW_REFRESH_TOKEN_AUTH', 'ALLOW_USER_SRP_AUTH']);
    expect(client.AllowedOAuthFlows).toBeUndefined();
    expect(client.PreventUserExistenceErrors).toBe('ENABLED');
  });

  it('outputs the user pool and client ids when it creates them', () => {
    const { template } = synth();
    expect(Object.keys(template.findOutputs('*'))).toEqual(
      expect.arrayContaining(['UserPoolId', 'UserPoolClientId', 'StateMachineArn', 'EventBusName', 'ApiUrl']),
    );
  });

  describe('with the CI client for the post-deploy smoke test (context smokeTestClient=true)', () => {
    const { template, stack } = synth({ smokeTestClient: 'true' });
    const clients = template.findResources('AWS::Cognito::UserPoolClient');
    const ciId = Object.keys(clients).find((id) =>
      ((clients[id]?.Properties.ExplicitAuthFlows ?? []) as string[]).includes('ALLOW_USER_PASSWORD_AUTH'),
    );

    it('adds a second public client that allows USER_PASSWORD_AUTH (the pool still requires MFA)', () => {
      expect(Object.keys(clients)).toHaveLength(2);
      expect(ciId).toBeDefined();
      const ci = clients[ciId as string]?.Properties;
      expect([...ci.ExplicitAuthFlows].sort()).toEqual([
        'ALLOW_REFRESH_TOKEN_AUTH',
        'ALLOW_USER_PASSWORD_AUTH',
      ]);
      expect(ci).toMatchObject({ GenerateSecret: false, PreventUserExistenceErrors: 'ENABLED' });
      expect(ci.AllowedOAuthFlows).toBeUndefined();
      template.hasResourceProperties('AWS::Cognito::UserPool', { MfaConfiguration: 'ON' });
    });

    it('lets the API accept its tokens and outputs its id', () => {
      const [authorizer] = Object.values(httpApiResources(template, stack, 'AWS::ApiGatewayV2::Authorizer'));
      expect(authorizer?.Properties.JwtConfiguration.Audience).toEqual(
        expect.arrayContaining([{ Ref: ciId }]),
      );
      expect(authorizer?.Properties.JwtConfiguration.Audience).toHaveLength(2);
      template.hasOutput('CiClientId', { Value: { Ref: ciId } });
    });

    it('is not there by default', () => {
      const { template: plain } = synth();
      expect(Object.keys(plain.findResources('AWS::Cognito::UserPoolClient'))).toHaveLength(1);
      expect(Object.keys(plain.findOutputs('CiClientId'))).toEqual([]);
    });
  });

  describe('with an external OIDC issuer in the context', () => {
    const issuer = 'https://login.example.com/realms/omnilink';
    const { template } = synth({ oidcIssuer: issuer, oidcAudience: 'omnilink-api, omnilink-cli' });

    it('creates no user pool and no client', () => {
      template.resourceCountIs('AWS::Cognito::UserPool', 0);
      template.resourceCountIs('AWS::Cognito::UserPoolClient', 0);
      expect(Object.keys(template.findOutputs('*'))).not.toContain('UserPoolId');
    });

    it('points the JWT authorizer at the given issuer and audiences', () => {
      template.hasResourceProperties('AWS::ApiGatewayV2::Authorizer', {
        AuthorizerType: 'JWT',
        JwtConfiguration: { Issuer: issuer, Audience: ['omnilink-api', 'omnilink-cli'] },
      });
    });
  });

  it('refuses an external issuer without an audience', () => {
    expect(() => synth({ oidcIssuer: 'https://login.example.com' })).toThrow(/oidcAudience is required/);
  });
});
