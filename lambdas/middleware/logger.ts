import { Logger } from '@aws-lambda-powertools/logger';

/**
 * The function's logger, created at module load. The service name comes from POWERTOOLS_SERVICE_NAME
 * (set by the function construct). Correlation keys (workflow, hashed user, execution) are appended
 * per invocation by the `correlation` middleware, never passed by hand.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink' });
