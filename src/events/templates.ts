/**
 * The texts of SMS and email messages, in both languages. Pure: a template and its variables in,
 * a subject and body out. SMS bodies stay short and carry the brand first, as carriers require.
 */
export type MessageTemplate =
  'verify_contact' | 'reset_password' | 'new_device' | 'password_changed' | 'login_locked';

export type MessageLocale = 'zh-CN' | 'en';

export type TemplateVars = Readonly<Record<string, string>>;

interface Text {
  readonly subject: string;
  readonly body: string;
}

type Render = (vars: TemplateVars) => Text;

const templates: Readonly<Record<MessageTemplate, Readonly<Record<MessageLocale, Render>>>> = {
  verify_contact: {
    en: (v) => ({
      subject: 'Your Hebao verification code',
      body: `[Hebao] Your verification code is ${v['code']}. It expires in 10 minutes. Never share it with anyone.`,
    }),
    'zh-CN': (v) => ({
      subject: '荷包验证码',
      body: `【荷包】您的验证码是 ${v['code']}，10 分钟内有效。请勿泄露给他人。`,
    }),
  },
  reset_password: {
    en: (v) => ({
      subject: 'Reset your Hebao password',
      body: `[Hebao] Your password reset code is ${v['code']}. It expires in 10 minutes. If you did not ask for it, ignore this message.`,
    }),
    'zh-CN': (v) => ({
      subject: '重置荷包密码',
      body: `【荷包】您的密码重置验证码是 ${v['code']}，10 分钟内有效。如非本人操作，请忽略。`,
    }),
  },
  new_device: {
    en: (v) => ({
      subject: 'New sign-in to your Hebao account',
      body: `[Hebao] Your account was signed in on a new device (${v['device']}, IP ${v['ip']}) at ${v['time']}. If this was not you, change your password and sign that device out.`,
    }),
    'zh-CN': (v) => ({
      subject: '荷包账户在新设备登录',
      body: `【荷包】您的账户于 ${v['time']} 在新设备（${v['device']}，IP ${v['ip']}）登录。如非本人操作，请立即修改密码并将该设备退出登录。`,
    }),
  },
  password_changed: {
    en: (v) => ({
      subject: 'Your Hebao password was changed',
      body: `[Hebao] Your password was changed at ${v['time']}. Other devices were signed out. If this was not you, reset your password now.`,
    }),
    'zh-CN': (v) => ({
      subject: '荷包密码已修改',
      body: `【荷包】您的密码已于 ${v['time']} 修改，其他设备已退出登录。如非本人操作，请立即重置密码。`,
    }),
  },
  login_locked: {
    en: (v) => ({
      subject: 'Sign-in to your Hebao account is locked',
      body: `[Hebao] After many wrong passwords, sign-in to your account is locked until ${v['until']}. If this was not you, someone may be guessing your password.`,
    }),
    'zh-CN': (v) => ({
      subject: '荷包账户登录已锁定',
      body: `【荷包】由于多次密码错误，您的账户登录已锁定至 ${v['until']}。如非本人操作，可能有人在尝试猜测您的密码。`,
    }),
  },
};

export function renderMessage(
  template: MessageTemplate,
  locale: MessageLocale,
  vars: TemplateVars,
): Text {
  return templates[template][locale](vars);
}
