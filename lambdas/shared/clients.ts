import { BedrockRuntimeClient } from '@aws-sdk/client-bedrock-runtime';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { EventBridgeClient } from '@aws-sdk/client-eventbridge';
import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';
import { SFNClient } from '@aws-sdk/client-sfn';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from './observability.ts';

/*
 * AWS clients, created once at module load and shared by every invocation. Endpoints come from the
 * SDK's own configuration (AWS_ENDPOINT_URL_DYNAMODB, AWS_ENDPOINT_URL_SFN, ...): that is the only
 * difference between AWS and the local runtime. I/O helpers take these as parameters so tests can
 * pass mocks.
 */
export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  // convertClassInstanceToMap: a user's context may have a key named "constructor" (the marshaller
  // would take the object for a class instance and refuse it).
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});
export const sfn = tracer.captureAWSv3Client(new SFNClient({}));
export const eventBridge = tracer.captureAWSv3Client(new EventBridgeClient({}));
export const bedrock = tracer.captureAWSv3Client(new BedrockRuntimeClient({}));
export const secretsManager = tracer.captureAWSv3Client(new SecretsManagerClient({}));
