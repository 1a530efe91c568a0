import { ApiGatewayManagementApiClient } from '@aws-sdk/client-apigatewaymanagementapi';
import { postToConnection } from '#adapters/push-channel.ts';

/*
 * The WebSocket API's Management API (PostToConnection). Unlike the other clients its endpoint is the
 * stage's callback URL, a setting, so the handler creates it once at module load from its environment.
 */

/** Posts messages to the connections of the stage whose callback URL is `endpoint`; false: gone. */
export function connectionPoster(
  endpoint: string,
): (connectionId: string, message: string) => Promise<boolean> {
  const client = new ApiGatewayManagementApiClient({ endpoint });
  return (connectionId, message) => postToConnection(client, connectionId, message);
}
