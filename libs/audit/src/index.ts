export { AuditAction, CLI_ACTOR, memberActor, SYSTEM_ACTOR, type AuditActor } from './audit-actions.js';
export { verifyAuditChain, type AuditChainReport } from './audit-chain.js';
export { auditEntryHash, canonicalJson, GENESIS_HASH, type HashedAuditFields } from './audit-hash.js';
export { AuditLogModule } from './audit-log.module.js';
export { AuditModule } from './audit.module.js';
export { AuditService, type AuditDb, type AuditRecord } from './audit.service.js';
export { AuditEntry } from './models/audit-entry.model.js';
export { checkNewestCheckpoint, writeCheckpoint, type CheckpointClaims, type CheckpointSigner } from './audit-checkpoint.js';
export { AuditCheckpoint } from './models/audit-checkpoint.model.js';
