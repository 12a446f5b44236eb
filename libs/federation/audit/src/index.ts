export { AuditAction, CLI_ACTOR, memberActor, SYSTEM_ACTOR, type AuditActor } from './audit-actions.js';
export { verifyAuditChain, type AuditChainReport } from './audit-chain.js';
export { AuditLogModule } from './audit-log.module.js';
export { AuditModule } from './audit.module.js';
export { AuditService } from './audit.service.js';
export { checkNewestCheckpoint, writeCheckpoint } from './audit-checkpoint.js';
export { AuditCheckpoint } from './models/audit-checkpoint.model.js';
