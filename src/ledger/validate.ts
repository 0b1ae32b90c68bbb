import { canonicalJson, type Json } from '../lib/canonical-json.js';
import { idPattern } from '../lib/ids.js';
import { limits } from '../limits.js';
import { isCurrencyCode } from '../money/index.js';
import type { AccountResultCode, TransferResultCode } from './result-codes.js';
import type { CreateAccountCommand, TransferCommand, TransferKind } from './types.js';

export const transferIdPattern = idPattern('trf');
export const accountIdPattern = idPattern('acc');
const codePattern = new RegExp(`^[a-z][a-z0-9_]{0,${limits.codeLengthMax - 1}}$`);

export function isTransferId(value: unknown): value is string {
  return typeof value === 'string' && transferIdPattern.test(value);
}

export function isAccountId(value: unknown): value is string {
  return typeof value === 'string' && accountIdPattern.test(value);
}

export function isCode(value: unknown): value is string {
  return typeof value === 'string' && codePattern.test(value);
}

/** The kind a command's flags ask for, or the code of the rule they break. */
export function kindOf(command: TransferCommand): TransferKind | 'flags_are_mutually_exclusive' {
  const flags = command.flags ?? {};
  const set = [flags.pending, flags.postPending, flags.voidPending].filter(Boolean).length;
  if (set > 1) return 'flags_are_mutually_exclusive';
  if (flags.pending) return 'pending';
  if (flags.postPending) return 'post_pending';
  if (flags.voidPending) return 'void_pending';
  return 'single';
}

/** Canonical metadata text, or the code of the rule it breaks. */
export function metadataText(
  metadata: Json | undefined,
):
  | { ok: true; text: string | null }
  | { ok: false; code: 'metadata_too_large' | 'metadata_invalid' } {
  if (metadata === undefined || metadata === null) return { ok: true, text: null };
  let text: string;
  try {
    text = canonicalJson(metadata);
  } catch {
    return { ok: false, code: 'metadata_invalid' };
  }
  if (Buffer.byteLength(text) > limits.metadataBytesMax)
    return { ok: false, code: 'metadata_too_large' };
  return { ok: true, text };
}

function amountCode(amountMinor: unknown): TransferResultCode | undefined {
  if (typeof amountMinor !== 'bigint') return 'amount_must_be_positive';
  if (amountMinor <= 0n) return 'amount_must_be_positive';
  if (amountMinor > limits.amountMinorMax) return 'amount_too_large';
  return undefined;
}

function timeoutCode(
  kind: TransferKind,
  timeoutSeconds: number | undefined,
): TransferResultCode | undefined {
  if (timeoutSeconds === undefined) return undefined;
  if (kind !== 'pending') return 'timeout_reserved_for_pending';
  const ok =
    Number.isSafeInteger(timeoutSeconds) &&
    timeoutSeconds >= 1 &&
    timeoutSeconds <= limits.pendingTimeoutSecondsMax;
  return ok ? undefined : 'timeout_invalid';
}

/**
 * The checks that need nothing but the command itself. Returns the first broken rule, in a fixed
 * order so that the same bad command always gets the same code.
 */
export function validateTransferShape(
  command: TransferCommand,
  kind: TransferKind,
): TransferResultCode | undefined {
  if (!isTransferId(command.id)) return 'id_invalid';
  const resolving = kind === 'post_pending' || kind === 'void_pending';
  if (resolving) {
    if (command.pendingId === undefined) return 'pending_id_required';
    if (!isTransferId(command.pendingId)) return 'id_invalid';
  } else {
    if (command.pendingId !== undefined) return 'pending_id_must_not_be_set';
    if (
      command.debitAccountId === undefined ||
      command.creditAccountId === undefined ||
      command.amountMinor === undefined ||
      command.currency === undefined ||
      command.code === undefined
    ) {
      return 'accounts_required';
    }
  }
  for (const accountId of [command.debitAccountId, command.creditAccountId]) {
    if (accountId !== undefined && !isAccountId(accountId)) return 'account_id_invalid';
  }
  if (command.debitAccountId !== undefined && command.debitAccountId === command.creditAccountId) {
    return 'accounts_must_be_different';
  }
  const timeout = timeoutCode(kind, command.timeoutSeconds);
  if (timeout) return timeout;
  if (command.amountMinor !== undefined) {
    const amount = amountCode(command.amountMinor);
    if (amount) return amount;
  }
  if (command.currency !== undefined && !isCurrencyCode(command.currency))
    return 'currency_unknown';
  if (command.code !== undefined && !isCode(command.code)) return 'code_invalid';
  const metadata = metadataText(command.metadata);
  return metadata.ok ? undefined : metadata.code;
}

export function validateCreateAccount(
  command: CreateAccountCommand,
): AccountResultCode | undefined {
  if (!isAccountId(command.id)) return 'account_id_invalid';
  if (typeof command.currency !== 'string' || !isCurrencyCode(command.currency))
    return 'currency_unknown';
  if (!isCode(command.code)) return 'code_invalid';
  if (
    typeof command.owner !== 'string' ||
    command.owner.length < 1 ||
    command.owner.length > limits.ownerLengthMax
  ) {
    return 'owner_invalid';
  }
  if (command.flags?.debitsMustNotExceedCredits && command.flags.creditsMustNotExceedDebits) {
    return 'account_flags_are_mutually_exclusive';
  }
  return undefined;
}
