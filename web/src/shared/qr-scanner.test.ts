import QRCode from 'qrcode';
import { afterEach, describe, expect, it, vi } from 'vitest';
import {
  createScanner,
  decodeQrFromFile,
  decodeQrFromImageData,
  type ImageDataLike,
} from './qr-scanner';

/** A QR code as RGBA pixels, drawn by hand: jsdom has no canvas. */
function qrPixels(text: string, pixelsPerModule = 4, quietModules = 4): ImageDataLike {
  const { modules } = QRCode.create(text, { errorCorrectionLevel: 'M' });
  const side = (modules.size + quietModules * 2) * pixelsPerModule;
  const data = new Uint8ClampedArray(side * side * 4).fill(255);
  for (let row = 0; row < modules.size; row += 1) {
    for (let col = 0; col < modules.size; col += 1) {
      if (!modules.get(row, col)) continue;
      for (let dy = 0; dy < pixelsPerModule; dy += 1) {
        for (let dx = 0; dx < pixelsPerModule; dx += 1) {
          const y = (row + quietModules) * pixelsPerModule + dy;
          const x = (col + quietModules) * pixelsPerModule + dx;
          data.fill(0, (y * side + x) * 4, (y * side + x) * 4 + 3);
        }
      }
    }
  }
  return { data, width: side, height: side };
}

const PAYLOAD =
  '00020101021226510013dev.hebao.pay0130mch_01M84P8ZY0S5TEXE6EB6XHW8BD5204581453031565802CN' +
  '5912Hebao Coffee6008Shanghai64140002zh0104荷包咖啡6304ABCD';

function fakeBarcodeDetector(formats: string[], rawValue: string) {
  const detect = vi.fn(async () => [{ rawValue }]);
  class FakeBarcodeDetector {
    static getSupportedFormats = async () => formats;
    detect = detect;
  }
  Object.defineProperty(window, 'BarcodeDetector', {
    value: FakeBarcodeDetector,
    configurable: true,
    writable: true,
  });
  return detect;
}

afterEach(() => {
  Reflect.deleteProperty(window, 'BarcodeDetector');
  vi.unstubAllGlobals();
});

describe('decodeQrFromImageData (the jsQR fallback)', () => {
  it('reads the payload of a QR code', async () => {
    expect(await decodeQrFromImageData(qrPixels(PAYLOAD))).toBe(PAYLOAD);
  });

  it('reads the 18 digits of a payment code', async () => {
    expect(await decodeQrFromImageData(qrPixels('880123456789012345'))).toBe('880123456789012345');
  });

  it('finds nothing in a blank picture', async () => {
    const blank = { data: new Uint8ClampedArray(64 * 64 * 4).fill(255), width: 64, height: 64 };
    expect(await decodeQrFromImageData(blank)).toBeUndefined();
  });
});

describe('choosing the detector', () => {
  it('uses BarcodeDetector when the browser has one that reads QR codes', async () => {
    const detect = fakeBarcodeDetector(['ean_13', 'qr_code'], 'from the platform');
    const video = document.createElement('video');
    const scanner = await createScanner(video);
    expect(scanner.kind).toBe('native');
    expect(await scanner.scanFrame()).toBe('from the platform');
    expect(detect).toHaveBeenCalledWith(video);
  });

  it('falls back to jsQR when BarcodeDetector does not read QR codes', async () => {
    fakeBarcodeDetector(['ean_13'], 'never');
    expect((await createScanner(document.createElement('video'))).kind).toBe('jsqr');
  });

  it('falls back to jsQR without BarcodeDetector', async () => {
    expect((await createScanner(document.createElement('video'))).kind).toBe('jsqr');
  });

  it('reads an image file with BarcodeDetector when there is one', async () => {
    const detect = fakeBarcodeDetector(['qr_code'], PAYLOAD);
    const bitmap = { width: 10, height: 10, close: vi.fn() };
    vi.stubGlobal(
      'createImageBitmap',
      vi.fn(async () => bitmap),
    );
    const file = new Blob([new Uint8Array([0x89, 0x50, 0x4e, 0x47])], { type: 'image/png' });
    expect(await decodeQrFromFile(file)).toBe(PAYLOAD);
    expect(detect).toHaveBeenCalledWith(bitmap);
    expect(bitmap.close).toHaveBeenCalled();
  });
});
