import { SecretsManagerClient } from '@aws-sdk/client-secrets-manager';

/*
 * One AWS client per module, created once at module load and shared by every invocation, so a function
 * bundles only the clients it imports. Endpoints come from the SDK's own configuration
 * (AWS_ENDPOINT_URL_<SERVICE>): that is the only difference between AWS and the local runtime.
 * Adapters take clients as parameters, so tests pass mocks.
 */
export const secretsManager = new SecretsManagerClient({});
