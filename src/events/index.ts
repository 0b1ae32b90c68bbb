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
export { webhookCodes } from './webhook-codes.js';
export type { WebhookCode, WebhookFailure, WebhookResult } from './webhook-codes.js';
export {
  afterAttempt,
  isWebhookEventType,
  retryDelayMs,
  validateEventTypes,
  webhookEventBody,
} from './webhooks-core.js';
export type {
  AfterAttempt,
  AttemptEnd,
  NewWebhookEndpoint,
  NewWebhookEvent,
  WebhookAttempt,
  WebhookAttemptKind,
  WebhookDelivery,
  WebhookDeliveryState,
  WebhookEndpoint,
  WebhookEndpointPatch,
  WebhookEndpointStatus,
} from './webhooks-core.js';
export { createWebhooks, enqueueWebhookEvent, enqueueWebhookEvents } from './webhooks.js';
export type { WebhookDeliveryPage, WebhookDeps, Webhooks } from './webhooks.js';
export {
  generateWebhookSecret,
  signWebhook,
  verifyWebhookSignature,
  WEBHOOK_EVENT_ID_HEADER,
  WEBHOOK_SECRET_PATTERN,
  WEBHOOK_SIGNATURE_HEADER,
  WEBHOOK_SIGNATURE_TOLERANCE_SECONDS,
} from './webhook-signature.js';
export type { WebhookSignatureCheck, WebhookSignatureFailure } from './webhook-signature.js';
export {
  checkWebhookUrl,
  classifyAddress,
  isAddressAllowed,
  parseWebhookUrl,
  systemResolver,
} from './webhook-url.js';
export type {
  AddressKind,
  CheckedWebhookUrl,
  WebhookResolver,
  WebhookUrlCode,
  WebhookUrlPolicy,
} from './webhook-url.js';
