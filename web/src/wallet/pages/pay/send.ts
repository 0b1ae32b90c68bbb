import { api } from '../../../shared/api';
import type { MoneyWire } from '../../../shared/money';
import type { PaymentIntent, Transfer } from './types';

/**
 * The three ways of paying a scanned code, as one request shape for `useIdempotentSubmit`: a
 * payment intent (dynamic code or payment link), a merchant's static code, a person's code.
 */
export type PayRequest =
  | {
      readonly kind: 'intent';
      readonly intentId: string;
      readonly confirmation?: string;
    }
  | {
      readonly kind: 'merchant';
      readonly merchant: string;
      readonly amount: MoneyWire;
      readonly note?: string;
      readonly confirmation?: string;
    }
  | {
      readonly kind: 'transfer';
      readonly recipient: string;
      readonly amount: MoneyWire;
      readonly note?: string;
      readonly confirmation?: string;
      readonly confirmNewPayee?: boolean;
    };

export type Paid =
  | { readonly kind: 'intent'; readonly intent: PaymentIntent }
  | { readonly kind: 'transfer'; readonly transfer: Transfer };

export async function sendPayment(request: PayRequest, idempotencyKey: string): Promise<Paid> {
  const confirmation =
    request.confirmation === undefined ? {} : { confirmation: request.confirmation };
  const note = request.kind !== 'intent' && request.note ? { note: request.note } : {};
  if (request.kind === 'intent') {
    const intent = await api<PaymentIntent>(
      `/v1/payment-intents/${encodeURIComponent(request.intentId)}/confirm`,
      { method: 'POST', body: confirmation, idempotencyKey },
    );
    return { kind: 'intent', intent };
  }
  if (request.kind === 'merchant') {
    const intent = await api<PaymentIntent>('/v1/merchant-payments', {
      method: 'POST',
      body: { merchant: request.merchant, amount: request.amount, ...note, ...confirmation },
      idempotencyKey,
    });
    return { kind: 'intent', intent };
  }
  const transfer = await api<Transfer>('/v1/transfers', {
    method: 'POST',
    body: {
      recipient: request.recipient,
      amount: request.amount,
      ...note,
      ...confirmation,
      ...(request.confirmNewPayee === true ? { confirm_new_payee: true } : {}),
    },
    idempotencyKey,
  });
  return { kind: 'transfer', transfer };
}
