import { createHash } from 'node:crypto';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Executor } from '../db/index.js';
import { canonicalJson } from '../lib/canonical-json.js';
import type { Clock } from '../lib/clock.js';
import { limits } from '../limits.js';
import { ProblemError } from './problem.js';

/**
 * `Idempotency-Key` (API.md): a route declared with `config.idempotency` stores its first
 * response to a key (success, or a failure after validation) and replays it for the same key and
 * the same request; the same key with another request is 422, and while the first request runs,
 * 409. Keys are scoped to the caller. Server faults (5xx) are not stored, so that a retry runs
 * again; the domain operations behind money-moving routes are idempotent on their own as well, so
 * a retry after a crash cannot move money twice.
 */
export type IdempotencyMode = 'required' | 'optional';

declare module 'fastify' {
  interface FastifyContextConfig {
    idempotency?: IdempotencyMode;
  }
  interface FastifyRequest {
    idempotencyClaim: { readonly scope: string; readonly key: string } | undefined;
  }
}

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const KEY_PATTERN = /^[\x21-\x7e]{1,255}$/;

type Claim =
  | { readonly kind: 'new' }
  | { readonly kind: 'mismatch' }
  | { readonly kind: 'in_progress'; readonly retryAfterMs: number }
  | {
      readonly kind: 'replay';
      readonly status: number;
      readonly contentType: string | null;
      readonly body: string | null;
    };

export interface IdempotencyStore {
  claim(scope: string, key: string, fingerprint: Buffer): Promise<Claim>;
  complete(
    scope: string,
    key: string,
    response: { status: number; contentType: string | null; body: string | null },
  ): Promise<void>;
  release(scope: string, key: string): Promise<void>;
  /** Deletes records past their retention; for a worker. */
  purge(): Promise<number>;
}

export function createIdempotencyStore(db: Executor, clock: Clock): IdempotencyStore {
  return {
    async claim(scope, key, fingerprint) {
      const nowMs = clock.nowMs();
      const now = new Date(nowMs);
      // A new key, a key whose record outlived its retention, or a stale claim of the same
      // request (its process died) is taken; anything else is answered from the record.
      const { rows: taken } = await db.query<{ scope: string }>({
        name: 'idempotency_claim',
        text: `INSERT INTO idempotency_keys AS k (scope, key, fingerprint, state, created_at, locked_until)
         VALUES ($1, $2, $3, 'in_progress', $4, $5)
         ON CONFLICT (scope, key) DO UPDATE
           SET fingerprint = EXCLUDED.fingerprint, state = 'in_progress',
               created_at = EXCLUDED.created_at, locked_until = EXCLUDED.locked_until,
               response_status = NULL, response_type = NULL, response_body = NULL,
               completed_at = NULL
         WHERE k.created_at < $6
            OR (k.state = 'in_progress' AND k.locked_until < $4 AND k.fingerprint = EXCLUDED.fingerprint)
         RETURNING scope`,
        values: [
          scope,
          key,
          fingerprint,
          now,
          new Date(nowMs + limits.idempotencyLockMs),
          new Date(nowMs - limits.idempotencyRetentionMs),
        ],
      });
      if (taken.length > 0) return { kind: 'new' };
      const { rows } = await db.query<{
        fingerprint: Buffer;
        state: 'in_progress' | 'done';
        response_status: number | null;
        response_type: string | null;
        response_body: string | null;
        locked_until: Date;
      }>(
        `SELECT fingerprint, state, response_status, response_type, response_body, locked_until
           FROM idempotency_keys WHERE scope = $1 AND key = $2`,
        [scope, key],
      );
      const record = rows[0];
      // Deleted in between (a 5xx released it): the caller may simply try again.
      if (record === undefined) return { kind: 'in_progress', retryAfterMs: 1000 };
      if (!record.fingerprint.equals(fingerprint)) return { kind: 'mismatch' };
      if (record.state === 'in_progress' || record.response_status === null) {
        return { kind: 'in_progress', retryAfterMs: record.locked_until.getTime() - nowMs };
      }
      return {
        kind: 'replay',
        status: record.response_status,
        contentType: record.response_type,
        body: record.response_body,
      };
    },
    async complete(scope, key, response) {
      await db.query({
        name: 'idempotency_complete',
        text: `UPDATE idempotency_keys
            SET state = 'done', response_status = $3, response_type = $4, response_body = $5,
                completed_at = $6
          WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
        values: [
          scope,
          key,
          response.status,
          response.contentType,
          response.body,
          new Date(clock.nowMs()),
        ],
      });
    },
    async release(scope, key) {
      await db.query(
        `DELETE FROM idempotency_keys WHERE scope = $1 AND key = $2 AND state = 'in_progress'`,
        [scope, key],
      );
    },
    async purge() {
      const { rowCount } = await db.query(
        `DELETE FROM idempotency_keys WHERE ctid = ANY (ARRAY(
           SELECT ctid FROM idempotency_keys WHERE created_at < $1 LIMIT $2))`,
        [
          new Date(clock.nowMs() - 2 * limits.idempotencyRetentionMs),
          limits.idempotencyPurgeBatchSizeMax,
        ],
      );
      return rowCount ?? 0;
    },
  };
}

/** What makes two requests "the same": method, route, path parameters and body. */
function fingerprintOf(request: FastifyRequest): Buffer {
  return createHash('sha256')
    .update(
      canonicalJson([
        request.method,
        request.routeOptions.url ?? '',
        request.params ?? null,
        request.body ?? null,
      ]),
    )
    .digest();
}

export function installIdempotency(app: FastifyInstance, store: IdempotencyStore): void {
  app.decorateRequest('idempotencyClaim', undefined);
  // After authentication (preValidation) and validation: a request that fails either is not an
  // attempt at the operation and is never recorded.
  app.addHook('preHandler', async (request, reply) => {
    const mode = request.routeOptions.config.idempotency;
    if (mode === undefined) return;
    const key = keyOf(request, mode);
    if (key === undefined) return;
    const scope =
      request.auth !== undefined
        ? `user:${request.auth.user.id}`
        : request.merchant !== undefined
          ? `merchant:${request.merchant.merchant.id}`
          : undefined;
    if (scope === undefined) return;
    const claim = await store.claim(scope, key, fingerprintOf(request));
    switch (claim.kind) {
      case 'new':
        request.idempotencyClaim = { scope, key };
        return;
      case 'mismatch':
        throw new ProblemError('idempotency_key_reused', { param: 'Idempotency-Key' });
      case 'in_progress':
        throw new ProblemError('idempotency_key_in_progress', {
          param: 'Idempotency-Key',
          retryAfterSeconds: Math.max(1, claim.retryAfterMs / 1000),
        });
      case 'replay':
        return replay(reply, claim);
    }
  });
  app.addHook('onSend', async (request, reply, payload) => {
    const claim = request.idempotencyClaim;
    if (claim === undefined) return payload;
    request.idempotencyClaim = undefined;
    if (reply.statusCode >= 500) {
      await store.release(claim.scope, claim.key);
    } else {
      const type = reply.getHeader('content-type');
      await store.complete(claim.scope, claim.key, {
        status: reply.statusCode,
        contentType: typeof type === 'string' ? type : null,
        body: typeof payload === 'string' ? payload : null,
      });
    }
    return payload;
  });
}

function keyOf(request: FastifyRequest, mode: IdempotencyMode): string | undefined {
  const key = request.headers[IDEMPOTENCY_HEADER];
  if (key === undefined) {
    if (mode === 'required') {
      throw new ProblemError('idempotency_key_required', { param: 'Idempotency-Key' });
    }
    return undefined;
  }
  if (typeof key !== 'string' || !KEY_PATTERN.test(key)) {
    throw new ProblemError('validation_failed', {
      param: 'Idempotency-Key',
      detail: 'The Idempotency-Key header must be 1 to 255 printable ASCII characters.',
    });
  }
  return key;
}

function replay(reply: FastifyReply, claim: Extract<Claim, { kind: 'replay' }>): FastifyReply {
  reply.code(claim.status).header('idempotent-replayed', 'true');
  if (claim.contentType !== null) reply.header('content-type', claim.contentType);
  return reply.send(claim.body ?? undefined);
}
