import { Tracer } from '@aws-lambda-powertools/tracer';

/** The function's tracer (X-Ray), created at module load; only the AWS clients it captures import it. */
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink' });
