import { Metrics } from '@aws-lambda-powertools/metrics';

/** The function's EMF metrics, for the few functions that publish any (namespace from the environment). */
export const metrics = new Metrics({
  namespace: process.env.POWERTOOLS_METRICS_NAMESPACE ?? 'Omnilink',
  serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'omnilink',
});
