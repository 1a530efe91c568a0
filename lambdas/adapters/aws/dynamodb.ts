import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';

/*
 * One AWS client per module, created once at module load and shared by every invocation, so a function
 * bundles only the clients it imports. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL_<SERVICE>): that is the only difference between AWS and the local runtime.
 * Adapters take clients as parameters, so tests pass mocks.
 *
 * Tracing is Lambda's active tracing and the state machine's X-Ray integration, without the X-Ray SDK
 * in the bundle (Powertools Tracer brought ~96 KiB and a cold-import cost to every function): each
 * invocation is a segment in the workflow's trace, but its AWS SDK calls are not subsegments (their
 * latencies are in the Powertools logs and the bench instead).
 */
export const dynamo = DynamoDBDocumentClient.from(new DynamoDBClient({}), {
  // convertClassInstanceToMap: a user's context may have a key named "constructor" (the marshaller
  // would take the object for a class instance and refuse it).
  marshallOptions: { removeUndefinedValues: true, convertClassInstanceToMap: true },
});
