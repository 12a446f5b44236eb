export { AlertsCoreModule } from './alerts-core.module.js';
export { AlertsModule } from './alerts.module.js';
export { AlertsService } from './alerts.service.js';
export {
  alertsPage,
  alertsPageAfter,
  alertsPageByPriority,
  alertsPageByPriorityAfter,
  alertsPageOfType,
  alertsPageOfTypeAfter,
  alertsPageOfTypeByPriority,
  alertsPageOfTypeByPriorityAfter,
} from './alerts.sql.js';
export { toHour } from './coarse-time.js';
export { Alert } from './models/alert.model.js';
