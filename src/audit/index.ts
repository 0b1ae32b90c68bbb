/** The audit log's public surface; other modules import from here only. */
export { GENESIS_HASH, canonicalEntry, entryHash } from './chain.js';
export type { AuditActorType, AuditEntry } from './chain.js';
export { appendAudit, listAuditForUser, verifyAuditChain } from './service.js';
export type { AuditRecord, AuditVerifyReport, StoredAuditEntry } from './service.js';
