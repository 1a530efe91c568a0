import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  DeleteCommand,
  DynamoDBDocumentClient,
  GetCommand,
  PutCommand,
  QueryCommand,
} from '@aws-sdk/lib-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mockClient } from 'aws-sdk-client-mock';
import { exportJWK, generateKeyPair, SignJWT } from 'jose';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { MAX_PUSH_MESSAGE_BYTES } from '../../lambdas/domain/push-protocol.ts';
import type { WorkflowEventType } from '../../lambdas/domain/schemas.ts';
import { authorize, verifyToken } from '../../lambdas/usecases/authorize-connection.ts';
import { pushRecords } from '../../lambdas/usecases/push-events.ts';
import { onMessage } from '../../lambdas/usecases/subscribe.ts';
import { sampleData } from '../support/events.ts';

vi.hoisted(() => {
  process.env.POWERTOOLS_LOG_LEVEL = 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED = 'true';
  process.env.CONNECTIONS_TABLE = 'connections';
  process.env.STATE_TABLE = 'state';
  process.env.EVENT_LOG_TABLE = 'log';
  process.env.WEBSOCKET_CALLBACK_URL = 'https://example.execute-api.us-east-1.amazonaws.com/live';
  process.env.JWT_ISSUER = 'https://issuer.example';
  process.env.JWT_AUDIENCE = 'api,client-1';
  process.env.JWT_JWKS_URL = 'https://issuer.example/.well-known/jwks.json';
});

const ddb = mockClient(DynamoDBDocumentClient);
const client = DynamoDBDocumentClient.from(new DynamoDBClient({ region: 'us-east-1' }));
const WF = 'wf_pushchannel0001';

function streamRecord(
  seq: number,
  type: WorkflowEventType = 'StepStarted',
  data: Record<string, unknown> = {},
) {
  return {
    eventID: `e${seq}`,
    eventName: 'INSERT',
    dynamodb: {
      Keys: { workflow_id: { S: WF }, seq: { N: String(seq) } },
      NewImage: {
        workflow_id: { S: WF },
        seq: { N: String(seq) },
        event_id: { S: `${type}:${seq}` },
        type: { S: type },
        at: { S: '2026-12-01T10:00:00.000Z' },
        data: { M: marshall({ ...sampleData[type], ...data }) },
      },
      SequenceNumber: String(100 + seq),
      StreamViewType: 'NEW_IMAGE',
    },
  };
}

beforeEach(() => ddb.reset());

describe('push-events (stream consumer)', () => {
  it("finds a workflow's subscribers with one Query and posts each event to each, in seq order", async () => {
    ddb.on(QueryCommand).resolves({
      Items: [
        { pk: `WF#${WF}`, sk: 'CONN#a', connection_id: 'a' },
        { pk: `WF#${WF}`, sk: 'CONN#b', connection_id: 'b' },
      ],
    });
    const posts: [string, number][] = [];
    const result = await pushRecords(
      {
        connections: { client, tableName: 'connections' },
        post: async (id, message) => {
          posts.push([id, JSON.parse(message).event.seq]);
          return true;
        },
      },
      { Records: [streamRecord(1), streamRecord(2), streamRecord(3)] },
    );
    expect(result.batchItemFailures).toEqual([]);
    expect(ddb.commandCalls(QueryCommand)).toHaveLength(1);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input).toMatchObject({
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :conn)',
      ExpressionAttributeValues: { ':pk': `WF#${WF}`, ':conn': 'CONN#' },
    });
    expect(posts.filter(([id]) => id === 'a').map(([, seq]) => seq)).toEqual([1, 2, 3]);
    expect(posts.filter(([id]) => id === 'b').map(([, seq]) => seq)).toEqual([1, 2, 3]);
  });

  it('forgets a gone connection and, after the terminal event, every subscription of the workflow', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'gone' }, { connection_id: 'here' }] });
    ddb.on(DeleteCommand).resolves({});
    await pushRecords(
      { connections: { client, tableName: 'connections' }, post: async (id) => id !== 'gone' },
      { Records: [streamRecord(4), streamRecord(5, 'WorkflowCompleted')] },
    );
    const deleted = ddb.commandCalls(DeleteCommand).map((c) => c.args[0].input.Key);
    expect(deleted).toEqual(
      expect.arrayContaining([
        { pk: `WF#${WF}`, sk: 'CONN#gone' },
        { pk: 'CONN#gone', sk: `SUB#${WF}` },
        { pk: `WF#${WF}`, sk: 'CONN#here' },
        { pk: 'CONN#here', sk: `SUB#${WF}` },
      ]),
    );
  });

  it('reports the first record whose post failed otherwise, so the stream retries from it', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'a' }] });
    const result = await pushRecords(
      {
        connections: { client, tableName: 'connections' },
        post: async (_id, message) => {
          if (JSON.parse(message).event.seq === 2) throw new Error('throttled');
          return true;
        },
      },
      { Records: [streamRecord(1), streamRecord(2), streamRecord(3)] },
    );
    expect(result.batchItemFailures).toEqual([{ itemIdentifier: '102' }]);
  });

  it('sends an event too large for a WebSocket message without its data, marked truncated', async () => {
    ddb.on(QueryCommand).resolves({ Items: [{ connection_id: 'a' }] });
    const messages: string[] = [];
    await pushRecords(
      {
        connections: { client, tableName: 'connections' },
        post: async (_id, message) => {
          messages.push(message);
          return true;
        },
      },
      { Records: [streamRecord(1, 'WorkflowCompleted', { result: 'x'.repeat(MAX_PUSH_MESSAGE_BYTES) })] },
    );
    expect(JSON.parse(messages[0] ?? '')).toMatchObject({ truncated: true, event: { seq: 1, data: {} } });
  });
});

describe('ws-subscribe', () => {
  const deps = (posts: string[]) => ({
    dynamo: client,
    connections: { client, tableName: 'connections', ttlHours: 3 },
    stateTable: 'state',
    eventLogTable: 'log',
    post: async (_id: string, message: string) => {
      posts.push(message);
      return true;
    },
  });
  const message = (body: unknown) => ({ requestContext: { connectionId: 'c1' }, body: JSON.stringify(body) });
  const record = (user: string) => ({
    workflow_id: WF,
    user_id: user,
    fingerprint: 'f',
    created_at: '2026-12-01T10:00:00.000Z',
    input: {
      workflow_id: WF,
      goal: 'g',
      context: {},
      user_id: user,
      submitted_at: '2026-12-01T10:00:00.000Z',
    },
    expires_at: 4_000_000_000,
  });

  it('subscribes first, then replays the log after `after`, then says subscribed', async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'CONN#c1', sk: 'META' } })
      .resolves({ Item: { user_id: 'alice', expires_at: 4_000_000_000 } });
    ddb.on(GetCommand, { Key: { pk: `WF#${WF}`, sk: 'META' } }).resolves({ Item: record('alice') });
    ddb.on(PutCommand).resolves({});
    ddb.on(QueryCommand).resolves({
      Items: [3, 4].map((seq) => ({
        workflow_id: WF,
        seq,
        event_id: `e${seq}`,
        type: 'StepStarted',
        at: 'now',
        data: sampleData.StepStarted,
      })),
    });
    const posts: string[] = [];
    await onMessage(deps(posts), message({ action: 'subscribe', workflow_id: WF, after: 2 }));
    expect(ddb.commandCalls(PutCommand).map((c) => c.args[0].input.Item?.pk)).toEqual([
      `WF#${WF}`,
      'CONN#c1',
    ]);
    expect(ddb.commandCalls(QueryCommand)[0]?.args[0].input.ExpressionAttributeValues).toMatchObject({
      ':after': 2,
    });
    expect(posts.map((p) => JSON.parse(p))).toEqual([
      {
        type: 'event',
        workflow_id: WF,
        event: { seq: 3, type: 'StepStarted', at: 'now', data: sampleData.StepStarted },
      },
      {
        type: 'event',
        workflow_id: WF,
        event: { seq: 4, type: 'StepStarted', at: 'now', data: sampleData.StepStarted },
      },
      { type: 'subscribed', workflow_id: WF, replayed_through: 4 },
    ]);
  });

  it("answers another user's workflow exactly like a missing one, and subscribes to neither", async () => {
    ddb
      .on(GetCommand, { Key: { pk: 'CONN#c1', sk: 'META' } })
      .resolves({ Item: { user_id: 'bob', expires_at: 4_000_000_000 } });
    ddb.on(GetCommand, { Key: { pk: `WF#${WF}`, sk: 'META' } }).resolves({ Item: record('alice') });
    const others: string[] = [];
    await onMessage(deps(others), message({ action: 'subscribe', workflow_id: WF }));
    ddb.on(GetCommand, { Key: { pk: `WF#${WF}`, sk: 'META' } }).resolves({});
    const missing: string[] = [];
    await onMessage(deps(missing), message({ action: 'subscribe', workflow_id: WF }));
    expect(others).toEqual(missing);
    expect(JSON.parse(others[0] ?? '')).toEqual({
      type: 'error',
      workflow_id: WF,
      error: { code: 'not_found', message: 'no such workflow' },
    });
    expect(ddb.commandCalls(PutCommand)).toEqual([]);
  });

  it('refuses a message that is not the protocol', async () => {
    const posts: string[] = [];
    await onMessage(deps(posts), { requestContext: { connectionId: 'c1' }, body: '{"action":"subscribe"}' });
    expect(JSON.parse(posts[0] ?? '').error.code).toBe('invalid_request');
  });
});

describe('ws-authorize', () => {
  const setup = async () => {
    const { publicKey, privateKey } = await generateKeyPair('RS256');
    const jwk = await exportJWK(publicKey);
    const keys = async () => publicKey;
    const sign = (claims: Record<string, unknown>, sub = 'alice', iss = 'https://issuer.example') =>
      new SignJWT(claims)
        .setProtectedHeader({ alg: 'RS256' })
        .setSubject(sub)
        .setIssuer(iss)
        .setIssuedAt()
        .setExpirationTime('1h')
        .sign(privateKey);
    return { jwk, deps: { keys, issuer: 'https://issuer.example', audiences: ['api', 'client-1'] }, sign };
  };

  it('allows a token of the issuer for an accepted audience (aud, or Cognito client_id), with the user in the context', async () => {
    const { deps, sign } = await setup();
    expect(await verifyToken(deps, await sign({ aud: 'api' }))).toBe('alice');
    expect(await verifyToken(deps, await sign({ client_id: 'client-1' }))).toBe('alice');
    const result = await authorize(deps, {
      methodArn: 'arn:aws:execute-api:us-east-1:1:api/live/$connect',
      queryStringParameters: { token: await sign({ aud: 'api' }) },
    });
    expect(result).toMatchObject({
      principalId: 'alice',
      context: { user_id: 'alice' },
      policyDocument: {
        Statement: [{ Effect: 'Allow', Resource: 'arn:aws:execute-api:us-east-1:1:api/live/$connect' }],
      },
    });
  });

  it('refuses another audience, another issuer, and no token (Unauthorized: a 401 at the upgrade)', async () => {
    const { deps, sign } = await setup();
    expect(await verifyToken(deps, await sign({ aud: 'other' }))).toBeUndefined();
    expect(
      await verifyToken(deps, await sign({ aud: 'api' }, 'alice', 'https://evil.example')),
    ).toBeUndefined();
    await expect(authorize(deps, { methodArn: 'arn', queryStringParameters: {} })).rejects.toThrow(
      'Unauthorized',
    );
    await expect(
      authorize(deps, { methodArn: 'arn', queryStringParameters: { token: 'not-a-jwt' } }),
    ).rejects.toThrow('Unauthorized');
  });
});
