import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccountRecovery, Mfa, UserPool, type UserPoolClient } from 'aws-cdk-lib/aws-cognito';
import { Construct } from 'constructs';

/** Props of {@link Identity}. */
export interface IdentityProps {
  /**
   * Issuer of an existing OIDC provider whose tokens the API accepts instead of a user pool of its own.
   * @default - a Cognito user pool is created and is the issuer
   */
  readonly oidcIssuer?: string;
  /**
   * Audiences the API accepts (the `aud` or `client_id` claim); required with `oidcIssuer`.
   * @default - the created user pool client's id
   */
  readonly oidcAudience?: readonly string[];
  /** What happens to the user pool (and its users) when it leaves the stack. */
  readonly removalPolicy: RemovalPolicy;
  /**
   * Also create a CI app client that allows USER_PASSWORD_AUTH (for the post-deploy smoke test, which
   * cannot run SRP in a shell step); the pool still requires MFA of its users. Ignored with `oidcIssuer`.
   * @default false
   */
  readonly ciClient?: boolean;
}

/**
 * Who may call the API: by default a Cognito user pool and a public app client (SRP sign-in, refresh
 * tokens); with `oidcIssuer` an existing OIDC provider instead, and then no user pool at all.
 */
export class Identity extends Construct {
  /** Issuer the JWT authorizer trusts. */
  readonly issuer: string;
  /** Audiences the JWT authorizer accepts. */
  readonly audience: string[];
  readonly userPool?: UserPool;
  readonly userPoolClient?: UserPoolClient;
  /** The CI client, with `ciClient`. */
  readonly ciClient?: UserPoolClient;

  constructor(scope: Construct, id: string, props: IdentityProps) {
    super(scope, id);
    if (props.oidcIssuer !== undefined) {
      if (props.oidcAudience === undefined || props.oidcAudience.length === 0) {
        throw new Error('oidcAudience is required with oidcIssuer: the authorizer must check the audience');
      }
      this.issuer = props.oidcIssuer;
      this.audience = [...props.oidcAudience];
      return;
    }

    const userPool = new UserPool(this, 'UserPool', {
      // Users are invited by an administrator: an open sign-up would let anyone spend the workflow budget.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      removalPolicy: props.removalPolicy,
    });
    const userPoolClient = userPool.addClient('ApiClient', {
      // A public client (SPA, CLI): it cannot keep a secret.
      generateSecret: false,
      authFlows: { userSrp: true },
      disableOAuth: true,
      preventUserExistenceErrors: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.days(30),
    });
    Validations.of(userPool.node.findChild('Resource')).acknowledge({
      id: 'AwsSolutions-COG8',
      reason:
        'Threat protection needs the Cognito Plus feature plan, billed per monthly active user; users are invited ' +
        'by an administrator, MFA is required and passwords are strong. Point oidcIssuer at an IdP with ' +
        'threat protection, or raise the feature plan, where the risk warrants it.',
    });

    this.userPool = userPool;
    this.userPoolClient = userPoolClient;
    this.issuer = `https://cognito-idp.${Stack.of(this).region}.amazonaws.com/${userPool.userPoolId}`;
    this.audience = [userPoolClient.userPoolClientId];
    if (props.ciClient === true) {
      // A separate client, so the users' client keeps SRP only: password sign-in exists only here, for
      // a CI user an administrator creates (with a TOTP token, as the pool requires MFA).
      this.ciClient = userPool.addClient('CiClient', {
        generateSecret: false,
        authFlows: { userPassword: true },
        disableOAuth: true,
        preventUserExistenceErrors: true,
        accessTokenValidity: Duration.minutes(15),
        idTokenValidity: Duration.minutes(15),
        refreshTokenValidity: Duration.hours(1),
      });
      this.audience.push(this.ciClient.userPoolClientId);
    }
  }
}
