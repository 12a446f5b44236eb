export { loggerParams, REDACTED_PATHS, requestId } from './logging.js';
export { MetricsListener } from './metrics.listener.js';
export { MetricsService } from './metrics.service.js';
export { ObservabilityModule } from './observability.module.js';
export { ReadinessService, type ReadinessReport } from './readiness.service.js';
