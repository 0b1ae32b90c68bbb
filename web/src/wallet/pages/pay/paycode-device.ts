import { api, ApiError } from '../../../shared/api';

/**
 * This browser as a payment-code device. The API has no route that only checks the payment
 * PIN, and provisioning is the route that takes it (with lockout after wrong tries): so each
 * time the user unlocks the payment code, the browser is provisioned afresh with the PIN and
 * the device it had before is revoked. The newest device id, token id and secret are kept in
 * localStorage, for the signed-in user only.
 */
export const DEVICE_STORAGE_KEY = 'hebao.paycode.device';

export interface PaycodeDevice {
  readonly id: string;
  readonly userId: string;
  readonly tokenId: number;
  /** The device secret as the API gave it, base64url. */
  readonly secret: string;
}

interface NewDevice {
  readonly id: string;
  readonly token_id: number;
  readonly secret: string;
}

export function storedDevice(userId: string): PaycodeDevice | undefined {
  try {
    const value = JSON.parse(localStorage.getItem(DEVICE_STORAGE_KEY) ?? 'null') as unknown;
    return isDevice(value) && value.userId === userId ? value : undefined;
  } catch {
    return undefined;
  }
}

function isDevice(value: unknown): value is PaycodeDevice {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return (
    typeof v.id === 'string' &&
    typeof v.userId === 'string' &&
    typeof v.tokenId === 'number' &&
    typeof v.secret === 'string'
  );
}

function revoke(deviceId: string): Promise<unknown> {
  return api(`/v1/payment-codes/devices/${encodeURIComponent(deviceId)}`, { method: 'DELETE' });
}

/**
 * Provisions this browser with the PIN (wrong PINs fail here), then revokes the device it
 * replaces. At the API's device cap, the old device is revoked first to make room.
 */
export async function unlockDevice(
  userId: string,
  pin: string,
  name: string,
): Promise<PaycodeDevice> {
  const previous = storedDevice(userId);
  const create = () =>
    api<NewDevice>('/v1/payment-codes/devices', { method: 'POST', body: { pin, name } });
  let created: NewDevice;
  let previousRevoked = false;
  try {
    created = await create();
  } catch (error) {
    const full = error instanceof ApiError && error.code === 'payment_code_devices_too_many';
    if (!full || previous === undefined) throw error;
    await revoke(previous.id);
    previousRevoked = true;
    created = await create();
  }
  const device = { id: created.id, userId, tokenId: created.token_id, secret: created.secret };
  localStorage.setItem(DEVICE_STORAGE_KEY, JSON.stringify(device));
  if (previous !== undefined && !previousRevoked) {
    // Best effort: a device left behind is listed under Security, where it can be revoked.
    await revoke(previous.id).catch(() => undefined);
  }
  return device;
}

export function secretBytes(base64url: string): Uint8Array {
  const base64 = base64url.replace(/-/g, '+').replace(/_/g, '/');
  const binary = atob(base64 + '='.repeat((4 - (base64.length % 4)) % 4));
  return Uint8Array.from(binary, (char) => char.charCodeAt(0));
}
