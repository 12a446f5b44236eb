export { KeyEpochError } from './key-epoch.error.js';
export { KeyEpochAdminService, type KeyEpochSummary } from './key-epoch-admin.service.js';
export { KeyEpochAdminModule, KeyEpochsModule } from './key-epochs.module.js';
export { OprfEvaluationPool } from './oprf-evaluation.pool.js';
export { fromBase64Url, oprfInfo, toBase64Url } from './oprf-suite.js';
