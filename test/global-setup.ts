import { startDynamo } from '../lib/local/dynamo.ts';

/**
 * One AWS DynamoDB Local for the whole test run (a JVM each per test file would cost seconds and
 * hundreds of MB apiece): its URL reaches every test worker as `LOCAL_DYNAMODB_URL`, and tests and
 * local runtimes create their tables under prefixes of their own.
 */
export default async function setup(): Promise<() => Promise<void>> {
  if (process.env.LOCAL_DYNAMODB_URL) return async () => undefined;
  const dynamo = await startDynamo();
  process.env.LOCAL_DYNAMODB_URL = dynamo.url;
  return async () => {
    delete process.env.LOCAL_DYNAMODB_URL;
    await dynamo.stop();
  };
}
