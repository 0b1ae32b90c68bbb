import { appendAudit } from '../audit/index.js';
import type { Executor } from '../db/index.js';

/**
 * The security events of a user (sign-ins, password, MFA and PIN changes, lockouts), written to
 * the audit log. Appended last in their transaction, because the audit log is appended under one
 * lock held until commit (see the audit module).
 */
export type SecurityEventDetail = Readonly<Record<string, string | number | boolean | null>>;

export function audit(
  db: Executor,
  userId: string | null,
  action: string,
  ctx: { readonly ip: string | null } | undefined,
  now: Date,
  detail: SecurityEventDetail = {},
  actorType: 'user' | 'anonymous' = 'user',
): Promise<unknown> {
  const anonymous = userId === null || actorType === 'anonymous';
  return appendAudit(db, {
    occurredAt: now,
    actorType: anonymous ? 'anonymous' : 'user',
    actorId: anonymous ? null : userId,
    subjectUserId: userId,
    action,
    ip: ctx?.ip ?? null,
    detail,
  });
}
