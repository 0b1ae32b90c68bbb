/**
 * The payment PIN pad: typed and tapped digits, delete, the error it shows, and no input while a
 * check is in flight.
 */
import { fireEvent, render, screen } from '@testing-library/react';
import { describe, expect, it, vi } from 'vitest';
import common from '../../locales/en/common.json';
import { PinPad } from './PinPad';

function pinInput(): HTMLInputElement {
  return screen.getByLabelText(common.pin.label);
}

function key(name: string): HTMLButtonElement {
  return screen.getByRole('button', { name });
}

describe('PinPad', () => {
  it('calls onComplete once with six typed digits, then clears', () => {
    const onComplete = vi.fn();
    render(<PinPad onComplete={onComplete} />);
    const input = pinInput();
    expect(document.activeElement).toBe(input);
    fireEvent.change(input, { target: { value: '48031' } });
    expect(onComplete).not.toHaveBeenCalled();
    expect(input.value).toBe('48031');
    fireEvent.change(input, { target: { value: '480317' } });
    expect(onComplete).toHaveBeenCalledTimes(1);
    expect(onComplete).toHaveBeenCalledWith('480317');
    expect(input.value).toBe('');
  });

  it('ignores anything that is not a digit', () => {
    const onComplete = vi.fn();
    render(<PinPad onComplete={onComplete} />);
    const input = pinInput();
    fireEvent.change(input, { target: { value: '4a8 0-3' } });
    expect(input.value).toBe('4803');
    fireEvent.change(input, { target: { value: '4803x1y7' } });
    expect(onComplete).toHaveBeenCalledExactlyOnceWith('480317');
  });

  it('takes digits from the on-screen keys and deletes the last one', () => {
    const onComplete = vi.fn();
    render(<PinPad onComplete={onComplete} />);
    const remove = key(common.pin.delete);
    expect(remove.disabled).toBe(true);
    for (const digit of ['4', '8', '0', '9']) fireEvent.click(key(digit));
    expect(pinInput().value).toBe('4809');
    fireEvent.click(remove);
    expect(pinInput().value).toBe('480');
    for (const digit of ['3', '1', '7']) fireEvent.click(key(digit));
    expect(onComplete).toHaveBeenCalledExactlyOnceWith('480317');
    expect(pinInput().value).toBe('');
    expect(screen.getByRole('group', { name: common.pin.keypad })).toBeTruthy();
  });

  it('shows the error as an alert tied to the input', () => {
    render(<PinPad onComplete={vi.fn()} error="Wrong PIN, 4 tries left" />);
    const alert = screen.getByRole('alert');
    expect(alert.textContent).toBe('Wrong PIN, 4 tries left');
    const input = pinInput();
    expect(input.getAttribute('aria-invalid')).toBe('true');
    expect(input.getAttribute('aria-describedby')).toBe(alert.id);
  });

  it('takes no input while busy', () => {
    const onComplete = vi.fn();
    render(<PinPad onComplete={onComplete} busy />);
    expect(pinInput().disabled).toBe(true);
    for (const digit of ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9']) {
      expect(key(digit).disabled).toBe(true);
    }
    expect(key(common.pin.delete).disabled).toBe(true);
    expect(screen.queryByRole('alert')).toBeNull();
  });

  it('uses the label it is given', () => {
    render(<PinPad onComplete={vi.fn()} label="New PIN" autoFocus={false} />);
    const input = screen.getByLabelText('New PIN');
    expect(document.activeElement).not.toBe(input);
  });
});
