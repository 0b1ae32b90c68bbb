/**
 * Where this account is signed in: every live session (sign one out, or all but this one) and
 * the devices that have signed in.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useTranslation } from 'react-i18next';
import { api } from '../../../shared/api';
import { Button, Empty, ErrorNotice, Loading } from '../../../shared/ui';
import { keyOf, useFormatTime } from './format';

interface Session {
  readonly id: string;
  readonly current: boolean;
  readonly device: { readonly id: string; readonly name: string };
  readonly method: string;
  readonly ip: string;
  readonly last_seen_at: string;
}

interface Device {
  readonly id: string;
  readonly name: string;
  readonly last_ip: string;
  readonly last_seen_at: string;
}

const SESSIONS_KEY = ['security', 'sessions'] as const;
const DEVICES_KEY = ['security', 'devices'] as const;

export function SessionsSection() {
  const { t } = useTranslation('security');
  const queryClient = useQueryClient();
  const sessions = useQuery({
    queryKey: SESSIONS_KEY,
    queryFn: () => api<{ data: Session[] }>('/v1/me/sessions'),
  });
  const refresh = () => queryClient.invalidateQueries({ queryKey: SESSIONS_KEY });
  const signOutOne = useMutation({
    mutationFn: (id: string) => api(`/v1/me/sessions/${id}`, { method: 'DELETE' }),
    onSuccess: refresh,
  });
  const signOutOthers = useMutation({
    mutationFn: () =>
      api<{ sessions_signed_out: number }>('/v1/me/sessions/sign-out-others', {
        method: 'POST',
      }),
    onSuccess: refresh,
  });
  const list = sessions.data?.data ?? [];
  const others = list.filter((session) => !session.current).length;
  return (
    <section className="card" aria-labelledby="sessions-title">
      <h2 id="sessions-title">{t('sessions.title')}</h2>
      {sessions.isPending ? <Loading /> : null}
      {sessions.error === null ? null : (
        <ErrorNotice error={sessions.error} onRetry={() => void sessions.refetch()} />
      )}
      <ul className="list">
        {list.map((session) => (
          <SessionRow
            key={session.id}
            session={session}
            busy={signOutOne.isPending && signOutOne.variables === session.id}
            onSignOut={() => signOutOne.mutate(session.id)}
          />
        ))}
      </ul>
      {signOutOne.error === null ? null : <ErrorNotice error={signOutOne.error} />}
      {signOutOthers.error === null ? null : <ErrorNotice error={signOutOthers.error} />}
      {signOutOthers.data === undefined ? null : (
        <p className="notice notice-ok" role="status">
          {t('sessions.signedOutOthers', { count: signOutOthers.data.sessions_signed_out })}
        </p>
      )}
      {others > 0 ? (
        <div className="form-actions">
          <Button
            variant="danger"
            busy={signOutOthers.isPending}
            onClick={() => signOutOthers.mutate()}
          >
            {t('sessions.signOutOthers')}
          </Button>
        </div>
      ) : null}
      <DevicesList />
    </section>
  );
}

function SessionRow({
  session,
  busy,
  onSignOut,
}: {
  readonly session: Session;
  readonly busy: boolean;
  readonly onSignOut: () => void;
}) {
  const { t } = useTranslation('security');
  const formatTime = useFormatTime();
  return (
    <li className="row-between">
      <div>
        <p className="security-item-title">
          {session.device.name}{' '}
          {session.current ? <span className="badge badge-ok">{t('sessions.current')}</span> : null}
        </p>
        <p className="muted">
          {t(`sessions.method.${keyOf(session.method)}`, { defaultValue: session.method })} ·{' '}
          {session.ip} · {t('sessions.lastSeen', { time: formatTime(session.last_seen_at) })}
        </p>
      </div>
      {session.current ? null : (
        <Button variant="secondary" busy={busy} onClick={onSignOut}>
          {t('sessions.signOut')}
          <span className="visually-hidden"> {session.device.name}</span>
        </Button>
      )}
    </li>
  );
}

function DevicesList() {
  const { t } = useTranslation('security');
  const formatTime = useFormatTime();
  const devices = useQuery({
    queryKey: DEVICES_KEY,
    queryFn: () => api<{ data: Device[] }>('/v1/me/devices'),
  });
  return (
    <>
      <h3>{t('devices.title')}</h3>
      {devices.isPending ? <Loading /> : null}
      {devices.error === null ? null : (
        <ErrorNotice error={devices.error} onRetry={() => void devices.refetch()} />
      )}
      {devices.data?.data.length === 0 ? <Empty>{t('devices.empty')}</Empty> : null}
      <ul className="list">
        {(devices.data?.data ?? []).map((device) => (
          <li key={device.id}>
            <p className="security-item-title">{device.name}</p>
            <p className="muted">
              {device.last_ip} · {t('sessions.lastSeen', { time: formatTime(device.last_seen_at) })}
            </p>
          </li>
        ))}
      </ul>
    </>
  );
}
