/** The events module's public surface: the SMS/email outbox and its senders. */
export {
  createMessageDispatcher,
  devInboxSender,
  enqueueMessage,
  logSender,
  readDevInbox,
} from './messages.js';
export type {
  DevInboxMessage,
  MessageChannel,
  MessageDispatcher,
  MessageSender,
  NewMessage,
  OutboxMessage,
} from './messages.js';
export { renderMessage } from './templates.js';
export type { MessageLocale, MessageTemplate, TemplateVars } from './templates.js';
export {
  appendUserEvent,
  appendUserEvents,
  createEventHub,
  listUserEvents,
  userEventsSince,
} from './user-events.js';
export type { EventHub, NewUserEvent, UserEvent, UserEventType } from './user-events.js';
