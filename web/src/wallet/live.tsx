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

/** The event and the other person's name; the sentence is written when shown, in the UI language. */
interface Toast {
  readonly event: UserEvent;
  readonly name: string | undefined;
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
  const { t, i18n } = useTranslation('notifications');
  const [toasts, setToasts] = useState<readonly Toast[]>([]);

  useEffect(() => {
    const source = new EventSource('/v1/events/stream');
    const timers = new Set<ReturnType<typeof setTimeout>>();
    // On (re)connecting the stream replays its last few seconds: each event is told once.
    const seen = new Set<string>();
    const show = (toast: Toast): void => {
      setToasts((shown) => [...shown.slice(1 - TOASTS_MAX), toast]);
      const timer = setTimeout(() => {
        timers.delete(timer);
        setToasts((shown) => shown.filter((other) => other.event.id !== toast.event.id));
      }, TOAST_MS);
      timers.add(timer);
    };
    const handle = (message: MessageEvent<string>): void => {
      const event = JSON.parse(message.data) as UserEvent;
      if (seen.has(event.id)) return;
      seen.add(event.id);
      refresh(client, event.type);
      if (!(TOLD_TYPES as readonly string[]).includes(event.type)) return;
      void eventPerson(client, event)
        .catch(() => null)
        .then((person) => show({ event, name: person?.display_name }));
    };
    for (const type of [...TOLD_TYPES, 'balance.changed']) {
      source.addEventListener(type, handle as EventListener);
    }
    return () => {
      source.close();
      for (const timer of timers) clearTimeout(timer);
    };
  }, [client]);

  return (
    <div className="live-toasts" role="status" aria-live="polite">
      {toasts.map((toast) => (
        <p key={toast.event.id} className="live-toast">
          {describeEvent(t, i18n.language, toast.event, toast.name)}
        </p>
      ))}
    </div>
  );
}
