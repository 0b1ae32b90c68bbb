import { Type, type Static } from '@sinclair/typebox';

/**
 * The sandbox bank's HTTP contract, shared by the bank (which validates requests and serializes
 * answers with these schemas) and the adapter (which checks every answer against them before
 * believing it). Field names are snake_case and money is `{ amount: "12.50", currency: "CNY" }`
 * like the rest of Hebao's API; the values are checked for meaning in the handlers, so that each
 * mistake gets its own code instead of a generic validation failure.
 */

export const BANK_PATH_PREFIX = '/bank/v1';

/** Lengths that bound every text field the bank accepts. */
export const CARD_NUMBER_LENGTH_MAX = 32;
export const HOLDER_NAME_LENGTH_MAX = 100;
export const REFERENCE_LENGTH_MAX = 64;
export const OBJECT_ID_LENGTH_MAX = 64;

const IdText = Type.String({ minLength: 1, maxLength: OBJECT_ID_LENGTH_MAX });
/**
 * RFC 3339 text. Without `format`, because TypeBox's `Value.Check` (used by the adapter) refuses
 * formats that are not registered globally; the decoders check the text themselves.
 */
const Timestamp = Type.String({ maxLength: 40, description: 'RFC 3339, UTC' });

export const MoneyWireSchema = Type.Object(
  {
    amount: Type.String({ minLength: 1, maxLength: 40 }),
    currency: Type.String({ minLength: 1, maxLength: 8 }),
  },
  { additionalProperties: false },
);

export const CardBrandSchema = Type.Union([
  Type.Literal('visa'),
  Type.Literal('mastercard'),
  Type.Literal('unionpay'),
  Type.Literal('amex'),
  Type.Literal('jcb'),
]);

export const CardRequestSchema = Type.Object(
  {
    number: Type.String({ maxLength: CARD_NUMBER_LENGTH_MAX }),
    exp_month: Type.Integer(),
    exp_year: Type.Integer(),
    cvc: Type.String({ maxLength: 8 }),
    holder_name: Type.String({ maxLength: HOLDER_NAME_LENGTH_MAX }),
  },
  { additionalProperties: false },
);
export type CardRequest = Static<typeof CardRequestSchema>;

export const CardSchema = Type.Object(
  {
    token: IdText,
    brand: CardBrandSchema,
    last4: Type.String({ pattern: '^[0-9]{4}$' }),
    exp_month: Type.Integer({ minimum: 1, maximum: 12 }),
    exp_year: Type.Integer(),
    created_at: Timestamp,
  },
  { additionalProperties: false },
);
export type CardWire = Static<typeof CardSchema>;

export const MovementRequestSchema = Type.Object(
  {
    reference: Type.String({ minLength: 1, maxLength: REFERENCE_LENGTH_MAX }),
    card_token: IdText,
    amount: MoneyWireSchema,
  },
  { additionalProperties: false },
);
export type MovementRequest = Static<typeof MovementRequestSchema>;

export const MovementStatusSchema = Type.Union([
  Type.Literal('pending'),
  Type.Literal('succeeded'),
  Type.Literal('failed'),
]);
export const MovementKindSchema = Type.Union([Type.Literal('charge'), Type.Literal('payout')]);
export const FailureCodeSchema = Type.Union([
  Type.Literal('insufficient_funds'),
  Type.Literal('payout_declined'),
  Type.Null(),
]);

export const MovementSchema = Type.Object(
  {
    id: IdText,
    object: MovementKindSchema,
    status: MovementStatusSchema,
    failure_code: FailureCodeSchema,
    reference: Type.String(),
    card_token: Type.String(),
    amount: MoneyWireSchema,
    created_at: Timestamp,
    settled_at: Type.Union([Timestamp, Type.Null()]),
  },
  { additionalProperties: false },
);
export type MovementWire = Static<typeof MovementSchema>;

export const MovementParamsSchema = Type.Object({ id: IdText }, { additionalProperties: false });

export const StatementParamsSchema = Type.Object(
  { date: Type.String({ maxLength: 10 }) },
  { additionalProperties: false },
);
export const StatementQuerySchema = Type.Object(
  { format: Type.Optional(Type.Union([Type.Literal('json'), Type.Literal('csv')])) },
  { additionalProperties: false },
);

export const StatementSchema = Type.Object(
  {
    date: Type.String(),
    final: Type.Boolean(),
    movements: Type.Array(
      Type.Object(
        {
          id: IdText,
          type: MovementKindSchema,
          reference: Type.String(),
          amount: MoneyWireSchema,
          settled_at: Timestamp,
        },
        { additionalProperties: false },
      ),
    ),
    totals: Type.Array(
      Type.Object(
        {
          type: MovementKindSchema,
          currency: Type.String(),
          count: Type.Integer({ minimum: 1 }),
          amount: Type.String(),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type StatementWire = Static<typeof StatementSchema>;

export const EventTypeSchema = Type.Union([
  Type.Literal('charge.pending'),
  Type.Literal('charge.succeeded'),
  Type.Literal('charge.failed'),
  Type.Literal('payout.pending'),
  Type.Literal('payout.succeeded'),
  Type.Literal('payout.failed'),
]);

/** The body of a callback, exactly as the bank POSTs it. */
export const EventSchema = Type.Object(
  {
    id: Type.String({ pattern: '^bev_[0-9A-HJKMNP-TV-Z]{26}$' }),
    type: EventTypeSchema,
    object_id: IdText,
    reference: Type.String({ minLength: 1, maxLength: REFERENCE_LENGTH_MAX }),
    amount: MoneyWireSchema,
    failure_code: FailureCodeSchema,
    created_at: Timestamp,
    sequence: Type.Integer({ minimum: 1 }),
  },
  { additionalProperties: false },
);
export type EventWire = Static<typeof EventSchema>;

const Probability = Type.Number({ minimum: 0, maximum: 1 });

/**
 * Fault settings on the wire. Probabilities are per callback (per movement for reordering): 0
 * never, 1 always, anything between drawn from a generator seeded with `seed`.
 */
export const FaultsSchema = Type.Object(
  {
    duplicate_callbacks: Probability,
    late_callbacks: Probability,
    late_callback_ms: Type.Integer({ minimum: 0, maximum: 3_600_000 }),
    reorder_callbacks: Probability,
    lose_callbacks: Probability,
    seed: Type.Integer({ minimum: 0, maximum: 0xffff_ffff }),
  },
  { additionalProperties: false },
);
export type FaultsWire = Static<typeof FaultsSchema>;
export const FaultsPatchSchema = Type.Partial(FaultsSchema, { additionalProperties: false });

export const DeliveryStatusSchema = Type.Union([
  Type.Literal('scheduled'),
  Type.Literal('delivered'),
  Type.Literal('failed'),
  Type.Literal('lost'),
]);

/** The bank's own record of the callbacks it sent, for tests and for people trying the demo. */
export const CallbackLogSchema = Type.Object(
  {
    /** Settlements that have not happened yet and deliveries that have not finished. */
    pending_settlements: Type.Integer({ minimum: 0 }),
    pending_deliveries: Type.Integer({ minimum: 0 }),
    deliveries: Type.Array(
      Type.Object(
        {
          event_id: Type.String(),
          type: EventTypeSchema,
          object_id: Type.String(),
          sequence: Type.Integer(),
          copy: Type.Integer({ minimum: 1 }),
          status: DeliveryStatusSchema,
          attempts: Type.Integer({ minimum: 0 }),
          last_status_code: Type.Union([Type.Integer(), Type.Null()]),
        },
        { additionalProperties: false },
      ),
    ),
  },
  { additionalProperties: false },
);
export type CallbackLogWire = Static<typeof CallbackLogSchema>;

export const BankProblemSchema = Type.Object(
  {
    type: Type.String(),
    title: Type.String(),
    status: Type.Integer({ minimum: 400, maximum: 599 }),
    code: Type.String(),
    detail: Type.Optional(Type.String()),
    param: Type.Optional(Type.String()),
  },
  { additionalProperties: false },
);
export type BankProblem = Static<typeof BankProblemSchema>;
