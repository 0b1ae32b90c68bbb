import { Type } from '@sinclair/typebox';
import type { ServerResponse } from 'node:http';
import type { FastifyInstance, FastifyPluginAsync, FastifyRequest } from 'fastify';
import type { Executor } from '../../db/index.js';
import type { Clock } from '../../lib/clock.js';
import {
  listUserEvents,
  userEventsSince,
  type EventHub,
  type UserEvent,
} from '../../events/index.js';
import { limits } from '../../limits.js';
import { authOf } from '../auth.js';
import { ProblemError, problemResponse } from '../problem.js';
import { typed } from './identity/shared.js';

export interface EventRouteDeps {
  readonly db: Executor;
  readonly hub: EventHub;
  /** The services' clock: event times come from it. */
  readonly clock: Clock;
  /** Asked at every heartbeat, so that a signed-out session's streams end. */
  readonly sessionLive: (sessionId: string) => Promise<boolean>;
  /** Default: limits.eventStreamHeartbeatMs; tests shorten it. */
  readonly heartbeatMs?: number;
}

const EventSchema = Type.Object(
  {
    id: Type.String(),
    type: Type.String({ description: 'transfer.received, balance.changed, security.alert, ...' }),
    data: Type.Record(Type.String(), Type.Unknown()),
    created_at: Type.String({ format: 'date-time' }),
  },
  { title: 'Event', additionalProperties: false },
);

function eventJson(event: UserEvent) {
  return {
    id: event.id,
    type: event.type,
    data: { ...event.data },
    created_at: event.createdAt.toISOString(),
  };
}

/** The signed-in user's events: a list, and a Server-Sent Events stream of new ones. */
export function eventRoutes(deps: EventRouteDeps): FastifyPluginAsync {
  return async (app) => {
    listRoute(app, deps);
    streamRoute(app, deps);
  };
}

function listRoute(app: FastifyInstance, deps: EventRouteDeps): void {
  typed(app).get(
    '/v1/events',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['events'],
        summary: 'The signed-in user’s events, newest first',
        querystring: Type.Object(
          {
            limit: Type.Integer({
              minimum: 1,
              maximum: limits.pageSizeMax,
              default: limits.pageSizeDefault,
            }),
            starting_after: Type.Optional(Type.String({ pattern: '^evt_[0-9A-HJKMNP-TV-Z]{26}$' })),
          },
          { additionalProperties: false },
        ),
        response: {
          200: Type.Object(
            { data: Type.Array(EventSchema), has_more: Type.Boolean() },
            { additionalProperties: false },
          ),
          401: problemResponse('unauthenticated, session_expired'),
        },
      },
    },
    async (request) => {
      const page = await listUserEvents(deps.db, authOf(request).user.id, {
        limit: request.query.limit,
        startingAfter: request.query.starting_after,
      });
      return { data: page.data.map(eventJson), has_more: page.hasMore };
    },
  );
}

const openStreams = new Map<string, number>();

function streamRoute(app: FastifyInstance, deps: EventRouteDeps): void {
  app.get(
    '/v1/events/stream',
    {
      config: { auth: 'user' },
      schema: {
        tags: ['events'],
        summary: 'New events of the signed-in user, as Server-Sent Events',
        description:
          'text/event-stream: each event has its id, its type as the event name, and its JSON as data. Browsers use EventSource with the session cookie.',
        response: {
          200: {
            description: 'An event stream.',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          401: problemResponse('unauthenticated, session_expired'),
          429: problemResponse('rate_limited: too many open streams'),
        },
      },
    },
    async (request, reply) => {
      const userId = authOf(request).user.id;
      const open = openStreams.get(userId) ?? 0;
      if (open >= limits.eventStreamsPerUserMax) {
        throw new ProblemError('rate_limited', {
          detail: `At most ${limits.eventStreamsPerUserMax} event streams per user.`,
          retryAfterSeconds: 5,
        });
      }
      openStreams.set(userId, open + 1);
      reply.hijack();
      stream(request, reply.raw, deps, authOf(request).session.id, () => {
        const left = (openStreams.get(userId) ?? 1) - 1;
        if (left <= 0) openStreams.delete(userId);
        else openStreams.set(userId, left);
      });
    },
  );
}

/**
 * Writes the user's new events as they come. Each wake-up reads the events written since a
 * little before the last one sent, and skips those already sent: transactions commit out of id
 * order, and the overlap catches a late committer.
 */
function stream(
  request: FastifyRequest,
  out: ServerResponse,
  deps: EventRouteDeps,
  sessionId: string,
  done: () => void,
) {
  const raw = request.raw;
  const userId = authOf(request).user.id;
  out.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
    'x-request-id': request.id,
  });
  out.write(': connected\n\n');
  const sent = new Map<string, number>();
  let since = new Date(deps.clock.nowMs() - limits.eventStreamOverlapMs);
  let reading = false;
  let again = false;
  const read = async () => {
    if (reading) {
      again = true;
      return;
    }
    reading = true;
    try {
      do {
        again = false;
        for (const event of await userEventsSince(deps.db, userId, since)) {
          if (sent.has(event.id)) continue;
          sent.set(event.id, event.createdAt.getTime());
          out.write(
            `id: ${event.id}\nevent: ${event.type}\ndata: ${JSON.stringify(eventJson(event))}\n\n`,
          );
          const next = event.createdAt.getTime() - limits.eventStreamOverlapMs;
          if (next > since.getTime()) since = new Date(next);
        }
        for (const [id, at] of sent) if (at < since.getTime()) sent.delete(id);
      } while (again);
    } catch (error) {
      request.log.warn({ err: error }, 'event stream read failed');
    } finally {
      reading = false;
    }
  };
  const unsubscribe = deps.hub.subscribe(userId, () => void read());
  const heartbeat = setInterval(() => {
    void deps.sessionLive(sessionId).then(
      (live) => (live ? out.write(': ping\n\n') : out.end()),
      () => out.end(),
    );
  }, deps.heartbeatMs ?? limits.eventStreamHeartbeatMs);
  void read();
  raw.on('close', () => {
    clearInterval(heartbeat);
    unsubscribe();
    done();
  });
}
