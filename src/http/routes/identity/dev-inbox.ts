import { Type } from '@sinclair/typebox';
import type { FastifyInstance } from 'fastify';
import { parseLogin } from '../../../identity/index.js';
import { ProblemError } from '../../problem.js';
import { Timestamp, typed } from './shared.js';
import type { DevInboxMessage } from '../../../events/index.js';

const MessageSchema = Type.Object(
  {
    id: Type.String(),
    channel: Type.Union([Type.Literal('sms'), Type.Literal('email')]),
    to: Type.String(),
    subject: Type.String(),
    body: Type.String(),
    delivered_at: Timestamp,
  },
  { title: 'DevInboxMessage', additionalProperties: false },
);

/**
 * Development mode only (the route is not registered in production): what the development
 * sender "delivered" to a phone or email, newest first. Due messages are delivered first, so a
 * test can read a code right after the request that sent it.
 */
export function devInboxRoute(
  app: FastifyInstance,
  read: (recipient: string) => Promise<DevInboxMessage[]>,
): void {
  typed(app).get(
    '/v1/dev/inbox',
    {
      config: { auth: 'none' },
      schema: {
        tags: ['development'],
        summary: 'Messages sent to a phone or email (development mode only)',
        querystring: Type.Object(
          { to: Type.String({ minLength: 3, maxLength: 254 }) },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object({ data: Type.Array(MessageSchema) }, { additionalProperties: false }),
        },
      },
    },
    async (request) => {
      const contact = parseLogin(request.query.to);
      if (contact === undefined) {
        throw new ProblemError('validation_failed', {
          param: 'to',
          detail: 'Give a mobile number or an email address.',
        });
      }
      const messages = await read(contact.value);
      return {
        data: messages.map((m) => ({
          id: m.id,
          channel: m.channel,
          to: m.to,
          subject: m.subject,
          body: m.body,
          delivered_at: m.deliveredAt.toISOString(),
        })),
      };
    },
  );
}
