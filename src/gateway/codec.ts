import { Value } from '@sinclair/typebox/value';
import { formatAmount, parseMoney } from '../money/index.js';
import type { BankEvent, CardRecord, MovementRecord } from './bank-state.js';
import type { CardToken, GatewayEvent, Movement, Statement } from './port.js';
import {
  CardSchema,
  EventSchema,
  MovementSchema,
  StatementSchema,
  type CardWire,
  type EventWire,
  type MovementWire,
  type StatementWire,
} from './wire.js';

/**
 * Translations between the bank's records, the wire shapes and the port's types. Decoders check
 * the shape with the shared schema and the amounts with the money module, and answer undefined
 * for anything else, so that nothing unchecked reaches the wallet.
 */

export function cardToWire(card: CardRecord): CardWire {
  return {
    token: card.token,
    brand: card.brand,
    last4: card.last4,
    exp_month: card.expMonth,
    exp_year: card.expYear,
    created_at: iso(card.createdAtMs),
  };
}

export function movementToWire(m: MovementRecord): MovementWire {
  return {
    id: m.id,
    object: m.kind,
    status: m.status,
    failure_code: m.failureCode ?? null,
    reference: m.reference,
    card_token: m.cardToken,
    amount: { amount: formatAmount(m.amountMinor, m.currency), currency: m.currency },
    created_at: iso(m.createdAtMs),
    settled_at: m.settledAtMs === undefined ? null : iso(m.settledAtMs),
  };
}

export function eventToWire(event: BankEvent): EventWire {
  return {
    id: event.id,
    type: event.type,
    object_id: event.objectId,
    reference: event.reference,
    amount: event.amount,
    failure_code: event.failureCode ?? null,
    created_at: iso(event.createdAtMs),
    sequence: event.sequence,
  };
}

export function statementToWire(s: Statement): StatementWire {
  return {
    date: s.date,
    final: s.final,
    movements: s.movements.map((m) => ({
      id: m.id,
      type: m.kind,
      reference: m.reference,
      amount: { amount: formatAmount(m.amountMinor, m.currency), currency: m.currency },
      settled_at: m.settledAt.toISOString(),
    })),
    totals: s.totals.map((t) => ({
      type: t.kind,
      currency: t.currency,
      count: t.count,
      amount: formatAmount(t.amountMinor, t.currency),
    })),
  };
}

export function cardFromWire(body: unknown): CardToken | undefined {
  if (!Value.Check(CardSchema, body)) return undefined;
  return {
    token: body.token,
    brand: body.brand,
    last4: body.last4,
    expMonth: body.exp_month,
    expYear: body.exp_year,
  };
}

export function movementFromWire(body: unknown): Movement | undefined {
  if (!Value.Check(MovementSchema, body)) return undefined;
  const money = parseMoney(body.amount);
  if (!money.ok) return undefined;
  const createdAt = date(body.created_at);
  const settledAt = body.settled_at === null ? null : date(body.settled_at);
  if (createdAt === undefined || settledAt === undefined) return undefined;
  if ((body.status === 'failed') !== (body.failure_code !== null)) return undefined;
  return {
    id: body.id,
    kind: body.object,
    status: body.status,
    ...(body.failure_code === null ? {} : { failureCode: body.failure_code }),
    reference: body.reference,
    cardToken: body.card_token,
    amountMinor: money.money.amountMinor,
    currency: money.money.currency,
    createdAt,
    settledAt,
  };
}

export function statementFromWire(body: unknown): Statement | undefined {
  if (!Value.Check(StatementSchema, body)) return undefined;
  const movements = [];
  for (const m of body.movements) {
    const money = parseMoney(m.amount);
    const settledAt = date(m.settled_at);
    if (!money.ok || settledAt === undefined) return undefined;
    movements.push({
      id: m.id,
      kind: m.type,
      reference: m.reference,
      amountMinor: money.money.amountMinor,
      currency: money.money.currency,
      settledAt,
    });
  }
  const totals = [];
  for (const t of body.totals) {
    const money = parseMoney({ amount: t.amount, currency: t.currency });
    if (!money.ok) return undefined;
    totals.push({
      kind: t.type,
      currency: money.money.currency,
      count: t.count,
      amountMinor: money.money.amountMinor,
    });
  }
  return { date: body.date, final: body.final, movements, totals };
}

export function eventFromWire(body: unknown): GatewayEvent | undefined {
  if (!Value.Check(EventSchema, body)) return undefined;
  const money = parseMoney(body.amount);
  const createdAt = date(body.created_at);
  if (!money.ok || createdAt === undefined) return undefined;
  if (body.type.endsWith('.failed') !== (body.failure_code !== null)) return undefined;
  return {
    id: body.id,
    type: body.type,
    objectId: body.object_id,
    reference: body.reference,
    amountMinor: money.money.amountMinor,
    currency: money.money.currency,
    ...(body.failure_code === null ? {} : { failureCode: body.failure_code }),
    createdAt,
    sequence: body.sequence,
  };
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

/** RFC 3339 text to a Date; `Value.Check` does not check formats, so this does. */
function date(text: string): Date | undefined {
  if (
    !/^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?(Z|[+-][0-9]{2}:[0-9]{2})$/.test(
      text,
    )
  ) {
    return undefined;
  }
  const parsed = new Date(text);
  return Number.isNaN(parsed.getTime()) ? undefined : parsed;
}
