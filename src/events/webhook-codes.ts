import type { CodeSpec, Failure } from '../lib/code-spec.js';

/** The outcomes of webhook operations that go against the caller, and their types. */
export const webhookCodes = {
  webhook_endpoint_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such webhook endpoint', 'zh-CN': 'Webhook 端点不存在' },
  },
  webhook_endpoints_too_many: {
    status: 409,
    retryable: false,
    title: {
      en: 'Too many webhook endpoints; delete one first',
      'zh-CN': 'Webhook 端点数量已达上限，请先删除一个',
    },
  },
  webhook_url_invalid: {
    status: 400,
    retryable: false,
    title: { en: 'The webhook URL is not a valid http(s) URL', 'zh-CN': 'Webhook 地址无效' },
  },
  webhook_url_not_https: {
    status: 400,
    retryable: false,
    title: { en: 'Webhook URLs must use https', 'zh-CN': 'Webhook 地址必须使用 HTTPS' },
  },
  webhook_url_forbidden_address: {
    status: 400,
    retryable: false,
    title: {
      en: 'The webhook URL points to a private, loopback or reserved address',
      'zh-CN': 'Webhook 地址指向内网、本机或保留地址',
    },
  },
  webhook_url_unresolvable: {
    status: 400,
    retryable: true,
    title: {
      en: 'The host name of the webhook URL could not be resolved',
      'zh-CN': '无法解析 Webhook 地址的主机名',
    },
  },
  webhook_event_types_invalid: {
    status: 400,
    retryable: false,
    title: {
      en: 'Subscribe to one or more known event types, each named explicitly',
      'zh-CN': '请明确订阅一个或多个有效的事件类型',
    },
  },
  webhook_description_too_long: {
    status: 400,
    retryable: false,
    title: { en: 'The description is too long', 'zh-CN': '描述过长' },
  },
  webhook_delivery_not_found: {
    status: 404,
    retryable: false,
    title: { en: 'No such webhook delivery', 'zh-CN': 'Webhook 投递记录不存在' },
  },
  webhook_delivery_attempts_exhausted: {
    status: 409,
    retryable: false,
    title: {
      en: 'This delivery has been attempted as often as allowed',
      'zh-CN': '该投递的尝试次数已达上限',
    },
  },
} as const satisfies Record<string, CodeSpec>;

export type WebhookCode = keyof typeof webhookCodes;
export type WebhookFailure = Failure<WebhookCode>;
export type WebhookResult<T> = ({ readonly ok: true } & T) | WebhookFailure;
