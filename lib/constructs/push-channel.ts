import { Duration, type RemovalPolicy, Stack, Validations } from 'aws-cdk-lib';
import { AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { LogGroupLogDestination, WebSocketApi, WebSocketStage } from 'aws-cdk-lib/aws-apigatewayv2';
import { WebSocketLambdaAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { WebSocketLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Grant } from 'aws-cdk-lib/aws-iam';
import {
  type EventSourceMapping,
  type Function as LambdaFunction,
  StartingPosition,
} from 'aws-cdk-lib/aws-lambda';
import { LogGroup, type RetentionDays } from 'aws-cdk-lib/aws-logs';
import { flattenCfnReference } from 'cdk-nag/lib/utils/flatten-cfn-reference.js';
import { Construct } from 'constructs';
import type { StreamMappingSpec } from '../specs.ts';
import { logStreamMapping } from './log-stream.ts';

/**
 * The push channel (README "Live events"): an API Gateway WebSocket API whose clients subscribe to
 * their workflows and receive each event of the log as it is appended.
 *
 * Why API Gateway WebSocket rather than AppSync Events: a subscriber must first get the events it
 * missed (replay from a `seq`) and then the live ones, on the same channel, and only for workflows it
 * owns. With a WebSocket API the `subscribe` message runs our own function, which checks ownership
 * with the same one-item read the HTTP API uses, replays the log a page at a time and records the
 * subscription; the stream consumer then posts live events to exactly the subscribed connections
 * (one Query by workflow id). AppSync Events has no history, so the replay would need a second path
 * (HTTP) and a client that merges the two, its per-channel authorization would need a Lambda
 * authorizer on every subscribe anyway, and its protocol is far more work to stand in for locally.
 * The WebSocket API's protocol is a few JSON messages that `npm start` speaks on `/ws` too.
 */

/** One message route (`action` of `$request.body.action`) and the function that serves it. */
export interface PushRoute {
  readonly route: string;
  readonly handler: LambdaFunction;
}

/** Props of {@link PushChannel}. */
export interface PushChannelProps {
  /** The `$connect` REQUEST authorizer (lambdas/handlers/ws/ws-authorize.ts). */
  readonly authorizer: LambdaFunction;
  /** Routes served by functions: `$connect`, `$disconnect` and message actions. */
  readonly routes: readonly PushRoute[];
  /** Functions that post to connections (ManageConnections on this stage, POST only). */
  readonly posters: readonly LambdaFunction[];
  /** The stream consumer that posts live events (lambdas/handlers/streams/push-events.ts). */
  readonly consumer: LambdaFunction;
  /** The event log table; it must have a stream with new images. */
  readonly eventLog: ITable;
  /** The consumer's mapping: batching and retries (its spec's `streamMapping`). */
  readonly mapping: StreamMappingSpec;
  /** Steady-state messages per second of the stage, all clients together. */
  readonly throttleRate: number;
  /** Burst capacity of the stage. */
  readonly throttleBurst: number;
  readonly logRetention: RetentionDays;
  readonly logRemovalPolicy: RemovalPolicy;
}

/** The stage name: part of the URL clients connect to and of the callback URL. */
export const PUSH_STAGE = 'live';

export class PushChannel extends Construct {
  readonly api: WebSocketApi;
  readonly stage: WebSocketStage;
  readonly accessLogs: LogGroup;
  readonly mapping: EventSourceMapping;

  constructor(scope: Construct, id: string, props: PushChannelProps) {
    super(scope, id);
    const integration = (handler: LambdaFunction) =>
      new WebSocketLambdaIntegration(`${handler.node.id}Integration`, handler);
    const routeOf = (key: string) => props.routes.find((r) => r.route === key);
    const connect = routeOf('$connect');
    const disconnect = routeOf('$disconnect');
    if (!connect || !disconnect) throw new Error('the push channel needs $connect and $disconnect routes');

    this.api = new WebSocketApi(this, 'WebSocketApi', {
      description: 'Omnilink agent orchestrator: live workflow events',
      routeSelectionExpression: '$request.body.action',
      connectRouteOptions: {
        integration: integration(connect.handler),
        // The same JWT as the HTTP API, in the query string (browsers cannot set WebSocket headers).
        authorizer: new WebSocketLambdaAuthorizer('JwtAuthorizer', props.authorizer, {
          identitySource: ['route.request.querystring.token'],
        }),
      },
      disconnectRouteOptions: { integration: integration(disconnect.handler) },
    });
    const unauthorizedRoutes = [this.api.node.findChild('$disconnect-Route')];
    for (const { route, handler } of props.routes) {
      if (route.startsWith('$')) continue;
      unauthorizedRoutes.push(this.api.addRoute(route, { integration: integration(handler) }));
    }
    for (const route of unauthorizedRoutes) {
      Validations.of(route).acknowledge({
        id: 'AwsSolutions-APIG4',
        reason:
          'A WebSocket API authorizes at $connect only (API Gateway allows no authorizer on other routes); ' +
          'this route runs on a connection the JWT authorizer allowed, and acts for the owner recorded at $connect.',
      });
    }

    this.accessLogs = new LogGroup(this, 'AccessLogs', {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy,
    });
    this.stage = new WebSocketStage(this, 'Stage', {
      webSocketApi: this.api,
      stageName: PUSH_STAGE,
      autoDeploy: true,
      throttle: { rateLimit: props.throttleRate, burstLimit: props.throttleBurst },
      // No query string (the token is in it), no message bodies.
      accessLogSettings: {
        destination: new LogGroupLogDestination(this.accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: '$context.requestId',
            requestTime: '$context.requestTime',
            eventType: '$context.eventType',
            routeKey: '$context.routeKey',
            connectionId: '$context.connectionId',
            status: '$context.status',
            integrationLatency: '$context.integrationLatency',
            authorizerError: '$context.authorizer.error',
            userId: '$context.authorizer.principalId',
          }),
        ),
      },
    });

    // PostToConnection only, on this stage: `POST /@connections/{id}` is the one call made.
    const connections = Stack.of(this).formatArn({
      service: 'execute-api',
      resource: this.api.apiId,
      resourceName: `${PUSH_STAGE}/POST/@connections/*`,
    });
    for (const poster of props.posters) {
      Grant.addToPrincipal({
        grantee: poster,
        actions: ['execute-api:ManageConnections'],
        resourceArns: [connections],
      });
      const policy = poster.role?.node.tryFindChild('DefaultPolicy') ?? poster;
      Validations.of(policy).acknowledge({
        id: `AwsSolutions-IAM5[Resource::${flattenCfnReference(Stack.of(this).resolve(connections))}]`,
        reason:
          'Connection ids are known only at run time; the wildcard is confined to POST (PostToConnection) ' +
          "on this WebSocket API's own stage.",
      });
    }

    // The live half: a second consumer of the log's stream (a shard serves two readers at once).
    this.mapping = logStreamMapping(this, {
      table: props.eventLog,
      target: props.consumer,
      mapping: props.mapping,
      // Live events only: a subscriber gets older ones from the replay of its subscribe.
      startingPosition: StartingPosition.LATEST,
      maxRecordAge: Duration.minutes(10),
    });
  }

  /** The URL clients connect to (`wss://…/live`). */
  get url(): string {
    return this.stage.url;
  }

  /** The API Gateway Management API endpoint of the stage (PostToConnection). */
  get callbackUrl(): string {
    return this.stage.callbackUrl;
  }
}
