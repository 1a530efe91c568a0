import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { tracer } from '#middleware/tracer.ts';

/*
 * One AWS client per module, created once at module load and shared by every invocation, so a function
 * bundles only the clients it imports. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL_<SERVICE>): that is the only difference between AWS and the local runtime.
 * Adapters take clients as parameters, so tests pass mocks.
 */
export const dynamo = DynamoDBDocumentClient.from(tracer.captureAWSv3Client(new DynamoDBClient({})), {
  // convertClassInstanceToMap: a user's context may have a key named "constructor" (the marshaller
  // would take the object for a class instance and refuse it).
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});
