export { batchedWrite, createLedger } from './service.js';
export type {
  Ledger,
  LedgerDeps,
  TransferResult,
  AccountResult,
  DomainWrite,
  BatchWriter,
  SubmitOptions,
  StatementPage,
} from './service.js';
export { LedgerBusyError } from './batcher.js';
export { createSealer } from './sealer.js';
export type { Sealer, SealBlock, InclusionProof } from './sealer.js';
export { verifyLedger } from './verify.js';
export type { VerifyReport, Violation, VerifyOptions } from './verify.js';
export { verifyInclusion } from './merkle.js';
export {
  parseSigningKey,
  publicKeyPem,
  blockHash,
  encodeTransfer,
  transferLeafHash,
} from './seal-core.js';
export { transferResultCodes, accountResultCodes, isSuccess } from './result-codes.js';
export type { TransferResultCode, AccountResultCode, ResultCodeInfo } from './result-codes.js';
export { isTransferId, isAccountId } from './validate.js';
export type { StatementRow } from './sql.js';
export type {
  Account,
  AccountFlags,
  AccountStatus,
  CreateAccountCommand,
  JournalEntry,
  Transfer,
  TransferCommand,
  TransferFlags,
  TransferKind,
} from './types.js';
