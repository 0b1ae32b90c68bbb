import { useEffect, useId, useRef, useState } from 'react';
import { useTranslation } from 'react-i18next';

export const PIN_LENGTH = 6;

/**
 * The payment PIN: a real password input (so a keyboard, a screen reader and a password manager
 * all work) shown as six dots, with an on-screen keypad for touch. When the sixth digit is in,
 * `onComplete` gets the PIN and the pad clears itself, ready for another try.
 */
export function PinPad({
  onComplete,
  busy = false,
  error,
  label,
  autoFocus = true,
}: {
  readonly onComplete: (pin: string) => void;
  readonly busy?: boolean;
  readonly error?: string | undefined;
  readonly label?: string;
  readonly autoFocus?: boolean;
}) {
  const { t } = useTranslation();
  const [pin, setPin] = useState('');
  const input = useRef<HTMLInputElement>(null);
  const id = useId();

  useEffect(() => {
    if (autoFocus) input.current?.focus();
  }, [autoFocus]);

  const update = (next: string): void => {
    const digits = next.replace(/\D/g, '').slice(0, PIN_LENGTH);
    if (digits.length === PIN_LENGTH) {
      setPin('');
      onComplete(digits);
      return;
    }
    setPin(digits);
  };

  return (
    <div className="pin-pad" aria-busy={busy || undefined}>
      <label htmlFor={id} className="pin-label">
        {label ?? t('common:pin.label')}
      </label>
      <input
        ref={input}
        id={id}
        className="pin-input"
        type="password"
        inputMode="numeric"
        autoComplete="off"
        pattern="[0-9]*"
        maxLength={PIN_LENGTH}
        value={pin}
        disabled={busy}
        aria-invalid={error ? true : undefined}
        aria-describedby={error ? `${id}-error` : undefined}
        onChange={(event) => update(event.target.value)}
      />
      <div className="pin-dots" aria-hidden="true">
        {Array.from({ length: PIN_LENGTH }, (_, i) => (
          <span key={i} className={i < pin.length ? 'pin-dot pin-dot-filled' : 'pin-dot'} />
        ))}
      </div>
      {error ? (
        <p className="field-error" id={`${id}-error`} role="alert">
          {error}
        </p>
      ) : null}
      <div className="pin-keys" role="group" aria-label={t('common:pin.keypad')}>
        {['1', '2', '3', '4', '5', '6', '7', '8', '9'].map((digit) => (
          <button
            key={digit}
            type="button"
            className="pin-key"
            disabled={busy}
            tabIndex={-1}
            onClick={() => update(pin + digit)}
          >
            {digit}
          </button>
        ))}
        <span />
        <button
          type="button"
          className="pin-key"
          disabled={busy}
          tabIndex={-1}
          onClick={() => update(`${pin}0`)}
        >
          0
        </button>
        <button
          type="button"
          className="pin-key"
          disabled={busy || pin === ''}
          tabIndex={-1}
          aria-label={t('common:pin.delete')}
          onClick={() => setPin(pin.slice(0, -1))}
        >
          ⌫
        </button>
      </div>
    </div>
  );
}
