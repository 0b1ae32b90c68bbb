import { createHash, randomBytes } from 'node:crypto';
import { appendAudit } from '../audit/index.js';
import { withTransaction, type Executor, type Pool } from '../db/index.js';
import type { IdentityFailure, IdentityServices } from '../identity/index.js';
import type { Ledger } from '../ledger/index.js';
import { assert } from '../lib/assert.js';
import { failure } from '../lib/code-spec.js';
import type { Clock } from '../lib/clock.js';
import { newId } from '../lib/ids.js';
import { limits } from '../limits.js';
import type { Funding } from '../wallet/index.js';
import type { MerchantFailure } from './codes.js';

/**
 * Merchants and their API keys. A user opens a merchant (pending review, or active at once when
 * the deployment auto-approves, as development does); an operator approves or suspends it. The
 * merchant's balance is a ledger account of its own that never goes below zero.
 */
export type MerchantStatus = 'pending_review' | 'active' | 'suspended';

export interface Merchant {
  readonly id: string;
  readonly ownerId: string;
  readonly nameZh: string;
  readonly nameEn: string;
  readonly mcc: string;
  readonly city: string;
  readonly country: string;
  readonly currency: string;
  readonly settlementCardId: string;
  readonly feeRateBp: number;
  readonly status: MerchantStatus;
  readonly accountId: string;
  readonly createdAt: Date;
  readonly updatedAt: Date;
  readonly activatedAt: Date | null;
}

export interface MerchantInput {
  readonly nameZh: string;
  readonly nameEn: string;
  readonly mcc: string;
  readonly city: string;
  readonly country: string;
  readonly currency: string;
  readonly settlementCardId: string;
  readonly feeRateBp: number;
}

export const API_KEY_SCOPES = [
  'payment_intents:read',
  'payment_intents:write',
  'refunds:read',
  'refunds:write',
  'webhooks:read',
  'webhooks:write',
  'settlements:read',
] as const;
export type ApiKeyScope = (typeof API_KEY_SCOPES)[number];

export interface ApiKey {
  readonly id: string;
  readonly merchantId: string;
  readonly mode: 'test' | 'live';
  readonly last4: string;
  readonly name: string;
  readonly scopes: readonly ApiKeyScope[];
  readonly createdAt: Date;
  readonly lastUsedAt: Date | null;
  readonly revokedAt: Date | null;
}

/** Who called a merchant route: the key and its merchant (active or not: routes decide). */
export interface MerchantPrincipal {
  readonly key: ApiKey;
  readonly merchant: Merchant;
}

export type MerchantResult<T> = ({ readonly ok: true } & T) | MerchantFailure | IdentityFailure;

export interface Merchants {
  create(ownerId: string, input: MerchantInput): Promise<MerchantResult<{ merchant: Merchant }>>;
  /** The user's own merchants, newest first. */
  listOwned(ownerId: string): Promise<Merchant[]>;
  /** The user's own merchant; anyone else's is undefined. */
  getOwned(ownerId: string, merchantId: string): Promise<Merchant | undefined>;
  get(merchantId: string): Promise<Merchant | undefined>;
  /** Operators: review decisions, each written to the audit log with the change. */
  setStatus(
    merchantId: string,
    status: 'active' | 'suspended',
    operator: { readonly id: string; readonly ip: string | null },
  ): Promise<MerchantResult<{ merchant: Merchant }>>;
  createApiKey(
    ownerId: string,
    merchantId: string,
    input: { readonly name: string; readonly scopes: readonly ApiKeyScope[] },
  ): Promise<MerchantResult<{ key: ApiKey; secret: string }>>;
  listApiKeys(ownerId: string, merchantId: string): Promise<MerchantResult<{ keys: ApiKey[] }>>;
  revokeApiKey(
    ownerId: string,
    merchantId: string,
    keyId: string,
  ): Promise<MerchantResult<{ key: ApiKey }>>;
  /** A presented secret: its key and merchant, or `api_key_invalid`. */
  authenticate(secret: string): Promise<MerchantResult<{ principal: MerchantPrincipal }>>;
}

export interface MerchantsDeps {
  readonly pool: Pool;
  readonly clock: Clock;
  readonly ledger: Ledger;
  readonly identity: IdentityServices;
  readonly funding: Funding;
  /** Development approves new merchants at once; production waits for an operator. */
  readonly autoApprove: boolean;
  /** Keys say which mode they belong to (`sk_test_…` or `sk_live_…`). */
  readonly keyMode: 'test' | 'live';
}

const SECRET_PATTERN = /^sk_(test|live)_[A-Za-z0-9_-]{43}$/;

interface MerchantRow {
  id: string;
  owner_id: string;
  name_zh: string;
  name_en: string;
  mcc: string;
  city: string;
  country: string;
  currency: string;
  settlement_card_id: string;
  fee_rate_bp: number;
  status: MerchantStatus;
  account_id: string;
  created_at: Date;
  updated_at: Date;
  activated_at: Date | null;
}

const merchantOf = (r: MerchantRow): Merchant => ({
  id: r.id,
  ownerId: r.owner_id,
  nameZh: r.name_zh,
  nameEn: r.name_en,
  mcc: r.mcc,
  city: r.city,
  country: r.country,
  currency: r.currency,
  settlementCardId: r.settlement_card_id,
  feeRateBp: r.fee_rate_bp,
  status: r.status,
  accountId: r.account_id,
  createdAt: r.created_at,
  updatedAt: r.updated_at,
  activatedAt: r.activated_at,
});

interface KeyRow {
  id: string;
  merchant_id: string;
  mode: 'test' | 'live';
  last4: string;
  name: string;
  scopes: ApiKeyScope[];
  created_at: Date;
  last_used_at: Date | null;
  revoked_at: Date | null;
}

const keyOf = (r: KeyRow): ApiKey => ({
  id: r.id,
  merchantId: r.merchant_id,
  mode: r.mode,
  last4: r.last4,
  name: r.name,
  scopes: r.scopes,
  createdAt: r.created_at,
  lastUsedAt: r.last_used_at,
  revokedAt: r.revoked_at,
});

const KEY_COLUMNS =
  'id, merchant_id, mode, last4, name, scopes, created_at, last_used_at, revoked_at';

function secretHash(secret: string): Buffer {
  return createHash('sha256').update(secret).digest();
}

export async function selectMerchant(
  db: Executor,
  merchantId: string,
): Promise<Merchant | undefined> {
  const { rows } = await db.query<MerchantRow>({
    name: 'merchants_by_id',
    text: 'SELECT * FROM merchants WHERE id = $1',
    values: [merchantId],
  });
  return rows[0] === undefined ? undefined : merchantOf(rows[0]);
}

export function createMerchants(deps: MerchantsDeps): Merchants {
  const { pool, clock, ledger, identity, funding } = deps;
  const now = () => new Date(clock.nowMs());

  async function owned(ownerId: string, merchantId: string): Promise<Merchant | undefined> {
    const merchant = await selectMerchant(pool, merchantId);
    return merchant?.ownerId === ownerId ? merchant : undefined;
  }

  return {
    async create(ownerId, input) {
      const owner = await identity.identity.requireVerified(ownerId);
      if (!owner.ok) return owner;
      const cards = await funding.listCards(ownerId);
      if (!cards.some((c) => c.id === input.settlementCardId && c.removedAt === null)) {
        return failure('settlement_card_not_found', { param: 'settlement_card_id' });
      }
      const at = now();
      const id = newId('mch', at.getTime());
      const accountId = newId('acc', at.getTime());
      const [account] = await ledger.createAccounts([
        {
          id: accountId,
          currency: input.currency,
          code: 'merchant_balance',
          owner: id,
          flags: { debitsMustNotExceedCredits: true },
        },
      ]);
      assert(account?.code === 'ok', `merchant account ${accountId}: ${account?.code}`);
      const status: MerchantStatus = deps.autoApprove ? 'active' : 'pending_review';
      // The count and the insert are one statement, so concurrent sign-ups cannot pass the cap.
      const { rows } = await pool.query<MerchantRow>(
        `INSERT INTO merchants (id, owner_id, name_zh, name_en, mcc, city, country, currency,
           settlement_card_id, fee_rate_bp, status, account_id, created_at, updated_at, activated_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13,
                CASE WHEN $11 = 'active' THEN $13::timestamptz END
          WHERE (SELECT count(*) FROM merchants WHERE owner_id = $2) < $14
         RETURNING *`,
        [
          id,
          ownerId,
          input.nameZh,
          input.nameEn,
          input.mcc,
          input.city,
          input.country,
          input.currency,
          input.settlementCardId,
          input.feeRateBp,
          status,
          accountId,
          at,
          limits.merchantsPerUserMax,
        ],
      );
      if (rows[0] === undefined) return failure('merchants_too_many');
      return { ok: true, merchant: merchantOf(rows[0]) };
    },

    async listOwned(ownerId) {
      const { rows } = await pool.query<MerchantRow>(
        'SELECT * FROM merchants WHERE owner_id = $1 ORDER BY id DESC LIMIT $2',
        [ownerId, limits.merchantsPerUserMax],
      );
      return rows.map(merchantOf);
    },

    getOwned: owned,
    get: (merchantId) => selectMerchant(pool, merchantId),

    async setStatus(merchantId, status, operator) {
      const at = now();
      const changed = await withTransaction(pool, async (tx) => {
        const { rows } = await tx.query<MerchantRow>(
          `UPDATE merchants SET status = $2, updated_at = $3,
                  activated_at = CASE WHEN $2 = 'active' THEN coalesce(activated_at, $3) ELSE activated_at END
            WHERE id = $1 AND status <> $2
            RETURNING *`,
          [merchantId, status, at],
        );
        const row = rows[0];
        if (row === undefined) return undefined;
        // Last in the transaction: the audit log is appended under a lock held until commit.
        await appendAudit(tx, {
          occurredAt: at,
          actorType: 'operator',
          actorId: operator.id,
          subjectUserId: row.owner_id,
          action: status === 'active' ? 'merchant.approved' : 'merchant.suspended',
          ip: operator.ip,
          detail: { merchant_id: row.id },
        });
        return merchantOf(row);
      });
      if (changed !== undefined) return { ok: true, merchant: changed };
      return (await selectMerchant(pool, merchantId)) === undefined
        ? failure('merchant_not_found', { param: 'id' })
        : failure('merchant_status_unchanged');
    },

    async createApiKey(ownerId, merchantId, input) {
      if ((await owned(ownerId, merchantId)) === undefined) {
        return failure('merchant_not_found', { param: 'id' });
      }
      const secret = `sk_${deps.keyMode}_${randomBytes(32).toString('base64url')}`;
      const at = now();
      const { rows } = await pool.query<KeyRow>(
        `INSERT INTO merchant_api_keys (id, merchant_id, secret_hash, mode, last4, name, scopes,
           created_at)
         SELECT $1, $2, $3, $4, $5, $6, $7, $8
          WHERE (SELECT count(*) FROM merchant_api_keys
                  WHERE merchant_id = $2 AND revoked_at IS NULL) < $9
         RETURNING ${KEY_COLUMNS}`,
        [
          newId('key', at.getTime()),
          merchantId,
          secretHash(secret),
          deps.keyMode,
          secret.slice(-4),
          input.name,
          [...new Set(input.scopes)],
          at,
          limits.merchantApiKeysMax,
        ],
      );
      if (rows[0] === undefined) return failure('api_keys_too_many');
      return { ok: true, key: keyOf(rows[0]), secret };
    },

    async listApiKeys(ownerId, merchantId) {
      if ((await owned(ownerId, merchantId)) === undefined) {
        return failure('merchant_not_found', { param: 'id' });
      }
      // Revoked keys stay listed (who used what, when); the live ones are bounded by the cap.
      const { rows } = await pool.query<KeyRow>(
        `SELECT ${KEY_COLUMNS} FROM merchant_api_keys WHERE merchant_id = $1
          ORDER BY id DESC LIMIT $2`,
        [merchantId, limits.pageSizeMax],
      );
      return { ok: true, keys: rows.map(keyOf) };
    },

    async revokeApiKey(ownerId, merchantId, keyId) {
      if ((await owned(ownerId, merchantId)) === undefined) {
        return failure('merchant_not_found', { param: 'id' });
      }
      const { rows } = await pool.query<KeyRow>(
        `UPDATE merchant_api_keys SET revoked_at = coalesce(revoked_at, $3)
          WHERE id = $1 AND merchant_id = $2
          RETURNING ${KEY_COLUMNS}`,
        [keyId, merchantId, now()],
      );
      if (rows[0] === undefined) return failure('api_key_not_found', { param: 'key_id' });
      return { ok: true, key: keyOf(rows[0]) };
    },

    async authenticate(secret) {
      if (!SECRET_PATTERN.test(secret)) return failure('api_key_invalid');
      const { rows } = await pool.query<KeyRow>({
        name: 'merchants_api_key_by_secret',
        text: `SELECT ${KEY_COLUMNS} FROM merchant_api_keys
                WHERE secret_hash = $1 AND revoked_at IS NULL`,
        values: [secretHash(secret)],
      });
      const row = rows[0];
      if (row === undefined) return failure('api_key_invalid');
      const merchant = await selectMerchant(pool, row.merchant_id);
      assert(merchant !== undefined, `API key ${row.id} has no merchant`);
      const at = now();
      if (
        row.last_used_at === null ||
        at.getTime() - row.last_used_at.getTime() >= limits.apiKeyTouchIntervalMs
      ) {
        await pool.query({
          name: 'merchants_api_key_touch',
          text: 'UPDATE merchant_api_keys SET last_used_at = $2 WHERE id = $1',
          values: [row.id, at],
        });
      }
      return { ok: true, principal: { key: keyOf(row), merchant } };
    },
  };
}
