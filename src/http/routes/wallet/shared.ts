import { Type, type Static } from '@sinclair/typebox';
import {
  identityCodes,
  type IdentityFailure,
  type IdentityServices,
} from '../../../identity/index.js';
import { formatAmount, isCurrencyCode } from '../../../money/index.js';
import {
  walletCodes,
  type Funding,
  type MoneyRequests,
  type Fx,
  type History,
  type WalletFailure,
  type WalletService,
  type WalletTransfer,
} from '../../../wallet/index.js';
import { codeProblems } from '../../code-problems.js';
import type { ProblemError } from '../../problem.js';

/** What the wallet routes share: their services, schemas and the mapping of outcomes. */
export interface WalletRouteDeps {
  readonly wallet: WalletService;
  readonly identity: IdentityServices;
  readonly fx: Fx;
  readonly funding: Funding;
  readonly requests: MoneyRequests;
  readonly history: History;
}

const problems = codeProblems({ ...walletCodes, ...identityCodes });

export function walletProblem(result: WalletFailure | IdentityFailure): ProblemError {
  return problems.problem(result);
}

export const errorResponses = problems.errorResponses;

/**
 * What a payment from a wallet can answer besides its own codes: the step-up, the payer's
 * limits, the risk hook and the wallet itself.
 */
export const STEP_UP_CODES = ['step_up_required', 'confirmation_invalid'] as const;
export const LIMIT_CODES = [
  'limit_per_transaction_exceeded',
  'limit_daily_exceeded',
  'limit_yearly_exceeded',
  'limit_lifetime_exceeded',
] as const;
export const DEBIT_CODES = ['payment_blocked', 'insufficient_funds', 'wallet_frozen'] as const;

export const Timestamp = Type.String({ format: 'date-time' });

export const MoneySchema = Type.Object(
  {
    amount: Type.String({ minLength: 1, maxLength: 32, examples: ['12.50'] }),
    currency: Type.String({ minLength: 3, maxLength: 3, examples: ['CNY'] }),
  },
  { title: 'Money', additionalProperties: false },
);

export const TransferSchema = Type.Object(
  {
    id: Type.String({ pattern: '^trf_[0-9A-HJKMNP-TV-Z]{26}$' }),
    direction: Type.Union([Type.Literal('outgoing'), Type.Literal('incoming')]),
    payer_id: Type.String(),
    payee_id: Type.String(),
    amount: MoneySchema,
    note: Type.Union([Type.String(), Type.Null()]),
    arrival: Type.Union([
      Type.Literal('instant'),
      Type.Literal('delay_2h'),
      Type.Literal('delay_24h'),
    ]),
    status: Type.Union([
      Type.Literal('processing'),
      Type.Literal('held'),
      Type.Literal('releasing'),
      Type.Literal('cancelling'),
      Type.Literal('completed'),
      Type.Literal('cancelled'),
      Type.Literal('failed'),
    ]),
    failure_code: Type.Union([Type.String(), Type.Null()]),
    hold_reason: Type.Union([Type.String(), Type.Null()]),
    release_at: Type.Union([Timestamp, Type.Null()]),
    created_at: Timestamp,
    completed_at: Type.Union([Timestamp, Type.Null()]),
  },
  { title: 'Transfer', additionalProperties: false },
);

export function transferJson(t: WalletTransfer, viewerId: string): Static<typeof TransferSchema> {
  return {
    id: t.id,
    direction: t.payerId === viewerId ? 'outgoing' : 'incoming',
    payer_id: t.payerId,
    payee_id: t.payeeId,
    amount: moneyJson(t.amountMinor, t.currency),
    note: t.note,
    arrival: t.arrival,
    status: t.status,
    failure_code: t.failureCode,
    hold_reason: t.holdReason,
    release_at: t.releaseAt?.toISOString() ?? null,
    created_at: t.createdAt.toISOString(),
    completed_at: t.completedAt?.toISOString() ?? null,
  };
}

/** Money from the ledger on the wire; the ledger holds only currencies of the table. */
export function moneyJson(amountMinor: bigint, currency: string): Static<typeof MoneySchema> {
  if (!isCurrencyCode(currency)) throw new Error(`unknown currency ${currency} in the ledger`);
  return { amount: formatAmount(amountMinor, currency), currency };
}
