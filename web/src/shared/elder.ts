/**
 * Elder mode (PRODUCT.md): larger type and touch targets, fewer options on the home screen. A
 * setting of this device, applied before the first paint.
 */
const STORAGE_KEY = 'hebao.elder';

export function isElderMode(): boolean {
  return localStorage.getItem(STORAGE_KEY) === '1';
}

export function setElderMode(on: boolean): void {
  localStorage.setItem(STORAGE_KEY, on ? '1' : '0');
  applyElderMode();
}

export function applyElderMode(): void {
  document.documentElement.classList.toggle('elder', isElderMode());
}
