import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics } from '@aws-lambda-powertools/metrics';
import { Tracer } from '@aws-lambda-powertools/tracer';

/**
 * One logger, tracer and metrics instance per function, created at module load. The service name
 * comes from POWERTOOLS_SERVICE_NAME (set by the function construct); the namespace from
 * POWERTOOLS_METRICS_NAMESPACE.
 */
export const logger = new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink' });
export const tracer = new Tracer({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink' });
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Omnilink',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink',
});
