export { CorrelationModule } from './correlation.module.js';
export { CorrelationService } from './correlation.service.js';
export type { AlertEvent, AlertEventType } from './correlation.types.js';
export { ExpiryService } from './expiry.service.js';
export { AlertEventRetention } from './alert-event-retention.service.js';
export { recordEvents } from './correlation.sql.js';
