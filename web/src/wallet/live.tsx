/**
 * Live notifications: one Server-Sent Events stream (`/v1/events/stream`, authenticated by the
 * session cookie) while signed in. Each event refreshes what it changed (balances, history,
 * requests, the notifications list) and news shows as a short toast in a polite live region.
 * EventSource reconnects by itself; the stream is closed when the signed-in frame goes away.
 */
import { useQueryClient, type QueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import { useTranslation } from 'react-i18next';
import { describeEvent, eventPerson, TOLD_TYPES, type UserEvent } from './pages/money/events';
import './pages/money/live.css';

const TOAST_MS = 6000;
const TOASTS_MAX = 3;

interface Toast {
  readonly id: string;
  readonly text: string;
}

function refresh(client: QueryClient, type: string): void {
  void client.invalidateQueries({ queryKey: ['events'] });
  if (type === 'balance.changed' || type.startsWith('transfer.')) {
    void client.invalidateQueries({ queryKey: ['wallets'] });
    void client.invalidateQueries({ queryKey: ['transactions'] });
  }
  if (type.startsWith('request.')) void client.invalidateQueries({ queryKey: ['requests'] });
}

export function LiveEvents() {
  const client = useQueryClient();
  const { i18n } = useTranslation('notifications');
  const [toasts, setToasts] = useState<readonly Toast[]>([]);

  useEffect(() => {
    const source = new EventSource('/v1/events/stream');
    const timers = new Set<ReturnType<typeof setTimeout>>();
    const show = (toast: Toast): void => {
      setToasts((shown) => [...shown.slice(1 - TOASTS_MAX), toast]);
      const timer = setTimeout(() => {
        timers.delete(timer);
        setToasts((shown) => shown.filter((t) => t.id !== toast.id));
      }, TOAST_MS);
      timers.add(timer);
    };
    const handle = (message: MessageEvent<string>): void => {
      const event = JSON.parse(message.data) as UserEvent;
      refresh(client, event.type);
      if (!(TOLD_TYPES as readonly string[]).includes(event.type)) return;
      void eventPerson(client, event)
        .catch(() => null)
        .then((person) => {
          const name = person?.display_name;
          show({ id: event.id, text: describeEvent(i18n.t, i18n.language, event, name) });
        });
    };
    for (const type of [...TOLD_TYPES, 'balance.changed']) {
      source.addEventListener(type, handle as EventListener);
    }
    return () => {
      source.close();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [client, i18n]);

  return (
    <div className="live-toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <p key={toast.id} className="live-toast">
          {toast.text}
        </p>
      ))}
    </div>
  );
}
