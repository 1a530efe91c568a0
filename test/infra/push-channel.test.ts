import { Match } from 'aws-cdk-lib/assertions';
import { describe, expect, it } from 'vitest';
import { functionId, synth } from './synth.ts';

describe('push channel (API Gateway WebSocket API)', () => {
  const { template, stack } = synth();
  const resources = template.toJSON().Resources;
  const apiRef = stack.resolve(stack.pushChannel.api.apiId);
  const ofApi = (type: string) =>
    Object.values(template.findResources(type)).filter(
      (r) => JSON.stringify(r.Properties.ApiId) === JSON.stringify(apiRef),
    );

  it('is a WebSocket API routing on the message action', () => {
    template.hasResourceProperties('AWS::ApiGatewayV2::Api', {
      ProtocolType: 'WEBSOCKET',
      RouteSelectionExpression: '$request.body.action',
    });
  });

  it('serves $connect behind the Lambda REQUEST authorizer reading ?token=, and the push routes', () => {
    const routes = ofApi('AWS::ApiGatewayV2::Route');
    expect(routes.map((r) => r.Properties.RouteKey).sort()).toEqual([
      '$connect',
      '$disconnect',
      'subscribe',
      'unsubscribe',
    ]);
    const [authorizer] = ofApi('AWS::ApiGatewayV2::Authorizer');
    expect(authorizer?.Properties).toMatchObject({
      AuthorizerType: 'REQUEST',
      IdentitySource: ['route.request.querystring.token'],
    });
    const connect = routes.find((r) => r.Properties.RouteKey === '$connect');
    expect(connect?.Properties.AuthorizationType).toBe('CUSTOM');
  });

  it('gives the authorizer the issuer and audiences of the HTTP API’s JWT authorizer', () => {
    const variables = resources[functionId(stack, 'wsAuthorizer')].Properties.Environment.Variables;
    expect(variables.JWT_ISSUER).toEqual(stack.resolve(stack.identity.issuer));
    expect(JSON.stringify(variables.JWT_AUDIENCE)).toContain(
      JSON.stringify(stack.resolve(stack.identity.userPoolClient?.userPoolClientId)),
    );
    expect(JSON.stringify(variables.JWT_JWKS_URL)).toContain('/.well-known/jwks.json');
  });

  it('logs each connection event as JSON without the query string, throttles the stage', () => {
    const [stage] = ofApi('AWS::ApiGatewayV2::Stage');
    expect(stage?.Properties.StageName).toBe('live');
    const format = JSON.parse(stage?.Properties.AccessLogSettings.Format);
    expect(format).toMatchObject({ eventType: '$context.eventType', connectionId: '$context.connectionId' });
    expect(JSON.stringify(format)).not.toContain('querystring');
    expect(stage?.Properties.DefaultRouteSettings).toMatchObject({ ThrottlingRateLimit: 50 });
  });

  it('feeds the push consumer from the log stream: live records only, no batching delay, bisect, partial failures', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: functionId(stack, 'pushEvents') },
      StartingPosition: 'LATEST',
      MaximumBatchingWindowInSeconds: 0,
      BisectBatchOnFunctionError: true,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      FilterCriteria: { Filters: [{ Pattern: JSON.stringify({ eventName: ['INSERT'] }) }] },
    });
  });

  it('tells the posting functions the stage callback URL', () => {
    for (const name of ['wsSubscribe', 'pushEvents'] as const) {
      const variables = resources[functionId(stack, name)].Properties.Environment.Variables;
      expect(JSON.stringify(variables.WEBSOCKET_CALLBACK_URL)).toContain('/live');
    }
    template.hasOutput('PushUrl', { Value: Match.anyValue() });
  });
});
