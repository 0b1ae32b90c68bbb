/**
 * The risk hook every money movement calls before it happens (PRODUCT.md, "Risk and
 * anti-fraud"). This is the default policy; the rules engine of a later issue replaces it behind
 * the same interface. Pure: the caller gathers the facts and applies the decision.
 */
export type RiskDecision =
  | { readonly action: 'allow' }
  | { readonly action: 'hold'; readonly holdMs: number; readonly reason: string }
  | { readonly action: 'block'; readonly reason: string };

export interface MovementFacts {
  readonly kind: 'p2p' | 'withdrawal' | 'payment';
  readonly payerId: string;
  readonly payeeId: string;
  readonly amountMinor: bigint;
  readonly currency: string;
  /** Whether the payer has paid this payee before. */
  readonly firstTimePayee: boolean;
}

export interface RiskPolicy {
  decide(facts: MovementFacts): RiskDecision;
}

/** A first payment of a large amount to someone new waits 15 minutes (a cooling-off hold). */
export const COOLING_OFF_MS = 15 * 60_000;
export const COOLING_OFF_AMOUNT_MINOR = 500_000n; // 5,000.00 in a two-decimal currency

export const defaultRiskPolicy: RiskPolicy = {
  decide(facts) {
    if (facts.firstTimePayee && facts.amountMinor >= COOLING_OFF_AMOUNT_MINOR) {
      return { action: 'hold', holdMs: COOLING_OFF_MS, reason: 'first_large_payment_to_new_payee' };
    }
    return { action: 'allow' };
  },
};
