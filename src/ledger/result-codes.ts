/**
 * Every ledger result code, with whether a retry with the same id could later succeed
 * (`transient`), the HTTP status a route uses when it surfaces the code as is, and its meaning
 * in both languages. Codes never change meaning once published; `docs/errors.md` lists them and a
 * test keeps the two in step.
 */
export interface ResultCodeInfo {
  readonly transient: boolean;
  readonly status: number;
  readonly en: string;
  readonly zh: string;
}

export const transferResultCodes = {
  ok: { transient: false, status: 200, en: 'The transfer was committed.', zh: '转账已提交。' },
  exists: {
    transient: false,
    status: 200,
    en: 'A transfer with this id and the same fields was committed before; this is its result.',
    zh: '相同编号、相同内容的转账此前已提交，返回原结果。',
  },
  exists_with_different_fields: {
    transient: false,
    status: 409,
    en: 'A transfer with this id but different fields exists; nothing changed.',
    zh: '已存在相同编号但内容不同的转账，未做任何更改。',
  },
  id_invalid: {
    transient: false,
    status: 400,
    en: 'A transfer id or pending transfer id is not a valid trf_ id.',
    zh: '转账编号格式无效。',
  },
  account_id_invalid: {
    transient: false,
    status: 400,
    en: 'An account id is not a valid acc_ id.',
    zh: '账户编号格式无效。',
  },
  accounts_must_be_different: {
    transient: false,
    status: 400,
    en: 'The debit and credit accounts are the same.',
    zh: '借方账户与贷方账户不能相同。',
  },
  account_not_found: {
    transient: true,
    status: 404,
    en: 'An account does not exist.',
    zh: '账户不存在。',
  },
  currency_unknown: {
    transient: false,
    status: 400,
    en: 'The currency is not a supported ISO 4217 code.',
    zh: '币种不受支持。',
  },
  currency_mismatch: {
    transient: false,
    status: 400,
    en: 'The accounts or the command are in different currencies.',
    zh: '账户或指令的币种不一致。',
  },
  amount_must_be_positive: {
    transient: false,
    status: 400,
    en: 'The amount must be greater than zero.',
    zh: '金额必须大于零。',
  },
  amount_too_large: {
    transient: false,
    status: 400,
    en: 'The amount is above the maximum.',
    zh: '金额超过上限。',
  },
  code_invalid: {
    transient: false,
    status: 400,
    en: 'The code must be 1–32 lower-case letters, digits or underscores, starting with a letter.',
    zh: '用途代码须为 1–32 位小写字母、数字或下划线，并以字母开头。',
  },
  flags_are_mutually_exclusive: {
    transient: false,
    status: 400,
    en: 'At most one of pending, post_pending and void_pending may be set.',
    zh: 'pending、post_pending、void_pending 至多只能设置一个。',
  },
  pending_id_required: {
    transient: false,
    status: 400,
    en: 'Posting or voiding needs the id of the pending transfer.',
    zh: '确认或撤销待定转账需要提供待定转账编号。',
  },
  pending_id_must_not_be_set: {
    transient: false,
    status: 400,
    en: 'Only posting or voiding takes a pending transfer id.',
    zh: '只有确认或撤销待定转账时才能提供待定转账编号。',
  },
  accounts_required: {
    transient: false,
    status: 400,
    en: 'A transfer needs a debit account, a credit account, an amount, a currency and a code.',
    zh: '转账需要借方账户、贷方账户、金额、币种和用途代码。',
  },
  timeout_reserved_for_pending: {
    transient: false,
    status: 400,
    en: 'Only a pending transfer takes a timeout.',
    zh: '只有待定转账可以设置超时。',
  },
  timeout_invalid: {
    transient: false,
    status: 400,
    en: 'The timeout must be a whole number of seconds within the allowed range.',
    zh: '超时须为允许范围内的整数秒。',
  },
  metadata_too_large: {
    transient: false,
    status: 400,
    en: 'The metadata is larger than allowed.',
    zh: '附加信息超过大小上限。',
  },
  metadata_invalid: {
    transient: false,
    status: 400,
    en: 'The metadata is not a JSON value (finite numbers, strings, booleans, null, arrays, objects).',
    zh: '附加信息不是有效的 JSON 值。',
  },
  exceeds_credits: {
    transient: true,
    status: 402,
    en: 'The debit account does not have enough available balance.',
    zh: '借方账户可用余额不足。',
  },
  exceeds_debits: {
    transient: true,
    status: 409,
    en: 'The credit account may not be credited beyond its debits.',
    zh: '贷方账户的贷记金额不得超过其借记金额。',
  },
  overflows_debits: {
    transient: false,
    status: 422,
    en: 'The debit balance would overflow.',
    zh: '借方余额将溢出。',
  },
  overflows_credits: {
    transient: false,
    status: 422,
    en: 'The credit balance would overflow.',
    zh: '贷方余额将溢出。',
  },
  account_frozen: { transient: true, status: 409, en: 'An account is frozen.', zh: '账户已冻结。' },
  account_closed: {
    transient: false,
    status: 409,
    en: 'An account is closed.',
    zh: '账户已注销。',
  },
  pending_transfer_not_found: {
    transient: true,
    status: 404,
    en: 'The pending transfer does not exist.',
    zh: '待定转账不存在。',
  },
  pending_transfer_not_pending: {
    transient: false,
    status: 409,
    en: 'The referenced transfer is not a pending transfer.',
    zh: '所引用的转账不是待定转账。',
  },
  pending_transfer_has_different_accounts: {
    transient: false,
    status: 409,
    en: 'The accounts differ from the pending transfer’s.',
    zh: '账户与待定转账的账户不一致。',
  },
  pending_transfer_has_different_amount: {
    transient: false,
    status: 409,
    en: 'A void must release the whole pending amount.',
    zh: '撤销待定转账必须释放全部待定转账金额。',
  },
  pending_transfer_already_posted: {
    transient: false,
    status: 409,
    en: 'The pending transfer was already posted.',
    zh: '待定转账已确认。',
  },
  pending_transfer_already_voided: {
    transient: false,
    status: 409,
    en: 'The pending transfer was already voided.',
    zh: '待定转账已撤销。',
  },
  pending_transfer_expired: {
    transient: false,
    status: 409,
    en: 'The pending transfer expired.',
    zh: '待定转账已过期。',
  },
  amount_exceeds_pending_amount: {
    transient: false,
    status: 409,
    en: 'The amount to post is more than the pending amount.',
    zh: '确认金额超过待定转账金额。',
  },
  linked_event_failed: {
    transient: true,
    status: 409,
    en: 'Another command in the linked chain failed, so this one was not applied.',
    zh: '关联链中的其他指令失败，本指令未执行。',
  },
  linked_event_chain_open: {
    transient: false,
    status: 400,
    en: 'The last command of the batch is linked, so its chain is never closed.',
    zh: '批次的最后一条指令带有关联标记，关联链未闭合。',
  },
} as const satisfies Record<string, ResultCodeInfo>;

export type TransferResultCode = keyof typeof transferResultCodes;

export const accountResultCodes = {
  ok: { transient: false, status: 200, en: 'Done.', zh: '操作成功。' },
  exists: {
    transient: false,
    status: 200,
    en: 'An account with this id and the same fields exists.',
    zh: '相同编号、相同内容的账户已存在。',
  },
  exists_with_different_fields: {
    transient: false,
    status: 409,
    en: 'An account with this id but different fields exists; nothing changed.',
    zh: '已存在相同编号但内容不同的账户，未做任何更改。',
  },
  account_id_invalid: transferResultCodes.account_id_invalid,
  currency_unknown: transferResultCodes.currency_unknown,
  code_invalid: transferResultCodes.code_invalid,
  owner_invalid: {
    transient: false,
    status: 400,
    en: 'The owner must be 1–64 characters.',
    zh: '账户所有者须为 1–64 个字符。',
  },
  account_flags_are_mutually_exclusive: {
    transient: false,
    status: 400,
    en: 'An account cannot limit both its debits and its credits.',
    zh: '账户不能同时限制借记和贷记。',
  },
  account_not_found: transferResultCodes.account_not_found,
  account_closed: transferResultCodes.account_closed,
  account_balance_not_zero: {
    transient: true,
    status: 409,
    en: 'Only an account with a zero balance and no pending transfers can be closed.',
    zh: '只有余额为零且无待定转账的账户才能注销。',
  },
} as const satisfies Record<string, ResultCodeInfo>;

export type AccountResultCode = keyof typeof accountResultCodes;

export function isSuccess(code: TransferResultCode | AccountResultCode): boolean {
  return code === 'ok' || code === 'exists';
}
