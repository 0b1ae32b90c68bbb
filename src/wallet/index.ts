/** The wallet module's public surface; other modules import from here only. */
export { walletCodes } from './codes.js';
export type { WalletCode, WalletFailure } from './codes.js';
export { createWalletService } from './service.js';
export type { Balance, P2PInput, WalletDeps, WalletResult, WalletService } from './service.js';
export type { Arrival, TransferFilter, TransferStatus, WalletTransfer } from './transfers-sql.js';
export { ensureSystemAccount, ensureWalletAccount } from './accounts.js';
