import { describe, expect, it } from 'vitest';
import { type FunctionName, type FunctionSpec, functionSpecs } from '../../lib/specs.ts';
import { functionId, httpApiResources, onlyHttpApiResourceId, onlyResourceId, synth } from './synth.ts';

const routed = (Object.keys(functionSpecs) as FunctionName[]).filter(
  (name) => (functionSpecs[name] as FunctionSpec).route !== undefined,
);

describe('HTTP API', () => {
  const { template, stack } = synth();
  const resources = template.toJSON().Resources;
  const authorizerId = onlyHttpApiResourceId(template, stack, 'AWS::ApiGatewayV2::Authorizer');
  const routes = Object.values(httpApiResources(template, stack, 'AWS::ApiGatewayV2::Route'));

  it('serves exactly the routes of functionSpecs', () => {
    expect(routes.map((route) => route.Properties.RouteKey).sort()).toEqual(
      routed.map((name) => (functionSpecs[name] as FunctionSpec).route).sort(),
    );
  });

  it('serves the control routes: cancel and the approval signal', () => {
    expect(routes.map((route) => route.Properties.RouteKey)).toEqual(
      expect.arrayContaining(['POST /workflows/{id}/cancel', 'POST /workflows/{id}/signals/approval']),
    );
  });

  it('serves GET /workflows (my workflows) behind the JWT authorizer, from the list function', () => {
    const route = routes.find((r) => r.Properties.RouteKey === 'GET /workflows');
    expect(route?.Properties).toMatchObject({
      AuthorizationType: 'JWT',
      AuthorizerId: { Ref: authorizerId },
    });
    const integrationId: string = route?.Properties.Target['Fn::Join'][1][1].Ref;
    expect(resources[integrationId].Properties.IntegrationUri).toEqual({
      'Fn::GetAtt': [functionId(stack, 'list'), 'Arn'],
    });
  });

  it('puts the JWT authorizer on every route', () => {
    expect(routes.length).toBeGreaterThan(0);
    for (const route of routes) {
      expect(route.Properties).toMatchObject({
        AuthorizationType: 'JWT',
        AuthorizerId: { Ref: authorizerId },
      });
    }
  });

  it.each(routed)('sends the %s route to its function', (name) => {
    const route = routes.find((r) => r.Properties.RouteKey === (functionSpecs[name] as FunctionSpec).route);
    const integrationId: string = route?.Properties.Target['Fn::Join'][1][1].Ref;
    expect(resources[integrationId].Properties).toMatchObject({
      IntegrationType: 'AWS_PROXY',
      PayloadFormatVersion: '2.0',
      IntegrationUri: { 'Fn::GetAtt': [functionId(stack, name), 'Arn'] },
    });
  });

  it('trusts the user pool as issuer and its client as audience by default', () => {
    const userPoolId = onlyResourceId(template, 'AWS::Cognito::UserPool');
    const clientId = onlyResourceId(template, 'AWS::Cognito::UserPoolClient');
    const authorizer = resources[authorizerId].Properties;
    expect(authorizer.AuthorizerType).toBe('JWT');
    expect(authorizer.IdentitySource).toEqual(['$request.header.Authorization']);
    expect(authorizer.JwtConfiguration.Audience).toEqual([{ Ref: clientId }]);
    expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toContain(userPoolId);
    expect(JSON.stringify(authorizer.JwtConfiguration.Issuer)).toContain('https://cognito-idp.');
  });

  it('throttles the $default stage with the default rate and burst', () => {
    const stage = resources[onlyHttpApiResourceId(template, stack, 'AWS::ApiGatewayV2::Stage')].Properties;
    expect(stage).toMatchObject({
      StageName: '$default',
      AutoDeploy: true,
      DefaultRouteSettings: { ThrottlingRateLimit: 50, ThrottlingBurstLimit: 100 },
    });
  });

  it('takes the stage throttling from the context', () => {
    const custom = synth({ apiThrottleRate: '5', apiThrottleBurst: 10 });
    custom.template.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
      DefaultRouteSettings: { ThrottlingRateLimit: 5, ThrottlingBurstLimit: 10 },
    });
  });

  it('writes one JSON access log line per request to a log group with a retention', () => {
    const stage = resources[onlyHttpApiResourceId(template, stack, 'AWS::ApiGatewayV2::Stage')].Properties;
    const logGroupId: string = stage.AccessLogSettings.DestinationArn['Fn::GetAtt'][0];
    expect(resources[logGroupId]).toMatchObject({
      Type: 'AWS::Logs::LogGroup',
      Properties: { RetentionInDays: 30 },
    });
    const format = JSON.parse(stage.AccessLogSettings.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      routeKey: '$context.routeKey',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
      integrationLatency: '$context.integrationLatency',
      sourceIp: '$context.identity.sourceIp',
      requestTime: '$context.requestTime',
    });
  });

  it('outputs the API URL', () => {
    const output = template.findOutputs('ApiUrl');
    expect(JSON.stringify(output.ApiUrl?.Value)).toContain('execute-api');
  });
});
