export { loggerParams, requestId } from './logging.js';
export { MetricsListener } from './metrics.listener.js';
export { MetricsService } from './metrics.service.js';
export { ObservabilityModule } from './observability.module.js';
