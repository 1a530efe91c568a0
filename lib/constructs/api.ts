import type { RemovalPolicy } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, HttpStage, LogGroupLogDestination } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpJwtAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { IFunction } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';

/** One route of the API and the function that serves it. */
export interface ApiRoute {
  /** `METHOD /path`, e.g. `GET /workflows/{id}/status`. */
  readonly route: string;
  readonly handler: IFunction;
}

/** Props of {@link Api}. */
export interface ApiProps {
  readonly routes: readonly ApiRoute[];
  /** Issuer whose JWTs the authorizer accepts. */
  readonly jwtIssuer: string;
  /** Audiences the authorizer accepts (`aud` or `client_id`). */
  readonly jwtAudience: readonly string[];
  /** Steady-state requests per second across the whole stage. */
  readonly throttleRate: number;
  /** Burst capacity across the whole stage. */
  readonly throttleBurst: number;
  /** How long the access log group keeps its logs. */
  readonly logRetention: RetentionDays;
  /** What happens to the access log group when it leaves the stack. */
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The access log line: one JSON object per request. No headers or bodies: they may carry personal data. */
const accessLogFields = {
  requestId: '$context.requestId',
  requestTime: '$context.requestTime',
  sourceIp: '$context.identity.sourceIp',
  httpMethod: '$context.httpMethod',
  routeKey: '$context.routeKey',
  path: '$context.path',
  protocol: '$context.protocol',
  status: '$context.status',
  responseLength: '$context.responseLength',
  responseLatency: '$context.responseLatency',
  integrationLatency: '$context.integrationLatency',
  integrationStatus: '$context.integrationStatus',
  integrationError: '$context.integrationErrorMessage',
  authorizerError: '$context.authorizer.error',
  userId: '$context.authorizer.claims.sub',
};

const parseRoute = (route: string): { method: HttpMethod; path: string } => {
  const [method, path, ...rest] = route.trim().split(/\s+/);
  const httpMethod = Object.values(HttpMethod).find((candidate) => candidate === method);
  if (httpMethod === undefined || path === undefined || !path.startsWith('/') || rest.length > 0) {
    throw new Error(`route "${route}" is not "METHOD /path"`);
  }
  return { method: httpMethod, path };
};

/**
 * The HTTP API: every route behind a JWT authorizer (per-user limits live in the producer; HTTP APIs
 * have none), a `$default` stage with throttling and JSON access logs.
 */
export class Api extends Construct {
  readonly httpApi: HttpApi;
  readonly stage: HttpStage;
  readonly accessLogs: LogGroup;

  constructor(scope: Construct, id: string, props: ApiProps) {
    super(scope, id);
    const authorizer = new HttpJwtAuthorizer('JwtAuthorizer', props.jwtIssuer, {
      jwtAudience: [...props.jwtAudience],
      identitySource: ['$request.header.Authorization'],
    });
    this.httpApi = new HttpApi(this, 'HttpApi', {
      description: 'Omnilink agent orchestrator API',
      // Every route, including ones added later, requires a valid token.
      defaultAuthorizer: authorizer,
      createDefaultStage: false,
    });
    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stage = new HttpStage(this, 'DefaultStage', {
      httpApi: this.httpApi,
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(JSON.stringify(accessLogFields)),
      },
    });

    for (const { route, handler } of props.routes) {
      const { method, path } = parseRoute(route);
      this.httpApi.addRoutes({
        path,
        methods: [method],
        integration: new HttpLambdaIntegration(`${handler.node.id}Integration`, handler),
      });
    }
  }

  /** Base URL of the `$default` stage. */
  get url(): string {
    return this.stage.url;
  }
}
