/** The wallet module's public surface; other modules import from here only. */
export { walletCodes } from './codes.js';
export type { WalletCode, WalletFailure } from './codes.js';
export { createWalletService } from './service.js';
export type { Balance, P2PInput, WalletDeps, WalletResult, WalletService } from './service.js';
export type { Arrival, TransferStatus, WalletTransfer } from './transfers-sql.js';
export { ensureSystemAccount, ensureWalletAccount } from './accounts.js';
export { walletAccountId } from './ids.js';
export {
  createFx,
  ensureFxPositionAccount,
  formatRate,
  fxCodes,
  FX_QUOTE_TTL_MS,
  FX_SPREAD_BPS_MAX,
  runFxRateCommand,
} from './fx.js';
export type {
  Fx,
  FxCode,
  FxConversion,
  FxDeps,
  FxFailure,
  FxQuote,
  FxQuoteRequest,
  FxRate,
  FxRateInput,
  FxResult,
} from './fx.js';
export { fundingCodes } from './funding-codes.js';
export type { FundingCode, FundingFailure } from './funding-codes.js';
export { CARDS_PER_USER_MAX } from './cards.js';
export type { BindCardInput, Card, FundingDeps, FundingMovement, FundingResult } from './cards.js';
export type { Topup, TopupInput } from './topups.js';
export type { Withdrawal, WithdrawalInput } from './withdrawals.js';
export {
  createFunding,
  FUNDING_POLL_INTERVAL_MS,
  type CallbackOutcome,
  type Funding,
} from './gateway-events.js';
export { requestCodes } from './requests-codes.js';
export type { RequestCode, RequestFailure } from './requests-codes.js';
export { createMoneyRequests, planShares, REQUEST_PAYERS_MAX } from './requests.js';
export type {
  MoneyRequest,
  MoneyRequestInput,
  MoneyRequestPage,
  MoneyRequests,
  MoneyRequestsDeps,
  MoneyRequestShare,
  PayShareInput,
} from './requests.js';
export { createHistory, isTimeZone } from './history.js';
export type {
  History,
  HistoryDeps,
  HistoryEntry,
  HistoryFilter,
  HistoryPage,
  MonthlyStatement,
  Receipt,
  SpendingInsights,
  TimelineStep,
} from './history.js';
