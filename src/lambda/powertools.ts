import { Logger as PowertoolsLogger } from '@aws-lambda-powertools/logger';
import { Metrics as PowertoolsMetrics } from '@aws-lambda-powertools/metrics';
import type { LOG_LEVELS } from '../config/settings.js';
import type { Logger } from '../observability/logger.js';
import { METRICS_NAMESPACE, type Metrics, metricUnitOf } from '../observability/metrics.js';

/** efsink's levels (pino's names, settings.ts) as Powertools names them. */
const POWERTOOLS_LEVEL = {
  trace: 'TRACE',
  debug: 'DEBUG',
  info: 'INFO',
  warn: 'WARN',
  error: 'ERROR',
  fatal: 'CRITICAL',
  silent: 'SILENT',
} as const satisfies Record<(typeof LOG_LEVELS)[number], string>;

/**
 * Structured JSON logs and EMF metrics through Powertools for AWS Lambda, behind our narrow ports.
 * The level is EFSINK_LOG_LEVEL's (passed to the constructor, it wins over POWERTOOLS_LOG_LEVEL;
 * Lambda's own AWS_LAMBDA_LOG_LEVEL, when set, still filters what reaches CloudWatch Logs).
 */
export function powertools(
  serviceName: string,
  level: (typeof LOG_LEVELS)[number] = 'info',
): { log: Logger; metrics: Metrics; flush(): void } {
  const logger = new PowertoolsLogger({ serviceName, logLevel: POWERTOOLS_LEVEL[level] });
  const emf = new PowertoolsMetrics({ namespace: METRICS_NAMESPACE, serviceName });
  const log: Logger = {
    debug: (f, m) => logger.debug(m, { ...f }),
    info: (f, m) => logger.info(m, { ...f }),
    warn: (f, m) => logger.warn(m, { ...f }),
    error: (f, m) => logger.error(m, { ...f }),
  };
  const metrics: Metrics = {
    count(name, value, dimensions) {
      if (dimensions === undefined) {
        emf.addMetric(name, metricUnitOf(name), value);
        return;
      }
      // Per-code failure counts are a single metric with their own dimension set.
      const single = emf.singleMetric();
      for (const [k, v] of Object.entries(dimensions)) single.addDimension(k, v);
      single.addMetric(name, metricUnitOf(name), value);
    },
    seconds(name, value) {
      emf.addMetric(name, metricUnitOf(name), value);
    },
  };
  return { log, metrics, flush: () => emf.publishStoredMetrics() };
}
