/**
 * Reading QR codes in the browser: the platform's BarcodeDetector where it exists and knows QR
 * codes, otherwise jsQR over the pixels drawn to a canvas. jsQR is loaded only when it is
 * needed, so it never weighs on a page that does not scan.
 */

export interface ImageDataLike {
  readonly data: Uint8ClampedArray;
  readonly width: number;
  readonly height: number;
}

interface DetectedBarcode {
  readonly rawValue: string;
}

interface BarcodeDetectorLike {
  detect(source: ImageBitmapSource): Promise<readonly DetectedBarcode[]>;
}

interface BarcodeDetectorClass {
  new (options?: { formats: string[] }): BarcodeDetectorLike;
  getSupportedFormats?: () => Promise<string[]>;
}

/** Long side of the pixels handed to jsQR: enough for a phone screen's code, quick to scan. */
const MAX_SCAN_SIDE = 1024;

/** The text of the QR code in these pixels, if jsQR finds one. */
export async function decodeQrFromImageData(image: ImageDataLike): Promise<string | undefined> {
  const { default: jsQR } = await import('jsqr');
  const found = jsQR(image.data, image.width, image.height, { inversionAttempts: 'attemptBoth' });
  return found === null || found.data === '' ? undefined : found.data;
}

/** The platform's QR detector, when the browser has one that reads QR codes. */
export async function nativeQrDetector(): Promise<BarcodeDetectorLike | undefined> {
  if (typeof window === 'undefined' || !('BarcodeDetector' in window)) return undefined;
  const Detector = (window as unknown as { BarcodeDetector: BarcodeDetectorClass }).BarcodeDetector;
  try {
    const formats = (await Detector.getSupportedFormats?.()) ?? ['qr_code'];
    return formats.includes('qr_code') ? new Detector({ formats: ['qr_code'] }) : undefined;
  } catch {
    return undefined;
  }
}

async function detectWith(
  detector: BarcodeDetectorLike,
  source: ImageBitmapSource,
): Promise<string | undefined> {
  const codes = await detector.detect(source);
  return codes.find((code) => code.rawValue !== '')?.rawValue;
}

/** Draws a picture onto a canvas no larger than MAX_SCAN_SIDE and reads its pixels back. */
function pixelsOf(
  source: CanvasImageSource,
  width: number,
  height: number,
  canvas: HTMLCanvasElement = document.createElement('canvas'),
): ImageData | undefined {
  if (width === 0 || height === 0) return undefined;
  const scale = Math.min(1, MAX_SCAN_SIDE / Math.max(width, height));
  canvas.width = Math.round(width * scale);
  canvas.height = Math.round(height * scale);
  const context = canvas.getContext('2d', { willReadFrequently: true });
  if (context === null) return undefined;
  context.drawImage(source, 0, 0, canvas.width, canvas.height);
  return context.getImageData(0, 0, canvas.width, canvas.height);
}

export interface Scanner {
  /** Which way frames are read: the platform's detector or jsQR. */
  readonly kind: 'native' | 'jsqr';
  /** The QR code in the video's current frame, if there is one. */
  scanFrame(): Promise<string | undefined>;
}

/** A scanner for a playing <video> (the camera): BarcodeDetector if it reads QR, else jsQR. */
export async function createScanner(video: HTMLVideoElement): Promise<Scanner> {
  const detector = await nativeQrDetector();
  if (detector !== undefined) {
    return { kind: 'native', scanFrame: () => detectWith(detector, video) };
  }
  const canvas = document.createElement('canvas');
  return {
    kind: 'jsqr',
    scanFrame: async () => {
      const pixels = pixelsOf(video, video.videoWidth, video.videoHeight, canvas);
      return pixels === undefined ? undefined : decodeQrFromImageData(pixels);
    },
  };
}

/**
 * Scans frame after frame until a code is found (its text) or the signal aborts (undefined).
 * Frames are read every `intervalMs`, not at the display's rate, to spare the battery.
 */
export async function scanUntilFound(
  scanner: Scanner,
  signal: AbortSignal,
  intervalMs = 250,
): Promise<string | undefined> {
  while (!signal.aborted) {
    const found = await scanner.scanFrame().catch(() => undefined);
    if (found !== undefined) return signal.aborted ? undefined : found;
    await new Promise((resolve) => setTimeout(resolve, intervalMs));
  }
  return undefined;
}

interface LoadedImage {
  readonly source: ImageBitmap | HTMLImageElement;
  readonly width: number;
  readonly height: number;
  release(): void;
}

async function loadImage(file: Blob): Promise<LoadedImage> {
  if (typeof createImageBitmap === 'function') {
    const bitmap = await createImageBitmap(file);
    return {
      source: bitmap,
      width: bitmap.width,
      height: bitmap.height,
      release: () => bitmap.close(),
    };
  }
  const url = URL.createObjectURL(file);
  const image = new Image();
  image.src = url;
  try {
    await image.decode();
  } catch (error) {
    URL.revokeObjectURL(url);
    throw error;
  }
  return {
    source: image,
    width: image.naturalWidth,
    height: image.naturalHeight,
    release: () => URL.revokeObjectURL(url),
  };
}

/**
 * The QR code in an image file (a photo or a screenshot). Undefined when there is none; throws
 * when the file is not an image the browser can open. What the platform's detector misses in a
 * still image, jsQR gets a second look at: there is no next frame to wait for.
 */
export async function decodeQrFromFile(file: Blob): Promise<string | undefined> {
  const image = await loadImage(file);
  try {
    const detector = await nativeQrDetector();
    const detected =
      detector === undefined
        ? undefined
        : await detectWith(detector, image.source).catch(() => undefined);
    if (detected !== undefined) return detected;
    const pixels = pixelsOf(image.source, image.width, image.height);
    return pixels === undefined ? undefined : await decodeQrFromImageData(pixels);
  } finally {
    image.release();
  }
}
